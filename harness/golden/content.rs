//! Content alignment: comparing two recordings of different runs (whenever
//! an elfo dump is involved), which share no ids, times or node numbers.
//!
//! A message is known by what it is and why it moved: where it came from,
//! its name and body, the input that started its trace, the message its
//! sender was handling when it sent it, and every place that received it.
//! Inputs pair first, by content; everything else pairs under the input
//! that caused it, so reordering between independent causal chains is not
//! a difference. What is compared beyond pairing:
//!
//! - who received each message (a receipt lost, gained, repeated, or moved
//!   to another group or key);
//! - what each message answered (two causally dependent messages swapped);
//! - the order in which each place received the messages it received
//!   (a message delayed past a timer it raced).

use std::collections::{BTreeMap, VecDeque};

use crate::compare::{tally, Judgement, Relaxations};

use super::diff::{
    changed_message, edge_changes, line_ops, message_ref, messages, unified, Alignment, DiffOptions, Divergence,
    Summary, TraceDiff, LISTED,
};
use super::parse::GoldenEvent;

/// A message keyed by content.
struct ContentMessage<'a> {
    summary: Summary<'a>,
    /// The place that sent it (or, for an input from outside, received it).
    origin: String,
    /// Whether it came from outside the recording (its first event is a receipt).
    external: bool,
    /// Its body as compact JSON, ignored fields hidden.
    body: String,
    /// The places that received it, sorted (a place twice when it received it twice).
    receivers: Vec<&'a str>,
    /// The index of its trace's root message; `None` for a root.
    root: Option<usize>,
    /// The index of the message its origin was handling when it sent it.
    parent: Option<usize>,
}

/// Whether an event is a receipt.
fn is_receipt(event: &str) -> bool {
    event == "in" || event == "deliver"
}

fn content_messages<'a>(events: &'a [GoldenEvent], options: &DiffOptions) -> Vec<ContentMessage<'a>> {
    let mut list: Vec<Summary<'a>> = messages(events, options).into_values().collect();
    list.sort_by_key(|s| s.first.line);
    let index_of: BTreeMap<u64, usize> = list.iter().enumerate().map(|(i, s)| (s.first.msg, i)).collect();
    // The message each (place, trace) last received, as the events go by.
    let mut handling: BTreeMap<(&str, u64), usize> = BTreeMap::new();
    let mut parents: Vec<Option<usize>> = vec![None; list.len()];
    for event in events.iter().filter(|e| e.msg != 0) {
        let Some(&index) = index_of.get(&event.msg) else { continue };
        if is_receipt(&event.event) {
            handling.insert((&event.place, event.trace), index);
        } else if std::ptr::eq(list[index].first, event) {
            parents[index] = handling.get(&(event.place.as_str(), event.trace)).copied();
        }
    }
    let mut roots: BTreeMap<u64, usize> = BTreeMap::new();
    list.into_iter()
        .zip(parents)
        .enumerate()
        .map(|(index, (summary, parent))| {
            let first = summary.first;
            let origin = first.place.split(" -> ").next().unwrap_or_default().to_string();
            let body = summary
                .body
                .as_ref()
                .map(|b| {
                    let mut b = b.clone();
                    options.rules.hide(&origin, &first.name, &mut b);
                    b.to_string()
                })
                .unwrap_or_default();
            let external = is_receipt(&first.event);
            let receipts = summary.events.iter().skip(usize::from(external)).filter(|e| is_receipt(&e.event));
            let mut receivers: Vec<&str> = receipts.map(|e| e.place.as_str()).collect();
            receivers.sort_unstable();
            let root = *roots.entry(first.trace).or_insert(index);
            ContentMessage {
                summary,
                origin,
                external,
                body,
                receivers,
                root: (root != index).then_some(root),
                parent: parent.filter(|&p| p != index),
            }
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

/// The two sides' messages and how they pair.
struct Sides<'a> {
    a: Vec<ContentMessage<'a>>,
    b: Vec<ContentMessage<'a>>,
}

impl Sides<'_> {
    fn side(&self, first: bool) -> &[ContentMessage<'_>] {
        if first {
            &self.a
        } else {
            &self.b
        }
    }

    /// `X {body}` of a message.
    fn what(&self, first: bool, i: usize) -> String {
        let m = &self.side(first)[i];
        format!("`{}` {}", m.summary.first.name, m.body)
    }

    /// `X {body} sent by P`, or `from outside`.
    fn sent(&self, first: bool, i: usize) -> String {
        let m = &self.side(first)[i];
        match m.external {
            true => format!("{} from outside", self.what(first, i)),
            false => format!("{} sent by `{}`", self.what(first, i), m.origin),
        }
    }

    fn cause(&self, first: bool, i: usize) -> String {
        let list = self.side(first);
        let root = &list[list[i].root.unwrap_or(i)];
        format!("{} {}", root.summary.first.name, root.body)
    }

    fn line(&self, first: bool, i: usize) -> String {
        let m = &self.side(first)[i];
        format!("{} {} {} -> [{}]", m.origin, m.summary.first.name, m.body, m.receivers.join(", "))
    }
}

