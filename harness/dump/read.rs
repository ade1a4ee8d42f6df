//! A streaming reader for elfo NDJSON dumps.
//!
//! It reads one line at a time into a reused buffer, so memory does not grow
//! with the file. Strict mode stops at the first bad line with an error
//! naming the file, line, column and field; lenient mode skips bad lines,
//! counts them and keeps the first few for the report. Either way the caller
//! never gets a partial result passed off as complete.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::line_error::LineError;

use super::fast_path;
use super::record::DumpRecord;

/// How to treat lines that are not valid dump records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadMode {
    /// The first bad line is an error.
    #[default]
    Strict,
    /// Bad lines are skipped, counted and the first few listed.
    Lenient,
}

impl ReadMode {
    /// `Lenient` when `lenient`, else `Strict` (for a `--lenient` flag).
    pub fn lenient_if(lenient: bool) -> ReadMode {
        if lenient {
            ReadMode::Lenient
        } else {
            ReadMode::Strict
        }
    }
}

/// A bad dump line, or a dump that could not be read.
pub type DumpError = LineError;

/// What lenient mode skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BadLines {
    /// How many lines were skipped.
    pub count: u64,
    /// The first [`BadLines::LISTED`] of them.
    pub first: Vec<DumpError>,
}

impl BadLines {
    /// How many bad lines are kept for the report.
    pub const LISTED: usize = 10;

    fn note(&mut self, error: DumpError) {
        self.count += 1;
        if self.first.len() < Self::LISTED {
            self.first.push(error);
        }
    }
}

/// Reads dump records from one or more files, in the order given.
///
/// ```
/// use flowreplay::dump::{DumpReader, ReadMode};
///
/// let text = r#"{"ts":1,"g":"api","k":"_","n":1,"s":1,"t":9007199254740993,"d":"In","mn":"Ping","mp":"app","mk":"Regular","m":null}"#;
/// let mut reader = DumpReader::from_reader("inline.dump", text.as_bytes(), ReadMode::Strict);
/// let record = reader.next().unwrap().unwrap();
/// assert_eq!(record.trace_id, 9_007_199_254_740_993); // above 2^53, exact
/// assert!(reader.next().is_none());
/// ```
pub struct DumpReader {
    pending: std::collections::VecDeque<PathBuf>,
    current: Option<Source>,
    mode: ReadMode,
    bad: BadLines,
    lines_read: u64,
    buffer: Vec<u8>,
    failed: bool,
    /// Bytes read from the files so far (ahead of the records by at most
    /// one buffer), for progress reports.
    bytes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// A reader that counts the bytes it hands on.
struct Counting<R> {
    inner: R,
    bytes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

struct Source {
    path: PathBuf,
    input: Box<dyn BufRead>,
    line: u64,
}

impl DumpReader {
    /// A reader over `paths`, opened one after the other.
    pub fn open(paths: &[PathBuf], mode: ReadMode) -> DumpReader {
        DumpReader {
            pending: paths.iter().cloned().collect(),
            current: None,
            mode,
            bad: BadLines::default(),
            lines_read: 0,
            buffer: Vec::with_capacity(4096),
            failed: false,
            bytes: Default::default(),
        }
    }

    /// A reader over an already open input; `name` is used in errors.
    pub fn from_reader(name: impl AsRef<Path>, input: impl Read + 'static, mode: ReadMode) -> DumpReader {
        let mut reader = DumpReader::open(&[], mode);
        let input = Counting { inner: input, bytes: reader.bytes.clone() };
        reader.current =
            Some(Source { path: name.as_ref().to_path_buf(), input: Box::new(BufReader::new(input)), line: 0 });
        reader
    }

    /// What lenient mode skipped so far.
    pub fn bad_lines(&self) -> &BadLines {
        &self.bad
    }

    /// Records returned so far.
    pub fn records_read(&self) -> u64 {
        self.lines_read
    }

