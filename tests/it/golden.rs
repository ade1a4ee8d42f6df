//! The golden test: every scenario's run and every dump's replay against
//! `golden/<name>.snap`, through insta. With `CI=true` nothing is written and
//! a changed or missing golden fails; locally a change leaves a pending
//! `.snap.new` for `cargo insta review` (or `flowreplay bless`).

use std::path::{Path, PathBuf};

use flowreplay::golden::golden_name;
use flowreplay::suite::Suite;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden")
}

/// The project's own suite: the shipped scenarios and dumps, built-in kinds.
fn suite() -> Suite {
    Suite::builtin().root(env!("CARGO_MANIFEST_DIR"))
}

fn scenario_golden(path: &Path, seed: Option<u64>) -> Result<String, flowreplay::suite::SuiteError> {
    suite().golden_text(path, seed)
}

/// insta reads the goldens flowreplay writes: `cargo insta review` and
/// `flowreplay bless` work on the same files. (The golden test itself is
/// `tests/golden.rs`, the suite's own harness.)
#[test]
fn insta_reads_the_goldens_flowreplay_writes_as_equal() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(golden_dir());
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for input in ["scenarios/nack.toml", "scenarios/dumps/trading.dump"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(input);
        let text = suite().golden_text(&path, None).unwrap_or_else(|e| panic!("{e}"));
        settings.bind(|| insta::assert_snapshot!(golden_name(&path), text));
    }
}

use flowreplay::golden::{diff, parse_golden, snap_content, Alignment, DiffOptions, GoldenEvent};

fn events(text: &str) -> Vec<GoldenEvent> {
    parse_golden(Path::new("test.snap"), text, 1).unwrap_or_else(|e| panic!("{e}")).events
}

fn shipped_golden(name: &str) -> String {
    let path = golden_dir().join(format!("{name}.snap"));
    let text = std::fs::read_to_string(&path).unwrap();
    snap_content(&path, &text).unwrap().0.to_string()
}

#[test]
fn a_changed_node_behaviour_fails_the_golden_and_the_diff_names_the_first_divergent_event() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(crate::scenario("nack")).unwrap();
    assert!(original.contains("fail_every = 10"));
    let changed = dir.path().join("nack.toml");
    std::fs::write(&changed, original.replace("fail_every = 10", "fail_every = 7")).unwrap();
    let golden = shipped_golden("nack");
    let rerun = scenario_golden(&changed, None).unwrap();
    assert_ne!(rerun, golden, "the golden test would fail");
    let found = diff(&events(&golden), &events(&rerun), Alignment::SameRun, &DiffOptions::default());
    let first = found.first_divergence.expect("a divergence");
    let expected = first.expected.unwrap();
    let actual = first.actual.unwrap();
    assert!(expected.contains("export    warehouse") && expected.contains("Order#7"), "{expected}");
    assert!(actual.contains("fault     warehouse") && actual.contains("Order#7"), "{actual}");
    assert_eq!(first.edge, "warehouse", "message 7 is now failed by the exporter instead of exported");
    assert!(found.unified.contains("+") && found.unified.contains("@@"));
    assert!(found.changed.iter().any(|c| c.expected.msg == 7), "message 7 is listed as changed");
}

#[test]
fn events_reordered_within_one_instant_pass_unordered_and_fail_strict() {
    let golden = shipped_golden("fanout");
    let mut lines: Vec<&str> = golden.lines().collect();
    let at = (2..lines.len() - 1)
        .find(|&i| {
            lines[i].get(..11) == lines[i + 1].get(..11) && lines[i] != lines[i + 1] && !lines[i].starts_with('#')
        })
        .expect("two events at one instant");
    lines.swap(at, at + 1);
    let swapped = lines.join("\n") + "\n";
    let (a, b) = (events(&golden), events(&swapped));
    let strict = diff(&a, &b, Alignment::SameRun, &DiffOptions::default());
    assert!(!strict.equal, "strict order sees the swap");
    let unordered = diff(&a, &b, Alignment::SameRun, &DiffOptions { unordered: true, ..DiffOptions::default() });
    assert!(unordered.equal, "{:?}", unordered.first_divergence);
    let moved = format!("{}\n", lines[..at].join("\n")) + &lines[at + 2..].join("\n") + "\n" + lines[at] + "\n";
    let across =
        diff(&a, &events(&moved), Alignment::SameRun, &DiffOptions { unordered: true, ..DiffOptions::default() });
    assert!(!across.equal, "moving an event to another instant is a difference even unordered");
}

#[test]
fn identical_inputs_diff_empty_and_a_garbage_golden_names_its_file_and_line() {
    let golden = shipped_golden("linear-pipeline");
    let same = diff(&events(&golden), &events(&golden), Alignment::SameRun, &DiffOptions::default());
    assert!(same.equal && same.first_divergence.is_none() && same.unified.is_empty() && same.changed.is_empty());
    let garbage = golden.replacen("0.000000000  inject", "zero o'clock  inject", 1);
    let line = garbage.lines().position(|l| l.starts_with("zero")).unwrap() + 4;
    let error = parse_golden(Path::new("golden/x.snap"), &garbage, 4).unwrap_err().to_string();
    assert!(error.starts_with(&format!("golden/x.snap:{line}:1: expected a virtual time")), "{error}");
    let bad_body = golden.replacen("body={", "body={oops", 1);
    let error = parse_golden(Path::new("golden/x.snap"), &bad_body, 1).unwrap_err().to_string();
    assert!(error.contains("body: key must be a string"), "{error}");
}

