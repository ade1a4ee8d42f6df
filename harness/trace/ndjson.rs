//! The NDJSON trace format: one event per line.
//!
//! Each line is a JSON object with `seq`, `t_ns` (virtual nanoseconds),
//! `event` (the kind), `msg` (message id), `trace` (trace id), `parent` (the
//! causing event's `seq`, or null) and the kind's own fields: endpoints as
//! `"node.port"` strings, `name`, `size` (bytes), `checksum` (16 hex digits),
//! `q` (destination queue depth), `waited_ns`, `reason`, `permanent`.
//! Keys are written in a fixed order so the same run gives the same bytes.

use std::sync::Arc;

use serde::Serialize;

use crate::model::{InPort, NodeId, OutPort};
use crate::net::Topology;

use super::event::{EventKind, Phase, TraceEvent};

/// Node and port names, resolved once per trace.
pub(crate) struct Names {
    nodes: Vec<Arc<str>>,
    inputs: Vec<Vec<String>>,
    outputs: Vec<Vec<String>>,
}

impl Names {
    pub(crate) fn new(topology: &Topology) -> Names {
        let ids = 0..topology.nodes.len() as u32;
        Names {
            nodes: topology.nodes.iter().map(|n| n.name.clone()).collect(),
            inputs: ids
                .clone()
                .map(|n| {
                    let node = &topology.nodes[n as usize];
                    let mut ports: Vec<String> =
                        (0..node.inputs.len()).map(|p| topology.input_name(NodeId(n), InPort(p as u16))).collect();
                    ports.push(node.name.to_string());
                    ports
                })
                .collect(),
            outputs: ids
                .map(|n| {
                    let node = &topology.nodes[n as usize];
                    (0..node.outputs.len()).map(|p| topology.output_name(NodeId(n), OutPort(p as u16))).collect()
                })
                .collect(),
        }
    }

    fn node(&self, node: NodeId) -> &str {
        &self.nodes[node.index()]
    }

    fn input(&self, (node, port): (NodeId, InPort)) -> &str {
        let ports = &self.inputs[node.index()];
        ports.get(port.0 as usize).unwrap_or(&ports[ports.len() - 1])
    }

    fn output(&self, (node, port): (NodeId, OutPort)) -> &str {
        &self.outputs[node.index()][port.0 as usize]
    }
}

#[derive(Serialize)]
struct Line<'a> {
    seq: u64,
    t_ns: u64,
    event: &'static str,
    msg: u64,
    trace: u64,
    parent: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    q: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waited_ns: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permanent: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timer: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phase: Option<&'static str>,
}

/// Appends one event as a JSON line (with its trailing newline) to `out`.
pub(crate) fn write_event(out: &mut Vec<u8>, event: &TraceEvent, names: &Names) {
    let mut line = Line {
        seq: event.seq,
        t_ns: event.at.as_nanos(),
        event: event.kind.label(),
        msg: event.message.0,
        trace: event.trace_id.0,
        parent: event.parent,
        node: None,
        from: None,
        to: None,
        name: None,
        size: None,
        checksum: None,
        q: None,
        waited_ns: None,
        reason: None,
        permanent: None,
        timer: None,
        phase: None,
    };
    let nonzero = |n: u64| (n > 0).then_some(n);
    match &event.kind {
        EventKind::Inject { node, name, size_bytes, checksum, waited_ns } => {
            line.node = Some(names.node(*node));
            line.name = Some(name);
            line.size = Some(*size_bytes);
            line.checksum = Some(format!("{checksum:016x}"));
            line.waited_ns = nonzero(*waited_ns);
        }
        EventKind::Send { from, to, name, size_bytes, checksum, queue_depth, waited_ns, .. } => {
            line.from = Some(names.output(*from));
            line.to = Some(names.input(*to));
            line.name = Some(name);
            line.size = Some(*size_bytes);
            line.checksum = Some(format!("{checksum:016x}"));
            line.q = Some(*queue_depth);
            line.waited_ns = nonzero(*waited_ns);
        }
        EventKind::Blocked { from, to } => {
            line.from = Some(names.output(*from));
            line.to = Some(names.input(*to));
        }
        EventKind::Deliver { node, port } => line.to = Some(names.input((*node, *port))),
        EventKind::Ack { node, origin } => {
            line.node = Some(names.node(*node));
            line.from = Some(names.node(*origin));
        }
        EventKind::Nack { node, origin, reason, permanent } => {
            line.node = Some(names.node(*node));
            line.from = Some(names.node(*origin));
            line.reason = Some(reason);
            line.permanent = Some(*permanent);
        }
        EventKind::Timer { node, timer } => {
            line.node = Some(names.node(*node));
            line.timer = Some(timer.0);
        }
        EventKind::Export { node } | EventKind::Consume { node } => line.node = Some(names.node(*node)),
        EventKind::Drop { node, reason } => {
            line.node = Some(names.node(*node));
            line.reason = Some(reason);
        }
        EventKind::Reject { node, reason, permanent } => {
            line.node = Some(names.node(*node));
            line.reason = Some(reason);
            line.permanent = Some(*permanent);
        }
        EventKind::Lifecycle { node, phase } => {
            line.node = Some(names.node(*node));
            line.phase = Some(match phase {
                Phase::Start => "start",
                Phase::Stop => "stop",
            });
        }
    }
    // Serializing a plain struct of strings and integers into a Vec cannot fail.
    serde_json::to_writer(&mut *out, &line).unwrap_or_default();
    out.push(b'\n');
}
