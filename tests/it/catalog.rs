//! The processors of the node catalog: batch, retry, failover router, ack
//! controller, sampling, deadline and the exporter's options, one rule per
//! test.

use flowreplay::{EventKind, MemoryRecorder, MessageId, Registry, RunSummary, TraceEvent};

use crate::run_text;

/// A receiver sending `count` messages at `rate`, then `middle` (node tables
/// and connectors, in order), ending at an exporter `sink` configured with `sink`.
fn pipeline(count: u64, rate: &str, middle: &[(&str, &str, &str)], sink: &str) -> String {
    let mut text = format!(
        "[[node]]\nid = \"src\"\nkind = \"receiver\"\nconfig.workload = {{ count = {count}, rate = \"{rate}\", \
         messages = [{{ name = \"M\", size = 10, body = {{ n = \"{{seq}}\" }} }}] }}\n"
    );
    let mut previous = "src.out".to_string();
    for (id, kind, config) in middle {
        text += &format!("[[node]]\nid = \"{id}\"\nkind = \"{kind}\"\nconfig = {config}\n");
        text += &format!("[[connector]]\nfrom = \"{previous}\"\nto = \"{id}.in\"\n");
        previous = format!("{id}.out");
    }
    text += &format!("[[node]]\nid = \"sink\"\nkind = \"exporter\"\nconfig = {sink}\n");
    text += &format!("[[connector]]\nfrom = \"{previous}\"\nto = \"sink.in\"\n");
    text
}

/// Runs `text` with seed 1; the run must conserve and drain.
fn run(text: &str) -> (RunSummary, MemoryRecorder) {
    let (summary, trace) = run_text(text, &Registry::builtin(), 1);
    assert!(summary.conserved() && summary.drained(), "{summary:?}");
    (summary, trace)
}

/// When `label` events happened at node `node` (by its index).
fn times(events: &[TraceEvent<'_>], label: &str, node: u32) -> Vec<u64> {
    events.iter().filter(|e| e.kind.label() == label && e.kind.node().0 == node).map(|e| e.at.as_nanos()).collect()
}

const MS: u64 = 1_000_000;

/// Sends leaving node `node`, with their times.
fn sends_from(events: &[TraceEvent<'_>], node: u32) -> Vec<(u64, MessageId)> {
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Send { from, .. } if from.0 .0 == node))
        .map(|e| (e.at.as_nanos(), e.message))
        .collect()
}

#[test]
fn a_batch_flushes_at_max_size() {
    let text = pipeline(8, "1000/s", &[("gather", "batch", "{ max_size = 4, max_delay = \"1s\" }")], "{}");
    let (summary, trace) = run(&text);
    let events: Vec<_> = trace.events().collect();
    // The 4th and 8th members arrive at 3 ms and 7 ms: each batch leaves then.
    assert_eq!(sends_from(&events, 1).iter().map(|s| s.0).collect::<Vec<_>>(), [3 * MS, 7 * MS]);
    assert_eq!((summary.terminal["batched"], summary.created, summary.terminal["exported"]), (8, 2, 2));
}

#[test]
fn a_batch_flushes_at_max_delay_when_under_size() {
    let text = pipeline(3, "1000/s", &[("gather", "batch", "{ max_size = 10, max_delay = \"20ms\" }")], "{}");
    let (_, trace) = run(&text);
    let events: Vec<_> = trace.events().collect();
    // The first member arrives at 0: the batch of three leaves 20 ms later.
    assert_eq!(sends_from(&events, 1).iter().map(|s| s.0).collect::<Vec<_>>(), [20 * MS]);
    let body = events.iter().find_map(|e| match &e.kind {
        EventKind::Send { from, body, .. } if from.0 .0 == 1 => Some(body.value().clone()),
        _ => None,
    });
    assert_eq!(body.unwrap()["count"], 3);
}

