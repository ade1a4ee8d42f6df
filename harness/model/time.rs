//! Virtual time: integer nanoseconds since the start of a run.
//!
//! Nothing on the simulation path reads the wall clock; every instant and
//! duration is one of these integers, so arithmetic is exact and platform
//! independent.

use std::fmt;
use std::str::FromStr;

/// An instant on the virtual clock, in nanoseconds from the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VirtualTime(pub u64);

impl VirtualTime {
    /// The start of every run.
    pub const ZERO: VirtualTime = VirtualTime(0);
    /// Later than any instant a run can reach; used as "no limit".
    pub const NEVER: VirtualTime = VirtualTime(u64::MAX);

    /// Nanoseconds since the start of the run.
    pub fn as_nanos(self) -> u64 {
        self.0
    }

    /// This instant plus a duration, saturating at [`VirtualTime::NEVER`].
    pub fn after(self, duration: Nanos) -> VirtualTime {
        VirtualTime(self.0.saturating_add(duration.0))
    }

    /// The duration from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: VirtualTime) -> Nanos {
        Nanos(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for VirtualTime {
    /// Seconds with nine decimals: `1.204000000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.0 / 1_000_000_000, self.0 % 1_000_000_000)
    }
}

/// A duration on the virtual clock, in nanoseconds.
///
/// Parsed from strings such as `"250us"`, `"1.5ms"`, `"2s"`, `"10ns"` or
/// `"1m"`: a decimal number and a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`).
/// Decimals are converted exactly (no floating point), so `"0.1s"` is exactly
/// 100,000,000 ns.
///
/// ```
/// use flowreplay::Nanos;
/// assert_eq!("1.5ms".parse::<Nanos>().unwrap(), Nanos(1_500_000));
/// assert_eq!(Nanos(2_000_000).to_string(), "2ms");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Nanos(pub u64);

impl Nanos {
    /// No time at all.
    pub const ZERO: Nanos = Nanos(0);

    /// A duration of whole milliseconds.
    pub const fn from_millis(ms: u64) -> Nanos {
        Nanos(ms * 1_000_000)
    }

    /// The duration as a [`std::time::Duration`] (for tokio's paused clock).
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.0)
    }
}

impl fmt::Display for Nanos {
    /// The largest unit that represents the value exactly: `2ms`, `1500us`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units =
            [(3_600_000_000_000, "h"), (60_000_000_000, "m"), (1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")];
        for (scale, unit) in units {
            if self.0 >= scale && self.0 % scale == 0 {
                return write!(f, "{}{unit}", self.0 / scale);
            }
        }
        write!(f, "{}ns", self.0)
    }
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason} (expected a number and a unit, e.g. \"250us\", \"1.5ms\", \"2s\")")]
pub struct ParseDurationError {
    input: String,
    reason: &'static str,
}

impl FromStr for Nanos {
    type Err = ParseDurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason| ParseDurationError { input: input.to_string(), reason };
        let text = input.trim();
        let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(|| fail("missing unit"))?;
        let (number, unit) = text.split_at(split);
        let scale: u64 = match unit.trim() {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(fail("unknown unit")),
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(fail("missing number"));
        }
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(fraction) {
            return Err(fail("malformed number"));
        }
        let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| fail("number too large"))? };
        let mut total = whole.checked_mul(scale).ok_or_else(|| fail("number too large"))?;
        let mut place = scale;
        for digit in fraction.bytes() {
            place /= 10;
            if place == 0 {
                if digit != b'0' {
                    return Err(fail("finer than one nanosecond"));
                }
                continue;
            }
            total = total.checked_add(u64::from(digit - b'0') * place).ok_or_else(|| fail("number too large"))?;
        }
        Ok(Nanos(total))
    }
}

impl<'de> serde::Deserialize<'de> for Nanos {
    /// A duration string (`"1.5ms"`) or a bare integer number of nanoseconds.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Nanos(u64),
            Text(String),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Nanos(n) => Ok(Nanos(n)),
            Repr::Text(text) => text.parse().map_err(serde::de::Error::custom),
        }
    }
}

impl serde::Serialize for Nanos {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_exactly_in_every_unit() {
        assert_eq!("10ns".parse(), Ok(Nanos(10)));
        assert_eq!("250us".parse(), Ok(Nanos(250_000)));
        assert_eq!("1.5ms".parse(), Ok(Nanos(1_500_000)));
        assert_eq!("0.1s".parse(), Ok(Nanos(100_000_000)));
        assert_eq!(".5s".parse(), Ok(Nanos(500_000_000)));
        assert_eq!("2m".parse(), Ok(Nanos(120_000_000_000)));
    }

    #[test]
    fn bad_durations_say_what_is_wrong() {
        let err = "5".parse::<Nanos>().unwrap_err().to_string();
        assert!(err.contains("missing unit"), "{err}");
        let err = "5 parsecs".parse::<Nanos>().unwrap_err().to_string();
        assert!(err.contains("unknown unit"), "{err}");
        let err = "1.2.3ms".parse::<Nanos>().unwrap_err().to_string();
        assert!(err.contains("malformed"), "{err}");
        let err = "0.0000000001s".parse::<Nanos>().unwrap_err().to_string();
        assert!(err.contains("finer than one nanosecond"), "{err}");
        let err = "99999999999999999999s".parse::<Nanos>().unwrap_err().to_string();
        assert!(err.contains("too large"), "{err}");
    }

    #[test]
    fn durations_print_in_the_largest_exact_unit() {
        assert_eq!(Nanos(2_000_000).to_string(), "2ms");
        assert_eq!(Nanos(1_500_000).to_string(), "1500us");
        assert_eq!(Nanos(7).to_string(), "7ns");
        assert_eq!(VirtualTime(1_204_000).to_string(), "0.001204000");
    }
}
