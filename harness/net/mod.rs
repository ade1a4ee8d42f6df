//! The network: topology, ports, connectors, the actor traits, control
//! signals and the built-in nodes.
//!
//! Nothing here knows about the scheduler: actors express what they do as
//! [`Effect`]s on a [`Context`], which the `sim` layer applies.

mod actor;
mod context;
mod latency;
pub mod nodes;
mod signal;
mod topology;
mod workload;

pub use actor::{Actor, AsyncActor, Behaviour, HandlerFuture, Service};
pub use context::{AsyncContext, Context, Effect, Outcome, Owed};
pub(crate) use context::{AsyncLog, AsyncRecord, Caller, Counters};
pub use latency::Latency;
pub use nodes::{NodeBuild, Registry, Role, DEADLINE_HEADER};
pub use signal::{NackReason, Receipt, Signal, TimerId};
pub use topology::{
    edge_label, normalized_edge, Connector, ConnectorSpec, Culprit, Network, NetworkSpec, NodeInfo, NodeSpec, Topology,
    TopologyError,
};
pub use workload::{Arrival, Arrivals, MessageTemplate, Rate, Source, Workload};
