//! `flowreplay run`: scenario in, trace and summary out.

use std::path::PathBuf;

use crate::expect::Observer;
use crate::suite::Suite;
use crate::trace::{MetricsRecorder, RecorderReport, Tee};
use crate::{Nanos, RunConfig, RunSummary, Scenario, TieBreak};
use clap::Args;

use super::trace_args::TraceArgs;
use super::Failure;

/// Arguments of `flowreplay run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay run scenarios/linear-pipeline.toml\n  flowreplay run scenarios/fanout.toml --seed 42 --out trace.ndjson\n  flowreplay run scenarios/nack.toml --out trace.json --format chrome   # open in ui.perfetto.dev\n  flowreplay run scenarios/fanout.toml --out sampled.ndjson --sample 0.1 --always-message Alert\n  flowreplay run scenarios/nack.toml --json --metrics"
)]
pub(crate) struct RunArgs {
    /// The scenario file (TOML; see docs/scenarios.md).
    scenario: PathBuf,
    /// Seed for every random choice [default: the scenario's `run.seed`, else 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Write the trace here (NDJSON unless --format says otherwise; written atomically).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Also report metrics from every trace event: latencies, queue depths, failures.
    #[arg(long)]
    metrics: bool,
    #[command(flatten)]
    trace: TraceArgs,
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
    fn reproduce(&self, config: &RunConfig, command: &str) -> String {
        let tie_break = match config.tie_break {
            TieBreak::Random => "random",
            TieBreak::Fifo => "fifo",
        };
        let mut line =
            format!("{command} run {} --seed {} --tie-break {tie_break}", self.scenario.display(), config.seed);
        if let Some(limit) = config.max_time {
            line.push_str(&format!(" --max-time {limit}"));
        }
        if let Some(limit) = config.max_events {
            line.push_str(&format!(" --max-events {limit}"));
        }
        if let Some(out) = &self.out {
            line.push_str(&format!(" --out {}", out.display()));
        }
        line + &self.trace.reproduce()
    }
}

/// Runs the scenario. The trace lands at `--out` once the run completes, so
/// a run that then breaks an expectation (exit 1) keeps it to be debugged
/// with; a run that fails before completing (exit 2) leaves nothing.
pub(crate) fn run(args: RunArgs, suite: &Suite) -> Result<(), Failure> {
    let registry = suite.registry();
    let scenario = Scenario::load_with(&args.scenario, &registry).map_err(super::bad)?;
    let config = args.config(&scenario);
    let simulation = scenario.simulation(&registry, config).map_err(super::bad)?;
    let topology = simulation.topology();
    eprintln!("flowreplay run {} · seed {} · tie-break {:?}", scenario.name, config.seed, config.tie_break);
    args.trace.check_written(args.out.as_ref())?;
    let settings = args.trace.settings(scenario.trace.clone())?;
    if let Some(sampling) = &settings.sampling {
        sampling.check_actors(topology).map_err(|e| Failure::BadInput(format!("sampling: {e}")))?;
    }
    let mut file = match &args.out {
        Some(path) => Some(
            settings
                .create(path, topology, config.seed)
                .map_err(|e| Failure::BadInput(format!("{}: cannot create trace file: {e}", path.display())))?,
        ),
        None => None,
    };
    let mut metrics = args.metrics.then(|| MetricsRecorder::new(topology));
    let mut observer = scenario.expect.needs_trace().then(|| Observer::new(&scenario.expect));
    let summary = if metrics.is_none() && file.is_none() && observer.is_none() {
        simulation.run(None)
    } else {
        simulation.run(Some(&mut Tee(&mut observer, Tee(&mut metrics, &mut file))))
    }
    .map_err(super::bad)?;
    let observer = observer.unwrap_or_else(|| Observer::new(&scenario.expect));
    let violations = scenario.expect.check(&summary, &observer);
    let trace = match (file, &args.out) {
        (Some(file), Some(path)) => Some((
            path,
            file.finish().map_err(|e| Failure::BadInput(format!("{}: cannot write trace: {e}", path.display())))?,
        )),
        _ => None,
    };
    let metrics = metrics.map(MetricsRecorder::finish);
    if args.json {
        let mut value = serde_json::to_value(&summary).map_err(super::bad)?;
        value["scenario"] = scenario.name.clone().into();
        value["trace"] = args.out.as_ref().map(|p| p.display().to_string()).into();
        if let Some((_, report)) = &trace {
            value["recorder"] = serde_json::to_value(report).map_err(super::bad)?;
        }
        if let Some(metrics) = &metrics {
            value["metrics"] = serde_json::to_value(metrics).map_err(super::bad)?;
        }
        value["expect"] = serde_json::to_value(&violations).map_err(super::bad)?;
        println!("{value}");
    } else {
        print_summary(&summary, &args.reproduce(&config, suite.command_name()), trace);
        if let Some(metrics) = &metrics {
            super::stats::print_trace_metrics(metrics);
        }
    }
    if violations.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
    Err(Failure::Expectation(format!(
        "{} expectation(s) broken:\n{}\nreproduce: {}",
        violations.len(),
        listed.join("\n"),
        args.reproduce(&config, suite.command_name())
    )))
}

fn print_summary(summary: &RunSummary, reproduce: &str, trace: Option<(&PathBuf, RecorderReport)>) {
    let seconds = crate::VirtualTime(summary.end_time_ns);
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
    if !summary.faults.is_empty() {
        println!("faults:");
        for fault in &summary.faults {
            println!(
                "  {:<9} {:<28} applied {:>6} · messages {:>6}",
                fault.kind, fault.target, fault.applied, fault.messages
            );
        }
    }
    for item in summary.in_flight.iter().take(10) {
        println!("  in flight: #{} {}", item.message, item.location);
    }
    println!("edges:");
    for edge in &summary.edges {
        let blocked = if edge.blocked > 0 { format!("  ({} waited for room)", edge.blocked) } else { String::new() };
        println!("  {:<28} {:>9} msgs {:>12} B{blocked}", edge.label(), edge.messages, edge.bytes);
    }
    if let Some((path, report)) = trace {
        let sampled = match report.sampled_out {
            0 => String::new(),
            n => format!(", {n} sampled out"),
        };
        println!("trace: {} ({} events, {} bytes{sampled})", path.display(), report.recorded, report.bytes_written);
    }
    println!("reproduce: {reproduce}");
}
