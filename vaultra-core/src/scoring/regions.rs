//! Where on the number line a band rule gives which points.
//!
//! Advice has to name the values that remove a penalty or earn a bonus under whatever
//! policy is in force. Bands are tried in order and the first match wins, so a band's own
//! threshold is not always the whole story: these helpers split the line at every
//! threshold, score each piece exactly, and hand back the intervals whose points qualify.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_integer::Integer;
use rust_decimal::Decimal;

use super::policy::{Band, Rule};
use crate::metrics::Exact;

/// One end of an interval of metric values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// Where the interval ends.
    pub value: Decimal,
    /// Whether `value` itself belongs to the interval.
    pub closed: bool,
}

/// A set of metric values between two ends; a missing end means unbounded on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// The low end, if any.
    pub lower: Option<Bound>,
    /// The high end, if any.
    pub upper: Option<Bound>,
}

impl Interval {
    /// Where `x` lies: `Less` below the interval, `Equal` inside, `Greater` above.
    pub fn locate(&self, x: &Exact) -> Ordering {
        if let Some(lo) = self.lower {
            match x.cmp_decimal(lo.value) {
                Ordering::Less => return Ordering::Less,
                Ordering::Equal if !lo.closed => return Ordering::Less,
                _ => {}
            }
        }
        if let Some(hi) = self.upper {
            match x.cmp_decimal(hi.value) {
                Ordering::Greater => return Ordering::Greater,
                Ordering::Equal if !hi.closed => return Ordering::Greater,
                _ => {}
            }
        }
        Ordering::Equal
    }

    /// Whether `x` belongs to the interval.
    pub fn contains(&self, x: &Exact) -> bool {
        self.locate(x) == Ordering::Equal
    }

    /// The whole integer range of `k` with `k / n` in the interval (`n > 0`), as
    /// (least, greatest); `None` on a side means unbounded there. Exact: a threshold
    /// `m / 10^s` turns `k / n <= m / 10^s` into `k <= ⌊m·n / 10^s⌋`, and so on.
    pub fn numerators(&self, n: &BigInt) -> (Option<BigInt>, Option<BigInt>) {
        let least = self.lower.map(|b| {
            let (num, den) = scaled(b.value, n);
            if b.closed {
                ceil_div(&num, &den)
            } else {
                num.div_floor(&den) + 1
            }
        });
        let greatest = self.upper.map(|b| {
            let (num, den) = scaled(b.value, n);
            if b.closed {
                num.div_floor(&den)
            } else {
                ceil_div(&num, &den) - 1
            }
        });
        (least, greatest)
    }
}

/// `threshold · n` as the fraction (mantissa·n, 10^scale).
fn scaled(threshold: Decimal, n: &BigInt) -> (BigInt, BigInt) {
    (
        BigInt::from(threshold.mantissa()) * n,
        BigInt::from(10u32).pow(threshold.scale()),
    )
}

fn ceil_div(num: &BigInt, den: &BigInt) -> BigInt {
    -((-num).div_floor(den))
}

/// A piece of the number line on which a band rule's points do not change.
struct Piece {
    interval: Interval,
    points: i32,
}

/// The points of `bands` for a value whose comparison with each threshold is `ord`.
fn points_of(bands: &[Band], otherwise: i32, ord: impl Fn(Decimal) -> Ordering) -> i32 {
    bands
        .iter()
        .find(|b| b.op.holds(ord(b.threshold)))
        .map_or(otherwise, |b| b.points)
}

