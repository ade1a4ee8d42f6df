//! `tracing_overhead`: what tracing costs per message on the five-node
//! linear pipeline, recorder by recorder, beside the way teams trace today
//! (the `tracing` crate's JSON subscriber logging each hop to a file);
//! and, in `recorders_alone`, each recorder's own cost per event, fed
//! captured events with no engine around it. See BENCHMARKS.md for the
//! figures and how per-event costs follow.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Mutex;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flowreplay::trace::{
    BodyCapture, EventKind, FileRecorder, MemoryRecorder, Names, NdjsonRecorder, Recorder, SampledRecorder, Sampling,
};
use flowreplay::{Registry, RunConfig, RunSummary, Scenario, Simulation, TraceEvent};

#[path = "support/bare_push.rs"]
mod bare_push;
use bare_push::BarePush;

const MESSAGES: u64 = 20_000;

#[path = "support/bench_scenario.rs"]
mod bench_scenario;
use bench_scenario::bench_scenario;

fn scenario() -> Scenario {
    bench_scenario("pipeline.toml", MESSAGES).unwrap_or_else(|e| panic!("{e}"))
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

/// Reference: the same NDJSON lines the NDJSON recorder writes, formatted
/// straight from each event into a buffered file (the same 64 KiB buffer),
/// with no line struct, no per-line buffer and no rename at the end. It
/// knows only the kinds the bench pipeline produces; the bench checks that
/// its file is byte for byte the recorder's.
struct HandFormatted {
    names: Names,
    out: BufWriter<File>,
    numbers: itoa::Buffer,
}

impl HandFormatted {
    fn create(path: &std::path::Path, simulation: &Simulation) -> HandFormatted {
        let out = BufWriter::with_capacity(1 << 16, File::create(path).expect("reference file"));
        HandFormatted { names: Names::new(simulation.topology()), out, numbers: itoa::Buffer::new() }
    }
}

/// Writes `key` and a number.
fn number(out: &mut impl Write, numbers: &mut itoa::Buffer, key: &[u8], value: u64) {
    out.write_all(key).and_then(|()| out.write_all(numbers.format(value).as_bytes())).expect("write");
}

/// Writes `key` and a string that needs no escaping (the pipeline's names do not).
fn text(out: &mut impl Write, key: &[u8], value: &str) {
    for part in [key, b"\"", value.as_bytes(), b"\""] {
        out.write_all(part).expect("write");
    }
}

/// Writes the checksum as 16 hex digits.
fn checksum(out: &mut impl Write, checksum: u64) {
    let mut hex = *b",\"checksum\":\"0000000000000000\"";
    for nibble in 0..16 {
        hex[13 + nibble] = b"0123456789abcdef"[(checksum >> ((15 - nibble) * 4)) as usize & 0xf];
    }
    out.write_all(&hex).expect("write");
}

impl Recorder for HandFormatted {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let HandFormatted { names, out, numbers } = self;
        number(out, numbers, b"{\"seq\":", event.seq);
        number(out, numbers, b",\"t_ns\":", event.at.as_nanos());
        text(out, b",\"event\":", event.kind.label());
        number(out, numbers, b",\"msg\":", event.message.0);
        number(out, numbers, b",\"trace\":", event.trace_id.0);
        match event.parent {
            Some(parent) => number(out, numbers, b",\"parent\":", parent),
            None => out.write_all(b",\"parent\":null").expect("write"),
        }
        match &event.kind {
            EventKind::Inject { node, name, size_bytes, checksum: sum, waited_ns, .. } => {
                text(out, b",\"node\":", names.node(*node));
                text(out, b",\"name\":", name);
                number(out, numbers, b",\"size\":", u64::from(*size_bytes));
                checksum(out, *sum);
                if *waited_ns > 0 {
                    number(out, numbers, b",\"waited_ns\":", *waited_ns);
                }
            }
            EventKind::Send { from, to, name, size_bytes, checksum: sum, queue_depth, waited_ns, .. } => {
                text(out, b",\"from\":", names.output(*from));
                text(out, b",\"to\":", names.input(*to));
                text(out, b",\"name\":", name);
                number(out, numbers, b",\"size\":", u64::from(*size_bytes));
                checksum(out, *sum);
                number(out, numbers, b",\"q\":", u64::from(*queue_depth));
                if *waited_ns > 0 {
                    number(out, numbers, b",\"waited_ns\":", *waited_ns);
                }
            }
            EventKind::Deliver { node, port } => text(out, b",\"to\":", names.input((*node, *port))),
            EventKind::Export { node } => text(out, b",\"node\":", names.node(*node)),
            EventKind::Ack { node, origin } => {
                text(out, b",\"node\":", names.node(*node));
                text(out, b",\"from\":", names.node(*origin));
            }
            EventKind::Lifecycle { node, phase } => {
                text(out, b",\"node\":", names.node(*node));
                text(out, b",\"phase\":", phase.label());
            }
            other => panic!("the bench pipeline makes no {} events", other.label()),
        }
        out.write_all(b"}\n").expect("write");
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
    let reference = dir.path().join("reference.ndjson");
    // The reference writes exactly the recorder's bytes.
    let sim = simulation(&scenario);
    let mut recorder = NdjsonRecorder::create(&path, sim.topology(), BodyCapture::default()).expect("file");
    checked(sim.run(Some(&mut recorder)).expect("runs"));
    FileRecorder::finish(Box::new(recorder)).expect("trace written");
    let sim = simulation(&scenario);
    let mut hand = HandFormatted::create(&reference, &sim);
    checked(sim.run(Some(&mut hand)).expect("runs"));
    hand.out.into_inner().expect("reference written");
    let same = std::fs::read(&path).ok() == std::fs::read(&reference).ok();
    assert!(same, "the hand-formatted reference writes other bytes than the NDJSON recorder");
    group.bench_function(id("ndjson_file"), |b| {
        b.iter(|| {
            let sim = simulation(&scenario);
            let mut recorder = NdjsonRecorder::create(&path, sim.topology(), BodyCapture::default()).expect("file");
            checked(sim.run(Some(&mut recorder)).expect("runs"));
            FileRecorder::finish(Box::new(recorder)).expect("trace written")
        })
    });
    group.bench_function(id("reference_hand_formatted_ndjson_file"), |b| {
        b.iter(|| {
            let sim = simulation(&scenario);
            let mut recorder = HandFormatted::create(&reference, &sim);
            checked(sim.run(Some(&mut recorder)).expect("runs"));
            recorder.out.into_inner().expect("reference written")
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

/// Messages whose events the recorders are fed alone: few enough that the
/// events stay in cache, as the engine's, built on the stack, are.
const ALONE_MESSAGES: u64 = 500;

/// The recorders alone: the bench pipeline's events, captured once, fed to
/// each recorder with no engine around them. The whole-run rows above bury
/// a few nanoseconds per event under the run's own noise; here the
/// recorder's share is all that is timed.
fn recorders_alone(c: &mut Criterion) {
    let mut captured = MemoryRecorder::with_bodies();
    let scenario = bench_scenario("pipeline.toml", ALONE_MESSAGES).unwrap_or_else(|e| panic!("{e}"));
    checked(simulation(&scenario).run(Some(&mut captured)).expect("runs"));
    let events: Vec<TraceEvent<'_>> = captured.events().collect();
    let mut group = c.benchmark_group("recorders_alone");
    group.throughput(Throughput::Elements(events.len() as u64));
    let mut warm = BarePush(Vec::new());
    group.bench_function("reference_bare_push_48_bytes", |b| {
        b.iter(|| {
            warm.0.clear();
            events.iter().for_each(|event| warm.record(event));
            warm.0.len()
        })
    });
    group.bench_function("in_memory", |b| {
        b.iter(|| {
            let mut recorder = MemoryRecorder::new();
            events.iter().for_each(|event| recorder.record(event));
            recorder.len()
        })
    });
    group.finish();
}

criterion_group!(benches, tracing_overhead, recorders_alone);
criterion_main!(benches);
