//! What a verdict may ignore, and the judgement of one recorded body
//! against one actual body under those rules.

use std::collections::BTreeMap;

use serde_json::Value;

use super::fields::{changed_fields, ChangedField};
use super::pointer::{JsonPointer, HIDDEN};
use super::prefix;
use crate::dump::TRUNCATED_SUFFIX;

/// The relaxation that lets a truncated recorded body match.
pub const TRUNCATED_RULE: &str = "truncated";
/// The relaxation that lets a recorded `"<hidden>"` field match any value.
pub const HIDDEN_RULE: &str = "hidden";

/// A body field a verdict ignores: `[GROUP:][NAME]/pointer`, e.g. `/ts`
/// (everywhere), `Quote/ts` (in every `Quote`), `pricing:/ts` (in whatever
/// `pricing` sends) or `pricing:Quote/ts`. `*` in the pointer matches any
/// key or index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    text: String,
    /// The group it is limited to (a place `group/key` is in `group`).
    pub group: Option<String>,
    /// The message name it is limited to.
    pub name: Option<String>,
    /// The field.
    pub pointer: JsonPointer,
}

impl IgnoreRule {
    /// Parses `[GROUP:][NAME]/pointer`; the group may be one place of a
    /// keyed group (`orders/eu:/px`).
    pub fn parse(text: &str) -> Result<IgnoreRule, String> {
        let expected =
            || format!("ignore rule {text:?}: expected [GROUP:][NAME]/json/pointer, e.g. /ts or pricing:Quote/ts");
        // A scope ends at the first `:` when one comes before the pointer
        // (a group, or `group/key`); a pointer starts with `/`.
        let (group, rest) = match text.split_once(':') {
            Some((group, rest)) if !group.starts_with('/') && rest.contains('/') => (Some(group), rest),
            _ => (None, text),
        };
        let slash = rest.find('/').ok_or_else(expected)?;
        let (name, pointer) = rest.split_at(slash);
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let pointer = JsonPointer::parse(pointer).map_err(|e| format!("ignore rule {text:?}: {e}"))?;
        Ok(IgnoreRule { text: text.to_string(), group: group.and_then(nonempty), name: nonempty(name), pointer })
    }

    /// The rule as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it applies to what `place` (a group or `group/key`) sends as `name`.
    pub fn applies(&self, place: &str, name: &str) -> bool {
        self.in_scope(place) && self.name.as_deref().is_none_or(|n| n == name)
    }

    /// Whether `place` (a group or `group/key`) is within the group or
    /// place it is limited to, if it is limited to one.
    pub fn in_scope(&self, place: &str) -> bool {
        let group = place.split_once('/').map_or(place, |(group, _)| group);
        self.group.as_deref().is_none_or(|g| g == group || g == place)
    }
}

/// How many comparisons each relaxation let through, by rule (`truncated`,
/// `hidden`, or an ignore rule as written).
pub type Relaxations = BTreeMap<String, u64>;

/// The rules a verdict judges bodies by: ignore rules, plus the two
/// relaxations that always hold for recorded bodies (a truncated body
/// matches what it is a prefix of; a `"<hidden>"` field matches any value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyRules {
    /// Fields ignored.
    pub ignore: Vec<IgnoreRule>,
}

/// One body judged against its recording.
#[derive(Debug, Clone, PartialEq)]
pub enum Judgement {
    /// The same value.
    Equal,
    /// Equal only under these rules (each named once).
    Relaxed(Vec<String>),
    /// Different in these fields.
    Different(Vec<ChangedField>),
}

impl BodyRules {
    /// Parses ignore rules (see [`IgnoreRule`]).
    pub fn parse(rules: &[&str]) -> Result<BodyRules, String> {
        Ok(BodyRules { ignore: rules.iter().map(|r| IgnoreRule::parse(r)).collect::<Result<_, _>>()? })
    }

    /// Groups the rules name, for checking them against the inputs.
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        self.ignore.iter().filter_map(|r| r.group.as_deref())
    }

    /// Whether any rule applies to what `place` sends as `name`: where none
    /// does, [`BodyRules::hide`] would leave the body as it is.
    pub fn applies(&self, place: &str, name: &str) -> bool {
        self.ignore.iter().any(|r| r.applies(place, name))
    }

    /// Hides the fields the rules ignore in what `place` sends as `name`, so
    /// that ignored differences compare equal as text.
    pub fn hide(&self, place: &str, name: &str, value: &mut Value) {
        for rule in self.ignore.iter().filter(|r| r.applies(place, name)) {
            rule.pointer.hide(value);
        }
    }

    /// Judges what `place` sent as `name`: `expected` as recorded, `actual`
    /// as it is now.
    pub fn compare(&self, place: &str, name: &str, expected: &Value, actual: &Value) -> Judgement {
        if expected == actual {
            return Judgement::Equal;
        }
        let rules: Vec<&IgnoreRule> = self.ignore.iter().filter(|r| r.applies(place, name)).collect();
        let mut used: Vec<String> = Vec::new();
        let mut note = |rule: &str| {
            if !used.iter().any(|u| u == rule) {
                used.push(rule.to_string());
            }
        };
        // A changed field is let through by a recorded "<hidden>" or by the
        // first ignore rule that covers it.
        let mut excuse = |field: &ChangedField| {
            if field.expected == HIDDEN && !field.actual.is_null() {
                note(HIDDEN_RULE);
                return true;
            }
            match rules.iter().find(|r| r.pointer.covers(&field.path)) {
                Some(rule) => {
                    note(rule.as_str());
                    true
                }
                None => false,
            }
        };
        let truncated = truncated_prefix(expected);
        let changed = match truncated {
            Some(text) => match prefix::read(text).filter(|p| p.container.is_some()) {
                Some(prefix) => {
                    let mut changed: Vec<ChangedField> = prefix
                        .leaves
                        .into_iter()
                        .filter_map(|(path, leaf)| {
                            let there = actual.pointer(&path).cloned().unwrap_or(Value::Null);
                            (there != leaf).then_some(ChangedField { path, expected: leaf, actual: there })
                        })
                        .filter(|field| !excuse(field))
                        .collect();
                    let shape = match actual {
                        Value::Object(_) => Some('{'),
                        Value::Array(_) => Some('['),
                        _ => None,
                    };
                    if prefix.container != shape {
                        changed.push(whole(expected, actual));
                    }
                    changed
                }
                // A scalar, or text that is not JSON: compared as text.
                None if actual.to_string().starts_with(text) => Vec::new(),
                None => vec![whole(expected, actual)],
            },
            None => changed_fields(expected, actual).into_iter().filter(|field| !excuse(field)).collect(),
        };
        if !changed.is_empty() {
            return Judgement::Different(changed);
        }
        if truncated.is_some() {
            note(TRUNCATED_RULE);
        }
        Judgement::Relaxed(used)
    }
}

