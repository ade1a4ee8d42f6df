//! Topologies: nodes with named ports wired by connectors, validated before a
//! run, and numbered densely so the scheduler indexes vectors, not maps.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{InPort, Nanos, NodeId, OutPort};

use super::actor::Behaviour;
use super::latency::Latency;
use super::nodes::{Registry, Role};
use super::workload::Arrivals;

/// A node as declared, before its kind is looked up.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    /// Unique id, used in connector endpoints (`id.port`).
    pub id: String,
    /// Kind name, looked up in the [`Registry`].
    pub kind: String,
    /// Kind-specific configuration (`null` for none).
    pub config: serde_json::Value,
    /// Mailbox capacity: messages in transit to or queued at the node.
    pub mailbox: u32,
    /// Virtual time the node spends on each message before handling it.
    pub service_time: Nanos,
}

impl NodeSpec {
    /// Default mailbox capacity.
    pub const DEFAULT_MAILBOX: u32 = 1024;
}

/// A connector as declared: `from = "node.port"`, `to = "node.port"`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorSpec {
    /// Source endpoint `node.port` (an output port).
    pub from: String,
    /// Destination endpoint `node.port` (an input port).
    pub to: String,
    /// How long crossing takes.
    pub latency: Latency,
}

impl ConnectorSpec {
    /// The connector as the summary and faults write it: `a.out -> b.in`.
    pub fn label(&self) -> String {
        edge_label(&self.from, &self.to)
    }
}

/// An edge as summaries, traces, faults and `[expect]` write it:
/// `a.out -> b.in`.
pub fn edge_label(from: &str, to: &str) -> String {
    format!("{from} -> {to}")
}

/// An edge as written by hand (`a.out->b.in`, spaces optional) in the form
/// [`edge_label`] gives; none without an arrow.
pub fn normalized_edge(written: &str) -> Option<String> {
    let (from, to) = written.split_once("->")?;
    Some(edge_label(from.trim(), to.trim()))
}

/// A whole network as declared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkSpec {
    /// Nodes, in declaration order (their [`NodeId`]s follow it).
    pub nodes: Vec<NodeSpec>,
    /// Connectors, in declaration order.
    pub connectors: Vec<ConnectorSpec>,
    /// Accept cycles (request/response between actors, as a replayed dump
    /// has). Scenarios are dataflow graphs and refuse them. With cycles, the
    /// shutdown order puts the nodes on cycles in declaration order after
    /// everything upstream of them.
    pub cycles_allowed: bool,
}

/// Which declaration a topology error is about, by index in the [`NetworkSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Culprit {
    /// `nodes[i]`.
    Node(usize),
    /// `connectors[i]`.
    Connector(usize),
}

