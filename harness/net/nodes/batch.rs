//! The batch: gathers messages into one new message, sent when it holds
//! `max_size` members or when `max_delay` has passed since its first member
//! arrived (and, on shutdown, with whatever it holds).
//!
//! Terminal states: each member ends as `batched` when it joins; the batch
//! is a new message (counted in `created`) that ends wherever it goes. The
//! batch's ACK or NACK is passed to every member's subscribers, so each
//! member still gets exactly one answer.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{Body, InPort, Message, MessageId, Nanos, OutPort, TraceId};
use crate::net::actor::Actor;
use crate::net::context::{Context, Owed};
use crate::net::signal::{Signal, TimerId};

use super::NodeBuild;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    max_size: i64,
    max_delay: Nanos,
    #[serde(default = "batch_name")]
    name: String,
}

fn batch_name() -> String {
    "Batch".into()
}

/// The batch being gathered.
#[derive(Default)]
struct Open {
    owed: Vec<Owed>,
    bodies: Vec<serde_json::Value>,
    size_bytes: u32,
    trace_id: Option<TraceId>,
    timer: Option<TimerId>,
}

struct Batch {
    max_size: usize,
    max_delay: Nanos,
    name: crate::model::Name,
    open: Open,
    /// Batches sent and not yet answered, with the answers their members are owed.
    sent: BTreeMap<MessageId, Vec<Owed>>,
}

impl Batch {
    fn flush(&mut self, ctx: &mut Context<'_>) {
        let open = std::mem::take(&mut self.open);
        if open.owed.is_empty() {
            return;
        }
        if let Some(timer) = open.timer {
            ctx.cancel_timer(timer);
        }
        let body = Body::new(serde_json::json!({ "count": open.bodies.len(), "messages": open.bodies }));
        let mut batch = ctx.derive(self.name, body, open.size_bytes);
        batch.trace_id = open.trace_id.unwrap_or(batch.trace_id);
        let id = ctx.assign_id(&mut batch);
        ctx.subscribe(&mut batch);
        self.sent.insert(id, open.owed);
        ctx.send_on(OutPort(0), batch);
    }
}

impl Actor for Batch {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        let owed = ctx.owe(&mut msg);
        let open = &mut self.open;
        if open.owed.is_empty() {
            open.timer = Some(ctx.set_timer(self.max_delay));
            open.trace_id = Some(msg.trace_id);
        }
        open.owed.push(owed);
        open.bodies.push(msg.body.value().clone());
        open.size_bytes = open.size_bytes.saturating_add(msg.size_bytes);
        ctx.batched(msg);
        if self.open.owed.len() >= self.max_size {
            self.flush(ctx);
        }
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Ack(receipt) => {
                for owed in self.sent.remove(&receipt.message).unwrap_or_default() {
                    ctx.settle(owed, None);
                }
            }
            Signal::Nack(receipt, why) => {
                for owed in self.sent.remove(&receipt.message).unwrap_or_default() {
                    ctx.settle(owed, Some(why.clone()));
                }
            }
            Signal::Timer(timer) if self.open.timer == Some(timer) => self.flush(ctx),
            Signal::Shutdown => self.flush(ctx),
            Signal::Timer(_) | Signal::Config(_) => {}
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if config.max_size < 1 {
        return Err(format!("max_size must be at least 1, not {}", config.max_size));
    }
    if config.max_delay == Nanos::ZERO {
        return Err("max_delay must be longer than 0".into());
    }
    let batch = Batch {
        max_size: usize::try_from(config.max_size).unwrap_or(usize::MAX),
        max_delay: config.max_delay,
        name: config.name.into(),
        open: Open::default(),
        sent: BTreeMap::new(),
    };
    Ok(NodeBuild::processor(batch, &["in"], &["out"]))
}
