//! The regression verdict: did each group send what it sent when the dump
//! was recorded?
//!
//! Both sides come from one dump, so trace ids are kept and a re-sent
//! message is aligned with its recording by (trace id, name), in order.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use serde_json::Value;

use crate::model::Body;

use super::plan::Expected;

/// One body field that differs, by JSON pointer path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedField {
    /// JSON pointer, e.g. `/order/qty` (empty for the whole body).
    pub path: String,
    /// The recorded value (`null` when absent).
    pub expected: Value,
    /// The replayed value (`null` when absent).
    pub actual: Value,
}

/// A message a group sent, as recorded or as replayed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentMessage {
    /// Trace id.
    pub trace_id: u64,
    /// Message name.
    pub name: String,
    /// Unix nanoseconds (recorded, or first recorded ts + virtual time).
    pub ts: u64,
    /// The body.
    pub body: Value,
}

/// The first message that went differently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// As recorded.
    pub expected: SentMessage,
    /// As replayed.
    pub actual: SentMessage,
    /// The fields that changed.
    pub changed: Vec<ChangedField>,
}

/// How a group's replay compares with its recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every recorded send happened again, with the same body, and nothing more.
    Equal,
    /// Some send happened with a different body.
    Different,
    /// Some recorded sends did not happen.
    MissingOutputs,
    /// Sends happened that were not recorded.
    ExtraOutputs,
}

/// One group's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupVerdict {
    /// The overall answer (the first of different / missing / extra that applies).
    pub status: Status,
    /// Sends recorded.
    pub expected: u64,
    /// Sends replayed (a send to several receivers counts once).
    pub actual: u64,
    /// Aligned sends whose bodies differ.
    pub changed: u64,
    /// Recorded sends that did not happen.
    pub missing: u64,
    /// Replayed sends that were not recorded.
    pub extra: u64,
    /// The earliest changed send, with both bodies.
    pub first_difference: Option<Difference>,
    /// The earliest missing send.
    pub first_missing: Option<SentMessage>,
    /// The earliest extra send.
    pub first_extra: Option<SentMessage>,
}

/// Every group's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// True when every group is equal.
    pub equal: bool,
    /// Per group, in name order.
    pub groups: BTreeMap<String, GroupVerdict>,
}

/// A send the replay made.
#[derive(Debug, Clone)]
pub(super) struct Actual {
    pub(super) ts: u64,
    pub(super) trace_id: u64,
    pub(super) name: std::sync::Arc<str>,
    pub(super) body: Body,
}

/// Compares one group's recorded sends with the sends the replay made, in
/// replay order. A send to several groups is replayed as one copy per
/// receiver; the copies count once.
pub(super) fn judge(expected: &[Expected], actual: &[Actual]) -> GroupVerdict {
    let mut waiting: rustc_hash::FxHashMap<(u64, &str), VecDeque<usize>> = Default::default();
    for (index, e) in expected.iter().enumerate() {
        let queue = waiting.entry((e.trace_id, &*e.name)).or_default();
        queue.extend(std::iter::repeat_n(index, e.copies.max(1) as usize));
    }
    let mut matched = vec![false; expected.len()];
    let mut copies_absorbed = 0u64;
    let mut changed: Vec<(usize, &Actual)> = Vec::new();
    let mut extra: Vec<&Actual> = Vec::new();
    for a in actual {
        match waiting.get_mut(&(a.trace_id, &*a.name)).and_then(VecDeque::pop_front) {
            Some(index) => {
                let already = matched[index];
                matched[index] = true;
                copies_absorbed += u64::from(already);
                if !already && expected[index].body != a.body {
                    changed.push((index, a));
                }
            }
            None => extra.push(a),
        }
    }
    let missing: Vec<usize> = (0..expected.len()).filter(|&i| !matched[i]).collect();
    let recorded = |index: usize| {
        let e = &expected[index];
        SentMessage { trace_id: e.trace_id, name: e.name.to_string(), ts: e.ts_ns, body: e.body.value().clone() }
    };
    let replayed = |a: &Actual| SentMessage {
        trace_id: a.trace_id,
        name: a.name.to_string(),
        ts: a.ts,
        body: a.body.value().clone(),
    };
    let first_difference = changed.iter().min_by_key(|(i, _)| expected[*i].ts_ns).map(|&(index, a)| Difference {
        expected: recorded(index),
        actual: replayed(a),
        changed: changed_fields(expected[index].body.value(), a.body.value()),
    });
    let status = if !changed.is_empty() {
        Status::Different
    } else if !missing.is_empty() {
        Status::MissingOutputs
    } else if !extra.is_empty() {
        Status::ExtraOutputs
    } else {
        Status::Equal
    };
    GroupVerdict {
        status,
        expected: expected.len() as u64,
        actual: actual.len() as u64 - copies_absorbed,
        changed: changed.len() as u64,
        missing: missing.len() as u64,
        extra: extra.len() as u64,
        first_difference,
        first_missing: missing.first().map(|&i| recorded(i)),
        first_extra: extra.first().map(|a| replayed(a)),
    }
}

/// The fields where two JSON values differ, by JSON pointer, in key order.
///
/// ```
/// use flowreplay::replay::changed_fields;
/// use serde_json::json;
///
/// let changes = changed_fields(&json!({"qty": 10, "tags": ["a"]}), &json!({"qty": 12, "tags": ["a", "b"]}));
/// let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
/// assert_eq!(paths, ["/qty", "/tags/1"]);
/// ```
pub fn changed_fields(expected: &Value, actual: &Value) -> Vec<ChangedField> {
    let mut out = Vec::new();
    walk(expected, actual, &mut String::new(), &mut out);
    out
}

fn walk(expected: &Value, actual: &Value, path: &mut String, out: &mut Vec<ChangedField>) {
    let mut child = |key: &str, e: Option<&Value>, a: Option<&Value>, out: &mut Vec<ChangedField>| {
        let len = path.len();
        path.push('/');
        path.push_str(&key.replace('~', "~0").replace('/', "~1"));
        match (e, a) {
            (Some(e), Some(a)) => walk(e, a, path, out),
            (e, a) => out.push(ChangedField {
                path: path.clone(),
                expected: e.cloned().unwrap_or(Value::Null),
                actual: a.cloned().unwrap_or(Value::Null),
            }),
        }
        path.truncate(len);
    };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: std::collections::BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for key in keys {
                child(key, e.get(key), a.get(key), out);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for index in 0..e.len().max(a.len()) {
                child(&index.to_string(), e.get(index), a.get(index), out);
            }
        }
        (e, a) if e != a => out.push(ChangedField { path: path.clone(), expected: e.clone(), actual: a.clone() }),
        _ => {}
    }
}
