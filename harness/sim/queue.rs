//! The event queue: a binary heap keyed on (virtual time, tie, sequence).
//!
//! Keys are 32 bytes and point into a slab of event payloads, so heap moves
//! stay cheap however large an event is. `tie` is 0 for FIFO ordering or a
//! seeded random draw; `seq` (scheduling order) makes every key unique, so
//! the pop order is a pure function of what was pushed.
//!
//! A popped event's key stays at the root until the next push or pop: most
//! events schedule one more, and putting its key in the root's place sifts
//! it down once, where removing the root and pushing a key would sift twice.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::model::VirtualTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    at: u64,
    tie: u64,
    seq: u64,
    slot: u32,
}

/// Pending events in time order.
pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Key>>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    seq: u64,
    /// The root's key belongs to an event already popped.
    root_popped: bool,
}

impl<E> EventQueue<E> {
    pub(crate) fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), seq: 0, root_popped: false }
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
        let key = Reverse(Key { at: at.0, tie, seq: self.seq, slot });
        if std::mem::take(&mut self.root_popped) {
            if let Some(mut root) = self.heap.peek_mut() {
                // Dropping the `PeekMut` sifts the new key down from the root.
                *root = key;
                return;
            }
        }
        self.heap.push(key);
    }

    /// Removes the key of the event popped last, if it is still at the root.
    fn settle(&mut self) {
        if std::mem::take(&mut self.root_popped) {
            self.heap.pop();
        }
    }

    /// When the earliest event is due.
    pub(crate) fn peek_time(&mut self) -> Option<VirtualTime> {
        self.settle();
        self.heap.peek().map(|Reverse(k)| VirtualTime(k.at))
    }

    /// Removes and returns the earliest event.
    pub(crate) fn pop(&mut self) -> Option<(VirtualTime, E)> {
        self.settle();
        let Reverse(key) = *self.heap.peek()?;
        self.root_popped = true;
        self.free.push(key.slot);
        let event = self.slots[key.slot as usize].take()?;
        Some((VirtualTime(key.at), event))
    }

    /// The pending events, in no particular order.
    pub(crate) fn pending(&self) -> impl Iterator<Item = &E> {
        self.slots.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        /// so the heap grows to hundreds of keys. Every other pop is made
        /// without a `peek_time` first, so a popped key still at the root
        /// meets a push, a pop and a peek.
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
                        }
                        proptest::prop_assert_eq!(queue.pop(), expected);
                    }
                }
            }
            reference.sort_unstable();
            let rest: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
            proptest::prop_assert_eq!(rest, reference.into_iter().map(|(at, _, e)| (VirtualTime(at), e)).collect::<Vec<_>>());
        }
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
