//! The readiness score: factors, tier and explanations.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::inputs::{Indicators, MetricKey, MetricValue};
use super::policy::{Component, Op, Outcome, Policy, Rule};
use super::regions::{Bound, Interval};
use crate::metrics::{Exact, Trend};

/// Whether a factor raises or lowers the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Points > 0.
    Helps,
    /// Points < 0.
    Hurts,
    /// Points = 0.
    Neutral,
}

impl Effect {
    /// The effect of a number of points.
    pub fn of(points: i32) -> Self {
        match points.signum() {
            1 => Self::Helps,
            -1 => Self::Hurts,
            _ => Self::Neutral,
        }
    }
}

/// One component's contribution to the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    /// Factor code, e.g. `chargeback_ratio`.
    pub code: String,
    /// The metric's value (`null` when undefined).
    pub value: MetricValue,
    /// Points earned.
    pub points: i32,
    /// Most points this factor can earn.
    pub best_points: i32,
    /// Fewest points this factor can earn.
    pub worst_points: i32,
    /// Helps, hurts or neutral.
    pub effect: Effect,
    /// One sentence a business owner understands.
    pub explanation: String,
    /// The metric this factor reads.
    #[serde(skip)]
    pub metric: MetricKey,
}

/// A readiness score with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    /// 0–100.
    pub score: i32,
    /// Tier code, snake_case.
    pub tier: String,
    /// Tier display label.
    pub tier_label: String,
    /// Name of the policy that produced the score.
    pub policy: String,
    /// Highest score this policy can give.
    pub max_attainable: i32,
    /// Every component, in the policy's order.
    pub factors: Vec<Factor>,
}

impl Readiness {
    /// The factor with `code`, if any.
    pub fn factor(&self, code: &str) -> Option<&Factor> {
        self.factors.iter().find(|f| f.code == code)
    }
}

/// Scores `inputs` under `policy` (METRICS.md §4).
pub fn score(policy: &Policy, inputs: &Indicators) -> Readiness {
    let factors: Vec<Factor> = policy
        .components
        .iter()
        .map(|c| {
            let value = inputs.get(c.metric);
            let (points, outcome) = c.rule.evaluate(&value);
            Factor {
                code: c.code.clone(),
                explanation: explain(c, &value, points, outcome, inputs),
                value,
                points,
                best_points: c.rule.best(),
                worst_points: c.rule.worst(),
                effect: Effect::of(points),
                metric: c.metric,
            }
        })
        .collect();
    let total = policy.base_score + factors.iter().map(|f| f.points).sum::<i32>();
    let score = policy.clamp(total);
    let (tier, tier_label) = policy
        .tier_of(score)
        .map(|t| (t.code.clone(), t.label.clone()))
        .unwrap_or_default();
    Readiness {
        score,
        tier,
        tier_label,
        policy: policy.name.clone(),
        max_attainable: policy.max_attainable(),
        factors,
    }
}

/// Formats a threshold or value for a person: `2%` for ratios, `0.5` otherwise.
pub fn format_number(metric: MetricKey, value: Decimal) -> String {
    if metric.is_percentage() {
        format!("{}%", (value * Decimal::ONE_HUNDRED).normalize())
    } else {
        value.normalize().to_string()
    }
}

/// Formats an exact value for a person, rounded to 4 decimals (2 for percentages).
pub fn format_exact(metric: MetricKey, value: &Exact) -> String {
    let v = value.round4();
    if metric.is_percentage() {
        format!("{:.2}%", v * Decimal::ONE_HUNDRED)
    } else {
        v.to_string()
    }
}

fn points_phrase(points: i32) -> String {
    match points.signum() {
        1 => format!("adds {points} point{}", plural(points)),
        -1 => format!("costs {} point{}", -points, plural(points)),
        _ => "neither adds nor costs points".to_owned(),
    }
}

fn plural(points: i32) -> &'static str {
    if points.abs() == 1 { "" } else { "s" }
}

fn subject(metric: MetricKey, value: &Exact) -> String {
    let v = format_exact(metric, value);
    match metric {
        MetricKey::RevenueVolatility => {
            format!("Your daily revenue has a volatility of {v} (standard deviation over mean)")
        }
        MetricKey::ChargebackRatio => format!("Chargebacks are {v} of your successful charges"),
        MetricKey::PayoutReliability => format!("{v} of your due payouts arrived on time"),
        MetricKey::RevenueGrowth => format!("Revenue changed by {v} between the window's halves"),
        MetricKey::RevenueTrend => format!("Revenue trend value {v}"),
    }
}

