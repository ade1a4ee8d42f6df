//! Dump statistics, ordering, gap detection and request matching.

use std::path::PathBuf;

use flowreplay::dump::{read_all, read_str, sort_records, DumpStats, ReadMode, StatsBuilder, StatsFilter};

use crate::flowreplay;

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/dumps/trading.dump")
}

fn stats_of(text: &str, filter: StatsFilter) -> DumpStats {
    let mut builder = StatsBuilder::new(filter);
    for record in read_str("t.dump", text, ReadMode::Strict).0 {
        builder.add(&record.unwrap());
    }
    builder.finish(0)
}

/// One dump line: `(ts, s)`, `(group, key)`, trace id, `(direction, name, kind)`, correlation.
fn line((ts, s): (u64, u64), (g, k): (&str, &str), t: u64, (d, mn, mk): (&str, &str, &str), c: Option<u64>) -> String {
    let c = c.map_or(String::new(), |c| format!(",\"c\":{c}"));
    format!(
        r#"{{"ts":{ts},"g":"{g}","k":"{k}","n":1,"s":{s},"t":{t},"d":"{d}","mn":"{mn}","mp":"p","mk":"{mk}","m":null{c}}}"#
    ) + "\n"
}

#[test]
fn the_sample_dump_reports_its_groups_gap_and_requests() {
    let mut builder = StatsBuilder::new(StatsFilter::default());
    let records = read_all(&sample()).unwrap();
    assert_eq!(records.len(), 29);
    assert_eq!(records.iter().filter(|r| r.is_truncated()).count(), 2);
    assert_eq!(records.iter().filter(|r| r.is_null_body()).count(), 5);
    assert!(records.iter().all(|r| r.trace_id > 1 << 53));
    records.iter().for_each(|r| builder.add(r));
    let stats = builder.finish(0);
    assert_eq!(stats.lines, 27, "system.* left out");
    assert_eq!((stats.first_ts, stats.last_ts), (Some(1_763_900_000_000_000_000), Some(1_763_900_000_020_520_000)));
    let counts: Vec<(&str, u64, u64)> = stats.groups.iter().map(|(g, c)| (g.as_str(), c.inbound, c.outbound)).collect();
    assert_eq!(counts, [("audit", 3, 0), ("gateway", 8, 3), ("orders", 3, 6), ("pricing", 2, 2)]);
    let orders = &stats.groups["orders"];
    assert_eq!(orders.keys.iter().map(|k| k.as_str()).collect::<Vec<_>>(), ["eu", "us"]);
    assert_eq!((orders.messages["OrderPlaced"].outbound, orders.messages["PlaceOrder"].inbound), (3, 3));
    assert_eq!(stats.gaps.len(), 1);
    assert_eq!(
        (stats.gaps[0].node, stats.gaps[0].group.as_str(), stats.gaps[0].missing.clone()),
        (1, "orders", vec![[7, 7]])
    );
    assert_eq!((stats.requests.matched, stats.requests.unmatched, stats.requests.orphan_responses), (3, 0, 0));
    assert_eq!(stats.requests.latency_ns.p50, 350_000);
}

#[test]
fn system_groups_are_counted_only_when_asked() {
    let text = std::fs::read_to_string(sample()).unwrap();
    let stats = stats_of(&text, StatsFilter { include_system: true, ..StatsFilter::default() });
    assert_eq!(stats.lines, 29);
    assert_eq!(stats.groups["system.configurers"].keys.len(), 0, "supervisor-level lines have no key");
}

#[test]
fn records_are_ordered_by_ts_then_seq_within_a_group() {
    let ordered = sort_records(read_all(&sample()).unwrap());
    let mut last_seq = std::collections::BTreeMap::new();
    for r in &ordered {
        let previous = last_seq.insert((r.node, r.group.clone()), r.seq);
        assert!(previous.is_none_or(|p| p < r.seq), "{} s={} after s={previous:?}", r.group, r.seq);
    }
    assert!(ordered.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns));
    // Equal ts: s decides within the group. A restart (s back to 1) stays after what came before.
    let text = [
        line((60, 2), ("g", "_"), 1, ("In", "B", "Regular"), None),
        line((60, 1), ("g", "_"), 1, ("In", "A", "Regular"), None),
        line((90, 1), ("g", "_"), 1, ("In", "C", "Regular"), None),
        line((70, 3), ("g", "_"), 1, ("In", "D", "Regular"), None),
    ]
    .concat();
    let ordered = sort_records(read_str("t.dump", &text, ReadMode::Strict).0.into_iter().map(Result::unwrap).collect());
    assert_eq!(ordered.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["A", "B", "D", "C"]);
}

#[test]
fn gaps_are_the_missing_ranges_per_node_and_group_whatever_the_line_order() {
    let mut text = String::new();
    for s in [9, 1, 2, 6, 3, 10] {
        text += &line((s, s), ("a", "_"), 1, ("In", "M", "Regular"), None);
    }
    text += &line((1, 1), ("b", "_"), 1, ("In", "M", "Regular"), None);
    text += &line((2, 2), ("b", "_"), 1, ("In", "M", "Regular"), None);
    let stats = stats_of(&text, StatsFilter::default());
    assert_eq!(stats.gaps.len(), 1, "group b is complete");
    assert_eq!(stats.gaps[0].missing, [[4, 5], [7, 8]]);
}

