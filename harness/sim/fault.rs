//! Injected faults: what a scenario's `[[fault]]` entries declare, and the
//! plan the engine consults, resolved against one topology.
//!
//! Every fault acts on the virtual clock, inside a window (`from`, `until`),
//! on each message it may touch with a probability drawn from its own
//! seeded stream. That stream is forked from the run's seed, not drawn from
//! the engine's rng, so declaring a fault never changes the latency draws
//! or tie-breaks of the rest of the run, and a run with no fault draws
//! nothing at all.

use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

use crate::model::{Nanos, NodeId, SimRng, VirtualTime};
use crate::net::{normalized_edge, Latency, Topology};

/// One declared fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What it does.
    pub kind: FaultKind,
    /// The node (`"x"`) or edge (`"x.out -> y.in"`) it acts on.
    pub target: String,
    /// When it acts: from this virtual time (a crash happens then).
    pub from: Nanos,
    /// Until this virtual time (exclusive); `None` for the rest of the run.
    pub until: Option<Nanos>,
    /// The chance that it touches each message in its window (1 for all).
    pub probability: f64,
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Messages sent on the edge are lost.
    Drop,
    /// Messages sent on the edge take this much longer to arrive.
    Delay(Latency),
    /// Messages sent on the edge arrive twice: the copy is a new message.
    Duplicate,
    /// Messages sent on the edge are held back this long, so that what is
    /// sent after them overtakes them.
    Reorder(Latency),
    /// The edge is cut: everything sent on it in the window is lost.
    Partition,
    /// The node crashes at `from` and restarts after `restart_after`
    /// (never, if `None`); its mailbox is lost or kept.
    Crash {
        /// Downtime, if it restarts.
        restart_after: Option<Nanos>,
        /// Whether what is queued at the node survives the crash.
        keep_mailbox: bool,
    },
    /// The node refuses (NACKs) every message handed to it in the window.
    Outage {
        /// The NACK reason.
        reason: Arc<str>,
        /// Whether the NACKs say retrying cannot help.
        permanent: bool,
    },
    /// The node's clock is off by this many nanoseconds (negative: behind):
    /// it reads `now` shifted, and its timers fire shifted (never before
    /// they were set).
    Skew(i64),
}

impl Fault {
    /// Whether `now` is in the fault's window.
    pub fn active_at(&self, now: VirtualTime) -> bool {
        self.from.0 <= now.0 && self.until.is_none_or(|until| now.0 < until.0)
    }

    /// For a crash, when its node is down (virtual ns): from the crash to
    /// the restart, or for good.
    fn downtime(&self) -> Option<Range<u64>> {
        match self.kind {
            FaultKind::Crash { restart_after, .. } => {
                Some(self.from.0..restart_after.map_or(u64::MAX, |after| self.from.0.saturating_add(after.0)))
            }
            _ => None,
        }
    }

    /// Whether both are crashes whose downtimes overlap: two such crashes
    /// of one node may not both be declared.
    pub(crate) fn downtime_overlaps(&self, other: &Fault) -> bool {
        match (self.downtime(), other.downtime()) {
            (Some(a), Some(b)) => a.start < b.end && b.start < a.end,
            _ => false,
        }
    }
}

impl FaultKind {
    /// The kind's name as written in scenarios, traces and summaries.
    pub fn label(&self) -> &'static str {
        match self {
            FaultKind::Drop => "drop",
            FaultKind::Delay(_) => "delay",
            FaultKind::Duplicate => "duplicate",
            FaultKind::Reorder(_) => "reorder",
            FaultKind::Partition => "partition",
            FaultKind::Crash { .. } => "crash",
            FaultKind::Outage { .. } => "outage",
            FaultKind::Skew(_) => "skew",
        }
    }

    /// Whether it acts on an edge (else on a node).
    pub fn on_edge(&self) -> bool {
        matches!(
            self,
            FaultKind::Drop | FaultKind::Delay(_) | FaultKind::Duplicate | FaultKind::Reorder(_) | FaultKind::Partition
        )
    }
}

/// A fault that cannot be applied to the network, with its position in
/// the list it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fault {} ({kind} {target}): {problem}", index + 1)]
pub struct FaultError {
    /// Index of the fault in the list given.
    pub index: usize,
    /// Its kind.
    pub kind: &'static str,
    /// Its target as written.
    pub target: String,
    /// The key the problem is with (`node`, `edge`, `until`, `p`, `by`).
    pub key: &'static str,
    /// What is wrong.
    pub problem: String,
}

