//! Runs the bench pipeline untraced with N messages and prints deliveries,
//! wall time and peak RSS, to show memory stays flat in the message count.
//!
//! `cargo run --release --example sim_memory -- 10000000`

use flowreplay::{Registry, RunConfig, Simulation};

#[path = "../benches/support/bench_scenario.rs"]
mod bench_scenario;
use bench_scenario::bench_scenario;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: u64 = std::env::args().nth(1).map_or(Ok(1_000_000), |n| n.parse())?;
    let network = bench_scenario("pipeline.toml", count)?.network(&Registry::builtin())?;
    let started = std::time::Instant::now();
    let summary = Simulation::new(network, RunConfig { seed: 1, ..RunConfig::default() }).run(None)?;
    let elapsed = started.elapsed();
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM")).map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    println!(
        "messages {count} · delivered {} · {:.2} s · {:.1} M deliveries/s · peak RSS {peak} kB · conserved {} · drained {}",
        summary.delivered,
        elapsed.as_secs_f64(),
        summary.delivered as f64 / elapsed.as_secs_f64() / 1e6,
        summary.conserved(),
        summary.drained()
    );
    Ok(())
}
