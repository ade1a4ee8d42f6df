//! `explore_throughput`: seeds per second that `explore` judges, on a
//! ten-node generated scenario with 10,000 messages, on one thread and on
//! two (see BENCHMARKS.md). The two give the same runs in the same order.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowreplay::explore::{Explore, FaultMode};
use flowreplay::generate::{draw, GenOptions};
use flowreplay::{Registry, Scenario};

const SEEDS: u64 = 8;
const MESSAGES: u64 = 10_000;

/// The first generated scenario with ten nodes, its workload set to 10,000 messages in all.
fn ten_nodes() -> Scenario {
    let options = GenOptions { max_processors: 8, max_faults: 0, ..GenOptions::default() };
    let generated = (0..).map(|seed| draw(&options, seed).0).find(|g| g.nodes == 10).expect("a ten-node draw");
    let mut scenario = generated.scenario();
    let receivers: Vec<usize> =
        (0..scenario.network.nodes.len()).filter(|&i| scenario.network.nodes[i].kind == "receiver").collect();
    for &i in &receivers {
        scenario.network.nodes[i].config["workload"]["count"] = (MESSAGES / receivers.len() as u64).into();
    }
    scenario
}

fn explore_throughput(c: &mut Criterion) {
    let scenario = ten_nodes();
    let explore = Explore::new(&scenario, &Registry::builtin, FaultMode::None).expect("explores");
    let seeds: Vec<u64> = (0..SEEDS).collect();
    let outline = |threads| -> Vec<(u64, usize)> {
        let runs = explore.run_seeds(&seeds, threads, true, |_| {}).expect("runs");
        runs.iter().map(|r| (r.seed, r.violations.len())).collect()
    };
    assert_eq!(outline(2), outline(1), "two threads give one thread's runs, in seed order");
    let mut group = c.benchmark_group("explore_throughput");
    group.sample_size(10);
    group.throughput(Throughput::Elements(SEEDS));
    for threads in [1, 2] {
        group.bench_function(format!("ten_nodes_10k_messages/{threads}_threads"), |b| {
            b.iter(|| explore.run_seeds(&seeds, threads, true, |_| {}).expect("runs").len())
        });
    }
    group.finish();
}

criterion_group!(benches, explore_throughput);
criterion_main!(benches);
