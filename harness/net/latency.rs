//! Connector latency models, drawn from the seeded rng.

use crate::model::{Nanos, SimRng};

/// How long a message takes to cross a connector.
///
/// In a scenario file: `latency = "1ms"` (fixed), `latency = { uniform =
/// ["1ms", "3ms"] }` (uniform in the closed range) or `latency = {
/// exponential = "2ms" }` (exponential with that mean). The default is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

const EXPECTED: &str = "a duration (\"1ms\"), { uniform = [\"1ms\", \"3ms\"] } or { exponential = \"2ms\" }";

impl<'de> serde::Deserialize<'de> for Latency {
    /// A duration, `{ uniform = [low, high] }` or `{ exponential = mean }`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            uniform: Option<[Nanos; 2]>,
            exponential: Option<Nanos>,
        }
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Nanos(u64),
            Text(String),
            Table(Table),
        }
        use serde::de::Error;
        match Repr::deserialize(deserializer)
            .map_err(|_| D::Error::custom(format!("invalid latency: expected {EXPECTED}")))?
        {
            Repr::Nanos(n) => Ok(Latency::Fixed(Nanos(n))),
            Repr::Text(text) => text.parse().map(Latency::Fixed).map_err(D::Error::custom),
            Repr::Table(Table { uniform: Some(uniform), exponential: None }) => Ok(Latency::Uniform { uniform }),
            Repr::Table(Table { uniform: None, exponential: Some(exponential) }) => {
                Ok(Latency::Exponential { exponential })
            }
            Repr::Table(_) => Err(D::Error::custom(format!(
                "invalid latency: give exactly one of `uniform` or `exponential`, as in {EXPECTED}"
            ))),
        }
    }
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
