//! Writes a synthetic production-like elfo dump (see `flowreplay::dump::synthetic`).
//!
//! `cargo run --release --example gen_dump -- <flows> <path>`: each flow is
//! seven lines, about 1.3 KB.

use std::io::{BufWriter, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: gen_dump <flows> <path>";
    let flows: u64 = args.next().ok_or(usage)?.parse()?;
    let path = args.next().ok_or(usage)?;
    let mut out = BufWriter::new(std::fs::File::create(&path)?);
    let mut line = Vec::with_capacity(512);
    for record in flowreplay::dump::synthetic::order_flows(flows) {
        line.clear();
        flowreplay::dump::write_record(&mut line, &record);
        out.write_all(&line)?;
    }
    out.flush()?;
    Ok(())
}
