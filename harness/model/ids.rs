//! Identifiers: messages, traces, nodes and ports.
//!
//! Node and port ids are dense indices assigned when a topology is built (in
//! declaration order), so they index plain vectors on the hot path; names are
//! kept in the topology for printing.

use std::fmt;

/// A message's id: assigned deterministically, in injection (or creation)
/// order, starting at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub u64);

impl MessageId {
    /// The id of a message that an actor created but the engine has not yet
    /// numbered; it receives the next id when it is first sent.
    pub const UNASSIGNED: MessageId = MessageId(0);
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A trace id (elfo's `t`): everything sent while handling a message inherits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TraceId(pub u64);

/// A node's index in its topology (declaration order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The index as a `usize`, for indexing per-node tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An input port of a node: its index among the node's declared inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InPort(pub u16);

impl InPort {
    /// The port a receiver's injected messages arrive on (receivers declare
    /// no inputs).
    pub const INJECT: InPort = InPort(u16::MAX);
}

/// An output port of a node: its index among the node's declared outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutPort(pub u16);

/// One step of a message's return path: the node that subscribed to the
/// message's ACK/NACK and the input port the message arrived on there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hop {
    /// The subscribing node.
    pub node: NodeId,
    /// The input port the message reached that node on.
    pub port: InPort,
}
