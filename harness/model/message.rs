//! The message: what moves through the network.

use std::collections::BTreeMap;
use std::sync::Arc;

use smallvec::SmallVec;

use super::ids::{Hop, MessageId, TraceId};

/// The elfo message kind (`mk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum MessageKind {
    /// A plain message.
    #[default]
    Regular,
    /// A request expecting a response with the same correlation id.
    Request,
    /// The response to a request.
    Response,
}

/// A message body: a JSON value shared between copies, with its checksum.
///
/// The checksum is xxh3-64 of the body's compact JSON text, computed once when
/// the body is made, so tracing a hop never re-hashes it. Cloning a body
/// clones an `Arc`: a fan-out does not copy the JSON.
#[derive(Debug, Clone)]
pub struct Body(Arc<BodyInner>);

#[derive(Debug)]
struct BodyInner {
    value: serde_json::Value,
    checksum: u64,
}

impl Body {
    /// Wraps a JSON value, hashing it once.
    pub fn new(value: serde_json::Value) -> Body {
        let text = value.to_string();
        let checksum = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
        Body(Arc::new(BodyInner { value, checksum }))
    }

    /// The JSON value.
    pub fn value(&self) -> &serde_json::Value {
        &self.0.value
    }

    /// A stable 64-bit checksum of the body (xxh3 of its compact JSON text).
    pub fn checksum(&self) -> u64 {
        self.0.checksum
    }
}

impl PartialEq for Body {
    /// Same JSON value (checked cheaply first by sharing, then by checksum).
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || (self.checksum() == other.checksum() && self.value() == other.value())
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::new(serde_json::Value::Null)
    }
}

/// Envelope headers (deadline, priority, …): a small map, ordered by key so
/// that printing it is deterministic. Shared between copies.
pub type Headers = Arc<BTreeMap<String, serde_json::Value>>;

/// The subscribers waiting for a message's ACK/NACK, innermost (most recent) last.
pub type ReturnPath = SmallVec<[Hop; 3]>;

/// A message moving through the simulated network.
///
/// Field names follow elfo's dump format where one exists (`name` = `mn`,
/// `protocol` = `mp`, `kind` = `mk`, `correlation` = `c`, `trace_id` = `t`).
/// The return path is the engine's record of who subscribed to this message's
/// acknowledgement; actors change it only through their context.
#[derive(Debug, Clone)]
pub struct Message {
    /// Deterministic id, assigned in injection / creation order.
    pub id: MessageId,
    /// Trace id, inherited by everything sent while handling this message.
    pub trace_id: TraceId,
    /// Message name, e.g. `Metrics` or `GetQuote::Response`.
    pub name: Arc<str>,
    /// Protocol: usually the crate that defines the message.
    pub protocol: Arc<str>,
    /// Regular, request or response.
    pub kind: MessageKind,
    /// Correlation id linking a request to its response.
    pub correlation: Option<u64>,
    /// Envelope headers.
    pub headers: Headers,
    /// The body, shared.
    pub body: Body,
    /// The size the message stands for on the wire, in bytes.
    pub size_bytes: u32,
    pub(crate) return_path: ReturnPath,
}

impl Message {
    /// A new regular message with no headers; the engine numbers it when it
    /// is first sent.
    ///
    /// ```
    /// use flowreplay::{Body, Message};
    /// let msg = Message::new("Metrics", Body::new(serde_json::json!({"cpu": 0.5})), 256);
    /// assert_eq!(&*msg.name, "Metrics");
    /// ```
    pub fn new(name: impl Into<Arc<str>>, body: Body, size_bytes: u32) -> Message {
        Message {
            id: MessageId::UNASSIGNED,
            trace_id: TraceId(0),
            name: name.into(),
            protocol: Arc::from(""),
            kind: MessageKind::Regular,
            correlation: None,
            headers: Headers::default(),
            body,
            size_bytes,
            return_path: ReturnPath::new(),
        }
    }

    /// How many nodes are waiting for this message's ACK/NACK.
    pub fn subscriber_count(&self) -> usize {
        self.return_path.len()
    }
}
