//! Properties of generated scenarios (random topologies of the catalog,
//! workloads and fault plans): determinism, conservation, a complete
//! trace, and a run that replays equal from its own elfo dump.

use flowreplay::generate::{scenarios, GenOptions};
use flowreplay::replay::Replay;
use flowreplay::trace::export::ElfoRecorder;
use flowreplay::trace::{BodyCapture, FileRecorder, MetricsRecorder, Tee};
use flowreplay::{EventKind, MemoryRecorder, Registry, RunConfig, Scenario};
use proptest::prelude::*;

fn run(scenario: &Scenario, seed: u64) -> (flowreplay::RunSummary, MemoryRecorder) {
    let mut trace = MemoryRecorder::with_bodies();
    let simulation = scenario.simulation(&Registry::builtin(), RunConfig { seed, ..scenario.run }).unwrap();
    let summary = simulation.run(Some(&mut trace)).unwrap();
    (summary, trace)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_generated_scenario_runs_the_same_twice(generated in scenarios(GenOptions::default()), seed in any::<u64>()) {
        let scenario = generated.scenario();
        let (first, trace_a) = run(&scenario, seed);
        let (second, trace_b) = run(&scenario, seed);
        prop_assert!(trace_a.events().eq(trace_b.events()), "{}", generated.text);
        prop_assert_eq!(first, second);
    }

    #[test]
    fn a_generated_scenario_conserves_and_drains(generated in scenarios(GenOptions::default()), seed in any::<u64>()) {
        let (summary, _) = run(&generated.scenario(), seed);
        prop_assert!(summary.conserved(), "{:?}\n{}", summary, generated.text);
        prop_assert!(summary.drained(), "{:?}\n{}", summary.in_flight, generated.text);
    }

    #[test]
    fn a_generated_trace_is_complete_and_its_metrics_agree(generated in scenarios(GenOptions::default()), seed in any::<u64>()) {
        let scenario = generated.scenario();
        let simulation = scenario.simulation(&Registry::builtin(), RunConfig { seed, ..scenario.run }).unwrap();
        let mut metrics = MetricsRecorder::new(simulation.topology());
        let mut trace = MemoryRecorder::new();
        let summary = simulation.run(Some(&mut Tee(&mut metrics, &mut trace))).unwrap();
        let metrics = metrics.finish();
        let events: Vec<_> = trace.events().collect();
        // Every delivery has its data-flow event: a send of that message before it.
        let mut open = std::collections::BTreeMap::<u64, u32>::new();
        for event in &events {
            match event.kind {
                EventKind::Send { .. } => *open.entry(event.message.0).or_default() += 1,
                EventKind::Deliver { port, .. } if port != flowreplay::InPort::INJECT => {
                    let sent = open.entry(event.message.0).or_default();
                    prop_assert!(*sent > 0, "message {} delivered without a send", event.message);
                    *sent -= 1;
                }
                _ => {}
            }
        }
        let count = |label: &str| events.iter().filter(|e| e.kind.label() == label).count() as u64;
        prop_assert_eq!(metrics.lines, events.len() as u64);
        prop_assert_eq!(metrics.edges.values().map(|e| e.messages).sum::<u64>(), count("send"));
        prop_assert_eq!(summary.edges.iter().map(|e| e.messages).sum::<u64>(), count("send"));
        prop_assert_eq!(summary.delivered, count("deliver") - events.iter().filter(|e| matches!(e.kind, EventKind::Deliver { port, .. } if port == flowreplay::InPort::INJECT)).count() as u64);
        prop_assert_eq!(metrics.acks, count("ack"));
    }

    #[test]
    fn a_generated_run_exported_as_an_elfo_dump_replays_equal_with_stubs(
        generated in scenarios(GenOptions { max_faults: 0, max_messages: 40, ..GenOptions::default() }),
        seed in any::<u64>(),
    ) {
        let scenario = generated.scenario();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.dump");
        let simulation = scenario.simulation(&Registry::builtin(), RunConfig { seed, ..scenario.run }).unwrap();
        let capture = BodyCapture { enabled: true, ..BodyCapture::default() };
        let mut dump = ElfoRecorder::create(&path, simulation.topology(), capture).unwrap();
        simulation.run(Some(&mut dump)).unwrap();
        Box::new(dump).finish().unwrap();
        let outcome = Replay::open(&[path], false).unwrap().run(seed).unwrap();
        prop_assert!(outcome.verdict.equal, "{:#?}\n{}", outcome.verdict, generated.text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// `fault_plans` works on a network of one's own: every shipped scenario
    /// conserves its messages under any plan it draws.
    #[test]
    fn fault_plans_on_the_shipped_scenarios_keep_conservation(
        plans in proptest::collection::vec(any::<u64>(), 1),
        seed in any::<u64>(),
    ) {
        for path in crate::shipped_scenarios() {
            let mut scenario = Scenario::load(&path).unwrap();
            let horizon = flowreplay::Nanos(200_000_000);
            scenario.faults = flowreplay::generate::draw_faults(&scenario.network, horizon, 3, plans[0]);
            prop_assert!(!scenario.faults.is_empty());
            let (summary, _) = run(&scenario, seed);
            prop_assert!(summary.conserved(), "{}: {:?}", path.display(), scenario.faults);
        }
    }
}

/// Regression: the generator drew two overlapping crashes of one node, which
/// a scenario may not declare. Every one of many drawn scenarios is valid.
#[test]
fn every_drawn_scenario_is_a_valid_one() {
    // Few processors and many faults: crashes often land on the same node.
    let options = GenOptions { max_processors: 2, max_faults: 8, ..GenOptions::default() };
    for seed in 0..400 {
        let scenario = flowreplay::generate::draw(&options, seed).0.scenario();
        if let Err(e) = scenario.simulation(&Registry::builtin(), scenario.run) {
            panic!("seed {seed}: {e}");
        }
    }
}
