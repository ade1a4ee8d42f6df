//! A recording reduced to what content alignment needs: one small record
//! per event, with places, names and bodies interned in a table both sides
//! share, so that comparing two of them compares numbers.
//!
//! A dump is read straight into this form, one line at a time: a dump of
//! half a million lines never exists as records or JSON values at once.

use std::path::Path;

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::dump::{dump_order, match_flows, Direction, DumpReader, FlowEnd, ReadMode};
use crate::line_error::LineError;

use super::super::parse::GoldenEvent;
use super::super::render::Renumber;

/// No body (a golden line that shows none).
pub(super) const NO_BODY: u32 = u32::MAX;

/// Distinct texts, each stored once in one buffer and found by its hash.
#[derive(Default)]
struct Interner {
    buffer: String,
    /// (start, length) of each text in `buffer`, by id.
    spans: Vec<(usize, u32)>,
    /// The latest id with each hash; `earlier` chains the ids that share one.
    latest: FxHashMap<u64, u32>,
    earlier: Vec<u32>,
}

const NONE: u32 = u32::MAX;

impl Interner {
    fn get(&self, id: u32) -> &str {
        let (start, len) = self.spans[id as usize];
        &self.buffer[start..start + len as usize]
    }

    fn intern(&mut self, text: &str) -> u32 {
        let hash = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
        let mut at = self.latest.get(&hash).copied().unwrap_or(NONE);
        while at != NONE {
            if self.get(at) == text {
                return at;
            }
            at = self.earlier[at as usize];
        }
        let id = self.spans.len() as u32;
        self.spans.push((self.buffer.len(), text.len() as u32));
        self.buffer.push_str(text);
        self.earlier.push(self.latest.insert(hash, id).unwrap_or(NONE));
        id
    }
}

/// Interned strings and bodies, shared by the two sides of a comparison.
#[derive(Default)]
pub(in crate::golden) struct Table {
    strings: Interner,
    /// Bodies as compact JSON with keys in order, so equal values are equal ids.
    bodies: Interner,
}

impl Table {
    pub(super) fn string(&mut self, text: &str) -> u32 {
        self.strings.intern(text)
    }

    pub(super) fn text(&self, id: u32) -> &str {
        self.strings.get(id)
    }

    /// Interns a body given as compact JSON text with keys in order.
    pub(super) fn body(&mut self, compact: &str) -> u32 {
        self.bodies.intern(compact)
    }

    pub(super) fn body_text(&self, id: u32) -> &str {
        if id == NO_BODY {
            ""
        } else {
            self.bodies.get(id)
        }
    }

    /// A body's value (`None` for no body).
    pub(super) fn body_value(&self, id: u32) -> Option<serde_json::Value> {
        (id != NO_BODY).then(|| serde_json::from_str(self.body_text(id)).unwrap_or(serde_json::Value::Null))
    }
}

/// What an event is to content alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A place received the message.
    Receipt,
    /// It was sent.
    Send,
    /// Anything else that happened to it (inject, ack, export, drop, …).
    Other,
}

/// One event, interned.
#[derive(Debug, Clone, Copy)]
pub(super) struct Event {
    pub(super) t_ns: u64,
    /// Where, as written (`group/key`, `node.port`, `a.out -> b.in`).
    pub(super) place: u32,
    /// The node or place it happened at (`a.out` of `a.out -> b.in`).
    pub(super) origin: u32,
    pub(super) name: u32,
    pub(super) body: u32,
    /// Renumbered message id, from 1.
    pub(super) msg: u32,
    /// Renumbered trace id, from 1.
    pub(super) trace: u32,
    pub(super) role: Role,
}

/// One recording's events, in order.
pub(in crate::golden) struct Recording {
    pub(super) events: Vec<Event>,
}

/// A body in the table's form: the dump's text, parsed once per distinct text.
struct Bodies<'t> {
    table: &'t mut Table,
    raw: Interner,
    /// The table's id of each raw text.
    normalized: Vec<u32>,
}

impl Bodies<'_> {
    fn of(&mut self, raw: &str) -> u32 {
        let id = self.raw.intern(raw) as usize;
        if id < self.normalized.len() {
            return self.normalized[id];
        }
        // The reader validated the text as JSON.
        let value: serde_json::Value = serde_json::from_str(raw).unwrap_or(serde_json::Value::Null);
        let body = self.table.body(&value.to_string());
        self.normalized.push(body);
        body
    }
}

