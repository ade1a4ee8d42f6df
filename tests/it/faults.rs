//! Injected faults (`[[fault]]`): each does exactly what it declares, is
//! traced and counted, and conservation accounts for every message it
//! touched.

use std::collections::BTreeSet;

use flowreplay::{EventKind, MemoryRecorder, MessageId, Registry, RunSummary, Scenario};

use crate::run_text;

const MS: u64 = 1_000_000;

/// Receiver (`count` messages, one per ms) → `work` (a map taking
/// `service` per message) → exporter, 1 ms per edge, with `faults` appended.
fn chain(count: u64, service: &str, faults: &str) -> String {
    format!(
        "[[node]]\nid = \"src\"\nkind = \"receiver\"\nconfig.workload = {{ count = {count}, rate = \"1000/s\", \
         messages = [{{ name = \"M\", size = 10, body = {{ n = \"{{seq}}\" }} }}] }}\n\
         [[node]]\nid = \"work\"\nkind = \"map\"\nservice_time = \"{service}\"\nconfig = {{ set = {{ \"/seen\" = true }} }}\n\
         [[node]]\nid = \"sink\"\nkind = \"exporter\"\n\
         [[connector]]\nfrom = \"src.out\"\nto = \"work.in\"\nlatency = \"1ms\"\n\
         [[connector]]\nfrom = \"work.out\"\nto = \"sink.in\"\nlatency = \"1ms\"\n{faults}"
    )
}

fn run(text: &str, seed: u64) -> (RunSummary, MemoryRecorder) {
    let (summary, trace) = run_text(text, &Registry::builtin(), seed);
    assert!(summary.conserved(), "{summary:?}");
    (summary, trace)
}

/// The messages with a `label` event.
fn with_event(trace: &MemoryRecorder, label: &str) -> BTreeSet<MessageId> {
    trace.events().filter(|e| e.kind.label() == label && e.message.0 != 0).map(|e| e.message).collect()
}

#[test]
fn a_partition_window_affects_exactly_the_messages_sent_during_it() {
    let partition =
        "[[fault]]\nkind = \"partition\"\nedge = \"src.out -> work.in\"\nfrom = \"5ms\"\nuntil = \"10ms\"\n";
    let (summary, trace) = run(&chain(20, "0ms", partition), 1);
    let sent_in_window: BTreeSet<MessageId> = trace
        .events()
        .filter(|e| matches!(e.kind, EventKind::Send { from, .. } if from.0 .0 == 0))
        .filter(|e| (5 * MS..10 * MS).contains(&e.at.as_nanos()))
        .map(|e| e.message)
        .collect();
    assert_eq!(sent_in_window.len(), 5);
    assert_eq!(with_event(&trace, "lose"), sent_in_window, "lost: exactly the sends in [5 ms, 10 ms)");
    assert_eq!((summary.terminal["lost"], summary.terminal["exported"]), (5, 15));
    assert_eq!(summary.reasons["lost"]["partition"], 5);
    assert_eq!((summary.faults[0].kind, summary.faults[0].messages), ("partition", 5));
    assert!(summary.drained());
}

#[test]
fn a_crash_loses_exactly_the_mailbox_contents_and_conservation_accounts_for_them() {
    // 3 ms of work per message, one arriving per ms: a queue builds up.
    // At 10.5 ms: no arrival shares its instant.
    let crash = "[[fault]]\nkind = \"crash\"\nnode = \"work\"\nat = \"10500us\"\nrestart_after = \"5ms\"\n";
    let (summary, trace) = run(&chain(20, "3ms", crash), 1);
    let events: Vec<_> = trace.events().collect();
    // In the mailbox at 10.5 ms: arrived (sent + 1 ms) by then, not yet handled.
    let arrived: BTreeSet<MessageId> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Send { from, .. } if from.0 .0 == 0) && e.at.as_nanos() < 10 * MS)
        .map(|e| e.message)
        .collect();
    let handled: BTreeSet<MessageId> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Deliver { node, .. } if node.0 == 1) && e.at.as_nanos() <= 10_500_000)
        .map(|e| e.message)
        .collect();
    let mailbox: BTreeSet<MessageId> = arrived.difference(&handled).copied().collect();
    assert!(mailbox.len() >= 3, "a queue had built up: {mailbox:?}");
    assert_eq!(with_event(&trace, "lose"), mailbox);
    assert_eq!(summary.terminal["lost"], mailbox.len() as u64);
    assert_eq!(summary.terminal["exported"] + summary.terminal["lost"], 20);
    assert_eq!((summary.faults[0].applied, summary.faults[0].messages), (1, mailbox.len() as u64));
    assert!(summary.drained(), "what arrived while it was down is handled after the restart");
    let phases: Vec<&str> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Lifecycle { node, phase } if node.0 == 1 => Some(phase.label()),
            _ => None,
        })
        .collect();
    assert_eq!(phases, ["start", "crash", "restart", "stop"]);
}

