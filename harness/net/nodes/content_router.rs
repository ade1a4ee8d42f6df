//! The content router: sends each message to the port of the first route
//! whose condition it meets (its name, a header, or a body field by JSON
//! pointer), else to the fallback port.

use serde::Deserialize;

use crate::model::{InPort, Message, OutPort};
use crate::net::actor::Actor;
use crate::net::context::Context;

use super::matcher::Condition;
use super::NodeBuild;

/// One route: messages that meet `when` go out on `to`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteConfig {
    when: Condition,
    to: String,
}

/// `routes` are tried in order; `fallback` takes what none of them
/// matched (without it, such messages are dropped with the reason
/// `no route matched`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    routes: Vec<RouteConfig>,
    #[serde(default)]
    fallback: Option<String>,
}

struct ContentRouter {
    routes: Vec<(Condition, OutPort)>,
    fallback: Option<OutPort>,
}

impl Actor for ContentRouter {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
        let matched = self.routes.iter().find(|(when, _)| when.matches(&msg)).map(|&(_, port)| port);
        match matched.or(self.fallback) {
            Some(port) => ctx.send_on(port, msg),
            None => ctx.drop_message(msg, "no route matched"),
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if config.routes.is_empty() {
        return Err("`routes` is empty: give at least one { when = …, to = \"port\" }".into());
    }
    if let Some((index, problem)) = config.routes.iter().enumerate().find_map(|(i, r)| r.when.problem().map(|p| (i, p)))
    {
        return Err(format!("routes[{index}].when: {problem}"));
    }
    let names = config.routes.iter().map(|r| r.to.clone()).chain(config.fallback.clone());
    Ok(super::router(names, |port| {
        Box::new(ContentRouter {
            routes: config.routes.iter().map(|r| (r.when.clone(), port(&r.to))).collect(),
            fallback: config.fallback.as_deref().map(port),
        })
    }))
}
