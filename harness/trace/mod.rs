//! The trace: events, recorders and the NDJSON format.
//!
//! The engine builds events only when a recorder is attached, so a run
//! without tracing pays for one branch per event site.

mod event;
mod ndjson;
mod recorder;

pub use event::{EventKind, Phase, TraceEvent};
pub use recorder::{MemoryRecorder, NdjsonRecorder, Recorder};
