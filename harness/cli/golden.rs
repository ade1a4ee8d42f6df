//! `check` and `bless`: every input of the suite against its golden, and
//! accepting new goldens. The work is the library's [`Suite`]; this file
//! parses arguments and prints.

use std::path::PathBuf;

use clap::Args;

use crate::suite::{Check, Suite};

use super::Failure;

/// Arguments of `check`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay check                          # every scenario and dump in scenarios/\n  flowreplay check scenarios/nack.toml\n  flowreplay check --golden-dir my-goldens scenarios/*.toml\n\nExit codes: 0 all pass, 1 some golden differs or is missing (or a run is not deterministic), 2 bad input."
)]
pub(crate) struct CheckArgs {
    /// Scenario files (.toml) and dumps (.dump) [default: all of scenarios/ and scenarios/dumps/].
    inputs: Vec<PathBuf>,
    /// Where the goldens are [default: golden].
    #[arg(long, value_name = "DIR")]
    golden_dir: Option<PathBuf>,
}

/// Arguments of `bless`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay bless                          # accept every scenario's current behaviour\n  flowreplay bless scenarios/nack.toml\n\nRefuses to write anything when CI=true."
)]
pub(crate) struct BlessArgs {
    /// Scenario files (.toml) and dumps (.dump) [default: all of scenarios/ and scenarios/dumps/].
    inputs: Vec<PathBuf>,
    /// Where the goldens are [default: golden].
    #[arg(long, value_name = "DIR")]
    golden_dir: Option<PathBuf>,
}

/// The suite with the golden folder given, and the inputs given or all of its own.
fn suite_and_inputs(
    suite: &Suite,
    golden_dir: &Option<PathBuf>,
    given: &[PathBuf],
) -> Result<(Suite, Vec<PathBuf>), Failure> {
    let suite = match golden_dir {
        Some(dir) => suite.clone().goldens(dir),
        None => suite.clone(),
    };
    // `inputs` checks its own finds for golden clashes.
    let inputs = if given.is_empty() {
        suite.inputs().map_err(super::bad)?
    } else {
        suite.distinct_goldens(given).map_err(super::bad)?;
        given.to_vec()
    };
    Ok((suite, inputs))
}

pub(crate) fn check(args: CheckArgs, suite: &Suite) -> Result<(), Failure> {
    let (suite, inputs) = suite_and_inputs(suite, &args.golden_dir, &args.inputs)?;
    let (mut passed, mut failed) = (0, 0);
    let progress = super::progress::Progress::count(inputs.len() as u64, "checking");
    for input in inputs {
        let check = suite.check(&input).map_err(super::bad)?;
        progress.advance(1);
        match check {
            Check::Pass => {
                passed += 1;
                progress.println(&format!("pass  {}", input.display()));
            }
            check => {
                failed += 1;
                let report = suite.report(&input, &check);
                progress.println(&format!("FAIL  {}", report.trim_end().replace('\n', "\n      ")));
            }
        }
    }
    progress.finish();
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        Ok(())
    } else {
        Err(Failure::Expectation(format!("{failed} golden check(s) failed; review, then `flowreplay bless` to accept")))
    }
}

pub(crate) fn bless(args: BlessArgs, suite: &Suite) -> Result<(), Failure> {
    let (suite, inputs) = suite_and_inputs(suite, &args.golden_dir, &args.inputs)?;
    let dir = suite.golden_dir();
    for input in inputs {
        let path = crate::golden::golden_path(&dir, &input);
        match suite.bless(&input).map_err(super::bad)? {
            true => println!("wrote      {}", suite.display(&path)),
            false => println!("unchanged  {}", suite.display(&path)),
        }
    }
    Ok(())
}
