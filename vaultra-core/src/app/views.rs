//! The results the façade returns: plain data, serialized the same way for every host.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{Business, IntegrationAccount};
use crate::metrics::Window;
use crate::ports::storage::ScoreRecord;
use crate::report::Report;
use crate::scoring::Simulation;
use crate::services::recommendations::TopRecommendation;

/// How fresh and how deep a business's stored data is.
///
/// `history_days` has one meaning everywhere (see [`history_days`](crate::services::metrics::history_days)): the UTC days from
/// the day of the first stored charge through the last day of the window in question,
/// inclusive. For a result about a window it is that window's last day; where no window
/// is asked for (a business's context) it is the default window's, yesterday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Freshness {
    /// When the payment data was last synced from a provider (the latest successful sync
    /// of any of the business's accounts); `None` if it was only ever imported.
    pub data_synced_at: Option<DateTime<Utc>>,
    /// Charges stored for the business, all time.
    pub charges_stored: u64,
    /// The day of the first stored charge.
    pub first_charge_date: Option<NaiveDate>,
    /// The day of the last stored charge.
    pub last_charge_date: Option<NaiveDate>,
    /// The day `history_days` counts through.
    pub history_through: NaiveDate,
    /// Days of charge history through `history_through`, inclusive (0 without charges).
    pub history_days: u32,
    /// When metrics were last computed and stored by the jobs.
    pub metrics_computed_at: Option<DateTime<Utc>>,
}

/// A business with its connected payment sources and the freshness of its data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusinessContext {
    /// The business.
    pub business: Business,
    /// Its connected (or once connected) payment accounts.
    pub accounts: Vec<IntegrationAccount>,
    /// Freshness through the default window's last day.
    pub freshness: Freshness,
}

/// The readiness of a business over a window with everything that explains it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadinessBreakdown {
    /// The business.
    pub business_id: Uuid,
    /// The full report (window, currency, metrics, readiness, recommendations).
    pub report: Report,
    /// The explanations of the factors that add points, in factor order.
    pub helps: Vec<String>,
    /// The explanations of the factors that cost points, in factor order.
    pub hurts: Vec<String>,
    /// The stored scores, newest first.
    pub history: Vec<ScoreRecord>,
    /// Freshness through the window's last day.
    pub freshness: Freshness,
}

/// What the owner should do first: the current report's recommendations under the §5
/// lifecycle (see [`RecommendationsService::top_recommendations`]).
///
/// [`RecommendationsService::top_recommendations`]: crate::services::recommendations::RecommendationsService::top_recommendations
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopRecommendations {
    /// The business.
    pub business_id: Uuid,
    /// The window the recommendations were computed over.
    pub window: Window,
    /// The score of that window.
    pub score: i32,
    /// The recommendations, §5 order.
    pub recommendations: Vec<TopRecommendation>,
}

/// A what-if over a business's real metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulationView {
    /// The business.
    pub business_id: Uuid,
    /// The window of the real metrics.
    pub window: Window,
    /// The baseline, the simulated score and the smallest change to the next tier.
    pub simulation: Simulation,
}
