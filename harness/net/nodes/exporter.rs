//! The exporter: a sink that records what arrives and acknowledges it. It
//! can fail (NACK) every n-th message, take time per message (`processing`,
//! one at a time, in arrival order), and run as a persistent queue that
//! acknowledges each message at once and exports it later. Outages are
//! faults: `[[fault]] kind = "outage"` (see `docs/scenarios.md`).

use std::collections::{BTreeMap, VecDeque};

use serde::Deserialize;

use crate::model::{InPort, Message, Nanos};
use crate::net::actor::{Actor, Behaviour};
use crate::net::context::Context;
use crate::net::latency::Latency;
use crate::net::signal::{Signal, TimerId};

use super::{NodeBuild, Role};

/// Exporter configuration; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// Nack every n-th message (1-based count of messages received).
    #[serde(default)]
    fail_every: Option<u64>,
    /// Reason given for `fail_every` nacks.
    #[serde(default = "failure")]
    reason: String,
    /// Whether `fail_every` nacks are permanent.
    #[serde(default)]
    permanent: bool,
    /// Time spent exporting each message, one at a time.
    #[serde(default)]
    processing: Latency,
    /// Acknowledge each message on arrival and export it afterwards; a
    /// failed export puts it back at the end of the queue.
    #[serde(default)]
    persistent_queue: bool,
}

fn failure() -> String {
    "export failed".into()
}

/// A message waiting to be exported, and whether its export is to fail.
struct Queued {
    msg: Message,
    fails: bool,
}

struct Exporter {
    config: Config,
    received: u64,
    queue: VecDeque<Queued>,
    /// The message being exported, until its processing timer fires.
    working: BTreeMap<TimerId, Queued>,
}

impl Exporter {
    /// Exports `item` or, if it is to fail, refuses it; a persistent queue
    /// (which has acknowledged it already) keeps it for another attempt.
    fn finish(&mut self, ctx: &mut Context<'_>, item: Queued) {
        if !item.fails {
            return ctx.export(item.msg);
        }
        ctx.fault(&item.msg, &self.config.reason);
        if self.config.persistent_queue {
            self.queue.push_back(Queued { msg: item.msg, fails: false });
        } else {
            ctx.nack(item.msg, &self.config.reason, self.config.permanent);
        }
    }

    /// Starts on the next queued message if none is being exported.
    fn work(&mut self, ctx: &mut Context<'_>) {
        while self.working.is_empty() {
            let Some(item) = self.queue.pop_front() else { return };
            let time = self.config.processing.sample(ctx.rng());
            if time == Nanos::ZERO {
                self.finish(ctx, item);
            } else {
                let timer = ctx.set_timer(time);
                self.working.insert(timer, item);
            }
        }
    }
}

impl Actor for Exporter {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        self.received += 1;
        let fails = self.config.fail_every.is_some_and(|n| self.received % n == 0);
        if self.config.persistent_queue {
            ctx.ack(&mut msg);
        }
        let item = Queued { msg, fails };
        if self.queue.is_empty() && self.working.is_empty() && self.config.processing == Latency::Fixed(Nanos::ZERO) {
            // Nothing ahead of it and no time to take (no draw either):
            // what `work` would do with it, without queueing it first.
            self.finish(ctx, item);
        } else {
            self.queue.push_back(item);
        }
        self.work(ctx);
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Timer(timer) => {
                if let Some(item) = self.working.remove(&timer) {
                    self.finish(ctx, item);
                    self.work(ctx);
                }
            }
            other => ctx.pass_upstream(other),
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if config.fail_every == Some(0) {
        return Err("fail_every must be at least 1".into());
    }
    if let Some(problem) = config.processing.problem() {
        return Err(format!("processing: {problem}"));
    }
    let exporter = Exporter { config, received: 0, queue: VecDeque::new(), working: BTreeMap::new() };
    Ok(NodeBuild {
        behaviour: Behaviour::Sync(Box::new(exporter)),
        role: Role::Exporter,
        inputs: vec!["in".into()],
        outputs: vec![],
        arrivals: None,
    })
}
