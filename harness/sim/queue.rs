//! The event queue: pending events in (virtual time, tie, sequence) order.
//!
//! Keys are 32 bytes and point into a slab of event payloads, so moving a key
//! stays cheap however large an event is. `tie` is 0 for FIFO ordering or a
//! seeded random draw; `seq` (scheduling order) makes every key unique, so
//! the pop order is a pure function of what was pushed.
//!
//! A simulation schedules nearly every event after everything already
//! pending: a hop's arrival is `now + latency`, and `now` only grows. So keys
//! go into a run kept in ascending order, placed by scanning back from its
//! end (usually one comparison, which the branch predictor gets right), and
//! are taken from its front, which moves on without moving the keys. A key
//! that belongs more than [`SCAN_LIMIT`] places from the end (a short hop
//! among long ones, random latencies) goes into a binary heap instead, which
//! one comparison with the key that far back tells, and a pop takes the
//! smaller of the run's front and the heap's top. The heap's sift, whose
//! comparisons a predictor cannot guess, was a quarter of the engine's time
//! when it held every key.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::model::VirtualTime;

/// How far back from the run's end a key may land; one that belongs deeper
/// goes to the heap. Of 2, 4, 8 and 16, four was fastest on the bench
/// pipeline and no slower than the plain heap with random latencies
/// (BENCHMARKS.md).
const SCAN_LIMIT: usize = 4;

/// How many popped keys the run's vector may hold before they are cleared
/// out, when they are also half of it.
const COMPACT_AFTER: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    at: u64,
    tie: u64,
    seq: u64,
    slot: u32,
}

/// Pending events in time order.
pub(crate) struct EventQueue<E> {
    /// Keys in ascending order from `head`, where nearly every push lands.
    /// A pop moves `head` on; the popped keys before it are cleared out
    /// now and then, in one move (see [`COMPACT_AFTER`]).
    run: Vec<Key>,
    head: usize,
    /// The keys that landed too deep in the run.
    heap: BinaryHeap<Reverse<Key>>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    seq: u64,
}

