//! Conditions on a message: by name, by header or by body field. Shared by
//! the filter and the content router.

use serde::Deserialize;

use crate::model::{Message, Name};

/// A test on a message. Exactly one of `name`, `header` or `body` is given;
/// with `equals` the field must have that value, without it the field must
/// be present.
///
/// ```toml
/// drop_if = { name = ["Debug", "Trace"] }
/// keep_if = { body = "/level", equals = "error" }   # a JSON pointer into the body
/// drop_if = { header = "priority", equals = 0 }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Message name, or a list of names.
    #[serde(default)]
    name: Option<Names>,
    /// Envelope header key.
    #[serde(default)]
    header: Option<String>,
    /// JSON pointer into the body (`/a/b/0`).
    #[serde(default)]
    body: Option<String>,
    /// The value the header or body field must equal.
    #[serde(default)]
    equals: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Names {
    One(Name),
    Many(Vec<Name>),
}

impl Condition {
    /// Why this condition is unusable, if it is.
    pub fn problem(&self) -> Option<String> {
        let given = [self.name.is_some(), self.header.is_some(), self.body.is_some()].iter().filter(|&&b| b).count();
        if given != 1 {
            return Some("a condition needs exactly one of `name`, `header` or `body`".into());
        }
        if self.name.is_some() && self.equals.is_some() {
            return Some("`equals` goes with `header` or `body`, not with `name`".into());
        }
        match &self.body {
            Some(pointer) if !pointer.is_empty() && !pointer.starts_with('/') => {
                Some(format!("body field {pointer:?} must be a JSON pointer starting with '/', e.g. \"/level\""))
            }
            _ => None,
        }
    }

    /// Whether `msg` satisfies the condition.
    pub fn matches(&self, msg: &Message) -> bool {
        let field = if let Some(names) = &self.name {
            return match names {
                Names::One(n) => *n == msg.name,
                Names::Many(ns) => ns.contains(&msg.name),
            };
        } else if let Some(key) = &self.header {
            msg.headers.get(key)
        } else if let Some(pointer) = &self.body {
            msg.body.value().pointer(pointer)
        } else {
            None
        };
        match (&self.equals, field) {
            (Some(expected), Some(actual)) => expected == actual,
            (None, Some(_)) => true,
            (_, None) => false,
        }
    }

    /// A short description for drop reasons: `name=Debug`, `body/level="debug"`.
    pub fn describe(&self) -> String {
        let subject = match (&self.name, &self.header, &self.body) {
            (Some(Names::One(n)), _, _) => return format!("name={n}"),
            (Some(Names::Many(ns)), _, _) => {
                return format!("name in [{}]", ns.iter().map(Name::as_str).collect::<Vec<_>>().join(", "))
            }
            (_, Some(h), _) => format!("header {h}"),
            (_, _, Some(b)) => format!("body{b}"),
            _ => String::new(),
        };
        match &self.equals {
            Some(v) => format!("{subject}={v}"),
            None => format!("{subject} present"),
        }
    }
}
