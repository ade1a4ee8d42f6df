//! What replaying a dump means, worked out before the run: which places (a
//! group, or one key of a keyed group) talk to which, what arrives from
//! outside and when, what each place sent in answer to each message it
//! received, and how long each recorded delivery took.
//!
//! Everything refers to the [`Recording`]'s lines by index, so the plan of
//! a million-line dump holds a few small numbers per line, and each message
//! is made from its line only when the run sends it.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use compact_str::CompactString;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::dump::{match_flows, ClockSkew, Direction, FlowEnd, SkewTally};
use crate::model::{Nanos, VirtualTime};

use super::recording::{Line, MessageKey, Recording};
use super::runs::{Cursors, Runs};

/// Where the sends nobody in the dump received go.
pub(super) const OUTSIDE: &str = "(outside)";

/// One recorded delivery of a send: to which place, and how long after the
/// send it was dumped as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Delivery {
    /// A place of the recording (or `(outside)`).
    pub(super) to: u32,
    pub(super) transit: Nanos,
}

/// A send a place made in answer to a message: after `delay` (from the
/// recorded receipt), the `Out` at `line` goes to each of its deliveries.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reaction {
    pub(super) delay: Nanos,
    pub(super) line: u32,
}

/// A recorded `Out`: what the replay should reproduce.
#[derive(Debug, Clone, Copy)]
pub(super) struct Expected {
    /// The `Out`'s line: when it was dumped, its trace id, name and body.
    pub(super) line: u32,
    /// Sent in a trace that began at this place: with no recorded cause, or
    /// in answer to an input from outside the dump (a timer tick the code
    /// made for itself looks like one). Bound code makes such sends under
    /// trace ids of its own.
    pub(super) uncaused: bool,
}

/// Lines of one place sorted by the message they carry ([`MessageKey`]),
/// each message's lines in dump order: the `n`th time a message arrives
/// stands for its `n`th line.
pub(super) type ByMessage = Runs<u32>;

/// Sorts `lines` by the message each carries.
fn by_message(lines: Vec<u32>, recording: &Recording) -> ByMessage {
    Runs::new(lines, |&i| recording.key(recording.line(i)))
}

/// The line of `lines` the arrival of a message with `key` stands for: the
/// next one `arrived` has not handed out, or none once every recorded one
/// has arrived (or when none was recorded).
pub(super) fn next_line(
    lines: &ByMessage,
    arrived: &mut Cursors,
    recording: &Recording,
    key: MessageKey<'_>,
) -> Option<u32> {
    let run = lines.run(|&i| recording.key(recording.line(i)).cmp(&key));
    arrived.next(run).map(|i| lines[i])
}

/// Everything one place needs.
#[derive(Debug, Default)]
pub(super) struct PlacePlan {
    /// The group, and the key as recorded (`"_"`, none, or the actor's key).
    pub(super) group: CompactString,
    pub(super) key: Option<CompactString>,
    pub(super) node_number: u16,
    /// Every message it received (`In`), by message.
    pub(super) receptions: ByMessage,
    /// The `In`s nobody in the dump sent (outside traffic, timer ticks), in
    /// dump order: injected at their recorded times.
    pub(super) external: Vec<u32>,
    /// The `Out`s with no recorded cause (a timer that was not dumped, say),
    /// in dump order: injected, and passed straight on.
    pub(super) uncaused: Vec<u32>,
    /// The same `Out`s, by message.
    pub(super) uncaused_sends: ByMessage,
    /// Places it sends to (and [`OUTSIDE`]).
    pub(super) destinations: BTreeSet<CompactString>,
    /// Places that send to it.
    pub(super) sources: BTreeSet<CompactString>,
    pub(super) expected: Vec<Expected>,
}

/// Items laid out by line: line `i`'s are `items[start[i]..start[i + 1]]`.
#[derive(Debug)]
struct ByLine<T> {
    items: Vec<T>,
    start: Vec<u32>,
}

impl<T: Copy> ByLine<T> {
    /// Lays out `(line, item)` pairs for `lines` lines, each line's items
    /// in the order given.
    fn new(lines: usize, pairs: &[(u32, T)]) -> ByLine<T> {
        let mut start = vec![0u32; lines + 1];
        for &(line, _) in pairs {
            start[line as usize + 1] += 1;
        }
        for i in 0..lines {
            start[i + 1] += start[i];
        }
        let mut sorted = pairs.to_vec();
        // Stable: each line's items stay in the order given.
        sorted.sort_by_key(|&(line, _)| line);
        ByLine { items: sorted.into_iter().map(|(_, item)| item).collect(), start }
    }

