//! The in-memory recorder, packed.
//!
//! A [`TraceEvent`] is about 150 bytes: fine to pass along, costly to hold a
//! million of. The recorder keeps each event as a few bytes in one growing
//! buffer instead: numbers as deltas from the previous event (sequence
//! numbers and virtual times only grow) in LEB128 varints, message names,
//! protocols and reasons as indices into a table of each field's distinct
//! values, checksums as 8 raw bytes. A typical event takes 10–30 bytes.
//! Bodies are kept (shared, not copied) only when asked for; otherwise the
//! decoded events carry a `null` body and the exact checksum.

use std::hash::Hash;
use std::ops::Deref;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::model::{Body, InPort, MessageId, MessageKind, Name, NodeId, OutPort, TraceId, VirtualTime};
use crate::net::TimerId;

use super::event::{EventKind, Phase, TraceEvent};
use super::recorder::{Recorder, RecorderReport};

/// Keeps every event in memory, packed; decode them with
/// [`MemoryRecorder::events`].
#[derive(Debug, Default)]
pub struct MemoryRecorder {
    bytes: Vec<u8>,
    names: Table<Name>,
    protocols: Table<Name>,
    reasons: Table<Arc<str>>,
    bodies: Vec<Body>,
    keep_bodies: bool,
    /// What decoded events show when bodies were not kept.
    null_body: Body,
    count: u64,
    last: Cursor,
    /// Where each event is built before it is appended.
    scratch: Scratch,
}

/// A buffer as long as the longest event.
#[derive(Debug)]
struct Scratch(Box<[u8; Packet::MAX]>);

impl Default for Scratch {
    fn default() -> Self {
        Scratch(Box::new([0; Packet::MAX]))
    }
}

/// What each event is encoded relative to.
#[derive(Debug, Default, Clone, Copy)]
struct Cursor {
    seq: u64,
    at: u64,
    message: u64,
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

const INJECT: u8 = 0;
const SEND: u8 = 1;
const BLOCKED: u8 = 2;
const DELIVER: u8 = 3;
const ACK: u8 = 4;
const NACK: u8 = 5;
const TIMER: u8 = 6;
const EXPORT: u8 = 7;
const DROP: u8 = 8;
const REJECT: u8 = 9;
const CONSUME: u8 = 10;
const FAULT: u8 = 11;
const LIFECYCLE: u8 = 12;
const DISCARD: u8 = 13;
const LOSE: u8 = 14;
const BATCH: u8 = 15;

/// One event's bytes, built in a scratch buffer the recorder keeps (so
/// nothing is zeroed or grown per event) and then appended in one copy.
struct Packet<'a> {
    bytes: &'a mut [u8; Packet::MAX],
    len: usize,
}

impl Packet<'_> {
    /// The longest event: a send with every number at its widest.
    const MAX: usize = 160;

    fn push(&mut self, byte: u8) {
        self.bytes[self.len] = byte;
        self.len += 1;
    }

    fn put(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.push(value as u8 | 0x80);
            value >>= 7;
        }
        self.push(value as u8);
    }

    /// Zigzag: small negative and positive differences both stay small.
    fn put_signed(&mut self, value: i64) {
        self.put(((value << 1) ^ (value >> 63)) as u64);
    }

    fn put_fixed(&mut self, value: u64) {
        self.bytes[self.len..self.len + 8].copy_from_slice(&value.to_le_bytes());
        self.len += 8;
    }
}

fn kind_code(kind: MessageKind) -> u64 {
    match kind {
        MessageKind::Regular => 0,
        MessageKind::Request => 1,
        MessageKind::Response => 2,
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
        let names = self.names.bytes_held() + self.protocols.bytes_held() + self.reasons.bytes_held();
        self.bytes.capacity() + names + self.bodies.capacity() * std::mem::size_of::<Body>()
    }

    /// The events, decoded, in trace order.
    pub fn events(&self) -> Events<'_> {
        Events { recorder: self, at: 0, body: 0, last: Cursor::default() }
    }
}

