//! Receiver workloads: how many messages a receiver injects, when, and what
//! they look like. The generator yields one arrival at a time, so the
//! scheduler merges inputs into its loop in time order instead of holding
//! every future input in memory.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::model::{Body, Headers, Message, MessageId, MessageKind, Name, Nanos, SimRng, TraceId, VirtualTime};

/// A rate of messages per unit of virtual time, stored as the interval between
/// two messages.
///
/// Written `"1000/s"`, `"5/ms"`, `"5/10ms"` (count per duration), or as a
/// bare number of messages per second. The interval is `duration / count`,
/// rounded down to whole nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Virtual time between two consecutive messages.
    pub interval: Nanos,
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (count, unit) = text.split_once('/').unwrap_or((text, "s"));
        let count: u64 = count.trim().parse().map_err(|_| {
            format!("invalid rate {text:?}: expected a whole number of messages per unit, e.g. \"1000/s\"")
        })?;
        let unit = unit.trim();
        let per = if unit.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            unit.to_string()
        } else {
            format!("1{unit}")
        };
        let unit: Nanos = per.parse().map_err(|_| {
            format!("invalid rate {text:?}: unknown unit {unit:?} (use a duration unit such as s, ms, us or ns, or a duration like 10ms)")
        })?;
        if unit == Nanos::ZERO {
            return Err(format!("invalid rate {text:?}: the time unit must be longer than zero"));
        }
        if count == 0 {
            return Err(format!("invalid rate {text:?}: the rate must be above zero"));
        }
        let interval = unit.0 / count;
        if interval == 0 {
            return Err(format!("invalid rate {text:?}: faster than one message per nanosecond"));
        }
        Ok(Rate { interval: Nanos(interval) })
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            PerSecond(u64),
            Text(String),
        }
        let text = match Repr::deserialize(deserializer)? {
            Repr::PerSecond(n) => format!("{n}/s"),
            Repr::Text(text) => text,
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How arrivals are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    /// Exactly one interval apart.
    #[default]
    Fixed,
    /// A Poisson process: exponential gaps with the interval as mean.
    Poisson,
}

/// One kind of message a workload emits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageTemplate {
    /// Message name (elfo `mn`).
    pub name: String,
    /// Protocol (elfo `mp`); empty by default.
    #[serde(default)]
    pub protocol: String,
    /// Message kind; `Regular` by default.
    #[serde(default)]
    pub kind: MessageKind,
    /// Relative weight when a workload mixes several templates; 1 by default.
    #[serde(default = "one")]
    pub weight: u32,
    /// Size in bytes the message stands for; 0 by default.
    #[serde(default, rename = "size")]
    pub size_bytes: u32,
    /// Envelope headers.
    #[serde(default)]
    pub headers: BTreeMap<String, serde_json::Value>,
    /// Body template: any JSON; in strings, `{seq}` becomes the message's
    /// 1-based sequence number within this receiver and `{name}` its name. A
    /// string that is exactly `"{seq}"` becomes a number. `null` by default.
    #[serde(default)]
    pub body: serde_json::Value,
}

fn one() -> u32 {
    1
}

/// A receiver's workload.
///
/// ```toml
/// [node.config.workload]
/// count = 1000          # messages in all
/// rate = "1000/s"       # one every millisecond
/// arrival = "fixed"     # or "poisson"
/// start = "0s"          # first arrival
/// messages = [{ name = "Metrics", size = 256, weight = 3 }, { name = "Logs", size = 512 }]
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// How many messages to inject.
    pub count: u64,
    /// How fast.
    pub rate: Rate,
    /// How arrivals are spaced; fixed by default.
    #[serde(default)]
    pub arrival: Arrival,
    /// When the first message arrives; 0 by default.
    #[serde(default)]
    pub start: Nanos,
    /// The kinds of message to emit, chosen by weight.
    pub messages: Vec<MessageTemplate>,
}

impl Workload {
    /// Why this workload is unusable, if it is.
    pub fn problem(&self) -> Option<String> {
        if self.messages.is_empty() {
            return Some("workload.messages is empty: give at least one message template".into());
        }
        if self.messages.iter().all(|m| m.weight == 0) {
            return Some("every workload message has weight 0".into());
        }
        None
    }
}

/// A template ready to stamp out messages quickly: names are interned,
/// headers shared, and a body without placeholders is built (and hashed)
/// only once.
struct Prepared {
    name: Name,
    protocol: Name,
    kind: MessageKind,
    weight: u64,
    size_bytes: u32,
    headers: Headers,
    body: BodyTemplate,
}

enum BodyTemplate {
    Fixed(Body),
    PerMessage(serde_json::Value),
}

impl BodyTemplate {
    fn new(value: serde_json::Value) -> BodyTemplate {
        if has_placeholder(&value) {
            BodyTemplate::PerMessage(value)
        } else {
            BodyTemplate::Fixed(Body::new(value))
        }
    }