#[test]
fn an_ack_of_a_batch_acks_each_member() {
    let text = pipeline(6, "1000/s", &[("gather", "batch", "{ max_size = 3, max_delay = \"1s\" }")], "{}");
    let (summary, trace) = run(&text);
    let events: Vec<_> = trace.events().collect();
    let acked: Vec<MessageId> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Ack { node, .. } if node.0 == 0))
        .map(|e| e.message)
        .collect();
    let injected: Vec<MessageId> =
        events.iter().filter(|e| matches!(e.kind, EventKind::Inject { .. })).map(|e| e.message).collect();
    let mut acked_sorted = acked.clone();
    acked_sorted.sort();
    assert_eq!(acked_sorted, injected, "every member hears exactly one ACK");
    assert_eq!(summary.nodes[0].acks, 6);
}

#[test]
fn a_nack_of_a_batch_nacks_each_member_with_its_reason() {
    let text = pipeline(
        4,
        "1000/s",
        &[("gather", "batch", "{ max_size = 2, max_delay = \"1s\" }")],
        "{ fail_every = 1, reason = \"full\", permanent = true }",
    );
    let (summary, trace) = run(&text);
    let events: Vec<_> = trace.events().collect();
    let nacks: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Nack { node, reason, .. } if node.0 == 0 => Some(&***reason),
            _ => None,
        })
        .collect();
    assert_eq!(nacks, ["full"; 4]);
    assert_eq!((summary.terminal["batched"], summary.terminal["nacked"]), (4, 2));
}

#[test]
fn retry_waits_exactly_the_configured_backoff_sequence_and_stops_after_max_attempts() {
    let retry = "{ max_attempts = 4, backoff = \"10ms\", multiplier = 3.0, max_backoff = \"50ms\" }";
    let text = pipeline(1, "1000/s", &[("retry", "retry", retry)], "{ fail_every = 1, reason = \"down\" }");
    let (summary, trace) = run(&text);
    let events: Vec<_> = trace.events().collect();
    // Waits of 10, 30, then 90 capped at 50 ms.
    assert_eq!(sends_from(&events, 1).iter().map(|s| s.0).collect::<Vec<_>>(), [0, 10 * MS, 40 * MS, 90 * MS]);
    assert_eq!(summary.created, 3, "each retry is a new message");
    let last = events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Nack { node, reason, .. } if node.0 == 0 => Some(reason.to_string()),
        _ => None,
    });
    assert_eq!(last.as_deref(), Some("down (gave up after 4 attempts)"));
    assert_eq!(summary.nodes[0].nacks, 1, "the sender hears one answer");
}

#[test]
fn a_permanent_nack_is_not_retried() {
    let retry = "{ max_attempts = 5, backoff = \"1ms\" }";
    let text = pipeline(1, "1000/s", &[("retry", "retry", retry)], "{ fail_every = 1, permanent = true }");
    let (summary, trace) = run(&text);
    let events: Vec<_> = trace.events().collect();
    assert_eq!(sends_from(&events, 1).len(), 1);
    assert_eq!(summary.created, 0);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::Nack { node, permanent: true, .. } if node.0 == 0)));
}

#[test]
fn an_ack_stops_the_retries() {
    let retry = "{ max_attempts = 5, backoff = \"1ms\" }";
    let text = pipeline(4, "1000/s", &[("retry", "retry", retry)], "{ fail_every = 2 }");
    let (summary, _) = run(&text);
    // The exporter refuses every second message it receives, retries included.
    assert_eq!(summary.terminal["exported"], 4, "every message gets through eventually");
    assert_eq!(summary.nodes[0].acks, 4);
    assert_eq!(summary.nodes[0].nacks, 0);
}

/// Receiver → failover router → primary / fallback exporters.
fn failover(count: u64, router: &str, primary: &str, extra: &str) -> String {
    format!(
        "[[node]]\nid = \"src\"\nkind = \"receiver\"\nconfig.workload = {{ count = {count}, rate = \"100/s\", \
         messages = [{{ name = \"M\" }}] }}\n\
         [[node]]\nid = \"route\"\nkind = \"failover_router\"\nconfig = {router}\n\
         [[node]]\nid = \"main\"\nkind = \"exporter\"\nconfig = {primary}\n\
         [[node]]\nid = \"spare\"\nkind = \"exporter\"\n\
         [[connector]]\nfrom = \"src.out\"\nto = \"route.in\"\n\
         [[connector]]\nfrom = \"route.primary\"\nto = \"main.in\"\nlatency = \"1ms\"\n\
         [[connector]]\nfrom = \"route.fallback\"\nto = \"spare.in\"\nlatency = \"1ms\"\n{extra}"
    )
}