/// The kept text of a body elfo truncated: the string before elfo's mark
/// (the dump's suffix without its closing quote).
fn truncated_prefix(value: &Value) -> Option<&str> {
    value.as_str()?.strip_suffix(&TRUNCATED_SUFFIX[..TRUNCATED_SUFFIX.len() - 1])
}

fn whole(expected: &Value, actual: &Value) -> ChangedField {
    ChangedField { path: String::new(), expected: expected.clone(), actual: actual.clone() }
}

/// Adds one judgement's relaxations to a tally.
pub(crate) fn tally(relaxations: &mut Relaxations, judgement: &Judgement) {
    if let Judgement::Relaxed(rules) = judgement {
        for rule in rules {
            *relaxations.entry(rule.clone()).or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn judge(rules: &[&str], place: &str, name: &str, expected: Value, actual: Value) -> Judgement {
        BodyRules::parse(rules).unwrap().compare(place, name, &expected, &actual)
    }

    #[test]
    fn an_ignore_rule_relaxes_exactly_the_field_group_and_name_it_names() {
        let (e, a) = (json!({"px": 1, "ts": 5}), json!({"px": 1, "ts": 6}));
        assert_eq!(judge(&["/ts"], "p", "Q", e.clone(), a.clone()), Judgement::Relaxed(vec!["/ts".into()]));
        assert_eq!(judge(&["Q/ts"], "p", "Q", e.clone(), a.clone()), Judgement::Relaxed(vec!["Q/ts".into()]));
        assert_eq!(judge(&["p:/ts"], "p/eu", "Q", e.clone(), a.clone()), Judgement::Relaxed(vec!["p:/ts".into()]));
        for other in [&["R/ts"][..], &["q:/ts"], &["p:R/ts"], &["/px"], &["/t"]] {
            assert!(matches!(judge(other, "p", "Q", e.clone(), a.clone()), Judgement::Different(_)), "{other:?}");
        }
        let both = judge(&["/ts"], "p", "Q", json!({"px": 1, "ts": 5}), json!({"px": 2, "ts": 6}));
        assert!(matches!(both, Judgement::Different(f) if f.len() == 1 && f[0].path == "/px"));
    }

    #[test]
    fn a_recorded_hidden_field_matches_any_value_but_not_an_absent_one() {
        let hidden = json!({"card": HIDDEN, "qty": 1});
        assert_eq!(
            judge(&[], "g", "N", hidden.clone(), json!({"card": "4111", "qty": 1})),
            Judgement::Relaxed(vec![HIDDEN_RULE.into()])
        );
        assert!(matches!(judge(&[], "g", "N", hidden.clone(), json!({"qty": 1})), Judgement::Different(_)));
        assert!(matches!(judge(&[], "g", "N", hidden, json!({"card": "x", "qty": 2})), Judgement::Different(_)));
    }

    #[test]
    fn a_truncated_body_matches_a_body_with_every_value_it_kept() {
        let cut = json!("{\"order\": 16, \"history\": [1, 2,  TRUNCATED");
        let full = json!({"history": [1, 2, 3], "order": 16});
        assert_eq!(judge(&[], "g", "N", cut.clone(), full), Judgement::Relaxed(vec![TRUNCATED_RULE.into()]));
        let changed = judge(&[], "g", "N", cut.clone(), json!({"history": [1, 5, 3], "order": 16}));
        assert!(matches!(changed, Judgement::Different(f) if f[0].path == "/history/1"));
        assert!(matches!(judge(&[], "g", "N", cut, json!([16])), Judgement::Different(_)));
        let text = json!("plain text that was cut TRUNCATED");
        assert!(matches!(
            judge(&[], "g", "N", text.clone(), json!("plain text that was cut short")),
            Judgement::Different(_)
        ));
    }

    #[test]
    fn bad_rules_say_what_was_expected() {
        assert!(IgnoreRule::parse("ts").unwrap_err().contains("expected [GROUP:][NAME]/json/pointer"));
        let rule = IgnoreRule::parse("pricing:Quote/a/*/b").unwrap();
        assert_eq!((rule.group.as_deref(), rule.name.as_deref()), (Some("pricing"), Some("Quote")));
        let keyed = IgnoreRule::parse("orders/eu:/px").unwrap();
        assert_eq!((keyed.group.as_deref(), keyed.pointer.as_str()), (Some("orders/eu"), "/px"));
        assert!(keyed.applies("orders/eu", "Fill") && !keyed.applies("orders/us", "Fill"));
        assert!(IgnoreRule::parse("/a:b/c").unwrap().group.is_none(), "a pointer may hold a ':'");
    }
}