#[test]
fn a_crash_that_keeps_the_mailbox_loses_nothing() {
    let crash =
        "[[fault]]\nkind = \"crash\"\nnode = \"work\"\nat = \"10ms\"\nrestart_after = \"5ms\"\nmailbox = \"keep\"\n";
    let (summary, _) = run(&chain(20, "3ms", crash), 1);
    assert_eq!((summary.terminal["lost"], summary.terminal["exported"]), (0, 20));
}

#[test]
fn a_node_crashed_for_good_leaves_what_reached_it_in_flight() {
    let crash = "[[fault]]\nkind = \"crash\"\nnode = \"work\"\nat = \"9500us\"\nmailbox = \"keep\"\n";
    let (summary, _) = run(&chain(20, "0ms", crash), 1);
    assert_eq!(summary.terminal["exported"], 9, "what arrived (1 to 9 ms) before the crash");
    assert_eq!(summary.terminal["in_flight"], 11);
    assert!(summary.in_flight.iter().all(|f| f.location == "queued at work"), "{:?}", summary.in_flight);
}

#[test]
fn a_duplicated_message_is_delivered_twice_and_counted_once_as_a_fault() {
    let duplicate =
        "[[fault]]\nkind = \"duplicate\"\nedge = \"work.out -> sink.in\"\nfrom = \"4ms\"\nuntil = \"5ms\"\n";
    let (summary, trace) = run(&chain(10, "0ms", duplicate), 1);
    assert_eq!((summary.faults[0].applied, summary.faults[0].messages), (1, 1));
    assert_eq!((summary.created, summary.terminal["exported"]), (1, 11), "the copy is a new message");
    let exported_bodies: Vec<String> = trace
        .events()
        .filter_map(|e| match &e.kind {
            EventKind::Send { from, body, .. } if from.0 .0 == 1 => Some(body.text().to_string()),
            _ => None,
        })
        .collect();
    let twice: Vec<&String> =
        exported_bodies.iter().filter(|b| exported_bodies.iter().filter(|o| o == b).count() == 2).collect();
    assert_eq!(twice.len(), 2, "one body delivered twice: {exported_bodies:?}");
    assert!(summary.drained());
}

#[test]
fn a_drop_with_a_probability_loses_a_seeded_share_of_the_messages() {
    let drop = "[[fault]]\nkind = \"drop\"\nedge = \"src.out -> work.in\"\np = 0.25\n";
    let text = chain(400, "0ms", drop);
    let (summary, trace) = run(&text, 3);
    let lost = summary.terminal["lost"];
    assert!((60..=140).contains(&lost), "lost {lost} of 400 at p = 0.25");
    assert_eq!(summary.faults[0].messages, lost);
    let (_, again) = run(&text, 3);
    assert_eq!(with_event(&again, "lose"), with_event(&trace, "lose"), "the same seed loses the same messages");
}

/// Declaring `fault`, due after the run ends, changes no byte of its trace:
/// faults draw nothing from the run's rng.
fn assert_leaves_the_run_byte_identical(fault: &str) {
    let (_, plain) = run(&chain(50, "1ms", ""), 4);
    let (summary, with_fault) = run(&chain(50, "1ms", fault), 4);
    assert!(plain.events().eq(with_fault.events()), "{fault}");
    assert_eq!(summary.faults[0].applied, 0);
}

