//! The delay: holds each message for a processing time on the virtual
//! clock (fixed or drawn from the seed), then forwards it. Messages do not
//! wait for one another: a short draw overtakes a long one.

use serde::Deserialize;

use crate::model::{InPort, Message, OutPort};
use crate::net::actor::Actor;
use crate::net::context::Context;
use crate::net::latency::Latency;
use crate::net::signal::Signal;

use super::{HeldOnTimers, NodeBuild};

/// `for` is the time each message is held, in the connector latency forms.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(rename = "for")]
    hold: Latency,
}

struct Delay {
    hold: Latency,
    held: HeldOnTimers,
}

impl Actor for Delay {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
        if let Some(msg) = self.held.hold(ctx, &self.hold, msg) {
            ctx.send_on(OutPort(0), msg);
        }
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Timer(timer) => {
                if let Some(msg) = self.held.release(timer) {
                    ctx.send_on(OutPort(0), msg);
                }
            }
            other => ctx.pass_upstream(other),
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if let Some(problem) = config.hold.problem() {
        return Err(format!("for: {problem}"));
    }
    Ok(NodeBuild::processor(Delay { hold: config.hold, held: HeldOnTimers::default() }, &["in"], &["out"]))
}