/// One sentence for a message the second side changed.
fn changed_summary(sides: &Sides<'_>, i: usize, j: usize) -> String {
    let (x, y) = (&sides.a[i], &sides.b[j]);
    if x.body != y.body {
        return format!(
            "`{}` sends `{}` with another body: {} instead of {} (caused by {})",
            x.origin,
            x.summary.first.name,
            y.body,
            x.body,
            sides.cause(true, i)
        );
    }
    if x.receivers != y.receivers {
        let count = |list: &[&str], place: &str| list.iter().filter(|p| **p == place).count();
        let lost = x.receivers.iter().find(|p| count(&x.receivers, p) > count(&y.receivers, p));
        let gained = y.receivers.iter().find(|p| count(&y.receivers, p) > count(&x.receivers, p));
        let what = sides.sent(true, i);
        return match (lost, gained) {
            (Some(old), Some(new)) if count(&y.receivers, old) == 0 && count(&x.receivers, new) == 0 => {
                format!("{what} is received by `{new}` instead of `{old}`")
            }
            (Some(old), _) if count(&y.receivers, old) == 0 => format!("`{old}` no longer receives {what}"),
            (_, Some(new)) if count(&x.receivers, new) == 0 => format!("`{new}` now also receives {what}"),
            (Some(place), _) | (_, Some(place)) => format!(
                "`{place}` receives {what} {} times instead of {}",
                count(&y.receivers, place),
                count(&x.receivers, place)
            ),
            (None, None) => format!("{what} is received by others"),
        };
    }
    let answering = |first: bool, m: &ContentMessage<'_>| match m.parent {
        Some(p) => format!("in answer to {}", sides.what(first, p)),
        None => "with nothing received before it".to_string(),
    };
    format!("`{}` sends {} {}, not {}", x.origin, sides.what(true, i), answering(false, y), answering(true, x))
}

