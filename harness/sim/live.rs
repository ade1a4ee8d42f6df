//! The set of live messages, with the node that last handled each.
//!
//! Ids are handed out in increasing order and most messages end soon after
//! they are born, so live messages are kept in a window indexed by id: a
//! lookup on every delivery is an index, not a hash. The window slides
//! forward as its oldest messages end. A message that outlives
//! [`WINDOW`] younger ones (a node holding it) moves to a hash map, so
//! memory follows what is alive, never how many messages a run has moved.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::model::{MessageId, NodeId};

/// How many ids the window spans at most.
const WINDOW: usize = 1 << 16;

/// A window slot: the holder's node index, or one of these two markers.
const UNBORN: u32 = u32::MAX;
const ENDED: u32 = u32::MAX - 1;

/// Live messages and their holders.
#[derive(Debug, Default)]
pub(crate) struct LiveMessages {
    /// The id of `window[0]`.
    base: u64,
    window: VecDeque<u32>,
    /// Live messages older than `base`.
    old: FxHashMap<MessageId, NodeId>,
    count: u64,
}

impl LiveMessages {
    /// `id` is born at `node`.
    pub(crate) fn insert(&mut self, id: MessageId, node: NodeId) {
        self.count += 1;
        let Some(index) = id.0.checked_sub(self.base) else {
            self.old.insert(id, node);
            return;
        };
        let index = index as usize;
        match index.checked_sub(self.window.len()) {
            // The usual case: the next id.
            Some(0) => self.window.push_back(node.0),
            Some(_) => {
                self.window.resize(index, UNBORN);
                self.window.push_back(node.0);
            }
            None => self.window[index] = node.0,
        }
        while self.window.len() > WINDOW {
            let oldest = self.window.pop_front().unwrap_or(ENDED);
            if oldest < ENDED {
                self.old.insert(MessageId(self.base), NodeId(oldest));
            }
            self.base += 1;
        }
    }

    /// `id`, if alive, is now held by `node`.
    pub(crate) fn set_holder(&mut self, id: MessageId, node: NodeId) {
        match self.slot(id) {
            Some(slot) if *slot < ENDED => *slot = node.0,
            Some(_) => {}
            None => {
                if let Some(holder) = self.old.get_mut(&id) {
                    *holder = node;
                }
            }
        }
    }

    /// Ends `id`; false if it was not alive.
    pub(crate) fn remove(&mut self, id: MessageId) -> bool {
        let ended = match self.slot(id) {
            Some(slot) if *slot < ENDED => {
                *slot = ENDED;
                while self.window.front() == Some(&ENDED) {
                    self.window.pop_front();
                    self.base += 1;
                }
                true
            }
            Some(_) => false,
            None => self.old.remove(&id).is_some(),
        };
        self.count -= u64::from(ended);
        ended
    }

    /// The window slot of `id`, if the window spans it.
    fn slot(&mut self, id: MessageId) -> Option<&mut u32> {
        let index = id.0.checked_sub(self.base)?;
        self.window.get_mut(usize::try_from(index).ok()?)
    }

    /// How many messages are alive.
    pub(crate) fn len(&self) -> u64 {
        self.count
    }

    /// The live messages in id order, with their holders.
    pub(crate) fn sorted(&self) -> Vec<(MessageId, NodeId)> {
        let in_window = self.window.iter().enumerate().filter(|(_, &slot)| slot < ENDED);
        let mut live: Vec<_> = in_window
            .map(|(index, &node)| (MessageId(self.base + index as u64), NodeId(node)))
            .chain(self.old.iter().map(|(&id, &node)| (id, node)))
            .collect();
        live.sort_unstable();
        live
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Against a map: births in any order (ids are unique), holder
        /// changes and endings, including endings of messages that are not
        /// alive, across more ids than the window spans.
        #[test]
        fn agrees_with_a_map(ops in prop::collection::vec((0u8..3, 0u64..200_000, 0u32..8), 1..400)) {
            let mut live = LiveMessages::default();
            let mut reference = BTreeMap::new();
            let mut born = std::collections::BTreeSet::new();
            for (op, id, node) in ops {
                let (id, node) = (MessageId(id), NodeId(node));
                match op {
                    0 if born.insert(id) => {
                        live.insert(id, node);
                        reference.insert(id, node);
                    }
                    1 => {
                        live.set_holder(id, node);
                        if let Some(holder) = reference.get_mut(&id) {
                            *holder = node;
                        }
                    }
                    _ => prop_assert_eq!(live.remove(id), reference.remove(&id).is_some()),
                }
                prop_assert_eq!(live.len(), reference.len() as u64);
            }
            prop_assert_eq!(live.sorted(), reference.into_iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_message_held_long_moves_out_of_the_window() {
        let mut live = LiveMessages::default();
        live.insert(MessageId(1), NodeId(3));
        for id in 2..(WINDOW as u64 * 3) {
            live.insert(MessageId(id), NodeId(0));
            assert!(live.remove(MessageId(id)));
        }
        assert!(live.window.len() <= WINDOW, "the window stays bounded");
        assert_eq!(live.sorted(), [(MessageId(1), NodeId(3))]);
        live.set_holder(MessageId(1), NodeId(4));
        assert_eq!(live.sorted(), [(MessageId(1), NodeId(4))]);
        assert!(live.remove(MessageId(1)) && !live.remove(MessageId(1)));
        assert_eq!(live.len(), 0);
    }
}
