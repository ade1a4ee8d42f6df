//! The trace diff: what changed between two recordings, starting with the
//! first message that went differently.
//!
//! Two modes, chosen by what is compared:
//!
//! - **Same run** (traces and goldens: a golden and its re-run): events are
//!   compared line by line, ids renumbered in first-seen order, in trace
//!   order (or, with `unordered`, as a set within each virtual instant).
//!   Messages are aligned by their renumbered id.
//! - **Content** (whenever an elfo dump is involved: two recordings of
//!   different runs share no ids or timestamps): messages are aligned by
//!   where they came from, their name, their body and the input that
//!   caused them, never by ids or times. Reordering between independent
//!   causal chains is not a difference.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;
use similar::{Algorithm, DiffOp, DiffTag};

use crate::compare::{changed_fields, tally, BodyRules, ChangedField, Judgement, Relaxations};

use super::parse::GoldenEvent;

/// How the two sides are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Alignment {
    /// By renumbered ids and trace order.
    SameRun,
    /// By content and cause.
    Content,
}

/// Diff settings.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Events at the same virtual instant compare as a set.
    pub unordered: bool,
    /// Body fields to ignore, and the relaxations for truncated and hidden
    /// recorded bodies.
    pub rules: BodyRules,
    /// Keep the framework's `system.*` groups of a dump (left out by default,
    /// as in `stats`, `graph` and `replay`).
    pub include_system: bool,
    /// Leave bodies out of the comparison (set when one side has none, as
    /// a trace written without `--bodies` has).
    pub ignore_bodies: bool,
}

/// The first place the two sides part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Divergence {
    /// Index of the event (same run) or message (content) in the first input.
    pub index: usize,
    /// Its virtual time in nanoseconds (relative to the first record for dumps).
    pub t_ns: u64,
    /// Where: the edge, node or group.
    pub edge: String,
    /// The expected event or message, as the first input has it.
    pub expected: Option<String>,
    /// What the second input has there.
    pub actual: Option<String>,
    /// One sentence for humans.
    pub summary: String,
}

/// A change in the number of messages over one edge (or from one group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgeChange {
    /// The edge.
    pub edge: String,
    /// Messages in the first input.
    pub expected: u64,
    /// Messages in the second.
    pub actual: u64,
}

/// A message as the diff lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageRef {
    /// Its name.
    pub name: String,
    /// Where it was first seen (edge, node or group).
    pub place: String,
    /// Its renumbered id on its side.
    pub msg: u64,
    /// When it was first seen.
    pub t_ns: u64,
    /// Its body, where known.
    pub body: Option<serde_json::Value>,
}

/// A message present on both sides with different content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedMessage {
    /// As the first input has it.
    pub expected: MessageRef,
    /// As the second has it.
    pub actual: MessageRef,
    /// Body fields that changed, by JSON pointer, old → new.
    pub fields: Vec<ChangedField>,
}

/// Everything the diff found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceDiff {
    /// Whether the two sides are the same.
    pub equal: bool,
    /// How they were aligned.
    pub alignment: Alignment,
    /// The first difference.
    pub first_divergence: Option<Divergence>,
    /// A unified diff with context around the differences (the first hunks).
    pub unified: String,
    /// Edges whose message counts changed.
    pub edges: Vec<EdgeChange>,
    /// Messages only the first input has.
    pub missing: Vec<MessageRef>,
    /// Messages only the second input has.
    pub extra: Vec<MessageRef>,
    /// Messages on both sides that differ.
    pub changed: Vec<ChangedMessage>,
    /// Comparisons that were equal only under a relaxation, by rule.
    pub relaxed: Relaxations,
}