/// The first place whose receipts, among paired messages, came in another
/// order: (the first side's message that no longer arrives in its turn, its
/// place, the message that now arrives before it).
fn order_change(sides: &Sides<'_>, to_a: &BTreeMap<usize, usize>) -> Option<(usize, String, usize)> {
    // Per place: (time, first-side index) of each receipt of a paired message.
    let receipts = |first: bool| {
        let mut at: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
        for (i, m) in sides.side(first).iter().enumerate() {
            let Some(a_index) = (if first { Some(i) } else { to_a.get(&i).copied() }) else { continue };
            for event in m.summary.events.iter().filter(|e| is_receipt(&e.event)) {
                at.entry(event.place.as_str()).or_default().push((event.t_ns, a_index));
            }
        }
        // Receipts at one instant have no order between them.
        for list in at.values_mut() {
            list.sort_unstable();
        }
        at
    };
    let paired: std::collections::BTreeSet<usize> = to_a.values().copied().collect();
    let (a, b) = (receipts(true), receipts(false));
    let mut found: Option<(usize, String, usize)> = None;
    for (place, list) in &a {
        let left: Vec<usize> = list.iter().map(|&(_, i)| i).filter(|i| paired.contains(i)).collect();
        let right: Vec<usize> = b.get(place).map_or_else(Vec::new, |l| l.iter().map(|&(_, i)| i).collect());
        if let Some(at) = left.iter().zip(&right).position(|(x, y)| x != y) {
            let (late, early) = (left[at], right[at]);
            if found.as_ref().is_none_or(|(m, ..)| late < *m) {
                found = Some((late, place.to_string(), early));
            }
        }
    }
    found
}

