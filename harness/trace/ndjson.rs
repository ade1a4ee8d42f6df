//! The NDJSON trace format: one [`TraceLine`] per line, written and read.
//!
//! Each line is a JSON object with `seq`, `t_ns` (virtual nanoseconds),
//! `event` (the kind), `msg` (message id), `trace` (trace id), `parent` (the
//! causing event's `seq`, or null) and the kind's own fields: endpoints as
//! `"node.port"` strings, `name`, `size` (bytes), `checksum` (16 hex digits),
//! `q` (destination queue depth), `waited_ns`, `reason`, `permanent`,
//! `timer`, `phase`, and `body` when bodies are captured. Keys are written in
//! a fixed order so the same run gives the same bytes.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::line_error::LineError;

use super::line::TraceLine;

/// Appends one line (with its trailing newline) to `out`.
pub fn write_line(out: &mut Vec<u8>, line: &TraceLine<'_>) {
    // Serializing strings, integers and JSON values into a Vec cannot fail.
    serde_json::to_writer(&mut *out, line).unwrap_or_default();
    out.push(b'\n');
}

/// Reads an NDJSON trace line by line; the first bad line is an error naming
/// the file, line and column. Blank lines are skipped.
pub struct TraceReader {
    path: PathBuf,
    input: Box<dyn BufRead>,
    line: u64,
    buffer: Vec<u8>,
    failed: bool,
}

impl TraceReader {
    /// Opens a trace file.
    pub fn open(path: &Path) -> Result<TraceReader, LineError> {
        let file = File::open(path).map_err(|e| LineError {
            path: path.to_path_buf(),
            line: 0,
            column: None,
            message: format!("cannot open trace: {e}"),
        })?;
        Ok(TraceReader::from_reader(path, BufReader::with_capacity(1 << 16, file)))
    }

    /// Reads a trace from an open input; `name` is used in errors.
    pub fn from_reader(name: &Path, input: impl BufRead + 'static) -> TraceReader {
        TraceReader { path: name.to_path_buf(), input: Box::new(input), line: 0, buffer: Vec::new(), failed: false }
    }

    fn error(&self, column: Option<usize>, message: String) -> LineError {
        LineError { path: self.path.clone(), line: self.line, column, message }
    }
}

impl Iterator for TraceReader {
    type Item = Result<TraceLine<'static>, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            self.buffer.clear();
            self.line += 1;
            match self.input.read_until(b'\n', &mut self.buffer) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    self.failed = true;
                    return Some(Err(self.error(None, format!("cannot read: {e}"))));
                }
            }
            let bytes = self.buffer.strip_suffix(b"\n").unwrap_or(&self.buffer);
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed = match std::str::from_utf8(bytes) {
                Err(bad) => Err(self.error(Some(bad.valid_up_to() + 1), "invalid UTF-8".into())),
                Ok(text) => serde_json::from_str::<TraceLine<'_>>(text).map(TraceLine::into_owned).map_err(|e| {
                    let full = e.to_string();
                    let message = full.rsplit_once(" at line ").map_or(full.as_str(), |(m, _)| m);
                    self.error(Some(e.column()), format!("{message} (expected a flowreplay trace event)"))
                }),
            };
            self.failed = parsed.is_err();
            return Some(parsed);
        }
    }
}

/// Whether a file is a flowreplay trace (rather than an elfo dump): its first
/// non-blank line is an object with an `event` key.
pub fn is_trace_file(path: &Path) -> Result<bool, LineError> {
    let file = File::open(path).map_err(|e| LineError {
        path: path.to_path_buf(),
        line: 0,
        column: None,
        message: format!("cannot open: {e}"),
    })?;
    let mut input = BufReader::new(file);
    let mut line = Vec::new();
    while input.read_until(b'\n', &mut line).map_err(|e| LineError {
        path: path.to_path_buf(),
        line: 1,
        column: None,
        message: format!("cannot read: {e}"),
    })? > 0
    {
        if !line.iter().all(u8::is_ascii_whitespace) {
            let head = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&line);
            return Ok(head.is_ok_and(|object| object.contains_key("event")));
        }
        line.clear();
    }
    Ok(false)
}
