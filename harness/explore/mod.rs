//! Exploring a scenario across seeds: each seed brings its own tie-breaks,
//! latency draws and (with [`FaultMode::Random`]) its own fault plan; each
//! run is judged by the scenario's `[expect]` section (conservation and
//! draining unless it turns them off); a failing seed is shrunk to a small
//! scenario that still fails, written as a file `run` accepts.
//!
//! Seeds are independent, so they run on several threads; results come back
//! in seed order and are the same as on one thread.
//!
//! ```
//! use flowreplay::explore::{Explore, FaultMode};
//! use flowreplay::{Registry, Scenario};
//!
//! let scenario = Scenario::load("scenarios/nack.toml".as_ref())?;
//! let explore = Explore::new(&scenario, &Registry::builtin, FaultMode::Declared)?;
//! let runs = explore.run_seeds(&[1, 2, 3], 2, true, |_| {})?;
//! assert!(runs.iter().all(|run| run.violations.is_empty()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod shrink;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::expect::{Observer, Violation};
use crate::model::Nanos;
use crate::net::Registry;
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{Fault, SimError};

pub use shrink::Shrunk;

/// Which faults each seed's run gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMode {
    /// The scenario's own `[[fault]]` entries.
    Declared,
    /// None at all.
    None,
    /// A plan of one to three faults drawn from the seed
    /// ([`generate::draw_faults`](crate::generate::draw_faults)), in place of the declared ones.
    #[cfg(feature = "generate")]
    Random,
}

/// Why exploring could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// The scenario (with a seed's faults) cannot be built.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A run could not start.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// A seed that broke nothing was given to shrink.
    #[error("seed {0} broke no expectation: there is nothing to shrink")]
    NothingToShrink(u64),
}

/// One seed's run: the faults it had and the expectations it broke.
#[derive(Debug, Clone)]
pub struct SeedRun {
    /// The seed.
    pub seed: u64,
    /// The faults injected.
    pub faults: Vec<Fault>,
    /// What it broke (empty: it passed).
    pub violations: Vec<Violation>,
}

/// What each seed runs.
enum Source<'a> {
    /// One scenario, with the faults `mode` says.
    Fixed {
        scenario: &'a Scenario,
        faults: FaultMode,
        /// How long a run of it lasts in virtual time, for drawing fault windows.
        #[cfg_attr(not(feature = "generate"), allow(dead_code))]
        horizon: Nanos,
    },
    /// A scenario drawn from each seed.
    #[cfg(feature = "generate")]
    Generated(crate::generate::GenOptions),
}

/// A scenario (or a generator of them) ready to be explored.
pub struct Explore<'a> {
    source: Source<'a>,
    registry: &'a (dyn Fn() -> Registry + Sync),
}

