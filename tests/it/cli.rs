//! The `flowreplay` command: exit codes, JSON summary, no partial output.

use std::process::{Command, Output};

use crate::{flowreplay, scenario};

#[test]
fn run_json_prints_seed_injected_and_terminal_counts() {
    let out = flowreplay(&["run", &scenario("nack").to_string_lossy(), "--json", "--seed", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(summary["seed"], 3);
    assert_eq!(summary["injected"], 50);
    let terminal = summary["terminal"].as_object().unwrap();
    let total: u64 = terminal.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, 50);
    assert!(String::from_utf8_lossy(&out.stderr).contains("seed 3"), "the seed is printed");
}

#[test]
fn run_prints_the_seed_and_how_to_reproduce() {
    let out = flowreplay(&["run", &scenario("linear-pipeline").to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("reproduce: flowreplay run") && stdout.contains("--seed 7"), "{stdout}");
}

#[test]
fn bad_input_exits_2_with_file_and_line_and_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[node]]\nid = \"x\"\nkind = \"fliter\"\n").unwrap();
    let out_file = dir.path().join("trace.ndjson");
    let out = flowreplay(&["run", &bad.to_string_lossy(), "--out", &out_file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml:1:1") && stderr.contains("fliter"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one clear message: {stderr}");
    assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1, "nothing but the scenario is left");
}

