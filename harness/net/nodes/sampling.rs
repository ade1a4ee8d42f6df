//! The sampling processor: keeps a seeded fraction of the messages and
//! discards the rest. Unlike trace sampling (which only changes what is
//! recorded), this changes what the network does: a discarded message is
//! acknowledged and ends as `discarded`, with the reason `sampling`.

use serde::Deserialize;

use crate::model::{InPort, Message, OutPort};
use crate::net::actor::Actor;
use crate::net::context::Context;

use super::NodeBuild;

/// The reason every discarded message carries.
const REASON: &str = "sampling";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    keep: f64,
}

struct Sampling {
    keep: f64,
}

impl Actor for Sampling {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
        if ctx.rng().unit() < self.keep {
            ctx.send_on(OutPort(0), msg);
        } else {
            ctx.discard(msg, REASON);
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if !(0.0..=1.0).contains(&config.keep) {
        return Err(format!("keep must be a fraction between 0 and 1, not {}", config.keep));
    }
    Ok(NodeBuild::processor(Sampling { keep: config.keep }, &["in"], &["out"]))
}
