//! Reading goldens back: the insta `.snap` wrapper, and the golden text's
//! event lines as [`GoldenEvent`]s for the diff.
//!
//! A golden edited by hand into something else is an error naming the file,
//! the line and what was expected there, never a silent mismatch.

use std::path::Path;

use crate::line_error::LineError;

/// One event line of a golden.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldenEvent {
    /// 1-based line in the file it came from.
    pub line: usize,
    /// Virtual nanoseconds.
    pub t_ns: u64,
    /// The event kind.
    pub event: String,
    /// Where: `from -> to`, `node.port`, `node`, or `node <- origin`.
    pub place: String,
    /// Message name (empty for node events).
    pub name: String,
    /// Renumbered message id (0 for node events).
    pub msg: u64,
    /// Renumbered trace id (written as `trace=k` when it is not `msg`).
    pub trace: u64,
    /// The other fields as written (`size=… h=… q=…`), trace and body excluded.
    pub fields: String,
    /// The body, where the golden shows one.
    pub body: Option<serde_json::Value>,
    /// The line as written.
    pub text: String,
}

/// A parsed golden: its header and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedGolden {
    /// The header line.
    pub header: String,
    /// The events, in order.
    pub events: Vec<GoldenEvent>,
}

/// A golden as an insta snapshot file: the metadata block insta writes
/// (`source` names what made it), then the golden text.
///
/// ```
/// use flowreplay::golden::{snap_content, snap_text};
///
/// let file = snap_text("tests/golden.rs", "# flowreplay golden v1 · scenario x · seed 0\n");
/// let (content, first_line) = snap_content("x.snap".as_ref(), &file)?;
/// assert_eq!((content, first_line), ("# flowreplay golden v1 · scenario x · seed 0\n", 4));
/// # Ok::<(), flowreplay::line_error::LineError>(())
/// ```
pub fn snap_text(source: &str, content: &str) -> String {
    format!("---\nsource: {source}\n---\n{content}")
}

/// The golden text inside an insta `.snap` file (after its `---` metadata
/// block), with the line number the text starts at.
pub fn snap_content<'a>(path: &Path, text: &'a str) -> Result<(&'a str, usize), LineError> {
    let error = |line: u64, message: &str| LineError::at(path, line, Some(1), message);
    let Some(rest) = text.strip_prefix("---\n") else {
        return Err(error(1, "expected `---`, the start of an insta snapshot header"));
    };
    let Some(end) = rest.find("\n---\n") else {
        return Err(error(2, "the insta snapshot header never ends: expected a line `---` after it"));
    };
    let header_lines = rest[..end].lines().count();
    Ok((&rest[end + 5..], header_lines + 3))
}

/// Parses golden text; `first_line` is the file line the text starts at.
pub fn parse_golden(path: &Path, text: &str, first_line: usize) -> Result<ParsedGolden, LineError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + first_line, l));
    let error = |line: usize, column: usize, message: String| LineError::at(path, line as u64, Some(column), message);
    let (first, header) = lines.next().unwrap_or((first_line, ""));
    if !header.starts_with("# flowreplay golden v") {
        return Err(error(
            first,
            1,
            "expected the golden header `# flowreplay golden v1 · scenario … · seed …`".into(),
        ));
    }
    let mut golden = ParsedGolden { header: header.to_string(), events: Vec::new() };
    for (number, line) in lines {
        if line == "## edges" {
            break;
        }
        golden.events.push(parse_event(line).map_err(|(column, message)| error(number, column, message))?);
        if let Some(event) = golden.events.last_mut() {
            event.line = number;
        }
    }
    Ok(golden)
}

