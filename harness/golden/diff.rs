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

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use similar::{Algorithm, DiffOp, DiffTag};

use crate::replay::{changed_fields, ChangedField};
use crate::trace::BodyCapture;

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
    /// Body fields to ignore (hidden on both sides before comparing).
    pub ignore: BodyCapture,
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
}

/// How many hunks the unified diff shows, and how many lines of context.
const HUNKS: usize = 10;
const CONTEXT: usize = 3;
/// How many messages each list keeps (counts are in the edge changes).
const LISTED: usize = 50;

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
        Alignment::Content => content(expected, actual, options),
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
            let body = match &e.body {
                Some(_) if options.ignore_bodies => String::new(),
                Some(body) => {
                    let mut body = body.clone();
                    options.ignore.redact_value(&mut body);
                    body.to_string()
                }
                None => String::new(),
            };
            let key = format!("{} {} {} {} {} {body}", e.t_ns, e.event, e.place, e.name, e.fields);
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
    // Messages pair up where their events matched; the rest by id.
    let mut pairs: BTreeMap<u64, u64> = BTreeMap::new();
    for op in ops.iter().filter(|op| op.tag() == DiffTag::Equal) {
        for (old, new) in op.old_range().zip(op.new_range()) {
            let (x, y) = (&expected[a[old].1], &actual[b[new].1]);
            if x.msg != 0 {
                pairs.entry(x.msg).or_insert(y.msg);
            }
        }
    }
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
    }
}

/// The events' text, in the order the lines were compared in.
fn shown<'e>(events: &'e [GoldenEvent], lines: &[(String, usize)]) -> Vec<(&'e str, usize)> {
    lines.iter().map(|(_, i)| (events[*i].text.as_str(), *i)).collect()
}

/// The diff ops between two line lists: common ends are walked in linear
/// time, and only the middle goes to the patience diff.
fn line_ops(a: &[(String, usize)], b: &[(String, usize)]) -> Vec<DiffOp> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x.0 == y.0).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x.0 == y.0).count();
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let left: Vec<&str> = a_mid.iter().map(|(t, _)| t.as_str()).collect();
    let right: Vec<&str> = b_mid.iter().map(|(t, _)| t.as_str()).collect();
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
fn unified<T: AsRef<str> + Clone + PartialEq>(a: &[(T, usize)], b: &[(T, usize)], ops: &[DiffOp]) -> String {
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

/// Per message id: its first event, its places in order, its first body.
struct Summary<'a> {
    first: &'a GoldenEvent,
    path: Vec<(&'a str, &'a str)>,
    body: Option<serde_json::Value>,
}

fn messages<'a>(events: &'a [GoldenEvent], options: &DiffOptions) -> BTreeMap<u64, Summary<'a>> {
    let mut messages: BTreeMap<u64, Summary<'a>> = BTreeMap::new();
    for event in events.iter().filter(|e| e.msg != 0) {
        let summary =
            messages.entry(event.msg).or_insert_with(|| Summary { first: event, path: Vec::new(), body: None });
        summary.path.push((&event.event, &event.place));
        if summary.body.is_none() && !options.ignore_bodies {
            summary.body = event.body.clone().map(|mut body| {
                options.ignore.redact_value(&mut body);
                body
            });
        }
    }
    messages
}

fn message_ref(summary: &Summary<'_>) -> MessageRef {
    MessageRef {
        name: summary.first.name.clone(),
        place: summary.first.place.clone(),
        msg: summary.first.msg,
        t_ns: summary.first.t_ns,
        body: summary.body.clone(),
    }
}

type MessageLists = (Vec<MessageRef>, Vec<MessageRef>, Vec<ChangedMessage>);

/// Missing, extra and changed messages: `pairs` maps first-side ids to
/// second-side ids where their events matched; a message left unpaired
/// pairs with the same id on the other side if that one is free.
fn by_message(
    expected: &[GoldenEvent],
    actual: &[GoldenEvent],
    pairs: &BTreeMap<u64, u64>,
    options: &DiffOptions,
) -> MessageLists {
    let (a, b) = (messages(expected, options), messages(actual, options));
    let mut claimed: std::collections::BTreeSet<u64> = pairs.values().copied().collect();
    let mut matched: Vec<(u64, u64)> = Vec::new();
    let mut missing = Vec::new();
    for id in a.keys() {
        match pairs.get(id) {
            Some(&other) => matched.push((*id, other)),
            None if b.contains_key(id) && claimed.insert(*id) => matched.push((*id, *id)),
            None => missing.push(message_ref(&a[id])),
        }
    }
    let extra = b.iter().filter(|(id, _)| !claimed.contains(id)).map(|(_, m)| message_ref(m)).take(LISTED).collect();
    let changed = matched
        .iter()
        .filter_map(|(x, y)| {
            let (old, new) = (a.get(x)?, b.get(y)?);
            let same = old.first.name == new.first.name && old.path == new.path && old.body == new.body;
            (!same).then(|| changed_message(old, new))
        })
        .take(LISTED)
        .collect();
    missing.truncate(LISTED);
    (missing, extra, changed)
}