/// Why a network cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    /// Two nodes share an id.
    #[error("duplicate node id {id:?} (first declared as node {first})")]
    DuplicateNode {
        /// The id.
        id: String,
        /// Index of the first declaration.
        first: usize,
        /// Index of the repeat.
        node: usize,
    },
    /// No such node kind.
    #[error("node {id:?}: unknown node kind {kind:?}{}", suggest(.suggestion, .known))]
    UnknownKind {
        /// Node id.
        id: String,
        /// The kind asked for.
        kind: String,
        /// The closest known kind.
        suggestion: Option<String>,
        /// Every known kind.
        known: Vec<String>,
        /// Node index.
        node: usize,
    },
    /// The kind rejected its configuration.
    #[error("node {id:?} ({kind}): {message}")]
    BadConfig {
        /// Node id.
        id: String,
        /// Its kind.
        kind: String,
        /// What is wrong.
        message: String,
        /// Node index.
        node: usize,
    },
    /// An endpoint is not `node.port`.
    #[error("connector {endpoint:?}: expected \"node.port\"")]
    BadEndpoint {
        /// The endpoint text.
        endpoint: String,
        /// Connector index.
        connector: usize,
    },
    /// An endpoint names a node that does not exist.
    #[error("connector {from} -> {to}: unknown node {node:?}{}", suggest(.suggestion, &[]))]
    UnknownNode {
        /// Source endpoint.
        from: String,
        /// Destination endpoint.
        to: String,
        /// The missing node.
        node: String,
        /// The closest node id.
        suggestion: Option<String>,
        /// Connector index.
        connector: usize,
    },
    /// An endpoint names a port the node does not have.
    #[error("connector {from} -> {to}: node {node:?} has no {direction} port {port:?} (its {direction} ports: {})", list(.available))]
    UnknownPort {
        /// Source endpoint.
        from: String,
        /// Destination endpoint.
        to: String,
        /// The node.
        node: String,
        /// The missing port.
        port: String,
        /// `input` or `output`.
        direction: &'static str,
        /// The ports it has.
        available: Vec<String>,
        /// Connector index.
        connector: usize,
    },
    /// One output port has two connectors.
    #[error(
        "connector {from} -> {to}: output {from} is already wired (to {other}); an output port takes one connector"
    )]
    OutputWiredTwice {
        /// Source endpoint.
        from: String,
        /// Destination endpoint.
        to: String,
        /// Where the first connector goes.
        other: String,
        /// Connector index.
        connector: usize,
    },
    /// An input port nothing is wired to.
    #[error("node {id:?}: input port {port:?} is not connected")]
    UnconnectedInput {
        /// Node id.
        id: String,
        /// The port.
        port: String,
        /// Node index.
        node: usize,
    },
    /// An output port nothing is wired from.
    #[error("node {id:?}: output port {port:?} is not connected")]
    UnconnectedOutput {
        /// Node id.
        id: String,
        /// The port.
        port: String,
        /// Node index.
        node: usize,
    },
    /// The graph has a cycle.
    #[error("cycle: {} (a topology must be acyclic, unless a scenario sets `allow_cycles = true`)", .path.join(" -> "))]
    Cycle {
        /// Node ids around the cycle, first repeated at the end.
        path: Vec<String>,
        /// A connector on the cycle.
        connector: usize,
    },
    /// A connector's latency model is unusable.
    #[error("connector {from} -> {to}: {message}")]
    BadLatency {
        /// Source endpoint.
        from: String,
        /// Destination endpoint.
        to: String,
        /// What is wrong.
        message: String,
        /// Connector index.
        connector: usize,
    },
    /// The network has no receiver, so nothing would ever happen.
    #[error("the network has no receiver: add a node of kind \"receiver\" with a workload")]
    NoReceiver,
}

fn suggest(suggestion: &Option<String>, known: &[String]) -> String {
    match (suggestion, known.is_empty()) {
        (Some(s), _) => format!(" (did you mean {s:?}? registered kinds: {})", known.join(", ")),
        (None, false) => format!(" (registered kinds: {})", known.join(", ")),
        (None, true) => String::new(),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

impl TopologyError {
    /// The declaration the error is about, if it is about one.
    pub fn culprit(&self) -> Option<Culprit> {
        use TopologyError::*;
        match self {
            DuplicateNode { node, .. } | UnknownKind { node, .. } | BadConfig { node, .. } => {
                Some(Culprit::Node(*node))
            }
            UnconnectedInput { node, .. } | UnconnectedOutput { node, .. } => Some(Culprit::Node(*node)),
            BadEndpoint { connector, .. } | UnknownNode { connector, .. } | UnknownPort { connector, .. } => {
                Some(Culprit::Connector(*connector))
            }
            OutputWiredTwice { connector, .. } | Cycle { connector, .. } | BadLatency { connector, .. } => {
                Some(Culprit::Connector(*connector))
            }
            NoReceiver => None,
        }
    }
}

/// A validated node.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// Its id.
    pub name: Arc<str>,
    /// Its kind.
    pub kind: String,
    /// Its role.
    pub role: Role,
    /// Input port names.
    pub inputs: Vec<Arc<str>>,
    /// Output port names.
    pub outputs: Arc<[Arc<str>]>,
    /// Mailbox capacity.
    pub mailbox: u32,
    /// Service time per message.
    pub service_time: Nanos,
}

/// A validated connector.
#[derive(Debug, Clone)]
pub struct Connector {
    /// Source node and output port.
    pub from: (NodeId, OutPort),
    /// Destination node and input port.
    pub to: (NodeId, InPort),
    /// Latency model.
    pub latency: Latency,
}

/// A validated, acyclic topology.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Nodes by [`NodeId`].
    pub nodes: Vec<NodeInfo>,
    /// Connectors by index.
    pub connectors: Vec<Connector>,
    /// For each node and output port, the connector leaving it.
    pub wiring: Vec<Vec<usize>>,
    /// Node ids in topological order (sources first; ties in declaration order).
    pub order: Vec<NodeId>,
}