/// The line cut at every threshold: open gaps and the thresholds themselves, lowest first.
///
/// Inside a gap every threshold is either at or below its low end or at or above its high
/// end, so each comparison is known without picking a sample value.
fn pieces(bands: &[Band], otherwise: i32) -> Vec<Piece> {
    let mut cuts: Vec<Decimal> = bands.iter().map(|b| b.threshold).collect();
    cuts.sort();
    cuts.dedup();
    let open = |value| {
        Some(Bound {
            value,
            closed: false,
        })
    };
    let mut out = Vec::with_capacity(2 * cuts.len() + 1);
    let mut below: Option<Decimal> = None;
    for &cut in &cuts {
        out.push(Piece {
            interval: Interval {
                lower: below.and_then(open),
                upper: open(cut),
            },
            points: points_of(bands, otherwise, |t| {
                if t >= cut {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }),
        });
        let at = Some(Bound {
            value: cut,
            closed: true,
        });
        out.push(Piece {
            interval: Interval {
                lower: at,
                upper: at,
            },
            points: points_of(bands, otherwise, |t| cut.cmp(&t)),
        });
        below = Some(cut);
    }
    out.push(Piece {
        interval: Interval {
            lower: below.and_then(open),
            upper: None,
        },
        points: points_of(bands, otherwise, |t| {
            if below.is_some_and(|b| t <= b) {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }),
    });
    out
}

impl Rule {
    /// For a band rule, the maximal intervals (lowest first) on which every value earns
    /// points satisfying `want`; empty for a categorical rule.
    pub fn intervals_where(&self, want: impl Fn(i32) -> bool) -> Vec<Interval> {
        let Rule::Bands {
            bands, otherwise, ..
        } = self
        else {
            return Vec::new();
        };
        let mut out: Vec<Interval> = Vec::new();
        let mut extending = false;
        for piece in pieces(bands, *otherwise) {
            if !want(piece.points) {
                extending = false;
                continue;
            }
            match out.last_mut() {
                Some(last) if extending => last.upper = piece.interval.upper,
                _ => out.push(piece.interval),
            }
            extending = true;
        }
        out
    }

    /// For a band rule, the most points a defined value can earn (`undefined` aside).
    pub fn best_defined(&self) -> Option<i32> {
        let Rule::Bands {
            bands, otherwise, ..
        } = self
        else {
            return None;
        };
        pieces(bands, *otherwise).iter().map(|p| p.points).max()
    }

    /// The interval of values earning points satisfying `want` that is nearest to `x`:
    /// the one holding `x`, else the closer of its neighbours (ties go to the lower one).
    /// Without a value, the lowest such interval.
    pub fn nearest_where(&self, x: Option<&Exact>, want: impl Fn(i32) -> bool) -> Option<Interval> {
        let intervals = self.intervals_where(want);
        let Some(x) = x else {
            return intervals.first().copied();
        };
        let below = intervals
            .iter()
            .rev()
            .find(|i| i.locate(x) != Ordering::Less)
            .copied();
        if below.is_some_and(|i| i.contains(x)) {
            return below;
        }
        let above = intervals
            .iter()
            .find(|i| i.locate(x) == Ordering::Less)
            .copied();
        match (below, above) {
            (Some(b), Some(a)) => {
                let (Some(hi), Some(lo)) = (b.upper, a.lower) else {
                    return Some(b);
                };
                // x − hi vs lo − x ⇔ x vs (hi + lo) / 2, compared exactly.
                let (hn, hd) = scaled(hi.value, &BigInt::from(1));
                let (ln, ld) = scaled(lo.value, &BigInt::from(1));
                let mid = Exact::ratio(hn * &ld + ln * &hd, hd * ld * 2);
                match mid.map(|m| x.cmp_exact(&m)) {
                    Some(Ordering::Greater) => Some(a),
                    _ => Some(b),
                }
            }
            (b, a) => b.or(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::{Op, Policy};
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn closed(s: &str) -> Option<Bound> {
        Some(Bound {
            value: d(s),
            closed: true,
        })
    }

    fn open(s: &str) -> Option<Bound> {
        Some(Bound {
            value: d(s),
            closed: false,
        })
    }

    fn chargebacks() -> Rule {
        Policy::spec_v1().components[2].rule.clone()
    }

    #[test]
    fn spec_v1_chargeback_regions() {
        let rule = chargebacks();
        assert_eq!(
            rule.intervals_where(|p| p >= 0),
            vec![Interval {
                lower: None,
                upper: closed("0.02")
            }]
        );
        assert_eq!(
            rule.intervals_where(|p| p == 5),
            vec![Interval {
                lower: None,
                upper: open("0.005")
            }]
        );
        assert_eq!(rule.best_defined(), Some(5));
    }

    #[test]
    fn first_match_wins_and_overlaps_are_cut() {
        // `> 1` is shadowed below 3 by nothing, but `>= 3` wins first from 3 up.
        let rule = Rule::Bands {
            bands: vec![
                Band {
                    op: Op::Ge,
                    threshold: d("3"),
                    points: -5,
                },
                Band {
                    op: Op::Gt,
                    threshold: d("1"),
                    points: 4,
                },
            ],
            otherwise: 0,
            undefined: 9,
        };
        assert_eq!(
            rule.intervals_where(|p| p == 4),
            vec![Interval {
                lower: open("1"),
                upper: open("3")
            }]
        );
        assert_eq!(rule.best_defined(), Some(4));
        // From 5 the nearest non-negative interval is everything below 3.
        let x = Exact::from_decimal(d("5"));
        assert_eq!(
            rule.nearest_where(Some(&x), |p| p >= 0),
            Some(Interval {
                lower: None,
                upper: open("3")
            })
        );
    }

    #[test]
    fn nearest_picks_the_closer_side() {
        // Points 1 below 0.2 and above 0.8, 0 in between.
        let rule = Rule::Bands {
            bands: vec![
                Band {
                    op: Op::Lt,
                    threshold: d("0.2"),
                    points: 1,
                },
                Band {
                    op: Op::Gt,
                    threshold: d("0.8"),
                    points: 1,
                },
            ],
            otherwise: 0,
            undefined: 0,
        };
        let at = |s: &str| rule.nearest_where(Some(&Exact::from_decimal(d(s))), |p| p == 1);
        assert_eq!(at("0.3").unwrap().upper, open("0.2"));
        assert_eq!(at("0.7").unwrap().lower, open("0.8"));
        assert_eq!(at("0.5").unwrap().upper, open("0.2"), "a tie goes low");
        assert_eq!(
            rule.nearest_where(None, |p| p == 1).unwrap().upper,
            open("0.2")
        );
    }

    #[test]
    fn numerators_are_exact_at_the_edges() {
        let n = BigInt::from(355);
        // k/355 <= 2 % ⇔ k <= 7.1; k/355 < 0.5 % ⇔ k < 1.775.
        let le = Interval {
            lower: None,
            upper: closed("0.02"),
        };
        assert_eq!(le.numerators(&n), (None, Some(BigInt::from(7))));
        let lt = Interval {
            lower: None,
            upper: open("0.005"),
        };
        assert_eq!(lt.numerators(&n), (None, Some(BigInt::from(1))));
        // On an exact multiple the strict side gives one less.
        let n = BigInt::from(200);
        assert_eq!(lt.numerators(&n).1, Some(BigInt::from(0)));
        let gt = Interval {
            lower: open("0.95"),
            upper: None,
        };
        assert_eq!(gt.numerators(&BigInt::from(20)).0, Some(BigInt::from(20)));
        assert_eq!(gt.numerators(&BigInt::from(30)).0, Some(BigInt::from(29)));
        let ge = Interval {
            lower: closed("-0.05"),
            upper: None,
        };
        // k/100 >= −5 % ⇔ k >= −5.
        assert_eq!(ge.numerators(&BigInt::from(100)).0, Some(BigInt::from(-5)));
    }
}