impl TraceDiff {
    /// A diff as text: the first divergence, then counts, messages and the
    /// unified diff.
    pub fn report(&self) -> String {
        let diff = self;
        let relaxed: Vec<String> = diff.relaxed.iter().map(|(rule, n)| format!("{rule} {n}")).collect();
        let Some(first) = &diff.first_divergence else {
            return match relaxed.is_empty() {
                true => "equal\n".into(),
                false => format!("equal (relaxed: {})\n", relaxed.join(", ")),
            };
        };
        let mut out = format!(
            "first divergence at event {} ({}s, {}): {}\n",
            first.index,
            crate::model::VirtualTime(first.t_ns),
            first.edge,
            first.summary
        );
        out += &format!("  expected: {}\n", first.expected.as_deref().unwrap_or("(nothing)"));
        out += &format!("  actual:   {}\n", first.actual.as_deref().unwrap_or("(nothing)"));
        for edge in &diff.edges {
            out += &format!("edge {}: {} -> {} messages\n", edge.edge, edge.expected, edge.actual);
        }
        const SHOWN: usize = 10;
        for m in diff.missing.iter().take(SHOWN) {
            out += &format!("missing: {}#{} at {}\n", m.name, m.msg, m.place);
        }
        for m in diff.extra.iter().take(SHOWN) {
            out += &format!("extra:   {}#{} at {}\n", m.name, m.msg, m.place);
        }
        for c in diff.changed.iter().take(SHOWN) {
            out += &format!("changed: {}#{} at {}\n", c.expected.name, c.expected.msg, c.expected.place);
            for field in &c.fields {
                let path = if field.path.is_empty() { "(body)" } else { &field.path };
                out += &format!("  {path}: {} -> {}\n", field.expected, field.actual);
            }
        }
        let more = [("missing", diff.missing.len()), ("extra", diff.extra.len()), ("changed", diff.changed.len())];
        for (what, count) in more.into_iter().filter(|(_, n)| *n > SHOWN) {
            out += &format!("… {} more {what} messages (--json lists up to 50)\n", count - SHOWN);
        }
        for (rule, count) in &diff.relaxed {
            out += &format!("relaxed by {rule}: {count} comparisons\n");
        }
        out += "--- expected\n+++ actual\n";
        out += &diff.unified;
        out
    }
}

/// How many hunks the unified diff shows, and how many lines of context.
const HUNKS: usize = 10;
const CONTEXT: usize = 3;
/// How many messages each list keeps (counts are in the edge changes).
pub(super) const LISTED: usize = 50;

/// Compares two recordings' events.
pub fn diff(
    expected: &[GoldenEvent],
    actual: &[GoldenEvent],
    alignment: Alignment,
    options: &DiffOptions,
) -> TraceDiff {
    let has_bodies = |events: &[GoldenEvent]| events.iter().any(|e| e.body.is_some());
    let options = &DiffOptions {
        ignore_bodies: options.ignore_bodies || !has_bodies(expected) || !has_bodies(actual),
        ..options.clone()
    };
    match alignment {
        Alignment::SameRun => same_run(expected, actual, options),
        Alignment::Content => {
            let mut table = super::content::Table::default();
            let a = super::content::Recording::from_events(expected, &mut table);
            let b = super::content::Recording::from_events(actual, &mut table);
            super::content::content(&a, &b, &mut table, options)
        }
    }
}

