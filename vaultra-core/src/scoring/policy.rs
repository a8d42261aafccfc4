//! Scoring policies as data.
//!
//! A [`Policy`] is a plain serde struct: it can be loaded from JSON or TOML, versioned by
//! name, and compared. `spec-v1` is built in and never changes; a new rule set is a new
//! policy name.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::inputs::{MetricKey, MetricValue};
use crate::error::Error;
use crate::metrics::Trend;

/// Name of the policy of METRICS.md §4–5.
pub const SPEC_V1: &str = "spec-v1";

/// A complete scoring policy: base score, components, tiers and recommendation rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Version name, e.g. `spec-v1`.
    pub name: String,
    /// Points every business starts from.
    pub base_score: i32,
    /// Lowest score (the sum is clamped to it).
    pub min_score: i32,
    /// Highest score (the sum is clamped to it).
    pub max_score: i32,
    /// The scored components, in display order.
    pub components: Vec<Component>,
    /// Tiers covering `min_score..=max_score` without gaps, lowest first.
    pub tiers: Vec<TierDef>,
    /// How recommendations are derived from the factors.
    pub recommendations: RecommendationRules,
}

/// One scored metric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Factor code shown in results (e.g. `chargeback_ratio`).
    pub code: String,
    /// The metric this component reads.
    pub metric: MetricKey,
    /// How the metric's value becomes points.
    pub rule: Rule,
    /// Recommendation code raised when this factor is below its best.
    pub recommendation: Option<String>,
}

/// How a metric value becomes points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// Points per category (for the trend).
    Categorical {
        /// Points of each category, by its snake_case name.
        points: BTreeMap<String, i32>,
    },
    /// Threshold bands, first match wins.
    Bands {
        /// Bands tried in order.
        bands: Vec<Band>,
        /// Points when the value is defined but no band matches.
        otherwise: i32,
        /// Points when the metric is undefined.
        undefined: i32,
    },
}

/// A threshold band: `value <op> threshold` earns `points`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// The comparison.
    pub op: Op,
    /// The threshold, exact.
    #[serde(with = "rust_decimal::serde::str")]
    pub threshold: Decimal,
    /// Points earned when the comparison holds.
    pub points: i32,
}

/// A comparison against a threshold, always made on exact values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl Op {
    /// Whether `ordering` (value compared with threshold) satisfies the comparison.
    pub fn holds(&self, ordering: Ordering) -> bool {
        match self {
            Self::Gt => ordering == Ordering::Greater,
            Self::Ge => ordering != Ordering::Less,
            Self::Lt => ordering == Ordering::Less,
            Self::Le => ordering != Ordering::Greater,
        }
    }

    /// The mathematical symbol.
    pub fn symbol(&self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
        }
    }

    /// The words for a person ("above", "at most").
    pub fn words(&self) -> &'static str {
        match self {
            Self::Gt => "above",
            Self::Ge => "at least",
            Self::Lt => "below",
            Self::Le => "at most",
        }
    }
}

/// A tier: a named score range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierDef {
    /// Stored snake_case code, e.g. `funding_ready`.
    pub code: String,
    /// Display label, e.g. `Funding-ready`.
    pub label: String,
    /// Lowest score of the tier, inclusive.
    pub min: i32,
    /// Highest score of the tier, inclusive.
    pub max: i32,
}

/// How factors turn into recommendations (METRICS.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendationRules {
    /// Raised when the score is below a level, with impact = level − score.
    pub focus: Option<FocusRule>,
    /// Impact strictly above this is `high`.
    pub high_above: i32,
    /// Impact at or above this (and not high) is `medium`; below it `low`.
    pub medium_from: i32,
}

/// The "focus on core metrics" rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FocusRule {
    /// Recommendation code.
    pub code: String,
    /// The score level below which it is raised.
    pub below: i32,
}

