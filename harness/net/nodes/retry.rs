//! The retry: sends each message on, and when it is NACKed tries again
//! after an exponential backoff on the virtual clock, up to a number of
//! attempts. Each new attempt is a new message (counted in `created`, in the
//! same trace); the sender hears one answer, for the message it sent.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{InPort, Message, MessageId, Nanos, OutPort};
use crate::net::actor::Actor;
use crate::net::context::{Context, Owed};
use crate::net::signal::{NackReason, Signal, TimerId};

use super::NodeBuild;

/// `max_attempts` counts the first try; the n-th retry waits
/// `backoff × multiplier^(n-1)`, at most `max_backoff`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    max_attempts: i64,
    backoff: Nanos,
    #[serde(default = "double")]
    multiplier: f64,
    #[serde(default)]
    max_backoff: Option<Nanos>,
}

fn double() -> f64 {
    2.0
}

/// A message being tried: a copy to send again, the answer owed to its
/// sender, and how many attempts were made.
struct Attempt {
    template: Message,
    owed: Owed,
    attempts: u32,
}

struct Retry {
    max_attempts: u32,
    backoff: Nanos,
    multiplier: f64,
    max_backoff: Nanos,
    /// Attempts sent and not yet answered, by the id of the attempt.
    in_flight: BTreeMap<MessageId, Attempt>,
    /// Attempts waiting out their backoff.
    waiting: BTreeMap<TimerId, Attempt>,
}

impl Retry {
    /// The wait before attempt `attempts + 1`.
    fn backoff(&self, attempts: u32) -> Nanos {
        let wait = self.backoff.0 as f64 * self.multiplier.powi(attempts as i32 - 1);
        Nanos((wait.min(self.max_backoff.0 as f64)) as u64)
    }

    fn send(&mut self, ctx: &mut Context<'_>, mut msg: Message, attempt: Attempt) {
        let id = ctx.assign_id(&mut msg);
        ctx.subscribe(&mut msg);
        self.in_flight.insert(id, attempt);
        ctx.send_on(OutPort(0), msg);
    }
}

impl Actor for Retry {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        let owed = ctx.owe(&mut msg);
        let template = msg.clone();
        self.send(ctx, msg, Attempt { template, owed, attempts: 1 });
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Ack(receipt) => {
                if let Some(attempt) = self.in_flight.remove(&receipt.message) {
                    ctx.settle(attempt.owed, None);
                }
            }
            Signal::Nack(receipt, why) => {
                let Some(attempt) = self.in_flight.remove(&receipt.message) else { return };
                if why.permanent {
                    ctx.settle(attempt.owed, Some(why));
                } else if attempt.attempts >= self.max_attempts {
                    let reason = format!("{} (gave up after {} attempts)", why.reason, attempt.attempts);
                    ctx.settle(attempt.owed, Some(NackReason { reason: reason.into(), permanent: false }));
                } else {
                    let timer = ctx.set_timer(self.backoff(attempt.attempts));
                    self.waiting.insert(timer, attempt);
                }
            }
            Signal::Timer(timer) => {
                if let Some(mut attempt) = self.waiting.remove(&timer) {
                    attempt.attempts += 1;
                    let again = attempt.template.fresh_copy();
                    self.send(ctx, again, attempt);
                }
            }
            Signal::Config(_) | Signal::Shutdown => {}
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if config.max_attempts < 1 {
        return Err(format!("max_attempts must be at least 1, not {}", config.max_attempts));
    }
    if config.multiplier.is_nan() || config.multiplier < 1.0 {
        return Err(format!("multiplier must be at least 1, not {}", config.multiplier));
    }
    let max_backoff = config.max_backoff.unwrap_or(Nanos(u64::MAX));
    if max_backoff < config.backoff {
        return Err(format!("max_backoff {max_backoff} is shorter than backoff {}", config.backoff));
    }
    let retry = Retry {
        max_attempts: u32::try_from(config.max_attempts).unwrap_or(u32::MAX),
        backoff: config.backoff,
        multiplier: config.multiplier,
        max_backoff,
        in_flight: BTreeMap::new(),
        waiting: BTreeMap::new(),
    };
    Ok(NodeBuild::processor(retry, &["in"], &["out"]))
}
