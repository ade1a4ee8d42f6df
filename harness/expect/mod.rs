//! Expectations: what a run must do, from a scenario's `[expect]` section,
//! and the checks that judge a run against them.
//!
//! Conservation and draining are expected of every run unless a scenario
//! turns them off; the other checks are declared. A broken expectation is a
//! [`Violation`] naming the expectation, and where it can the message and
//! the virtual time.
//!
//! ```
//! use flowreplay::expect::{Expectations, Observer};
//! use flowreplay::{Registry, Scenario};
//!
//! let scenario = Scenario::load("scenarios/nack.toml".as_ref())?;
//! let mut observer = Observer::new(&scenario.expect);
//! let summary = scenario.simulation(&Registry::builtin(), scenario.run)?.run(Some(&mut observer))?;
//! assert!(scenario.expect.check(&summary, &observer).is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod observer;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::model::{Nanos, VirtualTime};
use crate::sim::RunSummary;

pub use observer::Observer;

/// The terminal states a `terminal` bound may name.
pub const TERMINAL_STATES: [&str; 8] =
    ["exported", "dropped", "nacked", "consumed", "discarded", "lost", "batched", "in_flight"];

/// A count that must lie in `[min, max]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// The least allowed.
    pub min: Option<u64>,
    /// The most allowed.
    pub max: Option<u64>,
}

impl Bounds {
    /// What is wrong with `count`, if anything.
    fn problem(&self, count: u64) -> Option<String> {
        match (self.min, self.max) {
            (Some(min), _) if count < min => Some(format!("{count} is below the minimum {min}")),
            (_, Some(max)) if count > max => Some(format!("{count} is above the maximum {max}")),
            _ => None,
        }
    }
}

/// Bounds on the time from a message's injection to an export in its
/// trace, in virtual time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyBounds {
    /// The median at most this.
    pub p50: Option<Nanos>,
    /// The 99th percentile at most this.
    pub p99: Option<Nanos>,
    /// Every export within this.
    pub max: Option<Nanos>,
}

/// What a run must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// Every message ends exactly once (default on).
    pub conserved: bool,
    /// Nothing is left in flight at the end (default on).
    pub drained: bool,
    /// Every injected message gets exactly one final ACK or NACK at the
    /// receiver that injected it: for networks whose every path is
    /// acknowledged (the receiver subscribes, and nothing loses a message
    /// silently).
    pub answered_once: bool,
    /// No message is exported after its `deadline` header.
    pub no_export_after_deadline: bool,
    /// Bounds per terminal state.
    pub terminal: BTreeMap<String, Bounds>,
    /// Bounds on the messages per edge, `"a.out -> b.in"`.
    pub edges: BTreeMap<String, Bounds>,
    /// Bounds on inject-to-export latency.
    pub latency: LatencyBounds,
}

impl Default for Expectations {
    fn default() -> Self {
        Expectations {
            conserved: true,
            drained: true,
            answered_once: false,
            no_export_after_deadline: false,
            terminal: BTreeMap::new(),
            edges: BTreeMap::new(),
            latency: LatencyBounds::default(),
        }
    }
}

/// A broken expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Which: `conserved`, `drained`, `answered_once`, `terminal.lost`,
    /// `edges.a.out -> b.in`, `latency.p99`, `no_export_after_deadline`.
    pub expectation: String,
    /// The message it is about, if one.
    pub message: Option<u64>,
    /// The virtual time it is about, if one.
    pub at_ns: Option<u64>,
    /// What happened.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expect.{}: ", self.expectation)?;
        if let Some(message) = self.message {
            write!(f, "message {message}")?;
            if let Some(at) = self.at_ns {
                write!(f, " at {}s", VirtualTime(at))?;
            }
            write!(f, ": ")?;
        } else if let Some(at) = self.at_ns {
            write!(f, "at {}s: ", VirtualTime(at))?;
        }
        write!(f, "{}", self.detail)
    }
}

impl Violation {
    fn new(expectation: impl Into<String>, detail: String) -> Violation {
        Violation { expectation: expectation.into(), message: None, at_ns: None, detail }
    }

    fn about(mut self, message: u64, at_ns: u64) -> Violation {
        self.message = Some(message);
        self.at_ns = Some(at_ns);
        self
    }
}

impl Expectations {
    /// Whether any check needs the trace (an [`Observer`] attached to the run).
    pub fn needs_trace(&self) -> bool {
        self.answered_once || self.latency != LatencyBounds::default()
    }

    /// Every expectation `summary` (and, for the trace checks, `observed`)
    /// breaks, in the order they are declared above.
    pub fn check(&self, summary: &RunSummary, observed: &Observer) -> Vec<Violation> {
        let mut found = Vec::new();
        if self.conserved && !summary.conserved() {
            let ended: u64 = summary.terminal.values().sum();
            let detail = match summary.violations.first() {
                Some(first) => first.clone(),
                None => format!("{ended} endings for {} messages", summary.injected + summary.created),
            };
            found.push(Violation::new("conserved", detail));
        }
        if self.drained && !summary.drained() {
            let left = summary.terminal.get("in_flight").copied().unwrap_or(0);
            let mut violation = Violation::new("drained", format!("{left} messages in flight at the end"));
            if let Some(first) = summary.in_flight.first() {
                violation = Violation::new(
                    "drained",
                    format!("{left} messages in flight at the end; this one {}", first.location),
                )
                .about(first.message, summary.end_time_ns);
            }
            found.push(violation);
        }
        if self.answered_once {
            found.extend(observed.answer_violations());
        }
        if self.no_export_after_deadline {
            if let Some(late) = summary.late_exports.first() {
                let detail = format!(
                    "exported after its deadline {}s (the first of {} late exports listed in the summary)",
                    VirtualTime(late.deadline_ns),
                    summary.late_exports.len()
                );
                found.push(Violation::new("no_export_after_deadline", detail).about(late.message, late.at_ns));
            }
        }
        for (state, bounds) in &self.terminal {
            let count = summary.terminal.get(state.as_str()).copied().unwrap_or(0);
            if let Some(problem) = bounds.problem(count) {
                found.push(Violation::new(format!("terminal.{state}"), format!("{state}: {problem}")));
            }
        }
        for (edge, bounds) in &self.edges {
            let count = summary.edges.iter().find(|e| e.label() == *edge).map_or(0, |e| e.messages);
            if let Some(problem) = bounds.problem(count) {
                found.push(Violation::new(format!("edges.{edge}"), format!("messages on {edge}: {problem}")));
            }
        }
        found.extend(observed.latency_violations(&self.latency));
        found
    }
}