/// The outcome of one component for one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The metric is undefined.
    Undefined,
    /// A category with its points.
    Category,
    /// Band `i` matched.
    Band(usize),
    /// Defined, no band matched.
    Otherwise,
}

impl Rule {
    /// The points for `value` and which case produced them.
    pub fn evaluate(&self, value: &MetricValue) -> (i32, Outcome) {
        match (self, value) {
            (Rule::Categorical { points }, MetricValue::Trend(t)) => (
                points.get(t.as_str()).copied().unwrap_or(0),
                Outcome::Category,
            ),
            (Rule::Categorical { .. }, _) => (0, Outcome::Undefined),
            (Rule::Bands { undefined, .. }, MetricValue::Undefined | MetricValue::Trend(_)) => {
                (*undefined, Outcome::Undefined)
            }
            (
                Rule::Bands {
                    bands, otherwise, ..
                },
                MetricValue::Number(x),
            ) => bands
                .iter()
                .enumerate()
                .find(|(_, b)| b.op.holds(x.cmp_decimal(b.threshold)))
                .map_or((*otherwise, Outcome::Otherwise), |(i, b)| {
                    (b.points, Outcome::Band(i))
                }),
        }
    }

    /// Every number of points this rule can give.
    pub fn possible_points(&self) -> Vec<i32> {
        match self {
            Rule::Categorical { points } => points.values().copied().collect(),
            Rule::Bands {
                bands,
                otherwise,
                undefined,
            } => bands
                .iter()
                .map(|b| b.points)
                .chain([*otherwise, *undefined])
                .collect(),
        }
    }

    /// The most points the rule can give.
    pub fn best(&self) -> i32 {
        self.possible_points().into_iter().max().unwrap_or(0)
    }

    /// The fewest points the rule can give.
    pub fn worst(&self) -> i32 {
        self.possible_points().into_iter().min().unwrap_or(0)
    }
}

impl Policy {
    /// The built-in policy of METRICS.md §4–5, exactly.
    pub fn spec_v1() -> Self {
        let band = |op, threshold: Decimal, points| Band {
            op,
            threshold,
            points,
        };
        let bands = |bands, rec: &str, code: &str, metric| Component {
            code: code.to_owned(),
            metric,
            rule: Rule::Bands {
                bands,
                otherwise: 0,
                undefined: 0,
            },
            recommendation: Some(rec.to_owned()),
        };
        let tier = |code: &str, label: &str, min, max| TierDef {
            code: code.to_owned(),
            label: label.to_owned(),
            min,
            max,
        };
        Policy {
            name: SPEC_V1.to_owned(),
            base_score: 50,
            min_score: 0,
            max_score: 100,
            components: vec![
                Component {
                    code: "revenue_trend".to_owned(),
                    metric: MetricKey::RevenueTrend,
                    rule: Rule::Categorical {
                        points: BTreeMap::from([
                            (Trend::Increasing.as_str().to_owned(), 10),
                            (Trend::Declining.as_str().to_owned(), -5),
                            (Trend::Flat.as_str().to_owned(), 0),
                        ]),
                    },
                    recommendation: Some("grow_revenue".to_owned()),
                },
                bands(
                    vec![
                        band(Op::Gt, Decimal::new(5, 1), -10),
                        band(Op::Lt, Decimal::new(2, 1), 5),
                    ],
                    "stabilize_revenue",
                    "revenue_volatility",
                    MetricKey::RevenueVolatility,
                ),
                bands(
                    vec![
                        band(Op::Gt, Decimal::new(2, 2), -15),
                        band(Op::Lt, Decimal::new(5, 3), 5),
                    ],
                    "reduce_chargebacks",
                    "chargeback_ratio",
                    MetricKey::ChargebackRatio,
                ),
                bands(
                    vec![
                        band(Op::Gt, Decimal::new(95, 2), 10),
                        band(Op::Lt, Decimal::new(80, 2), -10),
                    ],
                    "improve_payout_timing",
                    "payout_reliability",
                    MetricKey::PayoutReliability,
                ),
            ],
            tiers: vec![
                tier("not_ready", "Not ready", 0, 40),
                tier("improving", "Improving", 41, 70),
                tier("funding_ready", "Funding-ready", 71, 85),
                tier("highly_attractive", "Highly attractive", 86, 100),
            ],
            recommendations: RecommendationRules {
                focus: Some(FocusRule {
                    code: "focus_on_core_metrics".to_owned(),
                    below: 50,
                }),
                high_above: 10,
                medium_from: 5,
            },
        }
    }

