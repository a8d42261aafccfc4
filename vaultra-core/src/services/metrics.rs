//! The Metrics service: metric snapshots and readiness scores over time.
//!
//! [`MetricsService::compute_metrics`] runs the metric pass over the stored payment data
//! and keeps the result as a snapshot; [`MetricsService::compute_readiness_score`] scores
//! the latest snapshot under the service's [`Policy`] and keeps the score, linked to that
//! snapshot. Snapshots store the exact counts and sums ([`MetricParts`]), so a snapshot
//! read back years later scores exactly as it did when it was taken.
//!
//! Every result says what it rests on ([`DataBasis`]): the window and currency, when the
//! payment data was last synced and how many days of charge history the business had,
//! so a reader can tell a stale or thin score from a solid one.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::access::{Actor, Need, authorize};
use crate::domain::Currency;
use crate::error::{Error, Result};
use crate::metrics::{self, CurrencyChoice, DEFAULT_WINDOW_DAYS, MetricParts, Metrics, Window};
use crate::ports::Clock;
use crate::ports::storage::{
    AnalyticsStore, BusinessStore, IntegrationStore, MetricSnapshot, NewScore, NewSnapshot,
    PaymentStore, ScoreRecord, Store,
};
use crate::scoring::{Indicators, Policy, score};

/// How many scores [`MetricsService::get_readiness_history`] returns when a host has no
/// preference (a month of daily scores).
pub const DEFAULT_HISTORY_LIMIT: u32 = 30;
/// The most scores one history request may ask for, so one call stays cheap.
pub const MAX_HISTORY_LIMIT: u32 = 1_000;

/// What a metric or score result rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DataBasis {
    /// The window measured.
    pub window: Window,
    /// The reporting currency.
    pub currency: Currency,
    /// When the business's payment data was last synced from its provider (the latest
    /// successful sync of any of its accounts); `None` when it was only ever imported.
    pub data_synced_at: Option<DateTime<Utc>>,
    /// Days of charge history up to the window's end: from the day of the first stored
    /// charge through the last day of the window, inclusive (0 without charges).
    pub history_days: u32,
    /// Whether that history spans the whole window; if not, the early part of the window
    /// is empty because the business (or its data) is younger than the window, and the
    /// trend and volatility read that as missing revenue.
    pub history_covers_window: bool,
}

impl DataBasis {
    fn of(snapshot: &MetricSnapshot) -> Self {
        let window = snapshot.parts.window;
        Self {
            window,
            currency: snapshot.parts.currency,
            data_synced_at: snapshot.data_synced_at,
            history_days: snapshot.history_days,
            history_covers_window: snapshot.history_days >= u32::from(window.days()),
        }
    }
}

/// A stored metric snapshot as shown to a reader.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsView {
    /// The snapshot's id.
    pub snapshot_id: Uuid,
    /// The business.
    pub business_id: Uuid,
    /// When the metrics were computed.
    pub computed_at: DateTime<Utc>,
    /// Window, currency, freshness and sufficiency of the data.
    #[serde(flatten)]
    pub basis: DataBasis,
    /// The metrics (the `metrics` object of the report contract).
    pub metrics: Metrics,
}

impl MetricsView {
    /// The view of a stored snapshot (fails only if the stored parts are incoherent).
    pub fn from_snapshot(snapshot: MetricSnapshot) -> Result<Self> {
        let basis = DataBasis::of(&snapshot);
        Ok(Self {
            snapshot_id: snapshot.id,
            business_id: snapshot.business_id,
            computed_at: snapshot.computed_at,
            basis,
            metrics: snapshot.parts.into_metrics()?,
        })
    }
}

/// A stored readiness score as shown to a reader.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreView {
    /// The score, tier, policy and factors, as stored.
    #[serde(flatten)]
    pub score: ScoreRecord,
    /// What the score rests on, from the snapshot it was computed from; `None` only for
    /// a score stored without a snapshot (not one this service computed).
    #[serde(flatten)]
    pub basis: Option<DataBasis>,
}

/// The storage the Metrics service works on.
#[derive(Debug, Clone)]
pub struct MetricsPorts {
    /// The membership check.
    pub businesses: Arc<dyn BusinessStore>,
    /// When the business's accounts last synced (the freshness of a snapshot).
    pub integrations: Arc<dyn IntegrationStore>,
    /// The payment data measured and how much history it has.
    pub payments: Arc<dyn PaymentStore>,
    /// Where snapshots and scores are kept.
    pub analytics: Arc<dyn AnalyticsStore>,
}