#[test]
fn a_fault_that_never_strikes_leaves_the_run_byte_identical() {
    assert_leaves_the_run_byte_identical(
        "[[fault]]\nkind = \"drop\"\nedge = \"src.out -> work.in\"\nfrom = \"10s\"\np = 0.5\n",
    );
}

#[test]
fn a_delay_fault_adds_its_time_to_the_transit() {
    let delay = "[[fault]]\nkind = \"delay\"\nedge = \"work.out -> sink.in\"\nby = \"7ms\"\n";
    let exports = |text: &str| -> Vec<u64> {
        let (_, trace) = run(text, 1);
        trace.events().filter(|e| matches!(e.kind, EventKind::Export { .. })).map(|e| e.at.as_nanos()).collect()
    };
    let plain = exports(&chain(5, "0ms", ""));
    let delayed = exports(&chain(5, "0ms", delay));
    assert_eq!(delayed, plain.iter().map(|t| t + 7 * MS).collect::<Vec<_>>());
}

#[test]
fn a_reorder_fault_lets_later_messages_overtake() {
    // The message `work` forwards at 3 ms is held back 3.5 ms: it reaches
    // the sink at 7.5 ms, after the ones forwarded at 4, 5 and 6 ms.
    let reorder =
        "[[fault]]\nkind = \"reorder\"\nedge = \"work.out -> sink.in\"\nfrom = \"3ms\"\nuntil = \"4ms\"\nby = \"3500us\"\n";
    let (summary, trace) = run(&chain(8, "0ms", reorder), 1);
    let seq: std::collections::BTreeMap<MessageId, String> = trace
        .events()
        .filter_map(|e| match &e.kind {
            EventKind::Inject { body, .. } => Some((e.message, body.value()["n"].to_string())),
            _ => None,
        })
        .collect();
    let exported: Vec<&str> = trace
        .events()
        .filter(|e| matches!(e.kind, EventKind::Export { .. }))
        .map(|e| seq[&e.message].as_str())
        .collect();
    assert_eq!(exported, ["1", "2", "4", "5", "6", "3", "7", "8"]);
    assert_eq!((summary.faults[0].kind, summary.faults[0].messages), ("reorder", 1));
}

/// Two independent branches, each a receiver → delay (10 ms) → exporter.
fn two_branches(faults: &str) -> String {
    let branch = |name: &str| {
        format!(
            "[[node]]\nid = \"{name}-src\"\nkind = \"receiver\"\nconfig.workload = {{ count = 5, rate = \"100/s\", \
             messages = [{{ name = \"M\" }}] }}\n\
             [[node]]\nid = \"{name}-hold\"\nkind = \"delay\"\nconfig = {{ for = \"10ms\" }}\n\
             [[node]]\nid = \"{name}-sink\"\nkind = \"exporter\"\n\
             [[connector]]\nfrom = \"{name}-src.out\"\nto = \"{name}-hold.in\"\n\
             [[connector]]\nfrom = \"{name}-hold.out\"\nto = \"{name}-sink.in\"\n"
        )
    };
    format!("{}{}{faults}", branch("a"), branch("b"))
}

/// Per node name, the times of its timer and export events.
fn timeline(text: &str) -> Vec<(String, u64)> {
    let scenario = Scenario::parse(text, "test.toml").unwrap();
    let names: Vec<String> = scenario.network.nodes.iter().map(|n| n.id.clone()).collect();
    let (_, trace) = run(text, 1);
    trace
        .events()
        .filter(|e| matches!(e.kind, EventKind::Timer { .. } | EventKind::Export { .. }))
        .map(|e| (names[e.kind.node().index()].clone(), e.at.as_nanos()))
        .collect()
}

