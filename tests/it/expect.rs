//! `[expect]`: each check passes on a run that keeps it and fails, naming
//! the expectation (and the message and time where there is one), on a run
//! that breaks it.

use flowreplay::expect::{Observer, Violation};
use flowreplay::{Actor, Context, InPort, Message, NodeBuild, Registry, Scenario};

/// Receiver (`count` at 1000/s) → `middle` kind with `config` → exporter
/// with `sink`, 1 ms per edge; then `extra` (faults, `[expect]`, `[run]`).
fn scenario(count: u64, middle: &str, config: &str, sink: &str, extra: &str) -> String {
    format!(
        "[[node]]\nid = \"src\"\nkind = \"receiver\"\nconfig.workload = {{ count = {count}, rate = \"1000/s\", \
         messages = [{{ name = \"M\" }}] }}\n\
         [[node]]\nid = \"mid\"\nkind = \"{middle}\"\nconfig = {config}\n\
         [[node]]\nid = \"sink\"\nkind = \"exporter\"\nconfig = {sink}\n\
         [[connector]]\nfrom = \"src.out\"\nto = \"mid.in\"\nlatency = \"1ms\"\n\
         [[connector]]\nfrom = \"mid.out\"\nto = \"sink.in\"\nlatency = \"1ms\"\n{extra}"
    )
}

/// A pass-through whose bug is to export a copy of every message and send
/// it on too: the message ends twice and its sender hears two ACKs.
struct Doubler;

impl Actor for Doubler {
    fn on_message(&mut self, ctx: &mut Context<'_>, _: InPort, msg: Message) {
        ctx.export(msg.clone());
        ctx.send("out", msg);
    }
}

fn violations(text: &str) -> Vec<Violation> {
    let mut registry = Registry::builtin();
    registry.register("doubler", |_| Ok(NodeBuild::processor(Doubler, &["in"], &["out"])));
    let scenario = Scenario::parse(text, "expect.toml").unwrap_or_else(|e| panic!("{e}"));
    let mut observer = Observer::new(&scenario.expect);
    let summary = scenario.simulation(&registry, scenario.run).unwrap().run(Some(&mut observer)).unwrap();
    scenario.expect.check(&summary, &observer)
}

fn named(found: &[Violation]) -> Vec<String> {
    found.iter().map(|v| v.expectation.clone()).collect()
}

const PASS: &str = "{ set = { \"/x\" = 1 } }";

#[test]
fn conservation_passes_on_a_sound_run_and_fails_when_a_message_ends_twice() {
    assert!(violations(&scenario(3, "map", PASS, "{}", "")).is_empty());
    let found = violations(&scenario(3, "doubler", "{}", "{}", ""));
    assert_eq!(found[0].expectation, "conserved");
    assert!(found[0].detail.contains("ended twice"), "{}", found[0]);
}

#[test]
fn drained_fails_when_a_run_is_cut_short_naming_a_message_in_flight() {
    let found = violations(&scenario(10, "map", PASS, "{}", "[run]\nmax_time = \"4500us\"\n"));
    assert_eq!(named(&found), ["drained"]);
    let text = found[0].to_string();
    assert!(text.starts_with("expect.drained: message ") && text.contains("in flight at the end"), "{text}");
    assert!(violations(&scenario(10, "map", PASS, "{}", "[run]\nmax_time = \"1s\"\n")).is_empty());
}

#[test]
fn answered_once_fails_for_a_message_lost_on_an_edge_and_for_one_answered_twice() {
    let expect = "[expect]\nanswered_once = true\n";
    assert!(violations(&scenario(5, "map", PASS, "{}", expect)).is_empty());
    let drop = "[[fault]]\nkind = \"drop\"\nedge = \"mid.out -> sink.in\"\nfrom = \"2ms\"\nuntil = \"3ms\"\n";
    let found = violations(&scenario(5, "map", PASS, "{}", &format!("{drop}{expect}")));
    assert_eq!(named(&found), ["answered_once"]);
    assert_eq!((found[0].message, found[0].at_ns), (Some(2), Some(1_000_000)), "message 2, injected at 1 ms");
    assert!(found[0].detail.contains("never got an ACK or NACK"));
    let found = violations(&scenario(1, "doubler", "{}", "{}", &format!("{expect}conserved = false\n")));
    assert_eq!(named(&found), ["answered_once"]);
    assert!(found[0].detail.contains("got 2 answers"), "{}", found[0]);
}

