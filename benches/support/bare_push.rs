//! The `tracing_overhead` bench's reference recorder, shared with
//! `examples/trace_cost.rs`, which counts its instructions.

use flowreplay::trace::{EventKind, Recorder, TraceEvent};

/// Reference: the least a recorder can do with an event, a 48-byte record
/// (sequence, time, parent, message, trace id, and the body's checksum read
/// from the message for data-flow events) pushed into a warm `Vec`.
pub struct BarePush(pub Vec<[u64; 6]>);

impl Recorder for BarePush {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let checksum = match &event.kind {
            EventKind::Inject { body, .. } | EventKind::Send { body, .. } => body.checksum(),
            _ => 0,
        };
        self.0.push([
            event.seq,
            event.at.as_nanos(),
            event.parent.unwrap_or(u64::MAX),
            event.message.0,
            event.trace_id.0,
            checksum,
        ]);
    }
}
