//! `gen`: one generated scenario, as a file `run` accepts. The work is the
//! library's [`generate`](crate::generate); this file parses and writes.

use std::path::PathBuf;

use clap::Args;

use crate::generate::{draw, GenOptions};

use super::Failure;

/// Arguments of `gen`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay gen --seed 7 > generated.toml\n  flowreplay gen --seed 7 --nodes 12 --faults 0 --out scenarios/gen-7.toml\n\nThe same seed and options give the same scenario on every machine."
)]
pub(crate) struct GenArgs {
    /// The seed the scenario is drawn from.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Processors at most (one or two receivers and exporters come on top).
    #[arg(long, value_name = "K", default_value_t = 8)]
    nodes: usize,
    /// Messages per receiver at most.
    #[arg(long, value_name = "N", default_value_t = 200)]
    messages: u64,
    /// Faults at most (0: none).
    #[arg(long, value_name = "N", default_value_t = 3)]
    faults: usize,
    /// Write the scenario here (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) fn generate(args: GenArgs) -> Result<(), Failure> {
    if args.messages == 0 {
        return Err(Failure::BadInput("--messages 0: a receiver injects at least one message".into()));
    }
    let options = GenOptions {
        max_processors: args.nodes,
        max_messages: args.messages,
        max_faults: args.faults,
        ..GenOptions::default()
    };
    let (generated, _) = draw(&options, args.seed);
    match &args.out {
        Some(path) => super::explore::write_atomically(path, &generated.text),
        None => {
            print!("{}", generated.text);
            Ok(())
        }
    }
}
