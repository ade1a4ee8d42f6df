//! The failover router: sends to its `primary` port until the primary
//! NACKs a message or leaves it unanswered past `ack_timeout`; that message
//! is sent again on `fallback` (as a new message, in the same trace), and
//! so is everything after it, until the `switch_back_after` policy returns
//! traffic to the primary. The sender hears one answer per message: the
//! fallback's, once a message has failed over.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{InPort, Message, MessageId, Nanos, OutPort, VirtualTime};
use crate::net::actor::Actor;
use crate::net::context::{Context, Owed};
use crate::net::signal::{Signal, TimerId};

use super::NodeBuild;

const PRIMARY: OutPort = OutPort(0);
const FALLBACK: OutPort = OutPort(1);

/// Both keys are optional: with no `ack_timeout` only a NACK fails over;
/// with no `switch_back_after` the router stays on the fallback.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    ack_timeout: Option<Nanos>,
    #[serde(default)]
    switch_back_after: Option<Nanos>,
}

/// A message sent and not yet answered.
struct Pending {
    template: Message,
    owed: Owed,
    on_primary: bool,
    timeout: Option<TimerId>,
}

struct FailoverRouter {
    config: Config,
    /// Since when traffic goes to the fallback, if it does.
    failed_over: Option<VirtualTime>,
    pending: BTreeMap<MessageId, Pending>,
    timeouts: BTreeMap<TimerId, MessageId>,
}

impl FailoverRouter {
    fn send(&mut self, ctx: &mut Context<'_>, mut msg: Message, mut pending: Pending) {
        let id = ctx.assign_id(&mut msg);
        ctx.subscribe(&mut msg);
        if let Some(after) = self.config.ack_timeout.filter(|_| pending.on_primary) {
            let timer = ctx.set_timer(after);
            self.timeouts.insert(timer, id);
            pending.timeout = Some(timer);
        }
        let port = if pending.on_primary { PRIMARY } else { FALLBACK };
        self.pending.insert(id, pending);
        ctx.send_on(port, msg);
    }

    /// The primary failed `pending`'s message: switch over, and send a copy
    /// of it on the fallback.
    fn fail_over(&mut self, ctx: &mut Context<'_>, pending: Pending) {
        self.failed_over.get_or_insert(ctx.now());
        let again = pending.template.fresh_copy();
        self.send(ctx, again, Pending { on_primary: false, timeout: None, ..pending });
    }
}

impl Actor for FailoverRouter {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        let back_at = self.failed_over.zip(self.config.switch_back_after).map(|(since, after)| since.after(after));
        if back_at.is_some_and(|at| ctx.now() >= at) {
            self.failed_over = None;
        }
        let owed = ctx.owe(&mut msg);
        let template = msg.clone();
        let on_primary = self.failed_over.is_none();
        self.send(ctx, msg, Pending { template, owed, on_primary, timeout: None });
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Ack(receipt) => {
                if let Some(pending) = self.pending.remove(&receipt.message) {
                    if let Some(timer) = pending.timeout {
                        self.timeouts.remove(&timer);
                        ctx.cancel_timer(timer);
                    }
                    ctx.settle(pending.owed, None);
                }
            }
            Signal::Nack(receipt, why) => {
                let Some(pending) = self.pending.remove(&receipt.message) else { return };
                if let Some(timer) = pending.timeout {
                    self.timeouts.remove(&timer);
                    ctx.cancel_timer(timer);
                }
                if pending.on_primary {
                    self.fail_over(ctx, pending);
                } else {
                    ctx.settle(pending.owed, Some(why));
                }
            }
            Signal::Timer(timer) => {
                let timed_out = self.timeouts.remove(&timer).and_then(|id| self.pending.remove(&id));
                if let Some(pending) = timed_out {
                    // The primary's late answer, if it comes, finds nothing pending.
                    self.fail_over(ctx, Pending { timeout: None, ..pending });
                }
            }
            Signal::Config(_) | Signal::Shutdown => {}
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if config.ack_timeout == Some(Nanos::ZERO) {
        return Err("ack_timeout must be longer than 0".into());
    }
    let router = FailoverRouter { config, failed_over: None, pending: BTreeMap::new(), timeouts: BTreeMap::new() };
    Ok(NodeBuild::processor(router, &["in"], &["primary", "fallback"]))
}
