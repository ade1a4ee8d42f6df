//! The message: what moves through the network.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use super::ids::{MessageId, TraceId};
use super::return_path::ReturnPath;

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

/// A value's compact JSON text, the same bytes as its `Display`, written
/// straight into a buffer rather than through the formatter.
fn compact(value: &serde_json::Value) -> String {
    // Serializing a JSON value cannot fail; `null` is the fallback.
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// A message body: a JSON value shared between copies, with its checksum.
///
/// The checksum is xxh3-64 of the body's compact JSON text, computed once when
/// the body is made, so tracing a hop never re-hashes it. Cloning a body
/// clones an `Arc`: a fan-out does not copy the JSON. The compact text is
/// kept and the value parsed from it only when asked for: a replay of a
/// large dump holds a million bodies, and a parsed JSON object costs several
/// times its text.
#[derive(Debug, Clone)]
pub struct Body(Arc<BodyInner>);

#[derive(Debug)]
struct BodyInner {
    text: Box<str>,
    checksum: u64,
    value: OnceLock<serde_json::Value>,
}

impl Body {
    /// Wraps a JSON value, hashing it once.
    pub fn new(value: serde_json::Value) -> Body {
        let text = compact(&value);
        let body = Body::from_compact(text);
        // The cell was made empty just above.
        let _ = body.0.value.set(value);
        body
    }

    /// A body from JSON text in any layout, keeping only its compact form
    /// until the value is needed.
    pub fn parse(json: &str) -> Result<Body, serde_json::Error> {
        let value: serde_json::Value = serde_json::from_str(json)?;
        Ok(Body::from_compact(compact(&value)))
    }

    fn from_compact(text: String) -> Body {
        let checksum = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
        Body(Arc::new(BodyInner { text: text.into_boxed_str(), checksum, value: OnceLock::new() }))
    }

    /// The JSON value (parsed on first use).
    pub fn value(&self) -> &serde_json::Value {
        // The text is serde_json's own output, so it parses.
        self.0.value.get_or_init(|| serde_json::from_str(&self.0.text).unwrap_or(serde_json::Value::Null))
    }

    /// The compact JSON text: equal values have equal text.
    pub fn text(&self) -> &str {
        &self.0.text
    }

    /// A stable 64-bit checksum of the body (xxh3 of its compact JSON text).
    pub fn checksum(&self) -> u64 {
        self.0.checksum
    }
}

impl PartialEq for Body {
    /// Same JSON value: the same compact text (checked cheaply first by
    /// sharing, then by checksum).
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || (self.checksum() == other.checksum() && self.text() == other.text())
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::new(serde_json::Value::Null)
    }
}

/// An interned string: a message's name or protocol.
///
/// One pointer, `Copy`: copying a message's name costs no reference count,
/// and two names are equal when their pointers are. Ordered by the text, so
/// a `BTreeMap` keyed by names iterates the same way in every process; the
/// hash is computed once per distinct text and may differ between
/// processes, so a hash map keyed by names is for lookups, never for
/// iterating into output. Interned strings live as long as the process,
/// which suits the few hundred distinct message names a system has.
pub type Name = ustr::Ustr;

/// Envelope headers (deadline, priority, …): a small map, ordered by key so
/// that printing it is deterministic.
///
/// Shared between copies, and copied on write. Most messages have none, and
/// then no map is held at all: copying or dropping a message without
/// headers touches no reference count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Headers(Option<Arc<BTreeMap<String, serde_json::Value>>>);

impl Headers {
    /// The value under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.as_ref()?.get(key)
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|map| map.is_empty())
    }

    /// Sets `key` to `value`, copying the map first if another message
    /// shares it; returns the value it replaced.
    pub fn insert(&mut self, key: impl Into<String>, value: serde_json::Value) -> Option<serde_json::Value> {
        Arc::make_mut(self.0.get_or_insert_with(Arc::default)).insert(key.into(), value)
    }

    /// The headers in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &serde_json::Value)> {
        self.0.iter().flat_map(|map| map.iter().map(|(key, value)| (key.as_str(), value)))
    }
}

impl From<BTreeMap<String, serde_json::Value>> for Headers {
    /// Headers from a map; an empty map holds nothing.
    fn from(map: BTreeMap<String, serde_json::Value>) -> Headers {
        Headers((!map.is_empty()).then(|| Arc::new(map)))
    }
}

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
    pub name: Name,
    /// Protocol: usually the crate that defines the message.
    pub protocol: Name,
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

/// The empty protocol, interned once: a message made without one takes no
/// lock on the interner for it.
fn no_protocol() -> Name {
    static EMPTY: OnceLock<Name> = OnceLock::new();
    *EMPTY.get_or_init(Name::default)
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
    pub fn new(name: impl Into<Name>, body: Body, size_bytes: u32) -> Message {
        Message {
            id: MessageId::UNASSIGNED,
            trace_id: TraceId(0),
            name: name.into(),
            protocol: no_protocol(),
            kind: MessageKind::Regular,
            correlation: None,
            headers: Headers::default(),
            body,
            size_bytes,
            return_path: ReturnPath::new(),
        }
    }

    /// A copy that the engine numbers as a new message when it is sent:
    /// same trace, name and body (and subscribers, if any), its own id. A
    /// retry's next attempt, a failed-over resend, a duplicate.
    pub fn fresh_copy(&self) -> Message {
        Message { id: MessageId::UNASSIGNED, ..self.clone() }
    }

    /// How many nodes are waiting for this message's ACK/NACK.
    pub fn subscriber_count(&self) -> usize {
        self.return_path.len()
    }
}
