//! The receiver: a source node that injects its workload.

use serde::Deserialize;

use crate::model::{InPort, Message, OutPort};
use crate::net::actor::{Actor, Behaviour};
use crate::net::context::Context;
use crate::net::workload::{Source, Workload};

use super::{NodeBuild, Role};

/// Receiver configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    workload: Workload,
    /// Subscribe to the ACK/NACK of every injected message (default true), so
    /// the receiver learns each message's fate as a real ingress would.
    #[serde(default = "yes")]
    subscribe: bool,
}

fn yes() -> bool {
    true
}

/// Forwards each injected message on `out`, subscribing to its ACK/NACK.
struct Receiver {
    subscribe: bool,
}

impl Actor for Receiver {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        if self.subscribe {
            ctx.subscribe(&mut msg);
        }
        ctx.send_on(OutPort(0), msg);
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if let Some(problem) = config.workload.problem() {
        return Err(problem);
    }
    Ok(NodeBuild {
        behaviour: Behaviour::Sync(Box::new(Receiver { subscribe: config.subscribe })),
        role: Role::Receiver,
        inputs: vec![],
        outputs: vec!["out".into()],
        arrivals: Some(Box::new(Source::new(&config.workload))),
    })
}
