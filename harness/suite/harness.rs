//! The suite as a `cargo test` target: one test case per input, through
//! libtest-mimic, so `cargo test -- NAME` filters, `--list` lists and
//! cargo-nextest runs it.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};

use crate::golden::golden_name;

use super::{Check, Suite};

impl Suite {
    /// Runs the suite as a test binary: each scenario and dump is a test
    /// case named after its golden (`nack`, `dump-trading`), plus one case
    /// that fails on goldens no input has. A failed case prints the report
    /// ([`Suite::report`]) and leaves the new text as `<name>.snap.new`
    /// (never in CI).
    ///
    /// In `Cargo.toml`: `[[test]] name = "golden"`, `harness = false`; in
    /// `tests/golden.rs`:
    ///
    /// ```no_run
    /// fn main() -> std::process::ExitCode {
    ///     flowreplay::suite::Suite::builtin().root(env!("CARGO_MANIFEST_DIR")).run_tests()
    /// }
    /// ```
    pub fn run_tests(self) -> ExitCode {
        let arguments = Arguments::from_args();
        libtest_mimic::run(&arguments, self.trials()).exit_code()
    }

    /// The test cases: one per input, and the orphan check.
    pub fn trials(self) -> Vec<Trial> {
        let suite = Arc::new(self);
        let inputs = match suite.inputs() {
            Ok(inputs) => inputs,
            Err(e) => return vec![Trial::test("inputs", move || Err(Failed::from(e.to_string())))],
        };
        let mut trials: Vec<Trial> = inputs
            .iter()
            .map(|input| {
                let (suite, input) = (Arc::clone(&suite), input.clone());
                Trial::test(golden_name(&input), move || suite.case(&input))
            })
            .collect();
        trials.push(Trial::test("every golden has its input", move || {
            let orphans: Vec<String> = suite.orphans(&inputs).iter().map(|p| p.display().to_string()).collect();
            match orphans.is_empty() {
                true => Ok(()),
                false => Err(Failed::from(format!("goldens with no scenario or dump: {}", orphans.join(", ")))),
            }
        }));
        trials
    }

    fn case(&self, input: &Path) -> Result<(), Failed> {
        match self.check(input).map_err(|e| Failed::from(e.to_string()))? {
            Check::Pass => Ok(()),
            check => Err(Failed::from(self.failure(input, &check))),
        }
    }
}
