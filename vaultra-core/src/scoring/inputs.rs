//! The metric values a policy scores, real or hypothetical.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use crate::metrics::{Exact, Metrics, Trend};

/// A metric a policy component can score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKey {
    /// `increasing` / `flat` / `declining`.
    RevenueTrend,
    /// (R2 − R1) / R1.
    RevenueGrowth,
    /// Coefficient of variation of daily revenue.
    RevenueVolatility,
    /// Chargebacks per successful charge.
    ChargebackRatio,
    /// Share of due payouts paid on time.
    PayoutReliability,
}

impl MetricKey {
    /// Every key, in a fixed order.
    pub const ALL: [MetricKey; 5] = [
        Self::RevenueTrend,
        Self::RevenueGrowth,
        Self::RevenueVolatility,
        Self::ChargebackRatio,
        Self::PayoutReliability,
    ];

    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RevenueTrend => "revenue_trend",
            Self::RevenueGrowth => "revenue_growth",
            Self::RevenueVolatility => "revenue_volatility",
            Self::ChargebackRatio => "chargeback_ratio",
            Self::PayoutReliability => "payout_reliability",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether values are shown as percentages (ratios of counts or of revenue).
    pub fn is_percentage(&self) -> bool {
        matches!(
            self,
            Self::RevenueGrowth | Self::ChargebackRatio | Self::PayoutReliability
        )
    }

    /// Whether the metric is a category rather than a number.
    pub fn is_categorical(&self) -> bool {
        matches!(self, Self::RevenueTrend)
    }
}

impl fmt::Display for MetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One metric's value: undefined, a trend, or an exact number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricValue {
    /// The metric has no value (e.g. a ratio over zero charges).
    Undefined,
    /// A trend.
    Trend(Trend),
    /// A number, exact.
    Number(Exact),
}

impl Serialize for MetricValue {
    /// `null`, the trend's name, or the number rounded to 4 decimals.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Undefined => serializer.serialize_none(),
            Self::Trend(t) => t.serialize(serializer),
            Self::Number(x) => x.serialize(serializer),
        }
    }
}

/// The values a policy reads: what the score depends on, and nothing else.
///
/// Built from real [`Metrics`] or from hypothetical values in a what-if.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicators {
    /// Revenue trend.
    pub revenue_trend: Trend,
    /// Revenue growth between the window's halves.
    pub revenue_growth: Option<Exact>,
    /// Coefficient of variation of daily revenue.
    pub revenue_volatility: Option<Exact>,
    /// Chargebacks per successful charge.
    pub chargeback_ratio: Option<Exact>,
    /// Share of due payouts paid on time.
    pub payout_reliability: Option<Exact>,
}

impl Indicators {
    /// The value of one metric.
    pub fn get(&self, key: MetricKey) -> MetricValue {
        let number = |x: &Option<Exact>| {
            x.clone()
                .map_or(MetricValue::Undefined, MetricValue::Number)
        };
        match key {
            MetricKey::RevenueTrend => MetricValue::Trend(self.revenue_trend),
            MetricKey::RevenueGrowth => number(&self.revenue_growth),
            MetricKey::RevenueVolatility => number(&self.revenue_volatility),
            MetricKey::ChargebackRatio => number(&self.chargeback_ratio),
            MetricKey::PayoutReliability => number(&self.payout_reliability),
        }
    }
}

impl From<&Metrics> for Indicators {
    fn from(m: &Metrics) -> Self {
        Self {
            revenue_trend: m.revenue_trend,
            revenue_growth: m.revenue_growth.clone(),
            revenue_volatility: m.revenue_volatility.clone(),
            chargeback_ratio: m.chargeback_ratio.clone(),
            payout_reliability: m.payout_reliability.clone(),
        }
    }
}
