//! The trace as it is written, read back and analysed: one event per line,
//! with node and port names in place of ids.
//!
//! A [`TraceEvent`] names nodes and ports by number, which only means
//! something next to its topology. A [`TraceLine`] carries the names
//! (`"node.port"`), so a trace file stands alone: metrics, lineage and diffs
//! work the same on a live run and on a file written last week.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{InPort, NodeId, OutPort};
use crate::net::Topology;

use super::event::{EventKind, Phase, TraceEvent};
use super::redact::BodyCapture;

/// One trace event with names resolved. Borrowed from the topology's names
/// when made from a live event, owned when read from a file.
///
/// The NDJSON trace format is this struct, one JSON object per line, keys in
/// this order, absent fields left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceLine<'a> {
    /// Position in the trace, from 0.
    pub seq: u64,
    /// Virtual time in nanoseconds.
    pub t_ns: u64,
    /// The kind: `inject`, `send`, `deliver`, … (see [`EventKind::label`]).
    pub event: Cow<'a, str>,
    /// The message id (0 for node lifecycle and timer events).
    pub msg: u64,
    /// The trace id.
    pub trace: u64,
    /// The `seq` of the causing event.
    pub parent: Option<u64>,
    /// The node concerned (inject, ack, nack, timer, terminal and lifecycle events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<Cow<'a, str>>,
    /// The sending `node.port` (send, blocked), or the node an ack or nack came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Cow<'a, str>>,
    /// The receiving `node.port` (send, blocked, deliver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Cow<'a, str>>,
    /// Message name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Cow<'a, str>>,
    /// Message size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// Body checksum (xxh3-64, written as 16 hex digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// Messages in transit to or queued at the destination, this one included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<u32>,
    /// How long the sender waited for room (backpressure), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_ns: Option<u64>,
    /// Why (nack, drop, reject, fault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Cow<'a, str>>,
    /// Whether retrying cannot help (nack, reject).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permanent: Option<bool>,
    /// The timer's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<u64>,
    /// `start` or `stop` (lifecycle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Cow<'a, str>>,
    /// The body, when body capture is on (redacted fields read `"<hidden>"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

/// A body checksum, written as 16 hex digits so it survives any JSON reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Checksum(pub u64);

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for Checksum {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Checksum {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        match u64::from_str_radix(&text, 16) {
            Ok(value) if text.len() == 16 => Ok(Checksum(value)),
            _ => Err(serde::de::Error::custom(format!("expected 16 hex digits, found {text:?}"))),
        }
    }
}

/// Node and port names of one topology, resolved once per trace.
pub struct Names {
    nodes: Vec<Arc<str>>,
    inputs: Vec<Vec<String>>,
    outputs: Vec<Vec<String>>,
}

