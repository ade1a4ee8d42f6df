//! Integration tests, built as one binary to keep link time down.

mod async_actors;
mod backpressure;
#[path = "../../benches/support/bench_scenario.rs"]
mod bench_scenario;
mod catalog;
mod cli;
mod conservation;
mod content_router;
mod context;
mod delay_map;
mod determinism;
mod dump_network;
mod dump_read;
mod dump_stats;
mod expect;
mod explore;
mod faults;
mod generated;
mod golden;
mod replay;
mod services;
mod signals;
mod suite;
mod trace;
mod validation;
mod verdict;

use std::path::PathBuf;

use flowreplay::{MemoryRecorder, Registry, RunSummary, Scenario};

/// Every scenario shipped in `scenarios/`.
pub fn shipped_scenarios() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 3, "expected the shipped scenarios, found {paths:?}");
    paths
}

/// The path of a shipped scenario.
pub fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"))
}

/// Runs the `flowreplay` binary with `args` and waits for it.
pub fn flowreplay(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flowreplay")).args(args).output().expect("flowreplay runs")
}

/// Runs a scenario text with `registry`, keeping the trace (bodies
/// included) in memory; `trace.events()` decodes it.
pub fn run_text(text: &str, registry: &Registry, seed: u64) -> (RunSummary, MemoryRecorder) {
    let scenario = Scenario::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
    let simulation =
        scenario.simulation(registry, scenario.run.with_seed(Some(seed))).unwrap_or_else(|e| panic!("{e}"));
    let mut trace = MemoryRecorder::with_bodies();
    let summary = simulation.run(Some(&mut trace)).expect("run starts");
    (summary, trace)
}

/// Runs a shipped scenario file with `seed`, keeping the trace in memory.
pub fn run_file(path: &std::path::Path, seed: u64) -> (RunSummary, MemoryRecorder) {
    let text = std::fs::read_to_string(path).expect("scenario readable");
    run_text(&text, &Registry::builtin(), seed)
}