    /// The items of `line`.
    fn of(&self, line: u32) -> &[T] {
        let line = line as usize;
        &self.items[self.start[line] as usize..self.start[line + 1] as usize]
    }
}

/// The whole replay plan.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) recording: Recording,
    /// The earliest `ts`: virtual time 0.
    pub(super) first_ts: u64,
    /// From the earliest `ts` to the latest.
    pub(super) span: Nanos,
    pub(super) places: BTreeMap<CompactString, Rc<PlacePlan>>,
    /// Recorded transits that were negative, per (sender, receiver).
    pub(super) skews: Vec<ClockSkew>,
    /// Every trace id in the dump: a send under any other one is in a trace
    /// the bound code started itself.
    pub(super) traces: Rc<FxHashSet<u64>>,
    /// Each `Out`'s deliveries.
    deliveries: ByLine<Delivery>,
    /// What each `In` was answered with.
    reactions: ByLine<Reaction>,
}

impl Plan {
    /// Builds the plan from a recording.
    pub(super) fn new(mut recording: Recording) -> Plan {
        let lines = &recording.lines;
        let first_ts = lines.iter().map(|l| l.ts_ns).min().unwrap_or(0);
        let span = Nanos(lines.iter().map(|l| l.ts_ns).max().unwrap_or(0) - first_ts);
        let outside = recording.add_place(OUTSIDE);
        let senders = {
            let ends: Vec<FlowEnd> = recording.lines.iter().map(|l| recording.flow_end(l)).collect();
            match_flows(&ends)
        };
        let (deliveries, skews) = deliveries(&recording, &senders, outside);
        let traces = Rc::new(recording.lines.iter().map(|l| l.trace_id).collect());
        // The In each place is handling per trace id, as it walks its lines.
        let mut handling: FxHashMap<(u32, u64), u32> = FxHashMap::default();
        // Traces that began at a place with an input from outside the dump.
        let mut begun_here: FxHashSet<(u32, u64)> = FxHashSet::default();
        let mut answers: Vec<(u32, Reaction)> = Vec::new();
        // By place index, each place's plan and the `In`s it received.
        let mut places: Vec<Option<PlacePlan>> = (0..recording.place_count()).map(|_| None).collect();
        let mut receptions: Vec<Vec<u32>> = vec![Vec::new(); places.len()];
        for (index, line) in recording.lines.iter().enumerate() {
            let index = index as u32;
            let place = recording.place_of(line);
            let place_plan = places[place as usize].get_or_insert_with(|| {
                let actor = &recording.actors[line.actor as usize];
                PlacePlan {
                    group: actor.group.clone(),
                    key: actor.key.clone(),
                    node_number: line.node,
                    ..PlacePlan::default()
                }
            });
            match line.direction {
                Direction::In => {
                    receptions[place as usize].push(index);
                    handling.insert((place, line.trace_id), index);
                    match senders[index as usize] {
                        Some(sender) => {
                            let from = recording.place_of(recording.line(sender));
                            place_plan.sources.insert(recording.place_name(from).clone());
                        }
                        None => {
                            begun_here.insert((place, line.trace_id));
                            place_plan.external.push(index);
                        }
                    }
                }
                Direction::Out => {
                    let to = deliveries.of(index);
                    place_plan.destinations.extend(to.iter().map(|d| recording.place_name(d.to).clone()));
                    let cause = handling.get(&(place, line.trace_id));
                    if let Some(&cause) = cause {
                        let delay = Nanos(line.ts_ns.saturating_sub(recording.line(cause).ts_ns));
                        answers.push((cause, Reaction { delay, line: index }));
                    } else {
                        place_plan.uncaused.push(index);
                    }
                    let uncaused = cause.is_none() || begun_here.contains(&(place, line.trace_id));
                    place_plan.expected.push(Expected { line: index, uncaused });
                }
            }
        }
        let places = places.into_iter().zip(receptions).enumerate().filter_map(|(place, (plan, received))| {
            let mut plan = plan?;
            plan.receptions = by_message(received, &recording);
            plan.uncaused_sends = by_message(plan.uncaused.clone(), &recording);
            Some((recording.place_name(place as u32).clone(), Rc::new(plan)))
        });
        Plan {
            places: places.collect(),
            reactions: ByLine::new(recording.lines.len(), &answers),
            recording,
            first_ts,
            span,
            skews,
            traces,
            deliveries,
        }
    }

    /// The deliveries of the `Out` at `line`: at least one ([`OUTSIDE`]
    /// when nobody in the dump received it).
    pub(super) fn deliveries_of(&self, line: u32) -> &[Delivery] {
        self.deliveries.of(line)
    }

