//! Metrics computed from a trace: what moved where, how long it took in
//! virtual time, how deep queues got, and what failed.
//!
//! They are computed from [`TraceLine`]s, so a live run (through
//! [`MetricsRecorder`]) and a trace file read back give the same report.
//! The report shares its shape with a dump's where the two overlap: `lines`,
//! `first_ts` / `last_ts` (virtual nanoseconds here) and `groups` (one per
//! node: `in` = deliveries to it, `out` = sends from it, per message name).

use std::collections::{BTreeMap, VecDeque};

use compact_str::CompactString;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::dump::{GroupCounts, LatencySummary};
use crate::net::Topology;

use super::event::TraceEvent;
use super::line::{Names, TraceLine};
use super::recorder::{Recorder, RecorderReport};
use super::redact::BodyCapture;

/// Messages and bytes that crossed one edge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EdgeCounts {
    /// Sends.
    pub messages: u64,
    /// Their sizes, summed.
    pub bytes: u64,
}

/// A failure, as the report lists the last few.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The event's `seq`.
    pub seq: u64,
    /// Virtual nanoseconds.
    pub t_ns: u64,
    /// `nack`, `drop`, `reject` or `fault`.
    pub event: String,
    /// Where it happened.
    pub node: String,
    /// The message.
    pub msg: u64,
    /// Why.
    pub reason: String,
}

/// Counts of one outcome, in all and by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReasonCounts {
    /// In all.
    pub total: u64,
    /// By reason.
    pub reasons: BTreeMap<String, u64>,
}

impl ReasonCounts {
    fn add(&mut self, reason: Option<&str>) {
        self.total += 1;
        let reason = reason.unwrap_or("");
        match self.reasons.get_mut(reason) {
            Some(n) => *n += 1,
            None => {
                self.reasons.insert(reason.to_string(), 1);
            }
        }
    }
}

/// The metrics report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TraceMetrics {
    /// Events read.
    pub lines: u64,
    /// Events by kind.
    pub events: BTreeMap<String, u64>,
    /// Time of the first event (virtual nanoseconds).
    pub first_ts: Option<u64>,
    /// Time of the last event.
    pub last_ts: Option<u64>,
    /// Per node: deliveries in, sends out, per message name with bytes.
    pub groups: BTreeMap<CompactString, GroupCounts>,
    /// Per edge (`from.port -> to.port`): messages and bytes.
    pub edges: BTreeMap<String, EdgeCounts>,
    /// Per node: the deepest its queue got (messages in transit to or
    /// waiting at it, as seen by each send).
    pub max_queue: BTreeMap<String, u32>,
    /// Send → deliver, per hop, in virtual nanoseconds.
    pub send_to_deliver_ns: LatencySummary,
    /// Inject → export, from a trace's injection to each export in it.
    pub inject_to_export_ns: LatencySummary,
    /// ACKs.
    pub acks: u64,
    /// NACKs by reason.
    pub nacks: ReasonCounts,
    /// Drops by reason.
    pub drops: ReasonCounts,
    /// Rejections by reason.
    pub rejects: ReasonCounts,
    /// Injected faults by reason.
    pub faults: ReasonCounts,
    /// The last [`MetricsBuilder::FAILURES`] failures, oldest first.
    pub last_failures: Vec<Failure>,
}

/// Builds [`TraceMetrics`] one line at a time.
#[derive(Debug, Default)]
pub struct MetricsBuilder {
    metrics: TraceMetrics,
    /// Send time by the send's `seq`.
    sent_at: FxHashMap<u64, u64>,
    injected_at: FxHashMap<u64, u64>,
    hops: Vec<u64>,
    journeys: Vec<u64>,
    failures: VecDeque<Failure>,
}

impl MetricsBuilder {
    /// How many failures the report lists.
    pub const FAILURES: usize = 10;

    /// Takes one event.
    pub fn add(&mut self, line: &TraceLine<'_>) {
        let m = &mut self.metrics;
        m.lines += 1;
        *m.events.entry(line.event.to_string()).or_default() += 1;
        m.first_ts = Some(m.first_ts.map_or(line.t_ns, |t| t.min(line.t_ns)));
        m.last_ts = Some(m.last_ts.map_or(line.t_ns, |t| t.max(line.t_ns)));
        let node = line.place().unwrap_or_default();
        let name = line.name.as_deref().unwrap_or_default();
        let size = u64::from(line.size.unwrap_or(0));
        match &*line.event {
            "inject" => {
                self.injected_at.entry(line.trace).or_insert(line.t_ns);
            }
            "send" => {
                let group = m.groups.entry(node.into()).or_default();
                group.outbound += 1;
                let counts = group.messages.entry(name.into()).or_default();
                counts.outbound += 1;
                counts.bytes += size;
                if let Some((from, to)) = line.edge() {
                    let edge = m.edges.entry(crate::net::edge_label(from, to)).or_default();
                    edge.messages += 1;
                    edge.bytes += size;
                    let queue = m.max_queue.entry(Names::node_of(to).to_string()).or_default();
                    *queue = (*queue).max(line.q.unwrap_or(0));
                }
                self.sent_at.insert(line.seq, line.t_ns);
            }
            "deliver" => {
                let group = m.groups.entry(node.into()).or_default();
                group.inbound += 1;
                // A delivery's parent is the send it ends.
                if let Some(sent) = line.parent.and_then(|send| self.sent_at.remove(&send)) {
                    self.hops.push(line.t_ns.saturating_sub(sent));
                }
            }
            "export" => {
                if let Some(&injected) = self.injected_at.get(&line.trace) {
                    self.journeys.push(line.t_ns.saturating_sub(injected));
                }
            }
            "ack" => m.acks += 1,
            _ => {}
        }
        let counts = match &*line.event {
            "nack" => &mut m.nacks,
            "drop" => &mut m.drops,
            "reject" => &mut m.rejects,
            "fault" => &mut m.faults,
            _ => return,
        };
        counts.add(line.reason.as_deref());
        if self.failures.len() == Self::FAILURES {
            self.failures.pop_front();
        }
        self.failures.push_back(Failure {
            seq: line.seq,
            t_ns: line.t_ns,
            event: line.event.to_string(),
            node: node.to_string(),
            msg: line.msg,
            reason: line.reason.as_deref().unwrap_or_default().to_string(),
        });
    }

    /// The report so far.
    pub fn finish(mut self) -> TraceMetrics {
        self.metrics.send_to_deliver_ns = LatencySummary::of(&mut self.hops);
        self.metrics.inject_to_export_ns = LatencySummary::of(&mut self.journeys);
        self.metrics.last_failures = self.failures.into();
        self.metrics
    }
}

/// Computes metrics from a live run: every event it sees, whatever a
/// sampler beside it keeps.
pub struct MetricsRecorder {
    names: Names,
    builder: MetricsBuilder,
}

impl MetricsRecorder {
    /// Metrics for a run of `topology`.
    pub fn new(topology: &Topology) -> MetricsRecorder {
        MetricsRecorder { names: Names::new(topology), builder: MetricsBuilder::default() }
    }

    /// The report.
    pub fn finish(self) -> TraceMetrics {
        self.builder.finish()
    }
}

impl Recorder for MetricsRecorder {
    fn record(&mut self, event: &TraceEvent<'_>) {
        self.builder.add(&TraceLine::of(event, &self.names, &BodyCapture::default()));
    }

    fn report(&self) -> RecorderReport {
        RecorderReport { recorded: self.builder.metrics.lines, ..RecorderReport::default() }
    }
}