impl<E> EventQueue<E> {
    pub(crate) fn new() -> Self {
        EventQueue { run: Vec::new(), head: 0, heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), seq: 0 }
    }

    /// Schedules `event` at `at`; `tie` orders it among events at the same instant.
    pub(crate) fn push(&mut self, at: VirtualTime, tie: u64, event: E) {
        let slot = match self.free.pop() {
            Some(slot) => {
                // A free slot holds `None`: nothing to drop (forgetting it
                // spares the drop call a plain assignment would make).
                std::mem::forget(self.slots[slot as usize].replace(event));
                slot
            }
            None => {
                self.slots.push(Some(event));
                (self.slots.len() - 1) as u32
            }
        };
        self.seq += 1;
        let key = Key { at: at.0, tie, seq: self.seq, slot };
        let end = self.run.len();
        let stop = end.saturating_sub(SCAN_LIMIT).max(self.head);
        // One comparison sends a key that belongs deeper than the scan
        // reaches to the heap, before any scanning.
        if stop > self.head && key < self.run[stop - 1] {
            self.heap.push(Reverse(key));
            return;
        }
        let mut place = end;
        while place > stop && key < self.run[place - 1] {
            place -= 1;
        }
        self.run.insert(place, key);
    }

    /// The earliest key, and whether it is the heap's.
    fn first(&self) -> Option<(Key, bool)> {
        match (self.run.get(self.head), self.heap.peek()) {
            (Some(run), Some(Reverse(heap))) if heap < run => Some((*heap, true)),
            (Some(run), _) => Some((*run, false)),
            (None, Some(Reverse(heap))) => Some((*heap, true)),
            (None, None) => None,
        }
    }

    /// When the earliest event is due.
    pub(crate) fn peek_time(&self) -> Option<VirtualTime> {
        self.first().map(|(key, _)| VirtualTime(key.at))
    }

    /// Removes and returns the earliest event if it is due by `limit` (any
    /// time, without one); `None` when nothing is due by then: one look at
    /// the fronts where a peek and a pop would take two.
    pub(crate) fn pop_due(&mut self, limit: Option<VirtualTime>) -> Option<(VirtualTime, E)> {
        let (key, in_heap) = self.first()?;
        if limit.is_some_and(|limit| key.at > limit.0) {
            return None;
        }
        Some(self.take(key, in_heap))
    }

    /// Removes `key`, the earliest, and its event.
    fn take(&mut self, key: Key, in_heap: bool) -> (VirtualTime, E) {
        if in_heap {
            self.heap.pop();
        } else {
            self.head += 1;
            if self.head == self.run.len() {
                self.run.clear();
                self.head = 0;
            } else if self.head >= COMPACT_AFTER && 2 * self.head >= self.run.len() {
                self.run.drain(..self.head);
                self.head = 0;
            }
        }
        self.free.push(key.slot);
        let event = self.slots[key.slot as usize].take();
        (VirtualTime(key.at), event.expect("a queued key's slot holds its event"))
    }

    /// The pending events, in no particular order.
    pub(crate) fn pending(&self) -> impl Iterator<Item = &E> {
        self.slots.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl<E> EventQueue<E> {
        /// The earliest event, whenever it is due.
        fn pop(&mut self) -> Option<(VirtualTime, E)> {
            self.pop_due(None)
        }
    }

    #[test]
    fn pops_by_time_then_tie_then_scheduling_order() {
        let mut q = EventQueue::new();
        q.push(VirtualTime(5), 0, "late");
        q.push(VirtualTime(1), 9, "early-high-tie");
        q.push(VirtualTime(1), 2, "early-low-tie");
        q.push(VirtualTime(1), 2, "early-low-tie-second");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["early-low-tie", "early-low-tie-second", "early-high-tie", "late"]);
    }

    proptest::proptest! {
        /// The queue pops what a plain reference pops: the smallest
        /// (time, tie, scheduling order) among what is pending, for any
        /// interleaving of pushes and pops, ties drawn from a small range so
        /// that equal times and equal ties both occur. Pushes outnumber pops,
        /// so hundreds of keys are pending and times drawn at random land
        /// at the run's end, inside it and too deep for it (in the heap),
        /// and pops take from both. Every other pop asks `peek_time` first,
        /// and `pop_due` with a limit just before the earliest event (which
        /// must take nothing); every third is limited to that event's time.
        #[test]
        fn pops_in_the_order_of_a_plain_sorted_reference(
            ops in proptest::collection::vec(proptest::option::weighted(0.7, (0u64..20, 0u64..4)), 1..400)
        ) {
            let mut queue = EventQueue::new();
            let mut reference: Vec<(u64, u64, usize)> = Vec::new();
            for (scheduled, op) in ops.into_iter().enumerate() {
                match op {
                    Some((at, tie)) => {
                        queue.push(VirtualTime(at), tie, scheduled);
                        reference.push((at, tie, scheduled));
                    }
                    None => {
                        let first = reference.iter().enumerate().min_by_key(|(_, key)| **key).map(|(i, _)| i);
                        let expected = first.map(|i| reference.remove(i)).map(|(at, _, event)| (VirtualTime(at), event));
                        if scheduled % 2 == 0 {
                            proptest::prop_assert_eq!(queue.peek_time(), expected.map(|(at, _)| at));
                            // A limit just before the earliest event takes nothing out.
                            if let Some((at, _)) = expected.filter(|(at, _)| at.0 > 0) {
                                proptest::prop_assert_eq!(queue.pop_due(Some(VirtualTime(at.0 - 1))), None);
                            }
                        }
                        // Every third pop is limited to the earliest event's own time, which lets it out.
                        let limit = (scheduled % 3 == 0).then(|| expected.map_or(VirtualTime(0), |(at, _)| at));
                        proptest::prop_assert_eq!(queue.pop_due(limit), expected);
                    }
                }
            }
            reference.sort_unstable();
            let rest: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
            proptest::prop_assert_eq!(rest, reference.into_iter().map(|(at, _, e)| (VirtualTime(at), e)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn popped_keys_are_cleared_out_of_the_run_without_losing_order() {
        let mut q = EventQueue::new();
        for i in 0..3000u64 {
            q.push(VirtualTime(10 * i), 0, 10 * i);
        }
        for i in 0..2000u64 {
            assert_eq!(q.pop(), Some((VirtualTime(10 * i), 10 * i)));
        }
        // The 1500th pop cleared the 1500 popped keys out; 500 popped since.
        assert_eq!((q.head, q.run.len()), (500, 1500));
        // Keys between the pending ones, some too deep for the run.
        for i in (2000..3000u64).step_by(7) {
            q.push(VirtualTime(10 * i + 5), 0, 10 * i + 5);
        }
        let mut expected: Vec<u64> =
            (2000..3000).map(|i| 10 * i).chain((2000..3000).step_by(7).map(|i| 10 * i + 5)).collect();
        expected.sort_unstable();
        let rest: Vec<u64> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(rest, expected);
        assert_eq!((q.head, q.run.len()), (0, 0));
    }

    #[test]
    fn slots_are_reused_so_memory_follows_pending_events_not_total_events() {
        let mut q = EventQueue::new();
        for i in 0..10_000u64 {
            q.push(VirtualTime(i), 0, i);
            assert_eq!(q.pop().map(|(_, e)| e), Some(i));
        }
        assert_eq!(q.slots.len(), 1);
    }
}