/// Lines to compare: each event without its renumbered ids (so one extra
/// message early on does not make every later line differ), bodies hidden
/// as the options say, sorted within each instant when unordered. Returns
/// the line and the index of its event.
fn comparable(events: &[GoldenEvent], options: &DiffOptions) -> Vec<(String, usize)> {
    let mut lines: Vec<(String, usize)> = events
        .iter()
        .enumerate()
        .map(|(index, e)| {
            let node = sender_node(&e.place);
            let ruled = options.rules.applies(node, &e.name);
            // The checksum is of the whole body: where a rule hides part of
            // it (or bodies are left out), it is left out of the comparison.
            let relaxed = options.ignore_bodies || ruled;
            let mut key: Vec<u8> = Vec::with_capacity(e.text.len() + 8);
            for part in [itoa::Buffer::new().format(e.t_ns), &e.event, &e.place, &e.name] {
                key.extend_from_slice(part.as_bytes());
                key.push(b' ');
            }
            let mut fields = e.fields.split(' ').filter(|f| !relaxed || !f.starts_with("h="));
            if let Some(first) = fields.next() {
                key.extend_from_slice(first.as_bytes());
                fields.for_each(|field| {
                    key.push(b' ');
                    key.extend_from_slice(field.as_bytes());
                });
            }
            key.push(b' ');
            // Serialising a JSON value into a Vec cannot fail.
            match &e.body {
                Some(_) if options.ignore_bodies => {}
                Some(body) if ruled => {
                    let mut body = body.clone();
                    options.rules.hide(node, &e.name, &mut body);
                    serde_json::to_writer(&mut key, &body).unwrap_or_default();
                }
                Some(body) => serde_json::to_writer(&mut key, body).unwrap_or_default(),
                None => {}
            }
            // Text and JSON only: always UTF-8.
            let key = String::from_utf8(key).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            (key, index)
        })
        .collect();
    if options.unordered {
        let mut start = 0;
        while start < lines.len() {
            let t = events[lines[start].1].t_ns;
            let end = start + lines[start..].iter().take_while(|(_, i)| events[*i].t_ns == t).count();
            lines[start..end].sort();
            start = end;
        }
    }
    lines
}

fn same_run(expected: &[GoldenEvent], actual: &[GoldenEvent], options: &DiffOptions) -> TraceDiff {
    let a = comparable(expected, options);
    let b = comparable(actual, options);
    let ops = line_ops(&a, &b);
    let first = ops.iter().find(|op| op.tag() != DiffTag::Equal).map(|op| {
        let (old, new) = (op.old_range().start, op.new_range().start);
        let expected_line = a.get(old).filter(|_| !op.old_range().is_empty());
        let actual_line = b.get(new).filter(|_| !op.new_range().is_empty());
        let event = expected_line.map(|(_, i)| &expected[*i]).or_else(|| actual_line.map(|(_, i)| &actual[*i]));
        let summary = match (expected_line, actual_line) {
            (Some(_), Some(_)) => "this event went differently".to_string(),
            (Some(_), None) => "this event did not happen".to_string(),
            _ => "an event happened that was not expected".to_string(),
        };
        Divergence {
            index: a.get(old).map_or(expected.len(), |(_, i)| *i),
            t_ns: event.map_or(0, |e| e.t_ns),
            edge: event.map(|e| e.place.clone()).unwrap_or_default(),
            expected: expected_line.map(|(_, i)| expected[*i].text.clone()),
            actual: actual_line.map(|(_, i)| actual[*i].text.clone()),
            summary,
        }
    });
    // Messages pair up where their events matched; the rest by id. Lines
    // equal only once ignored fields were hidden count as relaxed.
    // The ids of matched lines must pair one to one (messages and traces):
    // the same lines with a different message on a path is a difference.
    let mut pairs: FxHashMap<u64, u64> = FxHashMap::with_capacity_and_hasher(expected.len() / 4, Default::default());
    let mut identity = Identity::default();
    let mut relaxed = Relaxations::new();
    for op in ops.iter().filter(|op| op.tag() == DiffTag::Equal) {
        for (old, new) in op.old_range().zip(op.new_range()) {
            let (x, y) = (&expected[a[old].1], &actual[b[new].1]);
            if x.msg != 0 {
                pairs.entry(x.msg).or_insert(y.msg);
                if !options.unordered && identity.conflict.is_none() && !identity.pair(x, y) {
                    identity.conflict = Some((a[old].1, b[new].1));
                }
            }
            if let (Some(e), Some(v)) = (&x.body, &y.body) {
                if e != v && !options.ignore_bodies {
                    tally(&mut relaxed, &options.rules.compare(sender_node(&x.place), &x.name, e, v));
                }
            }
        }
    }
    let swapped = identity.conflict.filter(|(i, _)| first.as_ref().is_none_or(|f| *i < f.index));
    let first = match swapped {
        Some((i, j)) => Some(Divergence {
            index: i,
            t_ns: expected[i].t_ns,
            edge: expected[i].place.clone(),
            expected: Some(expected[i].text.clone()),
            actual: Some(actual[j].text.clone()),
            summary: format!(
                "the same event happened to another message: #{} (trace {}) here is #{} (trace {}) in the other run, \
                 which stands for a different message there",
                expected[i].msg, expected[i].trace, actual[j].msg, actual[j].trace
            ),
        }),
        None => first,
    };
    let (missing, extra, changed) = by_message(expected, actual, &pairs, options);
    let unified = match first {
        None => String::new(),
        Some(_) => unified(&shown(expected, &a), &shown(actual, &b), &ops),
    };
    TraceDiff {
        equal: first.is_none(),
        alignment: Alignment::SameRun,
        first_divergence: first,
        unified,
        edges: edge_changes(expected, actual),
        missing,
        extra,
        changed,
        relaxed,
    }
}

