//! How two message bodies are compared: the fields that changed, by JSON
//! pointer, and the relaxations a verdict may apply on purpose (fields to
//! ignore, bodies the recorder truncated or hid), each counted so that
//! nothing is waved through silently.
//!
//! Replay verdicts and trace diffs both judge through [`BodyRules::compare`],
//! so a rule means the same in `replay`, `diff`, `check` and the library.
//!
//! ```
//! use flowreplay::compare::{BodyRules, Judgement};
//! use serde_json::json;
//!
//! let rules = BodyRules::parse(&["pricing:Quote/ts"]).unwrap();
//! let judged = rules.compare("pricing", "Quote", &json!({"px": 1, "ts": 5}), &json!({"px": 1, "ts": 9}));
//! assert_eq!(judged, Judgement::Relaxed(vec!["pricing:Quote/ts".to_string()]));
//! let judged = rules.compare("pricing", "Quote", &json!({"px": 1}), &json!({"px": 2}));
//! assert!(matches!(judged, Judgement::Different(fields) if fields[0].path == "/px"));
//! ```

mod fields;
mod pointer;
mod prefix;
mod rules;

pub use fields::{changed_fields, ChangedField};
pub use pointer::{JsonPointer, HIDDEN};
pub(crate) use rules::tally;
pub use rules::{BodyRules, IgnoreRule, Judgement, Relaxations, HIDDEN_RULE, TRUNCATED_RULE};
