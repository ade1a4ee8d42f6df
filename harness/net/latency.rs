//! Connector latency models, drawn from the seeded rng.

use crate::model::{Nanos, SimRng};

/// How long a message takes to cross a connector.
///
/// In a scenario file: `latency = "1ms"` (fixed), `latency = { uniform =
/// ["1ms", "3ms"] }` (uniform in the closed range) or `latency = {
/// exponential = "2ms" }` (exponential with that mean). The default is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Latency {
    /// Always the same.
    Fixed(Nanos),
    /// Uniform over `[low, high]`.
    Uniform {
        /// `[low, high]`.
        uniform: [Nanos; 2],
    },
    /// Exponentially distributed with this mean.
    Exponential {
        /// The mean.
        exponential: Nanos,
    },
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Fixed(Nanos::ZERO)
    }
}

impl Latency {
    /// Draws one latency.
    pub fn sample(&self, rng: &mut SimRng) -> Nanos {
        match *self {
            Latency::Fixed(d) => d,
            Latency::Uniform { uniform: [low, high] } => Nanos(rng.between(low.0, high.0)),
            Latency::Exponential { exponential } => rng.exponential(exponential),
        }
    }

    /// Why this model is unusable, if it is (a uniform range with low > high).
    pub fn problem(&self) -> Option<String> {
        match *self {
            Latency::Uniform { uniform: [low, high] } if low > high => {
                Some(format!("uniform latency range is reversed: {low} > {high}"))
            }
            _ => None,
        }
    }
}
