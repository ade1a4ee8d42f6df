//! The golden test: every shipped scenario's run and every shipped dump's
//! replay against `golden/<name>.snap`, one test case each (`cargo test
//! --test golden -- nack`), through the same suite users run for their own
//! systems. With `CI=true` nothing is written and a changed or missing
//! golden fails; locally a change leaves `<name>.snap.new` for `cargo insta
//! review` (or `flowreplay bless`).

fn main() -> std::process::ExitCode {
    flowreplay::suite::Suite::builtin().root(env!("CARGO_MANIFEST_DIR")).run_tests()
}
