//! Shrinking a failing seed by delta debugging: drop faults one at a time,
//! cut each receiver's workload down by bisection, and shorten each fault
//! window by halves, keeping every step after which the same seed still
//! breaks the same expectation.

use crate::expect::Violation;
use crate::model::Nanos;
use crate::net::Registry;
use crate::scenario::Scenario;

use super::{Explore, ExploreError};

/// A failing scenario made small.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The small scenario: the seed in `[run]`, its faults declared.
    pub scenario: Scenario,
    /// The expectation it still breaks (the first one the seed broke).
    pub violation: Violation,
    /// Nodes before and after (they change only for a generated scenario).
    pub nodes: (usize, usize),
    /// Faults before and after.
    pub faults: (usize, usize),
    /// Messages injected before and after (summed over the receivers).
    pub messages: (u64, u64),
    /// How many candidate runs the shrinking took.
    pub runs: u32,
}

impl Shrunk {
    /// How much smaller it is: `nodes 9 -> 3, faults 2 -> 1, messages 200 -> 7`.
    pub fn sizes(&self) -> String {
        let (nodes, faults, messages) = (self.nodes, self.faults, self.messages);
        format!(
            "nodes {} -> {}, faults {} -> {}, messages {} -> {}",
            nodes.0, nodes.1, faults.0, faults.1, messages.0, messages.1
        )
    }
}

/// The workload count of each receiver, by node index.
fn counts(scenario: &Scenario) -> Vec<Option<u64>> {
    scenario.network.nodes.iter().map(|n| n.config.pointer("/workload/count").and_then(|c| c.as_u64())).collect()
}

fn set_count(scenario: &mut Scenario, node: usize, count: u64) {
    if let Some(slot) = scenario.network.nodes[node].config.pointer_mut("/workload/count") {
        *slot = count.into();
    }
}

/// Shrinks `seed`'s scenario, which broke `broken`'s expectation: fewer
/// faults, fewer messages, shorter fault windows, while it still breaks it.
pub(super) fn shrink(
    explore: &Explore<'_>,
    seed: u64,
    broken: &Violation,
    registry: &Registry,
) -> Result<Shrunk, ExploreError> {
    let target = broken.expectation.clone();
    let mut runs = 0;
    let mut still_fails = |candidate: &Scenario| -> Result<Option<Violation>, ExploreError> {
        runs += 1;
        Ok(explore.judge(candidate, registry)?.into_iter().find(|v| v.expectation == target))
    };
    let mut best = explore.scenario_for(seed);
    let before = (best.faults.len(), counts(&best).iter().flatten().sum());
    let mut violation = still_fails(&best)?.unwrap_or_else(|| broken.clone());
    // Fewer faults: drop each one that the failure does not need.
    let mut index = 0;
    while index < best.faults.len() {
        let mut candidate = best.clone();
        candidate.faults.remove(index);
        match still_fails(&candidate)? {
            Some(found) => (best, violation) = (candidate, found),
            None => index += 1,
        }
    }
    // Fewer messages: the smallest count that still fails, by bisection.
    for (node, count) in counts(&best).into_iter().enumerate() {
        let Some(count) = count else { continue };
        let (mut low, mut high) = (1, count);
        while low < high {
            let middle = low + (high - low) / 2;
            let mut candidate = best.clone();
            set_count(&mut candidate, node, middle);
            match still_fails(&candidate)? {
                Some(found) => (best, violation, high) = (candidate, found, middle),
                None => low = middle + 1,
            }
        }
    }
    // Shorter windows: halve each fault's window while it still fails.
    for index in 0..best.faults.len() {
        while let Some(until) = best.faults[index].until {
            let length = until.0.saturating_sub(best.faults[index].from.0);
            if length < 2 {
                break;
            }
            let mut candidate = best.clone();
            candidate.faults[index].until = Some(Nanos(best.faults[index].from.0 + length / 2));
            match still_fails(&candidate)? {
                Some(found) => (best, violation) = (candidate, found),
                None => break,
            }
        }
    }
    let after = (best.faults.len(), counts(&best).iter().flatten().sum());
    let nodes = best.network.nodes.len();
    Ok(Shrunk {
        scenario: best,
        violation,
        nodes: (nodes, nodes),
        faults: (before.0, after.0),
        messages: (before.1, after.1),
        runs,
    })
}

/// Shrinks a failing generated scenario with proptest's shrinking: fewer
/// nodes, messages and faults, simpler kinds; the seed stays.
#[cfg(feature = "generate")]
pub(super) fn shrink_generated(
    explore: &Explore<'_>,
    options: &crate::generate::GenOptions,
    seed: u64,
    broken: &Violation,
    registry: &Registry,
) -> Result<Shrunk, ExploreError> {
    let target = broken.expectation.clone();
    let (original, tree) = crate::generate::draw(options, seed);
    let mut runs = 0;
    let mut found = None;
    let smallest = crate::generate::shrink(tree, |candidate| {
        runs += 1;
        let mut candidate = candidate.clone();
        candidate.run.seed = seed;
        let violation =
            explore.judge(&candidate, registry).ok().and_then(|v| v.into_iter().find(|v| v.expectation == target));
        let fails = violation.is_some();
        if fails {
            found = violation;
        }
        fails
    });
    let mut scenario = smallest.scenario();
    scenario.run.seed = seed;
    let judged = explore.judge(&scenario, registry)?.into_iter().find(|v| v.expectation == target);
    let violation = judged.or(found).unwrap_or_else(|| broken.clone());
    Ok(Shrunk {
        scenario,
        violation,
        nodes: (original.nodes, smallest.nodes),
        faults: (original.faults, smallest.faults),
        messages: (original.messages, smallest.messages),
        runs,
    })
}
