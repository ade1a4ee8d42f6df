//! The desk's own command line: every verb, with the desk's node kinds.

use std::process::{Command, Output};

fn starter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_starter")).current_dir(env!("CARGO_MANIFEST_DIR")).args(args).output().unwrap()
}

#[test]
fn run_knows_the_desks_own_node_kinds() {
    let run = starter(&["run", "scenarios/orders.toml", "--json"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["terminal"]["exported"], 8, "the gate (limit 8) let 8 of 12 orders through");
    assert_eq!(summary["terminal"]["dropped"], 4);
}

#[test]
fn replay_binds_a_dump_group_to_a_desk_kind_and_check_uses_the_suite() {
    let replay = starter(&["replay", "scenarios/dumps/orders.dump", "--bind", "pricer=pricer"]);
    assert_eq!(replay.status.code(), Some(0), "{}", String::from_utf8_lossy(&replay.stdout));
    assert!(String::from_utf8_lossy(&replay.stdout).contains("pricer: equal (4 sends)"));
    let check = starter(&["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
    assert!(String::from_utf8_lossy(&check.stdout).contains("2 passed, 0 failed"));
}

#[test]
fn an_unregistered_kind_is_refused_with_the_kinds_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[[node]]\nid = \"a\"\nkind = \"gatee\"\n").unwrap();
    let run = starter(&["run", &path.to_string_lossy()]);
    assert_eq!(run.status.code(), Some(2));
    let error = String::from_utf8_lossy(&run.stderr);
    assert!(error.contains("gatee") && error.contains("enricher") && error.contains("gate"), "{error}");
}
