//! The trace: event pairing, the packed memory recorder, metrics, lineage,
//! sampling, redaction and every export format.

use std::collections::BTreeMap;
use std::path::Path;

use flowreplay::trace::export::Format;
use flowreplay::trace::{
    trace_lineage, BodyCapture, MemoryRecorder, MetricsRecorder, Names, Origin, Reach, Recorder, SampledRecorder,
    Sampling, Tee, TraceLine, TraceReader, TraceSettings,
};
use flowreplay::{EventKind, MessageId, Registry, RunConfig, Scenario, Simulation, TraceEvent};
use proptest::prelude::*;

use crate::bench_scenario::bench_scenario;
use crate::{scenario, shipped_scenarios};

/// Keeps each event exactly as the engine hands it over, printed.
#[derive(Default)]
struct Printed(Vec<String>);

impl Recorder for Printed {
    fn record(&mut self, event: &TraceEvent<'_>) {
        self.0.push(format!("{event:?}"));
    }
}

fn simulation(path: &Path, seed: u64) -> Simulation {
    let scenario = Scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
    scenario.simulation(&Registry::builtin(), RunConfig { seed, ..scenario.run }).unwrap_or_else(|e| panic!("{e}"))
}

/// A run's trace, bodies included; `.events()` decodes it.
fn recorded(path: &Path, seed: u64) -> MemoryRecorder {
    let mut trace = MemoryRecorder::with_bodies();
    simulation(path, seed).run(Some(&mut trace)).expect("runs");
    trace
}

#[test]
fn every_hop_has_exactly_one_send_and_then_one_deliver() {
    for path in shipped_scenarios() {
        let trace = recorded(&path, 1);
        let events: Vec<_> = trace.events().collect();
        // Per message: the sends and deliveries alternate, starting with a
        // send; a fault on the edge may lose a send instead.
        let mut open: BTreeMap<MessageId, u32> = BTreeMap::new();
        let (mut sends, mut delivers, mut lost) = (0, 0, 0);
        for event in &events {
            match event.kind {
                EventKind::Send { .. } => {
                    sends += 1;
                    let in_flight = open.entry(event.message).or_default();
                    assert_eq!(*in_flight, 0, "{path:?}: message {} sent again before delivery", event.message);
                    *in_flight = 1;
                }
                EventKind::Deliver { port, .. } if port != flowreplay::InPort::INJECT => {
                    delivers += 1;
                    let in_flight = open.get_mut(&event.message).unwrap_or_else(|| panic!("delivery without send"));
                    assert_eq!(*in_flight, 1, "{path:?}: message {} delivered twice", event.message);
                    *in_flight = 0;
                }
                EventKind::Lose { .. } if open.get(&event.message) == Some(&1) => {
                    lost += 1;
                    open.insert(event.message, 0);
                }
                _ => {}
            }
        }
        assert!(sends > 0, "{path:?} moved nothing");
        assert_eq!(sends, delivers + lost, "{path:?}: every send is delivered (or lost) once the network drains");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn the_packed_memory_recorder_gives_back_every_event_exactly(seed in any::<u64>(), which in any::<usize>()) {
        let scenarios = shipped_scenarios();
        let path = &scenarios[which % scenarios.len()];
        let mut expected = Printed::default();
        let mut packed = MemoryRecorder::with_bodies();
        simulation(path, seed).run(Some(&mut Tee(&mut expected, &mut packed))).expect("runs");
        prop_assert_eq!(packed.len(), expected.0.len());
        let decoded: Vec<String> = packed.events().map(|e| format!("{e:?}")).collect();
        prop_assert_eq!(decoded, expected.0);
    }
}

/// Names and protocols are packed as indices into tables of their own: the
/// same strings seen in the two fields in opposite orders decode back to
/// the field each was in.
#[test]
fn the_memory_recorder_keeps_names_and_protocols_apart() {
    let body = flowreplay::Body::default();
    let send = |seq: u64, name: &str, protocol: &str| TraceEvent {
        seq,
        at: flowreplay::VirtualTime(seq),
        parent: None,
        message: MessageId(seq),
        trace_id: flowreplay::TraceId(seq),
        kind: EventKind::Send {
            from: (flowreplay::NodeId(0), flowreplay::OutPort(0)),
            to: (flowreplay::NodeId(1), flowreplay::InPort(0)),
            name: name.into(),
            size_bytes: 1,
            checksum: body.checksum(),
            body: &body,
            protocol: protocol.into(),
            message_kind: flowreplay::MessageKind::Regular,
            correlation: None,
            queue_depth: 1,
            waited_ns: 0,
        },
    };
    let events = [send(1, "A", "B"), send(2, "B", "A"), send(3, "C", "A"), send(4, "A", "C")];
    let mut packed = MemoryRecorder::new();
    for event in &events {
        packed.record(event);
    }
    let fields = |e: &TraceEvent<'_>| match e.kind {
        EventKind::Send { name, protocol, .. } => (name.to_string(), protocol.to_string()),
        _ => unreachable!("only sends were recorded"),
    };
    let decoded: Vec<_> = packed.events().map(|e| fields(&e)).collect();
    assert_eq!(decoded, events.iter().map(fields).collect::<Vec<_>>());
}

