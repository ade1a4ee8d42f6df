//! One line of an elfo dump, typed.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::model::MessageKind;

/// A body as raw JSON text, validated but not parsed. Two bodies are equal
/// when their text is.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct RawBody(Box<RawValue>);

impl RawBody {
    /// Wraps JSON text, checking that it is valid JSON. Text spread over
    /// several lines is made compact, so a written dump keeps one record per
    /// line.
    pub fn new(json: String) -> Result<RawBody, serde_json::Error> {
        if json.contains(['\n', '\r']) {
            let value: serde_json::Value = serde_json::from_str(&json)?;
            return Ok(RawBody::from_value(&value));
        }
        RawValue::from_string(json).map(RawBody)
    }

    /// A JSON value as a body, serialized once (no re-parse).
    pub fn from_value(value: &serde_json::Value) -> RawBody {
        // Serializing a JSON value cannot fail; `null` is the fallback.
        serde_json::value::to_raw_value(value).map(RawBody).unwrap_or_else(|_| RawBody::null())
    }

    /// A copy of a validated JSON value borrowed from a line.
    pub(crate) fn from_raw(raw: &RawValue) -> RawBody {
        RawBody(raw.to_owned())
    }

    /// The body `null`.
    pub fn null() -> RawBody {
        // "null" is valid JSON.
        RawBody(RawValue::NULL.to_owned())
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for RawBody {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RawBody {}

/// Whether a dump line was recorded at send (`Out`) or at receive (`In`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// Recorded when the actor received the message.
    In,
    /// Recorded when the actor sent the message (not proof of delivery).
    Out,
}

/// One message as elfo dumped it.
///
/// Names are `CompactString`s: group, key, name and protocol are short, so
/// they live inline and reading a line allocates only its body.
///
/// Field names say what they hold; the elfo key each comes from is in its
/// doc. Every id is an exact `u64` (trace ids above 2^53 included): nothing
/// on the way in or out goes through `f64`. The body is kept as raw JSON text
/// until something needs its value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DumpRecord {
    /// `ts`: Unix-epoch nanoseconds when the dump was made (wall clock).
    #[serde(rename = "ts")]
    pub ts_ns: u64,
    /// `g`: actor group.
    #[serde(rename = "g")]
    pub group: CompactString,
    /// `k`: actor key within the group (`"_"` for single-actor groups).
    #[serde(rename = "k", default)]
    pub key: Option<CompactString>,
    /// `n`: node number.
    #[serde(rename = "n")]
    pub node: u16,
    /// `s`: sequence number, one counter per (node, group).
    #[serde(rename = "s")]
    pub seq: u64,
    /// `t`: trace id.
    #[serde(rename = "t")]
    pub trace_id: u64,
    /// `th`: thread id (older dumps lack it).
    #[serde(rename = "th", default)]
    pub thread: Option<u64>,
    /// `d`: direction.
    #[serde(rename = "d")]
    pub direction: Direction,
    /// `cl`: dump class (`"internal"` for framework dumps).
    #[serde(rename = "cl", default)]
    pub class: Option<CompactString>,
    /// `mn`: message name (`X::Response` for a response to `X`).
    #[serde(rename = "mn")]
    pub name: CompactString,
    /// `mp`: protocol.
    #[serde(rename = "mp")]
    pub protocol: CompactString,
    /// `mk`: message kind.
    #[serde(rename = "mk")]
    pub kind: MessageKind,
    /// `m`: the body as raw JSON text (`null`, any value, or a string ending
    /// in `" TRUNCATED"` when elfo cut it).
    #[serde(rename = "m")]
    pub body: RawBody,
    /// `c`: correlation id linking a request to its response.
    #[serde(rename = "c", default)]
    pub correlation: Option<u64>,
}

/// The name of the actor of `group` with `key`: the group, or `group/key`
/// for a keyed group's actor (a key of `"_"` or none is the group's only actor).
pub fn place_name(group: &CompactString, key: Option<&str>) -> CompactString {
    match key {
        Some(key) if key != "_" => compact_str::format_compact!("{group}/{key}"),
        _ => group.clone(),
    }
}

/// The suffix elfo appends to a body it cut short.
pub const TRUNCATED_SUFFIX: &str = " TRUNCATED\"";

impl DumpRecord {
    /// Whether elfo cut the body short (a string ending in `" TRUNCATED"`).
    pub fn is_truncated(&self) -> bool {
        let raw = self.body.get();
        raw.starts_with('"') && raw.ends_with(TRUNCATED_SUFFIX)
    }

    /// Whether the body is `null`.
    pub fn is_null_body(&self) -> bool {
        self.body.get() == "null"
    }

    /// Whether the line comes from the framework's own `system.*` groups.
    pub fn is_system(&self) -> bool {
        self.group.starts_with("system.")
    }

    /// The actor the line belongs to: its group, or `group/key` for a keyed
    /// group's actor (a key of `"_"` or none is the group's only actor).
    pub fn place(&self) -> CompactString {
        place_name(&self.group, self.key.as_deref())
    }

    /// The body parsed into a JSON value.
    pub fn body_value(&self) -> serde_json::Value {
        // The raw text was validated as JSON when the line was read.
        serde_json::from_str(self.body.get()).unwrap_or(serde_json::Value::Null)
    }

    /// The body's length in bytes, as dumped.
    pub fn body_bytes(&self) -> u64 {
        self.body.get().len() as u64
    }
}
