//! What replaying a dump means, worked out before the run: which groups
//! talk to which, what arrives from outside and when, and what each group
//! sent in answer to each message it received.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

use compact_str::CompactString;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::dump::{match_flows, Direction, DumpRecord, FlowEnd};
use crate::model::{Body, Headers, Message, MessageId, Nanos, TraceId, VirtualTime};

/// Where the sends nobody in the dump received go.
pub(super) const OUTSIDE: &str = "(outside)";

/// A send a group made in answer to a message: after `delay`, `message` goes
/// to each group in `to`.
#[derive(Debug, Clone)]
pub(super) struct Reaction {
    pub(super) delay: Nanos,
    pub(super) message: Message,
    pub(super) to: Vec<CompactString>,
}

/// How a stub recognises a message: trace id, name and body checksum.
pub(super) type MessageKey = (u64, CompactString, u64);

/// The [`MessageKey`] of a message.
pub(super) fn message_key(msg: &Message) -> MessageKey {
    (msg.trace_id.0, CompactString::from(&*msg.name), msg.body.checksum())
}

/// For each message a group received (by [`MessageKey`], in the order
/// received), what it sent in answer. Shared by every run of the plan; each
/// stub keeps its own cursor into it.
/// Most messages are received once and answered with one send, so both
/// levels are sized exactly rather than grown in fours: at a million records
/// the spare room would cost more than the reactions.
pub(super) type Reactions = FxHashMap<MessageKey, SmallVec<[Vec<Reaction>; 1]>>;

/// A message injected into a group from outside the dump, at a virtual
/// time. `emit` marks a send the group made with no recorded cause (a timer
/// that was not dumped, say): the group passes it straight on.
#[derive(Debug, Clone)]
pub(super) struct Injection {
    pub(super) at: VirtualTime,
    pub(super) message: Message,
    pub(super) emit: Option<Vec<CompactString>>,
}

/// A recorded `Out`: what the replay should reproduce.
#[derive(Debug, Clone)]
pub(super) struct Expected {
    /// When it was dumped.
    pub(super) ts_ns: u64,
    pub(super) trace_id: u64,
    pub(super) name: Arc<str>,
    pub(super) body: Body,
    /// How many groups received it: the replay sends one copy to each.
    pub(super) copies: u32,
}

/// Everything one group needs.
#[derive(Debug, Default)]
pub(super) struct GroupPlan {
    pub(super) reactions: Rc<Reactions>,
    pub(super) injections: Vec<Injection>,
    /// Groups it sends to (and [`OUTSIDE`]).
    pub(super) destinations: BTreeSet<CompactString>,
    /// Groups that send to it.
    pub(super) sources: BTreeSet<CompactString>,
    pub(super) expected: Vec<Expected>,
    pub(super) node_number: u16,
}

/// The whole replay plan.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// The earliest `ts`: virtual time 0.
    pub(super) first_ts: u64,
    pub(super) groups: BTreeMap<CompactString, GroupPlan>,
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

impl Plan {
    /// Builds the plan from records in dump order (see `sort_records`).
    pub(super) fn new(records: Vec<DumpRecord>) -> Plan {
        let first_ts = records.iter().map(|r| r.ts_ns).min().unwrap_or(0);
        let ends: Vec<FlowEnd> = records.iter().map(FlowEnd::from).collect();
        let senders = match_flows(&ends);
        let mut receivers: Vec<Vec<CompactString>> = vec![Vec::new(); records.len()];
        for (index, sender) in senders.iter().enumerate() {
            if let Some(sender) = *sender {
                receivers[sender as usize].push(records[index].group.clone());
            }
        }
        let mut plan = Plan { first_ts, groups: BTreeMap::new() };
        let mut reactions: BTreeMap<CompactString, Reactions> = BTreeMap::new();
        let at = |record: &DumpRecord| VirtualTime(record.ts_ns - first_ts);
        // The In each group is handling per trace id, as it walks its records.
        let mut handling: FxHashMap<(CompactString, u64), (MessageKey, u64)> = FxHashMap::default();
        // An Out and the Ins it reached carry the same body text: parse it once.
        let mut bodies: FxHashMap<u64, Body> = FxHashMap::default();
        let mut names = Names::default();
        let mut body_of = |record: &DumpRecord, raw_hash: u64| {
            // The text was validated as JSON when the line was read.
            bodies.entry(raw_hash).or_insert_with(|| Body::parse(record.body.get()).unwrap_or_default()).clone()
        };
        let sender_groups: Vec<Option<CompactString>> =
            senders.iter().map(|s| s.map(|i| records[i as usize].group.clone())).collect();
        for (index, record) in records.into_iter().enumerate() {
            let reactions = reactions.entry(record.group.clone()).or_default();
            let group = plan
                .groups
                .entry(record.group.clone())
                .or_insert_with(|| GroupPlan { node_number: record.node, ..GroupPlan::default() });
            match record.direction {
                Direction::In => {
                    let body = body_of(&record, ends[index].key.2);
                    let key = (record.trace_id, record.name.clone(), body.checksum());
                    reactions.entry(key.clone()).or_default().push(Vec::new());
                    handling.insert((record.group.clone(), record.trace_id), (key, record.ts_ns));
                    match &sender_groups[index] {
                        Some(sender) => {
                            group.sources.insert(sender.clone());
                        }
                        None => {
                            let message = names.message_of(&record, body);
                            group.injections.push(Injection { at: at(&record), message, emit: None });
                        }
                    }
                }
                Direction::Out => {
                    let mut to = receivers[index].clone();
                    if to.is_empty() {
                        to.push(OUTSIDE.into());
                    }
                    group.destinations.extend(to.iter().cloned());
                    let message = names.message_of(&record, body_of(&record, ends[index].key.2));
                    let cause = handling.get(&(record.group.clone(), record.trace_id));
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
                        copies: to.len() as u32,
                    };
                    if answered.is_none() {
                        group.injections.push(Injection { at: at(&record), message, emit: Some(to) });
                    }
                    group.expected.push(expected);
                }
            }
        }
        for (group, reactions) in reactions {
            if let Some(plan) = plan.groups.get_mut(&group) {
                plan.reactions = Rc::new(reactions);
            }
        }
        plan
    }
}