/// The performance goal's memory figure, held where it is measured: the
/// bench pipeline (`benches/pipeline.toml`), 20,000 messages, at most 24
/// bytes per event (BENCHMARKS.md, "2. Tracing in memory").
#[test]
fn the_memory_recorder_holds_at_most_24_bytes_per_event_on_the_bench_pipeline() {
    let scenario = bench_scenario("pipeline.toml", 20_000).unwrap_or_else(|e| panic!("{e}"));
    let sim = scenario.simulation(&Registry::builtin(), RunConfig { seed: 1, ..scenario.run }).expect("builds");
    let mut packed = MemoryRecorder::new();
    sim.run(Some(&mut packed)).expect("runs");
    assert_eq!(packed.len(), 220_010, "11 events per message and 10 lifecycle events");
    let per_event = packed.bytes_held() as f64 / packed.len() as f64;
    assert!(per_event <= 24.0, "{per_event:.1} bytes per event");
}

#[test]
fn the_memory_recorder_holds_under_64_bytes_per_event_and_drops_bodies_unless_asked() {
    let mut packed = MemoryRecorder::new();
    simulation(&scenario("linear-pipeline"), 7).run(Some(&mut packed)).expect("runs");
    let per_event = packed.bytes_held() as f64 / packed.len() as f64;
    assert!(per_event <= 64.0, "{per_event:.1} bytes per event");
    let bodies: Vec<_> = packed
        .events()
        .filter_map(|e| match e.kind {
            EventKind::Send { body, checksum, .. } => Some((body, checksum)),
            _ => None,
        })
        .collect();
    assert!(bodies.iter().all(|(body, checksum)| body.value().is_null() && *checksum != 0));
}

#[test]
fn metrics_agree_with_the_events_and_the_run_summary() {
    for path in shipped_scenarios() {
        let sim = simulation(&path, 5);
        let mut metrics = MetricsRecorder::new(sim.topology());
        let mut trace = MemoryRecorder::new();
        let summary = sim.run(Some(&mut Tee(&mut metrics, &mut trace))).expect("runs");
        let metrics = metrics.finish();
        let count = |label: &str| trace.events().filter(|e| e.kind.label() == label).count() as u64;
        assert_eq!(metrics.lines, trace.len() as u64);
        assert_eq!(metrics.edges.values().map(|e| e.messages).sum::<u64>(), count("send"), "{path:?}");
        assert_eq!(metrics.groups.values().map(|g| g.inbound).sum::<u64>(), count("deliver"), "{path:?}");
        assert_eq!(metrics.nacks.total, count("nack"));
        assert_eq!(metrics.drops.total, count("drop"));
        assert_eq!(metrics.acks, count("ack"));
        for edge in &summary.edges {
            let counted = metrics.edges.get(&format!("{} -> {}", edge.from, edge.to));
            let counted = counted.map_or((0, 0), |c| (c.messages, c.bytes));
            assert_eq!(counted, (edge.messages, edge.bytes), "{path:?}");
        }
        for node in &summary.nodes {
            assert_eq!(metrics.max_queue.get(&node.node).copied().unwrap_or(0) as u64 >= 1, node.delivered > 0);
        }
        assert_eq!(metrics.send_to_deliver_ns.max > 0, count("send") > 0);
    }
}

