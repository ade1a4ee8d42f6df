//! Bad scenarios are refused before a run, naming the culprit and its line.

use flowreplay::Scenario;

fn error(text: &str) -> String {
    let scenario = match Scenario::parse(text, "bad.toml") {
        Ok(s) => s,
        Err(e) => return e.to_string(),
    };
    match scenario.network(&flowreplay::Registry::builtin()) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

const SRC: &str = "[[node]]\nid = \"src\"\nkind = \"receiver\"\nconfig.workload = { count = 1, rate = 10, messages = [{ name = \"M\" }] }\n";
const SINK: &str = "[[node]]\nid = \"sink\"\nkind = \"exporter\"\n";

fn wire(from: &str, to: &str) -> String {
    format!("[[connector]]\nfrom = \"{from}\"\nto = \"{to}\"\n")
}

#[test]
fn an_unknown_node_kind_is_named_with_a_suggestion_and_its_line() {
    let text = format!("{SRC}[[node]]\nid = \"f\"\nkind = \"fliter\"\n{}", wire("src.out", "f.in"));
    let e = error(&text);
    assert!(e.starts_with("bad.toml:5:1:"), "{e}");
    assert!(e.contains("unknown node kind \"fliter\"") && e.contains("did you mean \"filter\""), "{e}");
}

#[test]
fn an_unknown_key_is_rejected_with_its_position() {
    let e = error(&format!("{SRC}{SINK}colour = \"red\"\n{}", wire("src.out", "sink.in")));
    assert!(e.contains("bad.toml:8:1") && e.contains("unknown field `colour`"), "{e}");
}

#[test]
fn a_duplicate_node_id_is_named() {
    let e = error(&format!("{SRC}{SINK}{SINK}{}", wire("src.out", "sink.in")));
    assert!(e.contains("bad.toml:8:1") && e.contains("duplicate node id \"sink\""), "{e}");
}

#[test]
fn a_connector_to_an_unknown_node_is_named() {
    let e = error(&format!("{SRC}{SINK}{}", wire("src.out", "snik.in")));
    assert!(
        e.contains("bad.toml:8:1") && e.contains("unknown node \"snik\"") && e.contains("did you mean \"sink\""),
        "{e}"
    );
}

#[test]
fn a_connector_to_an_unknown_port_lists_the_ports_there_are() {
    let e = error(&format!("{SRC}{SINK}{}", wire("src.out", "sink.input")));
    assert!(e.contains("node \"sink\" has no input port \"input\"") && e.contains("its input ports: in"), "{e}");
}

#[test]
fn an_unconnected_input_is_named() {
    let e =
        error(&format!("{SRC}{SINK}[[node]]\nid = \"orphan\"\nkind = \"exporter\"\n{}", wire("src.out", "sink.in")));
    assert!(e.contains("bad.toml:8:1") && e.contains("node \"orphan\": input port \"in\" is not connected"), "{e}");
}

#[test]
fn an_output_wired_twice_is_refused() {
    let text = format!(
        "{SRC}{SINK}[[node]]\nid = \"sink2\"\nkind = \"exporter\"\n{}{}",
        wire("src.out", "sink.in"),
        wire("src.out", "sink2.in")
    );
    let e = error(&text);
    assert!(e.contains("output src.out is already wired (to sink.in)"), "{e}");
}

#[test]
fn a_cycle_is_named_node_by_node() {
    let filter =
        |id: &str| format!("[[node]]\nid = \"{id}\"\nkind = \"filter\"\nconfig = {{ drop_if = {{ name = \"X\" }} }}\n");
    let router =
        "[[node]]\nid = \"r\"\nkind = \"type_router\"\nconfig = { routes = { M = \"back\" }, default = \"on\" }\n";
    let text = format!(
        "{SRC}{}{}{router}{SINK}{}{}{}{}{}",
        filter("a"),
        filter("b"),
        wire("src.out", "a.in"),
        wire("a.out", "b.in"),
        wire("b.out", "r.in"),
        wire("r.back", "a.in"),
        wire("r.on", "sink.in")
    );
    let e = error(&text);
    assert!(e.contains("cycle: a -> b -> r -> a (a topology"), "{e}");
}

#[test]
fn a_bad_duration_names_its_line_and_the_expected_form() {
    let e = error(&format!("{SRC}{SINK}{}latency = \"5 parsecs\"\n", wire("src.out", "sink.in")));
    assert!(e.contains("bad.toml:11:") && e.contains("invalid duration \"5 parsecs\": unknown unit"), "{e}");
    let e = error(&format!("{SRC}{SINK}{}latency = {{ uniformm = [1, 2] }}\n", wire("src.out", "sink.in")));
    assert!(e.contains("bad.toml:11:") && e.contains("invalid latency: expected a duration"), "{e}");
    let e = error(&format!(
        "{SRC}[[node]]\nid = \"sink\"\nkind = \"exporter\"\nservice_time = \"fast\"\n{}",
        wire("src.out", "sink.in")
    ));
    assert!(e.contains("bad.toml:8:") && e.contains("invalid duration \"fast\"") && e.contains("e.g."), "{e}");
}

#[test]
fn a_bad_rate_names_the_node_and_what_was_expected() {
    let text = format!("[[node]]\nid = \"src\"\nkind = \"receiver\"\nconfig.workload = {{ count = 1, rate = \"0/s\", messages = [{{ name = \"M\" }}] }}\n{SINK}{}", wire("src.out", "sink.in"));
    let e = error(&text);
    assert!(e.contains("node \"src\" (receiver)") && e.contains("the rate must be above zero"), "{e}");
}

#[test]
fn invalid_toml_names_line_and_column() {
    let e = error("[[node]]\nid = \"src\nkind = 1\n");
    assert!(e.starts_with("bad.toml:2:"), "{e}");
}

#[test]
fn a_network_without_a_receiver_is_refused() {
    let e = error(SINK);
    assert!(e.contains("no receiver"), "{e}");
}

#[test]
fn a_filter_config_with_a_typo_names_the_field() {
    let text = format!(
        "{SRC}[[node]]\nid = \"f\"\nkind = \"filter\"\nconfig = {{ drop_iff = {{ name = \"X\" }} }}\n{SINK}{}{}",
        wire("src.out", "f.in"),
        wire("f.out", "sink.in")
    );
    let e = error(&text);
    assert!(e.contains("bad.toml:8:") && e.contains("unknown field `drop_iff`"), "{e}");
}

#[test]
fn a_zero_mailbox_from_code_is_refused_too() {
    let scenario = Scenario::parse(&format!("{SRC}{SINK}{}", wire("src.out", "sink.in")), "ok.toml").unwrap();
    let mut spec = scenario.network.clone();
    spec.nodes[1].mailbox = 0;
    let e = spec.build(&flowreplay::Registry::builtin()).err().unwrap().to_string();
    assert!(e.contains("node \"sink\"") && e.contains("mailbox must hold at least 1 message"), "{e}");
}