impl Names {
    /// The names of `topology`'s nodes and ports.
    pub fn new(topology: &Topology) -> Names {
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

    /// A node's name.
    pub fn node(&self, node: NodeId) -> &str {
        &self.nodes[node.index()]
    }

    /// `node.port` of an input (the node alone for a receiver's injection).
    pub fn input(&self, (node, port): (NodeId, InPort)) -> &str {
        let ports = &self.inputs[node.index()];
        ports.get(port.0 as usize).unwrap_or(&ports[ports.len() - 1])
    }

    /// `node.port` of an output.
    pub fn output(&self, (node, port): (NodeId, OutPort)) -> &str {
        &self.outputs[node.index()][port.0 as usize]
    }

    /// The node's name from a `node.port` or bare node name this table made
    /// (ports have no dots; node ids may).
    pub fn node_of(endpoint: &str) -> &str {
        endpoint.rsplit_once('.').map_or(endpoint, |(node, _)| node)
    }
}

impl<'a> TraceLine<'a> {
    /// The line for `event`, with names from `names`; the body is included
    /// (and redacted) as `capture` says.
    pub fn of(event: &'a TraceEvent, names: &'a Names, capture: &BodyCapture) -> TraceLine<'a> {
        let mut line = TraceLine {
            seq: event.seq,
            t_ns: event.at.as_nanos(),
            event: Cow::Borrowed(event.kind.label()),
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
            body: None,
        };
        let nonzero = |n: u64| (n > 0).then_some(n);
        let text = |s: &'a str| Some(Cow::Borrowed(s));
        let shared = |s: &'a Arc<str>| Some(Cow::Borrowed(&**s));
        match &event.kind {
            EventKind::Inject { node, name, size_bytes, checksum, body, waited_ns } => {
                line.node = text(names.node(*node));
                line.name = text(name);
                line.size = Some(*size_bytes);
                line.checksum = Some(Checksum(*checksum));
                line.waited_ns = nonzero(*waited_ns);
                line.body = capture.render(body);
            }
            EventKind::Send { from, to, name, size_bytes, checksum, queue_depth, waited_ns, body, .. } => {
                line.from = text(names.output(*from));
                line.to = text(names.input(*to));
                line.name = text(name);
                line.size = Some(*size_bytes);
                line.checksum = Some(Checksum(*checksum));
                line.q = Some(*queue_depth);
                line.waited_ns = nonzero(*waited_ns);
                line.body = capture.render(body);
            }
            EventKind::Blocked { from, to } => {
                line.from = text(names.output(*from));
                line.to = text(names.input(*to));
            }
            EventKind::Deliver { node, port } => line.to = text(names.input((*node, *port))),
            EventKind::Ack { node, origin } => {
                line.node = text(names.node(*node));
                line.from = text(names.node(*origin));
            }
            EventKind::Nack { node, origin, reason, permanent } => {
                line.node = text(names.node(*node));
                line.from = text(names.node(*origin));
                line.reason = shared(reason);
                line.permanent = Some(*permanent);
            }
            EventKind::Timer { node, timer } => {
                line.node = text(names.node(*node));
                line.timer = Some(timer.0);
            }
            EventKind::Export { node } | EventKind::Consume { node } | EventKind::Batch { node } => {
                line.node = text(names.node(*node))
            }
            EventKind::Drop { node, reason }
            | EventKind::Fault { node, reason }
            | EventKind::Discard { node, reason }
            | EventKind::Lose { node, reason } => {
                line.node = text(names.node(*node));
                line.reason = shared(reason);
            }
            EventKind::Reject { node, reason, permanent } => {
                line.node = text(names.node(*node));
                line.reason = shared(reason);
                line.permanent = Some(*permanent);
            }
            EventKind::Lifecycle { node, phase } => {
                line.node = text(names.node(*node));
                line.phase = Some(Cow::Borrowed(phase.label()));
            }
        }
        line
    }

    /// The node where this event happened: the node named, else the
    /// receiving end of a delivery, else the sender of a send.
    pub fn place(&self) -> Option<&str> {
        if let Some(node) = &self.node {
            return Some(node);
        }
        let endpoint = if self.event == "send" || self.event == "blocked" { &self.from } else { &self.to };
        endpoint.as_deref().map(Names::node_of)
    }

    /// `from -> to` for sends and blocked sends.
    pub fn edge(&self) -> Option<(&str, &str)> {
        Some((self.from.as_deref()?, self.to.as_deref()?)).filter(|_| self.event == "send" || self.event == "blocked")
    }

    /// Whether this event ends a message's life.
    pub fn is_terminal(&self) -> bool {
        matches!(&*self.event, "export" | "drop" | "reject" | "consume" | "discard" | "lose" | "batch")
    }

    /// A copy that owns its strings.
    pub fn into_owned(self) -> TraceLine<'static> {
        let own = |c: Option<Cow<'a, str>>| c.map(|c| Cow::Owned(c.into_owned()));
        TraceLine {
            seq: self.seq,
            t_ns: self.t_ns,
            event: Cow::Owned(self.event.into_owned()),
            msg: self.msg,
            trace: self.trace,
            parent: self.parent,
            node: own(self.node),
            from: own(self.from),
            to: own(self.to),
            name: own(self.name),
            size: self.size,
            checksum: self.checksum,
            q: self.q,
            waited_ns: self.waited_ns,
            reason: own(self.reason),
            permanent: self.permanent,
            timer: self.timer,
            phase: own(self.phase),
            body: self.body,
        }
    }
}

impl Phase {
    /// The phase as written in traces.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Start => "start",
            Phase::Stop => "stop",
            Phase::Crash => "crash",
            Phase::Restart => "restart",
        }
    }
}
