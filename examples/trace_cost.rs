//! Runs the `tracing_overhead` pipeline once with one recorder mode, for
//! counting instructions where timing is too noisy:
//!
//! ```sh
//! cargo build --release --example trace_cost
//! valgrind --tool=callgrind target/release/examples/trace_cost none 20000
//! valgrind --tool=callgrind target/release/examples/trace_cost off 20000
//! valgrind --tool=callgrind target/release/examples/trace_cost memory 20000
//! valgrind --tool=callgrind target/release/examples/trace_cost bare 20000
//! ```
//!
//! `bare` is the bench's reference: a 48-byte record pushed into a `Vec`.

use flowreplay::{MemoryRecorder, Registry, RunConfig, Simulation};

#[path = "../benches/support/bare_push.rs"]
mod bare_push;
#[path = "../benches/support/bench_scenario.rs"]
mod bench_scenario;
use bare_push::BarePush;
use bench_scenario::bench_scenario;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: trace_cost none|off|memory|bare <messages>";
    let mode = args.next().ok_or(usage)?;
    let messages: u64 = args.next().ok_or(usage)?.parse()?;
    let network = bench_scenario("pipeline.toml", messages)?.network(&Registry::builtin())?;
    let simulation = Simulation::new(network, RunConfig { seed: 1, ..RunConfig::default() });
    let (mut memory, mut bare) = (MemoryRecorder::new(), BarePush(Vec::new()));
    let summary = match mode.as_str() {
        "none" => simulation.run_untraced()?,
        "off" => simulation.run(None)?,
        "memory" => simulation.run(Some(&mut memory))?,
        "bare" => simulation.run(Some(&mut bare))?,
        _ => return Err(usage.into()),
    };
    let recorded = memory.len() + bare.0.len();
    println!("{mode}: {} deliveries, {recorded} events recorded", summary.delivered);
    Ok(())
}
