//! The elfo dump reader: every malformed case names its line; valid
//! variations all read; nothing panics; write → read gives the same records.

use flowreplay::dump::{read_str, write_record, Direction, DumpRecord, RawBody, ReadMode};
use flowreplay::MessageKind;
use proptest::prelude::*;

const GOOD: &str = r#"{"ts":1700000000000000001,"g":"pricing","k":"_","n":1,"s":1,"t":12345678901234567890,"th":7,"d":"In","mn":"Quote","mp":"market","mk":"Regular","m":{"px":1.5}}"#;

fn strict(text: &str) -> Result<Vec<DumpRecord>, String> {
    let (records, _) = read_str("x.dump", text, ReadMode::Strict);
    records.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())
}

fn strict_error(text: &str) -> String {
    strict(text).expect_err("expected a bad line")
}

#[test]
fn ids_above_2_pow_53_are_exact() {
    let records = strict(GOOD).unwrap();
    assert_eq!(records[0].trace_id, 12_345_678_901_234_567_890);
    assert_eq!(records[0].ts_ns, 1_700_000_000_000_000_001);
    let mut out = Vec::new();
    write_record(&mut out, &records[0]);
    assert!(String::from_utf8(out).unwrap().contains("\"t\":12345678901234567890"), "written without f64");
}

#[test]
fn keys_in_any_order_and_missing_optional_keys_are_fine() {
    let line = r#"{"m":null,"mk":"Request","mp":"p","mn":"Get","d":"Out","t":5,"s":2,"n":3,"g":"api","ts":10}"#;
    let record = &strict(line).unwrap()[0];
    assert_eq!(
        (record.key.as_deref(), record.thread, record.class.as_deref(), record.correlation),
        (None, None, None, None)
    );
    assert_eq!((record.direction, record.kind), (Direction::Out, MessageKind::Request));
    assert!(record.is_null_body());
}

