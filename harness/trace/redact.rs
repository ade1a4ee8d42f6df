//! Body capture and redaction: whether traces carry message bodies, and
//! which fields of them are replaced by `"<hidden>"` first.
//!
//! Capture is off by default: a trace then holds each body's checksum only.
//! Every export that writes bodies (NDJSON, elfo, Chrome) takes them from
//! [`BodyCapture::render`], so a redacted value cannot leak through one of
//! them and not the others.

use serde_json::Value;

use crate::model::Body;

/// What redacted fields read instead of their value.
pub const HIDDEN: &str = "<hidden>";

/// A field to redact: a JSON pointer (`/card/number`), where a `*` segment
/// stands for every key of an object or every item of an array
/// (`/items/*/price`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactPath {
    text: String,
    segments: Vec<String>,
}

impl RedactPath {
    /// Parses a JSON pointer; it must start with `/` (RFC 6901 escapes
    /// `~0` and `~1` stand for `~` and `/`).
    pub fn parse(text: &str) -> Result<RedactPath, String> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!("redact path {text:?}: expected a JSON pointer starting with '/', e.g. /card/number"));
        };
        let segments = rest.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
        Ok(RedactPath { text: text.to_string(), segments })
    }

    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn apply(&self, value: &mut Value) {
        hide(value, &self.segments);
    }
}

fn hide(value: &mut Value, segments: &[String]) {
    let Some((first, rest)) = segments.split_first() else {
        *value = Value::String(HIDDEN.into());
        return;
    };
    match value {
        Value::Object(map) if first == "*" => map.values_mut().for_each(|v| hide(v, rest)),
        Value::Object(map) => {
            if let Some(v) = map.get_mut(first) {
                hide(v, rest);
            }
        }
        Value::Array(items) if first == "*" => items.iter_mut().for_each(|v| hide(v, rest)),
        Value::Array(items) => {
            if let Some(v) = first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                hide(v, rest);
            }
        }
        _ => {}
    }
}

/// Whether bodies are captured, and what is redacted from them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyCapture {
    /// Capture bodies at all (off by default).
    pub enabled: bool,
    /// Fields replaced by `"<hidden>"` in every captured body.
    pub redact: Vec<RedactPath>,
}

impl BodyCapture {
    /// Capture on, redacting `paths`.
    pub fn redacting(paths: &[&str]) -> Result<BodyCapture, String> {
        let redact = paths.iter().map(|p| RedactPath::parse(p)).collect::<Result<_, _>>()?;
        Ok(BodyCapture { enabled: true, redact })
    }

    /// The body as a trace should show it: `None` with capture off, else
    /// its value with the redacted fields hidden.
    pub fn render(&self, body: &Body) -> Option<Value> {
        if !self.enabled {
            return None;
        }
        let mut value = body.value().clone();
        self.redact_value(&mut value);
        Some(value)
    }

    /// Hides the redacted fields of `value` in place.
    pub fn redact_value(&self, value: &mut Value) {
        for path in &self.redact {
            path.apply(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn named_fields_wildcards_and_escaped_keys_are_hidden_and_nothing_else() {
        let capture = BodyCapture::redacting(&["/card/number", "/items/*/price", "/a~1b", "/absent/x"]).unwrap();
        let body = Body::new(json!({
            "card": {"number": "4111", "exp": "12/30"},
            "items": [{"price": 5, "sku": "x"}, {"price": 7}],
            "a/b": 1,
        }));
        assert_eq!(
            capture.render(&body).unwrap(),
            json!({
                "card": {"number": HIDDEN, "exp": "12/30"},
                "items": [{"price": HIDDEN, "sku": "x"}, {"price": HIDDEN}],
                "a/b": HIDDEN,
            })
        );
    }

    #[test]
    fn capture_is_off_by_default_and_paths_must_be_pointers() {
        assert_eq!(BodyCapture::default().render(&Body::new(json!({"a": 1}))), None);
        let error = RedactPath::parse("card.number").unwrap_err();
        assert!(error.contains("JSON pointer"), "{error}");
    }
}
