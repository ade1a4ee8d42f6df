//! The real elfo group in a golden suite: the same suite a service's `cargo
//! test` and CLI run (`examples/desk.rs`).

mod desk;

use std::path::Path;

use flowreplay::suite::Check;

#[test]
fn the_desk_dump_replayed_with_the_real_pricer_matches_its_golden() {
    let dump = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/desk.dump");
    let suite = desk::suite(0).ci(true);
    let check = suite.check(&dump).unwrap();
    assert!(matches!(check, Check::Pass), "{}", suite.report(&dump, &check));
}

#[test]
fn a_planted_change_in_the_pricer_fails_its_golden_at_the_verdict() {
    let dump = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/desk.dump");
    let suite = desk::suite(1).ci(true);
    let check = suite.check(&dump).unwrap();
    let Check::Changed { actual: text, .. } = &check else { panic!("{check:?}") };
    assert!(text.contains("pricer: Different"), "{text}");
}
