//! A run's trace settings: the export format, body capture and sampling, as
//! a scenario's `[trace]` section sets them and command-line flags override.

use std::io;
use std::path::Path;

use crate::net::Topology;

use super::event::TraceEvent;
use super::export::Format;
use super::recorder::{FileRecorder, Recorder, RecorderReport};
use super::redact::BodyCapture;
use super::sample::{SampledRecorder, Sampling};

/// How a run is traced when it writes a trace: the format, bodies and
/// redaction, and sampling.
///
/// ```
/// use flowreplay::trace::export::Format;
/// use flowreplay::trace::{BodyCapture, TraceSettings};
/// use flowreplay::{Registry, Scenario};
///
/// let scenario = Scenario::load("scenarios/fanout.toml".as_ref())?;
/// let simulation = scenario.simulation(&Registry::builtin(), scenario.run)?;
/// let settings = TraceSettings { format: Format::Chrome, capture: BodyCapture::redacting(&["/host"])?, sampling: None };
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("trace.json");
/// let mut file = settings.create(&path, simulation.topology(), scenario.run.seed)?;
/// simulation.run(Some(&mut file))?;
/// let report = file.finish()?; // the file appears at `path` only now
/// assert!(report.recorded > 0 && path.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceSettings {
    /// The file format.
    pub format: Format,
    /// Body capture and redaction.
    pub capture: BodyCapture,
    /// Sampling; `None` keeps every event.
    pub sampling: Option<Sampling>,
}

impl TraceSettings {
    /// The recorder these settings ask for, writing to `path`: the format's
    /// file recorder, behind a sampler when sampling is on (deciding with
    /// `seed`).
    pub fn create(&self, path: &Path, topology: &Topology, seed: u64) -> io::Result<TraceFile> {
        let file = self.format.create(path, topology, self.capture.clone())?;
        Ok(match &self.sampling {
            None => TraceFile::Whole(file),
            Some(sampling) => TraceFile::Sampled(SampledRecorder::new(file, sampling.clone(), seed, topology)),
        })
    }
}

/// A trace being written, whole or sampled.
pub enum TraceFile {
    /// Every event.
    Whole(Box<dyn FileRecorder>),
    /// The events a sampler keeps.
    Sampled(SampledRecorder<Box<dyn FileRecorder>>),
}

impl TraceFile {
    /// Finishes the file (see [`FileRecorder::finish`]); the report counts
    /// what the sampler left out.
    pub fn finish(self) -> io::Result<RecorderReport> {
        match self {
            TraceFile::Whole(file) => file.finish(),
            TraceFile::Sampled(sampled) => {
                let sampled_out = sampled.report().sampled_out;
                let report = sampled.into_inner().finish()?;
                Ok(RecorderReport { sampled_out, ..report })
            }
        }
    }
}

impl Recorder for TraceFile {
    fn record(&mut self, event: &TraceEvent<'_>) {
        match self {
            TraceFile::Whole(file) => file.record(event),
            TraceFile::Sampled(sampled) => sampled.record(event),
        }
    }

    fn report(&self) -> RecorderReport {
        match self {
            TraceFile::Whole(file) => file.report(),
            TraceFile::Sampled(sampled) => sampled.report(),
        }
    }
}
