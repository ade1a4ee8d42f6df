//! `flowreplay check` and `bless`: every scenario against its golden, and
//! accepting new goldens.

use std::path::{Path, PathBuf};

use clap::Args;
use flowreplay::atomic_file::AtomicFile;
use flowreplay::golden::{
    diff, dump_golden, golden_path, is_dump, parse_golden, run_twice, scenario_golden, snap_content, snap_text,
    Alignment, DiffOptions, GoldenError, Repeatability,
};

use super::Failure;

/// Arguments of `flowreplay check`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay check                          # every scenario and dump in scenarios/\n  flowreplay check scenarios/nack.toml\n  flowreplay check --golden-dir my-goldens scenarios/*.toml\n\nExit codes: 0 all pass, 1 some golden differs (or a run is not deterministic), 2 bad input."
)]
pub(crate) struct CheckArgs {
    /// Scenario files (.toml) and dumps (.dump) [default: all of scenarios/ and scenarios/dumps/].
    inputs: Vec<PathBuf>,
    /// Where the goldens are.
    #[arg(long, default_value = "golden", value_name = "DIR")]
    golden_dir: PathBuf,
}

/// Arguments of `flowreplay bless`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay bless                          # accept every scenario's current behaviour\n  flowreplay bless scenarios/nack.toml\n\nRefuses to write anything when CI=true."
)]
pub(crate) struct BlessArgs {
    /// Scenario files (.toml) and dumps (.dump) [default: all of scenarios/ and scenarios/dumps/].
    inputs: Vec<PathBuf>,
    /// Where the goldens are.
    #[arg(long, default_value = "golden", value_name = "DIR")]
    golden_dir: PathBuf,
}

/// The inputs given, or every scenario and dump shipped.
fn inputs(given: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let mut found = Vec::new();
    for (dir, extension) in [("scenarios", "toml"), ("scenarios/dumps", "dump")] {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Failure::BadInput(format!("{dir}: cannot list scenarios: {e} (run from the project root)")))?;
        found.extend(
            entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == extension)),
        );
    }
    found.sort();
    Ok(found)
}

/// Refuses inputs whose goldens would be the same file.
fn distinct_goldens(inputs: &[PathBuf], golden_dir: &Path) -> Result<(), Failure> {
    let mut seen: std::collections::BTreeMap<PathBuf, &Path> = std::collections::BTreeMap::new();
    for input in inputs {
        if let Some(other) = seen.insert(golden_path(golden_dir, input), input) {
            return Err(Failure::BadInput(format!(
                "{} and {} would share the golden {}: rename one",
                other.display(),
                input.display(),
                golden_path(golden_dir, input).display()
            )));
        }
    }
    Ok(())
}

/// The golden text of one input: a scenario's run or a dump's replay.
fn golden_of(input: &Path) -> Result<String, GoldenError> {
    if is_dump(input) {
        dump_golden(input, 0)
    } else {
        scenario_golden(input, None)
    }
}

/// What one check found.
enum Outcome {
    Pass,
    Fail(String),
}

fn check_one(input: &Path, golden_dir: &Path) -> Result<Outcome, Failure> {
    let first = match run_twice(input, || golden_of(input)).map_err(super::bad)? {
        Repeatability::Deterministic(text) => text,
        Repeatability::NonDeterministic(found) => {
            return Ok(Outcome::Fail(format!(
                "NOT DETERMINISTIC: two runs with the same seed differ (not a golden mismatch)\n{}",
                super::diff::describe(&found)
            )))
        }
    };
    let events = |text: &str| parse_golden(input, text, 1).map(|g| g.events).map_err(super::bad);
    let path = golden_path(golden_dir, input);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Outcome::Fail(format!(
                "no golden at {} (accept the current behaviour with `flowreplay bless {}`)",
                path.display(),
                input.display()
            )))
        }
        Err(e) => return Err(Failure::BadInput(format!("{}: cannot read: {e}", path.display()))),
    };
    let (content, line) = snap_content(&path, &text).map_err(super::bad)?;
    if content == first {
        return Ok(Outcome::Pass);
    }
    let golden = parse_golden(&path, content, line).map_err(super::bad)?;
    let found = diff(&golden.events, &events(&first)?, Alignment::SameRun, &DiffOptions::default());
    let summary = if found.equal { "the summary or header differs".to_string() } else { super::diff::describe(&found) };
    Ok(Outcome::Fail(format!("differs from {}\n{summary}", path.display())))
}

pub(crate) fn check(args: CheckArgs) -> Result<(), Failure> {
    let (mut passed, mut failed) = (0, 0);
    let inputs = inputs(&args.inputs)?;
    distinct_goldens(&inputs, &args.golden_dir)?;
    for input in inputs {
        match check_one(&input, &args.golden_dir)? {
            Outcome::Pass => {
                passed += 1;
                println!("pass  {}", input.display());
            }
            Outcome::Fail(why) => {
                failed += 1;
                println!("FAIL  {}: {}", input.display(), why.replace('\n', "\n      "));
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        Ok(())
    } else {
        Err(Failure::Expectation(format!("{failed} golden check(s) failed; review, then `flowreplay bless` to accept")))
    }
}

pub(crate) fn bless(args: BlessArgs) -> Result<(), Failure> {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && !v.eq_ignore_ascii_case("false") && v != "0");
    if ci {
        return Err(Failure::BadInput("refusing to write goldens with CI set: bless locally and commit them".into()));
    }
    let inputs = inputs(&args.inputs)?;
    distinct_goldens(&inputs, &args.golden_dir)?;
    for input in inputs {
        let text = snap_text(&golden_of(&input).map_err(super::bad)?);
        let path = golden_path(&args.golden_dir, &input);
        if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
            println!("unchanged  {}", path.display());
            continue;
        }
        let write = || -> std::io::Result<()> {
            let mut out = AtomicFile::create(&path)?;
            std::io::Write::write_all(&mut out, text.as_bytes())?;
            out.commit()
        };
        write().map_err(|e| Failure::BadInput(format!("{}: cannot write golden: {e}", path.display())))?;
        println!("wrote      {}", path.display());
    }
    Ok(())
}
