//! Node kinds: the built-in ones and the registry that maps a kind name to a
//! constructor, so user code can add kinds of its own.

mod ack_controller;
mod batch;
mod content_router;
mod deadline;
mod delay;
mod exporter;
mod failover_router;
mod filter;
mod map;
mod matcher;
mod receiver;
mod replica;
mod retry;
mod sampling;
mod type_router;

use std::collections::BTreeMap;

use super::actor::Behaviour;
use super::workload::Arrivals;

pub use deadline::{deadline_of, DEADLINE_HEADER};
pub use matcher::Condition;

/// What part a node plays in the data flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A source: injects a workload (or recorded inputs).
    Receiver,
    /// Transforms, routes or filters.
    Processor,
    /// A sink.
    Exporter,
}

/// What a node-kind constructor returns: the behaviour and its ports.
pub struct NodeBuild {
    /// The actor.
    pub behaviour: Behaviour,
    /// Its role.
    pub role: Role,
    /// Input port names, in port order.
    pub inputs: Vec<String>,
    /// Output port names, in port order.
    pub outputs: Vec<String>,
    /// For receivers, what they inject.
    pub arrivals: Option<Box<dyn Arrivals>>,
}

impl NodeBuild {
    /// A processor with the given ports and a synchronous actor: the usual way
    /// to register a kind of your own. Port names are any strings (`&str`,
    /// or the `String`s a replay binding is handed).
    pub fn processor<S: AsRef<str>, T: AsRef<str>>(
        actor: impl super::Actor + 'static,
        inputs: &[S],
        outputs: &[T],
    ) -> NodeBuild {
        NodeBuild::with_ports(Behaviour::Sync(Box::new(actor)), inputs, outputs)
    }

    /// A processor whose message handler is async (see [`AsyncActor`](super::AsyncActor)).
    pub fn async_processor<S: AsRef<str>, T: AsRef<str>>(
        actor: impl super::AsyncActor + 'static,
        inputs: &[S],
        outputs: &[T],
    ) -> NodeBuild {
        NodeBuild::with_ports(Behaviour::Async(Box::new(actor)), inputs, outputs)
    }

    /// A node run by a long-lived [`Service`](super::Service).
    pub fn service<S: AsRef<str>, T: AsRef<str>>(
        service: impl super::Service + 'static,
        inputs: &[S],
        outputs: &[T],
    ) -> NodeBuild {
        NodeBuild::with_ports(Behaviour::Service(Box::new(service)), inputs, outputs)
    }

    fn with_ports(behaviour: Behaviour, inputs: &[impl AsRef<str>], outputs: &[impl AsRef<str>]) -> NodeBuild {
        NodeBuild {
            behaviour,
            role: Role::Processor,
            inputs: inputs.iter().map(|s| s.as_ref().to_string()).collect(),
            outputs: outputs.iter().map(|s| s.as_ref().to_string()).collect(),
            arrivals: None,
        }
    }
}

/// Builds a node from its JSON configuration, or says what is wrong with it.
/// Shared, so that a registry can be cloned into a replay's bindings.
pub type NodeFactory = std::rc::Rc<dyn Fn(&serde_json::Value) -> Result<NodeBuild, String>>;

/// The node kinds a network can be built from.
///
/// ```
/// use flowreplay::{Actor, Context, InPort, Message, NodeBuild, Registry};
///
/// struct Upper;
/// impl Actor for Upper {
///     fn on_message(&mut self, ctx: &mut Context<'_>, _: InPort, msg: Message) {
///         ctx.send("out", msg);
///     }
/// }
/// let mut registry = Registry::builtin();
/// registry.register("upper", |_config| Ok(NodeBuild::processor(Upper, &["in"], &["out"])));
/// assert!(registry.kinds().any(|k| k == "upper"));
/// ```
#[derive(Clone)]
pub struct Registry {
    factories: BTreeMap<String, NodeFactory>,
}

impl Registry {
    /// The built-in kinds: `receiver`, `exporter`, `filter`, `type_router`,
    /// `content_router`, `failover_router`, `batch`, `retry`,
    /// `ack_controller`, `sampling`, `deadline`, `replica`, `delay`, `map`.
    pub fn builtin() -> Registry {
        let mut registry = Registry { factories: BTreeMap::new() };
        registry
            .register("receiver", receiver::build)
            .register("exporter", exporter::build)
            .register("filter", filter::build)
            .register("type_router", type_router::build)
            .register("content_router", content_router::build)
            .register("failover_router", failover_router::build)
            .register("batch", batch::build)
            .register("retry", retry::build)
            .register("ack_controller", ack_controller::build)
            .register("sampling", sampling::build)
            .register("deadline", deadline::build)
            .register("replica", replica::build)
            .register("delay", delay::build)
            .register("map", map::build);
        registry
    }

    /// Adds (or replaces) a kind.
    pub fn register(
        &mut self,
        kind: &str,
        factory: impl Fn(&serde_json::Value) -> Result<NodeBuild, String> + 'static,
    ) -> &mut Self {
        self.factories.insert(kind.to_string(), std::rc::Rc::new(factory));
        self
    }

    /// The kind names, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    pub(crate) fn factory(&self, kind: &str) -> Option<&NodeFactory> {
        self.factories.get(kind)
    }
}

/// A router's node: one input, and one output per distinct port it names,
/// sorted; `build` gets the port number of each name.
fn router(
    names: impl IntoIterator<Item = String>,
    build: impl FnOnce(&dyn Fn(&str) -> crate::model::OutPort) -> Box<dyn super::Actor>,
) -> NodeBuild {
    let mut outputs: Vec<String> = names.into_iter().collect();
    outputs.sort();
    outputs.dedup();
    let port = |name: &str| crate::model::OutPort(outputs.iter().position(|p| p == name).unwrap_or_default() as u16);
    let behaviour = Behaviour::Sync(build(&port));
    NodeBuild { behaviour, role: Role::Processor, inputs: vec!["in".into()], outputs, arrivals: None }
}

/// Messages a node holds on timers, each for a time drawn from a latency
/// model: the delay's hold and the ack controller's work. Messages do not
/// wait for one another: a short draw overtakes a long one.
#[derive(Default)]
struct HeldOnTimers(std::collections::BTreeMap<super::TimerId, crate::model::Message>);

impl HeldOnTimers {
    /// Holds `msg` for a draw from `time`; gives it back at once when the draw is zero.
    fn hold(
        &mut self,
        ctx: &mut super::Context<'_>,
        time: &super::Latency,
        msg: crate::model::Message,
    ) -> Option<crate::model::Message> {
        let hold = time.sample(ctx.rng());
        if hold == crate::model::Nanos::ZERO {
            return Some(msg);
        }
        let timer = ctx.set_timer(hold);
        self.0.insert(timer, msg);
        None
    }

    /// The message whose timer fired, if it was one of these.
    fn release(&mut self, timer: super::TimerId) -> Option<crate::model::Message> {
        self.0.remove(&timer)
    }
}

/// Deserializes a kind's typed configuration; a missing config is an empty table.
fn parse_config<T: serde::de::DeserializeOwned>(config: &serde_json::Value) -> Result<T, String> {
    let value = if config.is_null() { serde_json::Value::Object(Default::default()) } else { config.clone() };
    serde_json::from_value(value).map_err(|e| e.to_string())
}