#[test]
fn injected_faults_are_traced_where_they_hit() {
    let trace = recorded(&scenario("nack"), 3);
    let events: Vec<_> = trace.events().collect();
    let faults: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Fault { reason, .. } => Some(reason.to_string()),
            _ => None,
        })
        .collect();
    assert!(faults.iter().any(|r| r == "outage"), "{faults:?}");
    let rejects = events.iter().filter(|e| matches!(e.kind, EventKind::Reject { .. })).count();
    assert_eq!(faults.len(), rejects, "each outage or scheduled failure is one fault, then one refusal");
}

#[test]
fn the_lineage_of_a_message_in_a_shipped_scenario_is_its_exact_path() {
    let sim = simulation(&scenario("linear-pipeline"), 7);
    let names = Names::new(sim.topology());
    let mut trace = MemoryRecorder::new();
    sim.run(Some(&mut trace)).expect("runs");
    let events: Vec<_> = trace.events().collect();
    let lines: Vec<TraceLine<'_>> = events.iter().map(|e| TraceLine::of(e, &names, &BodyCapture::default())).collect();
    let lineage = trace_lineage(&lines, Origin::Message(3, Reach::Both)).unwrap();
    assert_eq!(lineage.messages.len(), 1, "a forwarded message keeps its id: one message, no children");
    let steps: Vec<(&str, &str)> =
        lineage.messages[0].steps.iter().map(|s| (s.event.as_str(), s.place.as_str())).collect();
    assert_eq!(
        steps,
        [
            ("inject", "ingest"),
            ("send", "ingest.out -> drop-debug.in"),
            ("deliver", "drop-debug.in"),
            ("send", "drop-debug.out -> keep-known.in"),
            ("deliver", "keep-known.in"),
            ("send", "keep-known.out -> route.in"),
            ("deliver", "route.in"),
            ("send", "route.out -> store.in"),
            ("deliver", "store.in"),
            ("export", "store"),
            ("ack", "ingest"),
        ]
    );
    let times: Vec<u64> = lineage.messages[0].steps.iter().map(|s| s.t_ns).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "virtual times only grow along the path: {times:?}");
    assert!(trace_lineage(&lines, Origin::Message(999_999, Reach::Both)).unwrap_err().contains("no message"));
}

#[test]
fn the_lineage_of_a_derived_message_starts_at_its_parent() {
    let dump = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dumps/trading.dump");
    let records = flowreplay::dump::sort_records(flowreplay::dump::read_all(&dump).unwrap());
    let lineage = flowreplay::trace::dump_lineage(&records, 1_152_921_504_606_847_976, true).unwrap();
    let tree: Vec<(usize, &str)> = lineage.messages.iter().map(|m| (m.depth, m.name.as_str())).collect();
    assert_eq!(tree[0], (0, "NewOrder"), "{tree:?}");
    assert!(tree.contains(&(1, "PlaceOrder")) && tree.contains(&(2, "PlaceOrder::Response")), "{tree:?}");
}

/// A receiver of `count` `Tick`s at `rate` wired to an exporter, as
/// scenario text (its `[[node]]` starts on line 2).
fn source_to_sink(count: u64, rate: &str) -> String {
    format!(
        r#"
[[node]]
id = "src"
kind = "receiver"
config.workload = {{ count = {count}, rate = "{rate}", messages = [{{ name = "Tick" }}] }}
[[node]]
id = "sink"
kind = "exporter"
[[connector]]
from = "src.out"
to = "sink.in"
"#
    )
}

fn kept_messages(seed: u64, rate: f64, messages: u64) -> (Vec<u64>, u64) {
    let text = source_to_sink(messages, "1/us");
    let scenario = Scenario::parse(&text, "sample.toml").unwrap();
    let sim =
        Simulation::new(scenario.network(&Registry::builtin()).unwrap(), RunConfig { seed, ..RunConfig::default() });
    let sampling = Sampling { rate, ..Sampling::default() };
    let mut sampled = SampledRecorder::new(MemoryRecorder::new(), sampling, seed, sim.topology());
    sim.run(Some(&mut sampled)).expect("runs");
    let sampled_out = sampled.report().sampled_out;
    let mut kept: Vec<u64> = sampled
        .into_inner()
        .events()
        .filter(|e| matches!(e.kind, EventKind::Inject { .. }))
        .map(|e| e.message.0)
        .collect();
    kept.dedup();
    (kept, sampled_out)
}

