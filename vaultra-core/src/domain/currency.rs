//! ISO-4217-style currency codes as Stripe writes them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// A three-letter currency code, always held lowercase (`usd`, `jpy`, `kwd`).
///
/// Input is accepted in any case. The code is `Copy` so the hot metric pass can
/// carry it without allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Stripe's zero-decimal currencies (amounts are already in major units).
const ZERO_DECIMAL: [&str; 16] = [
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// Currencies whose minor unit is a thousandth.
const THREE_DECIMAL: [&str; 5] = ["bhd", "jod", "kwd", "omr", "tnd"];

impl Currency {
    /// US dollars, the fallback reporting currency.
    pub const USD: Currency = Currency(*b"usd");

    /// Parses a code in any case; anything but three ASCII letters is rejected.
    pub fn parse(code: &str) -> Result<Self, Error> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(Error::invalid(
                "currency",
                format!("`{code}` is not a three-letter currency code"),
            ));
        }
        Ok(Currency([
            bytes[0].to_ascii_lowercase(),
            bytes[1].to_ascii_lowercase(),
            bytes[2].to_ascii_lowercase(),
        ]))
    }

    /// The lowercase code.
    pub fn as_str(&self) -> &str {
        // The bytes are checked ASCII letters at construction, so this never fails.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Number of decimals of the minor unit: 0, 2 or 3 (METRICS.md §2).
    pub fn exponent(&self) -> u32 {
        let code = self.as_str();
        if ZERO_DECIMAL.contains(&code) {
            0
        } else if THREE_DECIMAL.contains(&code) {
            3
        } else {
            2
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_writes_lowercase() {
        assert_eq!(Currency::parse("USD").unwrap().as_str(), "usd");
        assert_eq!(Currency::parse("eUr").unwrap().to_string(), "eur");
    }

    #[test]
    fn rejects_non_codes() {
        for bad in ["", "us", "usdd", "u1d", "ü$d"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exponents_follow_stripe() {
        for code in ZERO_DECIMAL {
            assert_eq!(Currency::parse(code).unwrap().exponent(), 0, "{code}");
        }
        for code in THREE_DECIMAL {
            assert_eq!(Currency::parse(code).unwrap().exponent(), 3, "{code}");
        }
        for code in ["usd", "eur", "gbp", "huf", "isk"] {
            assert_eq!(Currency::parse(code).unwrap().exponent(), 2, "{code}");
        }
    }
}
