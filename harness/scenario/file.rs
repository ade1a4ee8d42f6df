//! The scenario file as written: TOML tables with their source spans. These
//! types never leave the `scenario` module; `load` turns them into domain
//! types.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::expect::{Bounds, LatencyBounds};

use crate::model::Nanos;
use crate::net::Latency;
use crate::sim::TieBreak;
use crate::trace::Sampling;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) allow_cycles: bool,
    #[serde(default)]
    pub(super) run: RawRun,
    #[serde(default)]
    pub(super) trace: RawTrace,
    #[serde(default)]
    pub(super) golden: RawGolden,
    #[serde(default, rename = "node")]
    pub(super) nodes: Vec<Spanned<RawNode>>,
    #[serde(default, rename = "connector")]
    pub(super) connectors: Vec<Spanned<RawConnector>>,
    #[serde(default, rename = "fault")]
    pub(super) faults: Vec<Spanned<RawFault>>,
    #[serde(default)]
    pub(super) expect: RawExpect,
}

/// The `[expect]` section; `super::expect` checks the names it holds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpect {
    pub(super) conserved: Option<bool>,
    pub(super) drained: Option<bool>,
    pub(super) answered_once: Option<bool>,
    pub(super) no_export_after_deadline: Option<bool>,
    #[serde(default)]
    pub(super) terminal: BTreeMap<Spanned<String>, Bounds>,
    #[serde(default)]
    pub(super) edges: BTreeMap<Spanned<String>, Bounds>,
    #[serde(default)]
    pub(super) latency: LatencyBounds,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRun {
    #[serde(default, deserialize_with = "seed")]
    pub(super) seed: Option<u64>,
    pub(super) tie_break: Option<TieBreak>,
    pub(super) max_time: Option<Nanos>,
    pub(super) max_events: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrace {
    pub(super) format: Option<Spanned<String>>,
    pub(super) bodies: Option<bool>,
    #[serde(default)]
    pub(super) redact: Vec<Spanned<String>>,
    pub(super) sample: Option<Spanned<Sampling>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGolden {
    #[serde(default)]
    pub(super) ignore_events: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) ignore_fields: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) redact: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) ignore: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNode {
    pub(super) id: String,
    pub(super) kind: String,
    #[serde(default)]
    pub(super) config: Option<Spanned<toml::Table>>,
    pub(super) mailbox: Option<Spanned<u32>>,
    pub(super) service_time: Option<Nanos>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConnector {
    pub(super) from: String,
    pub(super) to: String,
    #[serde(default)]
    pub(super) latency: Option<Latency>,
}

/// A `[[fault]]` entry: which keys apply depends on its kind, which
/// `super::fault` checks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFault {
    pub(super) kind: Spanned<String>,
    pub(super) node: Option<Spanned<String>>,
    pub(super) edge: Option<Spanned<String>>,
    pub(super) at: Option<Spanned<Nanos>>,
    pub(super) from: Option<Spanned<Nanos>>,
    pub(super) until: Option<Spanned<Nanos>>,
    pub(super) p: Option<Spanned<f64>>,
    pub(super) by: Option<Spanned<toml::Value>>,
    pub(super) restart_after: Option<Spanned<Nanos>>,
    pub(super) mailbox: Option<Spanned<String>>,
    pub(super) reason: Option<Spanned<String>>,
    pub(super) permanent: Option<Spanned<bool>>,
}

/// A fault plan file: `[[fault]]` entries and nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlan {
    #[serde(default, rename = "fault")]
    pub(super) faults: Vec<Spanned<RawFault>>,
}

/// `[run] seed`: an integer, or a string of digits for seeds above 2^63 - 1,
/// which a TOML integer cannot hold.
fn seed<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Seed {
        Number(u64),
        Digits(String),
    }
    match Seed::deserialize(deserializer)? {
        Seed::Number(seed) => Ok(Some(seed)),
        Seed::Digits(text) => text.parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("invalid seed {text:?}: expected a whole number from 0 to 2^64 - 1"))
        }),
    }
}
