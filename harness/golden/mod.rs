//! Goldens and diffs: the canonical text of a run, the snapshot files that
//! pin it, and the diff that says what changed.
//!
//! - [`render()`] turns a trace into golden text ([`render_trace`] for one
//!   held in memory); [`parse_golden`] reads it back.
//! - [`diff_files`] reads traces, goldens and elfo dumps, and [`diff()`]
//!   compares events, first divergence first.
//! - Goldens live in `golden/<name>.snap` in insta's format ([`snap_text`]),
//!   so `cargo insta review` works beside `flowreplay check` and `bless`.
//!
//! Running scenarios and dumps to get their goldens, and checking them, is
//! the [`suite`](crate::suite)'s job: this module only renders, reads and
//! compares.

mod content;
mod diff;
mod parse;
mod render;

use std::path::{Path, PathBuf};

use crate::compare::IgnoreRule;
use crate::line_error::LineError;
use crate::scenario::GoldenRules;
use crate::trace::{is_trace_file, BodyCapture, MemoryRecorder, Names, TraceLine, TraceReader};

pub use diff::{diff, Alignment, ChangedMessage, DiffOptions, Divergence, EdgeChange, MessageRef, TraceDiff};
pub use parse::{parse_golden, snap_content, snap_text, GoldenEvent, ParsedGolden};
pub use render::{render, GoldenHeader, FORMAT_VERSION};

/// The golden text of a trace held in memory (recorded with bodies, as
/// [`MemoryRecorder::with_bodies`] does).
pub fn render_trace(header: &GoldenHeader, trace: &MemoryRecorder, names: &Names, rules: &GoldenRules) -> String {
    let capture = BodyCapture { enabled: true, redact: Vec::new() };
    let events: Vec<_> = trace.events().collect();
    let lines: Vec<TraceLine<'_>> = events.iter().map(|e| TraceLine::of(e, names, &capture)).collect();
    render(header, &lines, rules)
}

/// Whether a path names an elfo dump (`.dump`) rather than a scenario.
pub fn is_dump(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "dump")
}

/// The golden's name for a scenario or dump: its file name without
/// extension, dumps prefixed with `dump-` so they cannot clash.
pub fn golden_name(path: &Path) -> String {
    let stem = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    if is_dump(path) {
        format!("dump-{stem}")
    } else {
        stem
    }
}

/// Where a scenario's or dump's golden lives in `golden_dir`.
pub fn golden_path(golden_dir: &Path, input: &Path) -> PathBuf {
    golden_dir.join(format!("{}.snap", golden_name(input)))
}

/// What kind of file a diff input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A flowreplay NDJSON trace.
    Trace,
    /// A golden (`.snap`, or bare golden text).
    Golden,
    /// An elfo dump.
    Dump,
}

fn read_error(path: &Path, e: std::io::Error) -> LineError {
    LineError::file(path, format!("cannot read: {e}"))
}

/// What kind of file a diff input is, told apart by its first bytes.
pub fn input_kind(path: &Path) -> Result<InputKind, LineError> {
    use std::io::Read;
    let mut head = [0u8; 20];
    let mut file = std::fs::File::open(path).map_err(|e| read_error(path, e))?;
    let read = file.read(&mut head).map_err(|e| read_error(path, e))?;
    let head = &head[..read];
    if head.starts_with(b"---\n") || head.starts_with(b"# flowreplay golden") {
        return Ok(InputKind::Golden);
    }
    Ok(if is_trace_file(path)? { InputKind::Trace } else { InputKind::Dump })
}

/// Reads a golden or a trace as golden events.
fn load_events(path: &Path, kind: InputKind) -> Result<Vec<GoldenEvent>, LineError> {
    if kind == InputKind::Golden {
        let text = std::fs::read_to_string(path).map_err(|e| read_error(path, e))?;
        let (content, first) = if text.starts_with("---\n") { snap_content(path, &text)? } else { (text.as_str(), 1) };
        return Ok(parse_golden(path, content, first)?.events);
    }
    let lines = TraceReader::read_all(path)?;
    let header = GoldenHeader { scenario: golden_name(path), seed: 0 };
    let text = render(&header, &lines, &GoldenRules::default());
    Ok(parse_golden(path, &text, 1)?.events)
}

/// Compares two inputs of any kind: same-run alignment when both come from
/// flowreplay runs (traces, goldens), content alignment when a dump is
/// involved. A dump is read straight into the compact form content
/// alignment works on.
///
/// ```
/// use flowreplay::golden::{diff_files, DiffOptions};
///
/// let dump = std::path::Path::new("scenarios/dumps/trading.dump");
/// let same = diff_files(dump, dump, &DiffOptions::default())?;
/// assert!(same.equal);
/// # Ok::<(), flowreplay::line_error::LineError>(())
/// ```
///
/// An ignore rule limited to a group neither input has is an error.
pub fn diff_files(expected: &Path, actual: &Path, options: &DiffOptions) -> Result<TraceDiff, LineError> {
    let kinds = (input_kind(expected)?, input_kind(actual)?);
    if kinds.0 != InputKind::Dump && kinds.1 != InputKind::Dump {
        let (a, b) = (load_events(expected, kinds.0)?, load_events(actual, kinds.1)?);
        check_rule_groups(expected, options, |rule| {
            let has = |events: &[GoldenEvent]| events.iter().any(|e| rule.in_scope(diff::sender_node(&e.place)));
            has(&a) || has(&b)
        })?;
        return Ok(diff(&a, &b, Alignment::SameRun, options));
    }
    let mut table = content::Table::default();
    let mut read = |path: &Path, kind: InputKind| -> Result<content::Recording, LineError> {
        match kind {
            InputKind::Dump => content::Recording::from_dump(path, &mut table, options.include_system),
            _ => Ok(content::Recording::from_events(&load_events(path, kind)?, &mut table)),
        }
    };
    let (a, b) = (read(expected, kinds.0)?, read(actual, kinds.1)?);
    check_rule_groups(expected, options, |rule| {
        let has = |r: &content::Recording| r.origins(&table).any(|origin| rule.in_scope(origin));
        has(&a) || has(&b)
    })?;
    Ok(content::content(&a, &b, &mut table, options))
}

/// Fails when an ignore rule is limited to a group (or place) that
/// `present` says neither input has: where the rules are applied, to the
/// node or place each event happened at.
fn check_rule_groups(
    path: &Path,
    options: &DiffOptions,
    present: impl Fn(&IgnoreRule) -> bool,
) -> Result<(), LineError> {
    for rule in &options.rules.ignore {
        let Some(group) = &rule.group else { continue };
        if !present(rule) {
            let message = format!("ignore rule names group {group:?}, which neither input has");
            return Err(LineError::file(path, message));
        }
    }
    Ok(())
}
