//! The network a dump implies: groups become nodes, and an edge runs from
//! group A to group B wherever an `Out` of A and an `In` of B carry the same
//! trace id, message name and body.
//!
//! An `In` with no such `Out` is an external input (a timer tick, a stream,
//! a signal, outside traffic). An `Out` with no such `In` is undelivered: a
//! dumped send is not proof of delivery, so this is reported, not an error.

use std::collections::BTreeMap;
use std::fmt::Write;

use compact_str::CompactString;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::record::{Direction, DumpRecord};

/// Messages crossing one inferred edge, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// Messages in all.
    pub messages: u64,
    /// Messages per name.
    pub names: BTreeMap<CompactString, u64>,
}

impl Flow {
    /// Counts one message named `name`.
    pub fn add(&mut self, name: &str) {
        self.messages += 1;
        match self.names.get_mut(name) {
            Some(count) => *count += 1,
            None => {
                self.names.insert(name.into(), 1);
            }
        }
    }

    /// `Name ×n, Other ×m`, for graph labels.
    pub fn label(&self) -> String {
        self.names.iter().map(|(name, n)| format!("{name} ×{n}")).collect::<Vec<_>>().join(", ")
    }
}

/// The network inferred from a dump.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InferredNetwork {
    /// Every group seen, in name order.
    pub groups: Vec<CompactString>,
    /// (from group, to group) → what crossed.
    pub edges: BTreeMap<(CompactString, CompactString), Flow>,
    /// Group → its inputs that no group in the dump sent.
    pub external: BTreeMap<CompactString, Flow>,
    /// Group → its sends that no group in the dump received.
    pub undelivered: BTreeMap<CompactString, Flow>,
}

/// What an `Out` and its `In` share: trace id, and hashes (xxh3) of the
/// name and of the body text. Fixed-size, so matching a large dump holds 32
/// bytes per record.
pub type FlowKey = (u64, u64, u64);

/// The [`FlowKey`] of a record.
pub fn flow_key(record: &DumpRecord) -> FlowKey {
    let hash = |bytes: &[u8]| xxhash_rust::xxh3::xxh3_64(bytes);
    (record.trace_id, hash(record.name.as_bytes()), hash(record.body.get().as_bytes()))
}

/// The part of a record that matching needs.
#[derive(Debug, Clone)]
pub struct FlowEnd {
    /// Trace id, name and body hash.
    pub key: FlowKey,
    /// `Out` (a send) or `In` (a receive).
    pub direction: Direction,
    /// When it was dumped.
    pub ts_ns: u64,
    /// A hash (xxh3) of its place (group and key).
    pub place: u64,
}

impl From<&DumpRecord> for FlowEnd {
    fn from(record: &DumpRecord) -> FlowEnd {
        let place = xxhash_rust::xxh3::xxh3_64(record.place().as_bytes());
        FlowEnd { key: flow_key(record), direction: record.direction, ts_ns: record.ts_ns, place }
    }
}

/// For each `In` in `ends`, the index of the `Out` that sent it; `None`
/// for `Out`s and for external inputs.
///
/// `In`s are matched in time order, each to a matching `Out` (same trace id,
/// name and body), preferring in turn:
///
/// 1. one no `In` has taken yet;
/// 2. one no `In` of the same place (group and key) has taken: the receivers
///    of a message sent once to several actors share it, each once;
/// 3. any.
///
/// Within each, the latest one dumped no later than the `In`, else (clock
/// skew between threads) the earliest later one. Never a send of the same
/// place dumped after the `In`, nor another place's send dumped after this
/// place sent the same message on: either would have the message cause
/// itself. A receive with no such send is an input from outside the dump.
pub fn match_flows(ends: &[FlowEnd]) -> Vec<Option<u32>> {
    // Sends sorted by (key, ts): a receive's candidates are one contiguous run.
    let mut sends: Vec<u32> =
        (0..ends.len() as u32).filter(|&i| ends[i as usize].direction == Direction::Out).collect();
    sends.sort_unstable_by_key(|&i| (ends[i as usize].key, ends[i as usize].ts_ns, i));
    let mut receives: Vec<u32> =
        (0..ends.len() as u32).filter(|&i| ends[i as usize].direction == Direction::In).collect();
    receives.sort_unstable_by_key(|&i| (ends[i as usize].ts_ns, i));
    let mut taken = vec![false; ends.len()];
    let mut taken_by: rustc_hash::FxHashSet<(u32, u64)> = Default::default();
    let mut senders = vec![None; ends.len()];
    for index in receives {
        let end = &ends[index as usize];
        let start = sends.partition_point(|&o| ends[o as usize].key < end.key);
        let stop = start + sends[start..].partition_point(|&o| ends[o as usize].key == end.key);
        let list = &sends[start..stop];
        let before = list.partition_point(|&o| ends[o as usize].ts_ns <= end.ts_ns);
        // A place's own clock runs forward: its send dumped after this
        // receive cannot have caused it. Another place's later send may
        // have (clock skew), but not one dumped after this place passed the
        // message on itself: that one is downstream of it.
        let own_later =
            |o: &u32| ends[*o as usize].place == end.place && (ends[*o as usize].ts_ns, *o) > (end.ts_ns, index);
        let passed_on = list.iter().find(|o| own_later(o)).map(|&o| ends[o as usize].ts_ns);
        let could_cause = |o: &&u32| {
            let send = &ends[**o as usize];
            match send.place == end.place {
                true => !own_later(o),
                false => send.ts_ns <= end.ts_ns || passed_on.is_none_or(|at| send.ts_ns < at),
            }
        };
        let in_turn = || list[..before].iter().rev().chain(&list[before..]).filter(could_cause);
        let chosen = in_turn()
            .find(|&&o| !taken[o as usize])
            .or_else(|| in_turn().find(|&&o| !taken_by.contains(&(o, end.place))))
            .or_else(|| list[..before].iter().rev().find(could_cause))
            .or_else(|| list.iter().find(could_cause));
        if let Some(&out) = chosen {
            taken[out as usize] = true;
            taken_by.insert((out, end.place));
            senders[index as usize] = Some(out);
        }
    }
    senders
}

