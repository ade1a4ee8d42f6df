//! What a dump contains: counts per group and message, sequence gaps
//! (possible loss) and request/response matching with latencies.
//!
//! Everything is computed in one streaming pass with memory bounded by the
//! number of distinct groups, names and gaps, the requests still waiting for
//! their response, one `u64` per matched request (for exact percentiles),
//! and 100 ms of traffic for clock skew.

use std::collections::{BTreeMap, BTreeSet};

use compact_str::CompactString;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::record::{Direction, DumpRecord};
use super::skew::{ClockSkew, SkewWatch};
use crate::model::MessageKind;

/// Which records a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsFilter {
    /// Only these groups (all when empty).
    pub groups: Vec<String>,
    /// Only records with `ts` at or after this (Unix nanoseconds).
    pub since_ns: Option<u64>,
    /// Only records with `ts` before this (Unix nanoseconds).
    pub until_ns: Option<u64>,
    /// Include the framework's `system.*` groups (left out by default).
    pub include_system: bool,
}

impl StatsFilter {
    /// Whether `record` is covered.
    pub fn admits(&self, record: &DumpRecord) -> bool {
        (self.include_system || !record.is_system())
            && (self.groups.is_empty() || self.groups.iter().any(|g| *g == record.group))
            && self.since_ns.is_none_or(|t| record.ts_ns >= t)
            && self.until_ns.is_none_or(|t| record.ts_ns < t)
    }
}

/// In / out counts and bytes of one message name within a group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MessageCounts {
    /// Records with `d = In`.
    #[serde(rename = "in")]
    pub inbound: u64,
    /// Records with `d = Out`.
    #[serde(rename = "out")]
    pub outbound: u64,
    /// Body bytes, as dumped.
    pub bytes: u64,
}

/// Counts for one actor group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupCounts {
    /// Records with `d = In`.
    #[serde(rename = "in")]
    pub inbound: u64,
    /// Records with `d = Out`.
    #[serde(rename = "out")]
    pub outbound: u64,
    /// Actor keys seen, sorted.
    pub keys: BTreeSet<CompactString>,
    /// Per message name.
    pub messages: BTreeMap<CompactString, MessageCounts>,
}

/// Missing sequence numbers within one (node, group): possible loss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Node number.
    pub node: u16,
    /// Actor group.
    pub group: CompactString,
    /// Inclusive `[from, to]` ranges of missing `s`.
    pub missing: Vec<[u64; 2]>,
}

/// min / mean / p50 / p99 / max of a set of latencies, in nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LatencySummary {
    /// Smallest.
    pub min: u64,
    /// Arithmetic mean, rounded down.
    pub mean: u64,
    /// Median (nearest rank).
    pub p50: u64,
    /// 99th percentile (nearest rank).
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

impl LatencySummary {
    /// Summarises `values` (sorting them); all zero when empty.
    pub fn of(values: &mut [u64]) -> LatencySummary {
        if values.is_empty() {
            return LatencySummary::default();
        }
        values.sort_unstable();
        let rank = |p: u64| values[((values.len() as u64 * p).div_ceil(100).max(1) - 1) as usize];
        let total: u128 = values.iter().map(|&v| u128::from(v)).sum();
        LatencySummary {
            min: values[0],
            mean: (total / values.len() as u128) as u64,
            p50: rank(50),
            p99: rank(99),
            max: values[values.len() - 1],
        }
    }
}

/// Requests matched to their responses at the requester.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RequestStats {
    /// Out requests whose In response was found.
    pub matched: u64,
    /// Out requests with no In response in the dump.
    pub unmatched: u64,
    /// In responses with no Out request in the dump.
    pub orphan_responses: u64,
    /// Response `ts` minus request `ts`, over matched pairs.
    pub latency_ns: LatencySummary,
}

