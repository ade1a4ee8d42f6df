//! A hand-written parser for dump lines in the shape elfo writes them.
//!
//! serde_json's derive spends most of a line's time matching keys and
//! building owned strings through visitors; lines here are short and their
//! keys few and known, so a direct scan is about twice as fast. It is only a
//! fast path: anything it does not expect (an escape in a name, an unknown,
//! repeated or missing key, `null` where a value could be, a number in an
//! unusual spelling, malformed JSON) makes it give up, and the caller parses
//! the line with serde_json, which either accepts it or says what is wrong.
//! So this changes how fast a line is read, never whether it is accepted nor
//! what an error says. The body is still validated by serde_json.

use compact_str::CompactString;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::record::{Direction, DumpRecord, RawBody};
use crate::model::MessageKind;

/// The record in `text`, or `None` when the line needs the full parser.
pub(super) fn parse(text: &str) -> Option<DumpRecord> {
    let mut scan = Scan { text, at: 0 };
    let mut fields = Fields::default();
    scan.skip_space();
    scan.expect(b'{')?;
    loop {
        scan.skip_space();
        let key = scan.plain_string()?;
        scan.skip_space();
        scan.expect(b':')?;
        scan.skip_space();
        fields.read(key, &mut scan)?;
        scan.skip_space();
        match scan.next_byte()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    scan.skip_space();
    if scan.at != text.len() {
        return None;
    }
    fields.finish()
}

/// The fields seen so far; a second sighting of a key gives up.
#[derive(Default)]
struct Fields<'a> {
    ts_ns: Option<u64>,
    group: Option<&'a str>,
    key: Option<&'a str>,
    node: Option<u16>,
    seq: Option<u64>,
    trace_id: Option<u64>,
    thread: Option<u64>,
    direction: Option<Direction>,
    class: Option<&'a str>,
    name: Option<&'a str>,
    protocol: Option<&'a str>,
    kind: Option<MessageKind>,
    body: Option<&'a RawValue>,
    correlation: Option<u64>,
}

impl<'a> Fields<'a> {
    fn read(&mut self, key: &str, scan: &mut Scan<'a>) -> Option<()> {
        match key {
            "ts" => set(&mut self.ts_ns, scan.integer()?),
            "g" => set(&mut self.group, scan.plain_string()?),
            "k" => set(&mut self.key, scan.plain_string()?),
            "n" => set(&mut self.node, u16::try_from(scan.integer()?).ok()?),
            "s" => set(&mut self.seq, scan.integer()?),
            "t" => set(&mut self.trace_id, scan.integer()?),
            "th" => set(&mut self.thread, scan.integer()?),
            "d" => set(&mut self.direction, direction(scan.plain_string()?)?),
            "cl" => set(&mut self.class, scan.plain_string()?),
            "mn" => set(&mut self.name, scan.plain_string()?),
            "mp" => set(&mut self.protocol, scan.plain_string()?),
            "mk" => set(&mut self.kind, kind(scan.plain_string()?)?),
            "m" => set(&mut self.body, scan.json_value()?),
            "c" => set(&mut self.correlation, scan.integer()?),
            _ => None,
        }
    }

    fn finish(self) -> Option<DumpRecord> {
        Some(DumpRecord {
            ts_ns: self.ts_ns?,
            group: CompactString::new(self.group?),
            key: self.key.map(CompactString::new),
            node: self.node?,
            seq: self.seq?,
            trace_id: self.trace_id?,
            thread: self.thread,
            direction: self.direction?,
            class: self.class.map(CompactString::new),
            name: CompactString::new(self.name?),
            protocol: CompactString::new(self.protocol?),
            kind: self.kind?,
            body: RawBody::from_raw(self.body?),
            correlation: self.correlation,
        })
    }
}

/// Fills an empty slot; `None` (give up) if it was already filled.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

fn direction(text: &str) -> Option<Direction> {
    match text {
        "In" => Some(Direction::In),
        "Out" => Some(Direction::Out),
        _ => None,
    }
}

fn kind(text: &str) -> Option<MessageKind> {
    match text {
        "Regular" => Some(MessageKind::Regular),
        "Request" => Some(MessageKind::Request),
        "Response" => Some(MessageKind::Response),
        _ => None,
    }
}

/// Numbers of up to this many digits always fit in a `u64`.
const MAX_SAFE_DIGITS: usize = 19;

/// The value of eight ASCII digits, combined pairwise in one register rather
/// than one multiply per digit (the timestamps and trace ids of a dump line
/// are 19 digits long).
fn eight_digits(chunk: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    let digits = u64::from_le_bytes(word) - 0x3030_3030_3030_3030;
    let pairs = (digits * 10 + (digits >> 8)) & 0x00ff_00ff_00ff_00ff;
    let quads = (pairs * 100 + (pairs >> 16)) & 0x0000_ffff_0000_ffff;
    (quads * 10_000 + (quads >> 32)) & 0xffff_ffff
}

