//! A full mailbox makes its senders wait; nothing is dropped.

use flowreplay::EventKind;

use crate::{run_file, scenario};

#[test]
fn a_slow_exporter_with_a_mailbox_of_4_makes_its_sender_wait_and_drops_nothing() {
    let (summary, trace) = run_file(&scenario("backpressure"), 5);

    let events: Vec<_> = trace.events().collect();
    assert_eq!(summary.terminal["exported"], 30, "{summary:?}");
    assert_eq!(summary.terminal["dropped"], 0);
    let sink = summary.nodes.iter().find(|n| n.node == "slow-sink").unwrap();
    assert_eq!(sink.max_queue, 4, "the mailbox filled to its bound and no further");
    let relay = summary.nodes.iter().find(|n| n.node == "relay").unwrap();
    assert!(relay.blocked_ns > 0, "the relay waited for room");
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::Blocked { .. })));
    assert!(events.iter().all(|e| match e.kind {
        EventKind::Send { queue_depth, .. } => queue_depth <= 4,
        _ => true,
    }));
    // 30 messages at 2 ms each cannot finish before 60 ms, though they were
    // all offered within 30 ms: the receiver was slowed.
    assert!(summary.end_time_ns >= 60_000_000);
    let late = events.iter().filter(|e| matches!(e.kind, EventKind::Inject { waited_ns, .. } if waited_ns > 0)).count();
    assert!(late > 0, "injections waited behind backpressure");
}
