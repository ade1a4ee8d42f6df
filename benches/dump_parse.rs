//! `dump_parse`: elfo dump lines parsed into typed records (bodies raw), in
//! MB/s on one core, beside a bare serde_json reference (see BENCHMARKS.md).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowreplay::dump::{write_record, Direction, DumpReader, DumpRecord, RawBody, ReadMode};
use flowreplay::MessageKind;

/// About `lines` realistic dump lines: several groups and keys, requests and
/// responses, small JSON bodies, some null or truncated.
fn sample(lines: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..lines {
        let body = match i % 10 {
            0 => "null".to_string(),
            1 => "\"{\\\"order\\\":{\\\"id\\\":1, \\\"lines\\\":[ TRUNCATED\"".to_string(),
            _ => format!(
                r#"{{"order_id":{i},"symbol":"ACME","qty":{},"px":{}.25,"tags":["a","b"],"note":"line {i}"}}"#,
                i % 97,
                i % 1000
            ),
        };
        let record = DumpRecord {
            ts_ns: 1_700_000_000_000_000_000 + i * 1_000,
            group: ["pricing", "orders", "gateway", "risk"][(i % 4) as usize].into(),
            key: Some((i % 8).to_string().into()),
            node: 1,
            seq: i + 1,
            trace_id: (1 << 62) | i,
            thread: Some(i % 4),
            direction: if i % 2 == 0 { Direction::In } else { Direction::Out },
            class: None,
            name: ["Quote", "PlaceOrder", "PlaceOrder::Response", "Tick"][(i % 4) as usize].into(),
            protocol: "trading".into(),
            kind: [MessageKind::Regular, MessageKind::Request, MessageKind::Response, MessageKind::Regular]
                [(i % 4) as usize],
            body: RawBody::new(body).expect("valid JSON"),
            correlation: (i % 4 == 1 || i % 4 == 2).then_some(i / 2),
        };
        write_record(&mut out, &record);
    }
    out
}

/// The reference the issue measures against: serde_json into a struct that
/// borrows its strings and body from the line (no reader, no owned record).
#[derive(serde::Deserialize)]
struct Borrowed<'a> {
    s: u64,
    #[serde(borrow, rename = "m")]
    _body: &'a serde_json::value::RawValue,
    #[serde(borrow, rename = "g")]
    _group: &'a str,
    #[serde(borrow, rename = "mn")]
    _name: &'a str,
    #[serde(borrow, rename = "mp")]
    _protocol: &'a str,
    #[serde(rename = "t")]
    _trace_id: u64,
    #[serde(rename = "ts")]
    _ts: u64,
}

fn dump_parse(c: &mut Criterion) {
    let bytes: &'static [u8] = Box::leak(sample(200_000).into_boxed_slice());
    let mut group = c.benchmark_group("dump_parse");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("typed_records_raw_bodies", |b| {
        b.iter(|| {
            let reader = DumpReader::from_reader("bench.dump", bytes, ReadMode::Strict);
            reader.map(|r| r.expect("valid line").seq).sum::<u64>()
        })
    });
    group.bench_function("reference_serde_borrowed_rawvalue", |b| {
        b.iter(|| {
            bytes
                .split(|&c| c == b'\n')
                .filter(|l| !l.is_empty())
                .map(|line| serde_json::from_slice::<Borrowed>(line).expect("valid line").s)
                .sum::<u64>()
        })
    });
    group.finish();
}

criterion_group!(benches, dump_parse);
criterion_main!(benches);
