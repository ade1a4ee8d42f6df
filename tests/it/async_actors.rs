//! Async handlers run on tokio's paused clock: sleeps are virtual time.

use std::time::Duration;

use flowreplay::{AsyncActor, AsyncContext, EventKind, HandlerFuture, InPort, Message, NodeBuild, Registry};

use crate::run_text;

/// Holds each message for 5 ms of virtual time, then forwards it.
pub struct Sleeper;

impl AsyncActor for Sleeper {
    fn on_message(&mut self, ctx: AsyncContext, _port: InPort, msg: Message) -> HandlerFuture {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            ctx.send("out", msg);
        })
    }
}

const SCENARIO: &str = r#"
[[node]]
id = "src"
kind = "receiver"
config.workload = { count = 20, rate = "100/s", messages = [{ name = "Tick" }] }
[[node]]
id = "sleepy"
kind = "sleeper"
[[node]]
id = "sink"
kind = "exporter"
[[connector]]
from = "src.out"
to = "sleepy.in"
latency = "1ms"
[[connector]]
from = "sleepy.out"
to = "sink.in"
latency = "1ms"
"#;

fn run(seed: u64) -> (flowreplay::RunSummary, flowreplay::MemoryRecorder) {
    let mut registry = Registry::builtin();
    registry.register("sleeper", |_| Ok(NodeBuild::async_processor(Sleeper, &["in"], &["out"])));
    run_text(SCENARIO, &registry, seed)
}

#[test]
fn an_async_actor_that_sleeps_5ms_shows_exactly_that_gap_in_the_trace() {
    let (summary, trace) = run(1);

    let events: Vec<_> = trace.events().collect();
    assert_eq!(summary.stopped_by, flowreplay::StopReason::Completed, "regression: async runs never shut down");
    assert_eq!(
        summary.terminal["exported"], 20,
        "{:?} {:?} {:?}",
        summary.terminal, summary.in_flight, summary.stopped_by
    );
    assert_sleeps_exactly_5ms(&events, 0);
}

/// Each of the 20 messages leaves the sleeper exactly 5 ms after reaching
/// it, and reaches it `offset_ns` past a whole millisecond.
fn assert_sleeps_exactly_5ms(events: &[flowreplay::TraceEvent], offset_ns: u64) {
    let sleepy = flowreplay::NodeId(1);
    for msg in 1..=20 {
        let at = |pred: &dyn Fn(&EventKind) -> bool| {
            events.iter().find(|e| e.message.0 == msg && pred(&e.kind)).map(|e| e.at.as_nanos()).unwrap()
        };
        let delivered = at(&|k| matches!(k, EventKind::Deliver { node, .. } if *node == sleepy));
        let forwarded = at(&|k| matches!(k, EventKind::Send { from, .. } if from.0 == sleepy));
        assert_eq!((delivered % 1_000_000, forwarded - delivered), (offset_ns, 5_000_000), "message {msg}");
    }
}

#[test]
fn async_runs_are_identical_run_to_run() {
    let (a, trace_a) = run(3);

    let events_a: Vec<_> = trace_a.events().collect();
    let (b, trace_b) = run(3);

    let events_b: Vec<_> = trace_b.events().collect();
    assert_eq!(events_a, events_b);
    assert_eq!(a, b);
}

/// Messages arriving while the actor sleeps wait in its mailbox: the node
/// handles one at a time, so back-to-back arrivals leave 5 ms apart.
#[test]
fn an_async_actor_handles_one_message_at_a_time() {
    let fast = SCENARIO.replace("rate = \"100/s\"", "rate = \"1000/s\"");
    let mut registry = Registry::builtin();
    registry.register("sleeper", |_| Ok(NodeBuild::async_processor(Sleeper, &["in"], &["out"])));
    let (summary, trace) = run_text(&fast, &registry, 1);

    let events: Vec<_> = trace.events().collect();
    assert_eq!(summary.terminal["exported"], 20);
    let sends: Vec<u64> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Send { from, .. } if from.0 == flowreplay::NodeId(1)))
        .map(|e| e.at.as_nanos())
        .collect();
    assert!(sends.windows(2).all(|w| w[1] - w[0] == 5_000_000), "{sends:?}");
}

/// Regression: a handler starting between whole milliseconds had its
/// effect applied a millisecond late when its sleep ended on the same tokio
/// tick as the engine's next event.
#[test]
fn an_async_sleep_is_exact_when_the_handler_starts_mid_millisecond() {
    let skewed = SCENARIO.replace("to = \"sleepy.in\"\nlatency = \"1ms\"", "to = \"sleepy.in\"\nlatency = \"500us\"");
    assert_ne!(skewed, SCENARIO);
    let mut registry = Registry::builtin();
    registry.register("sleeper", |_| Ok(NodeBuild::async_processor(Sleeper, &["in"], &["out"])));
    let (summary, trace) = run_text(&skewed, &registry, 2);

    let events: Vec<_> = trace.events().collect();
    assert_eq!(summary.stopped_by, flowreplay::StopReason::Completed);
    assert_sleeps_exactly_5ms(&events, 500_000);
}
