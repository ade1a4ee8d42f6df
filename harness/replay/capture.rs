//! Watches a replay's trace as it is recorded: judges each place's sends
//! for the verdict as they happen and, when asked, re-captures the traffic
//! as dump records, handing each one on as it happens. It holds nothing
//! else, so a long replay does not keep its whole trace.

use std::collections::BTreeMap;
use std::rc::Rc;

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::compare::{BodyRules, Relaxations};
use crate::dump::{Direction, DumpRecord, RawBody};
use crate::model::MessageId;
use crate::net::Topology;
use crate::trace::{EventKind, Recorder, TraceEvent};

use super::plan::{Plan, OUTSIDE};
use super::verdict::{Actual, GroupVerdict, PlaceJudge, Slot, Status, Verdict};
use super::EMIT_KIND_PREFIX;

/// What a node of the replay network stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// A place (group or group/key) of the dump.
    Place,
    /// The inlet that hands a place the sends it made with no recorded cause.
    Emitter,
    /// The sink for sends nobody received.
    Outside,
    /// An inlet of outside inputs.
    Inlet,
}

/// Where re-captured records go, in the order they happen.
pub(super) type RecaptureSink<'a> = &'a mut dyn FnMut(DumpRecord);

/// The replay's recorder.
pub(super) struct Capture<'a> {
    plan: Rc<Plan>,
    rules: Rc<BodyRules>,
    /// Node names by node id, what each node is, and its index among the
    /// recording's places.
    nodes: Vec<(CompactString, Part, Option<u32>)>,
    judges: BTreeMap<CompactString, PlaceJudge>,
    sink: Option<RecaptureSink<'a>>,
    /// The re-captured `Out` of each recorded send made to some of its
    /// receivers, by (place, index), with how many copies are still to come:
    /// those are deliveries of that one send.
    sent: FxHashMap<(CompactString, u32), (DumpRecord, usize)>,
    /// Sends on their way, to become `In` records when delivered.
    in_transit: FxHashMap<MessageId, DumpRecord>,
    seqs: FxHashMap<CompactString, u64>,
}

impl<'a> Capture<'a> {
    pub(super) fn new(
        plan: Rc<Plan>,
        rules: Rc<BodyRules>,
        topology: &Topology,
        sink: Option<RecaptureSink<'a>>,
    ) -> Capture<'a> {
        let nodes = topology
            .nodes
            .iter()
            .map(|n| {
                let name = CompactString::from(&*n.name);
                let part = if plan.places.contains_key(&name) {
                    Part::Place
                } else if n.kind.starts_with(EMIT_KIND_PREFIX) {
                    Part::Emitter
                } else if name == OUTSIDE {
                    Part::Outside
                } else {
                    Part::Inlet
                };
                let place = plan.recording.place_id(&name);
                (name, part, place)
            })
            .collect();
        let judges =
            plan.places.iter().map(|(place, p)| (place.clone(), PlaceJudge::new(place, &plan, &p.expected))).collect();
        Capture {
            plan,
            rules,
            nodes,
            judges,
            sink,
            sent: FxHashMap::default(),
            in_transit: FxHashMap::default(),
            seqs: FxHashMap::default(),
        }
    }

    fn next_seq(&mut self, place: &CompactString) -> u64 {
        let seq = self.seqs.entry(place.clone()).or_default();
        *seq += 1;
        *seq
    }

    /// A record stamped as `place`'s: its group, key and node number.
    fn at_place(&mut self, place: &CompactString, record: DumpRecord) -> DumpRecord {
        let seq = self.next_seq(place);
        match self.plan.places.get(place) {
            Some(p) => DumpRecord { group: p.group.clone(), key: p.key.clone(), node: p.node_number, seq, ..record },
            None => DumpRecord { group: place.clone(), seq, ..record },
        }
    }

    /// Hands a re-captured record on.
    fn recapture(&mut self, record: DumpRecord) {
        if let Some(sink) = &mut self.sink {
            sink(record);
        }
    }

    /// The `Out` already re-captured for recorded send `index` of `place`,
    /// for one more of its copies.
    fn copy_of(&mut self, place: &CompactString, index: u32) -> Option<DumpRecord> {
        let key = (place.clone(), index);
        let (out, left) = self.sent.get_mut(&key)?;
        *left -= 1;
        match *left {
            0 => self.sent.remove(&key).map(|(out, _)| out),
            _ => Some(out.clone()),
        }
    }

    /// The verdict per place.
    pub(super) fn finish(self) -> Verdict {
        let plan = &self.plan;
        let groups: BTreeMap<String, GroupVerdict> = self
            .judges
            .into_iter()
            .map(|(place, judge)| {
                let verdict = judge.finish(plan, &plan.places[&place].expected);
                (place.to_string(), verdict)
            })
            .collect();
        let equal = groups.values().all(|g| g.status == Status::Equal);
        let mut relaxed = Relaxations::new();
        for (rule, count) in groups.values().flat_map(|g| &g.relaxed) {
            *relaxed.entry(rule.clone()).or_default() += count;
        }
        Verdict { equal, groups, relaxed, skews: plan.skews.clone() }
    }
}

impl Recorder for Capture<'_> {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let ts_ns = self.plan.first_ts.saturating_add(event.at.as_nanos());
        match event.kind {
            EventKind::Send { from, to, name, body, protocol, message_kind, correlation, .. } => {
                let (sender, part, _) = self.nodes[from.0.index()].clone();
                // What an emitter passes its place is that place's own send, not an input.
                if part == Part::Emitter {
                    return;
                }
                let slot = (part == Part::Place).then(|| {
                    let (receiver_name, _, receiver) = self.nodes[to.0.index()].clone();
                    let (trace_id, body) = (event.trace_id.0, body.clone());
                    let actual = Actual { ts: ts_ns, trace_id, name, body, to: receiver_name, receiver };
                    match self.judges.get_mut(&sender) {
                        Some(judge) => judge.send(&self.plan, &self.plan.places[&sender].expected, &self.rules, actual),
                        None => Slot::Extra,
                    }
                });
                if self.sink.is_none() {
                    return;
                }
                let out_record = |group: CompactString| DumpRecord {
                    ts_ns,
                    group,
                    key: None,
                    node: 1,
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
                let copy_of = match slot {
                    Some(Slot::Recorded { index, first: false }) => self.copy_of(&sender, index),
                    _ => None,
                };
                let out = match (copy_of, slot) {
                    (Some(out), _) => out,
                    (None, None) => out_record(sender),
                    (None, Some(slot)) => {
                        let out = self.at_place(&sender, out_record(sender.clone()));
                        if let Slot::Recorded { index, .. } = slot {
                            let expected = &self.plan.places[&sender].expected[index as usize];
                            let copies = self.plan.deliveries_of(expected.line).len() - 1;
                            if copies > 0 {
                                self.sent.insert((sender, index), (out.clone(), copies));
                            }
                        }
                        self.recapture(out.clone());
                        out
                    }
                };
                self.in_transit.insert(event.message, out);
            }
            EventKind::Deliver { node, .. } => {
                let (receiver, part, _) = self.nodes[node.index()].clone();
                let Some(out) = self.in_transit.remove(&event.message) else { return };
                if part == Part::Place {
                    let record = self.at_place(&receiver, DumpRecord { ts_ns, direction: Direction::In, ..out });
                    self.recapture(record);
                }
            }
            _ => {}
        }
    }
}
