//! `sim_throughput`: delivered messages per second with tracing off, on the
//! five-node linear pipeline, on a fan-out, and on a batch + retry +
//! failover topology; beside two references measured in the same run, a
//! tokio paused-clock chain and a bare binary-heap event loop, each with
//! the linear pipeline's four hops per message (see BENCHMARKS.md).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flowreplay::{Registry, RunConfig, Scenario};

#[path = "support/bench_scenario.rs"]
mod bench_scenario;
#[path = "support/engine_references.rs"]
mod engine_references;
use bench_scenario::bench_scenario;
use engine_references::{bare_heap_loop, tokio_chain};

const MESSAGES: u64 = 100_000;

fn run(scenario: &Scenario) -> u64 {
    let simulation = scenario.simulation(&Registry::builtin(), RunConfig { seed: 1, ..RunConfig::default() });
    let summary = simulation.unwrap_or_else(|e| panic!("{e}")).run(None).expect("runs");
    assert!(summary.conserved() && summary.drained());
    summary.delivered
}

fn sim_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim_throughput");
    group.sample_size(20);
    let topologies = [
        ("linear_5_nodes", "pipeline.toml"),
        ("fanout_2_exporters", "fanout.toml"),
        ("batch_retry_failover", "reliable.toml"),
    ];
    for (name, file) in topologies {
        let scenario = bench_scenario(file, MESSAGES).unwrap_or_else(|e| panic!("{e}"));
        let delivered = run(&scenario);
        group.throughput(Throughput::Elements(delivered));
        group.bench_with_input(BenchmarkId::new(name, MESSAGES), &scenario, |b, s| b.iter(|| run(s)));
    }
    // The references for the linear pipeline's four hops per message.
    group.throughput(Throughput::Elements(4 * MESSAGES));
    assert_eq!(bare_heap_loop(MESSAGES), 4 * MESSAGES);
    group.bench_function(BenchmarkId::new("reference_bare_heap_loop", MESSAGES), |b| {
        b.iter(|| bare_heap_loop(MESSAGES))
    });
    assert_eq!(tokio_chain(1000), 4000);
    group.bench_function(BenchmarkId::new("reference_tokio_paused_chain", MESSAGES), |b| {
        b.iter(|| tokio_chain(MESSAGES))
    });
    group.finish();
}

criterion_group!(benches, sim_throughput);
criterion_main!(benches);
