//! `flowreplay replay`: run a dump's network again and say, per group,
//! whether it still sends what it sent when recorded.

use std::path::PathBuf;

use clap::Args;
use flowreplay::atomic_file::AtomicFile;
use flowreplay::dump::write_records;
use flowreplay::replay::{describe, Replay, Status};

use super::Failure;

/// Arguments of `flowreplay replay`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay replay scenarios/dumps/trading.dump\n  flowreplay replay prod.dump --json --out recaptured.dump\n  flowreplay replay prod.dump --bind audit=exporter\n\nExit codes: 0 every group sent what it sent when recorded, 1 some group differs, 2 bad input."
)]
pub(crate) struct ReplayArgs {
    /// One or more elfo dump files or quoted glob patterns ("logs/*.dump").
    #[arg(required = true)]
    dumps: Vec<PathBuf>,
    /// Seed for the scheduler's tie-breaks.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write the re-captured messages here as an elfo dump (atomically).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the verdict as one JSON object.
    #[arg(long)]
    json: bool,
    /// Run a group as a built-in node kind instead of its recorded stub (repeatable).
    #[arg(long = "bind", value_name = "GROUP=NODE_KIND")]
    bindings: Vec<String>,
    /// Skip malformed dump lines instead of stopping.
    #[arg(long)]
    lenient: bool,
}

pub(crate) fn replay(args: ReplayArgs) -> Result<(), Failure> {
    let bad = |e: &dyn std::fmt::Display| Failure::BadInput(e.to_string());
    let mut replay = Replay::open(&super::expand_dumps(&args.dumps)?, args.lenient).map_err(|e| bad(&e))?;
    replay.recapture(args.out.is_some());
    for binding in &args.bindings {
        let (group, kind) = binding.split_once('=').ok_or_else(|| {
            Failure::BadInput(format!("--bind {binding:?}: expected GROUP=NODE_KIND, e.g. audit=exporter"))
        })?;
        replay.bind_kind(group, kind).map_err(|e| bad(&e))?;
    }
    eprintln!("flowreplay replay · seed {} · {} groups", args.seed, replay.groups().count());
    let outcome = replay.run(args.seed).map_err(|e| bad(&e))?;
    if let Some(path) = &args.out {
        write_dump(path, &outcome.recaptured)
            .map_err(|e| Failure::BadInput(format!("{}: cannot write: {e}", path.display())))?;
    }
    if args.json {
        println!("{}", serde_json::to_value(&outcome.verdict).map_err(|e| bad(&e))?);
    } else {
        for (group, verdict) in &outcome.verdict.groups {
            match verdict.status {
                Status::Equal => println!("{group}: equal ({} sends)", verdict.expected),
                _ => println!("{group}: {}", describe(verdict).replace('\n', "\n  ")),
            }
        }
        println!("{}", if outcome.verdict.equal { "verdict: equal" } else { "verdict: DIFFERENT" });
    }
    let equal = outcome.verdict.equal;
    // A replay holds every recorded message; freeing them one by one takes
    // about a fifth of a large replay's time, and the process is ending.
    std::mem::forget(outcome);
    std::mem::forget(replay);
    if equal {
        Ok(())
    } else {
        let mut reproduce = format!(
            "flowreplay replay {} --seed {}",
            args.dumps.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "),
            args.seed
        );
        for binding in &args.bindings {
            reproduce += &format!(" --bind {binding}");
        }
        if args.lenient {
            reproduce += " --lenient";
        }
        Err(Failure::Expectation(format!("replay differs from the recording\nreproduce: {reproduce}")))
    }
}

/// Writes the records as a dump at `path`, atomically.
fn write_dump(path: &std::path::Path, records: &[flowreplay::dump::DumpRecord]) -> std::io::Result<()> {
    let mut out = AtomicFile::create(path)?;
    write_records(&mut out, records)?;
    out.commit()
}