/// Sends on the router's `fallback` port (output 1), by time.
fn to_fallback(events: &[TraceEvent<'_>]) -> Vec<u64> {
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Send { from, .. } if from.0 .0 == 1 && from.1 .0 == 1))
        .map(|e| e.at.as_nanos())
        .collect()
}

#[test]
fn failover_sends_to_the_fallback_only_after_the_primary_nacks() {
    let outage = "[[fault]]\nkind = \"outage\"\nnode = \"main\"\nfrom = \"25ms\"\nuntil = \"1s\"\n";
    let (summary, trace) = run(&failover(6, "{}", "{}", outage));
    let events: Vec<_> = trace.events().collect();
    // Messages at 0, 10, 20 ms go to the primary; the one at 30 ms is refused
    // (at 31 ms) and sent again on the fallback, as is everything after.
    let first_nack = times(&events, "nack", 1);
    assert_eq!(first_nack, [31 * MS]);
    assert_eq!(to_fallback(&events), [31 * MS, 40 * MS, 50 * MS]);
    assert_eq!((summary.terminal["exported"], summary.terminal["nacked"], summary.created), (6, 1, 1));
    assert_eq!(summary.nodes[0].acks, 6, "the sender hears the fallback's ACK, not the primary's NACK");
}

#[test]
fn failover_sends_to_the_fallback_only_after_an_ack_timeout() {
    let (summary, trace) = run(&failover(1, "{ ack_timeout = \"10ms\" }", "{ processing = \"30ms\" }", ""));
    let events: Vec<_> = trace.events().collect();
    assert_eq!(to_fallback(&events), [10 * MS], "exactly when the timeout expires, not before");
    // The slow primary still exports its copy: at least once, not exactly once.
    assert_eq!(summary.terminal["exported"], 2);
    assert_eq!(summary.nodes[0].acks, 1, "the sender hears one answer");
}

#[test]
fn failover_switches_back_to_the_primary_after_the_policy_delay() {
    let outage = "[[fault]]\nkind = \"outage\"\nnode = \"main\"\nuntil = \"5ms\"\n";
    let (_, trace) = run(&failover(6, "{ switch_back_after = \"25ms\" }", "{}", outage));
    let events: Vec<_> = trace.events().collect();
    // Failed over at 1 ms; messages at 10 and 20 ms still go to the
    // fallback, the one at 30 ms is past 26 ms and goes to the primary.
    assert_eq!(to_fallback(&events), [MS, 10 * MS, 20 * MS]);
}

/// When the sender (node 0) hears its ACK, and when the sink exports.
fn ack_and_export(mode: &str) -> (u64, u64) {
    let controller = format!("{{ mode = \"{mode}\", process = \"5ms\" }}");
    let text = pipeline(1, "1000/s", &[("accept", "ack_controller", &controller)], "{ processing = \"5ms\" }");
    let (_, trace) = run(&text);
    let events: Vec<_> = trace.events().collect();
    (times(&events, "ack", 0)[0], times(&events, "export", 2)[0])
}

#[test]
fn an_ack_controller_in_ingress_mode_acks_before_export() {
    assert_eq!(ack_and_export("ingress"), (0, 10 * MS), "acked on arrival, before its 5 ms of work");
}

#[test]
fn an_ack_controller_in_pre_export_mode_acks_when_it_hands_the_message_on() {
    assert_eq!(ack_and_export("pre_export"), (5 * MS, 10 * MS));
}

#[test]
fn an_ack_controller_in_downstream_mode_acks_only_after_the_export() {
    assert_eq!(ack_and_export("downstream"), (10 * MS, 10 * MS));
}

