//! A message's return path: the subscribers waiting for its ACK or NACK.
//!
//! Nearly every message has at most one subscriber, so one is held inline
//! and only a longer path goes to the heap. That keeps the path at 16 bytes
//! and [`Message`](super::Message) small enough that moving one (which the
//! engine does several times a hop) is a few register moves, not a call to
//! `memcpy`.

use super::ids::Hop;

/// The subscribers waiting for a message's ACK/NACK, innermost (most recent) last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnPath(Path);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Path {
    #[default]
    Empty,
    One(Hop),
    /// Two or more, innermost last. Boxed on purpose: a thin pointer keeps
    /// the path at 16 bytes, where a `Vec` would make it 32.
    #[allow(clippy::box_collection)]
    Many(Box<Vec<Hop>>),
}

impl ReturnPath {
    /// No subscribers.
    pub fn new() -> ReturnPath {
        ReturnPath::default()
    }

    /// Adds `hop` as the innermost subscriber.
    pub fn push(&mut self, hop: Hop) {
        self.0 = match std::mem::take(&mut self.0) {
            Path::Empty => Path::One(hop),
            Path::One(first) => Path::Many(Box::new(vec![first, hop])),
            Path::Many(mut hops) => {
                hops.push(hop);
                Path::Many(hops)
            }
        };
    }

    /// Takes the innermost subscriber off.
    pub fn pop(&mut self) -> Option<Hop> {
        match &mut self.0 {
            Path::Empty => None,
            Path::One(hop) => {
                let hop = *hop;
                self.0 = Path::Empty;
                Some(hop)
            }
            Path::Many(hops) => {
                let hop = hops.pop();
                if hops.len() == 1 {
                    self.0 = Path::One(hops[0]);
                }
                hop
            }
        }
    }

    /// How many subscribers are waiting.
    pub fn len(&self) -> usize {
        match &self.0 {
            Path::Empty => 0,
            Path::One(_) => 1,
            Path::Many(hops) => hops.len(),
        }
    }

    /// Whether nobody is waiting.
    pub fn is_empty(&self) -> bool {
        matches!(self.0, Path::Empty)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::{InPort, NodeId};

    proptest! {
        /// Pushes and pops behave as on a `Vec`, innermost last.
        #[test]
        fn behaves_as_a_stack(ops in prop::collection::vec(prop::option::of(0u32..50), 0..40)) {
            let (mut path, mut reference) = (ReturnPath::new(), Vec::new());
            for op in ops {
                match op {
                    Some(node) => {
                        let hop = Hop { node: NodeId(node), port: InPort(node as u16) };
                        path.push(hop);
                        reference.push(hop);
                    }
                    None => prop_assert_eq!(path.pop(), reference.pop()),
                }
                prop_assert_eq!(path.len(), reference.len());
                prop_assert_eq!(path.is_empty(), reference.is_empty());
            }
        }
    }

    #[test]
    fn is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<ReturnPath>(), 16);
    }
}
