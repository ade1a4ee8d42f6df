//! What an actor can do through its context: timers, CONFIG, new messages.

use flowreplay::{
    Actor, Body, Context, EventKind, InPort, Message, Nanos, NodeBuild, Registry, Signal, TimerId, VirtualTime,
};

/// Holds each message for 3 ms on a timer (and arms a second timer it then
/// cancels), then sends a derived `Echo` and consumes the original. A CONFIG
/// signal renames the echo.
#[derive(Default)]
struct Holder {
    held: Vec<(TimerId, Message)>,
    echo_name: String,
}

impl Actor for Holder {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
        let timer = ctx.set_timer(Nanos::from_millis(3));
        let never = ctx.set_timer(Nanos::from_millis(1));
        ctx.cancel_timer(never);
        self.held.push((timer, msg));
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Timer(timer) => {
                let Some(index) = self.held.iter().position(|(t, _)| *t == timer) else { return };
                let (_, original) = self.held.remove(index);
                let name = if self.echo_name.is_empty() { "Echo" } else { self.echo_name.as_str() };
                let echo = ctx.derive(name.to_string(), Body::new(serde_json::json!({"of": original.id.0})), 8);
                ctx.send("out", echo);
                ctx.consume(original);
            }
            Signal::Config(value) => self.echo_name = value["echo"].as_str().unwrap_or_default().to_string(),
            other => ctx.pass_upstream(other),
        }
    }
}

const SCENARIO: &str = r#"
[[node]]
id = "src"
kind = "receiver"
config.workload = { count = 10, rate = "100/s", messages = [{ name = "Job" }] }
[[node]]
id = "holder"
kind = "holder"
[[node]]
id = "sink"
kind = "exporter"
[[connector]]
from = "src.out"
to = "holder.in"
[[connector]]
from = "holder.out"
to = "sink.in"
"#;

#[test]
fn timers_fire_after_their_delay_cancelled_ones_never_and_derived_messages_are_counted() {
    let mut registry = Registry::builtin();
    registry.register("holder", |_| Ok(NodeBuild::processor(Holder::default(), &["in"], &["out"])));
    let scenario = flowreplay::Scenario::parse(SCENARIO, "context.toml").unwrap();
    let mut sim = flowreplay::Simulation::new(scenario.network(&registry).unwrap(), scenario.run);
    sim.schedule_config(VirtualTime(45_000_000), flowreplay::NodeId(1), serde_json::json!({"echo": "Reply"}));
    let mut trace = flowreplay::MemoryRecorder::default();
    let summary = sim.run(Some(&mut trace)).unwrap();
    let events: Vec<_> = trace.events().collect();

    assert_eq!(summary.injected, 10);
    assert_eq!(summary.created, 10, "one echo per job");
    assert_eq!(summary.terminal["consumed"], 10);
    assert_eq!(summary.terminal["exported"], 10);
    assert!(summary.conserved());
    assert!(summary.drained(), "{:?}", summary.in_flight);
    let timers: Vec<u64> =
        events.iter().filter(|e| matches!(e.kind, EventKind::Timer { .. })).map(|e| e.at.0).collect();
    let delivered: Vec<u64> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Deliver { node, .. } if node.0 == 1))
        .map(|e| e.at.0)
        .collect();
    assert_eq!(timers.len(), 10, "cancelled timers never fire");
    assert!(timers.iter().zip(&delivered).all(|(t, d)| t - d == 3_000_000), "{timers:?} {delivered:?}");
    let names: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Send { name, from, .. } if from.0 .0 == 1 => Some(&name[..]),
            _ => None,
        })
        .collect();
    assert_eq!(&names[..5], ["Echo"; 5], "before the CONFIG at 45 ms");
    assert_eq!(&names[5..], ["Reply"; 5], "after it");
}

/// Misbehaves on purpose: sends on a port index it does not have, and ends
/// a message it created without sending it.
struct Careless;

impl Actor for Careless {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
        let note = ctx.derive("Note", Body::default(), 1);
        ctx.consume(note);
        ctx.send_on(flowreplay::OutPort(7), msg);
    }
}

/// Regressions: `send_on` a port index the node lacks panicked, and ending a
/// never-sent derived message was counted as a second ending.
#[test]
fn a_send_on_a_missing_port_is_a_permanent_nack_and_unsent_messages_can_end() {
    let mut registry = Registry::builtin();
    registry.register("holder", |_| Ok(NodeBuild::processor(Careless, &["in"], &["out"])));
    let scenario = flowreplay::Scenario::parse(SCENARIO, "careless.toml").unwrap();
    let mut trace = flowreplay::MemoryRecorder::default();
    let network = scenario.network(&registry).unwrap();
    let summary = flowreplay::Simulation::new(network, scenario.run).run(Some(&mut trace)).unwrap();
    assert!(summary.conserved(), "{:?}", summary.violations);
    assert!(summary.drained(), "{:?}", summary.in_flight);
    assert_eq!((summary.terminal["nacked"], summary.terminal["consumed"], summary.created), (10, 10, 10));
    assert!(summary.reasons["nacked"].keys().all(|r| r.contains("has no output port")));
    assert_eq!(summary.nodes[0].nacks, 10, "the subscribed receiver heard of each one");
    assert!(trace.events().any(|e| matches!(e.kind, EventKind::Nack { permanent: true, .. })));
}

/// Regression: shutdown followed topological order only, so a receiver
/// declared late was stopped after processors.
#[test]
fn receivers_are_shut_down_before_everything_else() {
    let text = r#"
[[node]]
id = "src1"
kind = "receiver"
config.workload = { count = 1, rate = 10, messages = [{ name = "M" }] }
[[node]]
id = "f"
kind = "filter"
config = { drop_if = { name = "X" } }
[[node]]
id = "sink"
kind = "exporter"
[[node]]
id = "src2"
kind = "receiver"
config.workload = { count = 1, rate = 10, messages = [{ name = "M" }] }
[[connector]]
from = "src1.out"
to = "f.in"
[[connector]]
from = "f.out"
to = "sink.in"
[[connector]]
from = "src2.out"
to = "sink.in"
"#;
    let (summary, trace) = crate::run_text(text, &Registry::builtin(), 1);

    let events: Vec<_> = trace.events().collect();
    let stops: Vec<&str> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Lifecycle { node, phase: flowreplay::trace::Phase::Stop } => {
                Some(summary.nodes[node.index()].node.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(stops, ["src1", "src2", "f", "sink"]);
}
