//! `flowreplay graph`: draw the network a dump implies.

use std::path::PathBuf;

use crate::dump::NetworkBuilder;
use clap::{Args, ValueEnum};

use super::Failure;

/// Arguments of `flowreplay graph`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay graph scenarios/dumps/trading.dump | dot -Tsvg > trading.svg\n  flowreplay graph a.dump b.dump --format mermaid"
)]
pub(crate) struct GraphArgs {
    /// One or more elfo dump files or quoted glob patterns ("logs/*.dump").
    #[arg(required = true)]
    dumps: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "dot")]
    format: GraphFormat,
    /// Skip malformed lines instead of stopping.
    #[arg(long)]
    lenient: bool,
    /// Include the framework's own system.* groups.
    #[arg(long)]
    include_system: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

pub(crate) fn graph(args: GraphArgs) -> Result<(), Failure> {
    let mut builder = NetworkBuilder::new(args.include_system);
    super::read_dumps(&args.dumps, args.lenient, |record| builder.add(&record))?;
    let network = builder.finish();
    print!(
        "{}",
        match args.format {
            GraphFormat::Dot => network.to_dot(),
            GraphFormat::Mermaid => network.to_mermaid(),
        }
    );
    Ok(())
}
