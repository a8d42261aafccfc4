//! What the tools take and return, with JSON schemas for MCP clients.
//!
//! Results mirror the core's serialization field for field (the report contract of
//! METRICS.md §6 and the what-if types): each is built by serializing the core value
//! and reading it back into these types, so the wire carries exactly what the core
//! computed while clients get an `outputSchema` to validate against.
//!
//! Arguments are read leniently (a JSON value where the schema promises an integer or a
//! string) so that a wrong type comes back as a tool error the model can act on, not
//! as a protocol error.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The arguments of a tool about one business.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct BusinessArgs {
    /// The business's id (a UUID, as `list_businesses` returns it).
    #[schemars(with = "String")]
    pub business_id: Option<Value>,
}

/// The arguments of a tool about one business over a window of days.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct WindowArgs {
    /// The business's id (a UUID, as `list_businesses` returns it).
    #[schemars(with = "String")]
    pub business_id: Option<Value>,
    /// Days in the window, 2 to 366 (default 30).
    #[schemars(with = "Option<u16>")]
    pub window_days: Option<Value>,
    /// Last day of the window, `YYYY-MM-DD` (default: yesterday, UTC).
    #[schemars(with = "Option<String>")]
    pub as_of: Option<Value>,
}

/// The arguments of `get_top_recommendations`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct TopArgs {
    /// The business's id (a UUID, as `list_businesses` returns it).
    #[schemars(with = "String")]
    pub business_id: Option<Value>,
    /// How many, 1 to 20 (default 5).
    #[schemars(with = "Option<u8>")]
    pub limit: Option<Value>,
}

/// The arguments of `simulate_readiness`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct SimulateArgs {
    /// The business's id (a UUID, as `list_businesses` returns it).
    #[schemars(with = "String")]
    pub business_id: Option<Value>,
    /// Hypothetical values by metric: `revenue_growth` (e.g. 0.08 for +8 %),
    /// `revenue_volatility` (e.g. 0.15), `chargeback_ratio` (e.g. 0.004 for 0.4 %),
    /// `payout_reliability` (e.g. 0.97), `revenue_trend` (`increasing`, `flat`,
    /// `declining`). Empty: just the plan to the next tier from the real values.
    #[schemars(with = "Option<std::collections::BTreeMap<String, Value>>")]
    pub changes: Option<Value>,
    /// Days in the window, 2 to 366 (default 30).
    #[schemars(with = "Option<u16>")]
    pub window_days: Option<Value>,
    /// Last day of the window, `YYYY-MM-DD` (default: yesterday, UTC).
    #[schemars(with = "Option<String>")]
    pub as_of: Option<Value>,
}

/// One business this server may act for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BusinessSummary {
    /// Its id: pass it as `business_id` to the other tools.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its industry code, if known.
    pub industry: Option<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// The result of `list_businesses`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BusinessList {
    /// The businesses, oldest first.
    pub businesses: Vec<BusinessSummary>,
}

/// A connected payment source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Source {
    /// `stripe`.
    pub provider: String,
    /// The provider's account id (`acct_…`).
    pub account_id: String,
    /// `connected`, `disconnected` or `error`.
    pub status: String,
    /// When its data was last synced (RFC 3339), if ever.
    pub last_synced_at: Option<String>,
    /// The last sync error, if the last sync failed.
    pub last_error: Option<String>,
}

/// How fresh and how deep the stored data is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Freshness {
    /// When any source of the business last synced (RFC 3339); none for imported data.
    pub data_synced_at: Option<String>,
    /// Charges stored.
    pub charges_stored: u64,
    /// Day of the oldest stored charge (`YYYY-MM-DD`).
    pub first_charge_date: Option<String>,
    /// Day of the newest stored charge.
    pub last_charge_date: Option<String>,
    /// Days of history from the oldest charge to yesterday (0 with no charges).
    pub history_days: u32,
    /// When the scheduled jobs last computed metrics (RFC 3339), if ever.
    pub metrics_computed_at: Option<String>,
}

/// The result of `get_business_context`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BusinessContext {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its industry code, if known.
    pub industry: Option<String>,
    /// The owner's estimate of yearly revenue, as a decimal amount in `currency`.
    pub revenue_estimate: Option<String>,
    /// Its home currency, if set.
    pub currency: Option<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// Connected payment sources.
    pub connected_sources: Vec<Source>,
    /// Freshness and depth of the data.
    pub freshness: Freshness,
}

/// A window of whole UTC days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WindowOut {
    /// First day.
    pub start_date: String,
    /// Last day.
    pub end_date: String,
    /// Days.
    pub days: u16,
}

/// The metrics of METRICS.md (amounts as decimal strings, ratios as numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MetricsOut {
    /// Successful charges.
    pub transaction_count: u64,
    /// Gross revenue of successful charges.
    pub revenue_total: String,
    /// Refunded amount of those charges.
    pub refunded_total: String,
    /// Revenue minus refunds.
    pub net_revenue: String,
    /// Mean successful charge; null without charges.
    pub average_transaction_size: Option<String>,
    /// Standard deviation over mean of daily revenue; null if undefined.
    pub revenue_volatility: Option<f64>,
    /// Chargebacks (disputes that are not inquiries).
    pub chargeback_count: u64,
    /// Chargebacks per successful charge; null without charges.
    pub chargeback_ratio: Option<f64>,
    /// Payouts due in the window.
    pub payouts_due: u64,
    /// Of those, paid by their arrival day + 1.
    pub payouts_on_time: u64,
    /// On-time share; null with no payout due.
    pub payout_reliability: Option<f64>,
    /// Second half over first half of the window, minus 1; null if undefined.
    pub revenue_growth: Option<f64>,
    /// `increasing`, `flat` or `declining`.
    pub revenue_trend: String,
}