impl Recorder for MemoryRecorder {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let out = &mut Packet { bytes: &mut self.scratch.0, len: 0 };
        let code = match &event.kind {
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
        };
        out.push(code);
        out.put(event.seq.wrapping_sub(self.last.seq));
        out.put(event.at.as_nanos().wrapping_sub(self.last.at));
        out.put(event.parent.map_or(0, |p| event.seq.wrapping_sub(p).wrapping_add(1)));
        out.put_signed(event.message.0.wrapping_sub(self.last.message) as i64);
        out.put_signed(event.trace_id.0.wrapping_sub(event.message.0) as i64);
        self.last = Cursor { seq: event.seq, at: event.at.as_nanos(), message: event.message.0 };
        let node = |out: &mut Packet, node: &NodeId| out.put(u64::from(node.0));
        match &event.kind {
            EventKind::Inject { node: n, name, size_bytes, checksum, body, waited_ns } => {
                node(out, n);
                let name = self.names.intern(name);
                out.put(u64::from(name));
                out.put(u64::from(*size_bytes));
                out.put_fixed(*checksum);
                out.put(*waited_ns);
                if self.keep_bodies {
                    self.bodies.push((*body).clone());
                }
            }
            EventKind::Send {
                from,
                to,
                name,
                size_bytes,
                checksum,
                body,
                protocol,
                message_kind,
                correlation,
                queue_depth,
                waited_ns,
            } => {
                node(out, &from.0);
                out.put(u64::from(from.1 .0));
                node(out, &to.0);
                out.put(u64::from(to.1 .0));
                let name = self.names.intern(name);
                out.put(u64::from(name));
                out.put(u64::from(*size_bytes));
                out.put_fixed(*checksum);
                let protocol = self.protocols.intern(protocol);
                out.put(u64::from(protocol));
                out.put(kind_code(*message_kind));
                match correlation {
                    Some(c) => {
                        out.push(1);
                        out.put(*c);
                    }
                    None => out.push(0),
                }
                out.put(u64::from(*queue_depth));
                out.put(*waited_ns);
                if self.keep_bodies {
                    self.bodies.push((*body).clone());
                }
            }
            EventKind::Blocked { from, to } => {
                node(out, &from.0);
                out.put(u64::from(from.1 .0));
                node(out, &to.0);
                out.put(u64::from(to.1 .0));
            }
            EventKind::Deliver { node: n, port } => {
                node(out, n);
                out.put(u64::from(port.0));
            }
            EventKind::Ack { node: n, origin } => {
                node(out, n);
                node(out, origin);
            }
            EventKind::Nack { node: n, origin, reason, permanent } => {
                node(out, n);
                node(out, origin);
                let reason = self.reasons.intern(reason);
                out.put(u64::from(reason));
                out.put(u64::from(*permanent));
            }
            EventKind::Timer { node: n, timer } => {
                node(out, n);
                out.put(timer.0);
            }
            EventKind::Export { node: n } | EventKind::Consume { node: n } | EventKind::Batch { node: n } => {
                node(out, n)
            }
            EventKind::Drop { node: n, reason }
            | EventKind::Fault { node: n, reason }
            | EventKind::Discard { node: n, reason }
            | EventKind::Lose { node: n, reason } => {
                node(out, n);
                let reason = self.reasons.intern(reason);
                out.put(u64::from(reason));
            }
            EventKind::Reject { node: n, reason, permanent } => {
                node(out, n);
                let reason = self.reasons.intern(reason);
                out.put(u64::from(reason));
                out.put(u64::from(*permanent));
            }
            EventKind::Lifecycle { node: n, phase } => {
                node(out, n);
                out.push(match phase {
                    Phase::Start => 0,
                    Phase::Stop => 1,
                    Phase::Crash => 2,
                    Phase::Restart => 3,
                });
            }
        }
        let len = out.len;
        self.bytes.extend_from_slice(&self.scratch.0[..len]);
        self.count += 1;
    }

    fn report(&self) -> RecorderReport {
        RecorderReport { recorded: self.count, ..RecorderReport::default() }
    }
}

/// The recorded events, decoded one by one.
pub struct Events<'a> {
    recorder: &'a MemoryRecorder,
    at: usize,
    body: usize,
    last: Cursor,
}

impl<'a> Events<'a> {
    fn byte(&mut self) -> u8 {
        let byte = self.recorder.bytes[self.at];
        self.at += 1;
        byte
    }