/// A dump line, interned.
struct Line {
    ts_ns: u64,
    node: u16,
    group: u32,
    seq: u64,
    place: u32,
    name: u32,
    body: u32,
    trace_id: u64,
    direction: Direction,
}

impl Recording {
    /// The node or place each event happened at: what ignore rules are
    /// scoped by.
    pub(in crate::golden) fn origins<'t>(&'t self, table: &'t Table) -> impl Iterator<Item = &'t str> {
        self.events.iter().map(|e| table.text(e.origin))
    }

    /// Reads a dump (strictly), leaving `system.*` groups out unless
    /// `include_system`: `out` and `in` events at their place, each send
    /// numbered in first-seen order and its receipts sharing the number,
    /// times relative to the first line.
    pub(in crate::golden) fn from_dump(
        path: &Path,
        table: &mut Table,
        include_system: bool,
    ) -> Result<Recording, LineError> {
        let mut bodies = Bodies { table, raw: Interner::default(), normalized: Vec::new() };
        // Most dump lines are 150 to 250 bytes: room for them all, grown once at most.
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        let mut lines: Vec<Line> = Vec::with_capacity((size / 150) as usize);
        for record in DumpReader::open(&[path.to_path_buf()], ReadMode::Strict) {
            let record = record?;
            if record.is_system() && !include_system {
                continue;
            }
            let place: CompactString = record.place();
            let body = bodies.of(record.body.get());
            let table = &mut *bodies.table;
            lines.push(Line {
                ts_ns: record.ts_ns,
                node: record.node,
                group: table.string(&record.group),
                seq: record.seq,
                place: table.string(&place),
                name: table.string(&record.name),
                body,
                trace_id: record.trace_id,
                direction: record.direction,
            });
        }
        let table = bodies.table;
        let order = |l: &Line| dump_order(l.ts_ns, l.node, table.text(l.group), l.seq);
        lines.sort_by(|a, b| order(a).cmp(&order(b)));
        let ends: Vec<FlowEnd> = lines
            .iter()
            .map(|l| FlowEnd {
                key: (l.trace_id, u64::from(l.name), u64::from(l.body)),
                direction: l.direction,
                ts_ns: l.ts_ns,
                place: u64::from(l.place),
            })
            .collect();
        let senders = match_flows(&ends);
        drop(ends);
        // Sends and outside inputs are numbered first, so a receipt matched to
        // a send dumped after it (clock skew) still gets its number.
        let mut numbers: Vec<u32> = vec![0; lines.len()];
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
        let first_ts = lines.first().map_or(0, |l| l.ts_ns);
        let mut traces = Renumber::default();
        let events = lines
            .iter()
            .enumerate()
            .map(|(index, line)| Event {
                t_ns: line.ts_ns - first_ts,
                place: line.place,
                origin: line.place,
                name: line.name,
                body: line.body,
                msg: numbers[index],
                trace: traces.get(line.trace_id) as u32,
                role: match line.direction {
                    Direction::Out => Role::Send,
                    Direction::In => Role::Receipt,
                },
            })
            .collect();
        Ok(Recording { events })
    }

    /// A trace's or golden's events; message and trace numbers are
    /// renumbered densely (a golden edited by hand may number them anyhow).
    pub(in crate::golden) fn from_events(events: &[GoldenEvent], table: &mut Table) -> Recording {
        let (mut messages, mut traces) = (Renumber::default(), Renumber::default());
        let events = events
            .iter()
            .filter(|e| e.msg != 0)
            .map(|e| {
                let body = e.body.as_ref().map_or(NO_BODY, |value| table.body(&value.to_string()));
                let role = match e.event.as_str() {
                    "in" | "deliver" => Role::Receipt,
                    "out" | "send" => Role::Send,
                    _ => Role::Other,
                };
                Event {
                    t_ns: e.t_ns,
                    place: table.string(&e.place),
                    origin: table.string(super::super::diff::sender_node(&e.place)),
                    name: table.string(&e.name),
                    body,
                    msg: messages.get(e.msg) as u32,
                    trace: traces.get(e.trace) as u32,
                    role,
                }
            })
            .collect();
        Recording { events }
    }
}
