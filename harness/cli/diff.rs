//! `flowreplay diff`: what changed between two traces, goldens or dumps.

use std::path::PathBuf;

use crate::compare::{BodyRules, IgnoreRule};
use crate::golden::{diff_files, DiffOptions};
use clap::Args;

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
    let progress = super::progress::Progress::spinner("comparing");
    let result = diff_files(&args.expected, &args.actual, &options).map_err(super::bad)?;
    progress.finish();
    if args.json {
        println!("{}", serde_json::to_value(&result).map_err(super::bad)?);
    } else {
        print!("{}", result.report());
    }
    if result.equal {
        Ok(())
    } else {
        Err(Failure::Expectation(format!("{} and {} differ", args.expected.display(), args.actual.display())))
    }
}
