//! A synthetic production-like dump, for benchmarks and load tests: order
//! flows through a gateway, an order desk and an audit log.
//!
//! Each flow is seven lines that match up as elfo's would: an external
//! `NewOrder` into `gateway`, a `PlaceOrder` request to `orders` and its
//! response, and an `OrderPlaced` notice to `audit`. Trace ids are above
//! 2^53, one in ten `OrderPlaced` bodies is `null` and one in ten truncated.

use compact_str::CompactString;

use super::record::{Direction, DumpRecord, RawBody};
use crate::model::MessageKind;

/// The first `ts` of a synthetic dump.
pub const START_TS: u64 = 1_763_900_000_000_000_000;

/// The records of `flows` order flows, in time order, with per-group
/// sequence numbers.
pub fn order_flows(flows: u64) -> impl Iterator<Item = DumpRecord> {
    let mut seq = [0u64; 3];
    (0..flows).flat_map(move |flow| {
        let trace_id = (1 << 62) | flow;
        let ts = START_TS + flow * 100_000;
        let desk = if flow % 2 == 0 { "eu" } else { "us" };
        let order =
            format!(r#"{{"order":{flow},"symbol":"ACME","qty":{},"px":{}.25}}"#, flow % 97 + 1, 100 + flow % 50);
        let placed = match flow % 10 {
            0 => "null".to_string(),
            1 => format!("\"{{\\\"order\\\":{flow},\\\"history\\\":[1,2, TRUNCATED\""),
            _ => format!(r#"{{"order":{flow},"desk":"{desk}"}}"#),
        };
        let response = format!(r#"{{"order":{flow},"ok":true}}"#);
        let lines = [
            (0, 0, "_", Direction::In, "NewOrder", MessageKind::Regular, order.clone(), None),
            (10_000, 0, "_", Direction::Out, "PlaceOrder", MessageKind::Request, order.clone(), Some(flow)),
            (20_000, 1, desk, Direction::In, "PlaceOrder", MessageKind::Request, order, Some(flow)),
            (
                50_000,
                1,
                desk,
                Direction::Out,
                "PlaceOrder::Response",
                MessageKind::Response,
                response.clone(),
                Some(flow),
            ),
            (60_000, 0, "_", Direction::In, "PlaceOrder::Response", MessageKind::Response, response, Some(flow)),
            (70_000, 1, desk, Direction::Out, "OrderPlaced", MessageKind::Regular, placed.clone(), None),
            (80_000, 2, "_", Direction::In, "OrderPlaced", MessageKind::Regular, placed, None),
        ];
        lines
            .into_iter()
            .map(
                |(offset, group, key, direction, name, kind, body, correlation): (
                    u64,
                    usize,
                    &str,
                    Direction,
                    &str,
                    MessageKind,
                    String,
                    Option<u64>,
                )| {
                    seq[group] += 1;
                    DumpRecord {
                        ts_ns: ts + offset,
                        group: CompactString::from(["gateway", "orders", "audit"][group]),
                        key: Some(key.into()),
                        node: 1,
                        seq: seq[group],
                        trace_id,
                        thread: Some(group as u64),
                        direction,
                        class: None,
                        name: name.into(),
                        protocol: "trading".into(),
                        kind,
                        // Every body above is JSON text built from literals and integers.
                        body: RawBody::new(body).unwrap_or_else(|_| RawBody::null()),
                        correlation,
                    }
                },
            )
            .collect::<Vec<_>>()
    })
}

/// A day of a small trading service, with everything a real elfo dump
/// has: the [`order_flows`], whose `OrderPlaced` is one send received by
/// both `audit` and `risk` (a multicast); a `risk` timer `Tick` every fourth
/// flow, 5 µs after the `OrderPlaced` it races; a `pricing` timer that
/// publishes a `Quote` to `gateway`; and framework traffic in `system.*`
/// groups. Records are in time order.
pub fn trading_day(flows: u64) -> Vec<DumpRecord> {
    let mut records: Vec<DumpRecord> = Vec::new();
    let mut seq = std::collections::BTreeMap::<&str, u64>::new();
    let mut line = |ts_ns: u64, group: &'static str, trace_id: u64, direction: Direction, name: &str, body: &str| {
        let seq = seq.entry(group).or_default();
        *seq += 1;
        DumpRecord {
            ts_ns,
            group: group.into(),
            key: Some("_".into()),
            node: 1,
            seq: *seq,
            trace_id,
            thread: Some(7),
            direction,
            class: group.starts_with("system.").then(|| "internal".into()),
            name: name.into(),
            protocol: if group.starts_with("system.") { "elfo-core" } else { "trading" }.into(),
            kind: MessageKind::Regular,
            // Every body here is a JSON literal.
            body: RawBody::new(body.to_string()).unwrap_or_else(|_| RawBody::null()),
            correlation: None,
        }
    };
    for record in order_flows(flows) {
        let placed = record.direction == Direction::Out && &*record.name == "OrderPlaced";
        let flow = (record.ts_ns - START_TS) / 100_000;
        if placed {
            let body = record.body.get().to_string();
            records.push(record.clone());
            records.push(line(record.ts_ns + 15_000, "risk", record.trace_id, Direction::In, "OrderPlaced", &body));
            if flow % 4 == 0 {
                let tick = (1 << 61) | flow;
                records.push(line(record.ts_ns + 20_000, "risk", tick, Direction::In, "Tick", "null"));
            }
            if flow % 4 == 1 {
                let (tick, at) = ((1 << 60) | flow, record.ts_ns + 5_000);
                let quote = format!(r#"{{"sym":"ACME","px":{}.5}}"#, 100 + flow % 7);
                records.push(line(at, "pricing", tick, Direction::In, "Tick", "null"));
                records.push(line(at + 2_000, "pricing", tick, Direction::Out, "Quote", &quote));
                records.push(line(at + 4_000, "gateway", tick, Direction::In, "Quote", &quote));
            }
            if flow % 8 == 2 {
                let (trace, at) = ((1 << 59) | flow, record.ts_ns + 1_000);
                records.push(line(at, "system.configurers", trace, Direction::Out, "Ping", "{}"));
                records.push(line(at + 500, "system.loggers", trace, Direction::In, "Ping", "{}"));
            }
            continue;
        }
        records.push(record);
    }
    records.sort_by_key(|r| r.ts_ns);
    records
}