/// What one fault did in a run: part of the [`RunSummary`](crate::RunSummary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultSummary {
    /// Its kind.
    pub kind: &'static str,
    /// The node or edge it acted on.
    pub target: String,
    /// How many times it acted (per message, per crash, per timer a skew shifted).
    pub applied: u64,
    /// How many messages it touched.
    pub messages: u64,
}

/// What the faults on an edge do to one send.
#[derive(Debug, Default)]
pub(crate) struct EdgeVerdict {
    /// The fault that loses the message, if one does.
    pub(crate) lost_to: Option<usize>,
    /// Faults that delay it (delay, reorder), with the total added transit.
    pub(crate) delayed_by: Vec<usize>,
    pub(crate) extra: Nanos,
    /// The fault that duplicates it, if one does.
    pub(crate) duplicated_by: Option<usize>,
}

/// The faults of one run, indexed for the engine.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    faults: Vec<Fault>,
    /// Per connector: the edge faults on it.
    edges: Vec<Vec<usize>>,
    /// Per node: its outages.
    outages: Vec<Vec<usize>>,
    /// Per node: its skews.
    skews: Vec<Vec<usize>>,
    /// Crashes, as (fault, node).
    pub(crate) crashes: Vec<(usize, NodeId)>,
    rng: Option<SimRng>,
    summary: Vec<FaultSummary>,
}

/// Salt for the fault stream, so that it differs from the engine's.
const FAULT_STREAM: u64 = 0xfa17_5eed_0000_0001;

