//! Serde helpers for exact decimals that travel as JSON numbers.

use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserializer, Serializer, de};

/// Reads a JSON number (or a numeric string) as the exact decimal its text denotes.
///
/// A float is read back through its shortest representation, so `0.004` becomes exactly
/// `0.004`, not the binary value nearest to it.
pub fn decimal_from_number<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    struct V;
    impl de::Visitor<'_> for V {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a number")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            if !v.is_finite() {
                return Err(E::custom("not a finite number"));
            }
            Decimal::from_str(&v.to_string())
                .or_else(|_| Decimal::from_scientific(&format!("{v:e}")))
                .map_err(|_| E::custom(format!("{v} is out of range")))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            Decimal::from_str(v)
                .or_else(|_| Decimal::from_scientific(v))
                .map_err(|_| E::custom(format!("`{v}` is not a number")))
        }
    }
    d.deserialize_any(V)
}

/// Writes a decimal as a JSON number.
pub fn decimal_as_number<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.to_f64().unwrap_or(f64::NAN))
}

/// Writes an optional decimal as a JSON number or `null`.
pub fn decimal_option_as_number<S: Serializer>(
    d: &Option<Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => decimal_as_number(d, s),
        None => s.serialize_none(),
    }
}
