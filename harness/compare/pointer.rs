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

    /// Whether a `*` segment makes it name many fields rather than one.
    pub fn is_wildcard(&self) -> bool {
        self.segments.iter().any(|s| s == "*")
    }

    /// Removes the one field it names from `value` and returns it, if there.
    pub fn take(&self, value: &mut Value) -> Option<Value> {
        let (last, parents) = self.segments.split_last()?;
        let parent = parents.iter().try_fold(value, |v, s| child(v, s))?;
        match parent {
            Value::Object(map) => map.remove(last),
            Value::Array(items) => last.parse::<usize>().ok().filter(|&i| i < items.len()).map(|i| items.remove(i)),
            _ => None,
        }
    }

    /// Sets the one field it names in `value` to `new`, making the objects
    /// on the way where they are missing. Fails, naming the segment, where
    /// the way runs into a scalar or past the end of an array.
    pub fn set(&self, value: &mut Value, new: Value) -> Result<(), String> {
        let mut at = value;
        for (depth, segment) in self.segments.iter().enumerate() {
            if at.is_null() {
                *at = Value::Object(Default::default());
            }
            let where_ = || format!("{} at segment {} ({segment:?})", self.text, depth + 1);
            at = match at {
                Value::Object(map) => map.entry(segment.clone()).or_insert(Value::Null),
                Value::Array(items) => match segment.parse::<usize>() {
                    Ok(i) if i < items.len() => &mut items[i],
                    Ok(i) if i == items.len() => {
                        items.push(Value::Null);
                        &mut items[i]
                    }
                    _ => return Err(format!("{}: not an index of an array of {}", where_(), items.len())),
                },
                _ => return Err(format!("{}: the field there is not an object or an array", where_())),
            };
        }
        *at = new;
        Ok(())
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

/// The field `segment` names inside `value`, if any.
fn child<'v>(value: &'v mut Value, segment: &str) -> Option<&'v mut Value> {
    match value {
        Value::Object(map) => map.get_mut(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    }
}

fn hide(value: &mut Value, segments: &[String]) {
    let Some((first, rest)) = segments.split_first() else {
        *value = Value::String(HIDDEN.into());
        return;
    };
    match value {
        Value::Object(map) if first == "*" => map.values_mut().for_each(|v| hide(v, rest)),
        Value::Array(items) if first == "*" => items.iter_mut().for_each(|v| hide(v, rest)),
        _ => {
            if let Some(v) = child(value, first) {
                hide(v, rest);
            }
        }
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

    #[test]
    fn set_makes_missing_objects_and_take_removes_only_the_named_field() {
        let mut value = serde_json::json!({ "a": { "keep": 1, "move": 2 }, "list": [0] });
        assert_eq!(JsonPointer::parse("/a/move").unwrap().take(&mut value), Some(serde_json::json!(2)));
        assert_eq!(JsonPointer::parse("/a/missing").unwrap().take(&mut value), None);
        JsonPointer::parse("/b/c").unwrap().set(&mut value, serde_json::json!("x")).unwrap();
        JsonPointer::parse("/list/1").unwrap().set(&mut value, serde_json::json!(1)).unwrap();
        assert_eq!(value, serde_json::json!({ "a": { "keep": 1 }, "b": { "c": "x" }, "list": [0, 1] }));
        let refused = JsonPointer::parse("/a/keep/deeper").unwrap().set(&mut value, serde_json::json!(0));
        assert_eq!(
            refused.unwrap_err(),
            "/a/keep/deeper at segment 3 (\"deeper\"): the field there is not an object or an array"
        );
        assert!(JsonPointer::parse("/list/7").unwrap().set(&mut value, serde_json::json!(0)).is_err());
    }
}
