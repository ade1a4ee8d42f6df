//! The `flowreplay` command: exit codes, JSON summary, no partial output.

use std::process::{Command, Output};

use crate::scenario;

fn flowreplay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowreplay")).args(args).output().expect("flowreplay runs")
}

#[test]
fn run_json_prints_seed_injected_and_terminal_counts() {
    let out = flowreplay(&["run", &scenario("nack").to_string_lossy(), "--json", "--seed", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(summary["seed"], 3);
    assert_eq!(summary["injected"], 600);
    let terminal = summary["terminal"].as_object().unwrap();
    let total: u64 = terminal.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, 600);
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