#[test]
fn clock_skew_shifts_that_nodes_timers_and_nothing_else() {
    let plain = timeline(&two_branches(""));
    let skewed = timeline(&two_branches("[[fault]]\nkind = \"skew\"\nnode = \"a-hold\"\nby = \"4ms\"\n"));
    let of = |line: &[(String, u64)], prefix: &str| -> Vec<u64> {
        let mut times: Vec<u64> = line.iter().filter(|(n, _)| n.starts_with(prefix)).map(|(_, t)| *t).collect();
        times.sort();
        times
    };
    assert_eq!(of(&skewed, "b-"), of(&plain, "b-"), "the other branch is untouched");
    let shifted: Vec<u64> = of(&plain, "a-").iter().map(|t| t + 4 * MS).collect();
    assert_eq!(of(&skewed, "a-"), shifted, "a-hold's timers (and so its exports) move by the skew");
    let behind = timeline(&two_branches("[[fault]]\nkind = \"skew\"\nnode = \"a-hold\"\nby = \"-4ms\"\n"));
    let earlier: Vec<u64> = of(&plain, "a-").iter().map(|t| t - 4 * MS).collect();
    assert_eq!(of(&behind, "a-"), earlier);
}

#[test]
fn an_outage_refuses_what_the_node_is_handed_in_its_window() {
    let outage =
        "[[fault]]\nkind = \"outage\"\nnode = \"sink\"\nfrom = \"5ms\"\nuntil = \"8ms\"\nreason = \"maintenance\"\n";
    let (summary, trace) = run(&chain(10, "0ms", outage), 1);
    // Exported 2 ms after being sent: the ones handed over at 5, 6 and 7 ms.
    assert_eq!(summary.reasons["nacked"]["maintenance"], 3);
    let faults = trace.events().filter(|e| matches!(e.kind, EventKind::Fault { .. })).count();
    assert_eq!(faults, 3, "each refusal is traced as a fault");
}

