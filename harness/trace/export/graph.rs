//! The data-flow graph export (DOT or Mermaid): nodes, and an edge wherever
//! messages went, labelled with per-name counts. It shares its drawing with
//! the graph inferred from a dump ([`InferredNetwork`]): injections are
//! external inputs, sends still in flight at the end are undelivered.

use std::io;
use std::path::Path;

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::dump::InferredNetwork;
use crate::model::MessageId;
use crate::net::Topology;
use crate::trace::event::{EventKind, TraceEvent};
use crate::trace::recorder::{FileRecorder, LineSink, Recorder, RecorderReport};

/// Which drawing language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Dot,
    Mermaid,
}

/// Counts what crossed each edge; draws the graph when finished.
pub struct GraphRecorder {
    nodes: Vec<CompactString>,
    network: InferredNetwork,
    /// Sends not yet delivered: sender and name.
    in_transit: FxHashMap<MessageId, (usize, CompactString)>,
    style: Style,
    sink: LineSink,
    events: u64,
}

impl GraphRecorder {
    pub(super) fn create(path: &Path, topology: &Topology, style: Style) -> io::Result<GraphRecorder> {
        let nodes: Vec<CompactString> = topology.nodes.iter().map(|n| CompactString::from(&*n.name)).collect();
        let mut groups = nodes.clone();
        groups.sort();
        let network = InferredNetwork { groups, ..InferredNetwork::default() };
        Ok(GraphRecorder {
            nodes,
            network,
            in_transit: FxHashMap::default(),
            style,
            sink: LineSink::create(path)?,
            events: 0,
        })
    }
}

impl Recorder for GraphRecorder {
    fn record(&mut self, event: &TraceEvent<'_>) {
        self.events += 1;
        match &event.kind {
            EventKind::Inject { node, name, .. } => {
                self.network.external.entry(self.nodes[node.index()].clone()).or_default().add(name);
            }
            EventKind::Send { from, to, name, .. } => {
                let edge = (self.nodes[from.0.index()].clone(), self.nodes[to.0.index()].clone());
                self.network.edges.entry(edge).or_default().add(name);
                self.in_transit.insert(event.message, (from.0.index(), CompactString::from(&name[..])));
            }
            EventKind::Deliver { .. } => {
                self.in_transit.remove(&event.message);
            }
            _ => {}
        }
    }

    fn report(&self) -> RecorderReport {
        RecorderReport { recorded: self.events, ..self.sink.report() }
    }
}

impl FileRecorder for GraphRecorder {
    fn finish(mut self: Box<Self>) -> io::Result<RecorderReport> {
        let mut stranded: Vec<_> = self.in_transit.drain().collect();
        stranded.sort_by_key(|(id, _)| *id);
        for (_, (sender, name)) in stranded {
            self.network.undelivered.entry(self.nodes[sender].clone()).or_default().add(&name);
        }
        let text = match self.style {
            Style::Dot => self.network.to_dot(),
            Style::Mermaid => self.network.to_mermaid(),
        };
        self.sink.write_frame(text.as_bytes());
        let events = self.events;
        let report = self.sink.finish()?;
        Ok(RecorderReport { recorded: events, ..report })
    }
}
