//! Sampling: keep a share of the traffic in the trace, plus whatever must
//! always (or never) be there.
//!
//! The rate is decided per trace id, with the run's seed, so a kept message
//! comes with its whole causal tree (lineage still works on a sampled
//! trace) and the same seed keeps the same messages. A message's fate is
//! decided once, at its first event, and holds for all its events.
//! Sampled-out events are counted; metrics taken beside the sampler (see
//! [`super::MetricsRecorder`]) still see every event.

use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::model::{MessageId, SimRng, TraceId};
use crate::net::Topology;

use super::event::{EventKind, TraceEvent};
use super::recorder::{Recorder, RecorderReport};

/// What to keep. In a scenario file this is `[trace.sample]`, with the same
/// keys.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sampling {
    /// Share of traces kept, from 0 (none) to 1 (all).
    pub rate: f64,
    /// Events at these actors (node names) are always kept...
    pub always_actors: BTreeSet<String>,
    /// ...and messages with these names.
    pub always_messages: BTreeSet<String>,
    /// Events at these actors are never kept...
    pub never_actors: BTreeSet<String>,
    /// ...nor messages with these names. Either `never` list wins over
    /// either `always` list.
    pub never_messages: BTreeSet<String>,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            rate: 1.0,
            always_actors: BTreeSet::new(),
            always_messages: BTreeSet::new(),
            never_actors: BTreeSet::new(),
            never_messages: BTreeSet::new(),
        }
    }
}

impl Sampling {
    /// Checks the rate is a share.
    pub fn validate(&self) -> Result<(), String> {
        if (0.0..=1.0).contains(&self.rate) {
            Ok(())
        } else {
            Err(format!("sample rate {} is not between 0 and 1", self.rate))
        }
    }

    /// Checks that every actor the lists name is a node of `topology`: a
    /// typo would otherwise match nothing, silently.
    pub fn check_actors(&self, topology: &Topology) -> Result<(), String> {
        let lists = [("always_actors", &self.always_actors), ("never_actors", &self.never_actors)];
        for (list, actors) in lists {
            if let Some(unknown) = actors.iter().find(|a| !topology.nodes.iter().any(|n| &*n.name == a.as_str())) {
                let known: Vec<&str> = topology.nodes.iter().map(|n| &*n.name).collect();
                return Err(format!("{list}: no node {unknown:?} (nodes: {})", known.join(", ")));
            }
        }
        Ok(())
    }

    /// Whether the rate keeps `trace` under `seed`: the seeded rng, seeded
    /// from the pair, so the answer depends on nothing else.
    pub fn keeps_trace(&self, seed: u64, trace: TraceId) -> bool {
        let draw = SimRng::seed_from(seed ^ trace.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64();
        // The top 53 bits as a fraction in [0, 1): exact in an f64.
        ((draw >> 11) as f64 / (1u64 << 53) as f64) < self.rate
    }
}

/// What becomes of a message's events.
#[derive(Debug, Clone, Copy)]
enum Fate {
    /// Its name is in `never_messages`: dropped everywhere, even at an
    /// `always` actor.
    Never,
    /// Its name is in `always_messages` (or it is no message): kept unless
    /// at a `never` actor.
    Always,
    /// Left to the rate; an `always` actor keeps its events there anyway.
    Rate(bool),
}

/// Passes a sample of the events on to another recorder.
pub struct SampledRecorder<R> {
    inner: R,
    sampling: Sampling,
    seed: u64,
    nodes: Vec<Arc<str>>,
    /// Each message's fate, decided at its first named event.
    fates: FxHashMap<MessageId, Fate>,
    sampled_out: u64,
}

impl<R: Recorder> SampledRecorder<R> {
    /// Samples a run of `topology` with `seed` into `inner`.
    pub fn new(inner: R, sampling: Sampling, seed: u64, topology: &Topology) -> SampledRecorder<R> {
        let nodes = topology.nodes.iter().map(|n| n.name.clone()).collect();
        SampledRecorder { inner, sampling, seed, nodes, fates: FxHashMap::default(), sampled_out: 0 }
    }

    /// The recorder the kept events went to.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn keeps(&mut self, event: &TraceEvent) -> bool {
        let fate = if event.message == MessageId(0) { Fate::Always } else { self.fate(event) };
        let receiver = match &event.kind {
            EventKind::Send { to, .. } | EventKind::Blocked { to, .. } => Some(&*self.nodes[to.0.index()]),
            _ => None,
        };
        let actors = [Some(&*self.nodes[event.kind.node().index()]), receiver];
        let at = |set: &BTreeSet<String>| actors.iter().flatten().any(|a| set.contains(*a));
        if at(&self.sampling.never_actors) {
            return false;
        }
        match fate {
            Fate::Never => false,
            Fate::Always => true,
            Fate::Rate(keep) => keep || at(&self.sampling.always_actors),
        }
    }

    /// The fate of `event`'s message: its name's list, or else the rate.
    fn fate(&mut self, event: &TraceEvent) -> Fate {
        if let Some(&fate) = self.fates.get(&event.message) {
            return fate;
        }
        let name = match &event.kind {
            EventKind::Inject { name, .. } | EventKind::Send { name, .. } => name,
            // A send that found a full mailbox names no message: the rate
            // decides it, and the first named event decides the message.
            _ => return Fate::Rate(self.sampling.keeps_trace(self.seed, event.trace_id)),
        };
        let fate = if self.sampling.never_messages.contains(&name[..]) {
            Fate::Never
        } else if self.sampling.always_messages.contains(&name[..]) {
            Fate::Always
        } else {
            Fate::Rate(self.sampling.keeps_trace(self.seed, event.trace_id))
        };
        self.fates.insert(event.message, fate);
        fate
    }
}

impl<R: Recorder> Recorder for SampledRecorder<R> {
    fn record(&mut self, event: &TraceEvent<'_>) {
        if self.keeps(event) {
            self.inner.record(event);
        } else {
            self.sampled_out += 1;
        }
    }

    fn report(&self) -> RecorderReport {
        RecorderReport { sampled_out: self.sampled_out, ..self.inner.report() }
    }
}
