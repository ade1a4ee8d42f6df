//! JSON pointers with `*` wildcards: which fields a redaction hides and
//! which fields an ignore rule covers.

use serde_json::Value;

/// What hidden fields read instead of their value, in flowreplay's
/// redactions and in elfo's dumps alike.
pub const HIDDEN: &str = "<hidden>";

/// A JSON pointer (`/card/number`), where a `*` segment stands for every
/// key of an object or every item of an array (`/items/*/price`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPointer {
    text: String,
    segments: Vec<String>,
}

impl JsonPointer {
    /// Parses a JSON pointer; it must start with `/` (RFC 6901 escapes
    /// `~0` and `~1` stand for `~` and `/`).
    pub fn parse(text: &str) -> Result<JsonPointer, String> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!("{text:?} is not a JSON pointer: expected one starting with '/', e.g. /card/number"));
        };
        Ok(JsonPointer { text: text.to_string(), segments: split(rest) })
    }

    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Replaces every field it names in `value` with `"<hidden>"`.
    pub fn hide(&self, value: &mut Value) {
        hide(value, &self.segments);
    }

    /// Whether the field at `path` (a JSON pointer without wildcards) is
    /// this pointer's field or lies inside it.
    pub fn covers(&self, path: &str) -> bool {
        let path = split(path.strip_prefix('/').unwrap_or(path));
        self.segments.len() <= path.len() && self.segments.iter().zip(&path).all(|(want, at)| want == "*" || want == at)
    }
}

/// A pointer's segments, unescaped.
fn split(rest: &str) -> Vec<String> {
    rest.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pointer_covers_its_field_and_what_is_inside_it_only() {
        let pointer = JsonPointer::parse("/items/*/price").unwrap();
        assert!(pointer.covers("/items/0/price"));
        assert!(pointer.covers("/items/3/price/cents"));
        assert!(!pointer.covers("/items/0/sku"));
        assert!(!pointer.covers("/items"));
        assert!(JsonPointer::parse("/a~1b").unwrap().covers("/a~1b"));
    }
}