#[test]
fn requests_match_on_requester_correlation_and_trace_even_when_c_repeats_elsewhere() {
    let text = [
        // The response is read before its request: still matched.
        line((300, 2), ("web", "1"), 77, ("In", "Get::Response", "Response"), Some(5)),
        line((100, 1), ("web", "1"), 77, ("Out", "Get", "Request"), Some(5)),
        // Same c in another group, different trace: its own exchange, unanswered.
        line((120, 1), ("cron", "_"), 88, ("Out", "Get", "Request"), Some(5)),
        // Same c and group but another key: unrelated, an orphan response.
        line((400, 3), ("web", "2"), 77, ("In", "Get::Response", "Response"), Some(5)),
        // The responder's own In Request / Out Response are not the requester's.
        line((150, 1), ("db", "_"), 77, ("In", "Get", "Request"), Some(5)),
        line((250, 2), ("db", "_"), 77, ("Out", "Get::Response", "Response"), Some(5)),
    ]
    .concat();
    let stats = stats_of(&text, StatsFilter::default());
    assert_eq!((stats.requests.matched, stats.requests.unmatched, stats.requests.orphan_responses), (1, 1, 1));
    assert_eq!(stats.requests.latency_ns.max, 200);
}

#[test]
fn filters_by_group_and_time() {
    let text = std::fs::read_to_string(sample()).unwrap();
    let only = stats_of(&text, StatsFilter { groups: vec!["pricing".into()], ..StatsFilter::default() });
    assert_eq!(only.groups.keys().map(|g| g.as_str()).collect::<Vec<_>>(), ["pricing"]);
    let window = StatsFilter {
        since_ns: Some(1_763_900_000_010_000_000),
        until_ns: Some(1_763_900_000_020_000_000),
        ..StatsFilter::default()
    };
    let stats = stats_of(&text, window);
    assert!(stats.first_ts >= Some(1_763_900_000_010_000_000) && stats.last_ts < Some(1_763_900_000_020_000_000));
    assert_eq!(stats.lines, 10);
}

#[test]
fn stats_json_has_the_documented_shape() {
    let out = flowreplay(&["stats", &sample().to_string_lossy(), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["lines", "bad_lines", "first_ts", "last_ts", "groups", "gaps", "requests"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["groups"]["gateway"]["messages"]["Quote"]["in"], 2);
    assert_eq!(v["gaps"][0]["missing"], serde_json::json!([[7, 7]]));
    assert_eq!(v["first_ts"], serde_json::json!(1_763_900_000_000_000_000u64), "exact, not rounded through f64");
    for stat in ["min", "mean", "p50", "p99", "max"] {
        assert_eq!(v["requests"]["latency_ns"][stat], 350_000);
    }
}

#[test]
fn stats_on_a_bad_line_exits_2_naming_it_unless_lenient() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.dump");
    let good = std::fs::read_to_string(sample()).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(4, "{\"ts\":\"yesterday\"}");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let out = flowreplay(&["stats", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.dump:5:") && stderr.contains("field `ts`"), "{stderr}");
    let out = flowreplay(&["stats", &path.to_string_lossy(), "--lenient", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["bad_lines"].as_u64(), v["lines"].as_u64()), (Some(1), Some(27)));
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped: "));
}

#[test]
fn several_dumps_or_a_quoted_glob_read_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample()).unwrap();
    let (first, second) = text.split_at(text.match_indices('\n').nth(10).unwrap().0 + 1);
    std::fs::write(dir.path().join("a.dump"), first).unwrap();
    std::fs::write(dir.path().join("b.dump"), second).unwrap();
    let pattern = dir.path().join("*.dump");
    let out = flowreplay(&["stats", &pattern.to_string_lossy(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lines"], 27);
    assert_eq!(v["requests"]["matched"], 3, "a request in one file matches its response in the other");
    let none = flowreplay(&["stats", &dir.path().join("*.nothing").to_string_lossy()]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no dump matches"));
}

/// Regression: the same group and key on two nodes are two requesters, but
/// their exchanges with equal `c` and `t` were merged.
#[test]
fn requesters_on_different_nodes_do_not_share_exchanges() {
    let on = |n: u16, l: String| l.replace("\"n\":1", &format!("\"n\":{n}"));
    let text = [
        on(1, line((100, 1), ("web", "_"), 7, ("Out", "Get", "Request"), Some(1))),
        on(2, line((110, 1), ("web", "_"), 7, ("Out", "Get", "Request"), Some(1))),
        on(2, line((300, 2), ("web", "_"), 7, ("In", "Get::Response", "Response"), Some(1))),
    ]
    .concat();
    let stats = stats_of(&text, StatsFilter::default());
    assert_eq!((stats.requests.matched, stats.requests.unmatched), (1, 1));
    assert_eq!(stats.requests.latency_ns.max, 190);
}

/// Regression: a body given as pretty-printed JSON was written over several
/// lines, breaking the one-record-per-line format.
#[test]
fn a_multi_line_body_is_written_on_one_line() {
    let body = flowreplay::dump::RawBody::new("{\n  \"a\": 1\n}".into()).unwrap();
    assert_eq!(body.get(), r#"{"a":1}"#);
}
