//! Control signals: ACK, NACK, TIMER, CONFIG and SHUTDOWN.
//!
//! ACK and NACK travel back along the path a message came, but only to the
//! nodes that subscribed to that message (see [`Context::subscribe`]); nodes
//! with no interest are skipped. A subscriber receives a [`Receipt`] and
//! decides whether to pass it further upstream.
//!
//! [`Context::subscribe`]: crate::Context::subscribe

use std::sync::Arc;

use crate::model::{InPort, MessageId, Name, NodeId, ReturnPath, TraceId};

/// A timer's id, unique within a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(pub u64);

/// What a subscriber learns when a message it subscribed to is acknowledged.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The acknowledged message.
    pub message: MessageId,
    /// Its trace id.
    pub trace_id: TraceId,
    /// Its name.
    pub name: Name,
    /// The node that issued the ACK or NACK.
    pub origin: NodeId,
    /// The input port the message reached this subscriber on.
    pub port: InPort,
    /// The subscribers further upstream, innermost last.
    pub(crate) upstream: ReturnPath,
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NackReason {
    /// A short reason, e.g. `outage`.
    pub reason: Arc<str>,
    /// True when retrying cannot help.
    pub permanent: bool,
}

/// A control signal delivered to a node's [`Actor::on_signal`](crate::Actor::on_signal).
#[derive(Debug, Clone)]
pub enum Signal {
    /// A message this node subscribed to was accepted downstream.
    Ack(Receipt),
    /// A message this node subscribed to was refused downstream.
    Nack(Receipt, NackReason),
    /// A timer this node set has fired.
    Timer(TimerId),
    /// New configuration for this node.
    Config(serde_json::Value),
    /// The run is ending: flush anything held. Receivers get it first, then the
    /// other nodes in topological order, each after everything upstream drained.
    Shutdown,
}
