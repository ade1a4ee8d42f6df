//! The Chrome trace-event export: one track (thread) per node, one instant
//! event per trace event on the track of the node where it happened, with
//! the event's fields as `args`. Perfetto and `chrome://tracing` open it.

use std::io;
use std::path::Path;

use serde_json::json;

use crate::net::Topology;
use crate::trace::event::TraceEvent;
use crate::trace::line::{Names, TraceLine};
use crate::trace::recorder::{FileRecorder, LineSink, Recorder, RecorderReport};
use crate::trace::redact::BodyCapture;

/// Streams a run as a Chrome trace-event JSON object (`traceEvents` array).
pub struct ChromeRecorder {
    names: Names,
    capture: BodyCapture,
    sink: LineSink,
}

impl ChromeRecorder {
    /// Starts a Chrome trace that will land at `path`; writes the track names.
    pub fn create(path: &Path, topology: &Topology, capture: BodyCapture) -> io::Result<ChromeRecorder> {
        let mut sink = LineSink::create(path)?;
        let mut header = String::from("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
        header +=
            &json!({"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": "flowreplay"}}).to_string();
        for (index, node) in topology.nodes.iter().enumerate() {
            let tid = index + 1;
            header += ",\n";
            header += &json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": &*node.name}})
                .to_string();
            header += ",\n";
            header +=
                &json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": tid, "args": {"sort_index": tid}})
                    .to_string();
        }
        sink.write_frame(header.as_bytes());
        Ok(ChromeRecorder { names: Names::new(topology), capture, sink })
    }
}

impl Recorder for ChromeRecorder {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let line = TraceLine::of(event, &self.names, &self.capture);
        let tid = event.kind.node().index() + 1;
        let title = match &line.name {
            Some(name) => format!("{} {name}", line.event),
            None => line.event.to_string(),
        };
        let entry = json!({
            "name": title,
            "cat": &*line.event,
            "ph": "i",
            "s": "t",
            "ts": line.t_ns as f64 / 1000.0,
            "pid": 1,
            "tid": tid,
            "args": &line,
        });
        self.sink.write(|out| {
            out.extend_from_slice(b",\n");
            // A JSON value always serializes.
            serde_json::to_writer(&mut *out, &entry).unwrap_or_default();
        });
    }

    fn report(&self) -> RecorderReport {
        self.sink.report()
    }
}

impl FileRecorder for ChromeRecorder {
    fn finish(mut self: Box<Self>) -> io::Result<RecorderReport> {
        self.sink.write_frame(b"\n]}\n");
        self.sink.finish()
    }
}
