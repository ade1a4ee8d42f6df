//! What replaying a dump means, worked out before the run: which groups
//! talk to which, what arrives from outside and when, and what each group
//! sent in answer to each message it received.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::dump::{match_flows, Direction, DumpRecord, FlowEnd};
use crate::model::{Body, Message, MessageId, Nanos, TraceId, VirtualTime};

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
pub(super) type Reactions = FxHashMap<MessageKey, Vec<Vec<Reaction>>>;

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
    pub(super) record: DumpRecord,
    pub(super) body: Body,
    /// How many groups received it: the replay sends one copy to each.
    pub(super) copies: usize,
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

/// The message a record describes (unnumbered, keeping its trace id), with
/// its body taken from `body`.
pub(super) fn message_of(record: &DumpRecord, body: Body) -> Message {
    let mut msg = Message::new(record.name.as_str(), body, record.body_bytes() as u32);
    msg.id = MessageId::UNASSIGNED;
    msg.trace_id = TraceId(record.trace_id);
    msg.protocol = record.protocol.as_str().into();
    msg.kind = record.kind;
    msg.correlation = record.correlation;
    msg
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
        let mut body_of = |record: &DumpRecord, raw_hash: u64| {
            bodies.entry(raw_hash).or_insert_with(|| Body::new(record.body_value())).clone()
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
                    let message = message_of(&record, body_of(&record, ends[index].key.2));
                    let key = message_key(&message);
                    reactions.entry(key.clone()).or_default().push(Vec::new());
                    handling.insert((record.group.clone(), record.trace_id), (key, record.ts_ns));
                    match &sender_groups[index] {
                        Some(sender) => {
                            group.sources.insert(sender.clone());
                        }
                        None => group.injections.push(Injection { at: at(&record), message, emit: None }),
                    }
                }
                Direction::Out => {
                    let mut to = receivers[index].clone();
                    if to.is_empty() {
                        to.push(OUTSIDE.into());
                    }
                    group.destinations.extend(to.iter().cloned());
                    let message = message_of(&record, body_of(&record, ends[index].key.2));
                    let cause = handling.get(&(record.group.clone(), record.trace_id));
                    let answered = cause.and_then(|(key, ts)| {
                        let list = reactions.get_mut(key)?.last_mut()?;
                        list.push(Reaction {
                            delay: Nanos(record.ts_ns.saturating_sub(*ts)),
                            message: message.clone(),
                            to: to.clone(),
                        });
                        Some(())
                    });
                    let copies = to.len();
                    let body = message.body.clone();
                    if answered.is_none() {
                        group.injections.push(Injection { at: at(&record), message, emit: Some(to) });
                    }
                    group.expected.push(Expected { record, body, copies });
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
