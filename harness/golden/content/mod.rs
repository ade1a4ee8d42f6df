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

mod recording;

use std::collections::{BTreeMap, VecDeque};
use std::hash::Hash;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::compare::{changed_fields, tally, Judgement, Relaxations};

use super::diff::{
    count_changes, line_ops, unified, Alignment, ChangedMessage, DiffOptions, Divergence, EdgeChange, MessageRef,
    TraceDiff, LISTED,
};
pub(super) use recording::{Recording, Table};
use recording::{Role, NO_BODY};

/// A message keyed by content, every part interned in the shared table.
struct Message {
    /// Index of its first event.
    first: usize,
    origin: u32,
    name: u32,
    /// Its body as recorded (the first event that shows one).
    body: u32,
    /// Its body with the ignored fields hidden: what pairing compares.
    key_body: u32,
    /// Whether it came from outside the recording (its first event is a receipt).
    external: bool,
    /// The places that received it, sorted (a place twice when it received it twice).
    receivers: SmallVec<[u32; 2]>,
    /// The index of its trace's root message; `None` for a root.
    root: Option<usize>,
    /// The index of the message its origin was handling when it sent it.
    parent: Option<usize>,
}

/// One side: its events and its messages in order of first appearance.
struct Side<'r> {
    recording: &'r Recording,
    messages: Vec<Message>,
    /// Per event, the index of its message in `messages`.
    message_of: Vec<u32>,
}

