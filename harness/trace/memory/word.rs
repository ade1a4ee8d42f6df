//! The word form: the events a run is made of, in fixed bit fields of
//! 64-bit words.
//!
//! Every event's first word holds, low bits first:
//!
//! | field | bits | |
//! |---|---|---|
//! | code | 5 | the event's kind |
//! | step | 22 | virtual time since the last event (up to 4.19 ms) |
//! | parent | 1 | whether the event has a parent |
//! | back | 7 | how far back the parent is (0: the event itself) |
//! | message | 10 | the message id's difference from the last event's, zigzagged |
//! | trace | 4 | the trace id's difference from the message id, zigzagged |
//! | node | 8 | the node (a send's sender) |
//! | aux | 7 | a delivery's port, an ack's origin |
//!
//! and the sequence number is the last one's plus one. A send adds a word of
//! its own (its ports, receiver, name and protocol indices, message kind,
//! queue depth, size, and whether a correlation id and a wait follow), its
//! checksum, and its correlation id and wait when it has them; an injection
//! adds a word with its name index, size and wait flag, its checksum and its
//! wait. Any event whose numbers do not fit goes to the spilled form, and
//! the word in its place is [`SPILLED`], which no packed first word equals
//! (packed codes are below 16).

use crate::model::{InPort, MessageId, NodeId, OutPort, TraceId, VirtualTime};
use crate::trace::event::{EventKind, TraceEvent};

use super::{unzigzag, zigzag, Cursor, Events, Tables, ACK, DELIVER, EXPORT, INJECT, SEND};

/// The first word of an event kept in the spilled form.
pub(super) const SPILLED: u64 = (1 << CODE) - 1;

/// One bit, in any word: a yes or a no.
const FLAG: u32 = 1;

// The first word.
const CODE: u32 = 5;
const STEP: u32 = 22;
const BACK: u32 = 7;
const MESSAGE: u32 = 10;
const TRACE: u32 = 4;
const NODE: u32 = 8;
const AUX: u32 = 7;
const _: () = assert!(CODE + STEP + FLAG + BACK + MESSAGE + TRACE + NODE + AUX == 64);

// A send's second word (its sender is the first word's node).
const PORT: u32 = 4;
const NAME: u32 = 12;
const PROTOCOL: u32 = 8;
const MESSAGE_KIND: u32 = 2;
const DEPTH: u32 = 10;
const SIZE: u32 = 14;
const _: () = assert!(PORT + NODE + PORT + NAME + PROTOCOL + MESSAGE_KIND + DEPTH + SIZE + 2 * FLAG == 64);

// An injection's second word.
const INJECTED_SIZE: u32 = 32;
const _: () = assert!(NAME + INJECTED_SIZE + FLAG <= 64);

/// Fills a word with fields, low bits first, noting any bit that did not fit.
#[derive(Default)]
struct Fields {
    word: u64,
    shift: u32,
    overflow: u64,
}

impl Fields {
    #[inline(always)]
    fn put(&mut self, value: u64, width: u32) {
        self.overflow |= value >> width;
        self.word |= value << self.shift;
        self.shift += width;
    }
}

/// Reads a word's fields back, low bits first.
struct Unfields(u64);

impl Unfields {
    #[inline(always)]
    fn take(&mut self, width: u32) -> u64 {
        let value = self.0 & ((1 << width) - 1);
        self.0 >>= width;
        value
    }
}

