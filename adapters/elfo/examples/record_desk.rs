//! Records `tests/desk.dump`: runs the whole desk as a real elfo app, on a
//! real clock, with elfo's own dumper writing every message to the dump,
//! then stops. The gateway sends three orders, a price check, a message
//! with a field the dumper hides, and fills for two regions; the pricer
//! asks refdata for margins and beats every 10 ms.
//!
//! ```sh
//! cargo run -p flowreplay-elfo --example record_desk -- adapters/elfo/tests/desk.dump
//! ```
//!
//! The recording is shipped; replaying it needs none of this. Running it
//! again makes another recording (new trace ids and times), and the
//! adapter's tests and golden expect the shipped one.

#[path = "../tests/desk/mod.rs"]
mod desk;

use std::time::Duration;

use desk::messages::{Booked, Fill, Heartbeat, Margin, NewOrder, PriceCheck, Priced, Secret};
use elfo::tracing::TraceId;
use elfo::{msg, ActorGroup, Blueprint, Context, Topology};

/// The gateway: the outside world's traffic, each input its own trace.
fn gateway() -> Blueprint {
    ActorGroup::new().exec(|ctx: Context| async move {
        tokio::time::sleep(Duration::from_millis(3)).await;
        for (order, qty, px) in [(100, 3, 100), (101, 5, 98), (102, 2, 105)] {
            elfo::scope::set_trace_id(TraceId::generate());
            let _ = ctx.send(NewOrder { order, qty, px }).await;
            if order == 101 {
                elfo::scope::set_trace_id(TraceId::generate());
                let _ = ctx.request(PriceCheck { qty: 4, px: 50 }).resolve().await;
                elfo::scope::set_trace_id(TraceId::generate());
                let _ = ctx.send(Secret { order, pin: 1234 }).await;
            }
            for (region, fill, qty) in [("eu", 300 + order - 100, 7), ("us", 400 + order - 100, 2)] {
                elfo::scope::set_trace_id(TraceId::generate());
                let _ = ctx.send(Fill { region: region.into(), order: fill, qty }).await;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Let the last answers and heartbeats through and the dumper write
        // them (every 10 ms), then end the recording.
        tokio::time::sleep(Duration::from_millis(60)).await;
        std::process::exit(0);
    })
}

/// The reference data: a margin of 5 for every order.
fn refdata() -> Blueprint {
    ActorGroup::new().exec(|mut ctx: Context| async move {
        while let Some(envelope) = ctx.recv().await {
            msg!(match envelope {
                (Margin { .. }, token) => ctx.respond(token, 5),
            });
        }
    })
}

/// A group that takes what it is sent (the ledger, the monitor).
fn sink() -> Blueprint {
    ActorGroup::new().exec(|mut ctx: Context| async move { while ctx.recv().await.is_some() {} })
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "adapters/elfo/tests/desk.dump".into());
    let _ = std::fs::remove_file(&path);
    let topology = Topology::empty();
    let configurers = topology.local("system.configurers").entrypoint();
    let dumpers = topology.local("system.dumpers");
    let gateway_group = topology.local("gateway");
    let pricer = topology.local("pricer");
    let refdata_group = topology.local("refdata");
    let books = topology.local("books");
    let ledger = topology.local("ledger");
    let monitor = topology.local("monitor");
    gateway_group.route_to(&pricer, |e: &elfo::Envelope| {
        msg!(match e {
            NewOrder | PriceCheck | Secret => true,
            _ => false,
        })
    });
    gateway_group.route_to(&books, |e: &elfo::Envelope| {
        msg!(match e {
            Fill => true,
            _ => false,
        })
    });
    pricer.route_to(&refdata_group, |e: &elfo::Envelope| {
        msg!(match e {
            Margin => true,
            _ => false,
        })
    });
    pricer.route_to(&ledger, |e: &elfo::Envelope| {
        msg!(match e {
            Priced => true,
            _ => false,
        })
    });
    pricer.route_to(&monitor, |e: &elfo::Envelope| {
        msg!(match e {
            Heartbeat => true,
            _ => false,
        })
    });
    books.route_to(&ledger, |e: &elfo::Envelope| {
        msg!(match e {
            Booked => true,
            _ => false,
        })
    });
    let config = serde_json::json!({
        "system": { "dumpers": { "path": path, "write_interval": "10ms" } },
        "gateway": {}, "pricer": {}, "refdata": {}, "books": {}, "ledger": {}, "monitor": {},
    });
    configurers.mount(elfo::batteries::configurer::fixture(&topology, config));
    dumpers.mount(elfo::batteries::dumper::new());
    gateway_group.mount(gateway());
    pricer.mount(desk::pricer(0));
    refdata_group.mount(refdata());
    books.mount(desk::books());
    ledger.mount(sink());
    monitor.mount(sink());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(elfo::init::start(topology));
}
