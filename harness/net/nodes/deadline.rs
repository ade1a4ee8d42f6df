//! The deadline controller: stamps each message with a `deadline` header,
//! `within` after now on this node's clock (keeping an earlier deadline
//! the message already has). Any node handed a message after its deadline,
//! by that node's clock, refuses it: a permanent NACK with reason
//! `deadline`, before its handler runs.

use serde::Deserialize;

use crate::model::{InPort, Message, Nanos, OutPort};
use crate::net::actor::Actor;
use crate::net::context::Context;

use super::NodeBuild;

/// The header a deadline controller stamps: the virtual time, in
/// nanoseconds, after which a node that is handed the message refuses it.
pub const DEADLINE_HEADER: &str = "deadline";

/// The deadline stamped on `msg`, if it has one (virtual ns).
pub fn deadline_of(msg: &Message) -> Option<u64> {
    msg.headers.get(DEADLINE_HEADER).and_then(serde_json::Value::as_u64)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    within: Nanos,
}

struct Deadline {
    within: Nanos,
}

impl Actor for Deadline {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        let mut deadline = ctx.now().after(self.within).as_nanos();
        if let Some(earlier) = deadline_of(&msg) {
            deadline = deadline.min(earlier);
        }
        msg.headers.insert(DEADLINE_HEADER, deadline.into());
        ctx.send_on(OutPort(0), msg);
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if config.within == Nanos::ZERO {
        return Err("within must be longer than 0".into());
    }
    Ok(NodeBuild::processor(Deadline { within: config.within }, &["in"], &["out"]))
}
