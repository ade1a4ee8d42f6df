//! `sim_throughput`: delivered messages per second with tracing off, on the
//! five-node linear pipeline, on a fan-out, and on a batch + retry +
//! failover topology (see BENCHMARKS.md).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flowreplay::{Registry, RunConfig, Scenario};

const MESSAGES: u64 = 100_000;

/// Loads a bench topology with its workload set to `count` messages.
fn scenario(file: &str, count: u64) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches").join(file);
    let mut scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    scenario.network.nodes[0].config["workload"]["count"] = count.into();
    scenario
}

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
        let scenario = scenario(file, MESSAGES);
        let delivered = run(&scenario);
        group.throughput(Throughput::Elements(delivered));
        group.bench_with_input(BenchmarkId::new(name, MESSAGES), &scenario, |b, s| b.iter(|| run(s)));
    }
    group.finish();
}

criterion_group!(benches, sim_throughput);
criterion_main!(benches);
