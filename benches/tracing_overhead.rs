//! `tracing_overhead`: what tracing costs per message on the five-node
//! linear pipeline, recorder by recorder, beside the way teams trace today
//! (the `tracing` crate's JSON subscriber logging each hop to a file).
//! See BENCHMARKS.md for the figures and how per-event costs follow.

use std::fs::File;
use std::io::BufWriter;
use std::sync::Mutex;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flowreplay::trace::{
    BodyCapture, EventKind, FileRecorder, MemoryRecorder, NdjsonRecorder, Recorder, SampledRecorder, Sampling,
};
use flowreplay::{Registry, RunConfig, RunSummary, Scenario, Simulation, TraceEvent};

const MESSAGES: u64 = 20_000;

fn scenario() -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pipeline.toml");
    let mut scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    scenario.network.nodes[0].config["workload"]["count"] = MESSAGES.into();
    scenario
}

fn simulation(scenario: &Scenario) -> Simulation {
    let network = scenario.network(&Registry::builtin()).unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(network, RunConfig { seed: 1, ..RunConfig::default() })
}

fn checked(summary: RunSummary) -> u64 {
    assert!(summary.conserved() && summary.drained());
    summary.delivered
}

/// Logs each hop through `tracing` (a subscriber writing JSON lines to a
/// file must be installed), as an application instrumented by hand would.
struct TracingCrate;

impl Recorder for TracingCrate {
    fn record(&mut self, event: &TraceEvent<'_>) {
        if let EventKind::Send { from, to, name, size_bytes, checksum, .. } = &event.kind {
            tracing::info!(
                seq = event.seq,
                t_ns = event.at.as_nanos(),
                msg = event.message.0,
                trace = event.trace_id.0,
                from = from.0 .0,
                to = to.0 .0,
                name = &name[..],
                size = size_bytes,
                checksum = checksum,
                "send"
            );
        } else {
            tracing::info!(
                seq = event.seq,
                t_ns = event.at.as_nanos(),
                msg = event.message.0,
                kind = event.kind.label()
            );
        }
    }
}

/// Reference: the least a recorder can do with an event, a 48-byte record
/// (sequence, time, parent, message, trace id, and the body's checksum read
/// from the message for data-flow events) pushed into a warm `Vec`.
struct BarePush(Vec<[u64; 6]>);

impl Recorder for BarePush {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let checksum = match &event.kind {
            EventKind::Inject { body, .. } | EventKind::Send { body, .. } => body.checksum(),
            _ => 0,
        };
        self.0.push([
            event.seq,
            event.at.as_nanos(),
            event.parent.unwrap_or(u64::MAX),
            event.message.0,
            event.trace_id.0,
            checksum,
        ]);
    }
}

fn tracing_overhead(c: &mut Criterion) {
    let scenario = scenario();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("tracing_overhead");
    group.sample_size(20);
    group.throughput(Throughput::Elements(MESSAGES));
    let id = |name: &str| BenchmarkId::new(name, MESSAGES);
    group.bench_function(id("none_compiled_in"), |b| {
        b.iter(|| checked(simulation(&scenario).run_untraced().expect("runs")))
    });
    group.bench_function(id("off"), |b| b.iter(|| checked(simulation(&scenario).run(None).expect("runs"))));
    group.bench_function(id("in_memory"), |b| {
        b.iter(|| {
            let mut recorder = MemoryRecorder::new();
            checked(simulation(&scenario).run(Some(&mut recorder)).expect("runs"));
            recorder.len()
        })
    });
    // Warm: the vector keeps its capacity from one iteration to the next.
    let mut warm = BarePush(Vec::new());
    group.bench_function(id("reference_bare_push_48_bytes"), |b| {
        b.iter(|| {
            warm.0.clear();
            checked(simulation(&scenario).run(Some(&mut warm)).expect("runs"));
            warm.0.len()
        })
    });
    group.bench_function(id("sampled_10pct"), |b| {
        b.iter(|| {
            let sim = simulation(&scenario);
            let sampling = Sampling { rate: 0.1, ..Sampling::default() };
            let mut recorder = SampledRecorder::new(MemoryRecorder::new(), sampling, 1, sim.topology());
            checked(sim.run(Some(&mut recorder)).expect("runs"));
            recorder.into_inner().len()
        })
    });
    group.bench_function(id("in_memory_with_bodies"), |b| {
        b.iter(|| {
            let mut recorder = MemoryRecorder::with_bodies();
            checked(simulation(&scenario).run(Some(&mut recorder)).expect("runs"));
            recorder.len()
        })
    });
    let path = dir.path().join("trace.ndjson");
    group.bench_function(id("ndjson_file"), |b| {
        b.iter(|| {
            let sim = simulation(&scenario);
            let mut recorder = NdjsonRecorder::create(&path, sim.topology(), BodyCapture::default()).expect("file");
            checked(sim.run(Some(&mut recorder)).expect("runs"));
            FileRecorder::finish(Box::new(recorder)).expect("trace written")
        })
    });
    let log = dir.path().join("tracing.jsonl");
    group.bench_function(id("tracing_crate_json_file"), |b| {
        b.iter(|| {
            let writer = Mutex::new(BufWriter::new(File::create(&log).expect("log file")));
            let subscriber = tracing_subscriber::fmt().json().with_writer(writer).finish();
            tracing::subscriber::with_default(subscriber, || {
                checked(simulation(&scenario).run(Some(&mut TracingCrate)).expect("runs"))
            })
        })
    });
    group.finish();
    let mut recorder = MemoryRecorder::new();
    let delivered = checked(simulation(&scenario).run(Some(&mut recorder)).expect("runs"));
    eprintln!(
        "tracing_overhead: {} messages, {delivered} deliveries, {} events ({:.2} per message), {:.1} bytes held per event in memory",
        MESSAGES,
        recorder.len(),
        recorder.len() as f64 / MESSAGES as f64,
        recorder.bytes_held() as f64 / recorder.len() as f64
    );
}

criterion_group!(benches, tracing_overhead);
criterion_main!(benches);
