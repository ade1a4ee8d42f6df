//! Recorders: where trace events go.

use std::io::{self, Write};
use std::path::Path;

use crate::atomic_file::AtomicFile;

use crate::net::Topology;

use super::event::TraceEvent;
use super::ndjson;

/// A destination for trace events. The engine calls [`Recorder::record`] for
/// each event in trace order; without a recorder it builds no events at all.
pub trait Recorder {
    /// Takes one event.
    fn record(&mut self, event: TraceEvent);
}

/// Keeps every event in memory, for tests and analysis.
#[derive(Debug, Default)]
pub struct MemoryRecorder {
    /// The events, in trace order.
    pub events: Vec<TraceEvent>,
}

impl Recorder for MemoryRecorder {
    fn record(&mut self, event: TraceEvent) {
        self.events.push(event);
    }
}

/// Streams events as NDJSON (one JSON object per line) into a temporary file
/// beside the destination; [`NdjsonRecorder::finish`] renames it into place,
/// so an interrupted run never leaves a partial trace behind.
pub struct NdjsonRecorder {
    names: ndjson::Names,
    out: AtomicFile,
    line: Vec<u8>,
    error: Option<io::Error>,
    written_bytes: u64,
}

impl NdjsonRecorder {
    /// Starts a trace that will land at `path`.
    pub fn create(path: &Path, topology: &Topology) -> io::Result<NdjsonRecorder> {
        Ok(NdjsonRecorder {
            names: ndjson::Names::new(topology),
            out: AtomicFile::create(path)?,
            line: Vec::with_capacity(256),
            error: None,
            written_bytes: 0,
        })
    }

    /// Flushes and renames the trace into place; reports the first write
    /// error, in which case nothing is left at the destination.
    pub fn finish(self) -> io::Result<u64> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.out.commit()?;
        Ok(self.written_bytes)
    }
}

impl Recorder for NdjsonRecorder {
    fn record(&mut self, event: TraceEvent) {
        if self.error.is_some() {
            return;
        }
        self.line.clear();
        ndjson::write_event(&mut self.line, &event, &self.names);
        self.written_bytes += self.line.len() as u64;
        if let Err(e) = self.out.write_all(&self.line) {
            self.error = Some(e);
        }
    }
}
