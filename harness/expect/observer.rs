//! What the trace checks need from a run, gathered as it goes: who injected
//! each message and how often it was answered there, and the time from each
//! trace's injection to each of its exports.

use rustc_hash::FxHashMap;

use crate::model::{Nanos, NodeId, VirtualTime};
use crate::trace::{EventKind, Recorder, TraceEvent};

use super::{Expectations, LatencyBounds, Violation};

/// One injected message: where, when, and the answers it got there.
struct Injected {
    node: NodeId,
    at: u64,
    answers: u32,
    /// When a second answer came, if one did.
    again_at: Option<u64>,
}

/// A [`Recorder`] that keeps what [`Expectations::check`] needs from the
/// trace, and nothing when the expectations need no trace.
pub struct Observer {
    answers: bool,
    latency: bool,
    injected: FxHashMap<u64, Injected>,
    trace_start: FxHashMap<u64, u64>,
    /// (latency, message, export time) of every export.
    exports: Vec<(u64, u64, u64)>,
}

impl Observer {
    /// An observer for `expect`'s trace checks.
    pub fn new(expect: &Expectations) -> Observer {
        Observer {
            answers: expect.answered_once,
            latency: expect.latency != LatencyBounds::default(),
            injected: FxHashMap::default(),
            trace_start: FxHashMap::default(),
            exports: Vec::new(),
        }
    }

    /// Messages answered never or more than once at their receiver, in id order.
    pub(super) fn answer_violations(&self) -> Vec<Violation> {
        let mut ids: Vec<&u64> = self.injected.keys().collect();
        ids.sort_unstable();
        ids.into_iter()
            .filter_map(|id| {
                let injected = &self.injected[id];
                let detail = match injected.answers {
                    1 => return None,
                    0 => "injected here, never got an ACK or NACK".to_string(),
                    n => format!(
                        "got {n} answers where one was expected (the second at {}s)",
                        VirtualTime(injected.again_at.unwrap_or_default())
                    ),
                };
                Some(Violation::new("answered_once", detail).about(*id, injected.at))
            })
            .collect()
    }

    /// Latency bounds the exports break.
    pub(super) fn latency_violations(&self, bounds: &LatencyBounds) -> Vec<Violation> {
        if self.exports.is_empty() {
            return Vec::new();
        }
        let mut sorted = self.exports.clone();
        sorted.sort_unstable();
        let rank = |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
        [("p50", bounds.p50, rank(0.5)), ("p99", bounds.p99, rank(0.99)), ("max", bounds.max, rank(1.0))]
            .into_iter()
            .filter_map(|(name, bound, (latency, message, at))| {
                let bound = bound.filter(|b| latency > b.0)?;
                let detail = format!("inject-to-export {name} is {} (bound {bound})", Nanos(latency));
                Some(Violation::new(format!("latency.{name}"), detail).about(message, at))
            })
            .collect()
    }
}

impl Recorder for Observer {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let at = event.at.as_nanos();
        match event.kind {
            EventKind::Inject { node, .. } => {
                if self.answers {
                    self.injected.insert(event.message.0, Injected { node, at, answers: 0, again_at: None });
                }
                if self.latency {
                    self.trace_start.entry(event.trace_id.0).or_insert(at);
                }
            }
            EventKind::Ack { node, .. } | EventKind::Nack { node, .. } if self.answers => {
                if let Some(injected) = self.injected.get_mut(&event.message.0).filter(|i| i.node == node) {
                    injected.answers += 1;
                    if injected.answers == 2 {
                        injected.again_at = Some(at);
                    }
                }
            }
            EventKind::Export { .. } if self.latency => {
                if let Some(start) = self.trace_start.get(&event.trace_id.0) {
                    self.exports.push((at - start, event.message.0, at));
                }
            }
            _ => {}
        }
    }
}
