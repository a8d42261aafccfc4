//! From factors to ranked recommendations.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::catalog::text_for;
use crate::metrics::Metrics;
use crate::scoring::{Policy, Readiness};

/// How urgent a recommendation is, from its score impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Impact above 10 points (sorts first).
    High,
    /// Impact of 5 to 10 points.
    Medium,
    /// Impact below 5 points.
    Low,
}

impl Priority {
    /// The priority of an impact under `policy`'s bands.
    pub fn of(impact: i32, policy: &Policy) -> Self {
        let rules = &policy.recommendations;
        if impact > rules.high_above {
            Self::High
        } else if impact >= rules.medium_from {
            Self::Medium
        } else {
            Self::Low
        }
    }

    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "high" => Some(Self::High),
            "medium" => Some(Self::Medium),
            "low" => Some(Self::Low),
            _ => None,
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing to do, with what it is worth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    /// Stable code, e.g. `reduce_chargebacks`.
    pub code: String,
    /// high / medium / low.
    pub priority: Priority,
    /// Points the score would gain.
    pub score_impact: i32,
    /// Short title.
    pub title: String,
    /// What to do, concretely, with this business's numbers.
    pub description: String,
    /// The factor it comes from (`None` for the overall focus rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
}

/// The recommendations of METRICS.md §5, in order: priority, then impact descending,
/// then code.
///
/// `metrics`, when given, makes the descriptions concrete (counts, amounts, targets);
/// without it (a what-if) they speak of ratios only.
pub fn recommend(
    policy: &Policy,
    readiness: &Readiness,
    metrics: Option<&Metrics>,
) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for (component, factor) in policy.components.iter().zip(&readiness.factors) {
        let Some(code) = &component.recommendation else {
            continue;
        };
        let defined = !matches!(factor.value, crate::scoring::MetricValue::Undefined);
        if !defined || factor.points >= factor.best_points {
            continue;
        }
        let impact = factor.best_points - factor.points;
        let text = text_for(policy, code, Some(factor), readiness, metrics);
        out.push(Recommendation {
            code: code.clone(),
            priority: Priority::of(impact, policy),
            score_impact: impact,
            title: text.title,
            description: text.description,
            factor: Some(factor.code.clone()),
        });
    }
    if let Some(focus) = &policy.recommendations.focus
        && readiness.score < focus.below
    {
        let impact = focus.below - readiness.score;
        let text = text_for(policy, &focus.code, None, readiness, metrics);
        out.push(Recommendation {
            code: focus.code.clone(),
            priority: Priority::of(impact, policy),
            score_impact: impact,
            title: text.title,
            description: text.description,
            factor: None,
        });
    }
    out.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then(b.score_impact.cmp(&a.score_impact))
            .then(a.code.cmp(&b.code))
    });
    out
}