impl<'a> Explore<'a> {
    /// Prepares to explore `scenario`, its nodes built by `registry` (once
    /// per thread: a registry is not `Send`). Runs it once, without faults,
    /// to learn how long it lasts, which bounds the windows of random faults.
    pub fn new(
        scenario: &'a Scenario,
        registry: &'a (dyn Fn() -> Registry + Sync),
        faults: FaultMode,
    ) -> Result<Explore<'a>, ExploreError> {
        let mut plain = scenario.clone();
        plain.faults.clear();
        let summary = plain.simulation(&registry(), plain.run)?.run(None)?;
        let horizon = Nanos(summary.end_time_ns);
        Ok(Explore { source: Source::Fixed { scenario, faults, horizon }, registry })
    }

    /// Prepares to explore scenarios drawn from each seed by
    /// [`generate::draw`](crate::generate::draw), judged by the invariants
    /// (conservation, draining); a failure shrinks with proptest.
    #[cfg(feature = "generate")]
    pub fn generated(options: crate::generate::GenOptions, registry: &'a (dyn Fn() -> Registry + Sync)) -> Explore<'a> {
        Explore { source: Source::Generated(options), registry }
    }

    /// The scenario as seed `seed` runs it: that seed in `[run]`, and its
    /// faults (or, generating, the scenario the seed draws).
    pub fn scenario_for(&self, seed: u64) -> Scenario {
        let (scenario, faults) = match &self.source {
            Source::Fixed { scenario, faults, .. } => (*scenario, *faults),
            #[cfg(feature = "generate")]
            Source::Generated(options) => {
                let mut scenario = crate::generate::draw(options, seed).0.scenario();
                scenario.run.seed = seed;
                return scenario;
            }
        };
        let mut scenario = scenario.clone();
        scenario.run.seed = seed;
        scenario.faults = match faults {
            FaultMode::Declared => scenario.faults,
            FaultMode::None => Vec::new(),
            #[cfg(feature = "generate")]
            FaultMode::Random => crate::generate::draw_faults(&scenario.network, self.horizon(), 3, seed),
        };
        scenario
    }

    /// How long a run of the fixed scenario lasts: the bound of random fault windows.
    #[cfg(feature = "generate")]
    fn horizon(&self) -> Nanos {
        match &self.source {
            Source::Fixed { horizon, .. } => *horizon,
            Source::Generated(_) => Nanos::ZERO,
        }
    }

    /// Runs one scenario (as [`Explore::scenario_for`] made it, or shrunk)
    /// and judges it by its `[expect]` section.
    pub fn judge(&self, scenario: &Scenario, registry: &Registry) -> Result<Vec<Violation>, ExploreError> {
        let mut observer = Observer::new(&scenario.expect);
        let simulation = scenario.simulation(registry, scenario.run)?;
        let summary = match scenario.expect.needs_trace() {
            true => simulation.run(Some(&mut observer))?,
            false => simulation.run(None)?,
        };
        Ok(scenario.expect.check(&summary, &observer))
    }

    /// Runs `seeds` on up to `threads` threads, in seed order. Without
    /// `keep_going` it stops at the first failing seed: every seed before it
    /// has run, so which seed that is does not depend on the threads.
    /// `progress` hears each finished run.
    pub fn run_seeds(
        &self,
        seeds: &[u64],
        threads: usize,
        keep_going: bool,
        progress: impl Fn(&SeedRun) + Sync,
    ) -> Result<Vec<SeedRun>, ExploreError> {
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let results: Mutex<Vec<Option<Result<SeedRun, ExploreError>>>> =
            Mutex::new((0..seeds.len()).map(|_| None).collect());
        let worker = || {
            let registry = (self.registry)();
            loop {
                if failed.load(Ordering::SeqCst) && !keep_going {
                    return;
                }
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(&seed) = seeds.get(index) else { return };
                let scenario = self.scenario_for(seed);
                let outcome = self.judge(&scenario, &registry).map(|violations| SeedRun {
                    seed,
                    faults: scenario.faults,
                    violations,
                });
                match &outcome {
                    Ok(run) => {
                        progress(run);
                        if !run.violations.is_empty() {
                            failed.store(true, Ordering::SeqCst);
                        }
                    }
                    Err(_) => failed.store(true, Ordering::SeqCst),
                }
                results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(outcome);
            }
        };
        std::thread::scope(|scope| {
            for _ in 1..threads.clamp(1, seeds.len().max(1)) {
                scope.spawn(worker);
            }
            worker();
        });
        let mut runs = Vec::new();
        for outcome in results.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter() {
            // Seeds are taken in order: the first gap follows the first failure.
            let Some(outcome) = outcome else { break };
            let run = outcome?;
            let stop = !run.violations.is_empty() && !keep_going;
            runs.push(run);
            if stop {
                break;
            }
        }
        Ok(runs)
    }

    /// Shrinks a failing seed's scenario (see [`Shrunk`]).
    pub fn shrink(&self, failing: &SeedRun) -> Result<Shrunk, ExploreError> {
        let Some(broken) = failing.violations.first() else {
            return Err(ExploreError::NothingToShrink(failing.seed));
        };
        match &self.source {
            Source::Fixed { .. } => shrink::shrink(self, failing.seed, broken, &(self.registry)()),
            #[cfg(feature = "generate")]
            Source::Generated(options) => {
                shrink::shrink_generated(self, options, failing.seed, broken, &(self.registry)())
            }
        }
    }
}

/// The seeds `--seeds n --from s --shard k/of` names: `s..s+n`, and of
/// those the ones whose offset from `s` is `k - 1` modulo `of`.
pub fn seed_range(from: u64, count: u64, shard: Option<(u64, u64)>) -> Vec<u64> {
    let (k, of) = shard.unwrap_or((1, 1));
    (0..count).filter(|offset| offset % of == k - 1).map(|offset| from.wrapping_add(offset)).collect()
}
