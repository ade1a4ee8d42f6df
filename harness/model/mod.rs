//! The vocabulary every other layer speaks: messages, ids, virtual time and
//! the seeded random source. It imports nothing else from the crate.

mod ids;
mod message;
mod return_path;
mod rng;
mod time;

pub use ids::{Hop, InPort, MessageId, NodeId, OutPort, TraceId};
pub use message::{Body, Headers, Message, MessageKind, Name};
pub use return_path::ReturnPath;
pub use rng::SimRng;
pub use time::{Nanos, ParseDurationError, VirtualTime};