#[test]
fn two_dumps_of_different_runs_diff_by_content_and_name_the_message_that_stopped() {
    let dump =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dumps/trading.dump")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Another day: every trace id, timestamp and node number differ, and the
    // lines come in another order; pricing no longer quotes ACME.
    let shifted: Vec<String> = dump
        .lines()
        .rev()
        .filter(|l| !(l.contains("\"mn\":\"Quote\"") && l.contains("ACME")))
        .map(|l| {
            let mut record: serde_json::Value = serde_json::from_str(l).unwrap();
            record["ts"] = (record["ts"].as_u64().unwrap() + 86_400_000_000_000).into();
            record["t"] = (record["t"].as_u64().unwrap() ^ 0xABCD).into();
            record["n"] = 7.into();
            record.to_string()
        })
        .collect();
    let (before, after) = (dir.path().join("before.dump"), dir.path().join("after.dump"));
    std::fs::write(&before, &dump).unwrap();
    std::fs::write(&after, shifted.join("\n") + "\n").unwrap();
    let options = DiffOptions { unordered: true, ..DiffOptions::default() };
    let found = flowreplay::golden::diff_files(&before, &after, &options).unwrap();
    assert_eq!(found.alignment, Alignment::Content);
    let first = found.first_divergence.clone().expect("Quote is gone");
    assert!(
        first.summary.starts_with("`pricing` no longer sends `Quote`") && first.summary.contains("ACME"),
        "{}",
        first.summary
    );
    assert!(found.extra.is_empty() && found.changed.is_empty(), "nothing else changed: {found:#?}");
    let same = flowreplay::golden::diff_files(&before, &before, &options).unwrap();
    assert!(same.equal);
}

