//! Recorders: where trace events go.

use std::io::{self, Write};
use std::path::Path;

use crate::atomic_file::AtomicFile;
use crate::net::Topology;

use super::event::TraceEvent;
use super::line::{Names, TraceLine};
use super::ndjson;
use super::redact::BodyCapture;

/// A destination for trace events. The engine calls [`Recorder::record`] for
/// each event in trace order; without a recorder it builds no events at all.
///
/// ```
/// use flowreplay::trace::{EventKind, Recorder, TraceEvent};
/// use flowreplay::{Registry, Scenario};
///
/// /// Counts what the exporters accepted.
/// #[derive(Default)]
/// struct Exports(u64);
/// impl Recorder for Exports {
///     fn record(&mut self, event: &TraceEvent<'_>) {
///         if matches!(event.kind, EventKind::Export { .. }) {
///             self.0 += 1;
///         }
///     }
/// }
///
/// let scenario = Scenario::load("scenarios/nack.toml".as_ref())?;
/// let mut exports = Exports::default();
/// let summary = scenario.simulation(&Registry::builtin(), scenario.run)?.run(Some(&mut exports))?;
/// assert_eq!(exports.0, summary.terminal["exported"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Recorder {
    /// Takes one event (borrowed: keep what you need by copying it).
    fn record(&mut self, event: &TraceEvent<'_>);

    /// What the recorder has done so far.
    fn report(&self) -> RecorderReport {
        RecorderReport::default()
    }
}

/// A recorder's account of itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecorderReport {
    /// Events kept (held or written).
    pub recorded: u64,
    /// Events a sampler left out.
    pub sampled_out: u64,
    /// Bytes written, for recorders that write.
    pub bytes_written: u64,
}

/// A recorder that writes a file: nothing is at the destination until
/// [`FileRecorder::finish`] renames the finished file into place.
pub trait FileRecorder: Recorder {
    /// Flushes, writes any closing part and renames the file into place;
    /// reports the first write error, in which case nothing is left at the
    /// destination.
    fn finish(self: Box<Self>) -> io::Result<RecorderReport>;
}

/// Hands every event to two recorders, the first one first.
pub struct Tee<A, B>(pub A, pub B);

impl<A: Recorder, B: Recorder> Recorder for Tee<A, B> {
    fn record(&mut self, event: &TraceEvent<'_>) {
        self.0.record(event);
        self.1.record(event);
    }

    /// The second recorder's report: the first is usually an observer
    /// (metrics) and the second what is kept.
    fn report(&self) -> RecorderReport {
        self.1.report()
    }
}

impl<R: Recorder + ?Sized> Recorder for &mut R {
    fn record(&mut self, event: &TraceEvent<'_>) {
        (**self).record(event);
    }

    fn report(&self) -> RecorderReport {
        (**self).report()
    }
}

/// A recorder that may be absent: records when present.
impl<R: Recorder> Recorder for Option<R> {
    fn record(&mut self, event: &TraceEvent<'_>) {
        if let Some(recorder) = self {
            recorder.record(event);
        }
    }

    fn report(&self) -> RecorderReport {
        self.as_ref().map_or_else(RecorderReport::default, Recorder::report)
    }
}

impl<R: Recorder + ?Sized> Recorder for Box<R> {
    fn record(&mut self, event: &TraceEvent<'_>) {
        (**self).record(event);
    }

    fn report(&self) -> RecorderReport {
        (**self).report()
    }
}

/// Writes lines to a file that lands at its destination only when finished,
/// remembering the first write error instead of failing the run mid-way.
pub(crate) struct LineSink {
    out: AtomicFile,
    line: Vec<u8>,
    error: Option<io::Error>,
    report: RecorderReport,
}

impl LineSink {
    pub(crate) fn create(path: &Path) -> io::Result<LineSink> {
        Ok(LineSink {
            out: AtomicFile::create(path)?,
            line: Vec::with_capacity(256),
            error: None,
            report: Default::default(),
        })
    }

    /// Writes what `fill` appends to a cleared line buffer, as one record.
    pub(crate) fn write(&mut self, fill: impl FnOnce(&mut Vec<u8>)) {
        if self.error.is_some() {
            return;
        }
        self.line.clear();
        fill(&mut self.line);
        if self.line.is_empty() {
            return;
        }
        self.report.recorded += 1;
        self.report.bytes_written += self.line.len() as u64;
        if let Err(e) = self.out.write_all(&self.line) {
            self.error = Some(e);
        }
    }

    /// Writes framing (a header or footer) that is not an event.
    pub(crate) fn write_frame(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        self.report.bytes_written += bytes.len() as u64;
        if let Err(e) = self.out.write_all(bytes) {
            self.error = Some(e);
        }
    }

    pub(crate) fn report(&self) -> RecorderReport {
        self.report
    }

    pub(crate) fn finish(self) -> io::Result<RecorderReport> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.out.commit()?;
        Ok(self.report)
    }
}

/// Streams events as NDJSON (one JSON object per line, see
/// [`TraceLine`]) into a temporary file beside the destination;
/// [`FileRecorder::finish`] renames it into place, so an interrupted run
/// never leaves a partial trace behind.
pub struct NdjsonRecorder {
    names: Names,
    capture: BodyCapture,
    sink: LineSink,
}

impl NdjsonRecorder {
    /// Starts a trace that will land at `path`, with bodies captured as
    /// `capture` says.
    pub fn create(path: &Path, topology: &Topology, capture: BodyCapture) -> io::Result<NdjsonRecorder> {
        Ok(NdjsonRecorder { names: Names::new(topology), capture, sink: LineSink::create(path)? })
    }
}

impl Recorder for NdjsonRecorder {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let (names, capture) = (&self.names, &self.capture);
        self.sink.write(|out| ndjson::write_line(out, &TraceLine::of(event, names, capture)));
    }

    fn report(&self) -> RecorderReport {
        self.sink.report()
    }
}

impl FileRecorder for NdjsonRecorder {
    fn finish(self: Box<Self>) -> io::Result<RecorderReport> {
        self.sink.finish()
    }
}
