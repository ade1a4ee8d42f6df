//! Exports: a run's trace written in the format a reader wants.
//!
//! - `ndjson`: the flowreplay trace ([`super::TraceLine`] per line), which
//!   `stats`, `lineage` and `diff` read back;
//! - `elfo`: elfo dump lines, so a re-captured trace is itself a dump;
//! - `chrome`: Chrome trace-event JSON, one track per node (opens in
//!   Perfetto or `chrome://tracing`);
//! - `dot` and `mermaid`: the data-flow graph with per-edge message counts.
//!
//! Each is a [`FileRecorder`] that streams into a temporary file and renames
//! it into place when finished.

mod chrome;
mod elfo;
mod graph;

use std::fmt;
use std::io;
use std::path::Path;
use std::str::FromStr;

use crate::net::Topology;

use super::recorder::{FileRecorder, NdjsonRecorder};
use super::redact::BodyCapture;

pub use chrome::ChromeRecorder;
pub use elfo::ElfoRecorder;
pub use graph::GraphRecorder;

/// A trace export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The flowreplay NDJSON trace.
    #[default]
    Ndjson,
    /// elfo dump lines.
    Elfo,
    /// Chrome trace-event JSON (Perfetto).
    Chrome,
    /// Graphviz DOT data-flow graph.
    Dot,
    /// Mermaid data-flow graph.
    Mermaid,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 5] = [Format::Ndjson, Format::Elfo, Format::Chrome, Format::Dot, Format::Mermaid];

    /// The format's name on the command line and in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ndjson => "ndjson",
            Format::Elfo => "elfo",
            Format::Chrome => "chrome",
            Format::Dot => "dot",
            Format::Mermaid => "mermaid",
        }
    }

    /// A recorder writing this format to `path`.
    pub fn create(self, path: &Path, topology: &Topology, capture: BodyCapture) -> io::Result<Box<dyn FileRecorder>> {
        Ok(match self {
            Format::Ndjson => Box::new(NdjsonRecorder::create(path, topology, capture)?),
            Format::Elfo => Box::new(ElfoRecorder::create(path, topology, capture)?),
            Format::Chrome => Box::new(ChromeRecorder::create(path, topology, capture)?),
            Format::Dot => Box::new(GraphRecorder::create(path, topology, graph::Style::Dot)?),
            Format::Mermaid => Box::new(GraphRecorder::create(path, topology, graph::Style::Mermaid)?),
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Format, String> {
        Format::ALL.into_iter().find(|f| f.name() == text).ok_or_else(|| {
            let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
            format!("unknown trace format {text:?} (expected one of: {})", names.join(", "))
        })
    }
}