#[test]
fn sampling_keeps_the_same_messages_for_the_same_seed_at_the_rate_asked() {
    let messages = 100_000;
    let (first, sampled_out) = kept_messages(42, 0.1, messages);
    let (again, _) = kept_messages(42, 0.1, messages);
    assert_eq!(first, again, "same seed, same messages");
    let share = first.len() as f64 / messages as f64;
    assert!((0.095..=0.105).contains(&share), "kept {share:.4} of messages at rate 0.1");
    assert!(sampled_out > 0);
    let (other, _) = kept_messages(43, 0.1, messages);
    assert_ne!(first, other, "another seed samples other messages");
}

#[test]
fn sampling_lists_override_the_rate_and_metrics_still_count_everything() {
    let path = scenario("linear-pipeline");
    let sim = simulation(&path, 7);
    let sampling = Sampling {
        rate: 0.0,
        always_messages: ["Logs".to_string()].into(),
        never_actors: ["store".to_string()].into(),
        ..Sampling::default()
    };
    let mut metrics = MetricsRecorder::new(sim.topology());
    let mut sampled = SampledRecorder::new(MemoryRecorder::new(), sampling, 7, sim.topology());
    let summary = sim.run(Some(&mut Tee(&mut metrics, &mut sampled))).expect("runs");
    let metrics = metrics.finish();
    assert_eq!(
        metrics.edges.values().map(|e| e.messages).sum::<u64>(),
        summary.edges.iter().map(|e| e.messages).sum::<u64>()
    );
    let trace = sampled.into_inner();
    let kept: Vec<_> = trace.events().collect();
    let names: Vec<&str> = kept
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Send { name, .. } | EventKind::Inject { name, .. } => Some(&name[..]),
            _ => None,
        })
        .collect();
    assert!(!names.is_empty() && names.iter().all(|n| *n == "Logs"), "only the always-kept name: {names:?}");
    let topology = simulation(&path, 7);
    let store = topology.topology().nodes.iter().position(|n| &*n.name == "store").unwrap() as u32;
    assert!(kept.iter().all(|e| !matches!(e.kind, EventKind::Export { node } if node.0 == store)));
}

/// Ten `Tick`s from `src` to `sink`, sampled by `sampling`: the kept trace
/// and the sink's node index.
fn sampled_source_to_sink(sampling: Sampling) -> (MemoryRecorder, u32) {
    let scenario = Scenario::parse(&source_to_sink(10, "1/us"), "sample.toml").unwrap();
    let sim = Simulation::new(scenario.network(&Registry::builtin()).unwrap(), RunConfig::default());
    let sink = sim.topology().nodes.iter().position(|n| &*n.name == "sink").unwrap() as u32;
    let mut sampled = SampledRecorder::new(MemoryRecorder::new(), sampling, 1, sim.topology());
    sim.run(Some(&mut sampled)).expect("runs");
    (sampled.into_inner(), sink)
}

#[test]
fn a_never_list_wins_over_an_always_list_of_the_other_kind() {
    // The sends to the sink, its deliveries and exports are under both lists.
    let (trace, _) = sampled_source_to_sink(Sampling {
        always_actors: ["sink".to_string()].into(),
        never_messages: ["Tick".to_string()].into(),
        ..Sampling::default()
    });
    let ticks: Vec<_> = trace.events().filter(|e| e.message != MessageId(0)).collect();
    assert!(ticks.is_empty(), "never_messages wins over always_actors: {ticks:?}");

    let (trace, sink) = sampled_source_to_sink(Sampling {
        rate: 0.0,
        always_messages: ["Tick".to_string()].into(),
        never_actors: ["sink".to_string()].into(),
        ..Sampling::default()
    });
    let events: Vec<_> = trace.events().collect();
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::Inject { .. })), "Ticks are kept at the source");
    let at_sink: Vec<_> = events
        .iter()
        .filter(|e| e.kind.node().0 == sink || matches!(e.kind, EventKind::Send { to, .. } if to.0 .0 == sink))
        .collect();
    assert!(at_sink.is_empty(), "never_actors wins over always_messages: {at_sink:?}");
}