impl Topology {
    /// A connector as the summary and faults write it: `a.out -> b.in`.
    pub fn edge_name(&self, connector: usize) -> String {
        let c = &self.connectors[connector];
        edge_label(&self.output_name(c.from.0, c.from.1), &self.input_name(c.to.0, c.to.1))
    }

    /// `node.port` for an output port.
    pub fn output_name(&self, node: NodeId, port: OutPort) -> String {
        let info = &self.nodes[node.index()];
        format!("{}.{}", info.name, info.outputs[port.0 as usize])
    }

    /// `node.port` for an input port (`node` alone for a receiver's injection).
    pub fn input_name(&self, node: NodeId, port: InPort) -> String {
        let info = &self.nodes[node.index()];
        match info.inputs.get(port.0 as usize) {
            Some(p) => format!("{}.{p}", info.name),
            None => info.name.to_string(),
        }
    }
}

/// A built network: the topology plus each node's behaviour and workload.
pub struct Network {
    /// The validated topology.
    pub topology: Topology,
    /// Behaviours by [`NodeId`].
    pub behaviours: Vec<Behaviour>,
    /// What each receiver injects, by [`NodeId`] (`None` for other nodes).
    pub arrivals: Vec<Option<Box<dyn Arrivals>>>,
}

// Building a topology happens once per run, so a large error type costs nothing.
#[allow(clippy::result_large_err)]
impl NetworkSpec {
    /// Builds the network: looks up each kind, checks every connector and
    /// port, and rejects cycles and unconnected ports.
    pub fn build(&self, registry: &Registry) -> Result<Network, TopologyError> {
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        let mut nodes = Vec::with_capacity(self.nodes.len());
        let mut behaviours = Vec::with_capacity(self.nodes.len());
        let mut arrivals = Vec::with_capacity(self.nodes.len());
        for (index, spec) in self.nodes.iter().enumerate() {
            if let Some(&first) = ids.get(spec.id.as_str()) {
                return Err(TopologyError::DuplicateNode { id: spec.id.clone(), first, node: index });
            }
            ids.insert(&spec.id, index);
            let factory = registry.factory(&spec.kind).ok_or_else(|| TopologyError::UnknownKind {
                id: spec.id.clone(),
                kind: spec.kind.clone(),
                suggestion: closest(&spec.kind, registry.kinds()),
                known: registry.kinds().map(String::from).collect(),
                node: index,
            })?;
            if spec.mailbox == 0 {
                let message = "mailbox must hold at least 1 message".to_string();
                return Err(TopologyError::BadConfig {
                    id: spec.id.clone(),
                    kind: spec.kind.clone(),
                    message,
                    node: index,
                });
            }
            let build = factory(&spec.config).map_err(|message| TopologyError::BadConfig {
                id: spec.id.clone(),
                kind: spec.kind.clone(),
                message,
                node: index,
            })?;
            nodes.push(NodeInfo {
                name: Arc::from(spec.id.as_str()),
                kind: spec.kind.clone(),
                role: build.role,
                inputs: build.inputs.iter().map(|p| Arc::from(p.as_str())).collect(),
                outputs: build.outputs.iter().map(|p| Arc::from(p.as_str())).collect(),
                mailbox: spec.mailbox,
                service_time: spec.service_time,
            });
            behaviours.push(build.behaviour);
            arrivals.push(build.arrivals);
        }
        if !nodes.iter().any(|n| n.role == Role::Receiver) {
            return Err(TopologyError::NoReceiver);
        }
        let connectors = self.wire(&ids, &nodes)?;
        let mut wiring: Vec<Vec<usize>> = nodes.iter().map(|n| vec![usize::MAX; n.outputs.len()]).collect();
        let mut fed = vec![Vec::new(); nodes.len()];
        for (index, c) in connectors.iter().enumerate() {
            wiring[c.from.0.index()][c.from.1 .0 as usize] = index;
            fed[c.to.0.index()].push(c.to.1);
        }
        for (index, node) in nodes.iter().enumerate() {
            if let Some(port) = node.inputs.iter().enumerate().find(|(i, _)| !fed[index].contains(&InPort(*i as u16))) {
                return Err(TopologyError::UnconnectedInput {
                    id: node.name.to_string(),
                    port: port.1.to_string(),
                    node: index,
                });
            }
            if let Some(i) = wiring[index].iter().position(|&c| c == usize::MAX) {
                let port = node.outputs[i].to_string();
                return Err(TopologyError::UnconnectedOutput { id: node.name.to_string(), port, node: index });
            }
        }
        let order = match topological_order(&nodes, &connectors) {
            Err(TopologyError::Cycle { .. }) if self.cycles_allowed => sources_first(&nodes, &connectors),
            result => result?,
        };
        Ok(Network { topology: Topology { nodes, connectors, wiring, order }, behaviours, arrivals })
    }

