//! Lineage: where a message came from and what it caused.
//!
//! In a trace, every event names the event that caused it, so the messages
//! form a tree: a message's parent is the message whose event caused its
//! first event (a derived message's parent is the one its node was handling).
//! In an elfo dump there are no message ids or parent links; a "message" is
//! an `Out` and the `In`s it reached (matched as in [`crate::dump::match_flows`]),
//! and its parent is the `In` the sending group handled last in the same
//! trace id.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::dump::{match_flows, Direction, DumpRecord, FlowEnd};

use super::line::TraceLine;

/// What to show around the chosen message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// The chain from the source down to the message.
    Ancestors,
    /// Everything the message caused.
    Descendants,
    /// Both: the full path from source to sinks.
    #[default]
    Both,
}

/// One step of a message's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The event's `seq` in the trace (position in dump order for dumps).
    pub seq: u64,
    /// Virtual nanoseconds (`ts` for dumps).
    pub t_ns: u64,
    /// The event kind (`in` / `out` for dumps).
    pub event: String,
    /// Where: `from -> to` for sends, else the node or group.
    pub place: String,
    /// Why, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One message in a lineage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineageMessage {
    /// The message id (for dumps, the position of its first record).
    pub msg: u64,
    /// Its trace id.
    pub trace: u64,
    /// Its name.
    pub name: String,
    /// The message that caused it.
    pub parent: Option<u64>,
    /// How many ancestors it has in this lineage.
    pub depth: usize,
    /// Its events, in order.
    pub steps: Vec<Step>,
}

/// A causal tree of messages, parents before children.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Lineage {
    /// The messages, depth first.
    pub messages: Vec<LineageMessage>,
}

/// Messages indexed for walking.
struct Forest {
    messages: BTreeMap<u64, LineageMessage>,
    children: BTreeMap<u64, Vec<u64>>,
}

impl Forest {
    fn new(messages: BTreeMap<u64, LineageMessage>) -> Forest {
        let mut children: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for m in messages.values() {
            if let Some(parent) = m.parent {
                children.entry(parent).or_default().push(m.msg);
            }
        }
        Forest { messages, children }
    }

    fn ancestors(&self, msg: u64) -> Vec<u64> {
        let mut chain = vec![msg];
        let mut seen = BTreeSet::from([msg]);
        while let Some(parent) = self.messages.get(chain.last().unwrap_or(&msg)).and_then(|m| m.parent) {
            if !seen.insert(parent) || !self.messages.contains_key(&parent) {
                break;
            }
            chain.push(parent);
        }
        chain
    }

    fn descendants(&self, msg: u64, into: &mut BTreeSet<u64>) {
        let mut stack = vec![msg];
        while let Some(m) = stack.pop() {
            if into.insert(m) {
                stack.extend(self.children.get(&m).into_iter().flatten());
            }
        }
    }

    /// The chosen messages as a tree, depth first from each root.
    fn select(mut self, chosen: &BTreeSet<u64>) -> Lineage {
        let roots: Vec<u64> =
            chosen.iter().copied().filter(|m| self.messages[m].parent.is_none_or(|p| !chosen.contains(&p))).collect();
        let mut lineage = Lineage::default();
        let mut stack: Vec<(u64, usize)> = roots.into_iter().rev().map(|m| (m, 0)).collect();
        while let Some((msg, depth)) = stack.pop() {
            let Some(mut message) = self.messages.remove(&msg) else { continue };
            message.depth = depth;
            lineage.messages.push(message);
            let kids = self.children.get(&msg).into_iter().flatten().filter(|k| chosen.contains(k));
            stack.extend(kids.rev().map(|&k| (k, depth + 1)));
        }
        lineage
    }

    fn lineage_of(self, msg: u64, reach: Reach) -> Result<Lineage, String> {
        if !self.messages.contains_key(&msg) {
            return Err(format!("no message {msg} in the trace"));
        }
        let mut chosen = BTreeSet::new();
        if reach != Reach::Descendants {
            chosen.extend(self.ancestors(msg));
        }
        if reach != Reach::Ancestors {
            self.descendants(msg, &mut chosen);
        }
        Ok(self.select(&chosen))
    }

    fn whole_trace(self, trace: u64) -> Result<Lineage, String> {
        let chosen: BTreeSet<u64> = self.messages.values().filter(|m| m.trace == trace).map(|m| m.msg).collect();
        if chosen.is_empty() {
            return Err(format!("no message with trace id {trace}"));
        }
        Ok(self.select(&chosen))
    }
}

