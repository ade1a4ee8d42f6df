//! The packed recorder's own tests: exact decoding of any event, and
//! which events take the word form.

use proptest::prelude::*;

use super::*;
use crate::model::{InPort, MessageId, NodeId, OutPort, TraceId, VirtualTime};
use crate::net::TimerId;
use crate::trace::event::Phase;

/// A number that often fits even the narrowest word field (a port's 4
/// bits), often only wider ones, and sometimes fills 64 bits.
fn number() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..16, 2 => 0u64..300, 1 => any::<u64>()]
}

/// A difference either way: often within the trace field's 4 bits
/// zigzagged, often within the message field's 10, sometimes anything.
fn difference() -> impl Strategy<Value = u64> {
    let within = |limit: i64| (-limit..limit).prop_map(|d| d as u64);
    prop_oneof![3 => within(9), 2 => within(600), 1 => any::<u64>()]
}

/// How far back a parent is: usually near, sometimes one past the event
/// itself (`u64::MAX`, which no run makes but the recorder must keep
/// apart from no parent), or anything.
fn parent_back() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 0u64..200, 1 => Just(u64::MAX), 1 => difference()]
}

/// A step between events: usually the word form's (sequence numbers
/// one apart, no time or a little), sometimes anything.
fn step(usual: u64) -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(usual), 2 => 0u64..5_000_000, 1 => any::<u64>()]
}

/// One event's numbers, owned; its kind is `fields[0] % 16`.
#[derive(Debug, Clone)]
struct Spec {
    seq_step: u64,
    at_step: u64,
    parent_back: Option<u64>,
    message_step: u64,
    trace_offset: u64,
    fields: [u64; 10],
    flags: [bool; 2],
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        step(1),
        step(0),
        proptest::option::of(parent_back()),
        difference(),
        difference(),
        proptest::array::uniform10(number()),
        any::<[bool; 2]>(),
    )
        .prop_map(|(seq_step, at_step, parent_back, message_step, trace_offset, fields, flags)| Spec {
            seq_step,
            at_step,
            parent_back,
            message_step,
            trace_offset,
            fields,
            flags,
        })
}

/// The events the specs stand for, built one after the other.
fn events<'a>(specs: &[Spec], body: &'a Body, reasons: &'a [Arc<str>]) -> Vec<TraceEvent<'a>> {
    let names = ["Quote", "Order", "Quote::Response", "x"];
    let (mut seq, mut at, mut message) = (0u64, 0u64, 0u64);
    specs
        .iter()
        .map(|spec| {
            seq = seq.wrapping_add(spec.seq_step);
            at = at.wrapping_add(spec.at_step);
            message = message.wrapping_add(spec.message_step);
            let f = spec.fields;
            let node = |i: usize| NodeId(f[i] as u32);
            let name = |i: usize| Name::from(names[f[i] as usize % names.len()]);
            let reason = |i: usize| &reasons[f[i] as usize % reasons.len()];
            let kind = match f[0] % 16 {
                INJECT => EventKind::Inject {
                    node: node(1),
                    name: name(2),
                    size_bytes: f[3] as u32,
                    checksum: f[4],
                    body,
                    waited_ns: if spec.flags[0] { f[5] } else { 0 },
                },
                SEND => EventKind::Send {
                    from: (node(1), OutPort(f[2] as u16)),
                    to: (node(3), InPort(f[4] as u16)),
                    name: name(5),
                    size_bytes: f[6] as u32,
                    checksum: f[7],
                    body,
                    protocol: name(8),
                    message_kind: message_kind_of(f[9] % 3),
                    correlation: spec.flags[0].then_some(f[9]),
                    queue_depth: f[8] as u32,
                    waited_ns: if spec.flags[1] { f[2] } else { 0 },
                },
                BLOCKED => EventKind::Blocked { from: (node(1), OutPort(f[2] as u16)), to: (node(3), InPort(4)) },
                DELIVER => EventKind::Deliver { node: node(1), port: InPort(f[2] as u16) },
                ACK => EventKind::Ack { node: node(1), origin: node(2) },
                NACK => EventKind::Nack { node: node(1), origin: node(2), reason: reason(3), permanent: spec.flags[0] },
                TIMER => EventKind::Timer { node: node(1), timer: TimerId(f[2]) },
                EXPORT => EventKind::Export { node: node(1) },
                DROP => EventKind::Drop { node: node(1), reason: reason(2) },
                REJECT => EventKind::Reject { node: node(1), reason: reason(2), permanent: spec.flags[1] },
                CONSUME => EventKind::Consume { node: node(1) },
                FAULT => EventKind::Fault { node: node(1), reason: reason(2) },
                LIFECYCLE => EventKind::Lifecycle {
                    node: node(1),
                    phase: [Phase::Start, Phase::Stop, Phase::Crash, Phase::Restart][f[2] as usize % 4],
                },
                DISCARD => EventKind::Discard { node: node(1), reason: reason(2) },
                LOSE => EventKind::Lose { node: node(1), reason: reason(2) },
                _ => EventKind::Batch { node: node(1) },
            };
            TraceEvent {
                seq,
                at: VirtualTime(at),
                parent: spec.parent_back.map(|back| seq.wrapping_sub(back)),
                message: MessageId(message),
                trace_id: TraceId(message.wrapping_add(spec.trace_offset)),
                kind,
            }
        })
        .collect()
}

