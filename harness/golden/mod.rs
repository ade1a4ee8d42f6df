//! Goldens and diffs: the canonical text of a run, the snapshot files that
//! pin it, and the diff that says what changed.
//!
//! - [`scenario_golden`] and [`dump_golden`] run a scenario or replay a dump
//!   and render its trace ([`render()`]).
//! - [`load`] reads a trace, a golden or an elfo dump as events, and
//!   [`diff()`] compares two of them, first divergence first.
//! - Goldens live in `golden/<name>.snap` in insta's format, so `cargo insta
//!   review` works beside `flowreplay check` and `bless`.

mod content;
mod diff;
mod parse;
mod render;

use std::path::{Path, PathBuf};

use crate::dump::{match_flows, read_all, sort_records, FlowEnd};
use crate::line_error::LineError;
use crate::net::Registry;
use crate::replay::Replay;
use crate::scenario::{GoldenRules, Scenario};
use crate::sim::{RunConfig, Simulation};
use crate::trace::{is_trace_file, BodyCapture, MemoryRecorder, Names, TraceLine, TraceReader};

use render::Renumber;

pub use diff::{diff, Alignment, ChangedMessage, DiffOptions, Divergence, EdgeChange, MessageRef, TraceDiff};
pub use parse::{parse_golden, snap_content, snap_text, GoldenEvent, ParsedGolden};
pub use render::{render, GoldenHeader, FORMAT_VERSION};

