//! The in-memory recorder, packed.
//!
//! A [`TraceEvent`] is 136 bytes: fine to pass along, costly to hold a
//! million of. The recorder keeps each event in a few bytes instead, in one
//! of two forms:
//!
//! - **Words** ([`word`]): the events a run is made of (inject, send,
//!   deliver, ack, export) whose numbers are close to the last event's (the
//!   next sequence number, a short step in time, a near parent and message)
//!   go into fixed bit fields of 64-bit words: 8 bytes for a delivery, an
//!   ack or an export, 24 for a send or an injection (its checksum takes 8),
//!   8 more for a correlation id or a wait. Packing one is a few shifts per
//!   field and a single check that every field fit.
//! - **Spilled** ([`spill`]): any other event, or one with a number too
//!   wide for its field, goes into a byte buffer as LEB128 varints, and a
//!   word that is just the mark [`word::SPILLED`] stands in its place.
//!
//! In both, message names, protocols and reasons are indices into a table
//! of each field's distinct values, and bodies are kept (shared, not copied)
//! only when asked for; otherwise the decoded events carry a `null` body and
//! the exact checksum.

mod spill;
mod word;

use std::hash::Hash;
use std::ops::Deref;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::model::{Body, MessageKind, Name};

use super::event::{EventKind, TraceEvent};
use super::recorder::{Recorder, RecorderReport};

/// Keeps every event in memory, packed; decode them with
/// [`MemoryRecorder::events`].
///
/// ```
/// use flowreplay::{EventKind, MemoryRecorder, Registry, Scenario};
///
/// let scenario = Scenario::load("scenarios/linear-pipeline.toml".as_ref())?;
/// let mut trace = MemoryRecorder::new();
/// let summary = scenario.simulation(&Registry::builtin(), scenario.run)?.run(Some(&mut trace))?;
/// let exports = trace.events().filter(|e| matches!(e.kind, EventKind::Export { .. })).count();
/// assert_eq!(exports as u64, summary.terminal["exported"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryRecorder {
    /// One or more words per event, in trace order.
    words: Vec<u64>,
    /// The spilled events' bytes, in trace order.
    spilled: Vec<u8>,
    tables: Tables,
    bodies: Vec<Body>,
    keep_bodies: bool,
    /// What decoded events show when bodies were not kept.
    null_body: Body,
    count: u64,
    last: Cursor,
}

// Event codes, shared by both forms.
const INJECT: u64 = 0;
const SEND: u64 = 1;
const BLOCKED: u64 = 2;
const DELIVER: u64 = 3;
const ACK: u64 = 4;
const NACK: u64 = 5;
const TIMER: u64 = 6;
const EXPORT: u64 = 7;
const DROP: u64 = 8;
const REJECT: u64 = 9;
const CONSUME: u64 = 10;
const FAULT: u64 = 11;
const LIFECYCLE: u64 = 12;
const DISCARD: u64 = 13;
const LOSE: u64 = 14;
const BATCH: u64 = 15;

/// The code of an event's kind.
fn code(kind: &EventKind<'_>) -> u64 {
    match kind {
        EventKind::Inject { .. } => INJECT,
        EventKind::Send { .. } => SEND,
        EventKind::Blocked { .. } => BLOCKED,
        EventKind::Deliver { .. } => DELIVER,
        EventKind::Ack { .. } => ACK,
        EventKind::Nack { .. } => NACK,
        EventKind::Timer { .. } => TIMER,
        EventKind::Export { .. } => EXPORT,
        EventKind::Drop { .. } => DROP,
        EventKind::Reject { .. } => REJECT,
        EventKind::Consume { .. } => CONSUME,
        EventKind::Fault { .. } => FAULT,
        EventKind::Lifecycle { .. } => LIFECYCLE,
        EventKind::Discard { .. } => DISCARD,
        EventKind::Lose { .. } => LOSE,
        EventKind::Batch { .. } => BATCH,
    }
}

/// The code of an elfo message kind.
fn message_kind_code(kind: MessageKind) -> u64 {
    match kind {
        MessageKind::Regular => 0,
        MessageKind::Request => 1,
        MessageKind::Response => 2,
    }
}

/// The message kind of a [`message_kind_code`].
fn message_kind_of(code: u64) -> MessageKind {
    match code {
        1 => MessageKind::Request,
        2 => MessageKind::Response,
        _ => MessageKind::Regular,
    }
}

/// A wrapping difference as an unsigned number that stays small when the
/// difference is small, either way: 0, -1, 1, -2, … become 0, 1, 2, 3, ….
fn zigzag(difference: u64) -> u64 {
    let signed = difference as i64;
    ((signed << 1) ^ (signed >> 63)) as u64
}

/// Undoes [`zigzag`].
fn unzigzag(value: u64) -> u64 {
    (value >> 1) ^ (value & 1).wrapping_neg()
}

/// How far back event `seq`'s parent is (0 for the event itself).
fn back(seq: u64, parent: u64) -> u64 {
    seq.wrapping_sub(parent)
}

/// Undoes [`back`].
fn parent_at(seq: u64, back: u64) -> u64 {
    seq.wrapping_sub(back)
}

/// What each event is encoded relative to: the last event's numbers.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    seq: u64,
    at: u64,
    message: u64,
}

