//! Writes dump records in elfo's own format and key order
//! (`ts, g, k?, n, s, t, th?, d, cl?, mn, mp, mk, m, c?`).

use std::io::{self, Write};

use super::record::{Direction, DumpRecord};
use crate::model::MessageKind;

/// Appends one record as a JSON line (with its newline) to `out`.
///
/// Ids are written as exact integers and the body verbatim, so reading the
/// line back gives the same record.
pub fn write_record(out: &mut Vec<u8>, record: &DumpRecord) {
    let string = |out: &mut Vec<u8>, s: &str| {
        // Serializing a &str into a Vec cannot fail.
        serde_json::to_writer(&mut *out, s).unwrap_or_default();
    };
    let _ = write!(out, "{{\"ts\":{},\"g\":", record.ts_ns);
    string(out, &record.group);
    if let Some(key) = &record.key {
        out.extend_from_slice(b",\"k\":");
        string(out, key);
    }
    let _ = write!(out, ",\"n\":{},\"s\":{},\"t\":{}", record.node, record.seq, record.trace_id);
    if let Some(thread) = record.thread {
        let _ = write!(out, ",\"th\":{thread}");
    }
    out.extend_from_slice(match record.direction {
        Direction::In => b",\"d\":\"In\"",
        Direction::Out => b",\"d\":\"Out\"",
    });
    if let Some(class) = &record.class {
        out.extend_from_slice(b",\"cl\":");
        string(out, class);
    }
    out.extend_from_slice(b",\"mn\":");
    string(out, &record.name);
    out.extend_from_slice(b",\"mp\":");
    string(out, &record.protocol);
    out.extend_from_slice(match record.kind {
        MessageKind::Regular => b",\"mk\":\"Regular\"",
        MessageKind::Request => b",\"mk\":\"Request\"",
        MessageKind::Response => b",\"mk\":\"Response\"",
    });
    out.extend_from_slice(b",\"m\":");
    out.extend_from_slice(record.body.get().as_bytes());
    if let Some(c) = record.correlation {
        let _ = write!(out, ",\"c\":{c}");
    }
    out.extend_from_slice(b"}\n");
}

/// Writes every record to `out`, one line each.
pub fn write_records<'a>(out: &mut impl Write, records: impl IntoIterator<Item = &'a DumpRecord>) -> io::Result<()> {
    let mut line = Vec::with_capacity(512);
    for record in records {
        line.clear();
        write_record(&mut line, record);
        out.write_all(&line)?;
    }
    Ok(())
}
