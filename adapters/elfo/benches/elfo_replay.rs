//! `elfo_replay`: replay throughput with the desk's real elfo `pricer`
//! bound, beside the same replay with every group as its recorded stub, on
//! the desk's recording scaled up (see BENCHMARKS.md). Each order is seven
//! dump lines: the order in, a margin request and its response through
//! `refdata`, the total out to the `ledger`; the pricer's heartbeats are
//! there too.

#[path = "../tests/desk/mod.rs"]
mod desk;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowreplay::dump::{Direction, DumpRecord, RawBody};
use flowreplay::replay::Replay;
use flowreplay::MessageKind;
use flowreplay_elfo::ElfoGroup;

/// Orders in the scaled recording.
const ORDERS: u64 = 100_000;

/// The desk's recording of `orders` orders, 10 µs apart.
fn recording(orders: u64) -> Vec<DumpRecord> {
    let line = |ts: u64, group: &str, trace: u64, direction, name: &str, kind, body: String, c| DumpRecord {
        ts_ns: 1_764_000_000_000_000_000 + ts,
        group: group.into(),
        key: Some("_".into()),
        node: 1,
        seq: 0,
        trace_id: trace,
        thread: Some(1),
        direction,
        class: None,
        name: name.into(),
        protocol: "desk".into(),
        kind,
        body: RawBody::new(body).expect("JSON"),
        correlation: c,
    };
    let beats = (1..=desk::BEATS).flat_map(|beat| {
        let (t, ts) = ((1 << 59) + beat, beat * 10_000_000);
        let body = format!(r#"{{"beat":{beat}}}"#);
        use Direction::{In, Out};
        [
            line(ts, "pricer", t, In, "HeartbeatTick", MessageKind::Regular, "null".into(), None),
            line(ts + 1_000, "pricer", t, Out, "Heartbeat", MessageKind::Regular, body.clone(), None),
            line(ts + 2_000, "monitor", t, In, "Heartbeat", MessageKind::Regular, body, None),
        ]
    });
    (0..orders)
        .flat_map(|i| {
            let (t, ts, qty, px) = ((1 << 60) + i + 1, i * 10_000, i % 7 + 1, 100 + i % 13);
            let order = format!(r#"{{"order":{i},"qty":{qty},"px":{px}}}"#);
            let margin = format!(r#"{{"order":{i}}}"#);
            let priced = format!(r#"{{"order":{i},"total":{}}}"#, qty * px + 5);
            use Direction::{In, Out};
            use MessageKind::{Regular, Request, Response};
            [
                line(ts, "pricer", t, In, "NewOrder", Regular, order, None),
                line(ts + 1_000, "pricer", t, Out, "Margin", Request, margin.clone(), Some(i)),
                line(ts + 2_000, "refdata", t, In, "Margin", Request, margin, Some(i)),
                line(ts + 3_000, "refdata", t, Out, "Margin::Response", Response, "5".into(), Some(i)),
                line(ts + 4_000, "pricer", t, In, "Margin::Response", Response, "5".into(), Some(i)),
                line(ts + 5_000, "pricer", t, Out, "Priced", Regular, priced.clone(), None),
                line(ts + 6_000, "ledger", t, In, "Priced", Regular, priced, None),
            ]
        })
        .chain(beats)
        .collect()
}

fn elfo_replay(c: &mut Criterion) {
    let records = recording(ORDERS);
    let mut group = c.benchmark_group("elfo_replay");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ORDERS));
    group.bench_function("stubs_100k_orders", |b| {
        b.iter(|| {
            let outcome = Replay::from_records(records.clone()).run(0).expect("replays");
            assert!(outcome.verdict.equal);
        })
    });
    group.bench_function("elfo_pricer_100k_orders", |b| {
        b.iter(|| {
            let mut replay = Replay::from_records(records.clone());
            ElfoGroup::new("pricer", || desk::pricer(0)).own_message("HeartbeatTick").bind(&mut replay).expect("binds");
            let outcome = replay.run(0).expect("replays");
            assert!(outcome.verdict.equal, "{:?}", outcome.verdict.groups["pricer"]);
        })
    });
    group.finish();
}

criterion_group!(benches, elfo_replay);
criterion_main!(benches);
