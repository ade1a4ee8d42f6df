//! A scenario written back as text: its file with the fault plan, workload
//! counts and seed it holds now, so that what `explore` shrank (or drew) is
//! a file `run` accepts. Comments of the original are not kept.

use crate::net::Latency;
use crate::sim::{Fault, FaultKind};

use super::Scenario;

impl Scenario {
    /// The scenario as a file: its text with `[run] seed`, every
    /// receiver's `workload.count` and the `[[fault]]` entries replaced by
    /// what this value holds now, led by `header` (each line a comment).
    pub fn to_text(&self, header: &str) -> String {
        // The text parsed when the scenario was made, so it parses again.
        let mut table: toml::Table = toml::from_str(&self.text).unwrap_or_default();
        let run = table.entry("run").or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let Some(run) = run.as_table_mut() {
            run.insert("seed".into(), seed_value(self.run.seed));
        }
        if let Some(nodes) = table.get_mut("node").and_then(toml::Value::as_array_mut) {
            for (node, spec) in nodes.iter_mut().zip(&self.network.nodes) {
                let count = spec.config.pointer("/workload/count").and_then(serde_json::Value::as_u64);
                let workload =
                    node.get_mut("config").and_then(|c| c.get_mut("workload")).and_then(|w| w.as_table_mut());
                if let (Some(count), Some(workload)) = (count, workload) {
                    workload.insert("count".into(), toml::Value::Integer(count as i64));
                }
            }
        }
        table.remove("fault");
        if !self.faults.is_empty() {
            let faults = self.faults.iter().map(|f| toml::Value::Table(fault_table(f))).collect();
            table.insert("fault".into(), toml::Value::Array(faults));
        }
        let mut text: String = header.lines().map(|line| format!("# {line}\n")).collect();
        text.push_str(&toml::to_string(&table).unwrap_or_default());
        text
    }
}

/// A seed as `[run] seed` is written: an integer, or (above what a TOML
/// integer holds, 2^63 - 1) a string of digits, which `[run]` also reads.
pub(crate) fn seed_value(seed: u64) -> toml::Value {
    match i64::try_from(seed) {
        Ok(seed) => toml::Value::Integer(seed),
        Err(_) => toml::Value::String(seed.to_string()),
    }
}

/// A fault as its `[[fault]]` table.
pub(crate) fn fault_table(fault: &Fault) -> toml::Table {
    let mut table = toml::Table::new();
    let text = |s: &str| toml::Value::String(s.to_string());
    table.insert("kind".into(), text(fault.kind.label()));
    let target = if fault.kind.on_edge() { "edge" } else { "node" };
    table.insert(target.into(), text(&fault.target));
    if let FaultKind::Crash { restart_after, keep_mailbox } = &fault.kind {
        table.insert("at".into(), text(&fault.from.to_string()));
        if let Some(after) = restart_after {
            table.insert("restart_after".into(), text(&after.to_string()));
        }
        table.insert("mailbox".into(), text(if *keep_mailbox { "keep" } else { "lose" }));
        return table;
    }
    if fault.from.0 > 0 {
        table.insert("from".into(), text(&fault.from.to_string()));
    }
    if let Some(until) = fault.until {
        table.insert("until".into(), text(&until.to_string()));
    }
    if fault.probability < 1.0 {
        table.insert("p".into(), toml::Value::Float(fault.probability));
    }
    match &fault.kind {
        FaultKind::Delay(by) | FaultKind::Reorder(by) => {
            table.insert("by".into(), latency_value(by));
        }
        FaultKind::Outage { reason, permanent } => {
            table.insert("reason".into(), text(reason));
            table.insert("permanent".into(), toml::Value::Boolean(*permanent));
        }
        FaultKind::Skew(by) => {
            let magnitude = crate::model::Nanos(by.unsigned_abs());
            table.insert("by".into(), text(&format!("{}{magnitude}", if *by < 0 { "-" } else { "" })));
        }
        _ => {}
    }
    table
}

/// A latency model as it is written in a scenario.
fn latency_value(latency: &Latency) -> toml::Value {
    let text = |n: &crate::model::Nanos| toml::Value::String(n.to_string());
    match latency {
        Latency::Fixed(n) => text(n),
        Latency::Uniform { uniform: [low, high] } => toml::Value::Table(toml::Table::from_iter([(
            "uniform".to_string(),
            toml::Value::Array(vec![text(low), text(high)]),
        )])),
        Latency::Exponential { exponential } => {
            toml::Value::Table(toml::Table::from_iter([("exponential".to_string(), text(exponential))]))
        }
    }
}
