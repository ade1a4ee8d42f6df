//! A regression test against production: replay a recorded elfo dump with
//! the `pricing` group bound to our own actor, and check it still sends what
//! production sent.
//!
//! `cargo run --example replay_regression`

use flowreplay::replay::Replay;
use flowreplay::{Actor, Body, Context, InPort, Message, NodeBuild};

/// Our pricing logic: each tick publishes a quote, a dollar above the last.
struct Pricing {
    ticks: u32,
    step: f64,
}

impl Actor for Pricing {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, tick: Message) {
        let px = 101.5 + self.step * f64::from(self.ticks);
        self.ticks += 1;
        let quote = ctx.derive("Quote", Body::new(serde_json::json!({"sym": "ACME", "px": px})), 32);
        ctx.send("gateway", quote);
        ctx.consume(tick);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dump = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dumps/trading.dump");
    let mut replay = Replay::open(&[dump], false)?;
    println!("pricing's ports (inputs, outputs): {:?}", replay.ports("pricing"));
    replay.bind("pricing", |inputs, outputs| NodeBuild::processor(Pricing { ticks: 0, step: 1.0 }, inputs, outputs))?;
    let outcome = replay.run(7)?;
    outcome.assert_group_matches("pricing");
    println!("pricing sends what production sent: {:?}", outcome.verdict.groups["pricing"].status);
    Ok(())
}
