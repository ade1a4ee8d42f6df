//! The map: rewrites message bodies, renaming fields and setting fields
//! by JSON pointer, then forwards each message.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::compare::JsonPointer;
use crate::model::{Body, InPort, Message, OutPort};
use crate::net::actor::Actor;
use crate::net::context::Context;

use super::NodeBuild;

/// `rename` moves fields (pointer → pointer) and runs first; `set` then
/// writes values (pointer → value). Each is applied in pointer order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    rename: BTreeMap<String, String>,
    #[serde(default)]
    set: BTreeMap<String, serde_json::Value>,
}

struct Map {
    rename: Vec<(JsonPointer, JsonPointer)>,
    set: Vec<(JsonPointer, serde_json::Value)>,
}

impl Map {
    /// The rewritten body, or why it cannot be rewritten.
    fn rewrite(&self, body: &Body) -> Result<Body, String> {
        let mut value = body.value().clone();
        for (from, to) in &self.rename {
            if let Some(field) = from.take(&mut value) {
                to.set(&mut value, field)?;
            }
        }
        for (at, new) in &self.set {
            at.set(&mut value, new.clone())?;
        }
        Ok(Body::new(value))
    }
}

impl Actor for Map {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        match self.rewrite(&msg.body) {
            Ok(body) => {
                msg.body = body;
                ctx.send_on(OutPort(0), msg);
            }
            // A body the rules cannot apply to is refused, not passed on
            // half-rewritten; the sender hears why.
            Err(why) => ctx.nack(msg, &format!("map: {why}"), true),
        }
    }
}

/// A pointer a map can write to: one field, not a wildcard.
fn field(key: &str, text: &str) -> Result<JsonPointer, String> {
    let pointer = JsonPointer::parse(text).map_err(|e| format!("{key}: {e}"))?;
    if pointer.is_wildcard() {
        return Err(format!("{key}: {text:?} names many fields ('*'); a map writes one field per pointer"));
    }
    Ok(pointer)
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if config.rename.is_empty() && config.set.is_empty() {
        return Err("a map needs `rename` or `set` (or both)".into());
    }
    let rename = config
        .rename
        .iter()
        .map(|(from, to)| Ok((field("rename", from)?, field("rename", to)?)))
        .collect::<Result<_, String>>()?;
    let set =
        config.set.into_iter().map(|(at, value)| Ok((field("set", &at)?, value))).collect::<Result<_, String>>()?;
    Ok(NodeBuild::processor(Map { rename, set }, &["in"], &["out"]))
}
