//! The suite catches a planted change in one of the desk's actors: exactly
//! the input that exercises it fails, with the first divergence and the
//! commands that reproduce and accept it; in CI nothing is written.

use std::path::{Path, PathBuf};

use flowreplay::suite::Check;
use flowreplay::{NodeBuild, Registry};
use flowreplay_starter::{registry, suite, suite_with, Gate, Pricer};

/// The desk with an off-by-one planted in the gate: it lets one order
/// too many through.
fn leaky_gate() -> Registry {
    let mut registry = registry();
    registry.register("gate", |config| {
        let limit = config["limit"].as_u64().unwrap_or(10);
        Ok(NodeBuild::processor(Gate { limit: limit + 1 }, &["in"], &["out"]))
    });
    registry
}

fn name(input: &Path) -> String {
    input.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn the_unchanged_desk_passes_every_input() {
    let suite = suite();
    for input in suite.inputs().unwrap() {
        assert!(matches!(suite.check(&input).unwrap(), Check::Pass), "{}", name(&input));
    }
}

#[test]
fn a_planted_change_in_the_gate_fails_exactly_the_scenario_that_uses_it() {
    let suite = suite_with(leaky_gate).ci(true);
    let checks: Vec<(PathBuf, Check)> =
        suite.inputs().unwrap().into_iter().map(|input| (input.clone(), suite.check(&input).unwrap())).collect();
    let failed: Vec<String> =
        checks.iter().filter(|(_, check)| !matches!(check, Check::Pass)).map(|(input, _)| name(input)).collect();
    assert_eq!(failed, ["orders.toml"], "the dump does not go through the gate");
    let (orders, check) = checks.iter().find(|(input, _)| name(input) == "orders.toml").unwrap();
    let Check::Changed { diff, .. } = check else { panic!("{check:?}") };
    let first = diff.first_divergence.as_ref().unwrap();
    assert!(first.expected.as_deref().unwrap().contains("drop      gate"), "{first:?}");
    assert!(first.actual.as_deref().unwrap().contains("send      gate.out -> enricher.in"), "{first:?}");
    let report = suite.report(orders, check);
    assert!(report.contains("first divergence at event"), "{report}");
    assert!(report.contains("reproduce: cargo run -p flowreplay-starter --bin starter -- check scenarios/orders.toml"));
    assert!(suite.write_pending(check).unwrap().is_none(), "in CI nothing is written");
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/orders.snap.new").exists());
}

#[test]
fn a_pricer_that_changed_its_answer_fails_the_dump_with_the_changed_field() {
    let with_a_fee = || {
        let mut registry = registry();
        registry.register("pricer", |_| Ok(NodeBuild::processor(Pricer { fee: 1 }, &["in"], &["out"])));
        registry
    };
    let suite = suite_with(with_a_fee).ci(true);
    let dump = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dumps/orders.dump");
    let check = suite.check(&dump).unwrap();
    let Check::Changed { actual: text, .. } = &check else { panic!("{check:?}") };
    assert!(suite.report(&dump, &check).contains("differs from golden/dump-orders.snap"));
    assert!(text.contains("pricer: Different"), "the golden's verdict names the pricer:\n{text}");
    assert!(text.contains("/total: 300 -> 301"), "{text}");
}