    fn render(&self, seq: u64, name: &str) -> Body {
        match self {
            BodyTemplate::Fixed(body) => body.clone(),
            BodyTemplate::PerMessage(value) => Body::new(fill(value, seq, name)),
        }
    }
}

fn has_placeholder(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains("{seq}") || s.contains("{name}"),
        serde_json::Value::Array(items) => items.iter().any(has_placeholder),
        serde_json::Value::Object(map) => map.values().any(has_placeholder),
        _ => false,
    }
}

fn fill(value: &serde_json::Value, seq: u64, name: &str) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) if s == "{seq}" => Value::from(seq),
        Value::String(s) => Value::String(s.replace("{seq}", &seq.to_string()).replace("{name}", name)),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, seq, name)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), fill(v, seq, name))).collect()),
        other => other.clone(),
    }
}

/// Where a receiver's messages come from, one arrival at a time: a
/// generated [`Workload`] or recorded inputs. The scheduler asks for the next
/// arrival only when the previous one is injected, so inputs never pile up
/// in memory.
pub trait Arrivals {
    /// When the next message arrives, or `None` when there are no more.
    fn next_arrival(&self) -> Option<VirtualTime>;

    /// Produces the next message, numbered `id`, and moves on; the next
    /// arrival is never earlier than `now`.
    fn emit(&mut self, id: MessageId, now: VirtualTime, rng: &mut SimRng) -> Message;
}

/// The running state of one receiver's workload.
pub struct Source {
    templates: Vec<Prepared>,
    total_weight: u64,
    remaining: u64,
    emitted: u64,
    interval: Nanos,
    arrival: Arrival,
    next_at: VirtualTime,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source").field("remaining", &self.remaining).field("next_at", &self.next_at).finish()
    }
}

impl Source {
    /// A generator for `workload`.
    pub fn new(workload: &Workload) -> Source {
        let templates: Vec<Prepared> = workload
            .messages
            .iter()
            .map(|t| Prepared {
                name: Name::from(t.name.as_str()),
                protocol: Name::from(t.protocol.as_str()),
                kind: t.kind,
                weight: u64::from(t.weight),
                size_bytes: t.size_bytes,
                headers: Headers::from(t.headers.clone()),
                body: BodyTemplate::new(t.body.clone()),
            })
            .collect();
        let total_weight = templates.iter().map(|t| t.weight).sum();
        Source {
            templates,
            total_weight,
            remaining: workload.count,
            emitted: 0,
            interval: workload.rate.interval,
            arrival: workload.arrival,
            next_at: VirtualTime::ZERO.after(workload.start),
        }
    }
}

impl Arrivals for Source {
    fn next_arrival(&self) -> Option<VirtualTime> {
        (self.remaining > 0).then_some(self.next_at)
    }

    /// Each generated message starts a trace of its own (trace id = message id).
    fn emit(&mut self, id: MessageId, now: VirtualTime, rng: &mut SimRng) -> Message {
        self.remaining -= 1;
        self.emitted += 1;
        let template = if self.templates.len() == 1 {
            &self.templates[0]
        } else {
            let mut pick = rng.below(self.total_weight);
            let mut chosen = &self.templates[0];
            for t in &self.templates {
                if pick < t.weight {
                    chosen = t;
                    break;
                }
                pick -= t.weight;
            }
            chosen
        };
        let gap = match self.arrival {
            Arrival::Fixed => self.interval,
            Arrival::Poisson => rng.exponential(self.interval),
        };
        self.next_at = self.next_at.after(gap).max(now);
        Message {
            id,
            trace_id: TraceId(id.0),
            name: template.name,
            protocol: template.protocol,
            kind: template.kind,
            correlation: None,
            headers: template.headers.clone(),
            body: template.body.render(self.emitted, &template.name),
            size_bytes: template.size_bytes,
            return_path: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_become_exact_intervals() {
        assert_eq!("1000/s".parse::<Rate>().unwrap().interval, Nanos(1_000_000));
        assert_eq!("5/ms".parse::<Rate>().unwrap().interval, Nanos(200_000));
        assert_eq!("2".parse::<Rate>().unwrap().interval, Nanos(500_000_000));
        assert_eq!("5/10ms".parse::<Rate>().unwrap().interval, Nanos(2_000_000));
        assert_eq!("60/h".parse::<Rate>().unwrap().interval, Nanos(60_000_000_000));
        assert!("0/s".parse::<Rate>().unwrap_err().contains("above zero"));
        assert!("fast".parse::<Rate>().unwrap_err().contains("whole number"));
        assert!("3/fortnight".parse::<Rate>().unwrap_err().contains("unknown unit"));
    }

    #[test]
    fn body_placeholders_are_filled_per_message() {
        let template =
            BodyTemplate::new(serde_json::json!({"seq": "{seq}", "host": "web-{seq}", "n": "{name}", "k": 1}));
        let body = template.render(7, "Metrics");
        assert_eq!(body.value(), &serde_json::json!({"seq": 7, "host": "web-7", "n": "Metrics", "k": 1}));
    }
}
