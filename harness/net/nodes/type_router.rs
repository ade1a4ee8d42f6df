//! The type router: sends each message to the output port named for its
//! message name.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::model::{InPort, Message, Name, OutPort};
use crate::net::actor::Actor;
use crate::net::context::Context;

use super::NodeBuild;

/// `routes` maps a message name to an output port; `default` names the port
/// for every other name (without it, unrouted messages are dropped with the
/// reason `no route for <name>`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    routes: BTreeMap<String, String>,
    #[serde(default)]
    default: Option<String>,
}

struct TypeRouter {
    routes: FxHashMap<Name, OutPort>,
    default: Option<OutPort>,
}

impl Actor for TypeRouter {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
        match self.routes.get(&msg.name).copied().or(self.default) {
            Some(port) => ctx.send_on(port, msg),
            None => {
                let reason = format!("no route for {}", msg.name);
                ctx.drop_message(msg, &reason);
            }
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if config.routes.is_empty() {
        return Err("`routes` is empty: map at least one message name to a port".into());
    }
    let names = config.routes.values().chain(config.default.iter()).cloned();
    Ok(super::router(names, |port| {
        Box::new(TypeRouter {
            routes: config.routes.iter().map(|(name, p)| (Name::from(name.as_str()), port(p))).collect(),
            default: config.default.as_deref().map(port),
        })
    }))
}
