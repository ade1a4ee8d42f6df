//! The suite users put in their own `cargo test`: per-input checks, what a
//! failure says, what is written where, and the bad configurations.

use std::path::{Path, PathBuf};

use flowreplay::suite::{Check, Suite, SuiteError};

fn root() -> &'static str {
    env!("CARGO_MANIFEST_DIR")
}

fn input(path: &str) -> PathBuf {
    Path::new(root()).join(path)
}

/// The shipped suite with its goldens copied to a folder of its own.
fn suite_with_goldens_in(dir: &Path) -> Suite {
    for entry in std::fs::read_dir(input("golden")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "snap") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    Suite::builtin().root(root()).goldens(dir)
}

#[test]
fn each_input_is_a_test_case_named_after_its_golden_plus_the_orphan_check() {
    let names: Vec<String> = Suite::builtin().root(root()).trials().iter().map(|t| t.name().to_string()).collect();
    assert_eq!(
        names,
        [
            "ack-at-least-one",
            "ack-best-effort",
            "ack-ingress-queue",
            "backpressure",
            "batching",
            "crash-restart",
            "failover-to-queue",
            "fanout",
            "linear-pipeline",
            "nack",
            "p2p-sync",
            "sensor-pipeline",
            "dump-trading",
            "every golden has its input"
        ]
    );
}

#[test]
fn a_golden_of_another_format_version_is_not_diffed_but_re_blessed() {
    let dir = tempfile::tempdir().unwrap();
    let suite = suite_with_goldens_in(dir.path()).ci(true);
    let golden = dir.path().join("nack.snap");
    let text = std::fs::read_to_string(&golden).unwrap().replace("golden v1 ·", "golden v0 ·");
    std::fs::write(&golden, text).unwrap();
    let check = suite.check(&input("scenarios/nack.toml")).unwrap();
    assert!(matches!(check, Check::OtherFormat { .. }), "{check:?}");
    let report = suite.report(&input("scenarios/nack.toml"), &check);
    assert!(report.contains("is not golden format v1") && report.contains("flowreplay bless scenarios/nack.toml"));
    assert!(!report.contains("first divergence"), "no diff for another format: {report}");
}

#[test]
fn a_missing_golden_folder_fails_clearly_in_ci_and_is_created_with_pending_goldens_locally() {
    let dir = tempfile::tempdir().unwrap();
    let goldens = dir.path().join("not-yet");
    let nack = input("scenarios/nack.toml");
    let ci = Suite::builtin().root(root()).goldens(&goldens).ci(true);
    let error = ci.check(&nack).unwrap_err().to_string();
    assert!(error.contains("does not exist") && error.contains("bless locally"), "{error}");
    assert!(!goldens.exists(), "CI created nothing");

    let local = Suite::builtin().root(root()).goldens(&goldens).ci(false);
    let check = local.check(&nack).unwrap();
    assert!(matches!(check, Check::Missing { .. }));
    let pending = local.write_pending(&check).unwrap().unwrap();
    assert_eq!(pending, goldens.join("nack.snap.new"));
    assert!(local.report(&nack, &check).contains("accept:    flowreplay bless scenarios/nack.toml"));
    assert!(local.bless(&nack).unwrap(), "bless writes the golden");
    assert!(!pending.exists(), "and clears the pending text");
    assert!(matches!(local.check(&nack).unwrap(), Check::Pass));
}

#[test]
fn a_changed_golden_fails_the_one_call_form_with_the_first_divergence() {
    let dir = tempfile::tempdir().unwrap();
    let suite = suite_with_goldens_in(dir.path()).ci(true);
    let golden = dir.path().join("fanout.snap");
    let text = std::fs::read_to_string(&golden).unwrap();
    let changed = text.replacen("deliver  ", "export   ", 1);
    assert_ne!(changed, text);
    std::fs::write(&golden, changed).unwrap();
    suite.assert_input("scenarios/nack.toml");
    let failure =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| suite.assert_input("scenarios/fanout.toml")))
            .unwrap_err();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(message.contains("scenarios/fanout.toml: differs from"), "{message}");
    assert!(message.contains("first divergence at event"), "{message}");
    assert!(message.contains("reproduce: flowreplay check scenarios/fanout.toml"), "{message}");
    assert!(!dir.path().join("fanout.snap.new").exists(), "in CI nothing is written");
}

#[test]
fn a_binding_for_a_group_the_dump_lacks_lists_the_dumps_groups() {
    let suite = Suite::builtin().root(root()).bind("trading", "auditt", "exporter");
    let error = suite.check(&input("scenarios/dumps/trading.dump")).unwrap_err();
    assert!(matches!(error, SuiteError::Replay(_)));
    let error = error.to_string();
    assert!(error.contains("no group \"auditt\"") && error.contains("audit, gateway, orders, pricing"), "{error}");
}

#[test]
fn a_binding_to_a_kind_the_registry_lacks_lists_the_registered_kinds() {
    let suite = Suite::builtin().root(root()).bind("*", "audit", "auditor");
    let error = suite.check(&input("scenarios/dumps/trading.dump")).unwrap_err().to_string();
    assert!(
        error.contains("unknown node kind \"auditor\"")
            && error.contains("exporter, failover_router, filter, map, receiver, replica, retry"),
        "{error}"
    );
}
