//! What-if: score hypothetical metric values, and find the smallest change per metric
//! that reaches the next tier.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::inputs::{Indicators, MetricKey, MetricValue};
use super::policy::{Band, Op, Policy, Rule};
use super::score::{Readiness, score};
use crate::error::Error;
use crate::metrics::{Exact, Trend};

/// A hypothetical value for one metric.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ChangeValue {
    /// A trend name (for `revenue_trend`).
    Trend(Trend),
    /// A number (ratios as fractions: 0.01 is 1 %).
    Number(#[serde(deserialize_with = "crate::serde_util::decimal_from_number")] Decimal),
}

/// Hypothetical values by metric name, as a client sends them:
/// `{"chargeback_ratio": 0.004, "revenue_trend": "increasing"}`.
pub type Changes = BTreeMap<String, ChangeValue>;

/// Applies hypothetical values to real indicators.
///
/// Setting `revenue_growth` also sets the trend it implies; setting `revenue_trend` alone
/// leaves growth as it was. Ratios must lie in 0..=1, volatility must be ≥ 0 and growth
/// ≥ −1; a name that is not a metric is an error naming it.
pub fn apply(base: &Indicators, changes: &Changes) -> Result<Indicators, Error> {
    let mut out = base.clone();
    for (name, value) in changes {
        let key = MetricKey::parse(name).ok_or_else(|| {
            Error::invalid(
                name.clone(),
                format!(
                    "unknown metric (expected one of {})",
                    MetricKey::ALL.map(|k| k.as_str()).join(", ")
                ),
            )
        })?;
        match (key, value) {
            (MetricKey::RevenueTrend, ChangeValue::Trend(t)) => out.revenue_trend = *t,
            (MetricKey::RevenueTrend, ChangeValue::Number(_)) => {
                return Err(Error::invalid(
                    name.clone(),
                    "expected increasing, flat or declining",
                ));
            }
            (_, ChangeValue::Trend(_)) => {
                return Err(Error::invalid(name.clone(), "expected a number"));
            }
            (key, ChangeValue::Number(d)) => {
                let d = *d;
                let (lo, hi) = match key {
                    MetricKey::ChargebackRatio | MetricKey::PayoutReliability => {
                        (Some(Decimal::ZERO), Some(Decimal::ONE))
                    }
                    MetricKey::RevenueVolatility => (Some(Decimal::ZERO), None),
                    _ => (Some(Decimal::NEGATIVE_ONE), None),
                };
                if lo.is_some_and(|lo| d < lo) || hi.is_some_and(|hi| d > hi) {
                    return Err(Error::invalid(
                        name.clone(),
                        format!(
                            "{d} is out of range ({}..={})",
                            lo.map_or("-inf".into(), |v| v.to_string()),
                            hi.map_or("inf".into(), |v| v.to_string())
                        ),
                    ));
                }
                let x = Some(Exact::from_decimal(d));
                match key {
                    MetricKey::RevenueGrowth => {
                        out.revenue_trend = trend_of_growth(d);
                        out.revenue_growth = x;
                    }
                    MetricKey::RevenueVolatility => out.revenue_volatility = x,
                    MetricKey::ChargebackRatio => out.chargeback_ratio = x,
                    MetricKey::PayoutReliability => out.payout_reliability = x,
                    MetricKey::RevenueTrend => {}
                }
            }
        }
    }
    Ok(out)
}

/// The trend a growth value implies (METRICS.md §3, with R1 > 0).
fn trend_of_growth(g: Decimal) -> Trend {
    if g > GROWTH_UP {
        Trend::Increasing
    } else if g < -GROWTH_UP {
        Trend::Declining
    } else {
        Trend::Flat
    }
}

/// Growth above which the trend is increasing (and below whose negative it is declining).
const GROWTH_UP: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

/// A what-if result: the baseline, the hypothetical score, and how to reach the next tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    /// The score of the real values.
    pub baseline: Readiness,
    /// The score with the changes applied.
    pub simulated: Readiness,
    /// simulated − baseline.
    pub score_change: i32,
    /// From the simulated values: the smallest change per metric to the next tier.
    pub next_tier: NextTierPlan,
}