/// Collects a dump's sends and receives, then matches them.
///
/// Memory holds 48 bytes per record: its [`FlowEnd`] and the indices of its
/// group and name among the distinct ones seen.
#[derive(Default)]
pub struct NetworkBuilder {
    include_system: bool,
    ends: Vec<FlowEnd>,
    /// (group, name) of each record, as indices into `names`.
    labels: Vec<(u32, u32)>,
    names: Vec<CompactString>,
    index: FxHashMap<CompactString, u32>,
}

impl NetworkBuilder {
    /// An empty builder; `system.*` groups are left out unless `include_system`.
    pub fn new(include_system: bool) -> NetworkBuilder {
        NetworkBuilder { include_system, ..NetworkBuilder::default() }
    }

    /// Takes one record.
    pub fn add(&mut self, record: &DumpRecord) {
        if record.is_system() && !self.include_system {
            return;
        }
        self.ends.push(FlowEnd::from(record));
        let label = (self.intern(&record.group), self.intern(&record.name));
        self.labels.push(label);
    }

    fn intern(&mut self, text: &CompactString) -> u32 {
        if let Some(&i) = self.index.get(text) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(text.clone());
        self.index.insert(text.clone(), i);
        i
    }

    /// Matches sends to receives ([`match_flows`]) and returns the network.
    pub fn finish(self) -> InferredNetwork {
        let senders = match_flows(&self.ends);
        let mut delivered = vec![false; self.ends.len()];
        let mut network = InferredNetwork::default();
        let text = |i: u32| &self.names[i as usize];
        for index in (0..self.ends.len()).filter(|&i| self.ends[i].direction == Direction::In) {
            let (group, name) = self.labels[index];
            match senders[index] {
                Some(sender) => {
                    delivered[sender as usize] = true;
                    let from = text(self.labels[sender as usize].0).clone();
                    network.edges.entry((from, text(group).clone())).or_default().add(text(name));
                }
                None => network.external.entry(text(group).clone()).or_default().add(text(name)),
            }
        }
        for (index, end) in self.ends.iter().enumerate() {
            if end.direction == Direction::Out && !delivered[index] {
                let (group, name) = self.labels[index];
                network.undelivered.entry(text(group).clone()).or_default().add(text(name));
            }
        }
        let mut groups: Vec<CompactString> = self.labels.iter().map(|&(group, _)| text(group).clone()).collect();
        groups.sort();
        groups.dedup();
        network.groups = groups;
        network
    }
}

impl InferredNetwork {
    /// Graphviz DOT: groups as boxes, external inputs from an `external`
    /// point, undelivered sends to an `undelivered` point, edges labelled
    /// with per-name message counts.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph flowreplay {\n  rankdir=LR;\n  node [shape=box];\n");
        if !self.external.is_empty() {
            out.push_str("  \"(external)\" [shape=plaintext];\n");
        }
        if !self.undelivered.is_empty() {
            out.push_str("  \"(undelivered)\" [shape=plaintext];\n");
        }
        for group in &self.groups {
            let _ = writeln!(out, "  {};", quote(group));
        }
        let mut edge = |from: &str, to: &str, flow: &Flow, style: &str| {
            let _ = writeln!(out, "  {} -> {} [label={}{style}];", quote(from), quote(to), quote(&flow.label()));
        };
        for (group, flow) in &self.external {
            edge("(external)", group, flow, "");
        }
        for ((from, to), flow) in &self.edges {
            edge(from, to, flow, "");
        }
        for (group, flow) in &self.undelivered {
            edge(group, "(undelivered)", flow, ", style=dashed");
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid flowchart with the same content as [`InferredNetwork::to_dot`].
    pub fn to_mermaid(&self) -> String {
        let id = |group: &str| match self.groups.iter().position(|g| g == group) {
            Some(index) => format!("g{index}"),
            None => group.trim_matches(|c| c == '(' || c == ')').to_string(),
        };
        let mut out = String::from("flowchart LR\n");
        if !self.external.is_empty() {
            out.push_str("  external((external))\n");
        }
        if !self.undelivered.is_empty() {
            out.push_str("  undelivered((undelivered))\n");
        }
        for (index, group) in self.groups.iter().enumerate() {
            let _ = writeln!(out, "  g{index}[\"{}\"]", group.replace('"', "#quot;"));
        }
        let mut edge = |from: String, to: String, flow: &Flow, arrow: &str| {
            let _ = writeln!(out, "  {from} {arrow}|\"{}\"| {to}", flow.label().replace('"', "#quot;"));
        };
        for (group, flow) in &self.external {
            edge("external".into(), id(group), flow, "-->");
        }
        for ((from, to), flow) in &self.edges {
            edge(id(from), id(to), flow, "-->");
        }
        for (group, flow) in &self.undelivered {
            edge(id(group), "undelivered".into(), flow, "-.->");
        }
        out
    }
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
