//! The spilled form: any event, as LEB128 varints in a byte buffer.
//!
//! An event starts with a byte holding its code and whether it has a
//! parent. Numbers are written as deltas from the last event's (sequence
//! numbers and virtual times only grow), signed ones zigzagged, the parent
//! as its distance back; names, protocols
//! and reasons as table indices; checksums as 8 raw bytes. Slower to pack
//! than the word form, but nothing is too wide for it.

use std::sync::Arc;

use crate::model::{InPort, MessageId, Name, NodeId, OutPort, TraceId, VirtualTime};
use crate::net::TimerId;
use crate::trace::event::{EventKind, Phase, TraceEvent};

use super::{Cursor, Events, Tables};
use super::{ACK, BATCH, BLOCKED, CONSUME, DELIVER, DISCARD, DROP, EXPORT, FAULT, INJECT, LIFECYCLE, LOSE, NACK};
use super::{REJECT, SEND, TIMER};

/// Set in an event's first byte, beside its code, when it has a parent.
const HAS_PARENT: u8 = 0x80;

/// Appends one event to a byte buffer.
struct Packet<'a>(&'a mut Vec<u8>);

impl Packet<'_> {
    fn push(&mut self, byte: u8) {
        self.0.push(byte);
    }

    fn put(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.push(value as u8 | 0x80);
            value >>= 7;
        }
        self.push(value as u8);
    }

    /// A wrapping difference, zigzagged.
    fn put_difference(&mut self, difference: u64) {
        self.put(super::zigzag(difference));
    }

    fn put_fixed(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn node(&mut self, node: &NodeId) {
        self.put(u64::from(node.0));
    }
}

/// Appends `event` to `bytes`, relative to `last`.
pub(super) fn pack(event: &TraceEvent<'_>, last: &Cursor, tables: &mut Tables, bytes: &mut Vec<u8>) {
    let out = &mut Packet(bytes);
    let has_parent = if event.parent.is_some() { HAS_PARENT } else { 0 };
    out.push(super::code(&event.kind) as u8 | has_parent);
    out.put(event.seq.wrapping_sub(last.seq));
    out.put(event.at.as_nanos().wrapping_sub(last.at));
    if let Some(parent) = event.parent {
        out.put(super::back(event.seq, parent));
    }
    out.put_difference(event.message.0.wrapping_sub(last.message));
    out.put_difference(event.trace_id.0.wrapping_sub(event.message.0));
    match &event.kind {
        EventKind::Inject { node, name, size_bytes, checksum, waited_ns, .. } => {
            out.node(node);
            out.put(u64::from(tables.names.intern(name)));
            out.put(u64::from(*size_bytes));
            out.put_fixed(*checksum);
            out.put(*waited_ns);
        }
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
            out.node(&from.0);
            out.put(u64::from(from.1 .0));
            out.node(&to.0);
            out.put(u64::from(to.1 .0));
            out.put(u64::from(tables.names.intern(name)));
            out.put(u64::from(*size_bytes));
            out.put_fixed(*checksum);
            out.put(u64::from(tables.protocols.intern(protocol)));
            out.put(super::message_kind_code(*message_kind));
            match correlation {
                Some(c) => {
                    out.push(1);
                    out.put(*c);
                }
                None => out.push(0),
            }
            out.put(u64::from(*queue_depth));
            out.put(*waited_ns);
        }
        EventKind::Blocked { from, to } => {
            out.node(&from.0);
            out.put(u64::from(from.1 .0));
            out.node(&to.0);
            out.put(u64::from(to.1 .0));
        }
        EventKind::Deliver { node, port } => {
            out.node(node);
            out.put(u64::from(port.0));
        }
        EventKind::Ack { node, origin } => {
            out.node(node);
            out.node(origin);
        }
        EventKind::Nack { node, origin, reason, permanent } => {
            out.node(node);
            out.node(origin);
            out.put(u64::from(tables.reasons.intern(reason)));
            out.put(u64::from(*permanent));
        }
        EventKind::Timer { node, timer } => {
            out.node(node);
            out.put(timer.0);
        }
        EventKind::Export { node } | EventKind::Consume { node } | EventKind::Batch { node } => out.node(node),
        EventKind::Drop { node, reason }
        | EventKind::Fault { node, reason }
        | EventKind::Discard { node, reason }
        | EventKind::Lose { node, reason } => {
            out.node(node);
            out.put(u64::from(tables.reasons.intern(reason)));
        }
        EventKind::Reject { node, reason, permanent } => {
            out.node(node);
            out.put(u64::from(tables.reasons.intern(reason)));
            out.put(u64::from(*permanent));
        }
        EventKind::Lifecycle { node, phase } => {
            out.node(node);
            out.push(match phase {
                Phase::Start => 0,
                Phase::Stop => 1,
                Phase::Crash => 2,
                Phase::Restart => 3,
            });
        }
    }
}

