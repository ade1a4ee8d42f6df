//! The regression verdict: did each group send what it sent when the dump
//! was recorded?
//!
//! Both sides come from one dump, so trace ids are kept and a re-sent
//! message is aligned with its recording by (trace id, name, receiver), in
//! order. Bodies are judged by [`BodyRules`].

use std::cmp::Ordering;
use std::collections::BTreeMap;

use compact_str::CompactString;
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::Value;

use crate::compare::{tally, BodyRules, ChangedField, Judgement, Relaxations};
use crate::model::{Body, Name};

use crate::dump::ClockSkew;

use super::plan::{Expected, Plan};
use super::runs::{Cursors, Runs};

/// A message a group sent, as recorded or as replayed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentMessage {
    /// Trace id.
    pub trace_id: u64,
    /// Message name.
    pub name: String,
    /// Unix nanoseconds (recorded, or first recorded ts + virtual time).
    pub ts: u64,
    /// The places it went to (`(outside)` when nobody in the dump received it).
    pub to: Vec<String>,
    /// The body.
    pub body: Value,
}

/// The first message that went differently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// As recorded.
    pub expected: SentMessage,
    /// As replayed.
    pub actual: SentMessage,
    /// The fields that changed.
    pub changed: Vec<ChangedField>,
}

/// How a group's replay compares with its recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every recorded send happened again, with the same body, and nothing more.
    Equal,
    /// Some send happened with a different body.
    Different,
    /// Some recorded sends did not happen.
    MissingOutputs,
    /// Sends happened that were not recorded.
    ExtraOutputs,
}

/// One group's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupVerdict {
    /// The overall answer (the first of different / missing / extra that applies).
    pub status: Status,
    /// Sends recorded.
    pub expected: u64,
    /// Sends replayed: the copies of one recorded send to its receivers
    /// count once; each extra delivery counts on its own.
    pub actual: u64,
    /// Aligned sends whose bodies differ.
    pub changed: u64,
    /// Recorded sends that did not happen, or did not reach every receiver
    /// they reached when recorded.
    pub missing: u64,
    /// Replayed sends that were not recorded.
    pub extra: u64,
    /// The earliest changed send, with both bodies.
    pub first_difference: Option<Difference>,
    /// The earliest missing send; `to` names the receivers it did not reach.
    pub first_missing: Option<SentMessage>,
    /// The earliest extra send.
    pub first_extra: Option<SentMessage>,
    /// Sends that matched only under a relaxation, by rule: nothing is let
    /// through unsaid.
    pub relaxed: Relaxations,
    /// Sends under trace ids the bound code started itself (timer ticks),
    /// paired with sends recorded with no cause by name, receiver and order,
    /// not by trace id.
    pub paired_by_order: u64,
}

/// Every group's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// True when every group is equal.
    pub equal: bool,
    /// Per place (a group, or `group/key` for each actor of a keyed
    /// group), in name order.
    pub groups: BTreeMap<String, GroupVerdict>,
    /// Every group's relaxations, added up.
    pub relaxed: Relaxations,
    /// Receipts dumped before their send (clock skew between nodes), which
    /// the replay delivered at the send time instead.
    pub skews: Vec<ClockSkew>,
}

/// A send the replay made, to one place.
#[derive(Debug, Clone)]
pub(super) struct Actual {
    pub(super) ts: u64,
    pub(super) trace_id: u64,
    pub(super) name: Name,
    pub(super) body: Body,
    pub(super) to: CompactString,
    /// The receiver's index among the recording's places, when it has one.
    pub(super) receiver: Option<u32>,
}

/// Where a replayed send landed among the recorded ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// A delivery of the recorded send with this index; `first` when it is
    /// the first of that send's deliveries to happen.
    Recorded { index: u32, first: bool },
    /// Not recorded.
    Extra,
}

/// A delivery slot: a recorded send (its index in the place's expected
/// sends) and a receiver (a place index).
type SlotRef = (u32, u32);

/// Delivery slots sorted by a key, each key's slots in recorded order, and
/// how many of each key's slots have been offered so far.
struct Queues {
    slots: Runs<SlotRef>,
    offered: Cursors,
}

impl Queues {
    fn new<K: Ord>(slots: Vec<SlotRef>, key: impl Fn(&SlotRef) -> K) -> Queues {
        let slots = Runs::new(slots, key);
        Queues { offered: Cursors::new(&slots), slots }
    }

