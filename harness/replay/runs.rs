//! Items sorted into runs of equal keys, each run handed out in order: how
//! a stub finds the recorded line a message it receives stands for, and how
//! the verdict finds the next delivery slot a replayed send may fill.
//! Sorted lists with a counter per run hold a few bytes per item, where a
//! hash map from each key to a queue would hold a hundred.

use std::cmp::Ordering;
use std::ops::{Index, Range};

/// Items sorted by a key; items with equal keys keep the order they were
/// given in.
#[derive(Debug, Default)]
pub(super) struct Runs<T>(Vec<T>);

impl<T> Runs<T> {
    /// Sorts `items` by `key` (stably).
    pub(super) fn new<K: Ord>(mut items: Vec<T>, key: impl FnMut(&T) -> K) -> Runs<T> {
        items.sort_by_key(key);
        Runs(items)
    }

    /// Where the items are whose key `order` finds equal to the one sought
    /// (`order` compares an item's key with it).
    pub(super) fn run(&self, order: impl Fn(&T) -> Ordering) -> Range<usize> {
        let start = self.0.partition_point(|item| order(item) == Ordering::Less);
        start..start + self.0[start..].partition_point(|item| order(item) == Ordering::Equal)
    }
}

impl<T> Index<usize> for Runs<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.0[index]
    }
}

/// How many items of each run of a [`Runs`] have been handed out: one
/// counter per run, kept at the run's start.
#[derive(Debug)]
pub(super) struct Cursors(Vec<u32>);

impl Cursors {
    /// Nothing handed out yet.
    pub(super) fn new<T>(runs: &Runs<T>) -> Cursors {
        Cursors(vec![0; runs.0.len()])
    }

    /// The index of the next item of `run` to hand out: none for an empty
    /// run, or once every item of it has been.
    pub(super) fn next(&mut self, run: Range<usize>) -> Option<usize> {
        if run.is_empty() {
            return None;
        }
        let handed = &mut self.0[run.start];
        let index = run.start + *handed as usize;
        (index < run.end).then(|| {
            *handed += 1;
            index
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_run_is_handed_out_in_the_order_given_and_an_absent_key_takes_nothing() {
        let runs = Runs::new(vec![(2, 'a'), (1, 'b'), (2, 'c'), (4, 'd'), (1, 'e')], |&(key, _)| key);
        let mut cursors = Cursors::new(&runs);
        let mut next = |key: u32| cursors.next(runs.run(|&(k, _)| k.cmp(&key))).map(|i| runs[i].1);
        assert_eq!(next(0), None, "a key before every run");
        assert_eq!([next(2), next(1), next(2), next(1)], [Some('a'), Some('b'), Some('c'), Some('e')]);
        assert_eq!(next(2), None, "a run handed out whole");
        assert_eq!(next(3), None, "a key between runs");
        assert_eq!(next(4), Some('d'), "the run after an exhausted and an absent one is untouched");
        assert_eq!(next(5), None, "a key after every run");
    }
}