    fn wire(&self, ids: &BTreeMap<&str, usize>, nodes: &[NodeInfo]) -> Result<Vec<Connector>, TopologyError> {
        let mut used: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        let mut connectors = Vec::with_capacity(self.connectors.len());
        for (index, spec) in self.connectors.iter().enumerate() {
            let endpoint = |text: &str, direction: &'static str| -> Result<(usize, usize), TopologyError> {
                let (node, port) = text
                    .rsplit_once('.')
                    .filter(|(n, p)| !n.is_empty() && !p.is_empty())
                    .ok_or_else(|| TopologyError::BadEndpoint { endpoint: text.to_string(), connector: index })?;
                let &n = ids.get(node).ok_or_else(|| TopologyError::UnknownNode {
                    from: spec.from.clone(),
                    to: spec.to.clone(),
                    node: node.to_string(),
                    suggestion: closest(node, ids.keys().copied()),
                    connector: index,
                })?;
                let ports: &[Arc<str>] = if direction == "input" { &nodes[n].inputs } else { &nodes[n].outputs };
                let p = ports.iter().position(|p| &**p == port).ok_or_else(|| TopologyError::UnknownPort {
                    from: spec.from.clone(),
                    to: spec.to.clone(),
                    node: node.to_string(),
                    port: port.to_string(),
                    direction,
                    available: ports.iter().map(|p| p.to_string()).collect(),
                    connector: index,
                })?;
                Ok((n, p))
            };
            let from = endpoint(&spec.from, "output")?;
            let to = endpoint(&spec.to, "input")?;
            if let Some(&other) = used.get(&from) {
                return Err(TopologyError::OutputWiredTwice {
                    from: spec.from.clone(),
                    to: spec.to.clone(),
                    other: self.connectors[other].to.clone(),
                    connector: index,
                });
            }
            used.insert(from, index);
            if let Some(message) = spec.latency.problem() {
                return Err(TopologyError::BadLatency {
                    from: spec.from.clone(),
                    to: spec.to.clone(),
                    message,
                    connector: index,
                });
            }
            connectors.push(Connector {
                from: (NodeId(from.0 as u32), OutPort(from.1 as u16)),
                to: (NodeId(to.0 as u32), InPort(to.1 as u16)),
                latency: spec.latency,
            });
        }
        Ok(connectors)
    }
}

