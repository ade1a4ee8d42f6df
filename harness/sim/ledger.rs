//! Conservation accounting: every message is born once and ends once.
//!
//! The ledger holds only live messages (with the node that last handled
//! them), so its memory follows what is in flight, not how many messages a
//! run has moved. A second ending for the same message is recorded as a
//! violation instead of being counted twice.

use std::collections::BTreeMap;

use crate::model::{MessageId, NodeId};
use crate::net::Outcome;

use super::live::LiveMessages;
use super::summary::{LateExport, RunSummary};

/// Counts of births and endings, and the messages still alive.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    live: LiveMessages,
    pub(crate) injected: u64,
    pub(crate) created: u64,
    pub(crate) exported: u64,
    pub(crate) dropped: u64,
    pub(crate) nacked: u64,
    pub(crate) consumed: u64,
    pub(crate) discarded: u64,
    pub(crate) lost: u64,
    pub(crate) batched: u64,
    /// "dropped" / "nacked" / "discarded" / "lost" → reason → count.
    pub(crate) reasons: BTreeMap<&'static str, BTreeMap<String, u64>>,
    pub(crate) violations: Vec<String>,
    /// Messages exported after their `deadline` header, the first
    /// [`RunSummary::IN_FLIGHT_LISTED`] of them.
    pub(crate) late_exports: Vec<LateExport>,
}

impl Ledger {
    /// A receiver injected `id`.
    pub(crate) fn injected(&mut self, id: MessageId, at: NodeId) {
        self.injected += 1;
        self.live.insert(id, at);
    }

    /// An actor created `id`.
    pub(crate) fn created(&mut self, id: MessageId, at: NodeId) {
        self.created += 1;
        self.live.insert(id, at);
    }

    /// `id` reached a handler at `node`.
    pub(crate) fn handled_by(&mut self, id: MessageId, node: NodeId) {
        self.live.set_holder(id, node);
    }

    /// `id` ended with `outcome`; false (and a violation) if it had ended already.
    pub(crate) fn finish(&mut self, id: MessageId, outcome: &Outcome, node_name: &str) -> bool {
        if !self.live.remove(id) {
            self.violations.push(format!("message {id} ended twice: again as {outcome:?} at {node_name}"));
            return false;
        }
        let (counter, reason) = match outcome {
            Outcome::Exported => (&mut self.exported, None),
            Outcome::Consumed => (&mut self.consumed, None),
            Outcome::Dropped(reason) => (&mut self.dropped, Some(("dropped", reason.to_string()))),
            Outcome::Nacked(why) => (&mut self.nacked, Some(("nacked", why.reason.to_string()))),
            Outcome::Discarded(reason) => (&mut self.discarded, Some(("discarded", reason.to_string()))),
            Outcome::Lost(reason) => (&mut self.lost, Some(("lost", reason.to_string()))),
            Outcome::Batched => (&mut self.batched, None),
        };
        *counter += 1;
        if let Some((kind, reason)) = reason {
            *self.reasons.entry(kind).or_default().entry(reason).or_default() += 1;
        }
        true
    }

    /// A message was exported after its deadline.
    pub(crate) fn exported_late(&mut self, late: LateExport) {
        if self.late_exports.len() < RunSummary::IN_FLIGHT_LISTED {
            self.late_exports.push(late);
        }
    }

    /// The live messages in id order, with the node that last handled each.
    pub(crate) fn live(&self) -> Vec<(MessageId, NodeId)> {
        self.live.sorted()
    }

    /// How many messages are still alive.
    pub(crate) fn live_count(&self) -> u64 {
        self.live.len()
    }
}
