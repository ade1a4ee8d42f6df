//! Watches a replay's trace as it is recorded: keeps each group's sends for
//! the verdict and, when asked, re-captures the traffic as dump records. It
//! holds nothing else, so a long replay does not keep its whole trace.

use std::collections::BTreeMap;
use std::rc::Rc;

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::dump::{Direction, DumpRecord, RawBody};
use crate::model::MessageId;
use crate::net::Topology;
use crate::trace::{EventKind, Recorder, TraceEvent};

use super::plan::Plan;
use super::verdict::{self, Actual, GroupVerdict, Status, Verdict};
use super::EMIT_KIND_PREFIX;

/// What a node of the replay network stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// A group of the dump.
    Group,
    /// The inlet that hands a group the sends it made with no recorded cause.
    Emitter,
    /// An inlet of outside inputs, or the sink for sends nobody received.
    Other,
}

/// The replay's recorder.
pub(super) struct Capture {
    plan: Rc<Plan>,
    /// Node names by node id, and what each node is.
    nodes: Vec<(CompactString, Part)>,
    /// The last `Out` recaptured: a stub sends one copy per receiver of a
    /// single recorded send, and those copies make one `Out`.
    last_out: Option<(CompactString, u64, u64, std::sync::Arc<str>, u64)>,
    recapture: bool,
    sent: BTreeMap<CompactString, Vec<Actual>>,
    recaptured: Vec<DumpRecord>,
    /// Sends on their way, to become `In` records when delivered.
    in_transit: FxHashMap<MessageId, DumpRecord>,
    seqs: FxHashMap<CompactString, u64>,
}

impl Capture {
    pub(super) fn new(plan: Rc<Plan>, topology: &Topology, recapture: bool) -> Capture {
        let nodes = topology
            .nodes
            .iter()
            .map(|n| {
                let name = CompactString::from(&*n.name);
                let part = if plan.groups.contains_key(&name) {
                    Part::Group
                } else if n.kind.starts_with(EMIT_KIND_PREFIX) {
                    Part::Emitter
                } else {
                    Part::Other
                };
                (name, part)
            })
            .collect();
        Capture {
            plan,
            nodes,
            last_out: None,
            recapture,
            sent: BTreeMap::new(),
            recaptured: Vec::new(),
            in_transit: FxHashMap::default(),
            seqs: FxHashMap::default(),
        }
    }

    fn next_seq(&mut self, group: &CompactString) -> u64 {
        let seq = self.seqs.entry(group.clone()).or_default();
        *seq += 1;
        *seq
    }

    fn node_number(&self, group: &CompactString) -> u16 {
        self.plan.groups.get(group).map_or(1, |g| g.node_number)
    }

    /// The verdict per group, and the re-captured records.
    pub(super) fn finish(mut self) -> (Verdict, Vec<DumpRecord>) {
        let groups: BTreeMap<String, GroupVerdict> = self
            .plan
            .groups
            .iter()
            .map(|(group, plan)| {
                let sent = self.sent.remove(group).unwrap_or_default();
                (group.to_string(), verdict::judge(&plan.expected, &sent))
            })
            .collect();
        let equal = groups.values().all(|g| g.status == Status::Equal);
        (Verdict { equal, groups }, self.recaptured)
    }
}

impl Recorder for Capture {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let ts_ns = self.plan.first_ts.saturating_add(event.at.as_nanos());
        match event.kind {
            EventKind::Send { from, name, body, protocol, message_kind, correlation, .. } => {
                let (sender, part) = self.nodes[from.0.index()].clone();
                let known = part == Part::Group;
                // What an emitter passes its group is that group's own send, not an input.
                if part == Part::Emitter {
                    return;
                }
                let copy = (sender.clone(), ts_ns, event.trace_id.0, name.clone(), body.checksum());
                let repeat = self.last_out.as_ref() == Some(&copy);
                self.last_out = Some(copy);
                if known && !repeat {
                    let actual =
                        Actual { ts: ts_ns, trace_id: event.trace_id.0, name: name.clone(), body: body.clone() };
                    self.sent.entry(sender.clone()).or_default().push(actual);
                }
                if !self.recapture {
                    return;
                }
                let mut out = DumpRecord {
                    ts_ns,
                    group: sender.clone(),
                    key: None,
                    node: self.node_number(&sender),
                    seq: 0,
                    trace_id: event.trace_id.0,
                    thread: None,
                    direction: Direction::Out,
                    class: None,
                    name: CompactString::from(&name[..]),
                    protocol: CompactString::from(&protocol[..]),
                    kind: message_kind,
                    body: RawBody::new(body.text().to_string()).unwrap_or_else(|_| RawBody::null()),
                    correlation,
                };
                if known && !repeat {
                    out.seq = self.next_seq(&sender);
                    self.recaptured.push(out.clone());
                }
                self.in_transit.insert(event.message, out);
            }
            EventKind::Deliver { node, .. } => {
                let (receiver, part) = self.nodes[node.index()].clone();
                let Some(out) = self.in_transit.remove(&event.message) else { return };
                if part == Part::Group {
                    let seq = self.next_seq(&receiver);
                    let node = self.node_number(&receiver);
                    self.recaptured.push(DumpRecord {
                        ts_ns,
                        group: receiver,
                        key: None,
                        node,
                        seq,
                        direction: Direction::In,
                        ..out
                    });
                }
            }
            _ => {}
        }
    }
}
