//! The event queue: a binary heap keyed on (virtual time, tie, sequence).
//!
//! Keys are 32 bytes and point into a slab of event payloads, so heap moves
//! stay cheap however large an event is. `tie` is 0 for FIFO ordering or a
//! seeded random draw; `seq` (scheduling order) makes every key unique, so
//! the pop order is a pure function of what was pushed.

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
}

impl<E> EventQueue<E> {
    pub(crate) fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), seq: 0 }
    }

    /// Schedules `event` at `at`; `tie` orders it among events at the same instant.
    pub(crate) fn push(&mut self, at: VirtualTime, tie: u64, event: E) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                (self.slots.len() - 1) as u32
            }
        };
        self.seq += 1;
        self.heap.push(Reverse(Key { at: at.0, tie, seq: self.seq, slot }));
    }

    /// When the earliest event is due.
    pub(crate) fn peek_time(&self) -> Option<VirtualTime> {
        self.heap.peek().map(|Reverse(k)| VirtualTime(k.at))
    }

    /// Removes and returns the earliest event.
    pub(crate) fn pop(&mut self) -> Option<(VirtualTime, E)> {
        let Reverse(key) = self.heap.pop()?;
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
