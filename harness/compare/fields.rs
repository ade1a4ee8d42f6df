//! The fields where two JSON values differ.

use serde::Serialize;
use serde_json::Value;

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

/// The fields where two JSON values differ, by JSON pointer, in key order.
///
/// ```
/// use flowreplay::compare::changed_fields;
/// use serde_json::json;
///
/// let changes = changed_fields(&json!({"qty": 10, "tags": ["a"]}), &json!({"qty": 12, "tags": ["a", "b"]}));
/// let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
/// assert_eq!(paths, ["/qty", "/tags/1"]);
/// ```
pub fn changed_fields(expected: &Value, actual: &Value) -> Vec<ChangedField> {
    let mut out = Vec::new();
    walk(Some(expected), Some(actual), &mut String::new(), &mut out);
    out
}

/// Appends `key`, escaped, to a pointer.
pub(super) fn push_segment(path: &mut String, key: &str) {
    path.push('/');
    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
}

fn walk(expected: Option<&Value>, actual: Option<&Value>, path: &mut String, out: &mut Vec<ChangedField>) {
    let mut child = |key: &str, e: Option<&Value>, a: Option<&Value>, out: &mut Vec<ChangedField>| {
        let len = path.len();
        push_segment(path, key);
        walk(e, a, path, out);
        path.truncate(len);
    };
    match (expected, actual) {
        (Some(Value::Object(e)), Some(Value::Object(a))) => {
            let keys: std::collections::BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for key in keys {
                child(key, e.get(key), a.get(key), out);
            }
        }
        (Some(Value::Array(e)), Some(Value::Array(a))) => {
            for index in 0..e.len().max(a.len()) {
                child(&index.to_string(), e.get(index), a.get(index), out);
            }
        }
        (e, a) if e != a => out.push(ChangedField {
            path: path.clone(),
            expected: e.cloned().unwrap_or(Value::Null),
            actual: a.cloned().unwrap_or(Value::Null),
        }),
        _ => {}
    }
}