/// Compares two recordings by content (see the module docs).
pub(super) fn content(expected: &[GoldenEvent], actual: &[GoldenEvent], options: &DiffOptions) -> TraceDiff {
    let sides = Sides { a: content_messages(expected, options), b: content_messages(actual, options) };
    let (a, b) = (&sides.a, &sides.b);
    let key = |first: bool, i: usize, full: bool| {
        let m = &sides.side(first)[i];
        let name = m.summary.first.name.as_str();
        match full {
            true => (m.origin.as_str(), name, m.body.as_str(), m.receivers.clone()),
            false => (m.origin.as_str(), name, "", Vec::new()),
        }
    };
    let (roots_a, others_a): (Vec<usize>, Vec<usize>) = (0..a.len()).partition(|&i| a[i].root.is_none());
    let (roots_b, others_b): (Vec<usize>, Vec<usize>) = (0..b.len()).partition(|&i| b[i].root.is_none());
    // The inputs first: roots pair by content, or by where and name alone.
    let root_pairs = pair(&roots_a, &roots_b, |f, i| key(f, i, true), |f, i| key(f, i, false));
    // Then everything else, under the paired inputs: a message's cause is
    // its root on the first side, or the first side's root it paired with.
    let paired_roots: BTreeMap<usize, usize> =
        root_pairs.exact.iter().chain(&root_pairs.changed).map(|&(i, j)| (j, i)).collect();
    let cause = |first: bool, i: usize| -> (bool, usize) {
        let root = sides.side(first)[i].root.unwrap_or(i);
        match (first, paired_roots.get(&root)) {
            (true, _) => (true, root),
            (false, Some(&i)) => (true, i),
            (false, None) => (false, root),
        }
    };
    // What its sender was answering, by content.
    let parent = |first: bool, i: usize| {
        sides.side(first)[i].parent.map(|p| {
            let m = &sides.side(first)[p];
            (m.origin.as_str(), m.summary.first.name.as_str(), m.body.as_str())
        })
    };
    let rest = pair(
        &others_a,
        &others_b,
        |f, i| (cause(f, i), parent(f, i), key(f, i, true)),
        |f, i| (cause(f, i), None, key(f, i, false)),
    );
    let mut missing: Vec<usize> = root_pairs.missing.iter().chain(&rest.missing).copied().collect();
    let mut extra: Vec<usize> = root_pairs.extra.iter().chain(&rest.extra).copied().collect();
    let mut relaxed = Relaxations::new();
    // Exact pairs whose recorded bodies differ matched through ignore rules.
    for &(i, j) in root_pairs.exact.iter().chain(&rest.exact) {
        if let (Some(e), Some(v)) = (&a[i].summary.body, &b[j].summary.body) {
            if e != v {
                tally(&mut relaxed, &options.rules.compare(&a[i].origin, &a[i].summary.first.name, e, v));
            }
        }
    }
    // A pair that differs only in a body the rules relax is equal, counted.
    let mut changed: Vec<(usize, usize)> = Vec::new();
    for &(i, j) in root_pairs.changed.iter().chain(&rest.changed) {
        let (x, y) = (&a[i], &b[j]);
        let same_links = x.receivers == y.receivers && parent(true, i) == parent(false, j);
        let judged = match (&x.summary.body, &y.summary.body) {
            (Some(e), Some(v)) if same_links => options.rules.compare(&x.origin, &x.summary.first.name, e, v),
            _ => Judgement::Different(Vec::new()),
        };
        match judged {
            Judgement::Different(_) => changed.push((i, j)),
            judgement => tally(&mut relaxed, &judgement),
        }
    }
    missing.sort_unstable();
    changed.sort_unstable();
    extra.sort_unstable();
    let to_a: BTreeMap<usize, usize> = root_pairs
        .exact
        .iter()
        .chain(&root_pairs.changed)
        .chain(&rest.exact)
        .chain(&rest.changed)
        .map(|&(i, j)| (j, i))
        .collect();
    let reorder = order_change(&sides, &to_a);
    let divergence = |index: usize, other: Option<usize>, summary: String| {
        let m = &a[index];
        Divergence {
            index,
            t_ns: m.summary.first.t_ns,
            edge: m.summary.first.place.clone(),
            expected: Some(sides.line(true, index)),
            actual: other.map(|j| sides.line(false, j)),
            summary,
        }
    };
    let first_missing = missing.first().map(|&i| {
        let verb = if a[i].external { "receives" } else { "sends" };
        let m = &a[i];
        let summary = format!(
            "`{}` no longer {verb} `{}` {} (caused by {})",
            m.origin,
            m.summary.first.name,
            m.body,
            sides.cause(true, i)
        );
        divergence(i, None, summary)
    });
    let first_changed = changed.first().map(|&(i, j)| divergence(i, Some(j), changed_summary(&sides, i, j)));
    let first_reorder = reorder.map(|(late, place, early)| {
        let summary = format!(
            "`{place}` now receives {} after {}, the other way round from the recording",
            sides.sent(true, late),
            sides.sent(true, early)
        );
        divergence(late, to_a.iter().find(|(_, &i)| i == late).map(|(&j, _)| j), summary)
    });
    let first =
        [first_missing, first_changed, first_reorder].into_iter().flatten().min_by_key(|d| d.index).or_else(|| {
            extra.first().map(|&j| {
                let m = &b[j];
                Divergence {
                    index: a.len(),
                    t_ns: m.summary.first.t_ns,
                    edge: m.summary.first.place.clone(),
                    expected: None,
                    actual: Some(sides.line(false, j)),
                    summary: format!(
                        "`{}` now also {} `{}` {} (caused by {})",
                        m.origin,
                        if m.external { "receives" } else { "sends" },
                        m.summary.first.name,
                        m.body,
                        sides.cause(false, j)
                    ),
                }
            })
        });
    // The unified diff compares the messages as sorted sets of lines.
    let lines = |first: bool| {
        let list = sides.side(first);
        let mut lines: Vec<(String, usize)> =
            (0..list.len()).map(|i| (format!("{}  ← {}", sides.line(first, i), sides.cause(first, i)), i)).collect();
        lines.sort();
        lines
    };
    let (left, right) = (lines(true), lines(false));
    let ops = line_ops(&left, &right);
    TraceDiff {
        equal: first.is_none(),
        alignment: Alignment::Content,
        first_divergence: first,
        unified: if left == right { String::new() } else { unified(&left, &right, &ops) },
        edges: edge_changes(expected, actual),
        missing: missing.iter().take(LISTED).map(|&i| message_ref(&a[i].summary)).collect(),
        extra: extra.iter().take(LISTED).map(|&j| message_ref(&b[j].summary)).collect(),
        changed: changed.iter().take(LISTED).map(|&(i, j)| changed_message(&a[i].summary, &b[j].summary)).collect(),
        relaxed,
    }
}