/// Everything `flowreplay stats` reports about a dump.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DumpStats {
    /// Records read (and covered by the filter).
    pub lines: u64,
    /// Lines skipped as malformed (lenient mode).
    pub bad_lines: u64,
    /// Earliest `ts`.
    pub first_ts: Option<u64>,
    /// Latest `ts`.
    pub last_ts: Option<u64>,
    /// Per group.
    pub groups: BTreeMap<CompactString, GroupCounts>,
    /// Sequence gaps per (node, group), in (node, group) order.
    pub gaps: Vec<Gap>,
    /// Request/response matching.
    pub requests: RequestStats,
    /// Receipts dumped before their send, per pair of places (clock skew
    /// between nodes), matched within [`SKEW_HORIZON_NS`](super::SKEW_HORIZON_NS).
    pub skews: Vec<ClockSkew>,
}

/// Who asked (node, group, key), and which exchange (`c`, `t`): `c` is
/// unique only per requesting actor.
type ExchangeKey = (u16, CompactString, Option<CompactString>, u64, u64);

#[derive(Default)]
struct Exchange {
    request: Option<(u64, CompactString)>,
    response: Option<(u64, CompactString)>,
}

/// Builds [`DumpStats`] one record at a time.
///
/// ```
/// use flowreplay::dump::{read_str, ReadMode, StatsBuilder, StatsFilter};
///
/// let dump = concat!(
///     r#"{"ts":100,"g":"web","k":"_","n":1,"s":1,"t":7,"d":"Out","mn":"Get","mp":"app","mk":"Request","m":null,"c":1}"#, "\n",
///     r#"{"ts":350,"g":"web","k":"_","n":1,"s":2,"t":7,"d":"In","mn":"Get::Response","mp":"app","mk":"Response","m":null,"c":1}"#, "\n",
/// );
/// let mut stats = StatsBuilder::new(StatsFilter::default());
/// for record in read_str("x.dump", dump, ReadMode::Strict).0 {
///     stats.add(&record.unwrap());
/// }
/// let stats = stats.finish(0);
/// assert_eq!(stats.requests.matched, 1);
/// assert_eq!(stats.requests.latency_ns.max, 250);
/// ```
pub struct StatsBuilder {
    filter: StatsFilter,
    stats: DumpStats,
    seen: BTreeMap<(u16, CompactString), SeqRanges>,
    exchanges: FxHashMap<ExchangeKey, Exchange>,
    latencies: Vec<u64>,
    skew: SkewWatch,
}

impl StatsBuilder {
    /// An empty report covering what `filter` admits.
    pub fn new(filter: StatsFilter) -> StatsBuilder {
        StatsBuilder {
            filter,
            stats: DumpStats::default(),
            seen: BTreeMap::new(),
            exchanges: FxHashMap::default(),
            latencies: Vec::new(),
            skew: SkewWatch::default(),
        }
    }

    /// Counts one record (if the filter admits it).
    pub fn add(&mut self, record: &DumpRecord) {
        if !self.filter.admits(record) {
            return;
        }
        let stats = &mut self.stats;
        stats.lines += 1;
        stats.first_ts = Some(stats.first_ts.map_or(record.ts_ns, |t| t.min(record.ts_ns)));
        stats.last_ts = Some(stats.last_ts.map_or(record.ts_ns, |t| t.max(record.ts_ns)));
        let group = stats.groups.entry(record.group.clone()).or_default();
        let message = group.messages.entry(record.name.clone()).or_default();
        match record.direction {
            Direction::In => {
                group.inbound += 1;
                message.inbound += 1;
            }
            Direction::Out => {
                group.outbound += 1;
                message.outbound += 1;
            }
        }
        message.bytes += record.body_bytes();
        if let Some(key) = &record.key {
            if !group.keys.contains(key) {
                group.keys.insert(key.clone());
            }
        }
        self.seen.entry((record.node, record.group.clone())).or_default().insert(record.seq);
        self.match_exchange(record);
        self.skew.add(record);
    }

