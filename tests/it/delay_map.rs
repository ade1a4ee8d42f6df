//! The delay holds each message for exactly its drawn time and overtaking
//! is allowed; the map renames then sets body fields, and refuses a body it
//! cannot rewrite rather than passing it on half-done.

use std::collections::BTreeMap;

use flowreplay::trace::EventKind;
use flowreplay::Registry;

use crate::run_text;

/// src (receiver, 20 messages 1 ms apart) → mid (the node under test) → sink.
fn pipeline(kind: &str, config: &str, messages: &str) -> String {
    format!(
        r#"
[[node]]
id = "src"
kind = "receiver"
config.workload = {{ count = 20, rate = "1000/s", messages = {messages} }}
[[node]]
id = "mid"
kind = "{kind}"
{config}
[[node]]
id = "sink"
kind = "exporter"
[[connector]]
from = "src.out"
to = "mid.in"
[[connector]]
from = "mid.out"
to = "sink.in"
"#
    )
}

const PLAIN: &str = r#"[{ name = "Order", body = { px = 10, qty = 2 } }]"#;

/// Per message: when `mid` received it and when `mid` sent it on (ns).
fn hold_times(text: &str, seed: u64) -> Vec<(u64, u64)> {
    let (summary, trace) = run_text(text, &Registry::builtin(), seed);
    assert!(summary.conserved() && summary.drained());
    let mut arrived = BTreeMap::new();
    let mut held = Vec::new();
    for e in trace.events() {
        match e.kind {
            EventKind::Deliver { node, .. } if node.index() == 1 => {
                arrived.insert(e.message, e.at.0);
            }
            EventKind::Send { from, .. } if from.0.index() == 1 => held.push((arrived[&e.message], e.at.0)),
            _ => {}
        }
    }
    assert_eq!(held.len(), 20, "every message left the delay");
    held
}

#[test]
fn a_fixed_delay_holds_every_message_exactly_that_long() {
    let held = hold_times(&pipeline("delay", r#"config.for = "5ms""#, PLAIN), 1);
    assert!(held.iter().all(|&(arrived, left)| left - arrived == 5_000_000), "{held:?}");
}

#[test]
fn a_random_delay_stays_in_its_range_lets_messages_overtake_and_repeats_per_seed() {
    let text = pipeline("delay", r#"config.for = { uniform = ["1ms", "9ms"] }"#, PLAIN);
    let held = hold_times(&text, 7);
    assert!(held.iter().all(|&(a, l)| (1_000_000..=9_000_000).contains(&(l - a))), "{held:?}");
    let distinct: std::collections::BTreeSet<u64> = held.iter().map(|&(a, l)| l - a).collect();
    assert!(distinct.len() > 5, "draws vary: {distinct:?}");
    assert!(held.windows(2).any(|w| w[1].0 < w[0].0), "a later arrival left before an earlier one: {held:?}");
    assert_eq!(hold_times(&text, 7), held, "same seed, same holds");
    assert_ne!(hold_times(&text, 8), held, "another seed, other holds");
}

#[test]
fn a_reversed_delay_range_is_refused_naming_the_node() {
    let text = pipeline("delay", r#"config.for = { uniform = ["9ms", "1ms"] }"#, PLAIN);
    let error = flowreplay::Scenario::parse(&text, "delay.toml")
        .and_then(|s| s.network(&Registry::builtin()).map(|_| ()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("delay.toml:") && error.contains("node \"mid\""), "{error}");
    assert!(error.contains("for: uniform latency range is reversed"), "{error}");
}

/// The bodies the sink exported, and the run summary.
fn exported(text: &str) -> (Vec<serde_json::Value>, flowreplay::RunSummary) {
    let (summary, trace) = run_text(text, &Registry::builtin(), 3);
    let mut last_body = BTreeMap::new();
    let mut out = Vec::new();
    for e in trace.events() {
        match &e.kind {
            EventKind::Send { body, .. } => {
                last_body.insert(e.message, body.value().clone());
            }
            EventKind::Export { .. } => out.push(last_body[&e.message].clone()),
            _ => {}
        }
    }
    (out, summary)
}

#[test]
fn a_map_renames_before_it_sets_and_leaves_other_fields_alone() {
    let config = r#"config.rename = { "/px" = "/price/amount" }
config.set = { "/price/currency" = "EUR", "/qty" = 3 }"#;
    let (out, summary) = exported(&pipeline("map", config, PLAIN));
    assert_eq!(out.len(), 20);
    let want = serde_json::json!({ "price": { "amount": 10, "currency": "EUR" }, "qty": 3 });
    assert!(out.iter().all(|b| *b == want), "{:?}", out[0]);
    assert!(summary.conserved());
}

#[test]
fn a_map_refuses_a_body_it_cannot_rewrite_with_a_permanent_nack() {
    let messages = r#"[{ name = "Order", body = { px = 10 } }, { name = "Order", body = { px = 10, price = 5 } }]"#;
    let (out, summary) = exported(&pipeline("map", r#"config.set = { "/price/currency" = "EUR" }"#, messages));
    let nacked = summary.terminal["nacked"];
    assert!(!out.is_empty() && nacked > 0, "the workload draws both bodies");
    assert_eq!(out.len() as u64 + nacked, 20);
    assert!(out.iter().all(|b| *b == serde_json::json!({ "px": 10, "price": { "currency": "EUR" } })), "{out:?}");
    let reasons: Vec<_> = summary.reasons["nacked"].keys().collect();
    assert_eq!(
        reasons,
        ["map: /price/currency at segment 2 (\"currency\"): the field there is not an object or an array"]
    );
    assert!(summary.conserved());
}

#[test]
fn a_map_refuses_wildcards_bad_pointers_and_an_empty_config() {
    for (config, expected) in [
        (r#"config.set = { "/items/*/px" = 0 }"#, "set: \"/items/*/px\" names many fields"),
        (r#"config.rename = { "px" = "/price" }"#, "rename: \"px\" is not a JSON pointer"),
        ("config = {}", "a map needs `rename` or `set`"),
        (r#"config.sett = { "/a" = 1 }"#, "unknown field `sett`"),
    ] {
        let text = pipeline("map", config, PLAIN);
        let error = flowreplay::Scenario::parse(&text, "map.toml")
            .and_then(|s| s.network(&Registry::builtin()).map(|_| ()))
            .unwrap_err()
            .to_string();
        assert!(error.contains("map.toml:") && error.contains("node \"mid\""), "{error}");
        assert!(error.contains(expected), "{config}: {error}");
    }
}
