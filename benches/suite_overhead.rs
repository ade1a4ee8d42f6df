//! `suite_overhead`: what the suite costs over running the same inputs
//! through the library directly. For every shipped scenario and dump, in one
//! run: the library by hand (load, run with a memory recorder, render the
//! golden), the suite's `golden_text` (the same work through the suite),
//! and the suite's `check` (two runs for the determinism self-check, then
//! the golden read and compared), beside the library by hand twice over.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use flowreplay::golden::{golden_name, is_dump, render_trace, GoldenHeader};
use flowreplay::replay::{describe, Replay};
use flowreplay::scenario::GoldenRules;
use flowreplay::suite::{Check, Suite};
use flowreplay::trace::{MemoryRecorder, Names};
use flowreplay::{Registry, Scenario};

/// The golden text of one input, with the library's parts called by hand
/// (for a dump, its trace and the verdict section, as the suite writes it).
fn by_hand(input: &Path) -> String {
    let registry = Registry::builtin();
    if is_dump(input) {
        let replay = Replay::open(&[input.to_path_buf()], false).expect("dump");
        let mut names = None;
        let (outcome, trace) = replay
            .run_observed(0, |topology| {
                names = Some(Names::new(topology));
                Ok(MemoryRecorder::with_bodies())
            })
            .expect("replays");
        let header = GoldenHeader { scenario: golden_name(input), seed: 0 };
        let mut text = render_trace(&header, &trace, &names.expect("named"), &GoldenRules::default());
        text.push_str("## verdict\n");
        for (place, verdict) in &outcome.verdict.groups {
            text += &format!("{place}: {}\n", describe(verdict).replace('\n', "\n  "));
        }
        return text;
    }
    let scenario = Scenario::load_with(input, &registry).expect("scenario");
    let simulation = scenario.simulation(&registry, scenario.run).expect("network");
    let names = Names::new(simulation.topology());
    let mut trace = MemoryRecorder::with_bodies();
    simulation.run(Some(&mut trace)).expect("runs");
    let header = GoldenHeader { scenario: golden_name(input), seed: scenario.run.seed };
    render_trace(&header, &trace, &names, &scenario.golden)
}

fn suite_overhead(c: &mut Criterion) {
    let suite = Suite::builtin().root(env!("CARGO_MANIFEST_DIR")).ci(true);
    let inputs: Vec<PathBuf> = suite.inputs().expect("shipped inputs");
    let mut group = c.benchmark_group("suite_overhead");
    group.sample_size(20);
    group.bench_function("by_hand", |b| b.iter(|| inputs.iter().map(|i| by_hand(i).len()).sum::<usize>()));
    group.bench_function("suite_golden_text", |b| {
        b.iter(|| inputs.iter().map(|i| suite.golden_text(i, None).expect("runs").len()).sum::<usize>())
    });
    group.bench_function("by_hand_twice", |b| {
        b.iter(|| inputs.iter().map(|i| by_hand(i).len() + by_hand(i).len()).sum::<usize>())
    });
    group.bench_function("suite_check", |b| {
        b.iter(|| inputs.iter().filter(|i| matches!(suite.check(i).expect("checks"), Check::Pass)).count())
    });
    group.finish();
}

criterion_group!(benches, suite_overhead);
criterion_main!(benches);