/// Scores `changes` applied to `base`.
pub fn simulate(
    policy: &Policy,
    base: &Indicators,
    changes: &Changes,
) -> Result<Simulation, Error> {
    let hypothetical = apply(base, changes)?;
    let baseline = score(policy, base);
    let simulated = score(policy, &hypothetical);
    Ok(Simulation {
        score_change: simulated.score - baseline.score,
        next_tier: next_tier_plan(policy, &hypothetical),
        baseline,
        simulated,
    })
}

/// A condition on a metric's value: `value <op> threshold`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// The comparison.
    pub op: Op,
    /// The threshold.
    #[serde(serialize_with = "crate::serde_util::decimal_as_number")]
    pub threshold: Decimal,
}

/// The smallest change in one metric, alone, towards the next tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricTarget {
    /// Factor code.
    pub factor: String,
    /// The metric whose value has to change.
    pub metric: MetricKey,
    /// Its value now.
    pub current: MetricValue,
    /// The condition the new value must meet.
    pub condition: Condition,
    /// For a trend factor, the trend the condition yields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
    /// threshold − current (4-decimal), when the current value is defined.
    #[serde(serialize_with = "crate::serde_util::decimal_option_as_number")]
    pub change: Option<Decimal>,
    /// The factor's points once the condition holds.
    pub points: i32,
    /// The score once the condition holds (everything else unchanged).
    pub score: i32,
    /// The tier of that score.
    pub tier: String,
    /// Whether this change alone reaches the next tier.
    pub reaches_next_tier: bool,
    /// A plain-language version.
    pub description: String,
}

/// How far the next tier is and which single changes get there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextTierPlan {
    /// The score the plan starts from.
    pub score: i32,
    /// Its tier.
    pub tier: String,
    /// The next tier up, if there is one.
    pub next_tier: Option<String>,
    /// Its label.
    pub next_tier_label: Option<String>,
    /// Points still missing.
    pub points_needed: i32,
    /// Whether the policy can reach the next tier at all.
    pub attainable: bool,
    /// Per factor that can improve: the smallest change that reaches the next tier, or,
    /// where no single change does, the change that gains the most points.
    pub targets: Vec<MetricTarget>,
    /// The fewest factors that together reach the next tier (largest gains first), when
    /// no single change is enough.
    pub combination: Vec<String>,
}

/// An interval of metric values that earns one number of points.
#[derive(Debug, Clone)]
struct Piece {
    lo: Option<(Decimal, bool)>,
    hi: Option<(Decimal, bool)>,
    points: i32,
}

/// Splits the real line at the thresholds of `bands` into pieces of constant points.
fn pieces(bands: &[Band], otherwise: i32) -> Vec<Piece> {
    let mut cuts: Vec<Decimal> = bands.iter().map(|b| b.threshold).collect();
    cuts.sort();
    cuts.dedup();
    let eval = |x: &Exact| {
        bands
            .iter()
            .find(|b| b.op.holds(x.cmp_decimal(b.threshold)))
            .map_or(otherwise, |b| b.points)
    };
    let mut raw: Vec<Piece> = Vec::new();
    for (i, &t) in cuts.iter().enumerate() {
        let below = if i == 0 {
            t - Decimal::ONE
        } else {
            (cuts[i - 1] + t) / Decimal::TWO
        };
        raw.push(Piece {
            lo: if i == 0 {
                None
            } else {
                Some((cuts[i - 1], false))
            },
            hi: Some((t, false)),
            points: eval(&Exact::from_decimal(below)),
        });
        raw.push(Piece {
            lo: Some((t, true)),
            hi: Some((t, true)),
            points: eval(&Exact::from_decimal(t)),
        });
    }
    let last = cuts.last().copied();
    raw.push(Piece {
        lo: last.map(|t| (t, false)),
        hi: None,
        points: eval(&Exact::from_decimal(
            last.map_or(Decimal::ZERO, |t| t + Decimal::ONE),
        )),
    });
    // Merge neighbours with equal points into one interval.
    let mut merged: Vec<Piece> = Vec::new();
    for p in raw {
        match merged.last_mut() {
            Some(m) if m.points == p.points => m.hi = p.hi,
            _ => merged.push(p),
        }
    }
    merged
}

/// Where `x` lies relative to `piece`: Less = below it, Equal = inside, Greater = above.
fn locate(x: &Exact, piece: &Piece) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    if let Some((lo, closed)) = piece.lo {
        match x.cmp_decimal(lo) {
            Less => return Less,
            Equal if !closed => return Less,
            _ => {}
        }
    }
    if let Some((hi, closed)) = piece.hi {
        match x.cmp_decimal(hi) {
            Greater => return Greater,
            Equal if !closed => return Greater,
            _ => {}
        }
    }
    Equal
}

