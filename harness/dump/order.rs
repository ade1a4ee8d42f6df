//! Putting dump records in the order things happened.
//!
//! Each thread writes its own buffer, so lines arrive out of order. Within
//! one (node, group) the sequence number `s` is the true order; across
//! groups only the wall-clock `ts` relates records. So records are ordered
//! by `s` within their (node, group) and those runs are merged by `ts`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use compact_str::CompactString;

use super::record::DumpRecord;

/// Sorts records into dump order: by `s` within one (node, group), merged
/// across groups by `ts` (ties by node, group, then `s`).
pub fn sort_records(records: Vec<DumpRecord>) -> Vec<DumpRecord> {
    let mut runs: BTreeMap<(u16, CompactString), Vec<DumpRecord>> = BTreeMap::new();
    for record in records {
        runs.entry((record.node, record.group.clone())).or_default().push(record);
    }
    let mut runs: Vec<std::vec::IntoIter<DumpRecord>> = runs
        .into_values()
        .map(|mut run| {
            run.sort_by_key(|r| (r.seq, r.ts_ns));
            run.into_iter()
        })
        .collect();
    let mut heads = BinaryHeap::new();
    let mut pending: Vec<Option<DumpRecord>> = Vec::with_capacity(runs.len());
    for (index, run) in runs.iter_mut().enumerate() {
        let head = run.next();
        if let Some(r) = &head {
            heads.push(Reverse((r.ts_ns, r.node, r.group.clone(), r.seq, index)));
        }
        pending.push(head);
    }
    let mut ordered = Vec::new();
    while let Some(Reverse((_, _, _, _, index))) = heads.pop() {
        let Some(record) = pending[index].take() else { continue };
        ordered.push(record);
        if let Some(next) = runs[index].next() {
            heads.push(Reverse((next.ts_ns, next.node, next.group.clone(), next.seq, index)));
            pending[index] = Some(next);
        }
    }
    ordered
}