fn changed_message(old: &Summary<'_>, new: &Summary<'_>) -> ChangedMessage {
    let null = serde_json::Value::Null;
    let fields = changed_fields(old.body.as_ref().unwrap_or(&null), new.body.as_ref().unwrap_or(&null));
    ChangedMessage { expected: message_ref(old), actual: message_ref(new), fields }
}

/// Sends per edge (or, for dumps, `Out`s per group) on each side.
fn edge_changes(expected: &[GoldenEvent], actual: &[GoldenEvent]) -> Vec<EdgeChange> {
    let count = |events: &[GoldenEvent]| {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for e in events.iter().filter(|e| e.event == "send" || e.event == "out") {
            *counts.entry(e.place.clone()).or_default() += 1;
        }
        counts
    };
    let (a, b) = (count(expected), count(actual));
    let edges: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    edges
        .into_iter()
        .filter_map(|edge| {
            let (x, y) = (a.get(edge).copied().unwrap_or(0), b.get(edge).copied().unwrap_or(0));
            (x != y).then(|| EdgeChange { edge: edge.clone(), expected: x, actual: y })
        })
        .collect()
}

/// A message keyed by content: where it came from, its name, its body, and
/// the root of its causal tree (the input that started its trace).
struct ContentMessage<'a> {
    summary: Summary<'a>,
    origin: String,
    body: String,
    /// The index of its trace's root message; `None` for a root.
    root: Option<usize>,
}

fn content_messages<'a>(events: &'a [GoldenEvent], options: &DiffOptions) -> Vec<ContentMessage<'a>> {
    let mut list: Vec<Summary<'a>> = messages(events, options).into_values().collect();
    list.sort_by_key(|s| s.first.line);
    let mut roots: BTreeMap<u64, usize> = BTreeMap::new();
    list.into_iter()
        .enumerate()
        .map(|(index, summary)| {
            let body = summary.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
            let root = *roots.entry(summary.first.trace).or_insert(index);
            let origin = summary.first.place.split(" -> ").next().unwrap_or_default().to_string();
            ContentMessage { summary, origin, body, root: (root != index).then_some(root) }
        })
        .collect()
}

/// What pairing two lists found: exact pairs, same-but-changed pairs, and
/// the indices left on each side.
#[derive(Default)]
struct Pairing {
    exact: Vec<(usize, usize)>,
    changed: Vec<(usize, usize)>,
    missing: Vec<usize>,
    extra: Vec<usize>,
}

/// Pairs `a` with `b` (indices into the two message lists): first on the
/// exact key, as multisets, then what is left on the loose key.
fn pair<K: Ord>(
    a: &[usize],
    b: &[usize],
    exact: impl Fn(bool, usize) -> K,
    loose: impl Fn(bool, usize) -> K,
) -> Pairing {
    let mut found = Pairing::default();
    let mut waiting: BTreeMap<K, VecDeque<usize>> = BTreeMap::new();
    for &j in b {
        waiting.entry(exact(false, j)).or_default().push_back(j);
    }
    let mut left_a = Vec::new();
    for &i in a {
        match waiting.get_mut(&exact(true, i)).and_then(VecDeque::pop_front) {
            Some(j) => found.exact.push((i, j)),
            None => left_a.push(i),
        }
    }
    let mut left_b: Vec<usize> = waiting.into_values().flatten().collect();
    left_b.sort_unstable();
    let mut candidates: BTreeMap<K, VecDeque<usize>> = BTreeMap::new();
    for &j in &left_b {
        candidates.entry(loose(false, j)).or_default().push_back(j);
    }
    for i in left_a {
        match candidates.get_mut(&loose(true, i)).and_then(VecDeque::pop_front) {
            Some(j) => found.changed.push((i, j)),
            None => found.missing.push(i),
        }
    }
    found.extra = candidates.into_values().flatten().collect();
    found.extra.sort_unstable();
    found
}