#[test]
fn a_missing_scenario_file_exits_2() {
    let out = flowreplay(&["run", "no/such/scenario.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/scenario.toml: cannot read scenario"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(flowreplay(&["run"]).status.code(), Some(2));
    assert_eq!(flowreplay(&["run", &scenario("nack").to_string_lossy(), "--max-time", "soon"]).status.code(), Some(2));
}

#[test]
fn the_trace_file_has_one_event_per_line_with_time_message_and_edge() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.ndjson");
    let out = flowreplay(&["run", &scenario("nack").to_string_lossy(), "--out", &trace.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for line in text.lines() {
        let event: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(event["t_ns"].is_u64() && event["msg"].is_u64() && event["seq"].is_u64());
        if event["event"] == "send" {
            assert!(event["from"].is_string() && event["to"].is_string());
        }
        kinds.insert(event["event"].as_str().unwrap().to_string());
    }
    for kind in ["inject", "send", "deliver", "ack", "nack", "export", "reject"] {
        assert!(kinds.contains(kind), "no {kind} event in {kinds:?}");
    }
}

#[test]
fn run_writes_every_trace_format_and_refuses_an_unknown_one() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario("fanout").to_string_lossy().into_owned();
    for format in ["ndjson", "elfo", "chrome", "dot", "mermaid"] {
        let out = dir.path().join(format!("trace.{format}"));
        let run = flowreplay(&["run", &scenario, "--out", &out.to_string_lossy(), "--format", format]);
        assert_eq!(run.status.code(), Some(0), "{format}: {}", String::from_utf8_lossy(&run.stderr));
        assert!(std::fs::metadata(&out).unwrap().len() > 0, "{format}");
    }
    let bad = flowreplay(&["run", &scenario, "--out", "x", "--format", "svg"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ndjson, elfo, chrome, dot, mermaid"));
}

#[test]
fn stats_and_lineage_read_a_trace_written_by_run() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.ndjson").to_string_lossy().into_owned();
    let run = flowreplay(&["run", &scenario("linear-pipeline").to_string_lossy(), "--out", &trace, "--sample", "0.5"]);
    assert_eq!(run.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&run.stdout).contains("sampled out"), "the recorder reports on itself");
    let stats = flowreplay(&["stats", &trace, "--json"]);
    assert_eq!(stats.status.code(), Some(0), "{}", String::from_utf8_lossy(&stats.stderr));
    let metrics: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert!(metrics["edges"].as_object().is_some_and(|e| !e.is_empty()) && metrics["lines"].as_u64() > Some(0));
    let refused = flowreplay(&["stats", &trace, "--group", "x"]);
    assert_eq!(refused.status.code(), Some(2));

    let full = dir.path().join("full.ndjson").to_string_lossy().into_owned();
    flowreplay(&["run", &scenario("linear-pipeline").to_string_lossy(), "--out", &full]);
    let lineage = flowreplay(&["lineage", &full, "--message", "3", "--ancestors"]);
    assert_eq!(lineage.status.code(), Some(0), "{}", String::from_utf8_lossy(&lineage.stderr));
    let text = String::from_utf8_lossy(&lineage.stdout);
    assert!(text.starts_with("#3 Metrics") && text.contains("send      ingest.out -> drop-debug.in"), "{text}");
    let missing = flowreplay(&["lineage", &full, "--message", "123456789"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn lineage_on_a_dump_follows_a_trace_id_and_explains_why_not_a_message_id() {
    let dump = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dumps/trading.dump");
    let dump = dump.to_string_lossy();
    let out = flowreplay(&["lineage", &dump, "--trace-id", "1152921504606847976", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lineage: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(lineage["messages"][0]["name"], "NewOrder");
    let refused = flowreplay(&["lineage", &dump, "--message", "1"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--trace-id"));
}

#[test]
fn replay_exports_other_formats_and_redacts_its_recaptured_dump() {
    let dir = tempfile::tempdir().unwrap();
    let dump = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dumps/trading.dump");
    let chrome = dir.path().join("replay.json");
    let out =
        flowreplay(&["replay", &dump.to_string_lossy(), "--out", &chrome.to_string_lossy(), "--format", "chrome"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&chrome).unwrap()).unwrap();
    assert!(value["traceEvents"].as_array().is_some_and(|e| e.len() > 10));
    let clean = dir.path().join("clean.dump");
    let out = flowreplay(&["replay", &dump.to_string_lossy(), "--out", &clean.to_string_lossy(), "--redact", "/order"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&clean).unwrap();
    assert!(text.contains("\"order\":\"<hidden>\"") && !text.contains("\"order\":14"), "{text}");
}

/// A project folder with one scenario and no goldens, for check and bless.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("scenarios/dumps")).unwrap();
    std::fs::create_dir_all(dir.path().join("golden")).unwrap();
    std::fs::copy(scenario("nack"), dir.path().join("scenarios/nack.toml")).unwrap();
    dir
}

fn flowreplay_in(dir: &std::path::Path, args: &[&str], ci: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowreplay"));
    command.current_dir(dir).args(args);
    if ci {
        command.env("CI", "true");
    } else {
        command.env_remove("CI");
    }
    command.output().expect("flowreplay runs")
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

#[test]
fn bless_then_check_passes_and_a_missing_golden_fails() {
    let dir = project();
    let missing = flowreplay_in(dir.path(), &["check"], false);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stdout).contains("no golden at golden/nack.snap"));
    let bless = flowreplay_in(dir.path(), &["bless"], false);
    assert_eq!(bless.status.code(), Some(0), "{}", String::from_utf8_lossy(&bless.stderr));
    assert!(dir.path().join("golden/nack.snap").exists());
    let check = flowreplay_in(dir.path(), &["check"], false);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
    assert!(String::from_utf8_lossy(&check.stdout).contains("pass  scenarios/nack.toml"));
    let shipped =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/nack.snap")).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("golden/nack.snap")).unwrap(),
        shipped,
        "bless writes what insta writes"
    );
}

#[test]
fn with_ci_set_nothing_is_written_anywhere_and_a_changed_golden_fails() {
    let dir = project();
    let before = files_under(dir.path());
    let bless = flowreplay_in(dir.path(), &["bless"], true);
    assert_eq!(bless.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bless.stderr).contains("refusing to write goldens"));
    let check = flowreplay_in(dir.path(), &["check"], true);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(files_under(dir.path()), before, "CI=true wrote nothing");

    flowreplay_in(dir.path(), &["bless"], false);
    let golden = dir.path().join("golden/nack.snap");
    let text = std::fs::read_to_string(&golden).unwrap();
    std::fs::write(&golden, text.replacen("Order#40 size=300", "Order#40 size=301", 1)).unwrap();
    let before = files_under(dir.path());
    let check = flowreplay_in(dir.path(), &["check"], true);
    assert_eq!(check.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains("FAIL  scenarios/nack.toml") && stdout.contains("first divergence"), "{stdout}");
    assert_eq!(files_under(dir.path()), before, "a failed check under CI writes nothing either");
}

#[test]
fn a_golden_edited_into_garbage_is_an_error_naming_file_and_line() {
    let dir = project();
    flowreplay_in(dir.path(), &["bless"], false);
    let golden = dir.path().join("golden/nack.snap");
    let text = std::fs::read_to_string(&golden).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[9] = "this is not an event";
    std::fs::write(&golden, lines.join("\n") + "\n").unwrap();
    let check = flowreplay_in(dir.path(), &["check"], false);
    assert_eq!(check.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("golden/nack.snap:10:1: expected `<seconds>.<nanoseconds>  <event>"), "{stderr}");
}

#[test]
fn diff_of_identical_inputs_is_empty_and_exits_0_and_differences_exit_1_with_json() {
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/fanout.snap");
    let golden = golden.to_string_lossy();
    let same = flowreplay(&["diff", &golden, &golden]);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&same.stdout), "equal\n");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("other.ndjson");
    flowreplay(&["run", &scenario("fanout").to_string_lossy(), "--seed", "12", "--out", &trace.to_string_lossy()]);
    let different = flowreplay(&["diff", &golden, &trace.to_string_lossy(), "--json"]);
    assert_eq!(different.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&different.stdout).unwrap();
    assert_eq!(value["equal"], false);
    assert!(value["first_divergence"]["index"].is_u64());
    let bad = flowreplay(&["diff", &golden, "no/such/file"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn trace_flags_without_out_and_unknown_sampled_actors_are_refused() {
    let nack = scenario("nack").to_string_lossy().into_owned();
    let no_out = flowreplay(&["run", &nack, "--format", "chrome"]);
    assert_eq!(no_out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_out.stderr).contains("add --out FILE"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.ndjson").to_string_lossy().into_owned();
    let typo = flowreplay(&["run", &nack, "--out", &out, "--sample", "0.5", "--never-actor", "warehose"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("no node \"warehose\" (nodes: ingest, sanitize, warehouse)"));
    assert!(!dir.path().join("t.ndjson").exists(), "nothing written");
}

#[test]
fn every_verbs_help_shows_examples_and_exit_codes() {
    for verb in ["run", "stats", "graph", "replay", "lineage", "diff", "check", "bless"] {
        let help = flowreplay(&[verb, "--help"]);
        assert_eq!(help.status.code(), Some(0), "{verb}");
        let text = String::from_utf8_lossy(&help.stdout);
        assert!(text.contains("Examples:\n  flowreplay "), "{verb} --help has no examples:\n{text}");
        assert!(text.contains("--quiet"), "{verb} --help lists --quiet");
    }
}
