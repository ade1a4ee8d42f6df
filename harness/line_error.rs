//! The error every line-oriented input (dumps, traces, goldens) reports: the
//! file, the line and column, and what was expected there.

use std::fmt;
use std::path::PathBuf;

/// A bad line in an input file, or a file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LineError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number (0 when the file itself could not be opened).
    pub line: u64,
    /// 1-based column (in bytes), where known.
    pub column: Option<usize>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.path.display(), self.message),
            (line, Some(column)) => write!(f, "{}:{line}:{column}: {}", self.path.display(), self.message),
            (line, None) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
        }
    }
}