#[allow(clippy::result_large_err)]
/// Kahn's algorithm, taking ready nodes lowest id first so the order is the
/// same on every run; a leftover node means a cycle, which is then traced.
fn topological_order(nodes: &[NodeInfo], connectors: &[Connector]) -> Result<Vec<NodeId>, TopologyError> {
    let mut indegree = vec![0usize; nodes.len()];
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); nodes.len()];
    for (index, c) in connectors.iter().enumerate() {
        indegree[c.to.0.index()] += 1;
        out[c.from.0.index()].push((c.to.0.index(), index));
    }
    let mut ready: std::collections::BTreeSet<usize> = (0..nodes.len()).filter(|&n| indegree[n] == 0).collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(n) = ready.pop_first() {
        order.push(NodeId(n as u32));
        for &(next, _) in &out[n] {
            indegree[next] -= 1;
            if indegree[next] == 0 {
                ready.insert(next);
            }
        }
    }
    if order.len() == nodes.len() {
        return Ok(order);
    }
    // A leftover node has a leftover predecessor; walking predecessors must
    // come back to a node already seen, and the walk from there is a cycle.
    let mut into: Vec<Vec<(usize, usize)>> = vec![Vec::new(); nodes.len()];
    for (index, c) in connectors.iter().enumerate() {
        into[c.to.0.index()].push((c.from.0.index(), index));
    }
    let start = (0..nodes.len()).find(|&n| indegree[n] > 0).unwrap_or_default();
    let mut path = vec![start];
    let mut via = Vec::new();
    while let Some(&(previous, connector)) = into[*path.last().unwrap_or(&start)].iter().find(|(p, _)| indegree[*p] > 0)
    {
        via.push(connector);
        if let Some(at) = path.iter().position(|&n| n == previous) {
            let mut cycle: Vec<String> = path[at..].iter().rev().map(|&n| nodes[n].name.to_string()).collect();
            cycle.insert(0, nodes[previous].name.to_string());
            return Err(TopologyError::Cycle { path: cycle, connector });
        }
        path.push(previous);
    }
    let names = path.iter().map(|&n| nodes[n].name.to_string()).collect();
    Err(TopologyError::Cycle { path: names, connector: via.last().copied().unwrap_or_default() })
}

/// An order for a graph with cycles: Kahn's order for what it reaches, then
/// the nodes on (or behind) cycles in declaration order.
fn sources_first(nodes: &[NodeInfo], connectors: &[Connector]) -> Vec<NodeId> {
    let mut indegree = vec![0usize; nodes.len()];
    for c in connectors {
        indegree[c.to.0.index()] += 1;
    }
    let mut order: Vec<NodeId> = Vec::with_capacity(nodes.len());
    let mut placed = vec![false; nodes.len()];
    let mut ready: std::collections::BTreeSet<usize> = (0..nodes.len()).filter(|&n| indegree[n] == 0).collect();
    loop {
        while let Some(n) = ready.pop_first() {
            placed[n] = true;
            order.push(NodeId(n as u32));
            for c in connectors.iter().filter(|c| c.from.0.index() == n) {
                let next = c.to.0.index();
                indegree[next] = indegree[next].saturating_sub(1);
                if indegree[next] == 0 && !placed[next] {
                    ready.insert(next);
                }
            }
        }
        match (0..nodes.len()).find(|&n| !placed[n]) {
            Some(n) => {
                indegree[n] = 0;
                ready.insert(n);
            }
            None => return order,
        }
    }
}

/// The known name closest to `wanted`, if one is close enough to be a typo.
fn closest<'a>(wanted: &str, known: impl Iterator<Item = &'a str>) -> Option<String> {
    known
        .map(|k| (strsim::damerau_levenshtein(wanted, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k.to_string())
}
