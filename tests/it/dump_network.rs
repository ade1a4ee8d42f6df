//! The network inferred from a dump, and `flowreplay graph`.

use std::path::PathBuf;

use flowreplay::dump::{read_all, read_str, InferredNetwork, NetworkBuilder, ReadMode};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/dumps/trading.dump")
}

fn infer(text: &str, include_system: bool) -> InferredNetwork {
    let mut builder = NetworkBuilder::new(include_system);
    for record in read_str("t.dump", text, ReadMode::Strict).0 {
        builder.add(&record.unwrap());
    }
    builder.finish()
}

fn edges(network: &InferredNetwork) -> Vec<(String, String, String)> {
    network.edges.iter().map(|((a, b), flow)| (a.to_string(), b.to_string(), flow.label())).collect()
}

#[test]
fn the_sample_dump_implies_its_edges_and_external_inputs() {
    let mut builder = NetworkBuilder::new(false);
    read_all(&sample()).unwrap().iter().for_each(|r| builder.add(r));
    let network = builder.finish();
    assert_eq!(network.groups, ["audit", "gateway", "orders", "pricing"]);
    let expected = [
        ("gateway", "orders", "PlaceOrder ×3"),
        ("orders", "audit", "OrderPlaced ×3"),
        ("orders", "gateway", "PlaceOrder::Response ×3"),
        ("pricing", "gateway", "Quote ×2"),
    ];
    assert_eq!(edges(&network), expected.map(|(a, b, l)| (a.to_string(), b.to_string(), l.to_string())));
    let external: Vec<(String, String)> = network.external.iter().map(|(g, f)| (g.to_string(), f.label())).collect();
    assert_eq!(external, [("gateway".to_string(), "NewOrder ×3".to_string()), ("pricing".into(), "Tick ×2".into())]);
    assert!(network.undelivered.is_empty());
}

const OUT: &str =
    r#"{"ts":10,"g":"a","k":"_","n":1,"s":1,"t":5,"d":"Out","mn":"M","mp":"p","mk":"Regular","m":{"x":1}}"#;

#[test]
fn an_out_with_no_in_is_undelivered_not_an_error() {
    let network = infer(&format!("{OUT}\n"), false);
    assert!(network.edges.is_empty());
    assert_eq!(network.undelivered["a"].label(), "M ×1");
}

#[test]
fn an_in_matches_only_an_out_with_the_same_trace_name_and_body() {
    let inbound = OUT.replace("\"g\":\"a\"", "\"g\":\"b\"").replace("Out", "In").replace("\"ts\":10", "\"ts\":20");
    let matched = infer(&format!("{OUT}\n{inbound}\n"), false);
    assert_eq!(edges(&matched), [("a".to_string(), "b".to_string(), "M ×1".to_string())]);
    for changed in [inbound.replace("\"t\":5", "\"t\":6"), inbound.replace("{\"x\":1}", "{\"x\":2}")] {
        let network = infer(&format!("{OUT}\n{changed}\n"), false);
        assert!(network.edges.is_empty(), "{changed}");
        assert_eq!(network.external["b"].messages, 1);
        assert_eq!(network.undelivered["a"].messages, 1);
    }
}

#[test]
fn dot_and_mermaid_draw_every_edge_with_its_counts() {
    let text = std::fs::read_to_string(sample()).unwrap();
    let network = infer(&text, true);
    let dot = network.to_dot();
    assert!(dot.starts_with("digraph flowreplay {") && dot.trim_end().ends_with('}'));
    assert!(dot.contains("\"gateway\" -> \"orders\" [label=\"PlaceOrder ×3\"];"), "{dot}");
    assert!(dot.contains("\"(external)\" -> \"pricing\" [label=\"Tick ×2\"];"), "{dot}");
    let mermaid = network.to_mermaid();
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(mermaid.contains("[\"system.configurers\"]"), "dotted group names are labels, not ids: {mermaid}");
    assert!(mermaid.contains("-->|\"PlaceOrder ×3\"|"), "{mermaid}");
    assert!(mermaid.contains("-.->|\"UpdateConfig ×1\"| undelivered"), "{mermaid}");
}

#[test]
fn graph_cli_prints_dot_by_default_and_mermaid_on_request() {
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowreplay"))
            .args(["graph", &sample().to_string_lossy()])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(&[]).contains("\"orders\" -> \"audit\" [label=\"OrderPlaced ×3\"];"));
    assert!(run(&["--format", "mermaid"]).contains("flowchart LR"));
}

/// Regression: each In used to take the latest matching Out even when another
/// In had taken it, leaving the earlier identical Out "undelivered".
#[test]
fn identical_sends_are_matched_one_to_one_before_any_is_shared() {
    let line = |ts: u64, g: &str, d: &str| {
        format!(
            r#"{{"ts":{ts},"g":"{g}","k":"_","n":1,"s":{ts},"t":9,"d":"{d}","mn":"Tick","mp":"p","mk":"Regular","m":null}}"#
        ) + "\n"
    };
    let text = [line(10, "a", "Out"), line(20, "a", "Out"), line(25, "b", "In"), line(30, "b", "In")].concat();
    let network = infer(&text, false);
    assert_eq!(network.edges[&("a".into(), "b".into())].messages, 2);
    assert!(network.undelivered.is_empty(), "{:?}", network.undelivered);
    // One send received by two groups is one Out shared by two Ins.
    let broadcast = [line(10, "a", "Out"), line(20, "b", "In"), line(20, "c", "In")].concat();
    let network = infer(&broadcast, false);
    assert_eq!((network.edges.len(), network.undelivered.len()), (2, 0));
}
