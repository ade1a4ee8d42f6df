//! The trace: events, recorders, sampling, redaction, exports, and the
//! analyses that read a trace back (metrics and lineage).
//!
//! The engine builds events only when a recorder is attached: a run without
//! one takes the engine compiled without trace hooks and pays one branch
//! per run.

mod event;
pub mod export;
mod line;
mod lineage;
mod memory;
mod metrics;
mod ndjson;
mod recorder;
mod redact;
mod sample;
mod settings;

pub use crate::compare::HIDDEN;
pub use event::{EventKind, Phase, TraceEvent};
pub use line::{Checksum, Names, TraceLine};
pub use lineage::{dump_lineage, trace_lineage, Lineage, LineageMessage, Origin, Reach, Step};
pub use memory::{Events, MemoryRecorder};
pub use metrics::{EdgeCounts, Failure, MetricsBuilder, MetricsRecorder, ReasonCounts, TraceMetrics};
pub use ndjson::{is_trace_file, write_line, TraceReader};
pub use recorder::{FileRecorder, NdjsonRecorder, Recorder, RecorderReport, Tee};
pub use redact::{BodyCapture, RedactPath};
pub use sample::{SampledRecorder, Sampling};
pub use settings::{TraceFile, TraceSettings};