proptest! {
    /// Whatever the numbers (fitting the word form's fields or not, in
    /// any mix), every event decodes back exactly, bodies kept or not.
    #[test]
    fn every_event_decodes_back_exactly(specs in proptest::collection::vec(spec(), 0..60), keep in any::<bool>()) {
        let body = Body::parse(r#"{"px":101.5}"#).expect("json");
        let reasons: Vec<Arc<str>> = vec!["full".into(), "refused".into()];
        let events = events(&specs, &body, &reasons);
        let mut recorder = if keep { MemoryRecorder::with_bodies() } else { MemoryRecorder::new() };
        events.iter().for_each(|event| recorder.record(event));
        let decoded: Vec<TraceEvent<'_>> = recorder.events().collect();
        let null = Body::default();
        let expected: Vec<TraceEvent<'_>> = events
            .iter()
            .map(|event| {
                let mut event = *event;
                match &mut event.kind {
                    EventKind::Inject { body, .. } | EventKind::Send { body, .. } if !keep => *body = &null,
                    _ => {}
                }
                event
            })
            .collect();
        prop_assert_eq!(recorder.len(), events.len());
        prop_assert_eq!(decoded, expected);
    }
}

/// A send of `name` with `protocol`, event `seq` of a run.
fn send<'a>(seq: u64, name: Name, protocol: Name, body: &'a Body) -> TraceEvent<'a> {
    TraceEvent {
        seq,
        at: VirtualTime(0),
        parent: None,
        message: MessageId(1),
        trace_id: TraceId(1),
        kind: EventKind::Send {
            from: (NodeId(0), OutPort(0)),
            to: (NodeId(1), InPort(0)),
            name,
            size_bytes: 1,
            checksum: body.checksum(),
            body,
            protocol,
            message_kind: MessageKind::Regular,
            correlation: None,
            queue_depth: 1,
            waited_ns: 0,
        },
    }
}

/// The names `prefix0`, `prefix1`, … up to `count`.
fn names(prefix: &str, count: usize) -> Vec<Name> {
    (0..count).map(|i| Name::from(format!("{prefix}{i}").as_str())).collect()
}

/// Records `events` and checks that they decode back, and how many spilled.
fn spilled_of(events: &[TraceEvent<'_>]) -> usize {
    let mut recorder = MemoryRecorder::new();
    events.iter().for_each(|event| recorder.record(event));
    assert_eq!(recorder.events().collect::<Vec<_>>(), events);
    recorder.words.iter().filter(|&&word| word == word::SPILLED).count()
}

/// More message names than a send's or an injection's word has room
/// for (4,096): the later ones spill, and every one decodes back.
#[test]
fn names_past_the_word_fields_spill_and_come_back() {
    let body = Body::default();
    let (names, protocol) = (names("M", 5000), Name::from("p"));
    let sends: Vec<_> = names.iter().enumerate().map(|(i, &name)| send(i as u64, name, protocol, &body)).collect();
    assert_eq!(spilled_of(&sends), 5000 - 4096, "sends");
    let injects: Vec<_> = sends
        .iter()
        .map(|event| match event.kind {
            EventKind::Send { name, size_bytes, checksum, body, .. } => TraceEvent {
                kind: EventKind::Inject { node: NodeId(0), name, size_bytes, checksum, body, waited_ns: 0 },
                ..*event
            },
            _ => unreachable!("only sends were made"),
        })
        .collect();
    assert_eq!(spilled_of(&injects), 5000 - 4096, "injections");
}

/// More protocols than a send's word has room for (256).
#[test]
fn protocols_past_the_word_field_spill_and_come_back() {
    let body = Body::default();
    let name = Name::from("M");
    let sends: Vec<_> =
        names("p", 300).into_iter().enumerate().map(|(i, protocol)| send(i as u64, name, protocol, &body)).collect();
    assert_eq!(spilled_of(&sends), 300 - 256);
}

/// The events a run is made of take the word form: one word for a
/// delivery, an ack or an export, three for a send or an injection,
/// nothing spilled, the first event included.
#[test]
fn the_common_events_take_the_word_form() {
    let body = Body::default();
    let (name, protocol) = (Name::from("Metrics"), Name::from("app"));
    let kinds = [
        EventKind::Inject { node: NodeId(0), name, size_bytes: 256, checksum: 7, body: &body, waited_ns: 0 },
        EventKind::Deliver { node: NodeId(3), port: InPort(1) },
        EventKind::Ack { node: NodeId(0), origin: NodeId(3) },
        EventKind::Export { node: NodeId(4) },
        send(0, name, protocol, &body).kind,
    ];
    let mut recorder = MemoryRecorder::new();
    for (seq, kind) in (0..100).zip(kinds.iter().cycle()) {
        let event = TraceEvent {
            seq,
            at: VirtualTime(seq * 2000),
            parent: seq.checked_sub(1),
            message: MessageId(seq / 2),
            trace_id: TraceId(seq / 2),
            kind: *kind,
        };
        recorder.record(&event);
    }
    assert_eq!((recorder.words.len(), recorder.spilled.len()), (20 * (3 + 1 + 1 + 1 + 3), 0));
}
