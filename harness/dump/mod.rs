//! elfo NDJSON dumps: typed records, a streaming reader (strict or lenient),
//! a writer in elfo's key order, and the statistics `flowreplay stats` prints.
//!
//! The format is specified in "The elfo dump format" in DESIGN.md: one JSON
//! object per line, keys in any order, lines in any order, ids that must stay
//! exact `u64`s, bodies that may be `null` or cut short (`" TRUNCATED"`).

mod fast_path;
mod network;
mod order;
mod read;
mod record;
mod skew;
mod stats;
pub mod synthetic;
mod write;

pub use network::{flow_key, match_flows, Flow, FlowEnd, FlowKey, InferredNetwork, NetworkBuilder};
pub use order::{dump_order, sort_records};
pub use read::{read_all, read_str, BadLines, DumpError, DumpReader, ReadMode};
pub use record::{place_name, Direction, DumpRecord, RawBody, TRUNCATED_SUFFIX};
pub use skew::{ClockSkew, End, SkewTally, SkewWatch, SKEW_HORIZON_NS};
pub use stats::{DumpStats, Gap, GroupCounts, LatencySummary, MessageCounts, RequestStats, StatsBuilder, StatsFilter};
pub use write::{write_record, write_records};