    fn number(&mut self) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let byte = self.byte();
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return value;
            }
            shift += 7;
        }
    }

    fn signed(&mut self) -> i64 {
        let raw = self.number();
        (raw >> 1) as i64 ^ -((raw & 1) as i64)
    }

    fn node(&mut self) -> NodeId {
        NodeId(self.number() as u32)
    }

    /// The next number, as an index into `table`.
    fn entry<K>(&mut self, table: &'a Table<K>) -> &'a K {
        &table.list[self.number() as usize]
    }

    fn name(&mut self) -> Name {
        let recorder = self.recorder;
        *self.entry(&recorder.names)
    }

    fn protocol(&mut self) -> Name {
        let recorder = self.recorder;
        *self.entry(&recorder.protocols)
    }

    fn reason(&mut self) -> &'a Arc<str> {
        let recorder = self.recorder;
        self.entry(&recorder.reasons)
    }

    fn checksum(&mut self) -> u64 {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&self.recorder.bytes[self.at..self.at + 8]);
        self.at += 8;
        u64::from_le_bytes(raw)
    }

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
        if self.at >= self.recorder.bytes.len() {
            return None;
        }
        let code = self.byte();
        let seq = self.last.seq.wrapping_add(self.number());
        let at = self.last.at.wrapping_add(self.number());
        let parent = match self.number() {
            0 => None,
            back => Some(seq.wrapping_add(1).wrapping_sub(back)),
        };
        let message = self.last.message.wrapping_add(self.signed() as u64);
        let trace_id = message.wrapping_add(self.signed() as u64);
        self.last = Cursor { seq, at, message };
        let kind = match code {
            INJECT => {
                let node = self.node();
                let name = self.name();
                let size_bytes = self.number() as u32;
                let checksum = self.checksum();
                let waited_ns = self.number();
                EventKind::Inject { node, name, size_bytes, checksum, body: self.body(), waited_ns }
            }
            SEND => {
                let from = (self.node(), OutPort(self.number() as u16));
                let to = (self.node(), InPort(self.number() as u16));
                let name = self.name();
                let size_bytes = self.number() as u32;
                let checksum = self.checksum();
                let protocol = self.protocol();
                let message_kind = match self.number() {
                    1 => MessageKind::Request,
                    2 => MessageKind::Response,
                    _ => MessageKind::Regular,
                };
                let correlation = if self.byte() == 1 { Some(self.number()) } else { None };
                let queue_depth = self.number() as u32;
                let waited_ns = self.number();
                let body = self.body();
                EventKind::Send {
                    from,
                    to,
                    name,
                    size_bytes,
                    checksum,
                    body,
                    protocol,
                    message_kind,
                    correlation,
                    queue_depth,
                    waited_ns,
                }
            }
            BLOCKED => {
                let from = (self.node(), OutPort(self.number() as u16));
                EventKind::Blocked { from, to: (self.node(), InPort(self.number() as u16)) }
            }
            DELIVER => EventKind::Deliver { node: self.node(), port: InPort(self.number() as u16) },
            ACK => EventKind::Ack { node: self.node(), origin: self.node() },
            NACK => EventKind::Nack {
                node: self.node(),
                origin: self.node(),
                reason: self.reason(),
                permanent: self.number() == 1,
            },
            TIMER => EventKind::Timer { node: self.node(), timer: TimerId(self.number()) },
            EXPORT => EventKind::Export { node: self.node() },
            CONSUME => EventKind::Consume { node: self.node() },
            DROP => EventKind::Drop { node: self.node(), reason: self.reason() },
            FAULT => EventKind::Fault { node: self.node(), reason: self.reason() },
            REJECT => EventKind::Reject { node: self.node(), reason: self.reason(), permanent: self.number() == 1 },
            DISCARD => EventKind::Discard { node: self.node(), reason: self.reason() },
            LOSE => EventKind::Lose { node: self.node(), reason: self.reason() },
            BATCH => EventKind::Batch { node: self.node() },
            _ => EventKind::Lifecycle {
                node: self.node(),
                phase: match self.byte() {
                    1 => Phase::Stop,
                    2 => Phase::Crash,
                    3 => Phase::Restart,
                    _ => Phase::Start,
                },
            },
        };
        Some(TraceEvent {
            seq,
            at: VirtualTime(at),
            parent,
            message: MessageId(message),
            trace_id: TraceId(trace_id),
            kind,
        })
    }
}
