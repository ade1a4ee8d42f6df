//! Same scenario + same seed ⇒ byte-identical trace, across processes.

use std::process::Command;

use crate::{run_file, scenario, shipped_scenarios};

fn trace_from_a_fresh_process(scenario: &std::path::Path, seed: u64, out: &std::path::Path) -> Vec<u8> {
    let status = Command::new(env!("CARGO_BIN_EXE_flowreplay"))
        .args([
            "run",
            &scenario.to_string_lossy(),
            "--seed",
            &seed.to_string(),
            "--out",
            &out.to_string_lossy(),
            "--json",
        ])
        .output()
        .expect("flowreplay runs");
    assert!(status.status.success(), "run failed: {}", String::from_utf8_lossy(&status.stderr));
    std::fs::read(out).expect("trace written")
}

#[test]
fn the_same_seed_gives_byte_identical_traces_in_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    for path in shipped_scenarios() {
        let first = trace_from_a_fresh_process(&path, 42, &dir.path().join("a.ndjson"));
        let second = trace_from_a_fresh_process(&path, 42, &dir.path().join("b.ndjson"));
        assert!(!first.is_empty());
        assert!(first == second, "{} gave different traces for seed 42 in two processes", path.display());
    }
}

#[test]
fn the_same_seed_gives_identical_events_within_one_process() {
    for path in shipped_scenarios() {
        let (summary_a, trace_a) = run_file(&path, 9);
        let (summary_b, trace_b) = run_file(&path, 9);
        assert!(trace_a.events().eq(trace_b.events()), "{}", path.display());
        assert_eq!(summary_a, summary_b, "{}", path.display());
    }
}

/// The router in `fanout` sees arrivals from two receivers at the same
/// instants, so only the tie-break orders them.
#[test]
fn different_seeds_order_simultaneous_events_differently() {
    let (first, second) = (
        router_deliveries(&crate::run_file(&scenario("fanout"), 1).1.events().collect::<Vec<_>>()),
        router_deliveries(&crate::run_file(&scenario("fanout"), 2).1.events().collect::<Vec<_>>()),
    );
    assert!(first != second, "seeds 1 and 2 gave the same delivery order at the router");
    let instants = |order: &[(flowreplay::VirtualTime, flowreplay::MessageId)]| {
        order.iter().map(|(at, _)| *at).collect::<Vec<_>>()
    };
    assert!(instants(&first) == instants(&second), "only the order within an instant may change, not the instants");
}

/// (time, message) of every delivery at the fan-out scenario's router.
fn router_deliveries(events: &[flowreplay::TraceEvent]) -> Vec<(flowreplay::VirtualTime, flowreplay::MessageId)> {
    let router = flowreplay::NodeId(2);
    events
        .iter()
        .filter(|e| matches!(e.kind, flowreplay::EventKind::Deliver { node, .. } if node == router))
        .map(|e| (e.at, e.message))
        .collect()
}

#[test]
fn fifo_tie_break_ignores_the_seed_for_ordering() {
    let text =
        std::fs::read_to_string(scenario("fanout")).unwrap().replace("seed = 11", "seed = 11\ntie_break = \"fifo\"");
    let registry = flowreplay::Registry::builtin();
    let order = |seed| router_deliveries(&crate::run_text(&text, &registry, seed).1.events().collect::<Vec<_>>());
    assert!(order(1) == order(2), "fifo ordering changed with the seed");
}
