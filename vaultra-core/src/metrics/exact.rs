//! Exact values for ratios and the coefficient of variation.
//!
//! Thresholds are compared on exact values (METRICS.md §3): a ratio is kept as a
//! fraction of integers and the volatility as `sqrt(radicand) / denominator`. Both are
//! rounded half-to-even to four decimals only for display.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

/// A real number known exactly: `num / den`, or `sqrt(num) / den`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Exact {
    num: BigInt,
    den: BigInt,
    sqrt: bool,
}

/// Decimals kept when a ratio is reported.
pub const RATIO_DECIMALS: u32 = 4;

impl Exact {
    /// The fraction `num / den`. `den` must be positive.
    pub fn ratio(num: impl Into<BigInt>, den: impl Into<BigInt>) -> Option<Self> {
        let den = den.into();
        if !den.is_positive() {
            return None;
        }
        Some(Self {
            num: num.into(),
            den,
            sqrt: false,
        })
    }

    /// The number `sqrt(radicand) / den`. `radicand` must be non-negative and `den` positive.
    pub fn sqrt_ratio(radicand: impl Into<BigInt>, den: impl Into<BigInt>) -> Option<Self> {
        let (radicand, den) = (radicand.into(), den.into());
        if radicand.is_negative() || !den.is_positive() {
            return None;
        }
        Some(Self {
            num: radicand,
            den,
            sqrt: true,
        })
    }

    /// The exact value of a decimal.
    pub fn from_decimal(d: Decimal) -> Self {
        let (num, den) = decimal_parts(d);
        Self {
            num,
            den,
            sqrt: false,
        }
    }

    /// Compares with another exact value, exactly.
    pub fn cmp_exact(&self, other: &Exact) -> Ordering {
        match (self.sqrt, other.sqrt) {
            (false, false) => (&self.num * &other.den).cmp(&(&other.num * &self.den)),
            (true, true) => {
                // Both sides are non-negative: compare squares.
                (&self.num * &other.den * &other.den).cmp(&(&other.num * &self.den * &self.den))
            }
            (true, false) => cmp_sqrt_with_ratio(&self.num, &self.den, &other.num, &other.den),
            (false, true) => {
                cmp_sqrt_with_ratio(&other.num, &other.den, &self.num, &self.den).reverse()
            }
        }
    }

    /// Compares with a decimal threshold, exactly.
    pub fn cmp_decimal(&self, threshold: Decimal) -> Ordering {
        self.cmp_exact(&Exact::from_decimal(threshold))
    }

    /// The value times 10^decimals rounded half-to-even to an integer.
    pub fn scaled_round(&self, decimals: u32) -> BigInt {
        let scale = BigInt::from(10u32).pow(decimals);
        if self.sqrt {
            // value·10^d = sqrt(num·10^(2d)) / den; floor(sqrt(x)/den) = floor(isqrt(x)/den).
            let x = &self.num * &scale * &scale;
            let q = x.sqrt().div_floor(&self.den);
            // Compare the remainder with one half: sqrt(x) vs den·(q + 1/2) ⇔ 4x vs den²(2q+1)².
            let twice = &q * 2 + 1;
            let rhs = &self.den * &self.den * &twice * &twice;
            round_from(q, (x * BigInt::from(4)).cmp(&rhs))
        } else {
            let n = &self.num * &scale;
            let (q, r) = n.div_mod_floor(&self.den);
            round_from(q, (r * BigInt::from(2)).cmp(&self.den))
        }
    }

    /// The value rounded half-to-even to 4 decimals, as a decimal.
    pub fn round4(&self) -> Decimal {
        let scaled = self.scaled_round(RATIO_DECIMALS);
        scaled
            .to_i64()
            .map(|m| Decimal::new(m, RATIO_DECIMALS))
            .unwrap_or(if scaled.is_negative() {
                Decimal::MIN
            } else {
                Decimal::MAX
            })
    }

    /// The value rounded half-to-even to 4 decimals, as the nearest `f64`.
    ///
    /// The float is only a carrier for JSON: `m / 10⁴` is correctly rounded, and the
    /// shortest representation of that float prints exactly the 4-decimal value.
    pub fn to_f64_4(&self) -> f64 {
        let scaled = self.scaled_round(RATIO_DECIMALS);
        scaled.to_f64().unwrap_or(f64::NAN) / 10f64.powi(RATIO_DECIMALS as i32)
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.num.is_zero()
    }
}

