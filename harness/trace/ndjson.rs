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

/// Appends one line (with its trailing newline) to `out`: the bytes
/// serde_json would write for the [`TraceLine`], formatted by hand, since
/// writing traces is the hot path of a traced run.
pub fn write_line(out: &mut Vec<u8>, line: &TraceLine<'_>) {
    let mut numbers = itoa::Buffer::new();
    let mut number = |out: &mut Vec<u8>, key: &str, value: u64| {
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(numbers.format(value).as_bytes());
    };
    number(out, "{\"seq\":", line.seq);
    number(out, ",\"t_ns\":", line.t_ns);
    text(out, ",\"event\":", &line.event);
    number(out, ",\"msg\":", line.msg);
    number(out, ",\"trace\":", line.trace);
    match line.parent {
        Some(parent) => number(out, ",\"parent\":", parent),
        None => out.extend_from_slice(b",\"parent\":null"),
    }
    let texts =
        [(",\"node\":", &line.node), (",\"from\":", &line.from), (",\"to\":", &line.to), (",\"name\":", &line.name)];
    for (key, value) in texts {
        if let Some(value) = value {
            text(out, key, value);
        }
    }
    if let Some(size) = line.size {
        number(out, ",\"size\":", u64::from(size));
    }
    if let Some(checksum) = line.checksum {
        out.extend_from_slice(b",\"checksum\":\"");
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        out.extend((0..16).rev().map(|nibble| DIGITS[(checksum.0 >> (nibble * 4)) as usize & 0xf]));
        out.push(b'"');
    }
    if let Some(q) = line.q {
        number(out, ",\"q\":", u64::from(q));
    }
    if let Some(waited) = line.waited_ns {
        number(out, ",\"waited_ns\":", waited);
    }
    if let Some(reason) = &line.reason {
        text(out, ",\"reason\":", reason);
    }
    if let Some(permanent) = line.permanent {
        out.extend_from_slice(if permanent { b",\"permanent\":true" } else { b",\"permanent\":false" });
    }
    if let Some(timer) = line.timer {
        number(out, ",\"timer\":", timer);
    }
    if let Some(phase) = &line.phase {
        text(out, ",\"phase\":", phase);
    }
    if let Some(body) = &line.body {
        out.extend_from_slice(b",\"body\":");
        // Serializing a JSON value into a Vec cannot fail.
        serde_json::to_writer(&mut *out, body).unwrap_or_default();
    }
    out.extend_from_slice(b"}\n");
}

/// `key` then `value` as a JSON string: copied as is when nothing in it
/// needs escaping (names almost never do), else escaped by serde_json.
fn text(out: &mut Vec<u8>, key: &str, value: &str) {
    out.extend_from_slice(key.as_bytes());
    if value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        // Serializing a &str into a Vec cannot fail.
        serde_json::to_writer(&mut *out, value).unwrap_or_default();
    } else {
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    }
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
        let file = File::open(path).map_err(|e| LineError::file(path, format!("cannot open trace: {e}")))?;
        Ok(TraceReader::from_reader(path, BufReader::with_capacity(1 << 16, file)))
    }

    /// Reads a whole trace file into memory; the first bad line is the error.
    pub fn read_all(path: &Path) -> Result<Vec<TraceLine<'static>>, LineError> {
        TraceReader::open(path)?.collect()
    }

    /// Reads a trace from an open input; `name` is used in errors.
    pub fn from_reader(name: &Path, input: impl BufRead + 'static) -> TraceReader {
        TraceReader { path: name.to_path_buf(), input: Box::new(input), line: 0, buffer: Vec::new(), failed: false }
    }

    fn error(&self, column: Option<usize>, message: String) -> LineError {
        LineError::at(&self.path, self.line, column, message)
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
    let file = File::open(path).map_err(|e| LineError::file(path, format!("cannot open: {e}")))?;
    let mut input = BufReader::new(file);
    let mut line = Vec::new();
    while input.read_until(b'\n', &mut line).map_err(|e| LineError::at(path, 1, None, format!("cannot read: {e}")))? > 0
    {
        if !line.iter().all(u8::is_ascii_whitespace) {
            let head = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&line);
            return Ok(head.is_ok_and(|object| object.contains_key("event")));
        }
        line.clear();
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::trace::Checksum;

    #[test]
    fn hand_written_lines_are_the_bytes_serde_json_writes() {
        let mut line = TraceLine {
            seq: 7,
            t_ns: 1_000_000,
            event: Cow::Borrowed("send"),
            msg: 3,
            trace: u64::MAX,
            parent: Some(6),
            node: None,
            from: Some(Cow::Borrowed("a.out")),
            to: Some(Cow::Borrowed("b.in")),
            name: Some(Cow::Borrowed("Quo\"te\n")),
            size: Some(256),
            checksum: Some(Checksum(0x00ab_cdef_0123_4567)),
            q: Some(2),
            waited_ns: Some(5),
            reason: Some(Cow::Borrowed("outage")),
            permanent: Some(false),
            timer: Some(9),
            phase: Some(Cow::Borrowed("stop")),
            body: Some(serde_json::json!({"k": [1, "x"]})),
        };
        for parent in [Some(6), None] {
            line.parent = parent;
            let mut ours = Vec::new();
            write_line(&mut ours, &line);
            let mut reference = serde_json::to_vec(&line).unwrap();
            reference.push(b'\n');
            assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(reference).unwrap());
        }
    }
}
