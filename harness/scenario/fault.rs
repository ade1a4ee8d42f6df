//! `[[fault]]` entries: each kind's keys, checked with their positions, and
//! turned into [`Fault`]s.

use std::ops::Range;

use toml::Spanned;

use std::path::Path;

use crate::line_error::LineError;
use crate::model::Nanos;
use crate::net::Latency;
use crate::sim::{Fault, FaultError, FaultKind};

use super::at_offset;
use super::file::RawFault;

/// The keys of each kind, besides `kind` itself.
const KEYS: [(&str, &[&str]); 8] = [
    ("drop", &["edge", "from", "until", "p"]),
    ("delay", &["edge", "from", "until", "p", "by"]),
    ("duplicate", &["edge", "from", "until", "p"]),
    ("reorder", &["edge", "from", "until", "p", "by"]),
    ("partition", &["edge", "from", "until"]),
    ("crash", &["node", "at", "restart_after", "mailbox"]),
    ("outage", &["node", "from", "until", "p", "reason", "permanent"]),
    ("skew", &["node", "from", "until", "by"]),
];

/// Where a fault's parts were written, for errors found later (an unknown
/// node or edge, a window that ends before it starts).
#[derive(Debug, Clone)]
pub(super) struct FaultSpans {
    pub(super) entry: Range<usize>,
    pub(super) target: Option<Range<usize>>,
    pub(super) until: Option<Range<usize>>,
}

impl FaultSpans {
    /// The span an error about `key` points at.
    pub(super) fn of(&self, key: &str) -> Range<usize> {
        let span = match key {
            "node" | "edge" => self.target.clone(),
            "until" => self.until.clone(),
            _ => None,
        };
        span.unwrap_or_else(|| self.entry.clone())
    }
}

/// Every `[[fault]]` entry of `text` (a scenario or a plan file at `path`),
/// checked, with where each was written.
pub(super) fn parse_all(
    entries: Vec<Spanned<RawFault>>,
    path: &Path,
    text: &str,
) -> Result<(Vec<Fault>, Vec<FaultSpans>), LineError> {
    entries
        .into_iter()
        .map(|entry| parse(entry).map_err(|(span, message)| at_offset(path, text, span.start, message)))
        .collect::<Result<Vec<_>, _>>()
        .map(|parsed| parsed.into_iter().unzip())
}

/// A fault that does not fit the network, at the key it is about when
/// `spans` (one per fault, from `text`) say where that is.
pub(super) fn error_at(path: &Path, text: &str, spans: &[FaultSpans], error: &FaultError) -> LineError {
    match spans.get(error.index) {
        Some(spans) => at_offset(path, text, spans.of(error.key).start, error.to_string()),
        None => LineError::file(path, error.to_string()),
    }
}

/// One entry, checked: the fault, or the span and message of what is wrong.
fn parse(entry: Spanned<RawFault>) -> Result<(Fault, FaultSpans), (Range<usize>, String)> {
    let entry_span = entry.span();
    let raw = entry.into_inner();
    let kind = raw.kind.get_ref().as_str();
    let Some(&(_, keys)) = KEYS.iter().find(|(k, _)| *k == kind) else {
        let kinds: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
        return Err((raw.kind.span(), format!("unknown fault kind {kind:?} (expected one of: {})", kinds.join(", "))));
    };
    let given: [(&str, Option<Range<usize>>); 11] = [
        ("node", raw.node.as_ref().map(Spanned::span)),
        ("edge", raw.edge.as_ref().map(Spanned::span)),
        ("at", raw.at.as_ref().map(Spanned::span)),
        ("from", raw.from.as_ref().map(Spanned::span)),
        ("until", raw.until.as_ref().map(Spanned::span)),
        ("p", raw.p.as_ref().map(Spanned::span)),
        ("by", raw.by.as_ref().map(Spanned::span)),
        ("restart_after", raw.restart_after.as_ref().map(Spanned::span)),
        ("mailbox", raw.mailbox.as_ref().map(Spanned::span)),
        ("reason", raw.reason.as_ref().map(Spanned::span)),
        ("permanent", raw.permanent.as_ref().map(Spanned::span)),
    ];
    for (key, span) in &given {
        if let Some(span) = span.clone().filter(|_| !keys.contains(key)) {
            return Err((span, format!("a {kind} fault has no key `{key}` (its keys: {})", keys.join(", "))));
        }
    }
    let target = raw.node.as_ref().or(raw.edge.as_ref());
    let Some(target) = target else {
        let key = if keys.contains(&"edge") { "edge = \"node.port -> node.port\"" } else { "node = \"id\"" };
        return Err((entry_span, format!("a {kind} fault needs `{key}`")));
    };
    let by = |what: &str| -> Result<Option<Latency>, (Range<usize>, String)> {
        let Some(by) = &raw.by else { return Ok(None) };
        let value = serde_json::to_value(by.get_ref()).map_err(|e| (by.span(), e.to_string()))?;
        serde_json::from_value(value).map(Some).map_err(|e| (by.span(), format!("`by` ({what}): {e}")))
    };
    let needs_by = |by: Option<Latency>| by.ok_or_else(|| (entry_span.clone(), format!("a {kind} fault needs `by`")));
    let kind = match kind {
        "drop" => FaultKind::Drop,
        "delay" => FaultKind::Delay(needs_by(by("the added transit")?)?),
        "duplicate" => FaultKind::Duplicate,
        "reorder" => FaultKind::Reorder(needs_by(by("how long a message is held back")?)?),
        "partition" => FaultKind::Partition,
        "crash" => {
            let keep_mailbox = match raw.mailbox.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
                None | Some(("lose", _)) => false,
                Some(("keep", _)) => true,
                Some((other, span)) => {
                    return Err((span, format!("mailbox must be \"lose\" or \"keep\", not {other:?}")));
                }
            };
            FaultKind::Crash { restart_after: raw.restart_after.as_ref().map(|r| *r.get_ref()), keep_mailbox }
        }
        "outage" => FaultKind::Outage {
            reason: raw.reason.as_ref().map_or("outage", |r| r.get_ref()).into(),
            permanent: raw.permanent.as_ref().is_some_and(|p| *p.get_ref()),
        },
        _ => {
            let by = raw.by.as_ref().ok_or_else(|| (entry_span.clone(), "a skew fault needs `by`".to_string()))?;
            FaultKind::Skew(signed_duration(by.get_ref()).map_err(|e| (by.span(), e))?)
        }
    };
    let from = raw.at.as_ref().or(raw.from.as_ref()).map_or(Nanos::ZERO, |f| *f.get_ref());
    let fault = Fault {
        kind,
        target: target.get_ref().clone(),
        from,
        until: raw.until.as_ref().map(|u| *u.get_ref()),
        probability: raw.p.as_ref().map_or(1.0, |p| *p.get_ref()),
    };
    let spans =
        FaultSpans { entry: entry_span, target: Some(target.span()), until: raw.until.as_ref().map(Spanned::span) };
    Ok((fault, spans))
}

/// A duration with an optional sign: `"5ms"`, `"-2ms"`, `"+1s"`.
fn signed_duration(value: &toml::Value) -> Result<i64, String> {
    let expected = "`by` must be a duration with an optional sign, such as \"5ms\" or \"-2ms\"";
    let text = value.as_str().ok_or(expected)?;
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let nanos: Nanos = rest.parse().map_err(|e| format!("{expected}: {e}"))?;
    i64::try_from(nanos.0).map(|n| sign * n).map_err(|_| format!("`by` {text} is too long"))
}