    /// What the place sent in answer to the `In` at `line`, in order.
    pub(super) fn reactions_to(&self, line: u32) -> &[Reaction] {
        self.reactions.of(line)
    }

    /// The `Out` of a recorded send.
    pub(super) fn sent(&self, expected: &Expected) -> &Line {
        self.recording.line(expected.line)
    }

    /// How many deliveries to `receiver` a recorded send was made with.
    pub(super) fn slots(&self, expected: &Expected, receiver: u32) -> u32 {
        self.deliveries_of(expected.line).iter().filter(|d| d.to == receiver).count() as u32
    }

    /// The place names a recorded send reached, a name per delivery.
    pub(super) fn receivers(&self, expected: &Expected) -> impl Iterator<Item = &CompactString> {
        self.deliveries_of(expected.line).iter().map(|d| self.recording.place_name(d.to))
    }

    /// Virtual time of a line.
    pub(super) fn at(&self, line: u32) -> VirtualTime {
        VirtualTime(self.recording.line(line).ts_ns - self.first_ts)
    }
}

/// Each `Out`'s deliveries, from the matching of sends to receipts; an
/// `Out` nobody received is delivered to
/// `outside`, and a negative transit is delivered at once and reported in
/// the skews.
fn deliveries(recording: &Recording, senders: &[Option<u32>], outside: u32) -> (ByLine<Delivery>, Vec<ClockSkew>) {
    let mut pairs: Vec<(u32, Delivery)> = Vec::new();
    let mut skews = SkewTally::default();
    for (index, sender) in senders.iter().enumerate() {
        let Some(sender) = *sender else { continue };
        let (out, receipt) = (recording.line(sender), &recording.lines[index]);
        let transit = receipt.ts_ns.checked_sub(out.ts_ns).unwrap_or_else(|| {
            skews.add(&recording.end(out), &recording.end(receipt));
            0
        });
        pairs.push((sender, Delivery { to: recording.place_of(receipt), transit: Nanos(transit) }));
    }
    let mut received = vec![false; recording.lines.len()];
    for &(sender, _) in &pairs {
        received[sender as usize] = true;
    }
    for (index, line) in recording.lines.iter().enumerate() {
        if line.direction == Direction::Out && !received[index] {
            pairs.push((index as u32, Delivery { to: outside, transit: Nanos::ZERO }));
        }
    }
    (ByLine::new(recording.lines.len(), &pairs), skews.finish())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::dump::{read_str, ReadMode};

    fn recording(lines: &[(&str, u64, &str)]) -> Recording {
        let text: String = lines
            .iter()
            .enumerate()
            .map(|(i, (group, trace, name))| {
                format!(
                    r#"{{"ts":{i},"g":"{group}","k":"_","n":1,"s":{i},"t":{trace},"d":"In","mn":"{name}","mp":"p","mk":"Regular","m":null}}"#
                ) + "\n"
            })
            .collect();
        Recording::from_records(read_str("test.dump", &text, ReadMode::Strict).0).unwrap()
    }

    #[test]
    fn the_nth_arrival_of_a_message_stands_for_its_nth_line() {
        let recording = recording(&[("a", 1, "X"), ("a", 2, "X"), ("a", 1, "X"), ("a", 1, "Y"), ("a", 1, "X")]);
        let lines = by_message((0..5).collect(), &recording);
        let mut arrived = Cursors::new(&lines);
        let null = recording.body(recording.line(0)).checksum();
        let mut next = |trace, name| next_line(&lines, &mut arrived, &recording, (trace, name, null));
        assert_eq!(next(1, "W"), None, "a message never recorded, sorting before the others");
        assert_eq!([next(1, "X"), next(1, "Y"), next(1, "X"), next(2, "X")], [Some(0), Some(3), Some(2), Some(1)]);
        assert_eq!(next(1, "X"), Some(4));
        assert_eq!(next(1, "X"), None, "once every recorded one has arrived");
        assert_eq!(next(3, "X"), None, "a message never recorded, sorting after the others");
    }

    proptest! {
        /// Each line's part of the list is its items, in the order given.
        #[test]
        fn by_line_keeps_each_lines_items_in_order(pairs in proptest::collection::vec((0u32..6, any::<u16>()), 0..40)) {
            let by_line = ByLine::new(6, &pairs);
            for line in 0..6u32 {
                let wanted: Vec<u16> = pairs.iter().filter(|(l, _)| *l == line).map(|(_, item)| *item).collect();
                prop_assert_eq!(by_line.of(line), &wanted[..]);
            }
        }
    }
}
