//! Putting dump records in the order things happened.
//!
//! Each thread writes its own buffer, so lines arrive out of order. Records
//! are ordered by `ts`, and by `s` within one (node, group) when their `ts`
//! are equal. Ordering by `ts` first keeps a restart (where `s` starts again
//! at 1) after what came before it.

use super::record::DumpRecord;

/// Sorts records into dump order (see [`dump_order`]). The sort is stable,
/// so records equal in all four keep their input order.
pub fn sort_records(mut records: Vec<DumpRecord>) -> Vec<DumpRecord> {
    records.sort_by(|a, b| {
        dump_order(a.ts_ns, a.node, &a.group, a.seq).cmp(&dump_order(b.ts_ns, b.node, &b.group, b.seq))
    });
    records
}

/// What dump order compares, in turn: `ts`, node, group and `s`. For
/// readers that keep lines in a form of their own.
pub fn dump_order<G: Ord>(ts_ns: u64, node: u16, group: G, seq: u64) -> (u64, u16, G, u64) {
    (ts_ns, node, group, seq)
}