fn round_from(q: BigInt, twice_rem_vs_unit: Ordering) -> BigInt {
    match twice_rem_vs_unit {
        Ordering::Greater => q + 1,
        Ordering::Less => q,
        Ordering::Equal => {
            if q.is_even() {
                q
            } else {
                q + 1
            }
        }
    }
}

/// Compares `sqrt(r)/a` with `p/b` (a, b > 0, r ≥ 0).
fn cmp_sqrt_with_ratio(r: &BigInt, a: &BigInt, p: &BigInt, b: &BigInt) -> Ordering {
    if p.sign() == Sign::Minus {
        return Ordering::Greater;
    }
    // sqrt(r)·b vs p·a, both sides non-negative: compare squares.
    (r * b * b).cmp(&(p * p * a * a))
}

fn decimal_parts(d: Decimal) -> (BigInt, BigInt) {
    let num = BigInt::from(d.mantissa());
    let den = BigInt::from(10u32).pow(d.scale());
    (num, den)
}

impl fmt::Debug for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sqrt {
            write!(f, "sqrt({})/{} (≈{})", self.num, self.den, self.round4())
        } else {
            write!(f, "{}/{} (≈{})", self.num, self.den, self.round4())
        }
    }
}

impl fmt::Display for Exact {
    /// The 4-decimal half-even rounding, trailing zeros trimmed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.round4().normalize())
    }
}

impl Serialize for Exact {
    /// A JSON number rounded half-to-even to 4 decimals (METRICS.md §3).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.to_f64_4())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn ratio_rounds_half_even() {
        // 0.00005 → 0.0000 (tie to even), 0.00015 → 0.0002, 0.00025 → 0.0002
        assert_eq!(Exact::ratio(5, 100_000).unwrap().round4(), dec("0.0000"));
        assert_eq!(Exact::ratio(15, 100_000).unwrap().round4(), dec("0.0002"));
        assert_eq!(Exact::ratio(25, 100_000).unwrap().round4(), dec("0.0002"));
        assert_eq!(Exact::ratio(-25, 100_000).unwrap().round4(), dec("-0.0002"));
        assert_eq!(Exact::ratio(-15, 100_000).unwrap().round4(), dec("-0.0002"));
        assert_eq!(Exact::ratio(2, 3).unwrap().round4(), dec("0.6667"));
    }

    #[test]
    fn sqrt_ratio_rounds_exactly() {
        // sqrt(2)/1 = 1.41421356… → 1.4142
        assert_eq!(Exact::sqrt_ratio(2, 1).unwrap().round4(), dec("1.4142"));
        // sqrt(1)/4 = 0.25 exactly
        assert_eq!(Exact::sqrt_ratio(1, 4).unwrap().round4(), dec("0.2500"));
        // sqrt(0.00000025)... use sqrt(1)/20000 = 0.00005 → tie → 0.0000
        assert_eq!(
            Exact::sqrt_ratio(1, 20_000).unwrap().round4(),
            dec("0.0000")
        );
        // sqrt(9)/20000 = 0.00015 → 0.0002
        assert_eq!(
            Exact::sqrt_ratio(9, 20_000).unwrap().round4(),
            dec("0.0002")
        );
    }

    #[test]
    fn comparisons_are_exact() {
        let half = Exact::sqrt_ratio(1, 2).unwrap();
        assert_eq!(half.cmp_decimal(dec("0.5")), Ordering::Equal);
        // sqrt(1_000_001)/2000 = 0.50000025: above 0.5 although it rounds to 0.5000.
        let just_above = Exact::sqrt_ratio(1_000_001, 2000).unwrap();
        assert_eq!(just_above.cmp_decimal(dec("0.5")), Ordering::Greater);
        assert_eq!(just_above.round4(), dec("0.5000"));
        assert_eq!(
            Exact::ratio(1, 50).unwrap().cmp_decimal(dec("0.02")),
            Ordering::Equal
        );
        assert_eq!(
            Exact::ratio(-1, 3).unwrap().cmp_decimal(dec("-0.05")),
            Ordering::Less
        );
        assert_eq!(
            Exact::sqrt_ratio(4, 10)
                .unwrap()
                .cmp_exact(&Exact::ratio(1, 5).unwrap()),
            Ordering::Equal
        );
    }

    #[test]
    fn json_carries_four_decimals() {
        let v = Exact::ratio(1234, 10_000).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "0.1234");
        let v = Exact::ratio(1, 3).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "0.3333");
        let v = Exact::ratio(1, 1).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "1.0");
    }
}
