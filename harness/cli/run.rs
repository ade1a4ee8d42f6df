//! `flowreplay run`: scenario in, trace and summary out.

use std::path::PathBuf;

use clap::Args;
use flowreplay::{Nanos, NdjsonRecorder, Recorder, Registry, RunConfig, RunSummary, Scenario, Simulation, TieBreak};

use super::Failure;

/// Arguments of `flowreplay run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay run scenarios/linear-pipeline.toml\n  flowreplay run scenarios/fanout.toml --seed 42 --out trace.ndjson\n  flowreplay run scenarios/nack.toml --json"
)]
pub(crate) struct RunArgs {
    /// The scenario file (TOML; see docs/scenarios.md).
    scenario: PathBuf,
    /// Seed for every random choice [default: the scenario's `run.seed`, else 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Write the trace here as NDJSON (one event per line; written atomically).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Order of simultaneous events [default: the scenario's, else random].
    #[arg(long, value_enum)]
    tie_break: Option<TieBreakArg>,
    /// Stop at this virtual time, e.g. 10s or 250ms [default: the scenario's].
    #[arg(long, value_name = "DURATION")]
    max_time: Option<Nanos>,
    /// Stop after this many scheduler events [default: the scenario's].
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TieBreakArg {
    Random,
    Fifo,
}

impl RunArgs {
    /// The run settings: the scenario's, overridden by the flags given.
    fn config(&self, scenario: &Scenario) -> RunConfig {
        RunConfig {
            seed: self.seed.unwrap_or(scenario.run.seed),
            tie_break: match self.tie_break {
                Some(TieBreakArg::Random) => TieBreak::Random,
                Some(TieBreakArg::Fifo) => TieBreak::Fifo,
                None => scenario.run.tie_break,
            },
            max_time: self.max_time.or(scenario.run.max_time),
            max_events: self.max_events.or(scenario.run.max_events),
        }
    }

    /// The command line that reproduces this run exactly.
    fn reproduce(&self, config: &RunConfig) -> String {
        let tie_break = match config.tie_break {
            TieBreak::Random => "random",
            TieBreak::Fifo => "fifo",
        };
        let mut line =
            format!("flowreplay run {} --seed {} --tie-break {tie_break}", self.scenario.display(), config.seed);
        if let Some(limit) = config.max_time {
            line.push_str(&format!(" --max-time {limit}"));
        }
        if let Some(limit) = config.max_events {
            line.push_str(&format!(" --max-events {limit}"));
        }
        line
    }
}

pub(crate) fn run(args: RunArgs) -> Result<(), Failure> {
    let scenario = Scenario::load(&args.scenario).map_err(|e| Failure::BadInput(e.to_string()))?;
    let network = scenario.network(&Registry::builtin()).map_err(|e| Failure::BadInput(e.to_string()))?;
    let config = args.config(&scenario);
    eprintln!("flowreplay run {} · seed {} · tie-break {:?}", scenario.name, config.seed, config.tie_break);
    let mut recorder = match &args.out {
        Some(path) => Some(
            NdjsonRecorder::create(path, &network.topology)
                .map_err(|e| Failure::BadInput(format!("{}: cannot create trace file: {e}", path.display())))?,
        ),
        None => None,
    };
    let summary = Simulation::new(network, config)
        .run(recorder.as_mut().map(|r| r as &mut dyn Recorder))
        .map_err(|e| Failure::BadInput(e.to_string()))?;
    let trace_bytes = match (recorder, &args.out) {
        (Some(recorder), Some(path)) => Some(
            recorder.finish().map_err(|e| Failure::BadInput(format!("{}: cannot write trace: {e}", path.display())))?,
        ),
        _ => None,
    };
    if args.json {
        let mut value = serde_json::to_value(&summary).map_err(|e| Failure::BadInput(e.to_string()))?;
        value["scenario"] = scenario.name.clone().into();
        value["trace"] = args.out.as_ref().map(|p| p.display().to_string()).into();
        println!("{value}");
    } else {
        print_summary(&summary, &args.reproduce(&config), args.out.as_ref().zip(trace_bytes));
    }
    if summary.conserved() {
        Ok(())
    } else {
        Err(Failure::Expectation(format!(
            "conservation violated: {}\nreproduce: {}",
            summary.violations.join("; "),
            args.reproduce(&config)
        )))
    }
}

fn print_summary(summary: &RunSummary, reproduce: &str, trace: Option<(&PathBuf, u64)>) {
    let seconds = flowreplay::VirtualTime(summary.end_time_ns);
    println!(
        "injected {} · created {} · delivered {} · {} events · ended at {seconds}s ({:?})",
        summary.injected, summary.created, summary.delivered, summary.events, summary.stopped_by
    );
    let terminal: Vec<String> = summary.terminal.iter().map(|(state, n)| format!("{state} {n}")).collect();
    println!("terminal: {}", terminal.join(" · "));
    for (kind, reasons) in &summary.reasons {
        for (reason, n) in reasons {
            println!("  {kind}: {reason} × {n}");
        }
    }
    for item in summary.in_flight.iter().take(10) {
        println!("  in flight: #{} {}", item.message, item.location);
    }
    println!("edges:");
    for edge in &summary.edges {
        let blocked = if edge.blocked > 0 { format!("  ({} waited for room)", edge.blocked) } else { String::new() };
        println!(
            "  {:<28} {:>9} msgs {:>12} B{blocked}",
            format!("{} -> {}", edge.from, edge.to),
            edge.messages,
            edge.bytes
        );
    }
    if let Some((path, bytes)) = trace {
        println!("trace: {} ({bytes} bytes)", path.display());
    }
    println!("reproduce: {reproduce}");
}