/// Which messages a lineage starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// One message, by id, with its ancestors and/or descendants.
    Message(u64, Reach),
    /// Every message of one trace id.
    Trace(u64),
}

/// The lineage of `origin` in a trace.
pub fn trace_lineage<'a>(
    lines: impl IntoIterator<Item = &'a TraceLine<'a>>,
    origin: Origin,
) -> Result<Lineage, String> {
    let mut messages: BTreeMap<u64, LineageMessage> = BTreeMap::new();
    let mut owner: BTreeMap<u64, u64> = BTreeMap::new();
    for line in lines {
        if line.msg == 0 {
            continue;
        }
        owner.insert(line.seq, line.msg);
        let message = messages.entry(line.msg).or_insert_with(|| LineageMessage {
            msg: line.msg,
            trace: line.trace,
            name: String::new(),
            parent: line.parent.and_then(|p| owner.get(&p)).copied().filter(|&p| p != line.msg),
            depth: 0,
            steps: Vec::new(),
        });
        if message.name.is_empty() {
            message.name = line.name.as_deref().unwrap_or_default().to_string();
        }
        let place = match (line.edge(), &line.to) {
            (Some((from, to)), _) => crate::net::edge_label(from, to),
            (None, Some(to)) => to.to_string(),
            (None, None) => line.place().unwrap_or_default().to_string(),
        };
        let reason = line.reason.as_deref().map(str::to_string);
        message.steps.push(Step { seq: line.seq, t_ns: line.t_ns, event: line.event.to_string(), place, reason });
    }
    let forest = Forest::new(messages);
    match origin {
        Origin::Message(msg, reach) => forest.lineage_of(msg, reach),
        Origin::Trace(trace) => forest.whole_trace(trace),
    }
}

/// The lineage of one trace id in dump records (in dump order, see
/// [`crate::dump::sort_records`]); elfo's own `system.*` groups are left
/// out unless `include_system`.
pub fn dump_lineage(records: &[DumpRecord], trace: u64, include_system: bool) -> Result<Lineage, String> {
    let records: Vec<&DumpRecord> =
        records.iter().filter(|r| r.trace_id == trace && (include_system || !r.is_system())).collect();
    let ends: Vec<FlowEnd> = records.iter().map(|r| FlowEnd::from(*r)).collect();
    let senders = match_flows(&ends);
    let step = |index: usize, event: &str| Step {
        seq: index as u64,
        t_ns: records[index].ts_ns,
        event: event.into(),
        place: records[index].group.to_string(),
        reason: None,
    };
    // First every message: each Out, and each In nobody in the dump sent.
    let mut messages: BTreeMap<u64, LineageMessage> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        let event = match (record.direction, senders[index]) {
            (Direction::Out, _) => "out",
            (Direction::In, None) => "in",
            (Direction::In, Some(_)) => continue,
        };
        let message = LineageMessage {
            msg: index as u64,
            trace,
            name: record.name.to_string(),
            parent: None,
            depth: 0,
            steps: vec![step(index, event)],
        };
        messages.insert(index as u64, message);
    }
    // Then receipts join their send, and each Out's parent is the message
    // its group received last before it (an earlier one only, so the links
    // cannot loop).
    let mut handling: BTreeMap<&str, u64> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        match (record.direction, senders[index]) {
            (Direction::In, Some(sender)) => {
                let msg = u64::from(sender);
                if let Some(message) = messages.get_mut(&msg) {
                    message.steps.push(step(index, "in"));
                }
                handling.insert(record.group.as_str(), msg);
            }
            (Direction::In, None) => {
                handling.insert(record.group.as_str(), index as u64);
            }
            (Direction::Out, _) => {
                let parent = handling.get(record.group.as_str()).copied().filter(|&p| p < index as u64);
                if let Some(message) = messages.get_mut(&(index as u64)) {
                    message.parent = parent;
                }
            }
        }
    }
    for message in messages.values_mut() {
        message.steps.sort_by_key(|s| s.seq);
    }
    Forest::new(messages).whole_trace(trace)
}

impl Lineage {
    /// The lineage as indented text: one heading per message, one line per
    /// step with its virtual time.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for m in &self.messages {
            let indent = "  ".repeat(m.depth);
            out += &format!("{indent}#{} {} (trace {})\n", m.msg, m.name, m.trace);
            for s in &m.steps {
                let seconds = crate::model::VirtualTime(s.t_ns);
                let reason = s.reason.as_deref().map(|r| format!("  reason={r}")).unwrap_or_default();
                out += &format!("{indent}  {seconds}  {:<9} {}{reason}\n", s.event, s.place);
            }
        }
        out
    }
}
