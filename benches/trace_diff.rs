//! `trace_diff`: two 100,000-event traces that differ in 1% of their events,
//! diffed with the first divergence, unified diff, per-edge counts and
//! message lists (see BENCHMARKS.md).

use criterion::{criterion_group, criterion_main, Criterion};
use flowreplay::golden::{diff, parse_golden, render, Alignment, DiffOptions, GoldenEvent, GoldenHeader};
use flowreplay::scenario::GoldenRules;
use flowreplay::trace::{BodyCapture, MemoryRecorder, Names, TraceLine};
use flowreplay::{Registry, RunConfig, Scenario, Simulation};

/// Messages of the five-node pipeline that make about 100,000 events.
const MESSAGES: u64 = 9_091;

/// The golden text of the pipeline run, and a copy with every 100th event
/// line changed.
fn traces() -> (String, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pipeline.toml");
    let mut scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    scenario.network.nodes[0].config["workload"]["count"] = MESSAGES.into();
    let network = scenario.network(&Registry::builtin()).unwrap_or_else(|e| panic!("{e}"));
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
    group.finish();
}

criterion_group!(benches, trace_diff);
criterion_main!(benches);
