//! Money in integer minor units.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::Currency;

/// An amount of one currency in minor units (cents, yen, fils).
///
/// Held as `i128` so that sums over millions of charges cannot overflow; never a float.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Money {
    /// Amount in the currency's minor unit.
    pub minor: i128,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// Builds an amount from minor units.
    pub fn new(minor: i128, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// The amount in major units as an exact decimal with the currency's number of decimals.
    ///
    /// Amounts beyond `Decimal`'s 96-bit range (far beyond any real ledger) saturate.
    pub fn to_decimal(&self) -> Decimal {
        let scale = self.currency.exponent();
        Decimal::try_from_i128_with_scale(self.minor, scale).unwrap_or(if self.minor < 0 {
            Decimal::MIN
        } else {
            Decimal::MAX
        })
    }
}

impl fmt::Display for Money {
    /// Writes e.g. `1234.50` for 123450 cents: the exact decimal, no currency sign.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let negative = self.minor < 0;
        let abs = self.minor.unsigned_abs();
        let unit = 10u128.pow(exp);
        if negative {
            f.write_str("-")?;
        }
        if exp == 0 {
            write!(f, "{abs}")
        } else {
            write!(
                f,
                "{}.{:0width$}",
                abs / unit,
                abs % unit,
                width = exp as usize
            )
        }
    }
}

impl Serialize for Money {
    /// Money is serialized as the exact decimal string of METRICS.md §2.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(minor: i128, code: &str) -> Money {
        Money::new(minor, Currency::parse(code).unwrap())
    }

    #[test]
    fn formats_with_the_currency_decimals() {
        assert_eq!(m(0, "usd").to_string(), "0.00");
        assert_eq!(m(123_450, "usd").to_string(), "1234.50");
        assert_eq!(m(5, "eur").to_string(), "0.05");
        assert_eq!(m(1500, "jpy").to_string(), "1500");
        assert_eq!(m(1_234, "kwd").to_string(), "1.234");
        assert_eq!(m(7, "bhd").to_string(), "0.007");
        assert_eq!(m(-250, "usd").to_string(), "-2.50");
    }

    #[test]
    fn decimal_matches_display() {
        assert_eq!(m(123_450, "usd").to_decimal().to_string(), "1234.50");
        assert_eq!(m(1_234, "kwd").to_decimal().to_string(), "1.234");
        assert_eq!(m(0, "jpy").to_decimal().to_string(), "0");
    }
}