/// For the next tier above the score of `inputs`, the smallest change per metric.
pub fn next_tier_plan(policy: &Policy, inputs: &Indicators) -> NextTierPlan {
    let now = score(policy, inputs);
    let next = policy.tiers.iter().find(|t| t.min > now.score);
    let mut plan = NextTierPlan {
        score: now.score,
        tier: now.tier.clone(),
        next_tier: next.map(|t| t.code.clone()),
        next_tier_label: next.map(|t| t.label.clone()),
        points_needed: next.map_or(0, |t| t.min - now.score),
        attainable: next.is_some_and(|t| policy.max_attainable() >= t.min),
        targets: Vec::new(),
        combination: Vec::new(),
    };
    let Some(next) = next else { return plan };
    let raw_total = policy.base_score + now.factors.iter().map(|f| f.points).sum::<i32>();

    for (component, factor) in policy.components.iter().zip(&now.factors) {
        // The trend is scored by category, but moved by growth: treat it as growth bands.
        let (metric, bands, otherwise, current) = match &component.rule {
            Rule::Bands {
                bands, otherwise, ..
            } => (
                component.metric,
                bands.clone(),
                *otherwise,
                inputs.get(component.metric),
            ),
            Rule::Categorical { points } => {
                let p = |t: Trend| points.get(t.as_str()).copied().unwrap_or(0);
                let bands = vec![
                    Band {
                        op: Op::Gt,
                        threshold: GROWTH_UP,
                        points: p(Trend::Increasing),
                    },
                    Band {
                        op: Op::Lt,
                        threshold: -GROWTH_UP,
                        points: p(Trend::Declining),
                    },
                ];
                (
                    MetricKey::RevenueGrowth,
                    bands,
                    p(Trend::Flat),
                    inputs.get(MetricKey::RevenueGrowth),
                )
            }
        };
        let current_x = match &current {
            MetricValue::Number(x) => Some(x.clone()),
            _ => None,
        };
        let mut best: Option<(MetricTarget, Decimal)> = None;
        for piece in pieces(&bands, otherwise) {
            if piece.points <= factor.points {
                continue;
            }
            let new_score = policy.clamp(raw_total - factor.points + piece.points);
            let reaches = new_score >= next.min;
            // Which side of the piece we approach from decides the condition.
            let side = current_x.as_ref().map(|x| locate(x, &piece));
            let (op, threshold) = match (side, piece.lo, piece.hi) {
                (Some(std::cmp::Ordering::Greater), _, Some((hi, closed))) => {
                    (if closed { Op::Le } else { Op::Lt }, hi)
                }
                (_, Some((lo, closed)), _) => (if closed { Op::Ge } else { Op::Gt }, lo),
                (_, None, Some((hi, closed))) => (if closed { Op::Le } else { Op::Lt }, hi),
                _ => continue,
            };
            let current_4 = current_x.as_ref().map(Exact::round4);
            let distance = current_4.map_or(Decimal::MAX, |c| (threshold - c).abs());
            let trend = matches!(component.rule, Rule::Categorical { .. }).then(|| {
                if piece.points == component.rule.best() {
                    Trend::Increasing
                } else {
                    Trend::Flat
                }
            });
            let candidate = MetricTarget {
                factor: component.code.clone(),
                metric,
                current: current.clone(),
                condition: Condition { op, threshold },
                trend,
                change: current_4.map(|c| threshold - c),
                points: piece.points,
                score: new_score,
                tier: policy
                    .tier_of(new_score)
                    .map(|t| t.code.clone())
                    .unwrap_or_default(),
                reaches_next_tier: reaches,
                description: describe_target(
                    metric,
                    op,
                    threshold,
                    new_score,
                    reaches,
                    &next.label,
                ),
            };
            // Prefer a change that reaches the tier; among equals, the smaller change; among
            // those that do not reach it, the larger gain.
            let better = match &best {
                None => true,
                Some((b, d)) => match (candidate.reaches_next_tier, b.reaches_next_tier) {
                    (true, false) => true,
                    (false, true) => false,
                    (true, true) => distance < *d,
                    (false, false) => {
                        candidate.points > b.points
                            || (candidate.points == b.points && distance < *d)
                    }
                },
            };
            if better {
                best = Some((candidate, distance));
            }
        }
        if let Some((target, _)) = best {
            plan.targets.push(target);
        }
    }

    if plan.attainable && !plan.targets.iter().any(|t| t.reaches_next_tier) {
        let mut gains: Vec<(i32, &MetricTarget)> = plan
            .targets
            .iter()
            .map(|t| {
                let f = now
                    .factors
                    .iter()
                    .find(|f| f.code == t.factor)
                    .map_or(0, |f| f.points);
                (t.points - f, t)
            })
            .collect();
        gains.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.factor.cmp(&b.1.factor)));
        let mut need = plan.points_needed;
        for (gain, t) in gains {
            if need <= 0 {
                break;
            }
            plan.combination.push(t.factor.clone());
            need -= gain;
        }
    }
    plan
}

