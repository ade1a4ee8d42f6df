//! The elfo export: every delivery (and injection) as an `In` line of the
//! receiving node, every send as an `Out` line of the sender, so a run's
//! trace can be read by anything that reads elfo dumps, flowreplay included.

use std::io;
use std::path::Path;

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::dump::{write_record, Direction, DumpRecord, RawBody};
use crate::model::{Body, MessageId, MessageKind, NodeId};
use crate::net::Topology;
use crate::trace::event::{EventKind, TraceEvent};
use crate::trace::recorder::{FileRecorder, LineSink, Recorder, RecorderReport};
use crate::trace::redact::BodyCapture;

/// Writes a run as elfo dump lines: groups are node names, `ts` is virtual
/// nanoseconds, `n` is 1, `s` counts per node, and `m` is the body when
/// bodies are captured (redacted), else `null`.
pub struct ElfoRecorder {
    nodes: Vec<CompactString>,
    capture: BodyCapture,
    sink: LineSink,
    seqs: Vec<u64>,
    /// Sends on their way, to become `In` lines when delivered.
    in_transit: FxHashMap<MessageId, DumpRecord>,
}

impl ElfoRecorder {
    /// Starts a dump that will land at `path`.
    pub fn create(path: &Path, topology: &Topology, capture: BodyCapture) -> io::Result<ElfoRecorder> {
        Ok(ElfoRecorder {
            nodes: topology.nodes.iter().map(|n| CompactString::from(&*n.name)).collect(),
            capture,
            sink: LineSink::create(path)?,
            seqs: vec![0; topology.nodes.len()],
            in_transit: FxHashMap::default(),
        })
    }

    fn body(&self, body: &Body) -> RawBody {
        self.capture.render(body).map_or_else(RawBody::null, |value| RawBody::from_value(&value))
    }

    fn emit(&mut self, node: NodeId, direction: Direction, mut record: DumpRecord) {
        let seq = &mut self.seqs[node.index()];
        *seq += 1;
        record.seq = *seq;
        record.group = self.nodes[node.index()].clone();
        record.direction = direction;
        self.sink.write(|out| write_record(out, &record));
    }
}

/// A record with the fields every line shares; group, seq and direction are
/// set when it is written.
fn record(event: &TraceEvent, name: &str, protocol: &str, kind: MessageKind, body: RawBody) -> DumpRecord {
    DumpRecord {
        ts_ns: event.at.as_nanos(),
        group: CompactString::default(),
        key: None,
        node: 1,
        seq: 0,
        trace_id: event.trace_id.0,
        thread: None,
        direction: Direction::In,
        class: None,
        name: name.into(),
        protocol: protocol.into(),
        kind,
        body,
        correlation: None,
    }
}

impl Recorder for ElfoRecorder {
    fn record(&mut self, event: &TraceEvent<'_>) {
        match &event.kind {
            EventKind::Inject { node, name, body, .. } => {
                let line = record(event, name, "", MessageKind::Regular, self.body(body));
                self.emit(*node, Direction::In, line);
            }
            EventKind::Send { from, name, body, protocol, message_kind, correlation, .. } => {
                let mut line = record(event, name, protocol, *message_kind, self.body(body));
                line.correlation = *correlation;
                self.in_transit.insert(event.message, line.clone());
                self.emit(from.0, Direction::Out, line);
            }
            EventKind::Deliver { node, .. } => {
                if let Some(mut line) = self.in_transit.remove(&event.message) {
                    line.ts_ns = event.at.as_nanos();
                    self.emit(*node, Direction::In, line);
                }
            }
            _ => {}
        }
    }

    fn report(&self) -> RecorderReport {
        self.sink.report()
    }
}

impl FileRecorder for ElfoRecorder {
    fn finish(self: Box<Self>) -> io::Result<RecorderReport> {
        self.sink.finish()
    }
}
