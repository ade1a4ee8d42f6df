//! The canonical golden text of a trace: stable, readable, diff-friendly.
//!
//! ```text
//! # flowreplay golden v1 · scenario nack · seed 3
//! 0.000000000  inject    ingest                          Order#1  size=300 h=5d1c3a0e9b7f2c41 body={"order":"1"}
//! 0.001000000  send      ingest.out -> sanitize.in       Order#1  size=300 h=5d1c3a0e9b7f2c41 q=1
//! 0.002000000  nack      ingest <- warehouse             Order#1  reason="outage"
//! ## edges
//! ingest.out -> sanitize.in  600 msgs  180000 B
//! ## terminal
//! consume 0 · drop 0 · export 392 · reject 208 · in flight 0
//! ```
//!
//! Message and trace ids are renumbered in first-seen order, so a golden
//! does not change when an unrelated part of the run allocates ids
//! differently. A body is shown where a message first appears and wherever
//! it changes. Per-scenario [`GoldenRules`] leave out event kinds, fields
//! and body paths that are expected to vary.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use rustc_hash::FxHashMap;

use crate::model::VirtualTime;
use crate::scenario::GoldenRules;
use crate::trace::{BodyCapture, Checksum, TraceLine};

/// The golden format's version, in every header.
pub const FORMAT_VERSION: u32 = 1;

/// What a golden says about its run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenHeader {
    /// Scenario or dump name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
}

/// Renumbers ids in first-seen order, from 1.
#[derive(Default)]
pub(in crate::golden) struct Renumber(FxHashMap<u64, u64>);

impl Renumber {
    /// The number of `id`, given it when first seen.
    pub(in crate::golden) fn get(&mut self, id: u64) -> u64 {
        let next = self.0.len() as u64 + 1;
        *self.0.entry(id).or_insert(next)
    }
}

/// Renders a trace as golden text.
pub fn render<'a>(
    header: &GoldenHeader,
    lines: impl IntoIterator<Item = &'a TraceLine<'a>>,
    rules: &GoldenRules,
) -> String {
    let mut out =
        format!("# flowreplay golden v{FORMAT_VERSION} · scenario {} · seed {}\n", header.scenario, header.seed);
    let capture = BodyCapture { enabled: true, redact: rules.redact.clone() };
    let (mut messages, mut traces) = (Renumber::default(), Renumber::default());
    let mut last_body: FxHashMap<u64, u64> = FxHashMap::default();
    // Deliveries, acks and ends do not carry the name: it is remembered.
    let mut names: FxHashMap<u64, String> = FxHashMap::default();
    let mut edges: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    // The four endings every golden lists; the rarer ones (discard, lose,
    // batch) are listed when they happen, so goldens without them keep
    // their text.
    let mut terminal: BTreeMap<String, u64> =
        ["consume", "drop", "export", "reject"].into_iter().map(|k| (k.to_string(), 0)).collect();
    let mut alive: BTreeSet<u64> = BTreeSet::new();
    let shown = |field: &str| !rules.ignore_fields.contains(field);
    for line in lines {
        if let Some((from, to)) = line.edge().filter(|_| line.event == "send") {
            let edge = edges.entry(crate::net::edge_label(from, to)).or_default();
            edge.0 += 1;
            edge.1 += u64::from(line.size.unwrap_or(0));
        }
        if line.msg != 0 {
            if line.is_terminal() {
                *terminal.entry(line.event.to_string()).or_default() += 1;
                alive.remove(&line.msg);
            } else if line.event == "inject" || line.event == "send" {
                alive.insert(line.msg);
            }
        }
        if rules.ignore_events.contains(&*line.event) {
            continue;
        }
        let place = match (&*line.event, line.edge(), &line.from) {
            (_, Some((from, to)), _) => format!("{} -> {}", quoted(from), quoted(to)),
            ("ack" | "nack", _, Some(origin)) => {
                format!("{} <- {}", quoted(line.place().unwrap_or_default()), quoted(origin))
            }
            ("deliver", _, _) => quoted(line.to.as_deref().unwrap_or_default()),
            _ => quoted(line.place().unwrap_or_default()),
        };
        let _ = write!(out, "{}  {:<9} {:<40}", VirtualTime(line.t_ns), line.event, place);
        if line.msg != 0 {
            let number = messages.get(line.msg);
            let name = match line.name.as_deref() {
                Some(name) => {
                    let name = quoted(name);
                    names.insert(line.msg, name.clone());
                    name
                }
                None => names.get(&line.msg).cloned().unwrap_or_else(|| quoted("")),
            };
            let _ = write!(out, " {name}#{number}");
            let trace = traces.get(line.trace);
            if trace != number && shown("trace") {
                let _ = write!(out, " trace={trace}");
            }
        }
        // The body as the golden shows it (redacted and ignored fields
        // hidden), and its checksum: a field expected to vary must not show
        // through the checksum either.
        let shown_body = line.body.as_ref().map(|body| {
            let mut hidden = body.clone();
            capture.redact_value(&mut hidden);
            rules.ignore.hide(line.place().unwrap_or_default(), line.name.as_deref().unwrap_or_default(), &mut hidden);
            let checksum = match (&hidden == body, line.checksum) {
                (true, Some(checksum)) => checksum.0,
                _ => xxhash_rust::xxh3::xxh3_64(hidden.to_string().as_bytes()),
            };
            (hidden, checksum)
        });
        let checksum = shown_body.as_ref().map(|(_, h)| *h).or(line.checksum.map(|c| c.0));
        if let Some(size) = line.size.filter(|_| shown("size")) {
            let _ = write!(out, " size={size}");
        }
        if let Some(checksum) = checksum.filter(|_| shown("h")) {
            let _ = write!(out, " h={}", Checksum(checksum));
        }
        if let Some(q) = line.q.filter(|_| shown("q")) {
            let _ = write!(out, " q={q}");
        }
        if let Some(waited) = line.waited_ns.filter(|_| shown("waited")) {
            let _ = write!(out, " waited={waited}ns");
        }
        if let Some(reason) = line.reason.as_deref().filter(|_| shown("reason")) {
            let _ = write!(out, " reason={}", serde_json::Value::from(reason));
        }
        if line.permanent == Some(true) {
            out.push_str(" permanent");
        }
        if let Some(timer) = line.timer {
            let _ = write!(out, " timer={timer}");
        }
        if let Some(phase) = &line.phase {
            let _ = write!(out, " phase={phase}");
        }
        if let Some((body, checksum)) = shown_body.filter(|_| line.checksum.is_some()) {
            let changed = last_body.insert(line.msg, checksum) != Some(checksum);
            if changed && shown("body") {
                let _ = write!(out, " body={body}");
            }
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out.push_str("## edges\n");
    for (edge, (messages, bytes)) in &edges {
        let _ = writeln!(out, "{edge}  {messages} msgs  {bytes} B");
    }
    out.push_str("## terminal\n");
    let counts: Vec<String> = terminal.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    let _ = writeln!(out, "{} · in flight {}", counts.join(" · "), alive.len());
    out
}

/// A name or place as a golden shows it: bare when it is one plain word,
/// else a JSON string (so spaces, `#`, `=` and line breaks survive).
fn quoted(name: &str) -> String {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || "_:.-/()".contains(c));
    if plain {
        name.to_string()
    } else {
        serde_json::Value::from(name).to_string()
    }
}