/// Writes `path` with every format and returns the files' contents.
fn export_all(path: &Path, capture: &BodyCapture, dir: &Path) -> Vec<(Format, String)> {
    Format::ALL
        .into_iter()
        .map(|format| {
            let out = dir.join(format!("trace.{format}"));
            let sim = simulation(path, 7);
            let settings = TraceSettings { format, capture: capture.clone(), sampling: None };
            let mut file = settings.create(&out, sim.topology(), 7).unwrap();
            sim.run(Some(&mut file)).expect("runs");
            file.finish().unwrap();
            (format, std::fs::read_to_string(&out).unwrap())
        })
        .collect()
}

#[test]
fn redacted_fields_appear_in_no_export() {
    let dir = tempfile::tempdir().unwrap();
    let capture = BodyCapture::redacting(&["/host", "/line"]).unwrap();
    for (format, text) in export_all(&scenario("linear-pipeline"), &capture, dir.path()) {
        assert!(!text.contains("web-") && !text.contains("served"), "{format} leaks a redacted value");
        if matches!(format, Format::Ndjson | Format::Elfo | Format::Chrome) {
            assert!(text.contains("<hidden>") && text.contains("\"cpu\""), "{format} carries the other fields");
        }
    }
    let plain = export_all(&scenario("linear-pipeline"), &BodyCapture::default(), dir.path());
    assert!(plain.iter().all(|(_, text)| !text.contains("web-")), "bodies are off by default");
}

#[test]
fn the_chrome_export_has_what_perfetto_needs_with_one_track_per_node() {
    let dir = tempfile::tempdir().unwrap();
    let exports = export_all(&scenario("fanout"), &BodyCapture::default(), dir.path());
    let chrome = &exports.iter().find(|(f, _)| *f == Format::Chrome).unwrap().1;
    let value: serde_json::Value = serde_json::from_str(chrome).expect("valid JSON");
    let events = value["traceEvents"].as_array().expect("a traceEvents array");
    for event in events {
        for field in ["name", "ph", "pid", "tid"] {
            assert!(event.get(field).is_some(), "{field} missing in {event}");
        }
        if event["ph"] != "M" {
            assert!(event["ts"].is_number(), "{event}");
        }
    }
    let tracks: Vec<&str> =
        events.iter().filter(|e| e["name"] == "thread_name").filter_map(|e| e["args"]["name"].as_str()).collect();
    assert_eq!(tracks, ["otlp", "prom", "router", "metrics-store", "logs-store"]);
}

#[test]
fn the_ndjson_trace_reads_back_line_for_line_and_graphs_count_every_send() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario("fanout");
    let exports = export_all(&path, &BodyCapture::default(), dir.path());
    let sim = simulation(&path, 7);
    let names = Names::new(sim.topology());
    let trace = recorded(&path, 7);
    let events: Vec<_> = trace.events().collect();
    let read: Vec<TraceLine<'static>> =
        TraceReader::open(&dir.path().join("trace.ndjson")).unwrap().collect::<Result<_, _>>().unwrap();
    let expected: Vec<TraceLine<'_>> =
        events.iter().map(|e| TraceLine::of(e, &names, &BodyCapture::default())).collect();
    assert_eq!(read, expected);
    let sends = events.iter().filter(|e| matches!(e.kind, EventKind::Send { .. })).count();
    let dot = &exports.iter().find(|(f, _)| *f == Format::Dot).unwrap().1;
    let counted: usize = dot
        .lines()
        .filter(|l| l.contains("->") && !l.contains("(external)"))
        .flat_map(|l| l.split('×').skip(1).map(|n| n.trim_start().split(|c: char| !c.is_ascii_digit()).next().unwrap()))
        .map(|n| n.parse::<usize>().unwrap())
        .sum();
    assert_eq!(counted, sends, "{dot}");
    let elfo = dir.path().join("trace.elfo");
    let records = flowreplay::dump::read_all(&elfo).expect("the elfo export is a valid dump");
    assert_eq!(records.iter().filter(|r| r.direction == flowreplay::dump::Direction::Out).count(), sends);
}

