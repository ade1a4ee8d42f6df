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
