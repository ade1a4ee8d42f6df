//! Body capture and redaction: whether traces carry message bodies, and
//! which fields of them are replaced by `"<hidden>"` first.
//!
//! Capture is off by default: a trace then holds each body's checksum only.
//! Every export that writes bodies (NDJSON, elfo, Chrome) takes them from
//! [`BodyCapture::render`], so a redacted value cannot leak through one of
//! them and not the others.

use serde_json::Value;

use crate::compare::JsonPointer;
use crate::model::Body;

/// A field to redact: a JSON pointer, `*` standing for any key or index.
pub type RedactPath = JsonPointer;

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
            path.hide(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::compare::HIDDEN;

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