fn describe_target(
    metric: MetricKey,
    op: Op,
    threshold: Decimal,
    score: i32,
    reaches: bool,
    next_label: &str,
) -> String {
    let name = metric.as_str().replace('_', " ");
    let goal = if reaches {
        format!("reaches {next_label}")
    } else {
        format!("is not enough alone for {next_label}")
    };
    format!(
        "With {name} {} {}, the score becomes {score}, which {goal}.",
        op.words(),
        super::score::format_number(metric, threshold)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn base() -> Indicators {
        Indicators {
            revenue_trend: Trend::Flat,
            revenue_growth: Some(Exact::ratio(1, 100).unwrap()),
            revenue_volatility: Some(Exact::ratio(3, 10).unwrap()),
            chargeback_ratio: Some(Exact::ratio(3, 100).unwrap()),
            payout_reliability: Some(Exact::ratio(9, 10).unwrap()),
        }
    }

    #[test]
    fn simulate_applies_changes() {
        let p = Policy::spec_v1();
        let changes: Changes =
            serde_json::from_str(r#"{"chargeback_ratio": 0.004, "revenue_trend": "increasing"}"#)
                .unwrap();
        let sim = simulate(&p, &base(), &changes).unwrap();
        assert_eq!(sim.baseline.score, 35);
        assert_eq!(sim.simulated.score, 65);
        assert_eq!(sim.score_change, 30);
    }

    #[test]
    fn unknown_metric_is_named() {
        let changes: Changes = serde_json::from_str(r#"{"profit": 1}"#).unwrap();
        let err = simulate(&Policy::spec_v1(), &base(), &changes).unwrap_err();
        assert!(err.to_string().contains("profit"), "{err}");
    }

    #[test]
    fn out_of_range_ratio_is_rejected() {
        let changes: Changes = serde_json::from_str(r#"{"chargeback_ratio": 1.5}"#).unwrap();
        assert!(simulate(&Policy::spec_v1(), &base(), &changes).is_err());
    }

    #[test]
    fn smallest_change_to_next_tier() {
        // Score 35 (not_ready); improving needs 41: +6.
        let plan = next_tier_plan(&Policy::spec_v1(), &base());
        assert_eq!(plan.score, 35);
        assert_eq!(plan.next_tier.as_deref(), Some("improving"));
        assert_eq!(plan.points_needed, 6);
        let cb = plan
            .targets
            .iter()
            .find(|t| t.factor == "chargeback_ratio")
            .unwrap();
        // Leaving the > 2% band is enough (+15): at most 2%.
        assert_eq!(cb.condition.op, Op::Le);
        assert_eq!(cb.condition.threshold, Decimal::from_str("0.02").unwrap());
        assert!(cb.reaches_next_tier);
        assert_eq!(cb.score, 50);
        let trend = plan
            .targets
            .iter()
            .find(|t| t.factor == "revenue_trend")
            .unwrap();
        assert_eq!(trend.condition.op, Op::Gt);
        assert_eq!(
            trend.condition.threshold,
            Decimal::from_str("0.05").unwrap()
        );
        assert!(trend.reaches_next_tier);
        let vol = plan
            .targets
            .iter()
            .find(|t| t.factor == "revenue_volatility")
            .unwrap();
        assert_eq!(vol.condition.op, Op::Lt);
        assert!(!vol.reaches_next_tier, "+5 is one short of 41");
        assert!(plan.combination.is_empty());
    }
}
