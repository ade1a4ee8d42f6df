//! Run configuration: the seed and everything else that shapes a run.

use serde::{Deserialize, Serialize};

use crate::model::Nanos;

/// How events due at the same virtual instant are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TieBreak {
    /// By a draw from the seeded rng: different seeds explore different
    /// interleavings, the same seed always gives the same one.
    #[default]
    Random,
    /// In the order the events were scheduled.
    Fifo,
}

/// Everything that shapes a run besides the network itself.
///
/// Defaults: seed 0, random tie-break, no time or event limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RunConfig {
    /// The seed every random choice is derived from.
    pub seed: u64,
    /// Ordering of simultaneous events.
    pub tie_break: TieBreak,
    /// Stop when virtual time would pass this.
    pub max_time: Option<Nanos>,
    /// Stop after this many scheduler events.
    pub max_events: Option<u64>,
}

impl RunConfig {
    /// The same settings with `seed` instead, when one is given.
    pub fn with_seed(self, seed: Option<u64>) -> RunConfig {
        RunConfig { seed: seed.unwrap_or(self.seed), ..self }
    }
}