#[test]
fn golden_rules_leave_out_events_fields_and_body_paths_and_bad_rules_name_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(crate::scenario("linear-pipeline")).unwrap();
    let path = dir.path().join("ruled.toml");
    let rules = "[golden]\nignore_events = [\"lifecycle\"]\nignore_fields = [\"q\", \"h\"]\nredact = [\"/host\"]\n";
    std::fs::write(&path, format!("{original}\n{rules}")).unwrap();
    let text = scenario_golden(&path, None).unwrap();
    assert!(!text.contains("lifecycle") && !text.contains(" q=") && !text.contains(" h="), "{}", &text[..400]);
    assert!(text.contains(r#""host":"<hidden>""#) && !text.contains("web-"));
    std::fs::write(&path, format!("{original}\n[golden]\nignore_events = [\"lifecycel\"]\n")).unwrap();
    let error = flowreplay::Scenario::load(&path).unwrap_err().to_string();
    let line = original.lines().count() + 3;
    assert!(error.contains(&format!("ruled.toml:{line}:18: unknown event kind \"lifecycel\"")), "{error}");
}

#[test]
fn a_golden_ignore_rule_hides_its_field_only_where_it_is_scoped_and_a_bad_node_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(crate::scenario("linear-pipeline")).unwrap();
    let path = dir.path().join("scoped.toml");
    std::fs::write(&path, format!("{original}\n[golden]\nignore = [\"ingest:Metrics/host\", \"Logs/line\"]\n"))
        .unwrap();
    let text = scenario_golden(&path, None).unwrap();
    let injected = |name: &str| text.lines().find(|l| l.contains(" inject ") && l.contains(name)).unwrap().to_string();
    assert!(injected("Metrics#").contains(r#""host":"<hidden>""#), "{}", injected("Metrics#"));
    assert!(injected("Logs#").contains(r#""line":"<hidden>""#), "{}", injected("Logs#"));
    assert!(injected("Debug#").contains(r#""level":"debug""#), "other messages keep their fields");
    std::fs::write(&path, format!("{original}\n[golden]\nignore = [\"route:Metrics/host\"]\n")).unwrap();
    let elsewhere = scenario_golden(&path, None).unwrap();
    let injected =
        |name: &str| elsewhere.lines().find(|l| l.contains(" inject ") && l.contains(name)).unwrap().to_string();
    assert!(injected("Metrics#").contains(r#""host":"web-1""#), "a rule for another node leaves ingest's sends alone");
    std::fs::write(&path, format!("{original}\n[golden]\nignore = [\"ingset:/host\"]\n")).unwrap();
    let error = flowreplay::Scenario::load(&path).unwrap_err().to_string();
    let line = original.lines().count() + 3;
    assert!(error.contains(&format!("scoped.toml:{line}:11: ignore rule names node \"ingset\"")), "{error}");
    assert!(error.contains("nodes: ingest, drop-debug"), "{error}");
}

mod round_trip {
    use std::borrow::Cow;
    use std::path::Path;

    use flowreplay::golden::{parse_golden, render, GoldenHeader};
    use flowreplay::scenario::GoldenRules;
    use flowreplay::trace::{Checksum, TraceLine};
    use proptest::prelude::*;

    fn line(
        event: &'static str,
        node: String,
        name: String,
        reason: String,
        body: serde_json::Value,
    ) -> TraceLine<'static> {
        TraceLine {
            seq: 0,
            t_ns: 5,
            event: Cow::Borrowed(event),
            msg: 9,
            trace: 9,
            parent: None,
            node: Some(Cow::Owned(node)),
            from: None,
            to: None,
            name: Some(Cow::Owned(name)),
            size: Some(3),
            checksum: Some(Checksum(7)),
            q: None,
            waited_ns: None,
            reason: Some(Cow::Owned(reason)),
            permanent: None,
            timer: None,
            phase: None,
            body: Some(body),
        }
    }

    proptest! {
        #[test]
        fn whatever_render_writes_parse_reads_back(
            node in "\\PC{1,12}", name in "\\PC{0,12}", reason in "\\PC{0,16}", text in "\\PC{0,16}",
        ) {
            let reason = format!("{reason} body={text}");
            let body = serde_json::json!({"n": format!("{text} body=x"), "k": [1, 2]});
            let lines = [line("inject", node.clone(), name.clone(), reason.clone(), body.clone())];
            let header = GoldenHeader { scenario: "p".into(), seed: 1 };
            let golden = render(&header, &lines, &GoldenRules::default());
            let parsed = parse_golden(Path::new("p.snap"), &golden, 1);
            prop_assert!(parsed.is_ok(), "{:?}\n{golden}", parsed.err());
            let events = parsed.unwrap().events;
            prop_assert_eq!(events.len(), 1);
            let event = &events[0];
            prop_assert_eq!(&event.place, &node);
            prop_assert_eq!(&event.name, &name);
            prop_assert_eq!(event.msg, 1);
            prop_assert_eq!(event.body.as_ref(), Some(&body));
            prop_assert!(event.fields.contains(&serde_json::Value::from(reason).to_string()));
        }
    }
}

#[test]
fn one_extra_message_early_on_is_one_extra_message_not_a_shift_of_every_later_id() {
    let expected = "# flowreplay golden v1 · scenario s · seed 1\n\
        0.000000000  inject    src Order#1 size=1 body={\"order\":1}\n\
        0.000000001  send      src.out -> sink.in Order#1 size=1 q=1\n\
        0.000000002  inject    src Order#2 size=1 body={\"order\":2}\n\
        0.000000003  send      src.out -> sink.in Order#2 size=1 q=1\n";
    let actual = "# flowreplay golden v1 · scenario s · seed 1\n\
        0.000000000  inject    src Order#1 size=1 body={\"order\":1}\n\
        0.000000001  send      src.out -> sink.in Order#1 size=1 q=1\n\
        0.000000001  inject    src Probe#2 size=1 body={\"probe\":true}\n\
        0.000000002  inject    src Order#3 size=1 body={\"order\":2}\n\
        0.000000003  send      src.out -> sink.in Order#3 size=1 q=1\n";
    let found = diff(&events(expected), &events(actual), Alignment::SameRun, &DiffOptions::default());
    assert!(!found.equal);
    assert!(found.missing.is_empty() && found.changed.is_empty(), "{found:#?}");
    assert_eq!(found.extra.len(), 1);
    assert_eq!(found.extra[0].name, "Probe");
    let first = found.first_divergence.unwrap();
    assert_eq!((first.expected, first.index), (None, 2));
    assert!(first.actual.unwrap().contains("Probe#2"));
}

#[test]
fn two_runs_that_differ_are_reported_as_non_determinism_with_where_they_part() {
    use std::cell::Cell;

    use flowreplay::suite::{run_twice, Repeatability};

    let path = crate::scenario("nack");
    let stable = run_twice(&path, || scenario_golden(&path, None)).unwrap();
    assert!(matches!(stable, Repeatability::Deterministic(ref text) if *text == shipped_golden("nack")));
    // A run whose order depends on something outside the seed: every second
    // call swaps the order of two events at one instant.
    let calls = Cell::new(0);
    let flaky = || {
        calls.set(calls.get() + 1);
        let text = scenario_golden(&path, None)?;
        if calls.get() % 2 == 1 {
            return Ok(text);
        }
        let mut lines: Vec<&str> = text.lines().collect();
        lines.swap(4, 5);
        Ok(lines.join("\n") + "\n")
    };
    let Repeatability::NonDeterministic(found) = run_twice(&path, flaky).unwrap() else {
        panic!("the two runs differ");
    };
    let first = found.first_divergence.expect("where they part");
    assert_eq!(first.index, 3, "the fourth event is the first that differs");
    assert!(
        first.actual.unwrap().contains("send      ingest.out -> sanitize.in"),
        "the send came first the second time"
    );
    assert!(first.expected.is_none_or(|e| e.contains("inject")));
}