/// The result of `get_metric_summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MetricSummary {
    /// The business.
    pub business_id: String,
    /// The window measured.
    pub window: WindowOut,
    /// The reporting currency.
    pub currency: String,
    /// The metrics.
    pub metrics: MetricsOut,
    /// Freshness and depth of the data behind them.
    pub freshness: Freshness,
}

/// One factor of the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FactorOut {
    /// Factor code (the metric it scores).
    pub code: String,
    /// The metric's value (a number, a trend name, or null).
    pub value: Value,
    /// Points it adds (negative: costs).
    pub points: i32,
    /// The most it can add.
    pub best_points: i32,
    /// The most it can cost.
    pub worst_points: i32,
    /// `helps`, `hurts` or `neutral`.
    pub effect: String,
    /// Why, in plain language.
    pub explanation: String,
}

/// A readiness score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReadinessOut {
    /// 0–100.
    pub score: i32,
    /// Tier code.
    pub tier: String,
    /// Tier label.
    pub tier_label: String,
    /// The scoring policy.
    pub policy: String,
    /// The highest score the policy can give.
    pub max_attainable: i32,
    /// Every factor, in the policy's order.
    pub factors: Vec<FactorOut>,
}

/// A past score, as the scheduled jobs stored it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryPoint {
    /// When it was computed (RFC 3339).
    pub computed_at: String,
    /// 0–100.
    pub score: i32,
    /// Tier code.
    pub tier: String,
}

/// The result of `get_readiness_breakdown`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReadinessBreakdown {
    /// The business.
    pub business_id: String,
    /// The window scored.
    pub window: WindowOut,
    /// The reporting currency.
    pub currency: String,
    /// The score, tier and every factor.
    pub readiness: ReadinessOut,
    /// Explanations of the factors that add points.
    pub helps: Vec<String>,
    /// Explanations of the factors that cost points.
    pub hurts: Vec<String>,
    /// Stored scores, newest first (empty until the jobs have run).
    pub history: Vec<HistoryPoint>,
    /// Freshness and depth of the data.
    pub freshness: Freshness,
}

/// A ranked recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecommendationOut {
    /// Stable code.
    pub code: String,
    /// `high`, `medium` or `low`.
    pub priority: String,
    /// Points the score gains once it is done.
    pub score_impact: i32,
    /// Title.
    pub title: String,
    /// The concrete action, with the business's numbers.
    pub description: String,
    /// The factor it improves, if one.
    pub factor: Option<String>,
    /// Its stored status (`pending` or `accepted`) when the jobs have stored it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Its stored id, when stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// The result of `get_top_recommendations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TopRecommendations {
    /// The business.
    pub business_id: String,
    /// The window they come from.
    pub window: WindowOut,
    /// The current score they start from.
    pub score: i32,
    /// Highest priority first (then impact); codes the owner dismissed in the last
    /// 30 days are left out.
    pub recommendations: Vec<RecommendationOut>,
}

/// A condition on a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConditionOut {
    /// `gt`, `ge`, `lt` or `le`.
    pub op: String,
    /// The threshold.
    pub threshold: f64,
}

/// The smallest change of one metric towards the next tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TargetOut {
    /// Factor code.
    pub factor: String,
    /// The metric to change.
    pub metric: String,
    /// Its value now (a number, a trend name, or null).
    pub current: Value,
    /// What the new value must satisfy.
    pub condition: ConditionOut,
    /// For the trend factor, the trend the condition yields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<String>,
    /// threshold − current, when the current value is defined.
    pub change: Option<f64>,
    /// The factor's points then.
    pub points: i32,
    /// The score then.
    pub score: i32,
    /// Its tier.
    pub tier: String,
    /// Whether this change alone reaches the next tier.
    pub reaches_next_tier: bool,
    /// In plain language.
    pub description: String,
}

/// How far the next tier is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NextTierOut {
    /// The score the plan starts from.
    pub score: i32,
    /// Its tier.
    pub tier: String,
    /// The next tier, if any.
    pub next_tier: Option<String>,
    /// Its label.
    pub next_tier_label: Option<String>,
    /// Points missing.
    pub points_needed: i32,
    /// Whether the policy can reach it at all.
    pub attainable: bool,
    /// Per improvable factor, the smallest change.
    pub targets: Vec<TargetOut>,
    /// The fewest factors that together reach it, when no single change does.
    pub combination: Vec<String>,
}

/// The result of `simulate_readiness`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SimulationOut {
    /// The business.
    pub business_id: String,
    /// The window the real values come from.
    pub window: WindowOut,
    /// The score of the real values.
    pub baseline: ReadinessOut,
    /// The score with the changes.
    pub simulated: ReadinessOut,
    /// simulated − baseline.
    pub score_change: i32,
    /// From the simulated values: the smallest change per metric to the next tier.
    pub next_tier: NextTierOut,
}