fn content(expected: &[GoldenEvent], actual: &[GoldenEvent], options: &DiffOptions) -> TraceDiff {
    let a = content_messages(expected, options);
    let b = content_messages(actual, options);
    let side = |first: bool| if first { &a } else { &b };
    // What a message is, with or without its body, borrowed.
    let content = |first: bool, i: usize, with_body: bool| {
        let m = &side(first)[i];
        (m.origin.as_str(), m.summary.first.name.as_str(), if with_body { m.body.as_str() } else { "" })
    };
    let (roots_a, others_a): (Vec<usize>, Vec<usize>) = (0..a.len()).partition(|&i| a[i].root.is_none());
    let (roots_b, others_b): (Vec<usize>, Vec<usize>) = (0..b.len()).partition(|&i| b[i].root.is_none());
    // The inputs first: roots pair by where they arrived, name and body, or
    // by where and name alone when the body changed.
    let root_pairs = pair(&roots_a, &roots_b, |f, i| content(f, i, true), |f, i| content(f, i, false));
    // Then everything else, under the paired inputs: a message's cause is
    // its root on the first side, or the first side's root it paired with.
    let paired: BTreeMap<usize, usize> =
        root_pairs.exact.iter().chain(&root_pairs.changed).map(|&(i, j)| (j, i)).collect();
    let cause = |first: bool, i: usize| -> (bool, usize) {
        let root = side(first)[i].root.unwrap_or(i);
        match (first, paired.get(&root)) {
            (true, _) => (true, root),
            (false, Some(&i)) => (true, i),
            (false, None) => (false, root),
        }
    };
    let rest = pair(
        &others_a,
        &others_b,
        |f, i| (cause(f, i), content(f, i, true)),
        |f, i| (cause(f, i), content(f, i, false)),
    );
    let mut missing: Vec<usize> = root_pairs.missing.iter().chain(&rest.missing).copied().collect();
    let mut changed: Vec<(usize, usize)> = root_pairs.changed.iter().chain(&rest.changed).copied().collect();
    let mut extra: Vec<usize> = root_pairs.extra.iter().chain(&rest.extra).copied().collect();
    missing.sort_unstable();
    changed.sort_unstable();
    extra.sort_unstable();
    let cause_of = |list: &[ContentMessage<'_>], i: usize| {
        let root = &list[list[i].root.unwrap_or(i)];
        format!("{} {}", root.summary.first.name, root.body)
    };
    let describe = |m: &ContentMessage<'_>| format!("{} {} {}", m.origin, m.summary.first.name, m.body);
    let first_a = missing.iter().map(|&i| (i, None)).chain(changed.iter().map(|&(i, j)| (i, Some(j)))).min();
    let first = match first_a {
        Some((index, other)) => {
            let m = &a[index];
            let summary = match other {
                None => format!(
                    "`{}` no longer sends `{}` {} (caused by {})",
                    m.origin,
                    m.summary.first.name,
                    m.body,
                    cause_of(&a, index)
                ),
                Some(j) => format!(
                    "`{}` sends `{}` with another body: {} instead of {} (caused by {})",
                    m.origin,
                    m.summary.first.name,
                    b[j].body,
                    m.body,
                    cause_of(&a, index)
                ),
            };
            Some(Divergence {
                index,
                t_ns: m.summary.first.t_ns,
                edge: m.summary.first.place.clone(),
                expected: Some(describe(m)),
                actual: other.map(|j| describe(&b[j])),
                summary,
            })
        }
        None => extra.iter().min().map(|&j| {
            let m = &b[j];
            Divergence {
                index: a.len(),
                t_ns: m.summary.first.t_ns,
                edge: m.summary.first.place.clone(),
                expected: None,
                actual: Some(describe(m)),
                summary: format!(
                    "`{}` now also sends `{}` {} (caused by {})",
                    m.origin,
                    m.summary.first.name,
                    m.body,
                    cause_of(&b, j)
                ),
            }
        }),
    };
    // The unified diff compares the messages as sorted sets of lines.
    let lines = |list: &[ContentMessage<'_>]| {
        let mut lines: Vec<(String, usize)> =
            list.iter().enumerate().map(|(i, m)| (format!("{}  ← {}", describe(m), cause_of(list, i)), i)).collect();
        lines.sort();
        lines
    };
    let (left, right) = (lines(&a), lines(&b));
    let ops = line_ops(&left, &right);
    TraceDiff {
        equal: first.is_none(),
        alignment: Alignment::Content,
        first_divergence: first,
        unified: unified(&left, &right, &ops),
        edges: edge_changes(expected, actual),
        missing: missing.iter().take(LISTED).map(|&i| message_ref(&a[i].summary)).collect(),
        extra: extra.iter().take(LISTED).map(|&j| message_ref(&b[j].summary)).collect(),
        changed: changed.iter().take(LISTED).map(|&(i, j)| changed_message(&a[i].summary, &b[j].summary)).collect(),
    }
}