/// One event line; on failure the 1-based column and what was expected.
fn parse_event(text: &str) -> Result<GoldenEvent, (usize, String)> {
    let column = |rest: &str| text.len() - rest.len() + 1;
    let (time, rest) = text.split_once("  ").ok_or((1, "expected `<seconds>.<nanoseconds>  <event> …`".to_string()))?;
    let t_ns = parse_time(time).ok_or((1, format!("expected a virtual time like 0.001000000, found {time:?}")))?;
    let rest = rest.trim_start();
    let event_column = column(rest);
    let (event, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if event.is_empty() || !event.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err((event_column, format!("expected an event kind, found {event:?}")));
    }
    // A place is one word, or three: `from -> to`, `node <- origin`; a
    // word with spaces or other odd characters is a JSON string.
    let rest = rest.trim_start();
    let place_column = column(rest);
    let (first, mut rest) = word(rest).ok_or((place_column, "expected a node or an edge".to_string()))?;
    let mut place = first;
    for arrow in [" -> ", " <- "] {
        if let Some(after) = rest.strip_prefix(arrow) {
            let (second, after) = word(after).ok_or((column(after), "expected a node after the arrow".to_string()))?;
            place = format!("{place}{arrow}{second}");
            rest = after;
        }
    }
    let mut rest = rest.trim_start();
    let (mut name, mut msg) = (String::new(), 0);
    if let Some(((n, number), after)) = message_word(rest) {
        name = n;
        msg = number;
        rest = after.trim_start();
    }
    let (fields, body) = match body_start(rest) {
        Some(at) => {
            let json = &rest[at + "body=".len()..];
            let body = serde_json::from_str(json).map_err(|e| (column(json) + e.column() - 1, format!("body: {e}")))?;
            (rest[..at].trim_end(), Some(body))
        }
        None => (rest, None),
    };
    let trace = match fields.split(' ').find_map(|f| f.strip_prefix("trace=")) {
        Some(k) => k.parse().map_err(|_| (column(k), format!("expected a trace number after trace=, found {k:?}")))?,
        None => msg,
    };
    let fields = match fields.contains("trace=") {
        true => fields.split(' ').filter(|f| !f.starts_with("trace=")).collect::<Vec<_>>().join(" "),
        false => fields.to_string(),
    };
    Ok(GoldenEvent {
        line: 0,
        t_ns,
        event: event.to_string(),
        place,
        name,
        msg,
        trace,
        fields,
        body,
        text: text.to_string(),
    })
}

/// A plain word (up to the next space) or a JSON string, and what follows.
fn word(text: &str) -> Option<(String, &str)> {
    if text.starts_with('"') {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<String>();
        let value = stream.next()?.ok()?;
        return Some((value, &text[stream.byte_offset()..]));
    }
    let end = text.find(' ').unwrap_or(text.len());
    (end > 0).then(|| (text[..end].to_string(), &text[end..]))
}

/// Where `body=` starts among the `key=value` fields: values that are JSON
/// strings are stepped over whole, so a reason containing "body=" is not
/// mistaken for the body.
fn body_start(fields: &str) -> Option<usize> {
    let mut at = 0;
    while at < fields.len() {
        let rest = &fields[at..];
        if rest.starts_with("body=") {
            return Some(at);
        }
        let next = match rest.find(['=', ' ']) {
            Some(i) if rest.as_bytes()[i] == b'=' && rest[i + 1..].starts_with('"') => {
                let mut stream = serde_json::Deserializer::from_str(&rest[i + 1..]).into_iter::<String>();
                match stream.next() {
                    Some(Ok(_)) => i + 1 + stream.byte_offset(),
                    _ => rest.len(),
                }
            }
            Some(i) => rest[i..].find(' ').map_or(rest.len(), |j| i + j),
            None => rest.len(),
        };
        at += next;
        at += fields[at..].len() - fields[at..].trim_start().len();
    }
    None
}

/// `Name#n` or `"quoted name"#n` at the start of `text`, and what follows.
fn message_word(text: &str) -> Option<((String, u64), &str)> {
    let (name, after) = if text.starts_with('"') {
        word(text)?
    } else {
        let end = text.find('#')?;
        let name = &text[..end];
        if name.is_empty() || name.contains(' ') || name.contains('=') {
            return None;
        }
        (name.to_string(), &text[end..])
    };
    let after = after.strip_prefix('#')?;
    let digits = after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len());
    let number = after[..digits].parse().ok()?;
    Some(((name, number), &after[digits..]))
}

/// A time as [`VirtualTime`](crate::model::VirtualTime) writes it: whole seconds (digits only, no
/// leading zero) and exactly nine decimals.
fn parse_time(text: &str) -> Option<u64> {
    let (seconds, nanos) = text.split_once('.')?;
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let canonical = digits(seconds) && (seconds == "0" || !seconds.starts_with('0')) && nanos.len() == 9;
    if !canonical || !digits(nanos) {
        return None;
    }
    seconds.parse::<u64>().ok()?.checked_mul(1_000_000_000)?.checked_add(nanos.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::parse_time;
    use crate::model::VirtualTime;

    proptest! {
        /// A time parses exactly when it is the way `VirtualTime` writes
        /// one, to the value written: no leading zeros, signs or short
        /// decimals slip through.
        #[test]
        fn times_parse_exactly_when_written_as_virtual_time_writes_them(
            text in "[0+]?[0-9]{0,3}\\.?[0-9]{7,10}",
            value in 0u64..5_000_000_000_000,
        ) {
            let canonical = VirtualTime(value).to_string();
            prop_assert_eq!(parse_time(&canonical), Some(value));
            let written = text.split_once('.').and_then(|(s, n)| {
                let v = s.parse::<u64>().ok()?.checked_mul(1_000_000_000)?.checked_add(n.parse().ok()?)?;
                (VirtualTime(v).to_string() == text).then_some(v)
            });
            prop_assert_eq!(parse_time(&text), written);
        }
    }
}
