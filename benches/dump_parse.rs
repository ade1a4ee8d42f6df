//! `dump_parse`: elfo dump lines parsed into typed records (bodies raw), in
//! MB/s on one core, beside a bare serde_json reference (see BENCHMARKS.md).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowreplay::dump::{synthetic, write_record, DumpReader, ReadMode};

/// About 210,000 lines of the synthetic order-flow dump (see
/// `flowreplay::dump::synthetic`), as bytes.
fn sample() -> Vec<u8> {
    let mut out = Vec::new();
    for record in synthetic::order_flows(30_000) {
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
    let bytes: &'static [u8] = Box::leak(sample().into_boxed_slice());
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
