//! Clock skew: receipts dumped before their send. Each elfo node stamps
//! `ts` with its own clock, so a message that crossed from one node to
//! another can look as if it arrived before it left.

use std::collections::{BTreeMap, VecDeque};

use compact_str::CompactString;
use rustc_hash::FxHashMap;
use serde::Serialize;
use smallvec::SmallVec;

use super::network::{flow_key, FlowKey};
use super::record::{place_name, Direction, DumpRecord};

/// Receipts dumped before their send, from one place to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockSkew {
    /// The sending place (`group` or `group/key`).
    pub from: String,
    /// The sender's elfo node number (`n`).
    pub from_node: u16,
    /// The receiving place.
    pub to: String,
    /// The receiver's elfo node number.
    pub to_node: u16,
    /// The `ts` of each such receipt, as recorded.
    pub receipts: Vec<u64>,
    /// The largest amount a receipt was dumped before its send, in ns.
    pub max_ns: u64,
}

/// Skews per (sender, receiver), in place order.
#[derive(Debug, Default)]
pub struct SkewTally(BTreeMap<(CompactString, CompactString), ClockSkew>);

impl SkewTally {
    /// Notes that `receipt` was dumped before `send`, its send.
    pub fn add(&mut self, send: &End, receipt: &End) {
        let (from, to) = (send.place(), receipt.place());
        let skew = self.0.entry((from.clone(), to.clone())).or_insert_with(|| ClockSkew {
            from: from.to_string(),
            from_node: send.node,
            to: to.to_string(),
            to_node: receipt.node,
            receipts: Vec::new(),
            max_ns: 0,
        });
        skew.receipts.push(receipt.ts_ns);
        skew.max_ns = skew.max_ns.max(send.ts_ns.saturating_sub(receipt.ts_ns));
    }

    /// The skews found.
    pub fn finish(self) -> Vec<ClockSkew> {
        self.0.into_values().collect()
    }
}

/// A send or receipt, as much as skew needs of it.
#[derive(Debug, Clone)]
pub struct End {
    /// When it was dumped.
    pub ts_ns: u64,
    /// Its node number.
    pub node: u16,
    /// Its group and key.
    pub group: CompactString,
    /// Its key (`"_"` or none for a group's only actor).
    pub key: Option<CompactString>,
}

impl End {
    /// Its place (`group` or `group/key`), made only when it is reported.
    fn place(&self) -> CompactString {
        place_name(&self.group, self.key.as_deref())
    }
}

impl From<&DumpRecord> for End {
    fn from(record: &DumpRecord) -> End {
        End { ts_ns: record.ts_ns, node: record.node, group: record.group.clone(), key: record.key.clone() }
    }
}

/// How far apart (in `ts`) a send and its receipt may be dumped and still
/// be matched by [`SkewWatch`]: clocks of one deployment rarely disagree by
/// more, and it bounds what the watch holds.
pub const SKEW_HORIZON_NS: u64 = 100_000_000;

/// A send or receipt waiting in the watch.
#[derive(Debug, Clone)]
struct Seen {
    end: End,
    direction: Direction,
}

/// Finds skew in one streaming pass: each receipt is matched to a send with
/// the same trace id, name and body dumped within [`SKEW_HORIZON_NS`] of it
/// (the latest one dumped no later, else the earliest later one), so memory
/// holds one horizon of traffic, not the dump.
#[derive(Default)]
pub struct SkewWatch {
    /// Sends and unmatched receipts by a hash of their [`FlowKey`].
    seen: FxHashMap<u64, SmallVec<[Seen; 2]>>,
    /// Keys in the order they were added, for forgetting old ones.
    order: VecDeque<(u64, u64)>,
    tally: SkewTally,
}

/// One `u64` for a flow key (a collision can only pair two sends of the
/// same instant wrongly in this report, never change a verdict).
fn fold(key: FlowKey) -> u64 {
    key.0 ^ key.1.rotate_left(21) ^ key.2.rotate_left(42)
}

impl SkewWatch {
    /// Takes one record.
    pub fn add(&mut self, record: &DumpRecord) {
        self.forget_before(record.ts_ns.saturating_sub(SKEW_HORIZON_NS));
        let key = fold(flow_key(record));
        let end = End::from(record);
        let list = self.seen.entry(key).or_default();
        match record.direction {
            Direction::Out => {
                // Receipts that came first in the dump and were dumped earlier still.
                for receipt in list.iter().filter(|s| s.direction == Direction::In && s.end.ts_ns < end.ts_ns) {
                    self.tally.add(&end, &receipt.end);
                }
                list.retain(|s| s.direction == Direction::Out);
                list.push(Seen { end, direction: Direction::Out });
            }
            Direction::In => {
                let sends = list.iter().filter(|s| s.direction == Direction::Out);
                let earlier = sends.clone().filter(|s| s.end.ts_ns <= end.ts_ns).max_by_key(|s| s.end.ts_ns);
                match earlier.or_else(|| sends.min_by_key(|s| s.end.ts_ns)) {
                    Some(send) if send.end.ts_ns > end.ts_ns => self.tally.add(&send.end, &end),
                    Some(_) => {}
                    None => list.push(Seen { end, direction: Direction::In }),
                }
            }
        }
        self.order.push_back((record.ts_ns, key));
    }

    fn forget_before(&mut self, ts_ns: u64) {
        while let Some(&(at, key)) = self.order.front().filter(|(at, _)| *at < ts_ns) {
            self.order.pop_front();
            if let Some(list) = self.seen.get_mut(&key) {
                list.retain(|s| s.end.ts_ns > at);
                if list.is_empty() {
                    self.seen.remove(&key);
                }
            }
        }
    }

    /// The skews found.
    pub fn finish(self) -> Vec<ClockSkew> {
        self.tally.finish()
    }
}