    /// The next free slot among those whose key `order` finds equal to the
    /// one sought (`order` compares a slot's key with it).
    fn claim(
        &mut self,
        order: impl Fn(&SlotRef) -> Ordering,
        taken: &mut FxHashMap<SlotRef, u32>,
        plan: &Plan,
        expected: &[Expected],
    ) -> Option<u32> {
        let run = self.slots.run(order);
        while let Some(at) = self.offered.next(run.clone()) {
            let (index, receiver) = self.slots[at];
            let filled = taken.entry((index, receiver)).or_default();
            if *filled < plan.slots(&expected[index as usize], receiver) {
                *filled += 1;
                return Some(index);
            }
        }
        None
    }
}

/// The trace id, name and receiver of a slot.
fn slot_key<'p>(plan: &'p Plan, expected: &[Expected], &(index, receiver): &SlotRef) -> (u64, &'p str, u32) {
    let line = plan.sent(&expected[index as usize]);
    (line.trace_id, plan.recording.name(line).as_str(), receiver)
}

/// The name and receiver of a slot: how a send under a trace id nobody
/// recorded is paired.
fn uncaused_key<'p>(plan: &'p Plan, expected: &[Expected], slot: &SlotRef) -> (&'p str, u32) {
    let (_, name, receiver) = slot_key(plan, expected, slot);
    (name, receiver)
}

/// One place's sends, judged as they happen against what it sent when
/// recorded. Every recorded `Out` is one send with one delivery slot per
/// receiver; a replayed send fills the next free slot with its trace id,
/// name and receiver, so copies of one send to its receivers count as that
/// one send, and a send made twice where it was recorded once is extra.
pub(super) struct PlaceJudge {
    place: CompactString,
    /// Slots by trace id, name and receiver.
    waiting: Queues,
    /// Slots of sends made with no recorded cause, by name and receiver:
    /// where a send under a trace id nobody recorded (one the bound code
    /// started itself) pairs, in order.
    uncaused: Queues,
    /// Deliveries filled, by (send, receiver): a slot both queues hold is
    /// filled once, and a receiver a send reached twice has two slots.
    taken: FxHashMap<SlotRef, u32>,
    /// Every trace id in the dump: a send under one of them is judged by
    /// trace id only.
    recorded_traces: std::rc::Rc<rustc_hash::FxHashSet<u64>>,
    by_order: u64,
    filled: Vec<bool>,
    changed: Vec<bool>,
    first_change: Option<(u32, Actual, Vec<ChangedField>)>,
    changes: u64,
    first_extra: Option<Actual>,
    extra: u64,
    actual: u64,
    relaxed: Relaxations,
}

impl PlaceJudge {
    pub(super) fn new(place: &CompactString, plan: &Plan, expected: &[Expected]) -> PlaceJudge {
        let mut slots: Vec<SlotRef> = Vec::new();
        for (index, e) in expected.iter().enumerate() {
            slots.extend(plan.deliveries_of(e.line).iter().map(|d| (index as u32, d.to)));
        }
        let uncaused = slots.iter().copied().filter(|&(index, _)| expected[index as usize].uncaused).collect();
        let key = |slot: &SlotRef| slot_key(plan, expected, slot);
        PlaceJudge {
            place: place.clone(),
            waiting: Queues::new(slots, key),
            uncaused: Queues::new(uncaused, |slot| uncaused_key(plan, expected, slot)),
            taken: FxHashMap::default(),
            recorded_traces: plan.traces.clone(),
            by_order: 0,
            filled: vec![false; expected.len()],
            changed: vec![false; expected.len()],
            first_change: None,
            changes: 0,
            first_extra: None,
            extra: 0,
            actual: 0,
            relaxed: Relaxations::new(),
        }
    }

    /// The receivers of recorded send `index` some of whose deliveries did
    /// not happen.
    fn undelivered(&self, plan: &Plan, expected: &[Expected], index: usize) -> Vec<String> {
        let sent = &expected[index];
        let receivers: Vec<u32> = plan.deliveries_of(sent.line).iter().map(|d| d.to).collect();
        // Each receiver once, in the order it first received the send.
        let receivers = receivers.iter().enumerate().filter(|&(i, r)| !receivers[..i].contains(r));
        receivers
            .filter(|&(_, &r)| self.taken.get(&(index as u32, r)).copied().unwrap_or(0) < plan.slots(sent, r))
            .map(|(_, &r)| plan.recording.place_name(r).to_string())
            .collect()
    }