/// The error a scenario text gets when it is loaded for a run.
fn load_error(text: &str) -> String {
    let scenario = match Scenario::parse(text, "bad.toml") {
        Ok(s) => s,
        Err(e) => return e.to_string(),
    };
    match scenario.simulation(&Registry::builtin(), scenario.run) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_fault_naming_an_unknown_node_or_edge_is_refused_with_its_position() {
    let e = load_error(&chain(1, "0ms", "[[fault]]\nkind = \"crash\"\nnode = \"wrok\"\nat = \"1ms\"\n"));
    assert!(e.starts_with("bad.toml:23:8:") && e.contains("no node \"wrok\"") && e.contains("src, work, sink"), "{e}");
    let e = load_error(&chain(1, "0ms", "[[fault]]\nkind = \"drop\"\nedge = \"src.out -> sink.in\"\n"));
    assert!(e.starts_with("bad.toml:23:8:") && e.contains("no edge src.out -> sink.in"), "{e}");
    assert!(e.contains("edges: src.out -> work.in, work.out -> sink.in"), "{e}");
}

#[test]
fn a_fault_window_that_ends_before_it_starts_is_refused() {
    let e = load_error(&chain(
        1,
        "0ms",
        "[[fault]]\nkind = \"partition\"\nedge = \"src.out -> work.in\"\nfrom = \"9ms\"\nuntil = \"2ms\"\n",
    ));
    assert!(e.starts_with("bad.toml:25:9:") && e.contains("`until` 2ms ends before it starts"), "{e}");
}

#[test]
fn a_fault_key_its_kind_does_not_have_and_an_unknown_kind_are_refused() {
    let e = load_error(&chain(1, "0ms", "[[fault]]\nkind = \"drop\"\nedge = \"src.out -> work.in\"\nby = \"1ms\"\n"));
    assert!(e.starts_with("bad.toml:24:6:") && e.contains("a drop fault has no key `by`"), "{e}");
    let e = load_error(&chain(1, "0ms", "[[fault]]\nkind = \"meteor\"\nnode = \"work\"\n"));
    assert!(e.starts_with("bad.toml:22:8:") && e.contains("unknown fault kind \"meteor\""), "{e}");
}

#[test]
fn bad_catalog_configs_are_refused_naming_the_node_and_key() {
    let with = |kind: &str, config: &str| {
        chain(1, "0ms", "")
            .replace("kind = \"map\"", &format!("kind = \"{kind}\""))
            .replace("config = { set = { \"/seen\" = true } }", &format!("config = {config}"))
    };
    let e = load_error(&with("batch", "{ max_size = 0, max_delay = \"1ms\" }"));
    assert!(
        e.starts_with("bad.toml:9:10:") && e.contains("node \"work\" (batch): max_size must be at least 1, not 0"),
        "{e}"
    );
    let e = load_error(&with("batch", "{ max_size = -3, max_delay = \"1ms\" }"));
    assert!(e.contains("max_size must be at least 1, not -3"), "{e}");
    let e = load_error(&with("retry", "{ max_attempts = 3, backof = \"1ms\" }"));
    assert!(e.contains("node \"work\" (retry)") && e.contains("unknown field `backof`"), "{e}");
    let e = load_error(&with("content_router", "{ routes = [{ when = { body = \"no-slash\" }, to = \"out\" }] }"));
    assert!(e.contains("node \"work\" (content_router)") && e.contains("no-slash"), "{e}");
}

#[test]
fn a_failover_router_whose_fallback_is_not_connected_is_refused() {
    let text = chain(1, "0ms", "")
        .replace("kind = \"map\"", "kind = \"failover_router\"")
        .replace("config = { set = { \"/seen\" = true } }", "config = {}")
        .replace("from = \"work.out\"", "from = \"work.primary\"");
    let e = load_error(&text);
    assert!(e.starts_with("bad.toml:5:1:") && e.contains("output port \"fallback\" is not connected"), "{e}");
}

#[test]
fn crash_and_skew_are_refused_for_async_actors() {
    let mut registry = Registry::builtin();
    registry.register("async_map", |_| {
        Ok(flowreplay::NodeBuild::async_processor(crate::async_actors::Sleeper, &["in"], &["out"]))
    });
    let text = chain(1, "0ms", "[[fault]]\nkind = \"skew\"\nnode = \"work\"\nby = \"1ms\"\n")
        .replace("kind = \"map\"", "kind = \"async_map\"");
    let scenario = Scenario::parse(&text, "bad.toml").unwrap();
    let e = scenario.simulation(&registry, scenario.run).err().expect("refused").to_string();
    assert!(e.contains("bad.toml:23:8:") && e.contains("runs async code") && e.contains("tokio"), "{e}");
}

#[test]
fn a_crashed_node_hears_the_acks_that_came_while_it_was_down_when_it_restarts() {
    let text =
        chain(1, "0ms", "[[fault]]\nkind = \"crash\"\nnode = \"work\"\nat = \"5ms\"\nrestart_after = \"10ms\"\n")
            .replace("kind = \"map\"", "kind = \"retry\"")
            .replace("config = { set = { \"/seen\" = true } }", "config = { max_attempts = 2, backoff = \"1ms\" }")
            .replace("kind = \"exporter\"", "kind = \"exporter\"\nconfig = { processing = \"10ms\" }");
    let (summary, trace) = run(&text, 1);
    // Sent on at 1 ms, exported (and acked) at 12 ms while the retry is down until 15 ms.
    let acks: Vec<(u32, u64)> = trace
        .events()
        .filter(|e| matches!(e.kind, EventKind::Ack { .. }))
        .map(|e| (e.kind.node().0, e.at.as_nanos()))
        .collect();
    assert_eq!(acks, [(1, 15 * MS), (0, 15 * MS)], "held until the restart, then passed on");
    assert!(summary.drained());
}

#[test]
fn a_crash_that_overlaps_another_on_the_same_node_is_refused() {
    let two = "[[fault]]\nkind = \"crash\"\nnode = \"work\"\nat = \"5ms\"\nrestart_after = \"10ms\"\n\
               [[fault]]\nkind = \"crash\"\nnode = \"work\"\nat = \"8ms\"\n";
    let e = load_error(&chain(1, "0ms", two));
    assert!(e.contains("bad.toml:28:8:") && e.contains("while it is down from fault 1"), "{e}");
    let apart = two.replace("at = \"8ms\"", "at = \"20ms\"");
    assert!(Scenario::parse(&chain(1, "0ms", &apart), "ok.toml")
        .unwrap()
        .simulation(&Registry::builtin(), Default::default())
        .is_ok());
}

#[test]
fn a_crash_declared_after_the_run_ends_leaves_it_byte_identical() {
    assert_leaves_the_run_byte_identical(
        "[[fault]]\nkind = \"crash\"\nnode = \"work\"\nat = \"10s\"\nrestart_after = \"1ms\"\n",
    );
}
