//! The exporter: a sink that records what arrives and acknowledges it, and
//! can fail (NACK) on a schedule.

use serde::Deserialize;

use crate::model::{InPort, Message, Nanos, VirtualTime};
use crate::net::actor::{Actor, Behaviour};
use crate::net::context::Context;

use super::{NodeBuild, Role};

/// A window of virtual time during which the exporter refuses everything.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Outage {
    from: Nanos,
    until: Nanos,
    #[serde(default = "outage")]
    reason: String,
    #[serde(default)]
    permanent: bool,
}

fn outage() -> String {
    "outage".into()
}

/// Exporter configuration; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// Windows in which every message is nacked.
    #[serde(default)]
    outages: Vec<Outage>,
    /// Nack every n-th message (1-based count of messages received).
    #[serde(default)]
    fail_every: Option<u64>,
    /// Reason given for `fail_every` nacks.
    #[serde(default = "failure")]
    reason: String,
    /// Whether `fail_every` nacks are permanent.
    #[serde(default)]
    permanent: bool,
}

fn failure() -> String {
    "export failed".into()
}

struct Exporter {
    config: Config,
    received: u64,
}

impl Exporter {
    fn outage_at(&self, now: VirtualTime) -> Option<&Outage> {
        self.config.outages.iter().find(|o| o.from.0 <= now.0 && now.0 < o.until.0)
    }
}

impl Actor for Exporter {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
        self.received += 1;
        if let Some(outage) = self.outage_at(ctx.now()) {
            let (reason, permanent) = (outage.reason.clone(), outage.permanent);
            ctx.fault(&msg, &reason);
            ctx.nack(msg, &reason, permanent);
        } else if self.config.fail_every.is_some_and(|n| self.received % n == 0) {
            ctx.fault(&msg, &self.config.reason);
            ctx.nack(msg, &self.config.reason, self.config.permanent);
        } else {
            ctx.export(msg);
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if config.fail_every == Some(0) {
        return Err("fail_every must be at least 1".into());
    }
    if let Some(o) = config.outages.iter().find(|o| o.from > o.until) {
        return Err(format!("outage from {} until {} ends before it starts", o.from, o.until));
    }
    Ok(NodeBuild {
        behaviour: Behaviour::Sync(Box::new(Exporter { config, received: 0 })),
        role: Role::Exporter,
        inputs: vec!["in".into()],
        outputs: vec![],
        arrivals: None,
    })
}