/// Appends `event` to `words` if it has a word form and its numbers fit
/// their fields; otherwise leaves `words` alone and says so.
#[inline]
pub(super) fn pack(event: &TraceEvent<'_>, last: &Cursor, tables: &mut Tables, words: &mut Vec<u64>) -> bool {
    let (code, node, aux) = match event.kind {
        EventKind::Deliver { node, port } => (DELIVER, node, u64::from(port.0)),
        EventKind::Ack { node, origin } => (ACK, node, u64::from(origin.0)),
        EventKind::Export { node } => (EXPORT, node, 0),
        EventKind::Inject { node, .. } => (INJECT, node, 0),
        EventKind::Send { from, .. } => (SEND, from.0, 0),
        _ => return false,
    };
    let mut head = Fields::default();
    head.put(code, CODE);
    head.put(event.at.as_nanos().wrapping_sub(last.at), STEP);
    head.put(u64::from(event.parent.is_some()), FLAG);
    head.put(event.parent.map_or(0, |parent| super::back(event.seq, parent)), BACK);
    head.put(zigzag(event.message.0.wrapping_sub(last.message)), MESSAGE);
    head.put(zigzag(event.trace_id.0.wrapping_sub(event.message.0)), TRACE);
    head.put(u64::from(node.0), NODE);
    head.put(aux, AUX);
    head.overflow |= event.seq.wrapping_sub(last.seq) ^ 1;
    match event.kind {
        EventKind::Send {
            from,
            to,
            name,
            size_bytes,
            checksum,
            protocol,
            message_kind,
            correlation,
            queue_depth,
            waited_ns,
            ..
        } => {
            let mut own = Fields::default();
            own.put(u64::from(from.1 .0), PORT);
            own.put(u64::from(to.0 .0), NODE);
            own.put(u64::from(to.1 .0), PORT);
            own.put(u64::from(tables.names.intern(&name)), NAME);
            own.put(u64::from(tables.protocols.intern(&protocol)), PROTOCOL);
            own.put(super::message_kind_code(message_kind), MESSAGE_KIND);
            own.put(u64::from(queue_depth), DEPTH);
            own.put(u64::from(size_bytes), SIZE);
            own.put(u64::from(correlation.is_some()), FLAG);
            own.put(u64::from(waited_ns != 0), FLAG);
            if head.overflow | own.overflow != 0 {
                return false;
            }
            words.extend_from_slice(&[head.word, own.word, checksum]);
            words.extend(correlation);
            if waited_ns != 0 {
                words.push(waited_ns);
            }
        }
        EventKind::Inject { name, size_bytes, checksum, waited_ns, .. } => {
            let mut own = Fields::default();
            own.put(u64::from(tables.names.intern(&name)), NAME);
            own.put(u64::from(size_bytes), INJECTED_SIZE);
            own.put(u64::from(waited_ns != 0), FLAG);
            if head.overflow | own.overflow != 0 {
                return false;
            }
            words.extend_from_slice(&[head.word, own.word, checksum]);
            if waited_ns != 0 {
                words.push(waited_ns);
            }
        }
        _ => {
            if head.overflow != 0 {
                return false;
            }
            words.push(head.word);
        }
    }
    true
}

/// The event whose first word is `first` (not [`SPILLED`]).
pub(super) fn unpack<'a>(first: u64, events: &mut Events<'a>) -> TraceEvent<'a> {
    let mut head = Unfields(first);
    let code = head.take(CODE);
    let seq = events.last.seq.wrapping_add(1);
    let at = events.last.at.wrapping_add(head.take(STEP));
    let has_parent = head.take(FLAG) == 1;
    let back = head.take(BACK);
    let parent = has_parent.then(|| super::parent_at(seq, back));
    let message = events.last.message.wrapping_add(unzigzag(head.take(MESSAGE)));
    let trace_id = message.wrapping_add(unzigzag(head.take(TRACE)));
    let node = NodeId(head.take(NODE) as u32);
    let aux = head.take(AUX);
    let kind = match code {
        DELIVER => EventKind::Deliver { node, port: InPort(aux as u16) },
        ACK => EventKind::Ack { node, origin: NodeId(aux as u32) },
        EXPORT => EventKind::Export { node },
        INJECT => {
            let mut own = Unfields(events.word());
            let name = events.name(own.take(NAME));
            let size_bytes = own.take(INJECTED_SIZE) as u32;
            let waited = own.take(FLAG) == 1;
            let checksum = events.word();
            let waited_ns = if waited { events.word() } else { 0 };
            EventKind::Inject { node, name, size_bytes, checksum, body: events.body(), waited_ns }
        }
        SEND => {
            let mut own = Unfields(events.word());
            let from = (node, OutPort(own.take(PORT) as u16));
            let to_node = NodeId(own.take(NODE) as u32);
            let to = (to_node, InPort(own.take(PORT) as u16));
            let name = events.name(own.take(NAME));
            let protocol = events.protocol(own.take(PROTOCOL));
            let message_kind = super::message_kind_of(own.take(MESSAGE_KIND));
            let queue_depth = own.take(DEPTH) as u32;
            let size_bytes = own.take(SIZE) as u32;
            let correlated = own.take(FLAG) == 1;
            let waited = own.take(FLAG) == 1;
            let checksum = events.word();
            let correlation = correlated.then(|| events.word());
            let waited_ns = if waited { events.word() } else { 0 };
            let body = events.body();
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
        other => unreachable!("the word form wrote no event code {other}"),
    };
    TraceEvent { seq, at: VirtualTime(at), parent, message: MessageId(message), trace_id: TraceId(trace_id), kind }
}
