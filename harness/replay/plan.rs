//! What replaying a dump means, worked out before the run: which groups
//! talk to which, what arrives from outside and when, and what each group
//! sent in answer to each message it received.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::dump::{match_flows, Direction, DumpRecord, FlowEnd};
use crate::model::{Body, Message, MessageId, MessageKind, Nanos, TraceId, VirtualTime};

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
/// received), what it sent in answer.
pub(super) type Reactions = FxHashMap<MessageKey, VecDeque<Vec<Reaction>>>;

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
    pub(super) reactions: Reactions,
    pub(super) injections: Vec<Injection>,
    /// Groups it sends to (and [`OUTSIDE`]).
    pub(super) destinations: BTreeSet<CompactString>,
    /// Groups that send to it.
    pub(super) sources: BTreeSet<CompactString>,
    pub(super) expected: Vec<Expected>,
    pub(super) node_number: u16,
}

/// What the recording says about a message besides its name and body.
#[derive(Debug, Clone)]
pub(super) struct Envelope {
    pub(super) protocol: CompactString,
    pub(super) kind: MessageKind,
    pub(super) correlation: Option<u64>,
}

/// The whole replay plan.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// The earliest `ts`: virtual time 0.
    pub(super) first_ts: u64,
    pub(super) groups: BTreeMap<CompactString, GroupPlan>,
    /// (trace id, name) → protocol, kind and correlation, as first recorded.
    pub(super) envelopes: FxHashMap<(u64, CompactString), Envelope>,
}

/// The message a record describes (unnumbered, keeping its trace id).
pub(super) fn message_of(record: &DumpRecord) -> Message {
    let mut msg = Message::new(record.name.as_str(), Body::new(record.body_value()), record.body_bytes() as u32);
    msg.id = MessageId::UNASSIGNED;
    msg.trace_id = TraceId(record.trace_id);
    msg.protocol = record.protocol.as_str().into();
    msg.kind = record.kind;
    msg.correlation = record.correlation;
    msg
}

impl Plan {
    /// Builds the plan from records in dump order (see `sort_records`).
    pub(super) fn new(records: &[DumpRecord]) -> Plan {
        let first_ts = records.iter().map(|r| r.ts_ns).min().unwrap_or(0);
        let ends: Vec<FlowEnd> = records.iter().map(FlowEnd::from).collect();
        let senders = match_flows(&ends);
        let mut receivers: Vec<Vec<CompactString>> = vec![Vec::new(); records.len()];
        for (index, sender) in senders.iter().enumerate() {
            if let Some(sender) = *sender {
                receivers[sender].push(records[index].group.clone());
            }
        }
        let mut plan = Plan { first_ts, groups: BTreeMap::new(), envelopes: FxHashMap::default() };
        let at = |record: &DumpRecord| VirtualTime(record.ts_ns - first_ts);
        // The In each group is handling per trace id, as it walks its records.
        let mut handling: FxHashMap<(CompactString, u64), (MessageKey, u64)> = FxHashMap::default();
        for (index, record) in records.iter().enumerate() {
            plan.envelopes.entry((record.trace_id, record.name.clone())).or_insert_with(|| Envelope {
                protocol: record.protocol.clone(),
                kind: record.kind,
                correlation: record.correlation,
            });
            let group = plan
                .groups
                .entry(record.group.clone())
                .or_insert_with(|| GroupPlan { node_number: record.node, ..GroupPlan::default() });
            match record.direction {
                Direction::In => {
                    let message = message_of(record);
                    let key = message_key(&message);
                    group.reactions.entry(key.clone()).or_default().push_back(Vec::new());
                    handling.insert((record.group.clone(), record.trace_id), (key, record.ts_ns));
                    match senders[index] {
                        Some(sender) => {
                            group.sources.insert(records[sender].group.clone());
                        }
                        None => group.injections.push(Injection { at: at(record), message, emit: None }),
                    }
                }
                Direction::Out => {
                    let mut to = receivers[index].clone();
                    to.dedup();
                    if to.is_empty() {
                        to.push(OUTSIDE.into());
                    }
                    group.destinations.extend(to.iter().cloned());
                    let message = message_of(record);
                    group.expected.push(Expected {
                        record: record.clone(),
                        body: message.body.clone(),
                        copies: to.len(),
                    });
                    let cause = handling.get(&(record.group.clone(), record.trace_id));
                    let answered = cause.and_then(|(key, ts)| {
                        let list = group.reactions.get_mut(key)?.back_mut()?;
                        list.push(Reaction {
                            delay: Nanos(record.ts_ns.saturating_sub(*ts)),
                            message: message.clone(),
                            to: to.clone(),
                        });
                        Some(())
                    });
                    if answered.is_none() {
                        group.injections.push(Injection { at: at(record), message, emit: Some(to) });
                    }
                }
            }
        }
        plan
    }
}