#[test]
fn sampling_at_0_1_keeps_10_percent_of_100000_messages_and_the_same_ones_for_the_same_seed() {
    let text = pipeline(100_000, "1000000/s", &[("thin", "sampling", "{ keep = 0.1 }")], "{}");
    let kept = |seed| {
        let (summary, trace) = run_text(&text, &Registry::builtin(), seed);
        assert!(summary.conserved() && summary.drained());
        assert_eq!(summary.terminal["discarded"] + summary.terminal["exported"], 100_000);
        assert_eq!(summary.reasons["discarded"]["sampling"], summary.terminal["discarded"]);
        let ids: Vec<MessageId> =
            trace.events().filter(|e| matches!(e.kind, EventKind::Export { .. })).map(|e| e.message).collect();
        ids
    };
    let first = kept(5);
    assert!((9_000..=11_000).contains(&first.len()), "kept {} of 100000", first.len());
    assert_eq!(kept(5), first, "the same seed keeps the same messages");
    assert_ne!(kept(6), first, "another seed keeps others");
}

#[test]
fn a_message_past_its_deadline_is_nacked_with_reason_deadline() {
    let with_latency = |latency: &str| {
        pipeline(1, "1000/s", &[("stamp", "deadline", "{ within = \"5ms\" }")], "{}")
            .replace("to = \"sink.in\"\n", &format!("to = \"sink.in\"\nlatency = \"{latency}\"\n"))
    };
    let (summary, trace) = run(&with_latency("8ms"));
    let events: Vec<_> = trace.events().collect();
    assert_eq!(summary.reasons["nacked"]["deadline"], 1);
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::Nack { node, reason, permanent: true, .. }
        if node.0 == 0 && &***reason == "deadline")));
    let (summary, _) = run(&with_latency("4ms"));
    assert_eq!(summary.terminal["exported"], 1, "in time, it is exported");
}

#[test]
fn an_exporter_as_a_persistent_queue_acks_at_once_and_exports_in_turn() {
    let text = pipeline(3, "1000000/s", &[], "{ persistent_queue = true, processing = \"4ms\" }");
    let (summary, trace) = run(&text);
    let events: Vec<_> = trace.events().collect();
    assert_eq!(times(&events, "ack", 0), [0, 1_000, 2_000], "acked as each arrives, 1 µs apart");
    assert_eq!(times(&events, "export", 1), [4 * MS, 8 * MS, 12 * MS], "exported one at a time");
    assert_eq!(summary.terminal["exported"], 3);
}

#[test]
fn a_persistent_queue_keeps_a_failed_export_for_another_attempt() {
    let text = pipeline(3, "1000/s", &[], "{ persistent_queue = true, fail_every = 2 }");
    let (summary, trace) = run(&text);
    let events: Vec<_> = trace.events().collect();
    assert_eq!(summary.terminal["exported"], 3);
    assert_eq!(summary.terminal["nacked"], 0);
    assert_eq!(events.iter().filter(|e| matches!(e.kind, EventKind::Fault { .. })).count(), 1);
}

/// Two replicas, `a` (which takes six writes, 1 ms apart) and `b`, both ways,
/// with `extra` appended (faults, `[run]`).
fn two_replicas(extra: &str) -> String {
    let replica = |me: &str, peer: &str| {
        format!(
            "[[node]]\nid = \"{me}\"\nkind = \"replica\"\nconfig = {{ device = \"{me}\", peers = [\"{peer}\"], \
             ack_timeout = \"3ms\", backoff = \"2ms\", max_backoff = \"4ms\" }}\n"
        )
    };
    format!(
        "allow_cycles = true\n\
         [[node]]\nid = \"writes\"\nkind = \"receiver\"\nconfig.workload = {{ count = 6, rate = \"1000/s\", \
         messages = [{{ name = \"Write\", body = {{ n = \"{{seq}}\" }} }}] }}\n\
         {}{}\
         [[node]]\nid = \"monitor\"\nkind = \"exporter\"\n\
         [[connector]]\nfrom = \"writes.out\"\nto = \"a.in\"\n\
         [[connector]]\nfrom = \"a.b\"\nto = \"b.in\"\nlatency = \"1ms\"\n\
         [[connector]]\nfrom = \"b.a\"\nto = \"a.in\"\nlatency = \"1ms\"\n\
         [[connector]]\nfrom = \"a.metrics\"\nto = \"monitor.in\"\n\
         [[connector]]\nfrom = \"b.metrics\"\nto = \"monitor.in\"\n{extra}",
        replica("a", "b"),
        replica("b", "a")
    )
}