/// Message and trace numbers seen paired on matched lines, both ways.
#[derive(Default)]
struct Identity {
    messages: (FxHashMap<u64, u64>, FxHashMap<u64, u64>),
    traces: (FxHashMap<u64, u64>, FxHashMap<u64, u64>),
    /// The first matched pair of lines whose ids break the pairing.
    conflict: Option<(usize, usize)>,
}

impl Identity {
    /// Pairs the ids of two matched events; false when either was already
    /// paired with another.
    fn pair(&mut self, x: &GoldenEvent, y: &GoldenEvent) -> bool {
        fn one_to_one(maps: &mut (FxHashMap<u64, u64>, FxHashMap<u64, u64>), a: u64, b: u64) -> bool {
            *maps.0.entry(a).or_insert(b) == b && *maps.1.entry(b).or_insert(a) == a
        }
        one_to_one(&mut self.messages, x.msg, y.msg) && one_to_one(&mut self.traces, x.trace, y.trace)
    }
}

/// The node an event's place is at: the sender of an edge (`a.out -> b.in`
/// is at `a`), the node of a port (`a.in`), or the place itself (a dump's
/// `group/key`, which has no port). Ignore rules are scoped by it.
pub(super) fn sender_node(place: &str) -> &str {
    let arrow = |at: &usize| matches!(place.as_bytes().get(at + 1..at + 4), Some(b"-> " | b"<- "));
    let end = memchr::memchr_iter(b' ', place.as_bytes()).find(arrow).unwrap_or(place.len());
    let endpoint = &place[..end];
    match endpoint.rsplit_once('.') {
        Some((node, port)) if !node.is_empty() && !port.contains('/') => node,
        _ => endpoint,
    }
}

/// The events' text, in the order the lines were compared in.
fn shown<'e>(events: &'e [GoldenEvent], lines: &[(String, usize)]) -> Vec<(&'e str, usize)> {
    lines.iter().map(|(_, i)| (events[*i].text.as_str(), *i)).collect()
}

/// The diff ops between two line lists: common ends are walked in linear
/// time, and only the middle goes to the patience diff.
pub(super) fn line_ops(a: &[(String, usize)], b: &[(String, usize)]) -> Vec<DiffOp> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x.0 == y.0).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x.0 == y.0).count();
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    // Each distinct line becomes a number, so the diff compares and hashes
    // numbers, not text: equal numbers are equal lines, so the ops are the same.
    fn number<'s>(ids: &mut FxHashMap<&'s str, u32>, line: &'s str) -> u32 {
        let next = ids.len() as u32;
        *ids.entry(line).or_insert(next)
    }
    // Nearly every line of the second side is one of the first side's.
    let mut ids = FxHashMap::with_capacity_and_hasher(a_mid.len() + b_mid.len() / 8, Default::default());
    let left: Vec<u32> = a_mid.iter().map(|(line, _)| number(&mut ids, line)).collect();
    let right: Vec<u32> = b_mid.iter().map(|(line, _)| number(&mut ids, line)).collect();
    let mut ops = Vec::new();
    if prefix > 0 {
        ops.push(DiffOp::Equal { old_index: 0, new_index: 0, len: prefix });
    }
    for op in similar::capture_diff_slices(Algorithm::Patience, &left, &right) {
        ops.push(shift(op, prefix));
    }
    if suffix > 0 {
        ops.push(DiffOp::Equal { old_index: a.len() - suffix, new_index: b.len() - suffix, len: suffix });
    }
    ops
}

