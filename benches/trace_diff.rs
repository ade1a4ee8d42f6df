//! `trace_diff`: two 100,000-event traces that differ in 1% of their events,
//! diffed with the first divergence, unified diff, per-edge counts and
//! message lists; and two elfo dumps of 500,000 lines diffed by content,
//! beside the same run's read of both dumps (see BENCHMARKS.md).

use criterion::{criterion_group, criterion_main, Criterion};

use flowreplay::dump::{synthetic, write_records, DumpReader, DumpRecord, RawBody, ReadMode};
use flowreplay::golden::{diff, diff_files, parse_golden, render, Alignment, DiffOptions, GoldenEvent, GoldenHeader};
use flowreplay::scenario::GoldenRules;
use flowreplay::trace::{BodyCapture, MemoryRecorder, Names, TraceLine};
use flowreplay::{Registry, RunConfig, Scenario, Simulation};

/// The allocator the `flowreplay` binary runs on, so the figures are what
/// `flowreplay diff` pays: a parsed golden is many small allocations, and
/// glibc's malloc spends much of a diff freeing them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Messages of the five-node pipeline that make about 100,000 events.
const MESSAGES: u64 = 9_091;

#[path = "support/bench_scenario.rs"]
mod bench_scenario;

/// The bench pipeline with its workload set to `messages`.
fn pipeline(messages: u64) -> Scenario {
    bench_scenario::bench_scenario("pipeline.toml", messages).unwrap_or_else(|e| panic!("{e}"))
}

/// The golden text of the pipeline run, and a copy with every 100th event
/// line changed.
fn traces() -> (String, String) {
    let network = pipeline(MESSAGES).network(&Registry::builtin()).unwrap_or_else(|e| panic!("{e}"));
    let names = Names::new(&network.topology);
    let mut trace = MemoryRecorder::with_bodies();
    Simulation::new(network, RunConfig { seed: 1, ..RunConfig::default() }).run(Some(&mut trace)).expect("runs");
    let events: Vec<_> = trace.events().collect();
    let capture = BodyCapture { enabled: true, redact: Vec::new() };
    let lines: Vec<TraceLine<'_>> = events.iter().map(|e| TraceLine::of(e, &names, &capture)).collect();
    let header = GoldenHeader { scenario: "bench".into(), seed: 1 };
    let expected = render(&header, &lines, &GoldenRules::default());
    let actual: String = expected
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let event = line.starts_with(|c: char| c.is_ascii_digit());
            if event && i % 100 == 0 {
                match line.split_once(" body=") {
                    Some((head, body)) => format!("{head} mark=changed body={body}"),
                    None => format!("{line} mark=changed"),
                }
            } else {
                line.to_string()
            }
        })
        .flat_map(|line| [line, "\n".to_string()])
        .collect();
    (expected, actual)
}

fn events(text: &str) -> Vec<GoldenEvent> {
    parse_golden("bench.snap".as_ref(), text, 1).expect("valid golden").events
}

fn trace_diff(c: &mut Criterion) {
    let (expected, actual) = traces();
    let (a, b) = (events(&expected), events(&actual));
    let differing = a.iter().zip(&b).filter(|(x, y)| x.text != y.text).count();
    eprintln!("trace_diff: {} and {} events, {differing} differ", a.len(), b.len());
    let mut group = c.benchmark_group("trace_diff");
    group.sample_size(10);
    group.bench_function("100k_events_1pct_changed", |bench| {
        bench.iter(|| {
            let found = diff(&a, &b, Alignment::SameRun, &DiffOptions::default());
            assert!(found.first_divergence.is_some());
            found.changed.len()
        })
    });
    group.bench_function("100k_events_1pct_changed_parse_included", |bench| {
        bench.iter(|| diff(&events(&expected), &events(&actual), Alignment::SameRun, &DiffOptions::default()).equal)
    });
    group.bench_function("100k_events_equal", |bench| {
        bench.iter(|| diff(&a, &a, Alignment::SameRun, &DiffOptions::default()).equal)
    });
    // How busy the machine is: `tracing_overhead`'s `none_compiled_in` (the
    // pipeline, 20,000 messages, untraced), measured in this run too.
    let pipeline = pipeline(20_000);
    group.bench_function("reference_none_compiled_in_20k", |bench| {
        bench.iter(|| {
            let network = pipeline.network(&Registry::builtin()).expect("the bench pipeline builds");
            Simulation::new(network, RunConfig { seed: 1, ..RunConfig::default() })
                .run_untraced()
                .expect("runs")
                .delivered
        })
    });
    group.finish();
}

/// Flows of the synthetic order dump that make 500,003 lines.
const FLOWS: u64 = 71_429;

/// Two 500,000-line dumps by content: the same dump against itself (every
/// message paired, equal), and against a copy with one body changed (the
/// whole report), beside reading both dumps with the same reader (the
/// floor: a diff must at least read its inputs).
fn dump_diff(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let write = |name: &str, change: bool| {
        let path = dir.path().join(name);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("writable"));
        let mut records: Vec<DumpRecord> = synthetic::order_flows(FLOWS).collect();
        if change {
            let middle = records.len() / 2;
            let index = (middle..records.len()).find(|&i| records[i].name == "PlaceOrder::Response").unwrap_or(middle);
            records[index].body = RawBody::new(r#"{"order":-1,"ok":false}"#.into()).expect("JSON");
        }
        write_records(&mut out, &records).expect("written");
        drop(out);
        path
    };
    let (a, b) = (write("a.dump", false), write("b.dump", true));
    let mut group = c.benchmark_group("dump_diff");
    group.sample_size(10);
    group.bench_function("read_both_500k_line_dumps", |bench| {
        bench.iter(|| DumpReader::open(&[a.clone(), b.clone()], ReadMode::Strict).filter(|r| r.is_ok()).count())
    });
    group.bench_function("500k_lines_equal", |bench| {
        bench.iter(|| diff_files(&a, &a, &DiffOptions::default()).expect("diffs").equal)
    });
    group.bench_function("500k_lines_one_body_changed", |bench| {
        bench.iter(|| {
            let found = diff_files(&a, &b, &DiffOptions::default()).expect("diffs");
            assert!(found.first_divergence.is_some());
            found.changed.len()
        })
    });
    group.finish();
}

criterion_group!(benches, trace_diff, dump_diff);
criterion_main!(benches);
