//! Turning a generated scenario's choices into scenario text: nodes wired
//! as a DAG (every input and output connected), a workload per receiver,
//! and faults on its edges and nodes.

use crate::model::{Nanos, SimRng};
use crate::net::Latency;
use crate::scenario::Scenario;
use crate::sim::{Fault, FaultKind};

use proptest::sample::Index;

use super::{FaultChoice, GenOptions, NodeChoice, CATALOG};

/// A generated scenario: its text, and what it is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedScenario {
    /// The scenario file.
    pub text: String,
    /// Its nodes, receivers and exporters included.
    pub nodes: usize,
    /// Messages its receivers inject in all.
    pub messages: u64,
    /// Its faults.
    pub faults: usize,
}

impl GeneratedScenario {
    /// The scenario, parsed from its text (which is always valid).
    pub fn scenario(&self) -> Scenario {
        Scenario::parse(&self.text, "generated.toml").unwrap_or_else(|e| panic!("a generated scenario is valid: {e}"))
    }
}

/// A node being laid out: id, kind, configuration.
struct Laid {
    id: String,
    kind: String,
    config: toml::Table,
}

fn value(text: &str) -> toml::Value {
    toml::Value::String(text.to_string())
}

/// The names the workloads send, and what filters and routers match.
const NAMES: [&str; 3] = ["Metrics", "Logs", "Traces"];

