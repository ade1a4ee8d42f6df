//! What replaying a dump means, worked out before the run: which places (a
//! group, or one key of a keyed group) talk to which, what arrives from
//! outside and when, what each place sent in answer to each message it
//! received, and how long each recorded delivery took.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

use compact_str::CompactString;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::dump::{match_flows, ClockSkew, Direction, DumpRecord, End, FlowEnd, SkewTally};
use crate::model::{Body, Headers, Message, MessageId, Nanos, TraceId, VirtualTime};

/// Where the sends nobody in the dump received go.
pub(super) const OUTSIDE: &str = "(outside)";

/// One recorded delivery of a send: to which place, and how long after the
/// send it was dumped as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Delivery {
    pub(super) to: CompactString,
    pub(super) transit: Nanos,
}

/// A send a place made in answer to a message: after `delay` (from the
/// recorded receipt), `message` goes to each delivery's place.
#[derive(Debug, Clone)]
pub(super) struct Reaction {
    pub(super) delay: Nanos,
    pub(super) message: Message,
    pub(super) to: Rc<[Delivery]>,
}

/// How a stub recognises a message: trace id, name and body checksum.
pub(super) type MessageKey = (u64, CompactString, u64);

/// The [`MessageKey`] of a message.
pub(super) fn message_key(msg: &Message) -> MessageKey {
    (msg.trace_id.0, CompactString::from(&*msg.name), msg.body.checksum())
}

/// For each message a place received (by [`MessageKey`], in the order
/// received), what it sent in answer. Shared by every run of the plan; each
/// stub keeps its own cursor into it.
/// Most messages are received once and answered with one send, so both
/// levels are sized exactly rather than grown in fours: at a million records
/// the spare room would cost more than the reactions.
pub(super) type Reactions = FxHashMap<MessageKey, SmallVec<[Vec<Reaction>; 1]>>;

/// A message injected into a place from outside the dump, at a virtual
/// time. `emit` marks a send the place made with no recorded cause (a timer
/// that was not dumped, say): the place passes it straight on to these
/// deliveries.
#[derive(Debug, Clone)]
pub(super) struct Injection {
    pub(super) at: VirtualTime,
    pub(super) message: Message,
    pub(super) emit: Option<Rc<[Delivery]>>,
}

/// A recorded `Out`: what the replay should reproduce.
#[derive(Debug, Clone)]
pub(super) struct Expected {
    /// When it was dumped.
    pub(super) ts_ns: u64,
    pub(super) trace_id: u64,
    pub(super) name: Arc<str>,
    pub(super) body: Body,
    /// The places that received it ([`OUTSIDE`] when none did): one send,
    /// one delivery to each.
    pub(super) receivers: Vec<CompactString>,
    /// Sent in a trace that began at this place: with no recorded cause, or
    /// in answer to an input from outside the dump (a timer tick the code
    /// made for itself looks like one). Bound code makes such sends under
    /// trace ids of its own.
    pub(super) uncaused: bool,
}

impl Expected {
    /// How many deliveries to `receiver` it was recorded with.
    pub(super) fn slots(&self, receiver: &CompactString) -> u32 {
        self.receivers.iter().filter(|r| *r == receiver).count() as u32
    }
}

/// Everything one place needs.
#[derive(Debug, Default)]
pub(super) struct PlacePlan {
    /// The group, and the key as recorded (`"_"`, none, or the actor's key).
    pub(super) group: CompactString,
    pub(super) key: Option<CompactString>,
    pub(super) reactions: Rc<Reactions>,
    pub(super) injections: Vec<Injection>,
    /// Places it sends to (and [`OUTSIDE`]).
    pub(super) destinations: BTreeSet<CompactString>,
    /// Places that send to it.
    pub(super) sources: BTreeSet<CompactString>,
    pub(super) expected: Vec<Expected>,
    pub(super) node_number: u16,
}

/// The whole replay plan.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// The earliest `ts`: virtual time 0.
    pub(super) first_ts: u64,
    /// From the earliest `ts` to the latest.
    pub(super) span: Nanos,
    pub(super) places: BTreeMap<CompactString, PlacePlan>,
    /// Recorded transits that were negative, per (sender, receiver).
    pub(super) skews: Vec<ClockSkew>,
    /// Every trace id in the dump: a send under any other one is in a trace
    /// the bound code started itself.
    pub(super) traces: Rc<rustc_hash::FxHashSet<u64>>,
}

/// Shared copies of the names and protocols in a dump, so that a million
/// messages hold a handful of strings between them.
#[derive(Default)]
struct Names {
    strings: FxHashMap<CompactString, Arc<str>>,
    no_headers: Headers,
}

impl Names {
    fn get(&mut self, name: &CompactString) -> Arc<str> {
        self.strings.entry(name.clone()).or_insert_with(|| Arc::from(name.as_str())).clone()
    }

    /// The message a record describes (unnumbered, keeping its trace id),
    /// with its body taken from `body`.
    fn message_of(&mut self, record: &DumpRecord, body: Body) -> Message {
        Message {
            id: MessageId::UNASSIGNED,
            trace_id: TraceId(record.trace_id),
            name: self.get(&record.name),
            protocol: self.get(&record.protocol),
            kind: record.kind,
            correlation: record.correlation,
            headers: self.no_headers.clone(),
            body,
            size_bytes: record.body_bytes() as u32,
            return_path: Default::default(),
        }
    }
}

