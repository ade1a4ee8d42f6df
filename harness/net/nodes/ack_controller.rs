//! The ack controller: decides when the sender hears that a message is
//! safe. `ingress` acknowledges it the moment it arrives, `pre_export`
//! once the controller has processed it and hands it on towards export,
//! `downstream` only when the downstream answers (the controller does not
//! answer at all; the downstream ACK or NACK reaches the sender).
//!
//! `process` is the controller's own work per message, on the virtual
//! clock: what separates `ingress` from `pre_export`. A message acked at
//! ingress and then lost downstream is lost after the sender was told it
//! was safe; that is the trade the mode makes.

use serde::Deserialize;

use crate::model::{InPort, Message, OutPort};
use crate::net::actor::Actor;
use crate::net::context::Context;
use crate::net::latency::Latency;
use crate::net::signal::Signal;

use super::{HeldOnTimers, NodeBuild};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    Ingress,
    PreExport,
    Downstream,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    mode: Mode,
    #[serde(default)]
    process: Latency,
}

struct AckController {
    mode: Mode,
    process: Latency,
    held: HeldOnTimers,
}

impl AckController {
    fn hand_on(&mut self, ctx: &mut Context<'_>, mut msg: Message) {
        if self.mode == Mode::PreExport {
            ctx.ack(&mut msg);
        }
        ctx.send_on(OutPort(0), msg);
    }
}

impl Actor for AckController {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        if self.mode == Mode::Ingress {
            ctx.ack(&mut msg);
        }
        if let Some(msg) = self.held.hold(ctx, &self.process, msg) {
            self.hand_on(ctx, msg);
        }
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Timer(timer) => {
                if let Some(msg) = self.held.release(timer) {
                    self.hand_on(ctx, msg);
                }
            }
            other => ctx.pass_upstream(other),
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if let Some(problem) = config.process.problem() {
        return Err(format!("process: {problem}"));
    }
    let controller = AckController { mode: config.mode, process: config.process, held: HeldOnTimers::default() };
    Ok(NodeBuild::processor(controller, &["in"], &["out"]))
}