impl Default for Cursor {
    /// Before the first event, whose sequence number is 0: one step back,
    /// so that it takes the word form too.
    fn default() -> Self {
        Cursor { seq: u64::MAX, at: 0, message: 0 }
    }
}

impl Cursor {
    fn of(event: &TraceEvent<'_>) -> Cursor {
        Cursor { seq: event.seq, at: event.at.as_nanos(), message: event.message.0 }
    }
}

/// The tables the packed events index.
#[derive(Debug, Default)]
struct Tables {
    names: Table<Name>,
    protocols: Table<Name>,
    reasons: Table<Arc<str>>,
}

/// The distinct values of one field (message names, protocols or reasons)
/// seen, each stored once and written as its index. The last one looked up
/// is remembered, since a message keeps its name and protocol hop after hop:
/// `==` on an interned [`Name`] compares pointers only (equal text is the
/// same pointer), and on an `Arc<str>` pointers before text, so a hit costs
/// one comparison and no hashing.
#[derive(Debug)]
struct Table<K> {
    list: Vec<K>,
    index: FxHashMap<K, u32>,
    last: Option<(K, u32)>,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Table { list: Vec::new(), index: FxHashMap::default(), last: None }
    }
}

impl<K: Clone + Eq + Hash + Deref<Target = str>> Table<K> {
    /// The index of `value`, added when new.
    #[inline]
    fn intern(&mut self, value: &K) -> u32 {
        match &self.last {
            Some((last, id)) if last == value => *id,
            _ => self.intern_new(value),
        }
    }

    #[cold]
    fn intern_new(&mut self, value: &K) -> u32 {
        let id = match self.index.get(value) {
            Some(&id) => id,
            None => {
                let id = self.list.len() as u32;
                self.list.push(value.clone());
                self.index.insert(value.clone(), id);
                id
            }
        };
        self.last = Some((value.clone(), id));
        id
    }

    /// Bytes held: each text, its entries in the list and the index, and
    /// the index's id.
    fn bytes_held(&self) -> usize {
        self.list.iter().map(|value| value.len() + 2 * std::mem::size_of::<K>() + 4).sum()
    }
}

impl Tables {
    fn bytes_held(&self) -> usize {
        self.names.bytes_held() + self.protocols.bytes_held() + self.reasons.bytes_held()
    }
}

impl MemoryRecorder {
    /// A recorder that drops bodies (keeping their checksums).
    pub fn new() -> MemoryRecorder {
        MemoryRecorder::default()
    }

    /// A recorder that keeps every injected and sent body (shared, not copied).
    pub fn with_bodies() -> MemoryRecorder {
        MemoryRecorder { keep_bodies: true, ..MemoryRecorder::default() }
    }

    /// Events recorded.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes held for the events, bodies excluded: the packed events, the
    /// name, protocol and reason tables (each text counted, though a
    /// [`Name`]'s lives in the process-wide interner) and the body handles.
    pub fn bytes_held(&self) -> usize {
        let packed = self.words.capacity() * std::mem::size_of::<u64>() + self.spilled.capacity();
        packed + self.tables.bytes_held() + self.bodies.capacity() * std::mem::size_of::<Body>()
    }

    /// The events, decoded, in trace order.
    pub fn events(&self) -> Events<'_> {
        Events { recorder: self, word: 0, byte: 0, body: 0, last: Cursor::default() }
    }
}

impl Recorder for MemoryRecorder {
    fn record(&mut self, event: &TraceEvent<'_>) {
        if !word::pack(event, &self.last, &mut self.tables, &mut self.words) {
            self.words.push(word::SPILLED);
            spill::pack(event, &self.last, &mut self.tables, &mut self.spilled);
        }
        if self.keep_bodies {
            if let EventKind::Inject { body, .. } | EventKind::Send { body, .. } = event.kind {
                self.bodies.push(body.clone());
            }
        }
        self.last = Cursor::of(event);
        self.count += 1;
    }

    fn report(&self) -> RecorderReport {
        RecorderReport { recorded: self.count, ..RecorderReport::default() }
    }
}

/// The recorded events, decoded one by one.
pub struct Events<'a> {
    recorder: &'a MemoryRecorder,
    /// The next word.
    word: usize,
    /// The next spilled byte.
    byte: usize,
    /// The next kept body.
    body: usize,
    last: Cursor,
}

impl<'a> Events<'a> {
    fn word(&mut self) -> u64 {
        let word = self.recorder.words[self.word];
        self.word += 1;
        word
    }

    fn name(&self, index: u64) -> Name {
        self.recorder.tables.names.list[index as usize]
    }

    fn protocol(&self, index: u64) -> Name {
        self.recorder.tables.protocols.list[index as usize]
    }

    /// The next kept body, or `null` when bodies were not kept.
    fn body(&mut self) -> &'a Body {
        let recorder: &'a MemoryRecorder = self.recorder;
        if !recorder.keep_bodies {
            return &recorder.null_body;
        }
        self.body += 1;
        &recorder.bodies[self.body - 1]
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = TraceEvent<'a>;

    fn next(&mut self) -> Option<TraceEvent<'a>> {
        if self.word >= self.recorder.words.len() {
            return None;
        }
        let first = self.word();
        let event = match first {
            word::SPILLED => spill::unpack(self),
            _ => word::unpack(first, self),
        };
        self.last = Cursor::of(&event);
        Some(event)
    }
}

#[cfg(test)]
mod tests;