/// A position in one line of text.
struct Scan<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scan<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn skip_space(&mut self) {
        while matches!(self.bytes().get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn next_byte(&mut self) -> Option<u8> {
        let byte = *self.bytes().get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, wanted: u8) -> Option<()> {
        (self.next_byte()? == wanted).then_some(())
    }

    /// A string with no escapes and no control characters, without its
    /// quotes.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        let length = self.bytes()[start..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        let end = start + length;
        if self.bytes()[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        // Both ends sit next to an ASCII quote, so they are char boundaries.
        self.text.get(start..end)
    }

    /// An unsigned integer as JSON spells it (no sign, no leading zero, no
    /// fraction or exponent) that fits in a `u64`.
    fn integer(&mut self) -> Option<u64> {
        let digits = &self.bytes()[self.at..];
        let count = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 || (count > 1 && digits[0] == b'0') {
            return None;
        }
        if matches!(digits.get(count), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let digits = &digits[..count];
        let value = if count <= MAX_SAFE_DIGITS {
            let mut chunks = digits.chunks_exact(8);
            let mut value = chunks.by_ref().fold(0u64, |value, chunk| value * 100_000_000 + eight_digits(chunk));
            for &digit in chunks.remainder() {
                value = value * 10 + u64::from(digit - b'0');
            }
            value
        } else {
            // Longer numbers may not fit: let the standard parser check.
            std::str::from_utf8(digits).ok()?.parse().ok()?
        };
        self.at += count;
        Some(value)
    }

    /// One JSON value of any kind, validated by serde_json and kept raw.
    fn json_value(&mut self) -> Option<&'a RawValue> {
        let rest = self.text.get(self.at..)?;
        let mut deserializer = serde_json::Deserializer::from_str(rest);
        let raw = <&RawValue>::deserialize(&mut deserializer).ok()?;
        // serde_json skipped no whitespace (this scan already did), so the
        // value borrowed from `rest` starts where `rest` does.
        let text = raw.get();
        if !std::ptr::eq(text.as_ptr(), rest.as_ptr()) {
            return None;
        }
        self.at += text.len();
        Some(raw)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const LINE: &str = r#"{"ts":1763900000000450000,"g":"gateway","k":"_","n":1,"s":3,"t":18446744073709551615,"th":3,"d":"In","mn":"PlaceOrder::Response","mp":"trading","mk":"Response","m":{"order":14,"ok":true},"c":1}"#;

    /// What serde_json makes of the line, which the fast path must match.
    fn full(text: &str) -> Option<DumpRecord> {
        serde_json::from_str(text).ok()
    }

    #[test]
    fn a_canonical_line_gives_what_serde_json_gives() {
        let record = parse(LINE).unwrap();
        assert_eq!(record.trace_id, u64::MAX);
        assert_eq!(Some(record), full(LINE));
    }

    #[test]
    fn numbers_json_spells_differently_or_that_overflow_are_left_to_serde_json() {
        for (from, to) in [
            ("18446744073709551615", "18446744073709551616"),
            ("18446744073709551615", "018"),
            ("18446744073709551615", "1.0"),
            ("18446744073709551615", "1e3"),
            ("18446744073709551615", "-1"),
            (r#""n":1"#, r#""n":65536"#),
        ] {
            let line = LINE.replace(from, to);
            assert_eq!(parse(&line), None, "{line}");
        }
        assert_eq!(parse(&LINE.replace("18446744073709551615", "0")).map(|r| r.trace_id), Some(0));
    }

    #[test]
    fn escapes_nulls_unknown_and_repeated_keys_are_left_to_serde_json() {
        for (from, to) in [
            (r#""gateway""#, r#""gate\"way""#),
            (r#""k":"_""#, r#""k":null"#),
            (r#""c":1"#, r#""c":1,"extra":2"#),
            (r#""c":1"#, r#""c":1,"c":2"#),
            (r#""mk":"Response""#, r#""mk":"Other""#),
            (r#""d":"In""#, r#""d":"in""#),
        ] {
            let line = LINE.replace(from, to);
            assert_eq!(parse(&line), None, "{line}");
        }
    }

    #[test]
    fn whitespace_between_tokens_and_missing_optional_keys_are_read() {
        let spaced = LINE.replace(':', " : ").replace(',', " ,\t").replace('{', "{ ");
        assert_eq!(parse(&spaced), full(&spaced));
        assert!(parse(&spaced).is_some());
        let bare = LINE.replace(r#","c":1"#, "").replace(r#""th":3,"#, "").replace(r#""k":"_","#, "");
        assert_eq!(parse(&bare).map(|r| (r.correlation, r.thread, r.key)), Some((None, None, None)));
    }

    proptest! {
        #[test]
        fn whatever_the_fast_path_accepts_serde_json_reads_the_same(at in 0usize..400, byte in any::<u8>(), cut in 1usize..400) {
            let mut bytes = LINE.as_bytes().to_vec();
            let at = at % bytes.len();
            bytes[at] = byte;
            bytes.truncate(cut);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                if let Some(record) = parse(text) {
                    prop_assert_eq!(Some(record), full(text));
                }
            }
        }
    }
}