/// Each `Out`'s deliveries, from the matching of sends to receipts; a
/// negative transit is delivered at once and reported in `skews`.
fn deliveries(
    records: &[DumpRecord],
    places: &[CompactString],
    senders: &[Option<u32>],
) -> (Vec<Vec<Delivery>>, Vec<ClockSkew>) {
    let mut deliveries: Vec<Vec<Delivery>> = vec![Vec::new(); records.len()];
    let mut skews = SkewTally::default();
    for (index, sender) in senders.iter().enumerate() {
        let Some(sender) = *sender else { continue };
        let (out, receipt) = (&records[sender as usize], &records[index]);
        let transit = receipt.ts_ns.checked_sub(out.ts_ns).unwrap_or_else(|| {
            skews.add(&End::from(out), &End::from(receipt));
            0
        });
        deliveries[sender as usize].push(Delivery { to: places[index].clone(), transit: Nanos(transit) });
    }
    (deliveries, skews.finish())
}

impl Plan {
    /// Builds the plan from records in dump order (see `sort_records`).
    pub(super) fn new(records: Vec<DumpRecord>) -> Plan {
        let first_ts = records.iter().map(|r| r.ts_ns).min().unwrap_or(0);
        let span = Nanos(records.iter().map(|r| r.ts_ns).max().unwrap_or(0) - first_ts);
        let ends: Vec<FlowEnd> = records.iter().map(FlowEnd::from).collect();
        let senders = match_flows(&ends);
        // Each record's place (group, or group/key), named once.
        let places: Vec<CompactString> = records.iter().map(DumpRecord::place).collect();
        let (mut deliveries, skews) = deliveries(&records, &places, &senders);
        let traces = Rc::new(records.iter().map(|r| r.trace_id).collect());
        let mut plan = Plan { first_ts, span, places: BTreeMap::new(), skews, traces };
        let mut reactions: BTreeMap<CompactString, Reactions> = BTreeMap::new();
        let at = |record: &DumpRecord| VirtualTime(record.ts_ns - first_ts);
        // The In each place is handling per trace id, as it walks its records.
        let mut handling: FxHashMap<(CompactString, u64), (MessageKey, u64)> = FxHashMap::default();
        // Traces that began at a place with an input from outside the dump.
        let mut begun_here: rustc_hash::FxHashSet<(CompactString, u64)> = Default::default();
        // An Out and the Ins it reached carry the same body text: parse it once.
        let mut bodies: FxHashMap<u64, Body> = FxHashMap::default();
        let mut names = Names::default();
        let mut body_of = |record: &DumpRecord, raw_hash: u64| {
            // The text was validated as JSON when the line was read.
            bodies.entry(raw_hash).or_insert_with(|| Body::parse(record.body.get()).unwrap_or_default()).clone()
        };
        for (index, record) in records.into_iter().enumerate() {
            let place = places[index].clone();
            let reactions = reactions.entry(place.clone()).or_default();
            let plan_of = plan.places.entry(place.clone()).or_insert_with(|| PlacePlan {
                group: record.group.clone(),
                key: record.key.clone(),
                node_number: record.node,
                ..PlacePlan::default()
            });
            match record.direction {
                Direction::In => {
                    let body = body_of(&record, ends[index].key.2);
                    let key = (record.trace_id, record.name.clone(), body.checksum());
                    reactions.entry(key.clone()).or_default().push(Vec::new());
                    handling.insert((place.clone(), record.trace_id), (key, record.ts_ns));
                    match senders[index] {
                        Some(sender) => {
                            plan_of.sources.insert(places[sender as usize].clone());
                        }
                        None => {
                            begun_here.insert((place.clone(), record.trace_id));
                            let message = names.message_of(&record, body);
                            plan_of.injections.push(Injection { at: at(&record), message, emit: None });
                        }
                    }
                }
                Direction::Out => {
                    let mut to = std::mem::take(&mut deliveries[index]);
                    if to.is_empty() {
                        to.push(Delivery { to: OUTSIDE.into(), transit: Nanos::ZERO });
                    }
                    plan_of.destinations.extend(to.iter().map(|d| d.to.clone()));
                    let receivers = to.iter().map(|d| d.to.clone()).collect();
                    let to: Rc<[Delivery]> = to.into();
                    let message = names.message_of(&record, body_of(&record, ends[index].key.2));
                    let self_started = begun_here.contains(&(place.clone(), record.trace_id));
                    let cause = handling.get(&(place, record.trace_id));
                    let answered = cause.and_then(|(key, ts)| {
                        let list = reactions.get_mut(key)?.last_mut()?;
                        if list.len() == list.capacity() && list.len() < 4 {
                            list.reserve_exact(1);
                        }
                        list.push(Reaction {
                            delay: Nanos(record.ts_ns.saturating_sub(*ts)),
                            message: message.clone(),
                            to: to.clone(),
                        });
                        Some(())
                    });
                    let expected = Expected {
                        ts_ns: record.ts_ns,
                        trace_id: record.trace_id,
                        name: message.name.clone(),
                        body: message.body.clone(),
                        receivers,
                        uncaused: answered.is_none() || self_started,
                    };
                    if answered.is_none() {
                        plan_of.injections.push(Injection { at: at(&record), message, emit: Some(to) });
                    }
                    plan_of.expected.push(expected);
                }
            }
        }
        for (place, reactions) in reactions {
            if let Some(plan) = plan.places.get_mut(&place) {
                plan.reactions = Rc::new(reactions);
            }
        }
        plan
    }
}
