//! Watches a replay's trace as it is recorded: judges each place's sends
//! for the verdict as they happen and, when asked, re-captures the traffic
//! as dump records. It holds nothing else, so a long replay does not keep
//! its whole trace.

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

/// The replay's recorder.
pub(super) struct Capture {
    plan: Rc<Plan>,
    rules: Rc<BodyRules>,
    /// Node names by node id, what each node is, and its index among the
    /// recording's places.
    nodes: Vec<(CompactString, Part, Option<u32>)>,
    judges: BTreeMap<CompactString, PlaceJudge>,
    recapture: bool,
    recaptured: Vec<DumpRecord>,
    /// The re-captured `Out` of each recorded send already made, by (place,
    /// index): its other copies are deliveries of that one send.
    sent: FxHashMap<(CompactString, u32), usize>,
    /// Sends on their way, to become `In` records when delivered.
    in_transit: FxHashMap<MessageId, DumpRecord>,
    seqs: FxHashMap<CompactString, u64>,
}

impl Capture {
    pub(super) fn new(plan: Rc<Plan>, rules: Rc<BodyRules>, topology: &Topology, recapture: bool) -> Capture {
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
            recapture,
            recaptured: Vec::new(),
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

    /// The verdict per place, and the re-captured records.
    pub(super) fn finish(self) -> (Verdict, Vec<DumpRecord>) {
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
        (Verdict { equal, groups, relaxed, skews: plan.skews.clone() }, self.recaptured)
    }
}

impl Recorder for Capture {
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
                    let (to, _, receiver) = self.nodes[to.0.index()].clone();
                    let (trace_id, name, body) = (event.trace_id.0, name.clone(), body.clone());
                    let actual = Actual { ts: ts_ns, trace_id, name, body, to, receiver };
                    match self.judges.get_mut(&sender) {
                        Some(judge) => judge.send(&self.plan, &self.plan.places[&sender].expected, &self.rules, actual),
                        None => Slot::Extra,
                    }
                });
                if !self.recapture {
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
                    Some(Slot::Recorded { index, first: false }) => self.sent.get(&(sender.clone(), index)).copied(),
                    _ => None,
                };
                let out = match (copy_of, slot) {
                    (Some(at), _) => self.recaptured[at].clone(),
                    (None, None) => out_record(sender),
                    (None, Some(slot)) => {
                        let out = self.at_place(&sender, out_record(sender.clone()));
                        if let Slot::Recorded { index, .. } = slot {
                            self.sent.insert((sender, index), self.recaptured.len());
                        }
                        self.recaptured.push(out.clone());
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
                    self.recaptured.push(record);
                }
            }
            _ => {}
        }
    }
}
