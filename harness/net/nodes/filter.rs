//! The filter: passes or drops each message by a condition.

use serde::Deserialize;

use crate::model::{InPort, Message, OutPort};
use crate::net::actor::{Actor, Behaviour};
use crate::net::context::Context;

use super::matcher::Condition;
use super::{NodeBuild, Role};

/// Filter configuration: exactly one of `drop_if` / `keep_if`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    drop_if: Option<Condition>,
    #[serde(default)]
    keep_if: Option<Condition>,
}

struct Filter {
    condition: Condition,
    keep_matching: bool,
    reason: String,
}

impl Actor for Filter {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
        if self.condition.matches(&msg) == self.keep_matching {
            ctx.send_on(OutPort(0), msg);
        } else {
            ctx.drop_message(msg, &self.reason);
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    let (condition, keep_matching) = match (config.drop_if, config.keep_if) {
        (Some(c), None) => (c, false),
        (None, Some(c)) => (c, true),
        _ => return Err("a filter needs exactly one of `drop_if` or `keep_if`".into()),
    };
    if let Some(problem) = condition.problem() {
        return Err(problem);
    }
    let verb = if keep_matching { "not kept" } else { "filtered" };
    let reason = format!("{verb}: {}", condition.describe());
    Ok(NodeBuild {
        behaviour: Behaviour::Sync(Box::new(Filter { condition, keep_matching, reason })),
        role: Role::Processor,
        inputs: vec!["in".into()],
        outputs: vec!["out".into()],
        arrivals: None,
    })
}