    /// Bytes read from the inputs so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn open_next(&mut self) -> Option<Result<(), DumpError>> {
        let path = self.pending.pop_front()?;
        Some(match File::open(&path) {
            Ok(file) => {
                let file = Counting { inner: file, bytes: self.bytes.clone() };
                self.current = Some(Source { path, input: Box::new(BufReader::with_capacity(1 << 16, file)), line: 0 });
                Ok(())
            }
            Err(e) => Err(DumpError::file(path, format!("cannot open dump: {e}"))),
        })
    }
}

impl Iterator for DumpReader {
    type Item = Result<DumpRecord, DumpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            if self.current.is_none() {
                if let Err(e) = self.open_next()? {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
            let Some(source) = &mut self.current else { continue };
            let parsed = match next_line(source, &mut self.buffer) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => {
                    self.current = None;
                    continue;
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            };
            match parsed {
                Ok(None) => continue,
                Ok(Some(record)) => {
                    self.lines_read += 1;
                    return Some(Ok(record));
                }
                Err((column, message)) => {
                    let error = DumpError { path: source.path.clone(), line: source.line, column, message };
                    match self.mode {
                        ReadMode::Strict => {
                            self.failed = true;
                            return Some(Err(error));
                        }
                        ReadMode::Lenient => self.bad.note(error),
                    }
                }
            }
        }
    }
}

/// What parsing one line gives: nothing (a blank line), a record, or the
/// column and reason it was refused.
type Parsed = Result<Option<DumpRecord>, (Option<usize>, String)>;

/// Reads and parses the next line of `source`: in place in the reader's
/// buffer when the whole line is there, else copied into `spill` first.
/// `Ok(None)` at the end of the source.
fn next_line(source: &mut Source, spill: &mut Vec<u8>) -> Result<Option<Parsed>, DumpError> {
    let read_error = |source: &Source, e: io::Error| DumpError {
        path: source.path.clone(),
        line: source.line + 1,
        column: None,
        message: format!("cannot read: {e}"),
    };
    let buffered = match source.input.fill_buf() {
        Ok(buffered) => buffered,
        Err(e) => return Err(read_error(source, e)),
    };
    if buffered.is_empty() {
        return Ok(None);
    }
    source.line += 1;
    let first = source.line == 1;
    if let Some(end) = memchr::memchr(b'\n', buffered) {
        let parsed = parse_line(&buffered[..=end], first);
        source.input.consume(end + 1);
        return Ok(Some(parsed));
    }
    spill.clear();
    if let Err(e) = source.input.read_until(b'\n', spill) {
        source.line -= 1;
        return Err(read_error(source, e));
    }
    Ok(Some(parse_line(spill, first)))
}

/// Parses one raw line (with its newline, if it has one).
fn parse_line(raw: &[u8], first_line: bool) -> Parsed {
    let mut bytes = raw;
    let mut offset = 0;
    if first_line {
        if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
            bytes = rest;
            offset = 3;
        }
    }
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let last = bytes.iter().rposition(|b| !b.is_ascii_whitespace()).map(|i| bytes[i]);
    if !raw.ends_with(b"\n") && last != Some(b'}') {
        return Err((Some(offset + bytes.len() + 1), "truncated line: the file ends in the middle of a record".into()));
    }
    let text = std::str::from_utf8(bytes).map_err(|bad| {
        let at = offset + bad.valid_up_to() + 1;
        (Some(at), format!("invalid UTF-8 at byte {at}"))
    })?;
    if let Some(record) = fast_path::parse(text) {
        return Ok(Some(record));
    }
    serde_json::from_str::<DumpRecord>(text).map(Some).map_err(|e| {
        let column = e.column();
        (Some(offset + column), describe(&e, text, column))
    })
}

/// serde_json's message without its own position, naming the field the
/// column falls in when the message does not.
fn describe(error: &serde_json::Error, text: &str, column: usize) -> String {
    let full = error.to_string();
    let message = full.rsplit_once(" at line ").map_or(full.as_str(), |(m, _)| m);
    if message.contains("field `") || error.is_eof() {
        return format!("{message} (expected an elfo dump record)");
    }
    match field_at(text, column) {
        Some(field) => format!("field `{field}`: {message}"),
        None => message.to_string(),
    }
}

/// The top-level key whose value spans `column` (1-based, bytes): a scan
/// that skips over strings (escapes included) and tracks nesting, so a `":`
/// inside a string value does not mislead it.
fn field_at(text: &str, column: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    let limit = column.saturating_sub(1).min(bytes.len());
    let (mut depth, mut at) = (0usize, 0usize);
    let (mut key, mut last_string) = (None, None);
    while at < limit {
        match bytes[at] {
            b'"' => {
                let start = at + 1;
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                last_string = text.get(start..at.min(bytes.len()));
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b':' if depth == 1 => key = last_string,
            _ => {}
        }
        at += 1;
    }
    key
}

/// Reads a whole dump into memory in strict mode: convenient for tests and
/// small files.
pub fn read_all(path: &Path) -> Result<Vec<DumpRecord>, DumpError> {
    DumpReader::open(&[path.to_path_buf()], ReadMode::Strict).collect()
}

/// Reads every record from an in-memory dump.
pub fn read_str(name: &str, text: &str, mode: ReadMode) -> (Vec<Result<DumpRecord, DumpError>>, BadLines) {
    let mut reader = DumpReader::from_reader(name, io::Cursor::new(text.as_bytes().to_vec()), mode);
    let records = reader.by_ref().collect();
    (records, reader.bad)
}
