//! The complete values inside a truncated JSON text.
//!
//! elfo cuts a body that is too large to dump and writes what it kept as a
//! string ending in `" TRUNCATED"`. Its prefix is JSON in the sender's own
//! field order and layout, so it cannot be compared as text with a body
//! serialized here. Instead every value the prefix holds whole (a scalar,
//! or an empty object or array) is read with its path, and a body matches
//! when it has each of them.

use serde_json::Value;

use super::fields::push_segment;

/// What a truncated prefix holds: its complete values by JSON pointer, and
/// whether the whole value is an object or an array (or a scalar).
#[derive(Debug, Default, PartialEq)]
pub(super) struct Prefix {
    pub(super) leaves: Vec<(String, Value)>,
    pub(super) container: Option<char>,
}

/// Reads the complete values of a JSON text cut anywhere; `None` when the
/// text does not start as JSON at all.
pub(super) fn read(text: &str) -> Option<Prefix> {
    let mut reader = Reader { text: text.as_bytes(), at: 0, leaves: Vec::new(), depth: 0 };
    reader.skip_space();
    let container = match reader.peek()? {
        b'{' => Some('{'),
        b'[' => Some('['),
        _ => None,
    };
    match reader.value(&mut String::new()) {
        Err(Cut::Invalid) => None,
        _ => Some(Prefix { leaves: reader.leaves, container }),
    }
}

/// Why reading stopped early: the text ended (expected), or it is not JSON.
enum Cut {
    End,
    Invalid,
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
    leaves: Vec<(String, Value)>,
    /// Containers open: deeper than [`MAX_DEPTH`] is not read (a body that
    /// deep would otherwise exhaust the stack).
    depth: usize,
}

/// How deeply nested a truncated body may be read.
const MAX_DEPTH: usize = 128;

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// The next byte after white space, consumed.
    fn next(&mut self) -> Result<u8, Cut> {
        self.skip_space();
        let byte = self.peek().ok_or(Cut::End)?;
        self.at += 1;
        Ok(byte)
    }

    fn value(&mut self, path: &mut String) -> Result<(), Cut> {
        self.skip_space();
        match self.peek().ok_or(Cut::End)? {
            b'{' => self.container(path, b'}', true),
            b'[' => self.container(path, b']', false),
            b'"' => {
                let text = self.string()?;
                self.leaves.push((path.clone(), Value::String(text)));
                Ok(())
            }
            _ => {
                let start = self.at;
                while self.peek().is_some_and(|b| !b",}] \t\r\n".contains(&b)) {
                    self.at += 1;
                }
                // A number at the very end may have been cut short.
                if self.peek().is_none() {
                    return Err(Cut::End);
                }
                let token = std::str::from_utf8(&self.text[start..self.at]).map_err(|_| Cut::Invalid)?;
                let value = serde_json::from_str(token).map_err(|_| Cut::Invalid)?;
                self.leaves.push((path.clone(), value));
                Ok(())
            }
        }
    }

    fn container(&mut self, path: &mut String, close: u8, object: bool) -> Result<(), Cut> {
        self.at += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Cut::Invalid);
        }
        let read = self.items(path, close, object);
        self.depth -= 1;
        read
    }

    fn items(&mut self, path: &mut String, close: u8, object: bool) -> Result<(), Cut> {
        let mut index = 0usize;
        loop {
            self.skip_space();
            if self.peek().ok_or(Cut::End)? == close {
                self.at += 1;
                if index == 0 {
                    let empty = if object { Value::Object(Default::default()) } else { Value::Array(Vec::new()) };
                    self.leaves.push((path.clone(), empty));
                }
                return Ok(());
            }
            let len = path.len();
            if object {
                let key = self.string()?;
                if self.next()? != b':' {
                    return Err(Cut::Invalid);
                }
                push_segment(path, &key);
            } else {
                push_segment(path, &index.to_string());
            }
            self.value(path)?;
            path.truncate(len);
            index += 1;
            match self.next()? {
                b',' => {}
                byte if byte == close => return Ok(()),
                _ => return Err(Cut::Invalid),
            }
        }
    }

    /// A string literal, unescaped; cut if it does not close.
    fn string(&mut self) -> Result<String, Cut> {
        if self.next()? != b'"' {
            return Err(Cut::Invalid);
        }
        let start = self.at - 1;
        loop {
            match self.peek().ok_or(Cut::End)? {
                b'\\' => self.at += 2,
                b'"' => break,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        let literal = std::str::from_utf8(&self.text[start..self.at]).map_err(|_| Cut::Invalid)?;
        serde_json::from_str(literal).map_err(|_| Cut::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn complete_values_are_read_with_their_paths_and_a_cut_one_is_not() {
        let prefix = read(r#"{"order": 16, "tags": ["a", {}], "history": [1, 2, 3"#).unwrap();
        let leaves: Vec<(&str, Value)> = prefix.leaves.iter().map(|(p, v)| (p.as_str(), v.clone())).collect();
        assert_eq!(
            leaves,
            [
                ("/order", json!(16)),
                ("/tags/0", json!("a")),
                ("/tags/1", json!({})),
                ("/history/0", json!(1)),
                ("/history/1", json!(2)),
            ]
        );
        assert_eq!(prefix.container, Some('{'));
        assert_eq!(read(r#"{"name": "Ali"#).unwrap().leaves, []);
        assert!(read("not json").is_none());
        assert!(read(&"[".repeat(100_000)).is_none(), "too deep is refused, not a stack overflow");
        assert!(read(r#"{"a" 1"#).is_none());
    }
}