#[test]
fn a_truncated_body_is_flagged() {
    let line = GOOD.replace(r#"{"px":1.5}"#, r#""{\"px\":1.5, \"histo TRUNCATED""#);
    let record = &strict(&line).unwrap()[0];
    assert!(record.is_truncated());
    assert!(!strict(GOOD).unwrap()[0].is_truncated());
}

#[test]
fn crlf_a_bom_blank_lines_and_a_last_line_without_newline_all_read() {
    let text = format!("\u{feff}{GOOD}\r\n\r\n   \n{GOOD}\n\n{GOOD}");
    assert_eq!(strict(&text).unwrap().len(), 3);
}

#[test]
fn an_empty_file_has_zero_records() {
    assert_eq!(strict("").unwrap().len(), 0);
}

#[test]
fn a_multi_megabyte_body_is_valid() {
    let big = "x".repeat(3 << 20);
    let line = GOOD.replace(r#"{"px":1.5}"#, &format!("{{\"blob\":\"{big}\"}}"));
    assert_eq!(strict(&line).unwrap()[0].body_bytes() as usize, big.len() + 11);
}

#[test]
fn a_missing_field_is_named_with_its_line() {
    let text = format!("{GOOD}\n{}\n", GOOD.replace(r#""mn":"Quote","#, ""));
    let e = strict_error(&text);
    assert!(e.starts_with("x.dump:2:") && e.contains("missing field `mn`"), "{e}");
}

#[test]
fn a_wrong_type_names_the_field_line_and_column() {
    let text = format!("{GOOD}\n{GOOD}\n{}\n", GOOD.replace(r#""n":1"#, r#""n":"one""#));
    let e = strict_error(&text);
    assert!(e.starts_with("x.dump:3:"), "{e}");
    assert!(e.contains("field `n`") && e.contains("expected u16"), "{e}");
}

/// Regression: the field was found by the nearest `":` before the error,
/// which a string value containing `":` fooled.
#[test]
fn a_wrong_type_after_a_tricky_string_still_names_its_own_field() {
    let line = GOOD.replace(r#""g":"pricing""#, r#""g":"a\":b{[""#).replace(r#""n":1"#, r#""n":"one""#);
    let e = strict_error(&line);
    assert!(e.contains("field `n`"), "{e}");
}

#[test]
fn a_float_id_is_refused_rather_than_rounded() {
    let e = strict_error(&GOOD.replace("12345678901234567890", "1.2345678901234567e19"));
    assert!(e.contains("field `t`") && e.contains("expected u64"), "{e}");
}

#[test]
fn a_bad_direction_or_kind_says_what_was_expected() {
    let e = strict_error(&GOOD.replace(r#""d":"In""#, r#""d":"Sideways""#));
    assert!(e.contains("unknown variant `Sideways`, expected `In` or `Out`"), "{e}");
    let e = strict_error(&GOOD.replace(r#""mk":"Regular""#, r#""mk":"Odd""#));
    assert!(e.contains("unknown variant `Odd`"), "{e}");
}

#[test]
fn a_truncated_final_line_is_an_error_naming_it() {
    let text = format!("{GOOD}\n{}", &GOOD[..60]);
    let e = strict_error(&text);
    assert!(e.starts_with("x.dump:2:") && e.contains("truncated line"), "{e}");
}

#[test]
fn invalid_utf8_is_an_error_naming_the_line_and_byte() {
    let mut bytes = format!("{GOOD}\n").into_bytes();
    let mut bad = GOOD.as_bytes().to_vec();
    bad[30] = 0xff;
    bytes.extend_from_slice(&bad);
    let mut reader = flowreplay::dump::DumpReader::from_reader("x.dump", std::io::Cursor::new(bytes), ReadMode::Strict);
    assert!(reader.next().unwrap().is_ok());
    let e = reader.next().unwrap().unwrap_err().to_string();
    assert!(e.starts_with("x.dump:2:31:") && e.contains("invalid UTF-8"), "{e}");
    assert!(reader.next().is_none(), "strict mode stops at the first bad line");
}

#[test]
fn not_json_at_all_is_an_error() {
    let e = strict_error("hello world\n");
    assert!(e.starts_with("x.dump:1:"), "{e}");
}

#[test]
fn lenient_mode_skips_bad_lines_and_reports_them() {
    let text = format!("{GOOD}\nnot json\n{GOOD}\n{}\n{GOOD}\n", GOOD.replace(r#""s":1"#, r#""s":-1"#));
    let (records, bad) = read_str("x.dump", &text, ReadMode::Lenient);
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(Result::is_ok));
    assert_eq!(bad.count, 2);
    assert_eq!(bad.first.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 4]);
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let mut reader = flowreplay::dump::DumpReader::open(&["no/such.dump".into()], ReadMode::Strict);
    let e = reader.next().unwrap().unwrap_err().to_string();
    assert!(e.starts_with("no/such.dump: cannot open dump"), "{e}");
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_string()),
        any::<String>().prop_map(|s| serde_json::to_string(&format!("{s} TRUNCATED")).unwrap()),
        (any::<String>(), any::<i64>(), any::<bool>())
            .prop_map(|(s, n, b)| serde_json::json!({"s": s, "n": n, "b": b, "a": [n, s]}).to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
    ]
}

prop_compose! {
    fn record()(
        ts_ns in any::<u64>(), group in "\\PC{0,12}", key in proptest::option::of("\\PC{0,6}"), node in any::<u16>(),
        seq in any::<u64>(), trace_id in any::<u64>(), thread in proptest::option::of(any::<u64>()), out in any::<bool>(),
        class in proptest::option::of("[a-z]{1,8}"), name in "\\PC{1,16}", protocol in "\\PC{0,8}", kind in 0u8..3,
        body in body(), correlation in proptest::option::of(any::<u64>()),
    ) -> DumpRecord {
        DumpRecord {
            ts_ns, group: group.into(), key: key.map(Into::into), node, seq, trace_id, thread,
            direction: if out { Direction::Out } else { Direction::In },
            class: class.map(Into::into), name: name.into(), protocol: protocol.into(),
            kind: [MessageKind::Regular, MessageKind::Request, MessageKind::Response][kind as usize],
            body: RawBody::new(body).unwrap(),
            correlation,
        }
    }
}

proptest! {
    #[test]
    fn writing_then_reading_gives_back_the_same_records(records in proptest::collection::vec(record(), 0..20)) {
        let mut text = Vec::new();
        for r in &records {
            write_record(&mut text, r);
        }
        let back = strict(std::str::from_utf8(&text).unwrap()).unwrap();
        prop_assert_eq!(back, records);
    }

    #[test]
    fn the_reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        for mode in [ReadMode::Strict, ReadMode::Lenient] {
            let reader = flowreplay::dump::DumpReader::from_reader("fuzz.dump", std::io::Cursor::new(bytes.clone()), mode);
            for item in reader {
                let _ = item.map_err(|e| e.to_string());
            }
        }
    }

    #[test]
    fn the_reader_never_panics_on_mutated_valid_lines(at in 0usize..200, byte in any::<u8>(), cut in 0usize..220) {
        let mut line = GOOD.as_bytes().to_vec();
        let at = at % line.len();
        line[at] = byte;
        line.truncate(cut.min(line.len()));
        let lines = line.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let reader = flowreplay::dump::DumpReader::from_reader("fuzz.dump", std::io::Cursor::new(line), ReadMode::Strict);
        for item in reader {
            if let Err(e) = item {
                prop_assert!((1..=lines).contains(&e.line), "errors name a line of the input: {}", e);
            }
        }
    }
}
