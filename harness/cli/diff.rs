//! `flowreplay diff`: what changed between two traces, goldens or dumps.

use std::path::PathBuf;

use clap::Args;
use flowreplay::compare::{BodyRules, IgnoreRule};
use flowreplay::golden::{diff_files, DiffOptions, TraceDiff};

use super::Failure;

/// Arguments of `flowreplay diff`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay diff golden/nack.snap trace.ndjson\n  flowreplay diff yesterday.dump today.dump --json\n  flowreplay diff a.ndjson b.ndjson --unordered --ignore /ts\n  flowreplay diff old.dump new.dump --ignore 'pricing:Quote/ts' --include-system\n\nExit codes: 0 equal, 1 different, 2 bad input."
)]
pub(crate) struct DiffArgs {
    /// The expected side: a trace (run --out), a golden (.snap) or an elfo dump.
    expected: PathBuf,
    /// The actual side, of any of those kinds.
    actual: PathBuf,
    /// Print everything as one JSON object.
    #[arg(long)]
    json: bool,
    /// Events at the same virtual instant compare as a set.
    #[arg(long)]
    unordered: bool,
    /// Ignore a body field: [GROUP:][NAME]/json/pointer, `*` for any key (repeatable).
    #[arg(long, alias = "redact", value_name = "RULE", value_parser = IgnoreRule::parse)]
    ignore: Vec<IgnoreRule>,
    /// Compare the framework's system.* groups of a dump too (left out by default).
    #[arg(long)]
    include_system: bool,
}

pub(crate) fn diff(args: DiffArgs) -> Result<(), Failure> {
    let options = DiffOptions {
        unordered: args.unordered,
        rules: BodyRules { ignore: args.ignore.clone() },
        ignore_bodies: false,
        include_system: args.include_system,
    };
    let result = diff_files(&args.expected, &args.actual, &options).map_err(super::bad)?;
    if args.json {
        println!("{}", serde_json::to_value(&result).map_err(super::bad)?);
    } else {
        print!("{}", describe(&result));
    }
    if result.equal {
        Ok(())
    } else {
        Err(Failure::Expectation(format!("{} and {} differ", args.expected.display(), args.actual.display())))
    }
}

/// A diff as text: the first divergence, then counts, messages and the
/// unified diff.
pub(crate) fn describe(diff: &TraceDiff) -> String {
    let relaxed: Vec<String> = diff.relaxed.iter().map(|(rule, n)| format!("{rule} {n}")).collect();
    let Some(first) = &diff.first_divergence else {
        return match relaxed.is_empty() {
            true => "equal\n".into(),
            false => format!("equal (relaxed: {})\n", relaxed.join(", ")),
        };
    };
    let mut out = format!(
        "first divergence at event {} ({}s, {}): {}\n",
        first.index,
        flowreplay::VirtualTime(first.t_ns),
        first.edge,
        first.summary
    );
    out += &format!("  expected: {}\n", first.expected.as_deref().unwrap_or("(nothing)"));
    out += &format!("  actual:   {}\n", first.actual.as_deref().unwrap_or("(nothing)"));
    for edge in &diff.edges {
        out += &format!("edge {}: {} -> {} messages\n", edge.edge, edge.expected, edge.actual);
    }
    const SHOWN: usize = 10;
    for m in diff.missing.iter().take(SHOWN) {
        out += &format!("missing: {}#{} at {}\n", m.name, m.msg, m.place);
    }
    for m in diff.extra.iter().take(SHOWN) {
        out += &format!("extra:   {}#{} at {}\n", m.name, m.msg, m.place);
    }
    for c in diff.changed.iter().take(SHOWN) {
        out += &format!("changed: {}#{} at {}\n", c.expected.name, c.expected.msg, c.expected.place);
        for field in &c.fields {
            let path = if field.path.is_empty() { "(body)" } else { &field.path };
            out += &format!("  {path}: {} -> {}\n", field.expected, field.actual);
        }
    }
    let more = [("missing", diff.missing.len()), ("extra", diff.extra.len()), ("changed", diff.changed.len())];
    for (what, count) in more.into_iter().filter(|(_, n)| *n > SHOWN) {
        out += &format!("… {} more {what} messages (--json lists up to 50)\n", count - SHOWN);
    }
    for (rule, count) in &diff.relaxed {
        out += &format!("relaxed by {rule}: {count} comparisons\n");
    }
    out += "--- expected\n+++ actual\n";
    out += &diff.unified;
    out
}