    /// Judges one replayed send (to one receiver): it fills the next slot
    /// recorded under its trace id, name and receiver; a send under a trace
    /// id the dump does not have (one the bound code started itself) fills the
    /// next slot of a send recorded in a trace that began at this place, by
    /// name and receiver, in order.
    pub(super) fn send(&mut self, plan: &Plan, expected: &[Expected], rules: &BodyRules, actual: Actual) -> Slot {
        let minted = !self.recorded_traces.contains(&actual.trace_id);
        let index = actual.receiver.and_then(|receiver| {
            let sought = (actual.trace_id, &*actual.name, receiver);
            let order = |slot: &SlotRef| slot_key(plan, expected, slot).cmp(&sought);
            let exact = self.waiting.claim(order, &mut self.taken, plan, expected);
            exact.or_else(|| {
                if !minted {
                    return None;
                }
                let sought = (sought.1, sought.2);
                let order = |slot: &SlotRef| uncaused_key(plan, expected, slot).cmp(&sought);
                let index = self.uncaused.claim(order, &mut self.taken, plan, expected);
                self.by_order += u64::from(index.is_some());
                index
            })
        });
        let Some(index) = index else {
            self.extra += 1;
            self.actual += 1;
            self.first_extra.get_or_insert(actual);
            return Slot::Extra;
        };
        let i = index as usize;
        let first = !self.filled[i];
        self.filled[i] = true;
        self.actual += u64::from(first);
        let recorded = plan.sent(&expected[i]);
        let recorded_body = plan.recording.body(recorded);
        if *recorded_body != actual.body {
            match rules.compare(&self.place, &actual.name, recorded_body.value(), actual.body.value()) {
                Judgement::Different(fields) => {
                    if !self.changed[i] {
                        self.changed[i] = true;
                        self.changes += 1;
                    }
                    let earlier = self
                        .first_change
                        .as_ref()
                        .is_none_or(|(j, ..)| plan.sent(&expected[*j as usize]).ts_ns > recorded.ts_ns);
                    if earlier {
                        self.first_change = Some((index, actual, fields));
                    }
                }
                judgement => tally(&mut self.relaxed, &judgement),
            }
        }
        Slot::Recorded { index, first }
    }

    /// The verdict, once the run is over.
    pub(super) fn finish(self, plan: &Plan, expected: &[Expected]) -> GroupVerdict {
        // A send is missing when any of its deliveries did not happen: the
        // whole send, or the copy to one of its receivers.
        let undelivered: Vec<(usize, Vec<String>)> = (0..expected.len())
            .map(|i| (i, self.undelivered(plan, expected, i)))
            .filter(|(_, receivers)| !receivers.is_empty())
            .collect();
        let recorded = |index: usize| {
            let line = plan.sent(&expected[index]);
            SentMessage {
                trace_id: line.trace_id,
                name: plan.recording.name(line).to_string(),
                ts: line.ts_ns,
                to: plan.receivers(&expected[index]).map(|r| r.to_string()).collect(),
                body: plan.recording.body(line).value().clone(),
            }
        };
        let replayed = |a: &Actual| SentMessage {
            trace_id: a.trace_id,
            name: a.name.to_string(),
            ts: a.ts,
            to: vec![a.to.to_string()],
            body: a.body.value().clone(),
        };
        let status = if self.changes > 0 {
            Status::Different
        } else if !undelivered.is_empty() {
            Status::MissingOutputs
        } else if self.extra > 0 {
            Status::ExtraOutputs
        } else {
            Status::Equal
        };
        GroupVerdict {
            status,
            expected: expected.len() as u64,
            actual: self.actual,
            changed: self.changes,
            missing: undelivered.len() as u64,
            extra: self.extra,
            first_difference: self.first_change.map(|(index, actual, changed)| Difference {
                expected: recorded(index as usize),
                actual: replayed(&actual),
                changed,
            }),
            first_missing: undelivered
                .first()
                .map(|(i, receivers)| SentMessage { to: receivers.clone(), ..recorded(*i) }),
            first_extra: self.first_extra.as_ref().map(replayed),
            relaxed: self.relaxed,
            paired_by_order: self.by_order,
        }
    }
}