    /// A built-in policy by name.
    pub fn builtin(name: &str) -> Result<Self, Error> {
        match name {
            SPEC_V1 => Ok(Self::spec_v1()),
            other => Err(Error::invalid(
                "policy",
                format!("unknown policy `{other}` (built in: {SPEC_V1})"),
            )),
        }
    }

    /// Loads a policy from JSON and checks it.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let policy: Policy = serde_json::from_str(json)
            .map_err(|e| Error::invalid("policy", format!("not a valid policy: {e}")))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks that the policy is coherent: tiers cover the score range exactly, codes are
    /// unique, categorical rules read categorical metrics and band rules numeric ones.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |reason: String| Err(Error::invalid("policy", reason));
        if self.name.trim().is_empty() {
            return bad("a policy needs a name".into());
        }
        if self.min_score > self.max_score {
            return bad("min_score is above max_score".into());
        }
        let mut next = self.min_score;
        for tier in &self.tiers {
            if tier.min != next || tier.max < tier.min {
                return bad(format!(
                    "tier `{}` must start at {next} and not end before it starts",
                    tier.code
                ));
            }
            next = tier.max + 1;
        }
        if self.tiers.is_empty() || next != self.max_score + 1 {
            return bad(format!(
                "tiers must cover {}..={} without gaps",
                self.min_score, self.max_score
            ));
        }
        let mut codes = std::collections::BTreeSet::new();
        for c in &self.components {
            if !codes.insert(c.code.as_str()) {
                return bad(format!("component code `{}` appears twice", c.code));
            }
            let categorical = matches!(c.rule, Rule::Categorical { .. });
            if categorical != c.metric.is_categorical() {
                return bad(format!(
                    "component `{}`: metric `{}` needs a {} rule",
                    c.code,
                    c.metric,
                    if c.metric.is_categorical() {
                        "categorical"
                    } else {
                        "bands"
                    }
                ));
            }
        }
        if self.recommendations.medium_from > self.recommendations.high_above {
            return bad("medium_from must not exceed high_above".into());
        }
        Ok(())
    }

    /// The score a raw sum of points clamps to.
    pub fn clamp(&self, raw: i32) -> i32 {
        raw.clamp(self.min_score, self.max_score)
    }

    /// The tier of a score.
    pub fn tier_of(&self, score: i32) -> Option<&TierDef> {
        self.tiers.iter().find(|t| (t.min..=t.max).contains(&score))
    }

    /// The highest score reachable with every component at its best.
    pub fn max_attainable(&self) -> i32 {
        self.clamp(self.base_score + self.components.iter().map(|c| c.rule.best()).sum::<i32>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_v1_is_valid_and_round_trips() {
        let p = Policy::spec_v1();
        p.validate().unwrap();
        let json = serde_json::to_string_pretty(&p).unwrap();
        assert_eq!(Policy::from_json(&json).unwrap(), p);
        assert_eq!(p.max_attainable(), 80);
    }

    #[test]
    fn gaps_in_tiers_are_rejected() {
        let mut p = Policy::spec_v1();
        p.tiers[1].min = 42;
        assert!(p.validate().is_err());
    }

    #[test]
    fn unknown_policy_is_an_error() {
        assert!(Policy::builtin("spec-v9").is_err());
    }
}
