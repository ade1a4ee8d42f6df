//! The run summary: what a run did, in numbers, and what it left unfinished.

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::TieBreak;
use super::fault::FaultSummary;

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every workload was injected, everything drained and every node shut down.
    Completed,
    /// The virtual-time limit was reached.
    MaxTime,
    /// The event limit was reached.
    MaxEvents,
    /// Async handlers were still waiting with nothing left that could wake them.
    Stalled,
}

/// A message still alive when the run ended, and where it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InFlight {
    /// Message id.
    pub message: u64,
    /// Where it was: `in transit to x.in`, `queued at x`, `blocked at a.out -> b.in`, `held by x`.
    pub location: String,
}

/// A message exported after the deadline a `deadline` node stamped on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LateExport {
    /// Message id.
    pub message: u64,
    /// Its deadline, virtual ns.
    pub deadline_ns: u64,
    /// When it was exported, virtual ns.
    pub at_ns: u64,
}

/// Message and byte counts of one connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgeSummary {
    /// `node.port` it leaves.
    pub from: String,
    /// `node.port` it enters.
    pub to: String,
    /// Messages sent across it.
    pub messages: u64,
    /// Bytes sent across it.
    pub bytes: u64,
    /// Sends that had to wait for room at the destination.
    pub blocked: u64,
}

impl EdgeSummary {
    /// The edge as faults and `[expect]` name it: `a.out -> b.in`.
    pub fn label(&self) -> String {
        crate::net::edge_label(&self.from, &self.to)
    }
}

/// Per-node counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeSummary {
    /// Node id.
    pub node: String,
    /// Node kind.
    pub kind: String,
    /// Messages its handler received.
    pub delivered: u64,
    /// ACKs it received as a subscriber.
    pub acks: u64,
    /// NACKs it received as a subscriber.
    pub nacks: u64,
    /// Largest number of messages in transit to or queued at it.
    pub max_queue: u32,
    /// Virtual time its sends spent waiting for room downstream (backpressure).
    pub blocked_ns: u64,
}

/// What a run did.
///
/// `terminal` maps each terminal state (`exported`, `dropped`, `nacked`,
/// `consumed`, `discarded`, `lost`, `batched`, `in_flight`) to a count; conservation means those counts add
/// up to `injected + created`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// The seed.
    pub seed: u64,
    /// The tie-break rule.
    pub tie_break: TieBreak,
    /// Messages injected by receivers.
    pub injected: u64,
    /// Messages created by actors.
    pub created: u64,
    /// Handler deliveries over connectors.
    pub delivered: u64,
    /// Terminal state → count.
    pub terminal: BTreeMap<&'static str, u64>,
    /// `dropped` / `nacked` / `discarded` / `lost` → reason → count.
    pub reasons: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// The first messages still in flight (at most [`RunSummary::IN_FLIGHT_LISTED`]).
    pub in_flight: Vec<InFlight>,
    /// Per-connector counts, in declaration order.
    pub edges: Vec<EdgeSummary>,
    /// Per-node counts, in declaration order.
    pub nodes: Vec<NodeSummary>,
    /// Scheduler events processed.
    pub events: u64,
    /// Virtual time when the run ended, in nanoseconds.
    pub end_time_ns: u64,
    /// Why it ended.
    pub stopped_by: StopReason,
    /// What each injected fault did, in declaration order (empty with none).
    pub faults: Vec<FaultSummary>,
    /// Messages exported after their deadline (the first
    /// [`RunSummary::IN_FLIGHT_LISTED`]): an exporter that held them too long.
    pub late_exports: Vec<LateExport>,
    /// Broken invariants (a message ending twice); empty in a sound run.
    pub violations: Vec<String>,
}

impl RunSummary {
    /// How many in-flight messages are listed by id at most.
    pub const IN_FLIGHT_LISTED: usize = 1000;

    /// Whether every message is accounted for exactly once. A message still
    /// in flight counts as accounted for, so a run cut short conserves too:
    /// see [`RunSummary::drained`].
    pub fn conserved(&self) -> bool {
        self.violations.is_empty() && self.terminal.values().sum::<u64>() == self.injected + self.created
    }

    /// Whether no message was left in flight. With [`RunSummary::conserved`],
    /// every message ended exactly once.
    pub fn drained(&self) -> bool {
        self.terminal.get("in_flight").copied().unwrap_or(0) == 0
    }
}