fn undefined_reason(metric: MetricKey) -> &'static str {
    match metric {
        MetricKey::RevenueVolatility => {
            "There was no revenue in the window, so volatility is undefined"
        }
        MetricKey::ChargebackRatio => {
            "There were no successful charges in the window, so the chargeback ratio is undefined"
        }
        MetricKey::PayoutReliability => {
            "No payout was due in the window, so payout reliability is undefined"
        }
        MetricKey::RevenueGrowth => {
            "There was no revenue in the first half of the window, so growth is undefined"
        }
        MetricKey::RevenueTrend => "The revenue trend is unknown",
    }
}

fn band_words(metric: MetricKey, op: Op, threshold: Decimal) -> String {
    format!("{} {}", op.words(), format_number(metric, threshold))
}

/// An interval of values in the words of [`Op::words`]: "below 0.2", "at least 1% and
/// below 4%".
fn interval_words(metric: MetricKey, interval: &Interval) -> String {
    let end = |b: Bound, closed: Op, open: Op| {
        band_words(metric, if b.closed { closed } else { open }, b.value)
    };
    match (interval.lower, interval.upper) {
        (None, None) => "any value".to_owned(),
        (None, Some(u)) => end(u, Op::Le, Op::Lt),
        (Some(l), None) => end(l, Op::Ge, Op::Gt),
        (Some(l), Some(u)) if l.value == u.value => {
            format!("exactly {}", format_number(metric, l.value))
        }
        (Some(l), Some(u)) => format!("{} and {}", end(l, Op::Ge, Op::Gt), end(u, Op::Le, Op::Lt)),
    }
}

/// "would add 5 points", or for a best that is no bonus, what it would spare.
fn would(best: i32) -> String {
    match best.signum() {
        1 => format!("would add {best} point{}", plural(best)),
        0 => "would cost nothing".to_owned(),
        _ => format!("would cost only {} point{}", -best, plural(best)),
    }
}

/// "an" before a vowel sound, else "a".
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn explain(
    c: &Component,
    value: &MetricValue,
    points: i32,
    outcome: Outcome,
    inputs: &Indicators,
) -> String {
    let best = c.rule.best();
    match (&c.rule, value) {
        (Rule::Categorical { points: table }, MetricValue::Trend(trend)) => {
            let how = match (trend, &inputs.revenue_growth) {
                (Trend::Increasing, None) => {
                    "Revenue appeared in the second half of the window after none in the first"
                        .to_owned()
                }
                (Trend::Flat, None) => {
                    "There was no revenue in either half of the window".to_owned()
                }
                (_, Some(g)) => {
                    let pct = format_exact(MetricKey::RevenueGrowth, g);
                    match pct.strip_prefix('-') {
                        Some(abs) => format!(
                            "Revenue fell by {abs} from the first half of the window to the second"
                        ),
                        None => format!(
                            "Revenue rose by {pct} from the first half of the window to the second"
                        ),
                    }
                }
                (Trend::Declining, None) => "Revenue declined".to_owned(),
            };
            let mut s = format!(
                "{how}: {} {trend} trend, which {}",
                article(trend.as_str()),
                points_phrase(points)
            );
            if points < best
                && let Some((name, _)) = table.iter().find(|(_, p)| **p == best)
            {
                let name = if name == "increasing" {
                    "growth above 5% (an increasing trend)".to_owned()
                } else {
                    format!("{} {name} trend", article(name))
                };
                s.push_str(&format!("; {name} {}", would(best)));
            }
            s.push('.');
            s
        }
        (Rule::Categorical { .. }, _) => format!("{}.", undefined_reason(c.metric)),
        (Rule::Bands { .. }, MetricValue::Undefined | MetricValue::Trend(_)) => {
            format!(
                "{}, which {}.",
                undefined_reason(c.metric),
                points_phrase(points)
            )
        }
        (Rule::Bands { bands, .. }, MetricValue::Number(x)) => {
            let mut s = subject(c.metric, x);
            match outcome {
                Outcome::Band(i) => {
                    let b = &bands[i];
                    s.push_str(&format!(
                        ", {}, which {}",
                        band_words(c.metric, b.op, b.threshold),
                        points_phrase(points)
                    ));
                }
                _ => {
                    let alternatives: Vec<String> = bands
                        .iter()
                        .map(|b| band_words(c.metric, b.op, b.threshold))
                        .collect();
                    match alternatives.as_slice() {
                        [] => {}
                        [one] => s.push_str(&format!(", not {one}")),
                        many => s.push_str(&format!(", neither {}", many.join(" nor "))),
                    }
                    s.push_str(&format!(", which {}", points_phrase(points)));
                }
            }
            // The values nearest to this one that earn the most a value can earn: with
            // first-match bands and `otherwise`, not always one band's own threshold.
            if let Some(top) = c.rule.best_defined().filter(|top| *top > points)
                && let Some(target) = c.rule.nearest_where(Some(x), |p| p == top)
            {
                s.push_str(&format!(
                    "; {} {}",
                    interval_words(c.metric, &target),
                    would(top)
                ));
            }
            s.push('.');
            s
        }
    }
}
