//! The command line, for the shipped `flowreplay` binary and for yours:
//! [`main_with`] gives a binary of a few lines every verb, with your node
//! kinds and your suite's folders and bindings. clap parses, the verbs call
//! the library, and errors are printed once, here, with the exit code they
//! deserve (1: the run broke an expectation, 2: bad input or usage).
//!
//! ```no_run
//! // src/bin/mycli.rs
//! use flowreplay::suite::Suite;
//! use flowreplay::{NodeBuild, Registry};
//!
//! fn registry() -> Registry {
//!     let mut registry = Registry::builtin();
//!     registry.register("audit", |_config| Ok(NodeBuild::processor(MyAudit, &["in"], &["out"])));
//!     registry
//! }
//! # struct MyAudit;
//! # impl flowreplay::Actor for MyAudit {
//! #     fn on_message(&mut self, ctx: &mut flowreplay::Context<'_>, _: flowreplay::InPort, m: flowreplay::Message) { ctx.send("out", m) }
//! # }
//!
//! fn main() -> std::process::ExitCode {
//!     flowreplay::cli::main_with(Suite::new(registry).bind("prod", "audit", "audit"))
//! }
//! ```

mod diff;
mod explore;
mod gen;
mod golden;
mod graph;
mod lineage;
mod progress;
mod replay;
mod run;
mod stats;
mod trace_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::suite::Suite;

/// flowreplay: replay message-passing systems deterministically and diff what
/// they do.
#[derive(Debug, Parser)]
#[command(name = "flowreplay", version, about, long_about = None, after_help = "Exit codes: 0 ok, 1 an expectation failed, 2 bad input or usage.")]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
    /// Print no progress on stderr (it only shows on a terminal, for work over a second).
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Run a scenario and write its trace.
    Run(run::RunArgs),
    /// Report what elfo dumps contain (groups, messages, gaps, request latencies), or a trace's metrics.
    Stats(stats::StatsArgs),
    /// Draw the network an elfo dump implies (DOT or Mermaid), with per-edge counts.
    Graph(graph::GraphArgs),
    /// Replay an elfo dump in the simulator and judge each group against its recording.
    Replay(replay::ReplayArgs),
    /// Follow a message's causes and effects through a trace or a dump.
    Lineage(lineage::LineageArgs),
    /// Compare two traces, goldens or dumps: first divergence, counts, messages, unified diff.
    Diff(diff::DiffArgs),
    /// Write a generated scenario (topology, workload, faults) drawn from a seed.
    Gen(gen::GenArgs),
    /// Run a scenario across many seeds (and random faults), judge each by its [expect], shrink what fails.
    Explore(explore::ExploreArgs),
    /// Run scenarios (twice, for determinism) and compare each with its golden.
    Check(golden::CheckArgs),
    /// Write the goldens of scenarios and dumps (refused when CI=true).
    Bless(golden::BlessArgs),
}

/// A failure, sorted by what the user should make of it.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The input or the invocation is wrong (exit 2).
    BadInput(String),
    /// The run happened but broke an expectation (exit 1).
    Expectation(String),
}

/// Bad input, reported as it describes itself (exit 2): for `map_err`.
pub(crate) fn bad(error: impl std::fmt::Display) -> Failure {
    Failure::BadInput(error.to_string())
}

/// Whether the inputs are one flowreplay trace file (not elfo dumps).
pub(crate) fn single_trace(inputs: &[std::path::PathBuf]) -> Result<bool, Failure> {
    match inputs {
        [path] if path.exists() => crate::trace::is_trace_file(path).map_err(bad),
        _ => Ok(false),
    }
}

/// Dump paths as given, with any glob pattern (`logs/*.dump`, quoted so the
/// shell left it alone) expanded in sorted order. A pattern that matches
/// nothing is an error, not an empty input.
pub(crate) fn expand_dumps(paths: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>, Failure> {
    let mut expanded = Vec::new();
    for path in paths {
        let text = path.to_string_lossy();
        if path.exists() || !text.contains(['*', '?', '[']) {
            expanded.push(path.clone());
            continue;
        }
        let pattern = glob::glob(&text).map_err(|e| Failure::BadInput(format!("{text}: bad glob pattern: {e}")))?;
        let mut matches: Vec<_> = pattern.filter_map(Result::ok).collect();
        if matches.is_empty() {
            return Err(Failure::BadInput(format!("{text}: no dump matches this pattern")));
        }
        matches.sort();
        expanded.extend(matches);
    }
    Ok(expanded)
}

/// Reads every record of the dumps (paths or quoted globs), handing each to
/// `take`; returns what lenient mode skipped, having listed it on stderr.
pub(crate) fn read_dumps(
    paths: &[std::path::PathBuf],
    lenient: bool,
    mut take: impl FnMut(crate::dump::DumpRecord),
) -> Result<crate::dump::BadLines, Failure> {
    let paths = expand_dumps(paths)?;
    let total = paths.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let progress = progress::Progress::bytes(total, "reading");
    let mut reader = crate::dump::DumpReader::open(&paths, crate::dump::ReadMode::lenient_if(lenient));
    while let Some(record) = reader.next() {
        take(record.map_err(|e| Failure::BadInput(e.to_string()))?);
        if reader.records_read() % 4096 == 0 {
            progress.set(reader.bytes_read());
        }
    }
    progress.finish();
    let bad = reader.bad_lines().clone();
    for error in &bad.first {
        eprintln!("skipped: {error}");
    }
    if bad.count > bad.first.len() as u64 {
        eprintln!("skipped {} more bad lines", bad.count - bad.first.len() as u64);
    }
    Ok(bad)
}

/// Runs the command line with `suite`'s node kinds, folders and bindings:
/// `run` and `replay --bind` see its kinds, `check` and `bless` its inputs,
/// goldens and bindings. The shipped binary is `main_with(Suite::builtin())`.
pub fn main_with(suite: Suite) -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    progress::set_quiet(cli.quiet);
    let result = match cli.verb {
        Verb::Run(args) => run::run(args, &suite),
        Verb::Stats(args) => stats::stats(args),
        Verb::Graph(args) => graph::graph(args),
        Verb::Replay(args) => replay::replay(args, &suite),
        Verb::Lineage(args) => lineage::lineage(args),
        Verb::Diff(args) => diff::diff(args),
        Verb::Gen(args) => gen::generate(args),
        Verb::Explore(args) => explore::explore(args, &suite),
        Verb::Check(args) => golden::check(args, &suite),
        Verb::Bless(args) => golden::bless(args, &suite),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Expectation(message)) => {
            eprintln!("flowreplay: {message}");
            ExitCode::from(1)
        }
        Err(Failure::BadInput(message)) => {
            eprintln!("flowreplay: error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Rust ignores SIGPIPE, which turns `flowreplay stats big.dump | head` into a
/// panic on the first write after `head` exits. Restoring the default makes
/// the process end quietly instead, as other command-line tools do.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before the command starts any thread;
    // SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// One line for receipts dumped before their send.
fn skew_line(skew: &crate::dump::ClockSkew) -> String {
    format!(
        "clock skew: {} receipts at {} (node {}) dumped up to {} ns before their send from {} (node {})",
        skew.receipts.len(),
        skew.to,
        skew.to_node,
        skew.max_ns,
        skew.from,
        skew.from_node
    )
}