/// Configuration and outputs of a catalog kind, drawn from `n`.
fn catalog_node(kind: &str, n: u32) -> (toml::Table, Vec<String>) {
    let mut config = toml::Table::new();
    let ms = |k: u32| value(&format!("{}ms", 1 + k % 5));
    let name = NAMES[n as usize % NAMES.len()];
    let out = vec!["out".to_string()];
    let outputs = match kind {
        "map" => {
            let set = toml::Table::from_iter([("/seen".to_string(), toml::Value::Boolean(true))]);
            config.insert("set".into(), toml::Value::Table(set));
            out
        }
        "delay" => {
            config.insert("for".into(), ms(n));
            out
        }
        "filter" => {
            let condition = toml::Table::from_iter([("name".to_string(), value(name))]);
            config.insert("drop_if".into(), toml::Value::Table(condition));
            out
        }
        "sampling" => {
            config.insert("keep".into(), toml::Value::Float([0.5, 0.9, 1.0][n as usize % 3]));
            out
        }
        "deadline" => {
            config.insert("within".into(), value(&format!("{}ms", 5 + n % 40)));
            out
        }
        "type_router" => {
            let routes = toml::Table::from_iter([(name.to_string(), value("a"))]);
            config.insert("routes".into(), toml::Value::Table(routes));
            config.insert("default".into(), value("b"));
            vec!["a".into(), "b".into()]
        }
        "content_router" => {
            let when = toml::Table::from_iter([("name".to_string(), value(name))]);
            let route = toml::Table::from_iter([
                ("when".to_string(), toml::Value::Table(when)),
                ("to".to_string(), value("a")),
            ]);
            config.insert("routes".into(), toml::Value::Array(vec![toml::Value::Table(route)]));
            config.insert("fallback".into(), value("b"));
            vec!["a".into(), "b".into()]
        }
        "batch" => {
            config.insert("max_size".into(), toml::Value::Integer(2 + i64::from(n % 6)));
            config.insert("max_delay".into(), ms(n));
            out
        }
        "retry" => {
            config.insert("max_attempts".into(), toml::Value::Integer(1 + i64::from(n % 3)));
            config.insert("backoff".into(), ms(n));
            out
        }
        "ack_controller" => {
            config.insert("mode".into(), value(["ingress", "pre_export", "downstream"][n as usize % 3]));
            out
        }
        _ => {
            if n % 2 == 0 {
                config.insert("ack_timeout".into(), value(&format!("{}ms", 5 + n % 20)));
            }
            vec!["primary".into(), "fallback".into()]
        }
    };
    (config, outputs)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build(
    options: &GenOptions,
    choices: &[NodeChoice],
    messages: u64,
    rate: usize,
    receivers: usize,
    exporters: usize,
    faults: &[FaultChoice],
    seed: u64,
) -> GeneratedScenario {
    let kinds = CATALOG.len() + options.extra_kinds.len();
    let mut laid: Vec<Laid> = Vec::new();
    // Open outputs, as (node index, port); each is wired exactly once.
    let mut open: Vec<(usize, String)> = Vec::new();
    let rate = ["1000/s", "250/s", "5/ms", "100/s"][rate];
    for r in 0..receivers {
        let mut config = toml::Table::new();
        let template = toml::Table::from_iter([
            ("name".to_string(), value(NAMES[r % NAMES.len()])),
            ("size".to_string(), toml::Value::Integer(64)),
            ("body".to_string(), toml::Value::Table(toml::Table::from_iter([("n".to_string(), value("{seq}"))]))),
        ]);
        let other = toml::Table::from_iter([("name".to_string(), value(NAMES[(r + 1) % NAMES.len()]))]);
        let workload = toml::Table::from_iter([
            ("count".to_string(), toml::Value::Integer(messages as i64)),
            ("rate".to_string(), value(rate)),
            ("arrival".to_string(), value(if r == 0 { "fixed" } else { "poisson" })),
            ("messages".to_string(), toml::Value::Array(vec![toml::Value::Table(template), toml::Value::Table(other)])),
        ]);
        config.insert("workload".into(), toml::Value::Table(workload));
        laid.push(Laid { id: format!("src{}", r + 1), kind: "receiver".into(), config });
        open.push((laid.len() - 1, "out".into()));
    }
    let mut edges: Vec<(String, String)> = Vec::new();
    for (number, (kind, feed, n)) in choices.iter().enumerate() {
        // A branch ended by a kind with no outputs leaves nothing to feed the rest.
        if open.is_empty() {
            break;
        }
        let which = kind.index(kinds);
        let (kind, config, input, outputs) = match CATALOG.get(which) {
            Some(kind) => {
                let (config, outputs) = catalog_node(kind, *n);
                (kind.to_string(), config, "in".to_string(), outputs)
            }
            None => {
                let extra = &options.extra_kinds[which - CATALOG.len()];
                let Some(input) = extra.inputs.first() else { continue };
                (extra.kind.clone(), toml::Table::new(), input.clone(), extra.outputs.clone())
            }
        };
        let (from, port) = open.remove(feed.index(open.len()));
        let id = format!("p{}", number + 1);
        edges.push((format!("{}.{port}", laid[from].id), format!("{id}.{input}")));
        laid.push(Laid { id, kind, config });
        let index = laid.len() - 1;
        open.extend(outputs.into_iter().map(|port| (index, port)));
    }
    // What is still open goes to the exporters, each of which gets at least one.
    let exporters = exporters.min(open.len());
    let first_exporter = laid.len();
    for e in 0..exporters {
        let mut config = toml::Table::new();
        if e == 1 {
            config.insert("fail_every".into(), toml::Value::Integer(7));
        }
        laid.push(Laid { id: format!("sink{}", e + 1), kind: "exporter".into(), config });
    }
    for (position, (from, port)) in open.into_iter().enumerate() {
        let sink = &laid[first_exporter + position % exporters];
        edges.push((format!("{}.{port}", laid[from].id), format!("{}.in", sink.id)));
    }
    let gap_ns: u64 = match rate {
        "1000/s" => 1_000_000,
        "250/s" => 4_000_000,
        "5/ms" => 200_000,
        _ => 10_000_000,
    };
    // The run's length, estimated from the workload (plus some slack).
    let horizon = Nanos(messages.saturating_mul(gap_ns).saturating_add(20_000_000));
    let named =
        |kind: fn(&str) -> bool| laid.iter().filter(|n| kind(&n.kind)).map(|n| n.id.clone()).collect::<Vec<_>>();
    let targets = Targets {
        edges: edges.iter().map(|(from, to)| crate::net::edge_label(from, to)).collect(),
        processors: named(|kind| CATALOG.contains(&kind)),
        exporters: named(|kind| kind == "exporter"),
    };
    let generated_faults = fault_plan(faults, &targets, horizon);
    let mut table = toml::Table::new();
    table.insert("name".into(), value("generated"));
    table.insert(
        "run".into(),
        toml::Value::Table(toml::Table::from_iter([("seed".to_string(), crate::scenario::seed_value(seed))])),
    );
    let nodes = laid
        .iter()
        .map(|node| {
            let mut entry = toml::Table::new();
            entry.insert("id".into(), value(&node.id));
            entry.insert("kind".into(), value(&node.kind));
            if !node.config.is_empty() {
                entry.insert("config".into(), toml::Value::Table(node.config.clone()));
            }
            toml::Value::Table(entry)
        })
        .collect();
    table.insert("node".into(), toml::Value::Array(nodes));
    let mut rng = SimRng::seed_from(seed);
    let connectors = edges
        .iter()
        .map(|(from, to)| {
            let latency = match rng.below(3) {
                0 => value("1ms"),
                1 => value("250us"),
                _ => toml::Value::Table(toml::Table::from_iter([(
                    "uniform".to_string(),
                    toml::Value::Array(vec![value("1ms"), value("3ms")]),
                )])),
            };
            let entry = toml::Table::from_iter([
                ("from".to_string(), value(from)),
                ("to".to_string(), value(to)),
                ("latency".to_string(), latency),
            ]);
            toml::Value::Table(entry)
        })
        .collect();
    table.insert("connector".into(), toml::Value::Array(connectors));
    if !generated_faults.is_empty() {
        let faults = generated_faults.iter().map(|f| toml::Value::Table(crate::scenario::fault_table(f))).collect();
        table.insert("fault".into(), toml::Value::Array(faults));
    }
    let header = format!(
        "# Generated by flowreplay: {} nodes, {} messages, {} faults.\n",
        laid.len(),
        messages.saturating_mul(receivers as u64),
        generated_faults.len()
    );
    GeneratedScenario {
        text: header + &toml::to_string(&table).unwrap_or_default(),
        nodes: laid.len(),
        messages: messages.saturating_mul(receivers as u64),
        faults: generated_faults.len(),
    }
}

/// What faults can act on: the edges (`"a.out -> b.in"`), the built-in
/// processors (which a crash or a skew may hit) and the exporters.
pub(super) struct Targets {
    pub(super) edges: Vec<String>,
    pub(super) processors: Vec<String>,
    pub(super) exporters: Vec<String>,
}

/// The faults the choices describe on `targets`, with windows within `horizon`.
pub(super) fn fault_plan(choices: &[FaultChoice], targets: &Targets, horizon: Nanos) -> Vec<Fault> {
    let horizon = horizon.0.max(1_000_000);
    let pick = |list: &[String], at: Index| list[at.index(list.len())].clone();
    let mut faults: Vec<Fault> = Vec::new();
    let drawn = choices.iter().filter_map(|&(kind, target, start, length, p)| {
        let from = Nanos(horizon * u64::from(start) / 1000);
        let span = horizon * u64::from(length) / 1000;
        let until = Some(Nanos(from.0 + span.max(1)));
        let probability = [1.0, 0.5, 0.2, 0.05][p as usize % 4];
        let by = 1_000_000 + span / 10;
        let on_edge = !targets.edges.is_empty();
        // A node fault with no node to act on becomes an edge fault.
        let mut which = kind % 8;
        if matches!(which, 5 | 7) && targets.processors.is_empty() || which == 6 && targets.exporters.is_empty() {
            which %= 5;
        }
        let (kind, target, probability, until) = match which {
            0 if on_edge => (FaultKind::Drop, pick(&targets.edges, target), probability, until),
            1 if on_edge => {
                (FaultKind::Delay(Latency::Fixed(Nanos(by))), pick(&targets.edges, target), probability, until)
            }
            2 if on_edge => (FaultKind::Duplicate, pick(&targets.edges, target), probability, until),
            3 if on_edge => {
                (FaultKind::Reorder(Latency::Fixed(Nanos(by))), pick(&targets.edges, target), probability, until)
            }
            4 if on_edge => (FaultKind::Partition, pick(&targets.edges, target), 1.0, until),
            5 if !targets.processors.is_empty() => {
                let crash = FaultKind::Crash { restart_after: Some(Nanos(span + 1)), keep_mailbox: p % 2 == 0 };
                (crash, pick(&targets.processors, target), 1.0, None)
            }
            6 if !targets.exporters.is_empty() => {
                let outage = FaultKind::Outage { reason: "outage".into(), permanent: false };
                (outage, pick(&targets.exporters, target), probability, until)
            }
            7 if !targets.processors.is_empty() => {
                let skew = if p % 2 == 0 { by as i64 } else { -(by as i64) };
                (FaultKind::Skew(skew), pick(&targets.processors, target), 1.0, until)
            }
            _ => return None,
        };
        Some(Fault { kind, target, from, until, probability })
    });
    for fault in drawn {
        // Two crashes of one node may not overlap: a later one that would is left out.
        if !faults.iter().any(|f| f.target == fault.target && f.downtime_overlaps(&fault)) {
            faults.push(fault);
        }
    }
    faults
}