#[test]
fn no_export_after_deadline_fails_when_an_exporter_holds_a_message_past_it() {
    let expect = "[expect]\nno_export_after_deadline = true\n";
    let on_time = scenario(2, "deadline", "{ within = \"5ms\" }", "{ processing = \"1ms\" }", expect);
    assert!(violations(&on_time).is_empty());
    let late = scenario(2, "deadline", "{ within = \"5ms\" }", "{ processing = \"8ms\" }", expect);
    let found = violations(&late);
    assert_eq!(named(&found), ["no_export_after_deadline"]);
    assert_eq!(found[0].message, Some(1));
    assert!(found[0].to_string().contains("exported after its deadline 0.006000000s"), "{}", found[0]);
}

#[test]
fn terminal_bounds_fail_below_the_minimum_and_above_the_maximum() {
    let sink = "{ fail_every = 2 }";
    let keep = "[expect]\nterminal = { exported = { min = 5 }, nacked = { max = 5 } }\n";
    assert!(violations(&scenario(10, "map", PASS, sink, keep)).is_empty());
    let strict = "[expect]\nterminal = { exported = { min = 6 }, nacked = { max = 4 } }\n";
    let found = violations(&scenario(10, "map", PASS, sink, strict));
    assert_eq!(named(&found), ["terminal.exported", "terminal.nacked"]);
    assert!(found[0].detail.contains("5 is below the minimum 6"), "{}", found[0]);
    assert!(found[1].detail.contains("5 is above the maximum 4"), "{}", found[1]);
}

#[test]
fn edge_bounds_count_the_messages_on_an_edge() {
    let ok = "[expect]\nedges = { \"mid.out -> sink.in\" = { min = 4, max = 4 } }\n";
    assert!(violations(&scenario(4, "map", PASS, "{}", ok)).is_empty());
    let found = violations(&scenario(4, "map", PASS, "{}", &ok.replace("min = 4, max = 4", "max = 3")));
    assert_eq!(named(&found), ["edges.mid.out -> sink.in"]);
}

#[test]
fn latency_bounds_fail_naming_the_slowest_message_at_the_rank() {
    let within = "[expect]\nlatency = { p99 = \"3ms\", max = \"3ms\" }\n";
    assert!(violations(&scenario(5, "delay", "{ for = \"1ms\" }", "{}", within)).is_empty());
    let found = violations(&scenario(5, "delay", "{ for = \"5ms\" }", "{}", within));
    assert_eq!(named(&found), ["latency.p99", "latency.max"]);
    assert!(found[0].detail.contains("is 7ms (bound 3ms)"), "{}", found[0]);
    assert!(found[0].message.is_some() && found[0].at_ns.is_some());
}

fn parse_error(text: &str) -> String {
    Scenario::parse(text, "expect.toml").expect_err("refused").to_string()
}

#[test]
fn an_unknown_expect_key_state_or_edge_is_refused_with_its_position() {
    let e = parse_error(&scenario(1, "map", PASS, "{}", "[expect]\nconserve = true\n"));
    assert!(e.starts_with("expect.toml:22:1:") && e.contains("unknown field `conserve`"), "{e}");
    let e = parse_error(&scenario(1, "map", PASS, "{}", "[expect]\nterminal = { exportd = { min = 1 } }\n"));
    assert!(e.starts_with("expect.toml:22:14:") && e.contains("unknown terminal state \"exportd\""), "{e}");
    let e =
        parse_error(&scenario(1, "map", PASS, "{}", "[expect]\nedges = { \"src.out -> sink.in\" = { min = 1 } }\n"));
    assert!(
        e.starts_with("expect.toml:22:11:") && e.contains("unknown edge") && e.contains("mid.out -> sink.in"),
        "{e}"
    );
}

#[test]
fn run_exits_1_listing_each_broken_expectation_with_a_reproduce_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.toml");
    let text = scenario(3, "map", PASS, "{}", "[expect]\nterminal = { exported = { max = 2 } }\n");
    std::fs::write(&path, text).unwrap();
    let out = crate::flowreplay(&["run", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("expect.terminal.exported: exported: 3 is above the maximum 2"), "{stderr}");
    assert!(stderr.contains("reproduce: flowreplay run"), "{stderr}");
}
