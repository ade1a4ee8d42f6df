//! Every verb of the real `flowreplay` binary, as a user types it: its
//! output, stderr and exit code for the happy path and for bad input
//! (`tests/cmd/*.toml`; `TRYCMD=overwrite cargo test --test cli_cases`
//! rewrites them after a deliberate change, for review).

#[test]
fn every_verb_prints_and_exits_as_recorded() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
