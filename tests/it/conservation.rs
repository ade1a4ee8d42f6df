//! Every injected message ends in exactly one terminal state.

use std::collections::BTreeMap;

use flowreplay::{EventKind, MessageId};
use proptest::prelude::*;

use crate::{run_file, shipped_scenarios};

/// Checks conservation against the trace itself, independently of the
/// engine's own counters: each injected id has exactly one terminal event,
/// and the summary's counts match the trace's.
fn assert_conserved(path: &std::path::Path, seed: u64) {
    let (summary, trace) = run_file(path, seed);

    let events: Vec<_> = trace.events().collect();
    let context = format!("{} seed {seed}", path.display());
    assert!(summary.conserved(), "{context}: {summary:?}");
    // Born: injected, or first seen in a send (a message an actor created).
    let mut endings: BTreeMap<MessageId, Vec<&'static str>> = BTreeMap::new();
    let mut injected = 0;
    for event in &events {
        match &event.kind {
            EventKind::Inject { .. } => {
                injected += 1;
                assert!(endings.insert(event.message, Vec::new()).is_none(), "{context}: injected twice")
            }
            EventKind::Send { .. } => {
                endings.entry(event.message).or_default();
            }
            kind if kind.is_terminal() => endings
                .get_mut(&event.message)
                .unwrap_or_else(|| panic!("{context}: message {} ended unborn", event.message))
                .push(kind.label()),
            _ => {}
        }
    }
    assert_eq!(injected, summary.injected, "{context}");
    assert_eq!(endings.len() as u64, summary.injected + summary.created, "{context}");
    for (id, ends) in &endings {
        assert_eq!(ends.len(), 1, "{context}: message {id} ended {ends:?}");
    }
    let count = |label| endings.values().filter(|e| e[0] == label).count() as u64;
    for (label, state) in [
        ("export", "exported"),
        ("drop", "dropped"),
        ("reject", "nacked"),
        ("consume", "consumed"),
        ("discard", "discarded"),
        ("lose", "lost"),
        ("batch", "batched"),
    ] {
        assert_eq!(count(label), summary.terminal[state], "{context}: {state}");
    }
    assert!(summary.drained(), "{context}: a completed run leaves nothing in flight: {:?}", summary.in_flight);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn every_shipped_scenario_conserves_messages_for_any_seed(seed in any::<u64>()) {
        for path in shipped_scenarios() {
            assert_conserved(&path, seed);
        }
    }
}

#[test]
fn a_run_cut_short_lists_what_is_still_in_flight() {
    let text = std::fs::read_to_string(crate::scenario("linear-pipeline")).unwrap();
    let text = text.replace("tie_break = \"random\"", "tie_break = \"random\"\nmax_time = \"10ms\"");
    let (summary, _) = crate::run_text(&text, &flowreplay::Registry::builtin(), 7);
    assert_eq!(summary.stopped_by, flowreplay::StopReason::MaxTime);
    let in_flight = summary.terminal["in_flight"];
    assert!(in_flight > 0, "messages were moving at 10 ms");
    assert_eq!(summary.in_flight.len() as u64, in_flight);
    assert!(summary
        .in_flight
        .iter()
        .all(|m| m.location.starts_with("in transit to") || m.location.starts_with("queued at")));
    assert!(summary.conserved() && !summary.drained(), "conserved, though not drained");
}
