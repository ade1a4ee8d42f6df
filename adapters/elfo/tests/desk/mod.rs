//! The example elfo app of the adapter's tests and benches: a desk whose
//! `pricer` asks `refdata` for a margin per order, answers price checks and
//! says `Heartbeat` every 10 ms, and whose `books` keep one position per
//! region (a `MapRouter` group). `tests/desk.dump` is its recording.
//!
//! Shared by the tests, the bench and the CLI example; each uses part of it.
#![allow(dead_code)]

use std::time::Duration;

use elfo::routers::{MapRouter, Outcome};
use elfo::time::Interval;
use elfo::{msg, ActorGroup, Blueprint, Context};

/// The desk's messages, as its production build defines them.
pub mod messages {
    use elfo::message;

    #[message(protocol = "desk")]
    pub struct NewOrder {
        pub order: u64,
        pub qty: u64,
        pub px: u64,
    }

    #[message(protocol = "desk")]
    pub struct Priced {
        pub order: u64,
        pub total: u64,
    }

    #[message(protocol = "desk", ret = u64)]
    pub struct Margin {
        pub order: u64,
    }

    #[message(protocol = "desk", ret = u64)]
    pub struct PriceCheck {
        pub qty: u64,
        pub px: u64,
    }

    #[message(protocol = "desk")]
    pub struct Fill {
        pub region: String,
        pub order: u64,
        pub qty: u64,
    }

    #[message(protocol = "desk")]
    pub struct Booked {
        pub region: String,
        pub order: u64,
        pub position: u64,
    }

    /// A message with a field the dumper hides: its recording cannot be
    /// decoded back.
    #[message(protocol = "desk")]
    pub struct Secret {
        pub order: u64,
        #[serde(serialize_with = "elfo::dumping::hide")]
        pub pin: u64,
    }

    #[message(protocol = "desk")]
    pub struct HeartbeatTick;

    #[message(protocol = "desk")]
    pub struct Heartbeat {
        pub beat: u64,
    }
}

/// The pricer: for each order, asks `refdata` for a margin, then sends the
/// order's total; answers price checks; says `Heartbeat` every 10 ms,
/// [`BEATS`] times. `fee`
/// is the planted change (0 in production).
pub fn pricer(fee: u64) -> Blueprint {
    pricer_with(fee, None)
}

/// How many heartbeats the pricer says (every 10 ms from its start): a
/// fixed number, so that the recording and a replay, which end at slightly
/// different points of a tick, beat as often.
pub const BEATS: u64 = 5;

/// The pricer with a bug planted: it panics on order `panic_on`.
pub fn pricer_with(fee: u64, panic_on: Option<u64>) -> Blueprint {
    ActorGroup::new().exec(move |mut ctx: Context| async move {
        let heartbeat = ctx.attach(Interval::new(messages::HeartbeatTick));
        heartbeat.start(Duration::from_millis(10));
        let mut beats = 0;
        while let Some(envelope) = ctx.recv().await {
            msg!(match envelope {
                order @ messages::NewOrder => {
                    assert_ne!(Some(order.order), panic_on, "planted: the pricer cannot price order {}", order.order);
                    let margin = ctx.request(messages::Margin { order: order.order }).resolve().await.unwrap_or(0);
                    let total = order.qty * order.px + margin + fee;
                    let _ = ctx.send(messages::Priced { order: order.order, total }).await;
                }
                (check @ messages::PriceCheck, token) => {
                    ctx.respond(token, check.qty * check.px + fee);
                }
                messages::HeartbeatTick => {
                    beats += 1;
                    let _ = ctx.send(messages::Heartbeat { beat: beats }).await;
                    if beats == BEATS {
                        heartbeat.stop();
                    }
                }
                _ => {}
            });
        }
    })
}

/// The books: one actor per region (elfo's `MapRouter`), each keeping its
/// region's position.
pub fn books() -> Blueprint {
    ActorGroup::new()
        .router(MapRouter::new(|envelope: &elfo::Envelope| {
            msg!(match envelope {
                fill @ messages::Fill => Outcome::Unicast(fill.region.clone()),
                _ => Outcome::Default,
            })
        }))
        .exec(|mut ctx: Context<(), String>| async move {
            let mut position = 0;
            while let Some(envelope) = ctx.recv().await {
                if let Some((fill, _)) = envelope.unpack::<messages::Fill>() {
                    position += fill.qty;
                    let booked = messages::Booked { region: ctx.key().clone(), order: fill.order, position };
                    let _ = ctx.send(booked).await;
                }
            }
        })
}

/// The desk's suite: `tests/desk.dump` against `tests/golden/`, its `pricer`
/// the real elfo group (with `fee` planted into it).
pub fn suite(fee: u64) -> flowreplay::suite::Suite {
    flowreplay::suite::Suite::builtin()
        .root(env!("CARGO_MANIFEST_DIR"))
        .scenarios(&[])
        .dumps(&["tests"])
        .goldens("tests/golden")
        .command("cargo run -p flowreplay-elfo --example desk --")
        .prepare("desk", move |replay| {
            flowreplay_elfo::ElfoGroup::new("pricer", move || pricer(fee))
                .request::<messages::PriceCheck>()
                .own_message("HeartbeatTick")
                .bind(replay)
                .map(|_| ())
        })
}
