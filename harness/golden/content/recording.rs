//! A recording reduced to what content alignment needs: one small record
//! per event, with places, names and bodies interned in a table both sides
//! share, so that comparing two of them compares numbers.
//!
//! A dump is read straight into this form, one line at a time: a dump of
//! half a million lines never exists as records or JSON values at once.

use std::path::Path;

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::dump::{match_flows, Direction, DumpReader, FlowEnd, ReadMode};
use crate::line_error::LineError;

use super::super::parse::GoldenEvent;
use super::super::render::Renumber;

/// No body (a golden line that shows none).
pub(super) const NO_BODY: u32 = u32::MAX;

/// Interned strings and bodies, shared by the two sides of a comparison.
#[derive(Default)]
pub(in crate::golden) struct Table {
    strings: Vec<Box<str>>,
    string_ids: FxHashMap<Box<str>, u32>,
    /// Bodies as compact JSON with keys in order, so equal values are equal ids.
    bodies: Vec<Box<str>>,
    body_ids: FxHashMap<Box<str>, u32>,
}

impl Table {
    pub(super) fn string(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.string_ids.get(text) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(text.into());
        self.string_ids.insert(text.into(), id);
        id
    }

    pub(super) fn text(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }

    /// Interns a body given as compact JSON text with keys in order.
    pub(super) fn body(&mut self, compact: &str) -> u32 {
        if let Some(&id) = self.body_ids.get(compact) {
            return id;
        }
        let id = self.bodies.len() as u32;
        self.bodies.push(compact.into());
        self.body_ids.insert(compact.into(), id);
        id
    }

    pub(super) fn body_text(&self, id: u32) -> &str {
        if id == NO_BODY {
            ""
        } else {
            &self.bodies[id as usize]
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
    by_raw: FxHashMap<Box<str>, u32>,
}

impl Bodies<'_> {
    fn of(&mut self, raw: &str) -> u32 {
        if let Some(&id) = self.by_raw.get(raw) {
            return id;
        }
        // The reader validated the text as JSON.
        let value: serde_json::Value = serde_json::from_str(raw).unwrap_or(serde_json::Value::Null);
        let id = self.table.body(&value.to_string());
        self.by_raw.insert(raw.into(), id);
        id
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
    /// Where each event happened, as written.
    pub(in crate::golden) fn places<'t>(&'t self, table: &'t Table) -> impl Iterator<Item = &'t str> {
        self.events.iter().map(|e| table.text(e.place))
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
        let mut bodies = Bodies { table, by_raw: FxHashMap::default() };
        let mut lines: Vec<Line> = Vec::new();
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
        // Dump order, as `sort_records` has it: ts, node, group, seq.
        lines.sort_by(|a, b| {
            (a.ts_ns, a.node, table.text(a.group), a.seq).cmp(&(b.ts_ns, b.node, table.text(b.group), b.seq))
        });
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

    /// A trace's or golden's events (ids already renumbered).
    pub(in crate::golden) fn from_events(events: &[GoldenEvent], table: &mut Table) -> Recording {
        let mut bodies: FxHashMap<String, u32> = FxHashMap::default();
        let events = events
            .iter()
            .filter(|e| e.msg != 0)
            .map(|e| {
                let body = match &e.body {
                    Some(value) => {
                        let text = value.to_string();
                        match bodies.get(&text) {
                            Some(&id) => id,
                            None => {
                                let id = table.body(&text);
                                bodies.insert(text, id);
                                id
                            }
                        }
                    }
                    None => NO_BODY,
                };
                let role = match e.event.as_str() {
                    "in" | "deliver" => Role::Receipt,
                    "out" | "send" => Role::Send,
                    _ => Role::Other,
                };
                Event {
                    t_ns: e.t_ns,
                    place: table.string(&e.place),
                    origin: table.string(e.place.split(" -> ").next().unwrap_or_default()),
                    name: table.string(&e.name),
                    body,
                    msg: e.msg as u32,
                    trace: e.trace as u32,
                    role,
                }
            })
            .collect();
        Recording { events }
    }
}
