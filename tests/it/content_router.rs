//! The content router: first matching route wins, by name, header or body
//! field; the fallback takes the rest; bad routes name their node and line.

use std::collections::BTreeMap;

use flowreplay::trace::EventKind;
use flowreplay::Registry;

use crate::run_text;

fn scenario(routes: &str, fallback: bool) -> String {
    let fallback_port = if fallback { "config.fallback = \"other\"\n" } else { "" };
    let other = if fallback {
        "[[node]]\nid = \"other\"\nkind = \"exporter\"\n[[connector]]\nfrom = \"route.other\"\nto = \"other.in\"\n"
    } else {
        ""
    };
    format!(
        r#"
[[node]]
id = "src"
kind = "receiver"
config.workload = {{ count = 30, rate = "1000/s", messages = [
  {{ name = "Log", body = {{ level = "error" }} }},
  {{ name = "Log", body = {{ level = "info" }} }},
  {{ name = "Metrics", body = {{ cpu = 1 }} }},
] }}
[[node]]
id = "route"
kind = "content_router"
config.routes = {routes}
{fallback_port}
[[node]]
id = "alerts"
kind = "exporter"
[[node]]
id = "metrics"
kind = "exporter"
[[connector]]
from = "src.out"
to = "route.in"
[[connector]]
from = "route.alerts"
to = "alerts.in"
[[connector]]
from = "route.metrics"
to = "metrics.in"
{other}"#
    )
}

const ROUTES: &str = r#"[
  { when = { body = "/level", equals = "error" }, to = "alerts" },
  { when = { name = "Metrics" }, to = "metrics" },
]"#;

/// Exports per exporter node, and the body of each message that reached it.
fn exports(text: &str) -> (BTreeMap<String, Vec<serde_json::Value>>, flowreplay::RunSummary) {
    let (summary, trace) = run_text(text, &Registry::builtin(), 3);
    let events: Vec<_> = trace.events().collect();
    let names = ["src", "route", "alerts", "metrics", "other"];
    let mut bodies = std::collections::HashMap::new();
    for e in &events {
        if let EventKind::Inject { body, .. } = &e.kind {
            bodies.insert(e.message, body.value().clone());
        }
    }
    let mut out: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for e in &events {
        if let EventKind::Export { node } = e.kind {
            let node = names.get(node.index()).copied().unwrap_or("?").to_string();
            out.entry(node).or_default().push(bodies[&e.message].clone());
        }
    }
    (out, summary)
}

#[test]
fn the_first_matching_route_wins_and_the_fallback_takes_the_rest() {
    let (out, summary) = exports(&scenario(ROUTES, true));
    assert!(out["alerts"].iter().all(|b| b["level"] == "error") && !out["alerts"].is_empty());
    assert!(out["metrics"].iter().all(|b| b.get("cpu").is_some()) && !out["metrics"].is_empty());
    assert!(out["other"].iter().all(|b| b["level"] == "info") && !out["other"].is_empty());
    assert_eq!(out.values().map(Vec::len).sum::<usize>(), 30);
    assert!(summary.conserved() && summary.drained());
}

#[test]
fn without_a_fallback_unmatched_messages_are_dropped_with_the_reason() {
    let (out, summary) = exports(&scenario(ROUTES, false));
    let dropped = summary.terminal["dropped"];
    assert!(dropped > 0);
    assert_eq!(out.values().map(Vec::len).sum::<usize>() as u64 + dropped, 30);
    assert_eq!(summary.reasons["dropped"]["no route matched"], dropped);
}

#[test]
fn a_bad_route_names_its_node_index_and_line() {
    let bad = scenario(r#"[{ when = { body = "level", equals = "error" }, to = "alerts" }]"#, false);
    let error = flowreplay::Scenario::parse(&bad, "routes.toml")
        .and_then(|s| s.network(&Registry::builtin()).map(|_| ()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("routes.toml:") && error.contains("node \"route\""), "{error}");
    assert!(error.contains("routes[0].when") && error.contains("JSON pointer"), "{error}");
}