#[test]
fn a_replica_backfills_a_peer_in_order_after_a_partition() {
    let partition = "[[fault]]\nkind = \"partition\"\nedge = \"a.b -> b.in\"\nfrom = \"2ms\"\nuntil = \"9ms\"\n";
    let (summary, trace) = run(&two_replicas(partition));
    let events: Vec<_> = trace.events().collect();
    // What b applied, in the order it arrived: each write once it is back, in order.
    let applied: Vec<u64> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Send { from, body, .. } if from.0 .0 == 1 && from.1 .0 == 0 => body.value()["seq"].as_u64(),
            _ => None,
        })
        .collect();
    let lost = summary.terminal["lost"];
    assert!(lost >= 3, "the partition lost the updates sent into it: {lost}");
    let after: Vec<u64> = applied[applied.len() - 4..].to_vec();
    assert_eq!(after, [3, 4, 5, 6], "the backfill sends what b missed, in order: {applied:?}");
    let states: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Send { name, body, .. } if *name == "PeerStatus" => {
                body.value()["state"].as_str().map(String::from)
            }
            _ => None,
        })
        .collect();
    assert_eq!(states, ["down", "up"]);
    assert_eq!(summary.nodes[0].acks, 6, "every write is exported once b has it, and its writer hears so");
}

#[test]
fn a_peer_that_never_answers_is_given_up_after_its_probes_and_the_writes_it_lacks_are_nacked() {
    let cut = "[[fault]]\nkind = \"partition\"\nedge = \"a.b -> b.in\"\n";
    let (summary, trace) = run(&two_replicas(cut));
    assert_eq!(summary.nodes[0].acks, 0, "no write reached b");
    assert_eq!(summary.reasons["nacked"]["peer b unreachable"], 6, "each write is refused to its writer");
    assert_eq!(summary.nodes[0].nacks, 6);
    let statuses: Vec<(String, u64)> = trace
        .events()
        .filter_map(|e| match &e.kind {
            EventKind::Send { name, body, .. } if *name == "PeerStatus" => {
                Some((body.value()["state"].as_str()?.to_string(), body.value()["queue"].as_u64()?))
            }
            _ => None,
        })
        .collect();
    // Down (the first write timed out at 3 ms, with the writes made by then queued), then given up.
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert!(statuses[0].0 == "down" && (3..=4).contains(&statuses[0].1), "{statuses:?}");
    assert_eq!(statuses[1], ("given_up".to_string(), 0));
    let probes = trace.events().filter(|e| matches!(&e.kind, EventKind::Lose { .. })).count();
    // The updates sent while b was thought up, then the eight probes.
    assert_eq!(probes as u64, statuses[0].1 + 8, "lost to the partition");
}

#[test]
fn a_cycle_needs_allow_cycles_and_then_shuts_down_writers_first() {
    let text = two_replicas("");
    let refused = flowreplay::Scenario::parse(&text.replace("allow_cycles = true\n", ""), "cycle.toml")
        .unwrap()
        .network(&Registry::builtin())
        .err()
        .expect("a cycle is refused by default")
        .to_string();
    assert!(refused.contains("cycle: a -> b -> a") && refused.contains("allow_cycles = true"), "{refused}");
    let (_, trace) = run(&text);
    let stops: Vec<u32> = trace
        .events()
        .filter_map(|e| match e.kind {
            EventKind::Lifecycle { node, phase: flowreplay::trace::Phase::Stop } => Some(node.0),
            _ => None,
        })
        .collect();
    assert_eq!(stops, [0, 1, 2, 3], "the writer, then a and b (declaration order on the cycle), then the monitor");
}
