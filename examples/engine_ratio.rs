//! Times the engine on the `sim_throughput` linear pipeline interleaved with
//! its two references (the tokio paused-clock chain and the bare heap loop),
//! round after round, and prints each round's ratios and their medians.
//!
//! The bench measures its rows one after another, seconds apart, and on a
//! shared machine the load changes in between; here the three runs of a
//! round follow each other within a quarter of a second, so each ratio is
//! taken under one load.
//!
//! ```sh
//! cargo run --release --example engine_ratio -- 15
//! cargo run --profile dist --example engine_ratio -- 15
//! ```

use std::time::Instant;

use flowreplay::{Registry, RunConfig};

#[path = "../benches/support/bench_scenario.rs"]
mod bench_scenario;
#[path = "../benches/support/engine_references.rs"]
mod engine_references;
use bench_scenario::bench_scenario;
use engine_references::{bare_heap_loop, tokio_chain};

/// Messages per run, as in the bench: 400,000 deliveries.
const MESSAGES: u64 = 100_000;

/// Deliveries per second of `run`, which returns how many it made.
fn rate(run: impl FnOnce() -> Result<u64, Box<dyn std::error::Error>>) -> Result<f64, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let delivered = run()?;
    if delivered != 4 * MESSAGES {
        return Err(format!("{delivered} deliveries, expected {}", 4 * MESSAGES).into());
    }
    Ok(delivered as f64 / started.elapsed().as_secs_f64())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args().nth(1).map_or(Ok(15), |n| n.parse())?;
    if rounds == 0 {
        return Err("usage: engine_ratio [rounds ≥ 1]".into());
    }
    let scenario = bench_scenario("pipeline.toml", MESSAGES)?;
    let engine = || -> Result<u64, Box<dyn std::error::Error>> {
        let simulation = scenario.simulation(&Registry::builtin(), RunConfig { seed: 1, ..RunConfig::default() })?;
        Ok(simulation.run(None)?.delivered)
    };
    // One of each first, to warm caches and the allocator.
    rate(engine)?;
    rate(|| Ok(tokio_chain(MESSAGES)))?;
    rate(|| Ok(bare_heap_loop(MESSAGES)))?;
    let (mut over_tokio, mut over_bare) = (Vec::new(), Vec::new());
    println!("round  engine M/s  tokio M/s  bare M/s  engine÷tokio  engine÷bare");
    for round in 1..=rounds {
        let linear = rate(engine)?;
        let tokio = rate(|| Ok(tokio_chain(MESSAGES)))?;
        let bare = rate(|| Ok(bare_heap_loop(MESSAGES)))?;
        over_tokio.push(linear / tokio);
        over_bare.push(linear / bare);
        println!(
            "{round:>5}  {:>10.2}  {:>9.2}  {:>8.2}  {:>11.2}×  {:>10.3}×",
            linear / 1e6,
            tokio / 1e6,
            bare / 1e6,
            linear / tokio,
            linear / bare
        );
    }
    println!(
        "median of {rounds} rounds: engine ÷ tokio chain {:.2}× (goal ≥ 3), engine ÷ bare loop {:.3}× (goal ≥ 0.5)",
        median(&mut over_tokio),
        median(&mut over_bare)
    );
    Ok(())
}
