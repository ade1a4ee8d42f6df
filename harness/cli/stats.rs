//! `flowreplay stats`: what an elfo dump or a flowreplay trace contains.

use std::path::PathBuf;

use crate::dump::{DumpStats, LatencySummary, StatsBuilder, StatsFilter};
use crate::trace::{MetricsBuilder, ReasonCounts, TraceMetrics, TraceReader};
use clap::Args;

use super::Failure;

/// Arguments of `flowreplay stats`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay stats scenarios/dumps/trading.dump\n  flowreplay stats a.dump b.dump --json --group pricing\n  flowreplay stats big.dump --lenient --since 1700000000000000000\n  flowreplay stats trace.ndjson --json      # a trace written by run --out"
)]
pub(crate) struct StatsArgs {
    /// elfo dump files (NDJSON) or quoted glob patterns, read in the order given; or one
    /// flowreplay trace (NDJSON from `run --out`), for its metrics.
    #[arg(required = true, value_name = "DUMP_OR_TRACE")]
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
    if super::single_trace(&args.dumps)? {
        return trace_stats(&args.dumps[0], &args);
    }
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
        let value = serde_json::to_value(&stats).map_err(super::bad)?;
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
    for skew in &stats.skews {
        println!("{}", super::skew_line(skew));
    }
}

/// Metrics of a flowreplay trace file.
fn trace_stats(path: &std::path::Path, args: &StatsArgs) -> Result<(), Failure> {
    let dump_only = [
        ("--lenient", args.lenient),
        ("--group", !args.groups.is_empty()),
        ("--since", args.since.is_some()),
        ("--until", args.until.is_some()),
        ("--include-system", args.include_system),
    ];
    if let Some((flag, _)) = dump_only.iter().find(|(_, given)| *given) {
        return Err(Failure::BadInput(format!(
            "{}: {flag} applies to elfo dumps, and this is a trace",
            path.display()
        )));
    }
    let mut builder = MetricsBuilder::default();
    for line in TraceReader::open(path).map_err(super::bad)? {
        builder.add(&line.map_err(super::bad)?);
    }
    let metrics = builder.finish();
    if args.json {
        println!("{}", serde_json::to_value(&metrics).map_err(super::bad)?);
    } else {
        print_trace_metrics(&metrics);
    }
    Ok(())
}

/// The trace metrics report as text.
pub(crate) fn print_trace_metrics(metrics: &TraceMetrics) {
    let span = match (metrics.first_ts, metrics.last_ts) {
        (Some(first), Some(last)) => {
            format!("{} .. {} s", crate::VirtualTime(first), crate::VirtualTime(last))
        }
        _ => "no events".into(),
    };
    let kinds: Vec<String> = metrics.events.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    println!("{} events ({}) · {span}", metrics.lines, kinds.join(" · "));
    for (node, group) in &metrics.groups {
        let queue = metrics.max_queue.get(node.as_str()).copied().unwrap_or(0);
        println!("{node}: in {} · out {} · max queue {queue}", group.inbound, group.outbound);
        for (message, counts) in &group.messages {
            println!("  {message:<32} out {:>8}  {:>12} B", counts.outbound, counts.bytes);
        }
    }
    println!("edges:");
    for (edge, counts) in &metrics.edges {
        println!("  {edge:<40} {:>9} msgs {:>12} B", counts.messages, counts.bytes);
    }
    let latency = |what: &str, l: &LatencySummary| {
        println!("{what} ns: min {} mean {} p50 {} p99 {} max {}", l.min, l.mean, l.p50, l.p99, l.max);
    };
    latency("send -> deliver", &metrics.send_to_deliver_ns);
    latency("inject -> export", &metrics.inject_to_export_ns);
    let reasons = |what: &str, counts: &ReasonCounts| {
        let by: Vec<String> = counts.reasons.iter().map(|(r, n)| format!("{r} × {n}")).collect();
        println!(
            "{what} {}{}",
            counts.total,
            if by.is_empty() { String::new() } else { format!(" ({})", by.join(", ")) }
        );
    };
    println!("acks {}", metrics.acks);
    reasons("nacks", &metrics.nacks);
    reasons("drops", &metrics.drops);
    reasons("rejects", &metrics.rejects);
    reasons("faults", &metrics.faults);
    for failure in &metrics.last_failures {
        println!(
            "  failure: #{} {} at {} {}s: {}",
            failure.msg,
            failure.event,
            failure.node,
            crate::VirtualTime(failure.t_ns),
            failure.reason
        );
    }
}