impl From<Arc<dyn Store>> for MetricsPorts {
    fn from(store: Arc<dyn Store>) -> Self {
        Self {
            businesses: store.clone(),
            integrations: store.clone(),
            payments: store.clone(),
            analytics: store,
        }
    }
}

/// Metric snapshots and readiness scores.
#[derive(Debug, Clone)]
pub struct MetricsService {
    businesses: Arc<dyn BusinessStore>,
    integrations: Arc<dyn IntegrationStore>,
    payments: Arc<dyn PaymentStore>,
    analytics: Arc<dyn AnalyticsStore>,
    clock: Arc<dyn Clock>,
    policy: Arc<Policy>,
}

impl MetricsService {
    /// A service over these ports, timed by `clock`, scoring under `policy`.
    pub fn new(ports: MetricsPorts, clock: Arc<dyn Clock>, policy: Arc<Policy>) -> Self {
        let MetricsPorts {
            businesses,
            integrations,
            payments,
            analytics,
        } = ports;
        Self {
            businesses,
            integrations,
            payments,
            analytics,
            clock,
            policy,
        }
    }

    /// The default window: the 30 days ending on the last complete UTC day by the clock
    /// (METRICS.md §2).
    pub fn default_window(&self) -> Result<Window> {
        Window::ending_yesterday(self.clock.now(), DEFAULT_WINDOW_DAYS)
    }

    /// Computes the metrics of `business` over `window` (reporting currency chosen from
    /// the data, as `vaultra score` does), stores them as a snapshot and returns it.
    ///
    /// Any member may refresh the metrics: a snapshot is derived data, not a change to the
    /// business. `NotFound` for a non-member or an unknown business.
    pub async fn compute_metrics(
        &self,
        actor: &Actor,
        business: Uuid,
        window: Window,
    ) -> Result<MetricsView> {
        self.compute_metrics_in(actor, business, window, CurrencyChoice::Auto)
            .await
    }

    /// [`Self::compute_metrics`] with the reporting currency chosen by the caller.
    pub async fn compute_metrics_in(
        &self,
        actor: &Actor,
        business: Uuid,
        window: Window,
        currency: CurrencyChoice,
    ) -> Result<MetricsView> {
        authorize(&*self.businesses, actor, business, Need::Member).await?;
        // The sync time is read before the payment data: a sync finishing in between then
        // makes the snapshot look older than its data, never newer.
        let data_synced_at = self
            .integrations
            .accounts_of(business)
            .await?
            .iter()
            .filter_map(|a| a.last_synced_at)
            .max();
        let data = self.payments.payment_data(business, window).await?;
        let computed = metrics::compute(&data, window, currency);
        let coverage = self.payments.coverage(business).await?;
        let snapshot = self
            .analytics
            .insert_snapshot(NewSnapshot {
                business_id: business,
                computed_at: self.clock.now(),
                parts: computed.parts(),
                data_synced_at,
                history_days: history_days(coverage.first_charge_at, window.end_date()),
            })
            .await?;
        MetricsView::from_snapshot(snapshot)
    }

    /// The most recently computed snapshot, or `None` before the first computation.
    pub async fn get_latest_metrics(
        &self,
        actor: &Actor,
        business: Uuid,
    ) -> Result<Option<MetricsView>> {
        authorize(&*self.businesses, actor, business, Need::Member).await?;
        self.analytics
            .latest_snapshot(business)
            .await?
            .map(MetricsView::from_snapshot)
            .transpose()
    }

