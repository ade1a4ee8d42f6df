//! The error every input file (dumps, traces, goldens, scenarios) reports:
//! the file, the line and column, and what was expected there.

use std::fmt;
use std::path::PathBuf;

/// A bad place in an input file, or a file that could not be read.
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

impl LineError {
    /// An error at a line and (1-based, where known) column of `path`.
    pub fn at(path: impl Into<PathBuf>, line: u64, column: Option<usize>, message: impl Into<String>) -> LineError {
        LineError { path: path.into(), line, column, message: message.into() }
    }

    /// An error about the file as a whole (it could not be opened or read,
    /// or no single place is to blame).
    pub fn file(path: impl Into<PathBuf>, message: impl Into<String>) -> LineError {
        LineError::at(path, 0, None, message)
    }
}