fn shift(op: DiffOp, by: usize) -> DiffOp {
    match op {
        DiffOp::Equal { old_index, new_index, len } => {
            DiffOp::Equal { old_index: old_index + by, new_index: new_index + by, len }
        }
        DiffOp::Delete { old_index, old_len, new_index } => {
            DiffOp::Delete { old_index: old_index + by, old_len, new_index: new_index + by }
        }
        DiffOp::Insert { old_index, new_index, new_len } => {
            DiffOp::Insert { old_index: old_index + by, new_index: new_index + by, new_len }
        }
        DiffOp::Replace { old_index, old_len, new_index, new_len } => {
            DiffOp::Replace { old_index: old_index + by, old_len, new_index: new_index + by, new_len }
        }
    }
}

/// `--- expected` / `+++ actual` hunks around the first differences.
pub(super) fn unified<T: AsRef<str> + Clone + PartialEq>(a: &[(T, usize)], b: &[(T, usize)], ops: &[DiffOp]) -> String {
    let mut out = String::new();
    let groups = similar::group_diff_ops(ops.to_vec(), CONTEXT);
    for group in groups.iter().take(HUNKS) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
        let old = first.old_range().start..last.old_range().end;
        let new = first.new_range().start..last.new_range().end;
        out += &format!("@@ -{},{} +{},{} @@\n", old.start + 1, old.len(), new.start + 1, new.len());
        for op in group {
            for change in op.iter_changes(a, b) {
                let sign = match change.tag() {
                    similar::ChangeTag::Equal => ' ',
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                };
                out += &format!("{sign}{}\n", change.value().0.as_ref());
            }
        }
    }
    if groups.len() > HUNKS {
        out += &format!("… {} more hunks\n", groups.len() - HUNKS);
    }
    out
}

/// Per message id: its first event, its events in order, its first body
/// (as recorded: rules are applied where it is compared).
struct Summary<'a> {
    first: &'a GoldenEvent,
    events: Vec<&'a GoldenEvent>,
    body: Option<&'a serde_json::Value>,
}

impl Summary<'_> {
    /// Its (event, place) path.
    fn path(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.events.iter().map(|e| (e.event.as_str(), e.place.as_str()))
    }
}

/// Each message's summary, in id order.
struct Messages<'a>(Vec<(u64, Summary<'a>)>);

impl<'a> Messages<'a> {
    fn get(&self, id: u64) -> Option<&Summary<'a>> {
        self.0.binary_search_by_key(&id, |(id, _)| *id).ok().map(|at| &self.0[at].1)
    }

    fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    fn iter(&self) -> impl Iterator<Item = (u64, &Summary<'a>)> {
        self.0.iter().map(|(id, summary)| (*id, summary))
    }
}

/// The messages' summaries: gathered through a hash map (a lookup per
/// event), sorted by id once.
fn messages<'a>(events: &'a [GoldenEvent], options: &DiffOptions) -> Messages<'a> {
    let mut list: Vec<(u64, Summary<'a>)> = Vec::new();
    let mut index: FxHashMap<u64, usize> = FxHashMap::default();
    for event in events.iter().filter(|e| e.msg != 0) {
        let at = *index.entry(event.msg).or_insert_with(|| {
            list.push((event.msg, Summary { first: event, events: Vec::new(), body: None }));
            list.len() - 1
        });
        let summary = &mut list[at].1;
        summary.events.push(event);
        if summary.body.is_none() && !options.ignore_bodies {
            summary.body = event.body.as_ref();
        }
    }
    list.sort_unstable_by_key(|(id, _)| *id);
    Messages(list)
}