    /// The snapshots whose window ends within `start..=end`, oldest computation first.
    /// `Invalid` if `start` is after `end`.
    pub async fn get_metric_history(
        &self,
        actor: &Actor,
        business: Uuid,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<MetricsView>> {
        authorize(&*self.businesses, actor, business, Need::Member).await?;
        if start > end {
            return Err(Error::invalid(
                "start_date",
                format!("{start} is after the end date {end}"),
            ));
        }
        self.analytics
            .snapshots_between(business, start, end)
            .await?
            .into_iter()
            .map(MetricsView::from_snapshot)
            .collect()
    }

    /// Scores the latest snapshot under the service's policy and stores the score, linked
    /// to that snapshot.
    ///
    /// `NotFound` with entity `metric snapshot` if no metrics were computed yet (compute
    /// them first); `NotFound` (business) for a non-member.
    pub async fn compute_readiness_score(
        &self,
        actor: &Actor,
        business: Uuid,
    ) -> Result<ScoreView> {
        authorize(&*self.businesses, actor, business, Need::Member).await?;
        let snapshot = self
            .analytics
            .latest_snapshot(business)
            .await?
            .ok_or_else(|| no_snapshot(business))?;
        let readiness = score(&self.policy, &Indicators::from(&metrics_of(&snapshot)?));
        let record = self
            .analytics
            .insert_score(NewScore {
                business_id: business,
                snapshot_id: Some(snapshot.id),
                computed_at: self.clock.now(),
                readiness,
            })
            .await?;
        Ok(ScoreView {
            score: record,
            basis: Some(DataBasis::of(&snapshot)),
        })
    }

    /// The most recently computed score, or `None` before the first one.
    pub async fn get_readiness_score(
        &self,
        actor: &Actor,
        business: Uuid,
    ) -> Result<Option<ScoreView>> {
        authorize(&*self.businesses, actor, business, Need::Member).await?;
        match self.analytics.latest_score(business).await? {
            Some(record) => Ok(Some(self.score_view(record).await?)),
            None => Ok(None),
        }
    }

    /// The last `limit` scores, newest first. `limit` must be within
    /// 1..=[`MAX_HISTORY_LIMIT`] ([`DEFAULT_HISTORY_LIMIT`] is the usual choice).
    pub async fn get_readiness_history(
        &self,
        actor: &Actor,
        business: Uuid,
        limit: u32,
    ) -> Result<Vec<ScoreView>> {
        authorize(&*self.businesses, actor, business, Need::Member).await?;
        if !(1..=MAX_HISTORY_LIMIT).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                format!("{limit} is outside 1..={MAX_HISTORY_LIMIT}"),
            ));
        }
        let records = self.analytics.score_history(business, limit).await?;
        let mut views = Vec::with_capacity(records.len());
        // Scores computed in a row often share a snapshot; read each snapshot once.
        let mut last: Option<MetricSnapshot> = None;
        for record in records {
            let basis = match record.snapshot_id {
                None => None,
                Some(id) => {
                    if last.as_ref().is_none_or(|s| s.id != id) {
                        last = Some(self.analytics.get_snapshot(id).await?);
                    }
                    last.as_ref().map(DataBasis::of)
                }
            };
            views.push(ScoreView {
                score: record,
                basis,
            });
        }
        Ok(views)
    }

    async fn score_view(&self, record: ScoreRecord) -> Result<ScoreView> {
        let basis = match record.snapshot_id {
            Some(id) => Some(DataBasis::of(&self.analytics.get_snapshot(id).await?)),
            None => None,
        };
        Ok(ScoreView {
            score: record,
            basis,
        })
    }
}

/// The error for a business without metrics yet.
pub(crate) fn no_snapshot(business: Uuid) -> Error {
    Error::not_found("metric snapshot", business)
}

/// Days of charge history: the UTC days from the day of `first_charge` through `through`,
/// inclusive; 0 without charges or when the first charge is after `through`.
///
/// The one definition of "history days" in Vaultra: a snapshot counts through its
/// window's last day, and so does every result about a window; a result about no window
/// counts through the default window's last day (yesterday).
pub fn history_days(first_charge: Option<DateTime<Utc>>, through: NaiveDate) -> u32 {
    let Some(first) = first_charge else {
        return 0;
    };
    let days = through.signed_duration_since(first.date_naive()).num_days() + 1;
    u32::try_from(days.max(0)).unwrap_or(u32::MAX)
}

/// The exact metrics a snapshot keeps, rebuilt from its counts and sums.
pub(crate) fn metrics_of(snapshot: &MetricSnapshot) -> Result<Metrics> {
    MetricParts::into_metrics(snapshot.parts.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history_days(first: Option<DateTime<Utc>>, window: Window) -> u32 {
        super::history_days(first, window.end_date())
    }

    fn coverage(first: Option<&str>) -> Option<DateTime<Utc>> {
        first.map(|s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    #[test]
    fn history_counts_days_through_the_window_end() {
        let window = Window::new("2026-03-31".parse().unwrap(), 30).unwrap();
        assert_eq!(history_days(coverage(None), window), 0);
        // A charge on the window's last day: one day of history.
        assert_eq!(
            history_days(coverage(Some("2026-03-31T23:59:59Z")), window),
            1
        );
        // After the window: nothing of it is history for this window.
        assert_eq!(
            history_days(coverage(Some("2026-04-01T00:00:00Z")), window),
            0
        );
        // Exactly the window.
        assert_eq!(
            history_days(coverage(Some("2026-03-02T00:00:00Z")), window),
            30
        );
        assert_eq!(
            history_days(coverage(Some("2025-03-31T12:00:00Z")), window),
            366
        );
    }
}
