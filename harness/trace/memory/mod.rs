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
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::{InPort, MessageId, NodeId, OutPort, TraceId, VirtualTime};
    use crate::net::TimerId;
    use crate::trace::event::Phase;

    /// A number that often fits even the narrowest word field (a port's 4
    /// bits), often only wider ones, and sometimes fills 64 bits.
    fn number() -> impl Strategy<Value = u64> {
        prop_oneof![3 => 0u64..16, 2 => 0u64..300, 1 => any::<u64>()]
    }

    /// A difference either way: often within the trace field's 4 bits
    /// zigzagged, often within the message field's 10, sometimes anything.
    fn difference() -> impl Strategy<Value = u64> {
        let within = |limit: i64| (-limit..limit).prop_map(|d| d as u64);
        prop_oneof![3 => within(9), 2 => within(600), 1 => any::<u64>()]
    }

    /// How far back a parent is: usually near, sometimes one past the event
    /// itself (`u64::MAX`, which no run makes but the recorder must keep
    /// apart from no parent), or anything.
    fn parent_back() -> impl Strategy<Value = u64> {
        prop_oneof![4 => 0u64..200, 1 => Just(u64::MAX), 1 => difference()]
    }

    /// A step between events: usually the word form's (sequence numbers
    /// one apart, no time or a little), sometimes anything.
    fn step(usual: u64) -> impl Strategy<Value = u64> {
        prop_oneof![3 => Just(usual), 2 => 0u64..5_000_000, 1 => any::<u64>()]
    }

    /// One event's numbers, owned; its kind is `fields[0] % 16`.
    #[derive(Debug, Clone)]
    struct Spec {
        seq_step: u64,
        at_step: u64,
        parent_back: Option<u64>,
        message_step: u64,
        trace_offset: u64,
        fields: [u64; 10],
        flags: [bool; 2],
    }

    fn spec() -> impl Strategy<Value = Spec> {
        (
            step(1),
            step(0),
            proptest::option::of(parent_back()),
            difference(),
            difference(),
            proptest::array::uniform10(number()),
            any::<[bool; 2]>(),
        )
            .prop_map(|(seq_step, at_step, parent_back, message_step, trace_offset, fields, flags)| Spec {
                seq_step,
                at_step,
                parent_back,
                message_step,
                trace_offset,
                fields,
                flags,
            })
    }

    /// The events the specs stand for, built one after the other.
    fn events<'a>(specs: &[Spec], body: &'a Body, reasons: &'a [Arc<str>]) -> Vec<TraceEvent<'a>> {
        let names = ["Quote", "Order", "Quote::Response", "x"];
        let (mut seq, mut at, mut message) = (0u64, 0u64, 0u64);
        specs
            .iter()
            .map(|spec| {
                seq = seq.wrapping_add(spec.seq_step);
                at = at.wrapping_add(spec.at_step);
                message = message.wrapping_add(spec.message_step);
                let f = spec.fields;
                let node = |i: usize| NodeId(f[i] as u32);
                let name = |i: usize| Name::from(names[f[i] as usize % names.len()]);
                let reason = |i: usize| &reasons[f[i] as usize % reasons.len()];
                let kind = match f[0] % 16 {
                    INJECT => EventKind::Inject {
                        node: node(1),
                        name: name(2),
                        size_bytes: f[3] as u32,
                        checksum: f[4],
                        body,
                        waited_ns: if spec.flags[0] { f[5] } else { 0 },
                    },
                    SEND => EventKind::Send {
                        from: (node(1), OutPort(f[2] as u16)),
                        to: (node(3), InPort(f[4] as u16)),
                        name: name(5),
                        size_bytes: f[6] as u32,
                        checksum: f[7],
                        body,
                        protocol: name(8),
                        message_kind: message_kind_of(f[9] % 3),
                        correlation: spec.flags[0].then_some(f[9]),
                        queue_depth: f[8] as u32,
                        waited_ns: if spec.flags[1] { f[2] } else { 0 },
                    },
                    BLOCKED => EventKind::Blocked { from: (node(1), OutPort(f[2] as u16)), to: (node(3), InPort(4)) },
                    DELIVER => EventKind::Deliver { node: node(1), port: InPort(f[2] as u16) },
                    ACK => EventKind::Ack { node: node(1), origin: node(2) },
                    NACK => {
                        EventKind::Nack { node: node(1), origin: node(2), reason: reason(3), permanent: spec.flags[0] }
                    }
                    TIMER => EventKind::Timer { node: node(1), timer: TimerId(f[2]) },
                    EXPORT => EventKind::Export { node: node(1) },
                    DROP => EventKind::Drop { node: node(1), reason: reason(2) },
                    REJECT => EventKind::Reject { node: node(1), reason: reason(2), permanent: spec.flags[1] },
                    CONSUME => EventKind::Consume { node: node(1) },
                    FAULT => EventKind::Fault { node: node(1), reason: reason(2) },
                    LIFECYCLE => EventKind::Lifecycle {
                        node: node(1),
                        phase: [Phase::Start, Phase::Stop, Phase::Crash, Phase::Restart][f[2] as usize % 4],
                    },
                    DISCARD => EventKind::Discard { node: node(1), reason: reason(2) },
                    LOSE => EventKind::Lose { node: node(1), reason: reason(2) },
                    _ => EventKind::Batch { node: node(1) },
                };
                TraceEvent {
                    seq,
                    at: VirtualTime(at),
                    parent: spec.parent_back.map(|back| seq.wrapping_sub(back)),
                    message: MessageId(message),
                    trace_id: TraceId(message.wrapping_add(spec.trace_offset)),
                    kind,
                }
            })
            .collect()
    }

    proptest! {
        /// Whatever the numbers (fitting the word form's fields or not, in
        /// any mix), every event decodes back exactly, bodies kept or not.
        #[test]
        fn every_event_decodes_back_exactly(specs in proptest::collection::vec(spec(), 0..60), keep in any::<bool>()) {
            let body = Body::parse(r#"{"px":101.5}"#).expect("json");
            let reasons: Vec<Arc<str>> = vec!["full".into(), "refused".into()];
            let events = events(&specs, &body, &reasons);
            let mut recorder = if keep { MemoryRecorder::with_bodies() } else { MemoryRecorder::new() };
            events.iter().for_each(|event| recorder.record(event));
            let decoded: Vec<TraceEvent<'_>> = recorder.events().collect();
            let null = Body::default();
            let expected: Vec<TraceEvent<'_>> = events
                .iter()
                .map(|event| {
                    let mut event = *event;
                    match &mut event.kind {
                        EventKind::Inject { body, .. } | EventKind::Send { body, .. } if !keep => *body = &null,
                        _ => {}
                    }
                    event
                })
                .collect();
            prop_assert_eq!(recorder.len(), events.len());
            prop_assert_eq!(decoded, expected);
        }
    }

    /// A send of `name` with `protocol`, event `seq` of a run.
    fn send<'a>(seq: u64, name: Name, protocol: Name, body: &'a Body) -> TraceEvent<'a> {
        TraceEvent {
            seq,
            at: VirtualTime(0),
            parent: None,
            message: MessageId(1),
            trace_id: TraceId(1),
            kind: EventKind::Send {
                from: (NodeId(0), OutPort(0)),
                to: (NodeId(1), InPort(0)),
                name,
                size_bytes: 1,
                checksum: body.checksum(),
                body,
                protocol,
                message_kind: MessageKind::Regular,
                correlation: None,
                queue_depth: 1,
                waited_ns: 0,
            },
        }
    }

    /// The names `prefix0`, `prefix1`, … up to `count`.
    fn names(prefix: &str, count: usize) -> Vec<Name> {
        (0..count).map(|i| Name::from(format!("{prefix}{i}").as_str())).collect()
    }

    /// Records `events` and checks that they decode back, and how many spilled.
    fn spilled_of(events: &[TraceEvent<'_>]) -> usize {
        let mut recorder = MemoryRecorder::new();
        events.iter().for_each(|event| recorder.record(event));
        assert_eq!(recorder.events().collect::<Vec<_>>(), events);
        recorder.words.iter().filter(|&&word| word == word::SPILLED).count()
    }

    /// More message names than a send's or an injection's word has room
    /// for (4,096): the later ones spill, and every one decodes back.
    #[test]
    fn names_past_the_word_fields_spill_and_come_back() {
        let body = Body::default();
        let (names, protocol) = (names("M", 5000), Name::from("p"));
        let sends: Vec<_> = names.iter().enumerate().map(|(i, &name)| send(i as u64, name, protocol, &body)).collect();
        assert_eq!(spilled_of(&sends), 5000 - 4096, "sends");
        let injects: Vec<_> = sends
            .iter()
            .map(|event| match event.kind {
                EventKind::Send { name, size_bytes, checksum, body, .. } => TraceEvent {
                    kind: EventKind::Inject { node: NodeId(0), name, size_bytes, checksum, body, waited_ns: 0 },
                    ..*event
                },
                _ => unreachable!("only sends were made"),
            })
            .collect();
        assert_eq!(spilled_of(&injects), 5000 - 4096, "injections");
    }

    /// More protocols than a send's word has room for (256).
    #[test]
    fn protocols_past_the_word_field_spill_and_come_back() {
        let body = Body::default();
        let name = Name::from("M");
        let sends: Vec<_> = names("p", 300)
            .into_iter()
            .enumerate()
            .map(|(i, protocol)| send(i as u64, name, protocol, &body))
            .collect();
        assert_eq!(spilled_of(&sends), 300 - 256);
    }

    /// The events a run is made of take the word form: one word for a
    /// delivery, an ack or an export, three for a send or an injection,
    /// nothing spilled, the first event included.
    #[test]
    fn the_common_events_take_the_word_form() {
        let body = Body::default();
        let (name, protocol) = (Name::from("Metrics"), Name::from("app"));
        let kinds = [
            EventKind::Inject { node: NodeId(0), name, size_bytes: 256, checksum: 7, body: &body, waited_ns: 0 },
            EventKind::Deliver { node: NodeId(3), port: InPort(1) },
            EventKind::Ack { node: NodeId(0), origin: NodeId(3) },
            EventKind::Export { node: NodeId(4) },
            send(0, name, protocol, &body).kind,
        ];
        let mut recorder = MemoryRecorder::new();
        for (seq, kind) in (0..100).zip(kinds.iter().cycle()) {
            let event = TraceEvent {
                seq,
                at: VirtualTime(seq * 2000),
                parent: seq.checked_sub(1),
                message: MessageId(seq / 2),
                trace_id: TraceId(seq / 2),
                kind: *kind,
            };
            recorder.record(&event);
        }
        assert_eq!((recorder.words.len(), recorder.spilled.len()), (20 * (3 + 1 + 1 + 1 + 3), 0));
    }
}
