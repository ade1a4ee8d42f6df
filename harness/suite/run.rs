//! Running one input for its golden: a scenario's run, or a dump's replay
//! with the suite's bindings, rendered as golden text; and the determinism
//! self-check that runs it twice.

use std::path::Path;

use crate::expect::{Observer, Violation};
use crate::golden::{diff, golden_name, parse_golden, render_trace, Alignment, DiffOptions, GoldenHeader, TraceDiff};
use crate::net::Registry;
use crate::replay::{describe, Replay};
use crate::scenario::{GoldenRules, Scenario};
use crate::trace::{MemoryRecorder, Names, Tee};

use super::SuiteError;

/// Runs a scenario with `seed` (its own when `None`), renders its golden
/// and checks its `[expect]` section.
pub(super) fn scenario_golden(
    path: &Path,
    registry: &Registry,
    seed: Option<u64>,
) -> Result<(String, Vec<Violation>), SuiteError> {
    let scenario = Scenario::load_with(path, registry)?;
    let simulation = scenario.simulation(registry, scenario.run.with_seed(seed))?;
    let names = Names::new(simulation.topology());
    let seed = simulation.config().seed;
    let mut trace = MemoryRecorder::with_bodies();
    let mut observer = Observer::new(&scenario.expect);
    let summary = simulation.run(Some(&mut Tee(&mut observer, &mut trace)))?;
    let header = GoldenHeader { scenario: golden_name(path), seed };
    let violations = scenario.expect.check(&summary, &observer);
    Ok((render_trace(&header, &trace, &names, &scenario.golden), violations))
}

/// Replays a dump with `seed`, each `(group, kind)` of `bindings` bound to
/// that kind of `registry`, each of `preparations` applied, and the other
/// groups as stubs, and renders the
/// replay's golden: its trace, then a `## verdict` section with each place's
/// verdict against the recording, so that a bound actor that stops sending
/// what production sent changes the golden.
pub(super) fn dump_golden(
    path: &Path,
    registry: &Registry,
    bindings: &[(&str, &str)],
    preparations: &[&super::Preparation],
    seed: u64,
) -> Result<String, SuiteError> {
    let mut replay = Replay::open(&[path.to_path_buf()], false)?;
    for (group, kind) in bindings {
        replay.bind_kind(group, kind, registry)?;
    }
    for prepare in preparations {
        prepare(&mut replay)?;
    }
    let mut names = None;
    let (outcome, trace) = replay.run_observed(seed, |topology| {
        names = Some(Names::new(topology));
        Ok(MemoryRecorder::with_bodies())
    })?;
    let header = GoldenHeader { scenario: golden_name(path), seed };
    let mut text =
        names.map(|names| render_trace(&header, &trace, &names, &GoldenRules::default())).unwrap_or_default();
    text.push_str("## verdict\n");
    for (place, verdict) in &outcome.verdict.groups {
        text += &format!("{place}: {}\n", describe(verdict).replace('\n', "\n  "));
    }
    for skew in &outcome.verdict.skews {
        text += &format!(
            "clock skew: {} -> {}: {} receipts, up to {} ns\n",
            skew.from,
            skew.to,
            skew.receipts.len(),
            skew.max_ns
        );
    }
    Ok(text)
}

/// What two runs of the same input with the same seed gave.
#[derive(Debug)]
pub enum Repeatability {
    /// The same golden text both times.
    Deterministic(String),
    /// Different texts: where the second run first went differently.
    NonDeterministic(Box<TraceDiff>),
}

/// Renders a run twice with `run` and compares the two: the determinism
/// self-check made before blaming the code for a golden mismatch.
///
/// ```
/// use flowreplay::suite::{run_twice, Repeatability};
///
/// let stable = run_twice("x".as_ref(), || Ok("# flowreplay golden v1 · scenario x · seed 0\n".to_string()))?;
/// assert!(matches!(stable, Repeatability::Deterministic(_)));
/// # Ok::<(), flowreplay::suite::SuiteError>(())
/// ```
pub fn run_twice(path: &Path, run: impl Fn() -> Result<String, SuiteError>) -> Result<Repeatability, SuiteError> {
    let (first, second) = (run()?, run()?);
    if first == second {
        return Ok(Repeatability::Deterministic(first));
    }
    let events = |text: &str| parse_golden(path, text, 1).map(|g| g.events);
    let found = diff(&events(&first)?, &events(&second)?, Alignment::SameRun, &DiffOptions::default());
    Ok(Repeatability::NonDeterministic(Box::new(found)))
}
