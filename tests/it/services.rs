//! Long-lived services: their own tasks and timers on the run's paused
//! clock, sending at any virtual time, deterministically.

use std::time::Duration;

use flowreplay::trace::EventKind;
use flowreplay::{AsyncContext, HandlerFuture, InPort, Message, NodeBuild, Registry, Service, StopReason};
use tokio::sync::mpsc;

use crate::run_text;

/// Passes each message on 3 ms after it arrived; with `tick`, also sends a
/// `Tick` of its own every 10 ms.
struct Relay {
    tick: bool,
    inbox: Option<mpsc::UnboundedSender<Message>>,
}

impl Service for Relay {
    fn start(&mut self, ctx: AsyncContext) -> HandlerFuture {
        let (inbox, mut received) = mpsc::unbounded_channel::<Message>();
        self.inbox = Some(inbox);
        let tick = self.tick;
        Box::pin(async move {
            if tick {
                let ticker = ctx.clone();
                tokio::task::spawn_local(async move {
                    let mut every = tokio::time::interval(Duration::from_millis(10));
                    loop {
                        every.tick().await;
                        ticker.send("out", ticker.derive("Tick", Default::default(), 1));
                    }
                });
            }
            while let Some(msg) = received.recv().await {
                let ctx = ctx.clone();
                tokio::task::spawn_local(async move {
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    ctx.send("out", msg);
                });
            }
        })
    }

    fn on_message(&mut self, _port: InPort, msg: Message, _at: flowreplay::VirtualTime) {
        if let Some(inbox) = &self.inbox {
            let _ = inbox.send(msg);
        }
    }
}

fn scenario(max_time: Option<&str>) -> String {
    let limit = max_time.map_or(String::new(), |t| format!("max_time = \"{t}\"\n"));
    format!(
        r#"
[run]
{limit}
[[node]]
id = "src"
kind = "receiver"
config.workload = {{ count = 3, rate = "100/s", messages = [{{ name = "Order" }}] }}
[[node]]
id = "relay"
kind = "relay"
[[node]]
id = "sink"
kind = "exporter"
[[connector]]
from = "src.out"
to = "relay.in"
[[connector]]
from = "relay.out"
to = "sink.in"
"#
    )
}

fn registry(tick: bool) -> Registry {
    let mut registry = Registry::builtin();
    registry.register("relay", move |_| Ok(NodeBuild::service(Relay { tick, inbox: None }, &["in"], &["out"])));
    registry
}

/// (virtual ms, name) of every message the sink received.
fn exported(trace: &flowreplay::MemoryRecorder) -> Vec<(u64, String)> {
    let events: Vec<_> = trace.events().collect();
    let mut names = std::collections::BTreeMap::new();
    for e in &events {
        if let EventKind::Send { name, .. } = &e.kind {
            names.insert(e.message, name.to_string());
        }
    }
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Export { .. }))
        .map(|e| (e.at.as_nanos() / 1_000_000, names.get(&e.message).cloned().unwrap_or_default()))
        .collect()
}

#[test]
fn a_service_sends_at_its_own_virtual_times_and_runs_to_the_time_limit() {
    let (summary, trace) = run_text(&scenario(Some("45ms")), &registry(true), 1);
    assert_eq!(summary.stopped_by, StopReason::MaxTime);
    let order = |ms: u64| (ms, "Order".to_string());
    let tick = |ms: u64| (ms, "Tick".to_string());
    assert_eq!(
        exported(&trace),
        [tick(0), order(3), tick(10), order(13), tick(20), order(23), tick(30), tick(40)],
        "orders 3 ms after they arrived (0, 10, 20 ms), ticks every 10 ms from 0"
    );
}

#[test]
fn without_a_time_limit_a_run_ends_when_the_services_have_nothing_left_to_do() {
    let (summary, trace) = run_text(&scenario(None), &registry(false), 1);
    assert_eq!(summary.stopped_by, StopReason::Completed);
    assert_eq!(exported(&trace).len(), 3, "every order was passed on before the run ended");
    assert!(summary.conserved() && summary.drained(), "{summary:?}");
}

#[test]
fn a_run_with_services_is_the_same_every_time() {
    let first = run_text(&scenario(Some("45ms")), &registry(true), 4);
    let second = run_text(&scenario(Some("45ms")), &registry(true), 4);
    let lines = |trace: &flowreplay::MemoryRecorder| trace.events().map(|e| format!("{e:?}")).collect::<Vec<_>>();
    assert_eq!(lines(&first.1), lines(&second.1));
}
