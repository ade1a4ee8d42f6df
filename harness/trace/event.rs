//! Trace events: the record of everything that moves in a run.

use std::sync::Arc;

use crate::model::{Body, InPort, MessageId, MessageKind, Name, NodeId, OutPort, TraceId, VirtualTime};
use crate::net::TimerId;

/// One thing that happened, at a virtual instant.
///
/// Every event has a sequence number (its position in the trace), the message
/// it concerns, and the sequence number of the event that caused it, so
/// lineage can be walked both ways.
///
/// An event carries the message's interned names by value (a pointer each)
/// and borrows its body: the engine builds it on the stack and hands it to
/// the recorder, which copies (or shares, by cloning an `Arc`) only what it
/// keeps. Building an event therefore costs no allocation and no atomic
/// operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceEvent<'a> {
    /// Position in the trace, from 0.
    pub seq: u64,
    /// When it happened.
    pub at: VirtualTime,
    /// The event that caused this one.
    pub parent: Option<u64>,
    /// The message concerned (0 for node lifecycle and timer events).
    pub message: MessageId,
    /// Its trace id.
    pub trace_id: TraceId,
    /// What happened.
    pub kind: EventKind<'a>,
}

/// The kinds of trace event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventKind<'a> {
    /// A receiver injected a new message.
    Inject {
        /// The receiver.
        node: NodeId,
        /// Message name.
        name: Name,
        /// Size in bytes.
        size_bytes: u32,
        /// Body checksum.
        checksum: u64,
        /// The body (shared, not copied).
        body: &'a Body,
        /// How long the injection waited behind backpressure.
        waited_ns: u64,
    },
    /// A message entered a connector.
    Send {
        /// Source node and port.
        from: (NodeId, OutPort),
        /// Destination node and port.
        to: (NodeId, InPort),
        /// Message name.
        name: Name,
        /// Size in bytes.
        size_bytes: u32,
        /// Body checksum.
        checksum: u64,
        /// The body (shared, not copied), for analyses that compare bodies.
        body: &'a Body,
        /// Protocol (elfo `mp`).
        protocol: Name,
        /// Message kind (elfo `mk`).
        message_kind: MessageKind,
        /// Correlation id (elfo `c`).
        correlation: Option<u64>,
        /// Messages in transit to or queued at the destination, this one included.
        queue_depth: u32,
        /// How long the sender waited for room (backpressure).
        waited_ns: u64,
    },
    /// A send found the destination's mailbox full: the sender waits.
    Blocked {
        /// Source node and port.
        from: (NodeId, OutPort),
        /// Destination node and port.
        to: (NodeId, InPort),
    },
    /// A node's handler received a message.
    Deliver {
        /// The node.
        node: NodeId,
        /// The input port.
        port: InPort,
    },
    /// A subscriber received an ACK.
    Ack {
        /// The subscriber.
        node: NodeId,
        /// The node that acknowledged.
        origin: NodeId,
    },
    /// A subscriber received a NACK.
    Nack {
        /// The subscriber.
        node: NodeId,
        /// The node that refused.
        origin: NodeId,
        /// Why.
        reason: &'a Arc<str>,
        /// Whether retrying cannot help.
        permanent: bool,
    },
    /// A timer fired.
    Timer {
        /// The node.
        node: NodeId,
        /// The timer.
        timer: TimerId,
    },
    /// Terminal: an exporter accepted the message.
    Export {
        /// The exporter.
        node: NodeId,
    },
    /// Terminal: the message was dropped on purpose.
    Drop {
        /// The node that dropped it.
        node: NodeId,
        /// Why.
        reason: &'a Arc<str>,
    },
    /// Terminal: a node refused the message (its subscribers get a NACK).
    Reject {
        /// The refusing node.
        node: NodeId,
        /// Why.
        reason: &'a Arc<str>,
        /// Whether retrying cannot help.
        permanent: bool,
    },
    /// Terminal: an actor absorbed the message.
    Consume {
        /// The node.
        node: NodeId,
    },
    /// Terminal: a sampling processor left the message out (reason `sampling`).
    Discard {
        /// The node.
        node: NodeId,
        /// Why.
        reason: &'a Arc<str>,
    },
    /// Terminal: an injected fault lost the message (a drop, a partition, a
    /// crash that lost a mailbox).
    Lose {
        /// The node it was last at (the sender, for a loss on an edge).
        node: NodeId,
        /// Which fault.
        reason: &'a Arc<str>,
    },
    /// Terminal: the message was merged into a batch, a new message that
    /// answers for it.
    Batch {
        /// The batching node.
        node: NodeId,
    },
    /// An injected fault (an outage, a scheduled failure) hit a node while
    /// it handled the message.
    Fault {
        /// The node.
        node: NodeId,
        /// What the fault was.
        reason: &'a Arc<str>,
    },
    /// A node started or stopped.
    Lifecycle {
        /// The node.
        node: NodeId,
        /// What happened to it.
        phase: Phase,
    },
}

/// A node lifecycle step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Started, before any message.
    Start,
    /// Shut down at the end of the run.
    Stop,
    /// Crashed by an injected fault.
    Crash,
    /// Started again after a crash.
    Restart,
}

impl EventKind<'_> {
    /// The event's name as written in traces: `inject`, `send`, ….
    pub fn label(&self) -> &'static str {
        match self {
            EventKind::Inject { .. } => "inject",
            EventKind::Send { .. } => "send",
            EventKind::Blocked { .. } => "blocked",
            EventKind::Deliver { .. } => "deliver",
            EventKind::Ack { .. } => "ack",
            EventKind::Nack { .. } => "nack",
            EventKind::Timer { .. } => "timer",
            EventKind::Export { .. } => "export",
            EventKind::Drop { .. } => "drop",
            EventKind::Reject { .. } => "reject",
            EventKind::Consume { .. } => "consume",
            EventKind::Discard { .. } => "discard",
            EventKind::Lose { .. } => "lose",
            EventKind::Batch { .. } => "batch",
            EventKind::Fault { .. } => "fault",
            EventKind::Lifecycle { .. } => "lifecycle",
        }
    }

    /// The node where it happened: the sender for sends and blocked sends,
    /// else the node the event names.
    pub fn node(&self) -> NodeId {
        match *self {
            EventKind::Send { from, .. } | EventKind::Blocked { from, .. } => from.0,
            EventKind::Inject { node, .. }
            | EventKind::Deliver { node, .. }
            | EventKind::Ack { node, .. }
            | EventKind::Nack { node, .. }
            | EventKind::Timer { node, .. }
            | EventKind::Export { node }
            | EventKind::Drop { node, .. }
            | EventKind::Reject { node, .. }
            | EventKind::Consume { node }
            | EventKind::Discard { node, .. }
            | EventKind::Lose { node, .. }
            | EventKind::Batch { node }
            | EventKind::Fault { node, .. }
            | EventKind::Lifecycle { node, .. } => node,
        }
    }

    /// Whether this event ends a message's life.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            EventKind::Export { .. }
                | EventKind::Drop { .. }
                | EventKind::Reject { .. }
                | EventKind::Consume { .. }
                | EventKind::Discard { .. }
                | EventKind::Lose { .. }
                | EventKind::Batch { .. }
        )
    }
}