impl<'r> Side<'r> {
    fn new(recording: &'r Recording, table: &mut Table, options: &DiffOptions) -> Side<'r> {
        // Message and trace numbers as indices: dense, in first-seen order
        // (a golden edited by hand may number them anyhow).
        let mut index_of: FxHashMap<u32, usize> = FxHashMap::default();
        let mut roots: FxHashMap<u32, usize> = FxHashMap::default();
        // The message each (place, trace) last received, as the events go by.
        let mut handling: FxHashMap<(u32, u32), usize> = FxHashMap::default();
        let mut messages: Vec<Message> = Vec::with_capacity(recording.events.len() / 2);
        // Whether each message has been seen sent yet.
        let mut sent: Vec<bool> = Vec::with_capacity(recording.events.len() / 2);
        let mut message_of: Vec<u32> = Vec::with_capacity(recording.events.len());
        for (at, event) in recording.events.iter().enumerate() {
            let body = if options.ignore_bodies { NO_BODY } else { event.body };
            let index = *index_of.entry(event.msg).or_insert_with(|| {
                let index = messages.len();
                let root = *roots.entry(event.trace).or_insert(index);
                messages.push(Message {
                    first: at,
                    origin: event.origin,
                    name: event.name,
                    body,
                    key_body: body,
                    external: true,
                    receivers: SmallVec::new(),
                    root: (root != index).then_some(root),
                    parent: None,
                });
                sent.push(false);
                index
            });
            message_of.push(index as u32);
            let message = &mut messages[index];
            if message.body == NO_BODY {
                message.body = body;
            }
            match event.role {
                Role::Receipt => {
                    message.receivers.push(event.place);
                    handling.insert((event.place, event.trace), index);
                }
                // Its send, even when a receipt was dumped before it (clock
                // skew): where it came from and what its sender was handling.
                Role::Send if !sent[index] => {
                    sent[index] = true;
                    message.origin = event.origin;
                    message.external = false;
                    message.parent = handling.get(&(event.place, event.trace)).copied().filter(|&p| p != index);
                }
                _ => {}
            }
        }
        // A message from outside: its first receipt is where it starts, not
        // one of its receivers.
        for message in messages.iter_mut().filter(|m| m.external) {
            if let Some(at) = message.receivers.iter().position(|&p| p == message.origin) {
                message.receivers.remove(at);
            }
        }
        for message in &mut messages {
            message.receivers.sort_unstable();
            // A body no rule applies to keeps its own id.
            if options.rules.applies(table.text(message.origin), table.text(message.name)) {
                if let Some(mut value) = table.body_value(message.body) {
                    let (origin, name) = (table.text(message.origin).to_string(), table.text(message.name).to_string());
                    options.rules.hide(&origin, &name, &mut value);
                    message.key_body = table.body(&value.to_string());
                }
            }
        }
        Side { recording, messages, message_of }
    }

    fn first_event(&self, i: usize) -> &recording::Event {
        &self.recording.events[self.messages[i].first]
    }
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
fn pair<K: Hash + Eq>(
    a: &[usize],
    b: &[usize],
    exact: impl Fn(bool, usize) -> K,
    loose: impl Fn(bool, usize) -> K,
) -> Pairing {
    let mut found = Pairing::default();
    let mut waiting: FxHashMap<K, VecDeque<usize>> = FxHashMap::with_capacity_and_hasher(b.len(), Default::default());
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
    let mut candidates: FxHashMap<K, VecDeque<usize>> = FxHashMap::default();
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

/// Both sides and the table their ids point into, for wording.
struct Sides<'r, 't> {
    a: Side<'r>,
    b: Side<'r>,
    table: &'t Table,
}

impl Sides<'_, '_> {
    fn side(&self, first: bool) -> &Side<'_> {
        if first {
            &self.a
        } else {
            &self.b
        }
    }

    fn message(&self, first: bool, i: usize) -> &Message {
        &self.side(first).messages[i]
    }

    fn origin(&self, first: bool, i: usize) -> &str {
        self.table.text(self.message(first, i).origin)
    }

    fn name(&self, first: bool, i: usize) -> &str {
        self.table.text(self.message(first, i).name)
    }

    fn body(&self, first: bool, i: usize) -> &str {
        self.table.body_text(self.message(first, i).key_body)
    }

    /// `` `X` {body} ``.
    fn what(&self, first: bool, i: usize) -> String {
        format!("`{}` {}", self.name(first, i), self.body(first, i))
    }

    /// `` `X` {body} sent by `P` ``, or `from outside`.
    fn sent(&self, first: bool, i: usize) -> String {
        match self.message(first, i).external {
            true => format!("{} from outside", self.what(first, i)),
            false => format!("{} sent by `{}`", self.what(first, i), self.origin(first, i)),
        }
    }

    /// The input that started its trace.
    fn cause(&self, first: bool, i: usize) -> String {
        let root = self.message(first, i).root.unwrap_or(i);
        format!("{} {}", self.name(first, root), self.body(first, root))
    }

    fn line(&self, first: bool, i: usize) -> String {
        let receivers: Vec<&str> = self.message(first, i).receivers.iter().map(|&p| self.table.text(p)).collect();
        format!(
            "{} {} {} -> [{}]",
            self.origin(first, i),
            self.name(first, i),
            self.body(first, i),
            receivers.join(", ")
        )
    }

    fn message_ref(&self, first: bool, i: usize) -> MessageRef {
        let event = self.side(first).first_event(i);
        MessageRef {
            name: self.name(first, i).to_string(),
            place: self.table.text(event.place).to_string(),
            msg: u64::from(event.msg),
            t_ns: event.t_ns,
            body: self.table.body_value(self.message(first, i).body),
        }
    }

    fn changed_message(&self, i: usize, j: usize) -> ChangedMessage {
        let (old, new) = (self.message_ref(true, i), self.message_ref(false, j));
        let null = serde_json::Value::Null;
        let fields = changed_fields(old.body.as_ref().unwrap_or(&null), new.body.as_ref().unwrap_or(&null));
        ChangedMessage { expected: old, actual: new, fields }
    }

    /// One sentence for a message the second side changed.
    fn changed_summary(&self, i: usize, j: usize) -> String {
        let (x, y) = (self.message(true, i), self.message(false, j));
        if x.key_body != y.key_body {
            return format!(
                "`{}` sends `{}` with another body: {} instead of {} (caused by {})",
                self.origin(true, i),
                self.name(true, i),
                self.body(false, j),
                self.body(true, i),
                self.cause(true, i)
            );
        }
        if x.receivers != y.receivers {
            let count = |list: &[u32], place: u32| list.iter().filter(|p| **p == place).count();
            let lost = x.receivers.iter().copied().find(|&p| count(&x.receivers, p) > count(&y.receivers, p));
            let gained = y.receivers.iter().copied().find(|&p| count(&y.receivers, p) > count(&x.receivers, p));
            let what = self.sent(true, i);
            let text = |p: u32| self.table.text(p);
            return match (lost, gained) {
                (Some(old), Some(new)) if count(&y.receivers, old) == 0 && count(&x.receivers, new) == 0 => {
                    format!("{what} is received by `{}` instead of `{}`", text(new), text(old))
                }
                (Some(old), _) if count(&y.receivers, old) == 0 => format!("`{}` no longer receives {what}", text(old)),
                (_, Some(new)) if count(&x.receivers, new) == 0 => format!("`{}` now also receives {what}", text(new)),
                (Some(place), _) | (_, Some(place)) => format!(
                    "`{}` receives {what} {} times instead of {}",
                    text(place),
                    count(&y.receivers, place),
                    count(&x.receivers, place)
                ),
                (None, None) => format!("{what} is received by others"),
            };
        }
        let answering = |first: bool, m: &Message| match m.parent {
            Some(p) => format!("in answer to {}", self.what(first, p)),
            None => "with nothing received before it".to_string(),
        };
        format!(
            "`{}` sends {} {}, not {}",
            self.origin(true, i),
            self.what(true, i),
            answering(false, y),
            answering(true, x)
        )
    }

    /// The first place whose receipts, among paired messages, came in
    /// another order: (the first side's message that no longer arrives in
    /// its turn, its place, the message that now arrives before it).
    fn order_change(&self, to_a: &FxHashMap<usize, usize>) -> Option<(usize, u32, usize)> {
        // Per place: (time, first-side index) of each receipt of a paired message.
        let receipts = |first: bool| {
            let side = self.side(first);
            let mut at: BTreeMap<u32, Vec<(u64, usize)>> = BTreeMap::new();
            let events = side.recording.events.iter().zip(&side.message_of);
            for (event, &i) in events.filter(|(e, _)| e.role == Role::Receipt) {
                let i = i as usize;
                let Some(a_index) = (if first { Some(i) } else { to_a.get(&i).copied() }) else { continue };
                at.entry(event.place).or_default().push((event.t_ns, a_index));
            }
            // Receipts at one instant have no order between them.
            for list in at.values_mut() {
                list.sort_unstable();
            }
            at
        };
        let paired: rustc_hash::FxHashSet<usize> = to_a.values().copied().collect();
        let (a, b) = (receipts(true), receipts(false));
        let mut found: Option<(usize, u32, usize)> = None;
        for (place, list) in &a {
            let left = list.iter().map(|&(_, i)| i).filter(|i| paired.contains(i));
            let right = b.get(place).into_iter().flatten().map(|&(_, i)| i);
            if let Some((late, early)) = left.zip(right).find(|(x, y)| x != y) {
                if found.is_none_or(|(m, ..)| late < m) {
                    found = Some((late, *place, early));
                }
            }
        }
        found
    }

    /// Sends per place on each side, where the counts differ.
    fn edge_changes(&self) -> Vec<EdgeChange> {
        let count = |side: &Side<'_>| {
            let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
            for event in side.recording.events.iter().filter(|e| e.role == Role::Send) {
                *counts.entry(self.table.text(event.place)).or_default() += 1;
            }
            counts
        };
        count_changes(&count(&self.a), &count(&self.b))
    }
}

/// Compares two recordings by content (see the module docs); their ids
/// point into `table`.
pub(super) fn content(expected: &Recording, actual: &Recording, table: &mut Table, options: &DiffOptions) -> TraceDiff {
    let (a, b) = (Side::new(expected, table, options), Side::new(actual, table, options));
    let sides = Sides { a, b, table };
    let (ma, mb) = (&sides.a.messages, &sides.b.messages);
    let key = |first: bool, i: usize, full: bool| {
        let m = sides.message(first, i);
        match full {
            true => (m.origin, m.name, m.key_body, m.receivers.clone()),
            false => (m.origin, m.name, NO_BODY, SmallVec::new()),
        }
    };
    let (roots_a, others_a): (Vec<usize>, Vec<usize>) = (0..ma.len()).partition(|&i| ma[i].root.is_none());
    let (roots_b, others_b): (Vec<usize>, Vec<usize>) = (0..mb.len()).partition(|&i| mb[i].root.is_none());
    // The inputs first: roots pair by content, or by where and name alone.
    let root_pairs = pair(&roots_a, &roots_b, |f, i| key(f, i, true), |f, i| key(f, i, false));
    // Then everything else, under the paired inputs: a message's cause is
    // its root on the first side, or the first side's root it paired with.
    let paired_roots: FxHashMap<usize, usize> =
        root_pairs.exact.iter().chain(&root_pairs.changed).map(|&(i, j)| (j, i)).collect();
    let cause = |first: bool, i: usize| -> (bool, usize) {
        let root = sides.message(first, i).root.unwrap_or(i);
        match (first, paired_roots.get(&root)) {
            (true, _) => (true, root),
            (false, Some(&i)) => (true, i),
            (false, None) => (false, root),
        }
    };
    // What its sender was answering, by content.
    let parent = |first: bool, i: usize| {
        sides.message(first, i).parent.map(|p| {
            let m = sides.message(first, p);
            (m.origin, m.name, m.key_body)
        })
    };
    let rest = pair(
        &others_a,
        &others_b,
        |f, i| (cause(f, i), parent(f, i), key(f, i, true)),
        |f, i| (cause(f, i), None, key(f, i, false)),
    );
    let mut relaxed = Relaxations::new();
    let judge = |i: usize, j: usize| {
        let (e, v) = (table.body_value(ma[i].body), table.body_value(mb[j].body));
        match (e, v) {
            (Some(e), Some(v)) => options.rules.compare(sides.origin(true, i), sides.name(true, i), &e, &v),
            _ => Judgement::Different(Vec::new()),
        }
    };
    // Exact pairs whose recorded bodies differ matched through ignore rules.
    for &(i, j) in root_pairs.exact.iter().chain(&rest.exact) {
        if ma[i].body != mb[j].body {
            tally(&mut relaxed, &judge(i, j));
        }
    }
    // A pair that differs only in a body the rules relax is equal, counted.
    let mut changed: Vec<(usize, usize)> = Vec::new();
    for &(i, j) in root_pairs.changed.iter().chain(&rest.changed) {
        let same_links = ma[i].receivers == mb[j].receivers && parent(true, i) == parent(false, j);
        let judged = if same_links { judge(i, j) } else { Judgement::Different(Vec::new()) };
        match judged {
            Judgement::Different(_) => changed.push((i, j)),
            judgement => tally(&mut relaxed, &judgement),
        }
    }
    let mut missing: Vec<usize> = root_pairs.missing.iter().chain(&rest.missing).copied().collect();
    let mut extra: Vec<usize> = root_pairs.extra.iter().chain(&rest.extra).copied().collect();
    missing.sort_unstable();
    changed.sort_unstable();
    extra.sort_unstable();
    let to_a: FxHashMap<usize, usize> = root_pairs
        .exact
        .iter()
        .chain(&root_pairs.changed)
        .chain(&rest.exact)
        .chain(&rest.changed)
        .map(|&(i, j)| (j, i))
        .collect();
    let divergence = |index: usize, other: Option<usize>, summary: String| {
        let event = sides.a.first_event(index);
        Divergence {
            index,
            t_ns: event.t_ns,
            edge: table.text(event.place).to_string(),
            expected: Some(sides.line(true, index)),
            actual: other.map(|j| sides.line(false, j)),
            summary,
        }
    };
    let first_missing = missing.first().map(|&i| {
        let verb = if ma[i].external { "receives" } else { "sends" };
        let summary = format!(
            "`{}` no longer {verb} {} (caused by {})",
            sides.origin(true, i),
            sides.what(true, i),
            sides.cause(true, i)
        );
        divergence(i, None, summary)
    });
    let first_changed = changed.first().map(|&(i, j)| divergence(i, Some(j), sides.changed_summary(i, j)));
    let first_reorder = sides.order_change(&to_a).map(|(late, place, early)| {
        let summary = format!(
            "`{}` now receives {} after {}, the other way round from the recording",
            table.text(place),
            sides.sent(true, late),
            sides.sent(true, early)
        );
        divergence(late, to_a.iter().find(|(_, &i)| i == late).map(|(&j, _)| j), summary)
    });
    let first = [first_missing, first_changed, first_reorder].into_iter().flatten().min_by_key(|d| d.index);
    let first = first.or_else(|| {
        extra.first().map(|&j| {
            let event = sides.b.first_event(j);
            let verb = if mb[j].external { "receives" } else { "sends" };
            Divergence {
                index: ma.len(),
                t_ns: event.t_ns,
                edge: table.text(event.place).to_string(),
                expected: None,
                actual: Some(sides.line(false, j)),
                summary: format!(
                    "`{}` now also {verb} {} (caused by {})",
                    sides.origin(false, j),
                    sides.what(false, j),
                    sides.cause(false, j)
                ),
            }
        })
    });
    // The unified diff compares the messages as sorted sets of lines.
    let unified_text = match first {
        None => String::new(),
        Some(_) => {
            let lines = |first: bool| {
                let count = sides.side(first).messages.len();
                let mut lines: Vec<(String, usize)> =
                    (0..count).map(|i| (format!("{}  ← {}", sides.line(first, i), sides.cause(first, i)), i)).collect();
                lines.sort();
                lines
            };
            let (left, right) = (lines(true), lines(false));
            unified(&left, &right, &line_ops(&left, &right))
        }
    };
    TraceDiff {
        equal: first.is_none(),
        alignment: Alignment::Content,
        first_divergence: first,
        unified: unified_text,
        edges: sides.edge_changes(),
        missing: missing.iter().take(LISTED).map(|&i| sides.message_ref(true, i)).collect(),
        extra: extra.iter().take(LISTED).map(|&j| sides.message_ref(false, j)).collect(),
        changed: changed.iter().take(LISTED).map(|&(i, j)| sides.changed_message(i, j)).collect(),
        relaxed,
    }
}
