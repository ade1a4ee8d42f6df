//! `flowreplay stats`: what an elfo dump contains.

use std::path::PathBuf;

use clap::Args;
use flowreplay::dump::{DumpStats, StatsBuilder, StatsFilter};

use super::Failure;

/// Arguments of `flowreplay stats`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay stats scenarios/dumps/trading.dump\n  flowreplay stats a.dump b.dump --json --group pricing\n  flowreplay stats big.dump --lenient --since 1700000000000000000"
)]
pub(crate) struct StatsArgs {
    /// One or more elfo dump files (NDJSON) or quoted glob patterns, read in the order given.
    #[arg(required = true)]
    dumps: Vec<PathBuf>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// Skip malformed lines (counted and the first few listed) instead of stopping.
    #[arg(long)]
    lenient: bool,
    /// Only these actor groups (repeat for several).
    #[arg(long = "group", value_name = "GROUP")]
    groups: Vec<String>,
    /// Only records with ts at or after this Unix time in nanoseconds.
    #[arg(long, value_name = "TS_NS")]
    since: Option<u64>,
    /// Only records with ts before this Unix time in nanoseconds.
    #[arg(long, value_name = "TS_NS")]
    until: Option<u64>,
    /// Include the framework's own system.* groups.
    #[arg(long)]
    include_system: bool,
}

pub(crate) fn stats(args: StatsArgs) -> Result<(), Failure> {
    let filter = StatsFilter {
        groups: args.groups.clone(),
        since_ns: args.since,
        until_ns: args.until,
        include_system: args.include_system,
    };
    let mut builder = StatsBuilder::new(filter);
    let bad = super::read_dumps(&args.dumps, args.lenient, |record| builder.add(&record))?;
    let stats = builder.finish(bad.count);
    if args.json {
        let value = serde_json::to_value(&stats).map_err(|e| Failure::BadInput(e.to_string()))?;
        println!("{value}");
    } else {
        print_report(&stats);
    }
    Ok(())
}

fn print_report(stats: &DumpStats) {
    let span = match (stats.first_ts, stats.last_ts) {
        (Some(first), Some(last)) => format!("ts {first} .. {last} ({:.3} s)", (last - first) as f64 / 1e9),
        _ => "no records".into(),
    };
    println!("{} records · {} bad lines · {span}", stats.lines, stats.bad_lines);
    for (name, group) in &stats.groups {
        let keys: Vec<&str> = group.keys.iter().map(|k| k.as_str()).collect();
        println!("{name}: in {} · out {} · keys [{}]", group.inbound, group.outbound, keys.join(", "));
        for (message, counts) in &group.messages {
            println!("  {message:<32} in {:>8}  out {:>8}  {:>12} B", counts.inbound, counts.outbound, counts.bytes);
        }
    }
    for gap in &stats.gaps {
        let ranges: Vec<String> =
            gap.missing.iter().map(|[a, b]| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect();
        println!("possible loss: node {} group {}: s missing {}", gap.node, gap.group, ranges.join(", "));
    }
    let r = &stats.requests;
    let l = &r.latency_ns;
    println!(
        "requests: matched {} · unmatched {} · orphan responses {} · latency ns min {} mean {} p50 {} p99 {} max {}",
        r.matched, r.unmatched, r.orphan_responses, l.min, l.mean, l.p50, l.p99, l.max
    );
}