fn message_ref(summary: &Summary<'_>) -> MessageRef {
    MessageRef {
        name: summary.first.name.clone(),
        place: summary.first.place.clone(),
        msg: summary.first.msg,
        t_ns: summary.first.t_ns,
        body: summary.body.cloned(),
    }
}

type MessageLists = (Vec<MessageRef>, Vec<MessageRef>, Vec<ChangedMessage>);

/// Missing, extra and changed messages: `pairs` maps first-side ids to
/// second-side ids where their events matched; a message left unpaired
/// pairs with the same id on the other side if that one is free.
fn by_message(
    expected: &[GoldenEvent],
    actual: &[GoldenEvent],
    pairs: &FxHashMap<u64, u64>,
    options: &DiffOptions,
) -> MessageLists {
    let (a, b) = (messages(expected, options), messages(actual, options));
    let mut claimed: std::collections::BTreeSet<u64> = pairs.values().copied().collect();
    let mut matched: Vec<(u64, u64)> = Vec::new();
    let mut missing = Vec::new();
    for (id, summary) in a.iter() {
        match pairs.get(&id) {
            Some(&other) => matched.push((id, other)),
            None if b.contains(id) && claimed.insert(id) => matched.push((id, id)),
            None => missing.push(message_ref(summary)),
        }
    }
    let extra = b.iter().filter(|(id, _)| !claimed.contains(id)).map(|(_, m)| message_ref(m)).take(LISTED).collect();
    let changed = matched
        .iter()
        .filter_map(|(x, y)| {
            let (old, new) = (a.get(*x)?, b.get(*y)?);
            let same_bodies = match (&old.body, &new.body) {
                (Some(e), Some(a)) => !matches!(
                    options.rules.compare(sender_node(&old.first.place), &old.first.name, e, a),
                    Judgement::Different(_)
                ),
                (e, a) => e == a,
            };
            let same = old.first.name == new.first.name && old.path().eq(new.path()) && same_bodies;
            (!same).then(|| changed_message(old, new))
        })
        .take(LISTED)
        .collect();
    missing.truncate(LISTED);
    (missing, extra, changed)
}

fn changed_message(old: &Summary<'_>, new: &Summary<'_>) -> ChangedMessage {
    let null = serde_json::Value::Null;
    let fields = changed_fields(old.body.unwrap_or(&null), new.body.unwrap_or(&null));
    ChangedMessage { expected: message_ref(old), actual: message_ref(new), fields }
}

/// Sends per edge (or, for dumps, `Out`s per group) on each side.
fn edge_changes(expected: &[GoldenEvent], actual: &[GoldenEvent]) -> Vec<EdgeChange> {
    fn count(events: &[GoldenEvent]) -> BTreeMap<&str, u64> {
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for e in events.iter().filter(|e| e.event == "send" || e.event == "out") {
            *counts.entry(e.place.as_str()).or_default() += 1;
        }
        counts
    }
    count_changes(&count(expected), &count(actual))
}

/// The places whose message counts differ between two sides.
pub(super) fn count_changes<K: Ord + ToString>(a: &BTreeMap<K, u64>, b: &BTreeMap<K, u64>) -> Vec<EdgeChange> {
    let places: std::collections::BTreeSet<&K> = a.keys().chain(b.keys()).collect();
    places
        .into_iter()
        .filter_map(|place| {
            let (x, y) = (a.get(place).copied().unwrap_or(0), b.get(place).copied().unwrap_or(0));
            (x != y).then(|| EdgeChange { edge: place.to_string(), expected: x, actual: y })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sender_node;

    #[test]
    fn a_place_is_at_the_sender_of_an_edge_the_node_of_a_port_or_itself() {
        assert_eq!(sender_node("a.out -> b.in"), "a");
        assert_eq!(sender_node("sink <- router"), "sink");
        assert_eq!(sender_node("store.in"), "store");
        assert_eq!(sender_node("store"), "store");
        assert_eq!(sender_node("desk/main"), "desk/main");
        assert_eq!(sender_node("odd name.out -> b.in"), "odd name", "a space that starts no arrow is kept");
    }
}