impl FaultPlan {
    /// Resolves `faults` against `topology`. `sync_only(node)` says whether
    /// a node runs a synchronous actor: crash and skew need one, since async
    /// actors share tokio's clock and their handlers cannot be cut short.
    pub(crate) fn resolve(
        faults: Vec<Fault>,
        topology: &Topology,
        sync_only: impl Fn(NodeId) -> bool,
        seed: u64,
    ) -> Result<FaultPlan, FaultError> {
        if faults.is_empty() {
            return Ok(FaultPlan::default());
        }
        let nodes = topology.nodes.len();
        let mut plan = FaultPlan {
            edges: vec![Vec::new(); topology.connectors.len()],
            outages: vec![Vec::new(); nodes],
            skews: vec![Vec::new(); nodes],
            rng: Some(SimRng::seed_from(seed ^ FAULT_STREAM)),
            ..FaultPlan::default()
        };
        for (index, fault) in faults.iter().enumerate() {
            let error = |key: &'static str, problem: String| FaultError {
                index,
                kind: fault.kind.label(),
                target: fault.target.clone(),
                key,
                problem,
            };
            if let Some(until) = fault.until.filter(|until| *until <= fault.from) {
                return Err(error("until", format!("`until` {until} ends before it starts (`from` {})", fault.from)));
            }
            if !(0.0..=1.0).contains(&fault.probability) || fault.probability.is_nan() {
                return Err(error("p", format!("`p` must be between 0 and 1, not {}", fault.probability)));
            }
            if let FaultKind::Delay(latency) | FaultKind::Reorder(latency) = &fault.kind {
                if let Some(problem) = latency.problem() {
                    return Err(error("by", format!("`by`: {problem}")));
                }
            }
            if fault.kind.on_edge() {
                let connector = find_edge(topology, &fault.target).map_err(|e| error("edge", e))?;
                plan.edges[connector].push(index);
                continue;
            }
            let node = find_node(topology, &fault.target).map_err(|e| error("node", e))?;
            match &fault.kind {
                FaultKind::Crash { .. } | FaultKind::Skew(_) if !sync_only(node) => {
                    return Err(error(
                        "node",
                        format!(
                            "{} runs async code, which shares tokio's one clock and cannot be cut short: \
                         crash and skew apply to synchronous actors only",
                            fault.target
                        ),
                    ));
                }
                FaultKind::Crash { .. } => {
                    let overlap =
                        plan.crashes.iter().find(|(other, on)| *on == node && fault.downtime_overlaps(&faults[*other]));
                    if let Some((other, _)) = overlap {
                        return Err(error(
                            "node",
                            format!("it crashes {} while it is down from fault {}", fault.target, other + 1),
                        ));
                    }
                    plan.crashes.push((index, node));
                }
                FaultKind::Outage { .. } => plan.outages[node.index()].push(index),
                FaultKind::Skew(_) => plan.skews[node.index()].push(index),
                _ => unreachable!("edge faults are handled above"),
            }
        }
        plan.summary = faults
            .iter()
            .map(|f| FaultSummary { kind: f.kind.label(), target: f.target.clone(), applied: 0, messages: 0 })
            .collect();
        plan.faults = faults;
        Ok(plan)
    }

    /// Whether any fault is declared: with none, the engine skips every check.
    #[inline]
    pub(crate) fn any(&self) -> bool {
        !self.faults.is_empty()
    }

    /// The declared fault `index`.
    pub(crate) fn fault(&self, index: usize) -> &Fault {
        &self.faults[index]
    }

    /// Whether fault `index` is in its window at `now` and, drawn from the
    /// fault stream, touches this message.
    fn strikes(&mut self, index: usize, now: VirtualTime) -> bool {
        let fault = &self.faults[index];
        if !fault.active_at(now) {
            return false;
        }
        if fault.probability >= 1.0 {
            return true;
        }
        let rng = self.rng.as_mut().expect("a plan with faults has a fault stream");
        rng.unit() < fault.probability
    }

    /// What the faults on `connector` do to a message sent on it now.
    pub(crate) fn on_send(&mut self, connector: usize, now: VirtualTime) -> EdgeVerdict {
        let mut verdict = EdgeVerdict::default();
        let Some(faults) = self.edges.get(connector).filter(|f| !f.is_empty()) else { return verdict };
        for index in faults.clone() {
            if !self.strikes(index, now) {
                continue;
            }
            match &self.faults[index].kind {
                FaultKind::Drop | FaultKind::Partition => {
                    verdict.lost_to.get_or_insert(index);
                }
                FaultKind::Delay(by) | FaultKind::Reorder(by) => {
                    let by = *by;
                    let rng = self.rng.as_mut().expect("a plan with faults has a fault stream");
                    verdict.extra = Nanos(verdict.extra.0.saturating_add(by.sample(rng).0));
                    verdict.delayed_by.push(index);
                }
                FaultKind::Duplicate => {
                    verdict.duplicated_by.get_or_insert(index);
                }
                _ => {}
            }
        }
        verdict
    }

    /// The outage `node` is in at `now`, if any, checked for each message.
    pub(crate) fn outage(&mut self, node: NodeId, now: VirtualTime) -> Option<usize> {
        let outages = self.outages.get(node.index()).filter(|o| !o.is_empty())?.clone();
        outages.into_iter().find(|&index| self.strikes(index, now))
    }

    /// How far `node`'s clock is off at `now`, in nanoseconds.
    pub(crate) fn skew(&self, node: NodeId, now: VirtualTime) -> i64 {
        let Some(skews) = self.skews.get(node.index()) else { return 0 };
        skews
            .iter()
            .map(|&index| &self.faults[index])
            .filter(|f| f.active_at(now))
            .map(|f| match f.kind {
                FaultKind::Skew(by) => by,
                _ => 0,
            })
            .sum()
    }

    /// Counts a timer that `node`'s skews at `now` shifted.
    pub(crate) fn tally_skew(&mut self, node: NodeId, now: VirtualTime) {
        let Some(skews) = self.skews.get(node.index()) else { return };
        for &index in skews {
            if self.faults[index].active_at(now) {
                self.summary[index].applied += 1;
            }
        }
    }

    /// Counts one application of fault `index` touching `messages` messages.
    pub(crate) fn tally(&mut self, index: usize, messages: u64) {
        let entry = &mut self.summary[index];
        entry.applied += 1;
        entry.messages += messages;
    }

    /// What each fault did, in declaration order.
    pub(crate) fn summary(&self) -> Vec<FaultSummary> {
        self.summary.clone()
    }
}

/// The connector written `from -> to`.
fn find_edge(topology: &Topology, target: &str) -> Result<usize, String> {
    let edges = || (0..topology.connectors.len()).map(|c| topology.edge_name(c));
    let Some(written) = normalized_edge(target) else {
        return Err(format!("an edge is written \"node.port -> node.port\", not {target:?}"));
    };
    edges().position(|edge| edge == written).ok_or_else(|| {
        let known: Vec<String> = edges().collect();
        format!("no edge {written} in the network (edges: {})", known.join(", "))
    })
}

/// The node named `target`.
fn find_node(topology: &Topology, target: &str) -> Result<NodeId, String> {
    topology.nodes.iter().position(|n| &*n.name == target).map(|i| NodeId(i as u32)).ok_or_else(|| {
        let known: Vec<&str> = topology.nodes.iter().map(|n| &*n.name).collect();
        format!("no node {target:?} in the network (nodes: {})", known.join(", "))
    })
}