    fn match_exchange(&mut self, record: &DumpRecord) {
        let Some(c) = record.correlation else { return };
        let side = match (record.kind, record.direction) {
            (MessageKind::Request, Direction::Out) => true,
            (MessageKind::Response, Direction::In) => false,
            _ => return,
        };
        let key = (record.node, record.group.clone(), record.key.clone(), c, record.trace_id);
        let exchange = self.exchanges.entry(key.clone()).or_default();
        let slot = if side { &mut exchange.request } else { &mut exchange.response };
        *slot = Some((record.ts_ns, record.name.clone()));
        if let (Some((asked, name)), Some((answered, reply))) = (&exchange.request, &exchange.response) {
            if reply.strip_suffix("::Response") == Some(name.as_str()) {
                self.latencies.push(answered.saturating_sub(*asked));
                self.stats.requests.matched += 1;
                self.exchanges.remove(&key);
            }
        }
    }

    /// The finished report; `bad_lines` is what the reader skipped.
    pub fn finish(mut self, bad_lines: u64) -> DumpStats {
        self.stats.bad_lines = bad_lines;
        for exchange in self.exchanges.values() {
            self.stats.requests.unmatched += u64::from(exchange.request.is_some());
            self.stats.requests.orphan_responses +=
                u64::from(exchange.request.is_none() && exchange.response.is_some());
        }
        self.stats.requests.latency_ns = LatencySummary::of(&mut self.latencies);
        self.stats.skews = self.skew.finish();
        self.stats.gaps = self
            .seen
            .into_iter()
            .filter_map(|((node, group), ranges)| {
                let missing = ranges.missing();
                (!missing.is_empty()).then_some(Gap { node, group, missing })
            })
            .collect();
        self.stats
    }
}

/// The sequence numbers seen for one (node, group), as merged ranges, so
/// out-of-order lines cost only as much memory as there are holes.
///
/// A restart (where `s` starts again at 1) is not told apart: its numbers
/// merge with the earlier period's, so a hole that the later period covers
/// goes unreported. Telling periods apart needs lines in `ts` order.
#[derive(Debug, Default)]
struct SeqRanges {
    /// start → end, inclusive, non-overlapping and non-adjacent.
    ranges: BTreeMap<u64, u64>,
}

impl SeqRanges {
    fn insert(&mut self, seq: u64) {
        let before = self.ranges.range(..=seq).next_back().map(|(&s, &e)| (s, e));
        if let Some((_, end)) = before {
            if seq <= end {
                return;
            }
        }
        let mut start = seq;
        let mut end = seq;
        if let Some((s, _)) = before.filter(|&(_, e)| e + 1 == seq) {
            start = s;
            self.ranges.remove(&s);
        }
        if let Some(next_end) = seq.checked_add(1).and_then(|n| self.ranges.remove(&n)) {
            end = next_end;
        }
        self.ranges.insert(start, end);
    }

    /// The holes between the lowest and highest number seen.
    fn missing(&self) -> Vec<[u64; 2]> {
        self.ranges.iter().zip(self.ranges.iter().skip(1)).map(|((_, &end), (&next, _))| [end + 1, next - 1]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_ranges_merge_in_any_order_and_report_the_holes() {
        let mut seen = SeqRanges::default();
        for s in [5, 1, 3, 2, 9, 10, 4, 12, 3] {
            seen.insert(s);
        }
        assert_eq!(seen.missing(), [[6, 8], [11, 11]]);
        assert_eq!(seen.ranges.len(), 3);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut values: Vec<u64> = (1..=100).rev().collect();
        let summary = LatencySummary::of(&mut values);
        assert_eq!((summary.min, summary.p50, summary.p99, summary.max, summary.mean), (1, 50, 99, 100, 50));
        assert_eq!(LatencySummary::of(&mut []), LatencySummary::default());
    }
}