/// Why a golden could not be made.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    /// The scenario file is wrong.
    #[error(transparent)]
    Scenario(#[from] crate::ScenarioError),
    /// The dump could not be replayed.
    #[error(transparent)]
    Replay(#[from] crate::replay::ReplayError),
    /// The simulator could not start.
    #[error(transparent)]
    Sim(#[from] crate::SimError),
    /// An input file is wrong.
    #[error(transparent)]
    Input(#[from] LineError),
}

/// The golden text of a trace held in memory (bodies must have been kept).
fn render_memory(header: &GoldenHeader, trace: &MemoryRecorder, names: &Names, rules: &GoldenRules) -> String {
    let capture = BodyCapture { enabled: true, redact: Vec::new() };
    let events: Vec<_> = trace.events().collect();
    let lines: Vec<TraceLine<'_>> = events.iter().map(|e| TraceLine::of(e, names, &capture)).collect();
    render(header, &lines, rules)
}

/// Runs a scenario with `seed` (its own when `None`) and renders its golden.
pub fn scenario_golden(path: &Path, seed: Option<u64>) -> Result<String, GoldenError> {
    let scenario = Scenario::load(path)?;
    let network = scenario.network(&Registry::builtin())?;
    let config = RunConfig { seed: seed.unwrap_or(scenario.run.seed), ..scenario.run };
    let names = Names::new(&network.topology);
    let mut trace = MemoryRecorder::with_bodies();
    Simulation::new(network, config).run(Some(&mut trace))?;
    let header = GoldenHeader { scenario: golden_name(path), seed: config.seed };
    Ok(render_memory(&header, &trace, &names, &scenario.golden))
}

/// Replays a dump with its stubs and `seed`, and renders the replay's golden.
pub fn dump_golden(path: &Path, seed: u64) -> Result<String, GoldenError> {
    let replay = Replay::open(&[path.to_path_buf()], false)?;
    let mut names = None;
    let (_, trace) = replay.run_observed(seed, |topology| {
        names = Some(Names::new(topology));
        Ok(MemoryRecorder::with_bodies())
    })?;
    let header = GoldenHeader { scenario: golden_name(path), seed };
    let rendered = names.map(|names| render_memory(&header, &trace, &names, &GoldenRules::default()));
    Ok(rendered.unwrap_or_default())
}

/// What two runs of the same input with the same seed gave.
#[derive(Debug)]
pub enum Repeatability {
    /// The same golden text both times.
    Deterministic(String),
    /// Different texts: where the second run first went differently.
    NonDeterministic(Box<TraceDiff>),
}

/// Renders a run twice with `run` and compares the two: the determinism
/// self-check `flowreplay check` makes before blaming the code for a
/// golden mismatch.
pub fn run_twice(path: &Path, run: impl Fn() -> Result<String, GoldenError>) -> Result<Repeatability, GoldenError> {
    let (first, second) = (run()?, run()?);
    if first == second {
        return Ok(Repeatability::Deterministic(first));
    }
    let events = |text: &str| parse_golden(path, text, 1).map(|g| g.events);
    let found = diff(&events(&first)?, &events(&second)?, Alignment::SameRun, &DiffOptions::default());
    Ok(Repeatability::NonDeterministic(Box::new(found)))
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

/// A diff input read as events.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What it was.
    pub kind: InputKind,
    /// Its events.
    pub events: Vec<GoldenEvent>,
}

fn read_error(path: &Path, e: std::io::Error) -> LineError {
    LineError { path: path.to_path_buf(), line: 0, column: None, message: format!("cannot read: {e}") }
}

/// Reads a trace, a golden or an elfo dump (told apart by content) as
/// golden events; a dump's `system.*` groups are left out unless
/// `include_system`.
pub fn load(path: &Path, include_system: bool) -> Result<Loaded, LineError> {
    let head = std::fs::read(path)
        .map_err(|e| read_error(path, e))
        .map(|bytes| bytes.starts_with(b"---\n") || bytes.starts_with(b"# flowreplay golden"))?;
    if head {
        let text = std::fs::read_to_string(path).map_err(|e| read_error(path, e))?;
        let (content, first) = if text.starts_with("---\n") { snap_content(path, &text)? } else { (text.as_str(), 1) };
        let golden = parse_golden(path, content, first)?;
        return Ok(Loaded { kind: InputKind::Golden, events: golden.events });
    }
    if is_trace_file(path)? {
        let lines = TraceReader::read_all(path)?;
        let header = GoldenHeader { scenario: golden_name(path), seed: 0 };
        let text = render(&header, &lines, &GoldenRules::default());
        let golden = parse_golden(path, &text, 1)?;
        return Ok(Loaded { kind: InputKind::Trace, events: golden.events });
    }
    let mut records = read_all(path)?;
    records.retain(|r| include_system || !r.is_system());
    Ok(Loaded { kind: InputKind::Dump, events: dump_events(sort_records(records)) })
}

/// A dump's records as golden events: `out` and `in` at their group, each
/// send numbered in first-seen order and its receipts sharing the number,
/// times relative to the first record.
fn dump_events(records: Vec<crate::dump::DumpRecord>) -> Vec<GoldenEvent> {
    let ends: Vec<FlowEnd> = records.iter().map(FlowEnd::from).collect();
    let senders = match_flows(&ends);
    let first_ts = records.iter().map(|r| r.ts_ns).min().unwrap_or(0);
    // Sends and outside inputs are numbered first, so a receipt matched to
    // a send dumped after it (clock skew) still gets its number.
    let mut numbers: Vec<u64> = vec![0; records.len()];
    let mut next = 0;
    for (index, sender) in senders.iter().enumerate() {
        if sender.is_none() {
            next += 1;
            numbers[index] = next;
        }
    }
    for (index, sender) in senders.iter().enumerate() {
        if let Some(sender) = sender {
            numbers[index] = numbers[*sender as usize];
        }
    }
    let mut traces = Renumber::default();
    let mut events = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        let trace = traces.get(record.trace_id);
        let direction = match record.direction {
            crate::dump::Direction::In => "in",
            crate::dump::Direction::Out => "out",
        };
        let place = record.place();
        let body = record.body_value();
        let shown_trace = if trace == numbers[index] { String::new() } else { format!("trace={trace}") };
        let text = format!(
            "{}  {direction:<9} {place} {}#{} {shown_trace} body={body}",
            crate::VirtualTime(record.ts_ns - first_ts),
            record.name,
            numbers[index]
        );
        events.push(GoldenEvent {
            line: index + 1,
            t_ns: record.ts_ns - first_ts,
            event: direction.into(),
            place: place.to_string(),
            name: record.name.to_string(),
            msg: numbers[index],
            trace,
            fields: String::new(),
            body: Some(body),
            text,
        });
    }
    events
}

/// The group of an event's place: `group/key`, `node.port` and `a -> b`
/// all name it first.
fn place_group(place: &str) -> &str {
    let end = place.find(['/', '.', ' ']).unwrap_or(place.len());
    &place[..end]
}

/// Compares two inputs of any kind: same-run alignment when both come from
/// flowreplay runs (traces, goldens), content alignment when a dump is
/// involved.
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
    let (a, b) = (load(expected, options.include_system)?, load(actual, options.include_system)?);
    for group in options.rules.groups() {
        let has = |events: &[GoldenEvent]| events.iter().any(|e| place_group(&e.place) == group);
        if !has(&a.events) && !has(&b.events) {
            let message = format!("ignore rule names group {group:?}, which neither input has");
            return Err(LineError { path: expected.to_path_buf(), line: 0, column: None, message });
        }
    }
    let alignment =
        if a.kind == InputKind::Dump || b.kind == InputKind::Dump { Alignment::Content } else { Alignment::SameRun };
    Ok(diff(&a.events, &b.events, alignment, options))
}