/// Reads spilled events back.
impl<'a> Events<'a> {
    fn byte(&mut self) -> u8 {
        let byte = self.recorder.spilled[self.byte];
        self.byte += 1;
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

    fn signed(&mut self) -> u64 {
        super::unzigzag(self.number())
    }

    fn node(&mut self) -> NodeId {
        NodeId(self.number() as u32)
    }

    fn read_name(&mut self) -> Name {
        let index = self.number();
        self.name(index)
    }

    fn read_protocol(&mut self) -> Name {
        let index = self.number();
        self.protocol(index)
    }

    fn read_reason(&mut self) -> &'a Arc<str> {
        let index = self.number();
        &self.recorder.tables.reasons.list[index as usize]
    }

    fn checksum(&mut self) -> u64 {
        u64::from_le_bytes(std::array::from_fn(|_| self.byte()))
    }
}

/// The next spilled event.
pub(super) fn unpack<'a>(events: &mut Events<'a>) -> TraceEvent<'a> {
    let first = events.byte();
    let code = u64::from(first & !HAS_PARENT);
    let seq = events.last.seq.wrapping_add(events.number());
    let at = events.last.at.wrapping_add(events.number());
    let parent = (first & HAS_PARENT != 0).then(|| super::parent_at(seq, events.number()));
    let message = events.last.message.wrapping_add(events.signed());
    let trace_id = message.wrapping_add(events.signed());
    let kind = match code {
        INJECT => {
            let node = events.node();
            let name = events.read_name();
            let size_bytes = events.number() as u32;
            let checksum = events.checksum();
            let waited_ns = events.number();
            EventKind::Inject { node, name, size_bytes, checksum, body: events.body(), waited_ns }
        }
        SEND => {
            let from = (events.node(), OutPort(events.number() as u16));
            let to = (events.node(), InPort(events.number() as u16));
            let name = events.read_name();
            let size_bytes = events.number() as u32;
            let checksum = events.checksum();
            let protocol = events.read_protocol();
            let message_kind = super::message_kind_of(events.number());
            let correlation = if events.byte() == 1 { Some(events.number()) } else { None };
            let queue_depth = events.number() as u32;
            let waited_ns = events.number();
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
        BLOCKED => {
            let from = (events.node(), OutPort(events.number() as u16));
            EventKind::Blocked { from, to: (events.node(), InPort(events.number() as u16)) }
        }
        DELIVER => EventKind::Deliver { node: events.node(), port: InPort(events.number() as u16) },
        ACK => EventKind::Ack { node: events.node(), origin: events.node() },
        NACK => EventKind::Nack {
            node: events.node(),
            origin: events.node(),
            reason: events.read_reason(),
            permanent: events.number() == 1,
        },
        TIMER => EventKind::Timer { node: events.node(), timer: TimerId(events.number()) },
        EXPORT => EventKind::Export { node: events.node() },
        CONSUME => EventKind::Consume { node: events.node() },
        DROP => EventKind::Drop { node: events.node(), reason: events.read_reason() },
        FAULT => EventKind::Fault { node: events.node(), reason: events.read_reason() },
        REJECT => {
            EventKind::Reject { node: events.node(), reason: events.read_reason(), permanent: events.number() == 1 }
        }
        DISCARD => EventKind::Discard { node: events.node(), reason: events.read_reason() },
        LOSE => EventKind::Lose { node: events.node(), reason: events.read_reason() },
        BATCH => EventKind::Batch { node: events.node() },
        LIFECYCLE => EventKind::Lifecycle {
            node: events.node(),
            phase: match events.byte() {
                1 => Phase::Stop,
                2 => Phase::Crash,
                3 => Phase::Restart,
                _ => Phase::Start,
            },
        },
        other => unreachable!("the spilled form wrote no event code {other}"),
    };
    TraceEvent { seq, at: VirtualTime(at), parent, message: MessageId(message), trace_id: TraceId(trace_id), kind }
}
