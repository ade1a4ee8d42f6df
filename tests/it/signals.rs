//! ACK/NACK travel back along each message's path to its subscribers only.

use std::collections::BTreeMap;

use flowreplay::{Actor, Context, EventKind, InPort, Message, NodeBuild, Registry, Signal};

use crate::{run_file, run_text, scenario};

#[test]
fn nacks_reach_the_receiver_and_skip_the_filter_that_did_not_subscribe() {
    let (summary, trace) = run_file(&scenario("nack"), 3);

    let events: Vec<_> = trace.events().collect();
    let nacked = summary.terminal["nacked"];
    assert!(nacked > 0);
    let by_node = |node: &str| summary.nodes.iter().find(|n| n.node == node).unwrap().clone();
    assert_eq!(by_node("ingest").nacks, nacked);
    assert_eq!(by_node("ingest").acks, summary.terminal["exported"]);
    assert_eq!(by_node("sanitize").nacks + by_node("sanitize").acks, 0);
    let permanent = events.iter().filter(|e| matches!(e.kind, EventKind::Nack { permanent: true, .. })).count();
    assert_eq!(permanent as u64, summary.reasons["nacked"]["schema rejected"]);
}

/// Subscribes to every message it forwards and counts what comes back.
struct Counting;

impl Actor for Counting {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        ctx.subscribe(&mut msg);
        ctx.send("out", msg);
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        ctx.pass_upstream(signal);
    }
}

const CHAIN: &str = r#"
[[node]]
id = "src"
kind = "receiver"
config.workload = { count = 200, rate = "1000/s", messages = [{ name = "M", size = 10 }] }
[[node]]
id = "watcher"
kind = "counting"
[[node]]
id = "plain"
kind = "filter"
config = { drop_if = { name = "Never" } }
[[node]]
id = "sink"
kind = "exporter"
config = { fail_every = 4, reason = "full" }
[[connector]]
from = "src.out"
to = "watcher.in"
latency = "1ms"
[[connector]]
from = "watcher.out"
to = "plain.in"
latency = "1ms"
[[connector]]
from = "plain.out"
to = "sink.in"
latency = "1ms"
"#;

#[test]
fn every_subscriber_sees_exactly_one_ack_or_nack_per_message_and_others_see_none() {
    let mut registry = Registry::builtin();
    registry.register("counting", |_| Ok(NodeBuild::processor(Counting, &["in"], &["out"])));
    let (summary, trace) = run_text(CHAIN, &registry, 1);

    let events: Vec<_> = trace.events().collect();
    let mut seen: BTreeMap<(String, u64), u32> = BTreeMap::new();
    let name = |id: flowreplay::NodeId| summary.nodes[id.index()].node.clone();
    for event in &events {
        if let EventKind::Ack { node, .. } | EventKind::Nack { node, .. } = &event.kind {
            *seen.entry((name(*node), event.message.0)).or_default() += 1;
        }
    }
    for node in ["src", "watcher"] {
        for id in 1..=200 {
            assert_eq!(seen.get(&(node.to_string(), id)), Some(&1), "{node} and message {id}");
        }
    }
    assert!(seen.keys().all(|(node, _)| node == "src" || node == "watcher"), "a non-subscriber got a signal");
    assert_eq!(summary.terminal["nacked"], 50);
    assert_eq!(summary.nodes[1].nacks, 50);
    assert_eq!(summary.nodes[0].nacks, 50);
}

/// Absorbs NACKs instead of passing them on.
struct Shield;

impl Actor for Shield {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        ctx.subscribe(&mut msg);
        ctx.send("out", msg);
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        if matches!(signal, Signal::Ack(_)) {
            ctx.pass_upstream(signal);
        }
    }
}

#[test]
fn a_subscriber_that_keeps_a_nack_stops_it_going_further_upstream() {
    let mut registry = Registry::builtin();
    registry.register("counting", |_| Ok(NodeBuild::processor(Shield, &["in"], &["out"])));
    let (summary, _) = run_text(CHAIN, &registry, 1);
    assert_eq!(summary.nodes[1].nacks, 50, "the shield saw the nacks");
    assert_eq!(summary.nodes[0].nacks, 0, "the receiver did not");
    assert_eq!(summary.nodes[0].acks, 150);
}
