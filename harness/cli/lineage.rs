//! `flowreplay lineage`: where a message came from and what it caused.

use std::path::PathBuf;

use crate::dump::sort_records;
use crate::trace::{dump_lineage, trace_lineage, Lineage, Origin, Reach, TraceReader};
use clap::{ArgGroup, Args};

use super::Failure;

/// Arguments of `flowreplay lineage`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("origin").required(true).args(["message", "trace_id"])),
    after_help = "Examples:\n  flowreplay run scenarios/linear-pipeline.toml --out trace.ndjson\n  flowreplay lineage trace.ndjson --message 3\n  flowreplay lineage trace.ndjson --message 3 --ancestors\n  flowreplay lineage scenarios/dumps/trading.dump --trace-id 1152921504606847976 --json"
)]
pub(crate) struct LineageArgs {
    /// A flowreplay trace (from `run --out`), or elfo dumps (paths or quoted globs).
    #[arg(required = true, value_name = "TRACE_OR_DUMP")]
    inputs: Vec<PathBuf>,
    /// The message to follow, by id (traces only: dump lines have no message ids).
    #[arg(long, value_name = "ID")]
    message: Option<u64>,
    /// Every message of this trace id, as a causal tree.
    #[arg(long, value_name = "T")]
    trace_id: Option<u64>,
    /// Only the chain from the source to the message.
    #[arg(long, conflicts_with_all = ["descendants", "trace_id"])]
    ancestors: bool,
    /// Only what the message caused.
    #[arg(long, conflicts_with = "trace_id")]
    descendants: bool,
    /// Print the lineage as one JSON object.
    #[arg(long)]
    json: bool,
    /// Dumps: skip malformed lines instead of stopping.
    #[arg(long)]
    lenient: bool,
    /// Dumps: follow the framework's system.* groups too (left out by default).
    #[arg(long)]
    include_system: bool,
}

pub(crate) fn lineage(args: LineageArgs) -> Result<(), Failure> {
    let reach = match (args.ancestors, args.descendants) {
        (true, _) => Reach::Ancestors,
        (_, true) => Reach::Descendants,
        _ => Reach::Both,
    };
    let origin = match (args.message, args.trace_id) {
        (Some(message), _) => Origin::Message(message, reach),
        (None, Some(trace)) => Origin::Trace(trace),
        (None, None) => return Err(Failure::BadInput("give --message ID or --trace-id T".into())),
    };
    let trace_file = super::single_trace(&args.inputs)?;
    if trace_file && args.lenient {
        return Err(Failure::BadInput("--lenient applies to elfo dumps, and this is a trace".into()));
    }
    let lineage: Lineage = if trace_file {
        let lines = TraceReader::read_all(&args.inputs[0]).map_err(super::bad)?;
        trace_lineage(&lines, origin).map_err(super::bad)?
    } else {
        let Origin::Trace(trace) = origin else {
            return Err(Failure::BadInput(
                "dump lines have no message ids: follow a dump with --trace-id T (see `flowreplay stats`)".into(),
            ));
        };
        let mut records = Vec::new();
        super::read_dumps(&args.inputs, args.lenient, |record| {
            if record.trace_id == trace {
                records.push(record);
            }
        })?;
        dump_lineage(&sort_records(records), trace, args.include_system).map_err(super::bad)?
    };
    if args.json {
        println!("{}", serde_json::to_value(&lineage).map_err(super::bad)?);
    } else {
        print!("{}", lineage.render());
    }
    Ok(())
}