#[test]
fn a_bad_trace_line_is_an_error_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ndjson");
    std::fs::write(&path, "{\"seq\":0,\"t_ns\":0,\"event\":\"inject\",\"msg\":1,\"trace\":1,\"parent\":null}\n\n{\"seq\":1,\"t_ns\":\"soon\"}\n").unwrap();
    let results: Vec<_> = TraceReader::open(&path).unwrap().collect();
    assert!(results[0].is_ok());
    let error = results[1].as_ref().unwrap_err().to_string();
    assert!(error.contains("bad.ndjson:3:") && error.contains("expected"), "{error}");
    assert_eq!(results.len(), 2, "reading stops at the first bad line");
}

#[test]
fn a_scenario_trace_section_sets_format_capture_and_sampling_and_bad_values_name_their_line() {
    let network = source_to_sink(1, "1/s");
    let text = format!(
        "{network}[trace]\nformat = \"chrome\"\nbodies = true\nredact = [\"/host\"]\n[trace.sample]\nrate = 0.25\nnever_actors = [\"sink\"]\n"
    );
    let trace = Scenario::parse(&text, "traced.toml").unwrap().trace;
    assert_eq!(trace.format, Format::Chrome);
    assert!(trace.capture.enabled);
    assert_eq!(trace.capture.redact[0].as_str(), "/host");
    let sampling = trace.sampling.unwrap();
    assert_eq!((sampling.rate, sampling.never_actors.len()), (0.25, 1));
    for (section, expected) in [
        ("[trace]\nformat = \"svg\"\n", "traced.toml:13:10: unknown trace format"),
        ("[trace]\nredact = [\"host\"]\n", "traced.toml:13:11: redact path \"host\""),
        ("[trace.sample]\nrate = 2.0\n", "traced.toml:12:1: sample rate 2 is not between 0 and 1"),
        ("[trace]\nsample_rate = 1\n", "traced.toml:13:1: unknown field `sample_rate`"),
    ] {
        let error = Scenario::parse(&format!("{network}{section}"), "traced.toml").unwrap_err().to_string();
        assert!(error.starts_with(expected), "{error}");
    }
}

/// The sensor pipeline's selective tracing: its trace keeps every alert
/// whole, never a debug message, and a share of the rest; and an alert's
/// lineage runs from the reader to the dashboard through its own port.
#[test]
fn the_sensor_pipeline_trace_keeps_every_alert_and_no_debug_message() {
    let path = scenario("sensor-pipeline");
    let full = recorded(&path, 31);
    let alerts: Vec<u64> = full
        .events()
        .filter(|e| matches!(&e.kind, EventKind::Inject { name, .. } if *name == "Alert"))
        .map(|e| e.message.0)
        .collect();
    assert!(!alerts.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sensor.ndjson");
    let run = crate::flowreplay(&["run", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&out).unwrap().lines().skip(1).map(|l| serde_json::from_str(l).unwrap()).collect();
    let kept = |id: u64| lines.iter().filter(|l| l["msg"] == id).count();
    for &alert in &alerts {
        assert_eq!(kept(alert), full.events().filter(|e| e.message.0 == alert).count(), "alert {alert} kept whole");
    }
    assert!(lines.iter().all(|l| l["name"] != "Debug"), "no debug message is traced");
    let traced: std::collections::BTreeSet<u64> = lines.iter().filter_map(|l| l["msg"].as_u64()).collect();
    let injected = full.events().filter(|e| matches!(e.kind, EventKind::Inject { .. })).count();
    assert!(
        traced.len() > alerts.len() && traced.len() < injected,
        "a share of the rest: {} of {injected}",
        traced.len()
    );
    let lineage = crate::flowreplay(&["lineage", "--message", &alerts[0].to_string(), out.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&lineage.stdout);
    assert!(text.contains("inject    reader") && text.contains("analytics.alerts -> dashboard.in"), "{text}");
    assert!(text.contains("export    dashboard"), "{text}");
}
