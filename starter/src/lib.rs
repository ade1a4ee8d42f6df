//! An order desk, tested with flowreplay: three actors of its own, the
//! registry that names them for scenario files, and the suite that checks
//! its scenarios and its recorded dump against goldens.
//!
//! - [`Gate`] (sync) lets orders up to a quantity limit through and drops
//!   the rest, saying why.
//! - [`Enricher`] (async) takes 2 ms of virtual time per order to price it.
//! - [`Pricer`] (sync) answers each order with its total; in the suite it
//!   stands in for the `pricer` group of the recorded dump
//!   `scenarios/dumps/orders.dump`, so the replay judges it against what
//!   production sent.

use std::time::Duration;

use flowreplay::suite::Suite;
use flowreplay::{Actor, AsyncActor, AsyncContext, Body, Context, HandlerFuture, InPort, Message, NodeBuild, Registry};
use serde_json::{json, Value};

/// Lets orders with `qty` up to `limit` through; drops the others.
pub struct Gate {
    /// The largest quantity let through.
    pub limit: u64,
}

impl Actor for Gate {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
        let qty = msg.body.value()["qty"].as_u64().unwrap_or(0);
        if qty <= self.limit {
            ctx.send("out", msg);
        } else {
            ctx.drop_message(msg, "over the quantity limit");
        }
    }
}

/// Prices each order: after 2 ms of (virtual) time, sends it on with its
/// `notional` (quantity times the unit price).
pub struct Enricher {
    /// The unit price.
    pub price: u64,
}

impl AsyncActor for Enricher {
    fn on_message(&mut self, ctx: AsyncContext, _port: InPort, msg: Message) -> HandlerFuture {
        let price = self.price;
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(2)).await;
            let mut body = msg.body.value().clone();
            body["notional"] = json!(body["qty"].as_u64().unwrap_or(0) * price);
            let priced = ctx.derive(msg.name, Body::new(body), msg.size_bytes);
            ctx.send("out", priced);
            ctx.consume(msg);
        })
    }
}

/// Answers each `Price` request with `Priced`: the order and its total,
/// quantity times unit price plus a flat `fee`.
pub struct Pricer {
    /// Added to every total (0 at this desk).
    pub fee: u64,
}

impl Actor for Pricer {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, request: Message) {
        let order = &request.body.value();
        let total = order["qty"].as_u64().unwrap_or(0) * order["px"].as_u64().unwrap_or(0) + self.fee;
        let priced = json!({"order": order["order"].clone(), "total": total});
        ctx.send("out", ctx.derive("Priced", Body::new(priced), 32));
        ctx.consume(request);
    }
}

/// A kind's configuration field, or its default.
fn setting(config: &Value, key: &str, default: u64) -> Result<u64, String> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => value.as_u64().ok_or(format!("{key} must be a whole number, not {value}")),
    }
}

/// The built-in node kinds and the desk's: `gate` (`limit`, default 10),
/// `enricher` (`price`, default 100) and `pricer` (`fee`, default 0).
pub fn registry() -> Registry {
    let mut registry = Registry::builtin();
    registry
        .register("gate", |config| {
            Ok(NodeBuild::processor(Gate { limit: setting(config, "limit", 10)? }, &["in"], &["out"]))
        })
        .register("enricher", |config| {
            Ok(NodeBuild::async_processor(Enricher { price: setting(config, "price", 100)? }, &["in"], &["out"]))
        })
        .register("pricer", |config| {
            Ok(NodeBuild::processor(Pricer { fee: setting(config, "fee", 0)? }, &["in"], &["out"]))
        });
    registry
}

/// The desk's suite: `scenarios/*.toml` and `scenarios/dumps/*.dump`
/// against `golden/`, with the dump's `pricer` group replayed as the real
/// [`Pricer`]. The golden test (`tests/golden.rs`) and the CLI
/// (`src/bin/starter.rs`) both use it.
pub fn suite() -> Suite {
    suite_with(registry)
}

/// The desk's suite with the node kinds another registry makes (a test
/// plants a change in an actor this way).
pub fn suite_with(registry: impl Fn() -> Registry + Send + Sync + 'static) -> Suite {
    Suite::new(registry)
        .root(env!("CARGO_MANIFEST_DIR"))
        .bind("orders", "pricer", "pricer")
        .command("cargo run -p flowreplay-starter --bin starter --")
}
