//! The Recommendations service: the rules of METRICS.md §5 with their lifecycle.
//!
//! [`RecommendationsService::generate_recommendations`] scores the latest metric snapshot
//! under the service's policy — exactly the score [`MetricsService::compute_readiness_score`]
//! stores for it, since a snapshot keeps exact counts and sums — and runs [`recommend`]
//! over it. The store applies the run in one step ([`RecommendationStore::store_generation`]):
//!
//! - a **live** one (pending or accepted) of the same code is refreshed in place — new
//!   priority, impact and texts, same id and status — never duplicated;
//! - otherwise, a code **dismissed** less than
//!   [`DISMISSAL_SUPPRESSION_DAYS`](crate::recommend::DISMISSAL_SUPPRESSION_DAYS) ago by
//!   the injected clock is skipped;
//! - otherwise a new pending one is stored;
//! - a **pending** one whose rule no longer fires becomes **resolved** (§5 "Retiring"); an
//!   accepted one stays accepted — the owner may still want to see what they took on. A
//!   resolved one is never reopened: when its rule fires again, a new pending one is made.
//!
//! The suppression check is part of the store's write, not a read before it: the store
//! serializes a run with the status changes of the same business, so a dismissal racing
//! a run never leaves a pending recommendation of the code it dismissed.
//!
//! Users move recommendations only pending → accepted or dismissed
//! ([`RecommendationStatus::transition`]); `resolved` is set by generation runs alone.
//! Lists without a status filter leave resolved ones out; they are listed with
//! `status = resolved`.
//!
//! [`MetricsService::compute_readiness_score`]: super::metrics::MetricsService::compute_readiness_score
//! [`RecommendationStore::store_generation`]: crate::ports::storage::RecommendationStore::store_generation

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::access::{Actor, Need, authorize};
use super::metrics::{metrics_of, no_snapshot};
use crate::error::{Error, Result};
use crate::ports::Clock;
use crate::ports::storage::{
    AnalyticsStore, BusinessStore, RecommendationRecord, RecommendationStore, Store,
};
use crate::recommend::{
    Priority, Recommendation, RecommendationStatus, is_suppressed, recommend, suppressed_after,
};
use crate::scoring::{Indicators, Policy, score};

/// A recommendation of a freshly computed report as the owner sees it: with the id and
/// status of its live stored record when the jobs have stored one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopRecommendation {
    /// The computed recommendation (its numbers are those of the report's window).
    #[serde(flatten)]
    pub recommendation: Recommendation,
    /// The live stored record's status (`pending` or `accepted`), if one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<RecommendationStatus>,
    /// The live stored record's id, if one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
}

/// The storage the Recommendations service works on.
#[derive(Debug, Clone)]
pub struct RecommendationsPorts {
    /// The membership check.
    pub businesses: Arc<dyn BusinessStore>,
    /// The latest metric snapshot the rules run over.
    pub analytics: Arc<dyn AnalyticsStore>,
    /// The stored recommendations and their lifecycle.
    pub recommendations: Arc<dyn RecommendationStore>,
}

impl From<Arc<dyn Store>> for RecommendationsPorts {
    fn from(store: Arc<dyn Store>) -> Self {
        Self {
            businesses: store.clone(),
            analytics: store.clone(),
            recommendations: store,
        }
    }
}

/// Recommendations for a business and their status.
#[derive(Debug, Clone)]
pub struct RecommendationsService {
    businesses: Arc<dyn BusinessStore>,
    analytics: Arc<dyn AnalyticsStore>,
    recommendations: Arc<dyn RecommendationStore>,
    clock: Arc<dyn Clock>,
    policy: Arc<Policy>,
}

impl RecommendationsService {
    /// A service over these ports, timed by `clock` (dismissal suppression is measured
    /// with it), with the rules of `policy`.
    pub fn new(ports: RecommendationsPorts, clock: Arc<dyn Clock>, policy: Arc<Policy>) -> Self {
        let RecommendationsPorts {
            businesses,
            analytics,
            recommendations,
        } = ports;
        Self {
            businesses,
            analytics,
            recommendations,
            clock,
            policy,
        }
    }

    /// Runs the rules over the latest metric snapshot and stores the result through the
    /// lifecycle (see the module documentation), resolving pending ones whose rule no
    /// longer fires.
    ///
    /// Returns the live recommendations this run stored or refreshed, in §5 order
    /// (suppressed codes are absent). `NotFound` with entity `metric snapshot` if no
    /// metrics were computed yet; `NotFound` (business) for a non-member.
    pub async fn generate_recommendations(
        &self,
        actor: &Actor,
        business: Uuid,
    ) -> Result<Vec<RecommendationRecord>> {
        authorize(&*self.businesses, actor, business, Need::Member).await?;
        let snapshot = self
            .analytics
            .latest_snapshot(business)
            .await?
            .ok_or_else(|| no_snapshot(business))?;
        let metrics = metrics_of(&snapshot)?;
        let readiness = score(&self.policy, &Indicators::from(&metrics));
        let now = self.clock.now();
        let recs = recommend(&self.policy, &readiness, Some(&metrics));
        self.recommendations
            .store_generation(business, &recs, now, suppressed_after(now))
            .await
    }

    /// The first `limit` of `computed` (a report's recommendations, in §5 order) that the
    /// owner should see now, under the same §5 lifecycle that
    /// [`Self::generate_recommendations`] applies when it stores them:
    ///
    /// - a code with a live stored record carries that record's id and status;
    /// - a code without one that was dismissed less than the suppression period ago is
    ///   left out (a dismissal hides a code even from a live computation);
    /// - everything else is shown as computed, with no id or status.
    ///
    /// This is the one place that decides what "the top recommendations" are, for every
    /// host. `NotFound` (business) for a non-member.
    pub async fn top_recommendations(
        &self,
        actor: &Actor,
        business: Uuid,
        computed: &[Recommendation],
        limit: usize,
    ) -> Result<Vec<TopRecommendation>> {
        authorize(&*self.businesses, actor, business, Need::Member).await?;
        let now = self.clock.now();
        let mut live: HashMap<String, (RecommendationStatus, Uuid)> = HashMap::new();
        let mut dismissed: HashMap<String, DateTime<Utc>> = HashMap::new();
        for r in self
            .recommendations
            .list_recommendations(business, None, None)
            .await?
        {
            if r.status.is_live() {
                live.insert(r.code, (r.status, r.id));
            } else if r.status == RecommendationStatus::Dismissed {
                let at = r.status_changed_at.unwrap_or(r.updated_at);
                let latest = dismissed.entry(r.code).or_insert(at);
                *latest = (*latest).max(at);
            }
        }
        let mut out = Vec::new();
        for rec in computed {
            if out.len() >= limit {
                break;
            }
            let stored = live.get(&rec.code);
            if stored.is_none()
                && dismissed
                    .get(&rec.code)
                    .is_some_and(|at| is_suppressed(*at, now))
            {
                continue;
            }
            out.push(TopRecommendation {
                recommendation: rec.clone(),
                status: stored.map(|(status, _)| *status),
                id: stored.map(|(_, id)| *id),
            });
        }
        Ok(out)
    }

    /// The business's recommendations, optionally filtered by status and priority, in §5
    /// order (priority, impact descending, code), then newest first. `NotFound` for a
    /// non-member.
    ///
    /// With no status filter (`status = None`), every status except `resolved`: pending,
    /// accepted and dismissed. Resolved ones — retired by the system when their rule
    /// stopped firing — are listed only with `Some(RecommendationStatus::Resolved)`.
    pub async fn get_recommendations(
        &self,
        actor: &Actor,
        business: Uuid,
        status: Option<RecommendationStatus>,
        priority: Option<Priority>,
    ) -> Result<Vec<RecommendationRecord>> {
        authorize(&*self.businesses, actor, business, Need::Member).await?;
        self.recommendations
            .list_recommendations(business, status, priority)
            .await
    }

    /// Accepts or dismisses a pending recommendation on behalf of `user`, a member (any
    /// role) of the recommendation's business.
    ///
    /// `Invalid` if `status` is `pending` or `resolved` (only the system resolves);
    /// `NotFound` (entity `recommendation`) if it does not exist or the user is not a
    /// member of its business (the two look the same); `Conflict` if it is no longer
    /// pending (accepted, dismissed or resolved) — also when another request or a
    /// generation run changed it first, since the change is a compare-and-set on the
    /// pending status.
    pub async fn update_recommendation_status(
        &self,
        user: Uuid,
        id: Uuid,
        status: RecommendationStatus,
    ) -> Result<RecommendationRecord> {
        if matches!(
            status,
            RecommendationStatus::Pending | RecommendationStatus::Resolved
        ) {
            return Err(Error::invalid(
                "status",
                "a recommendation can only be accepted or dismissed",
            ));
        }
        let current = self.recommendations.get_recommendation(id).await?;
        authorize(
            &*self.businesses,
            &Actor::User(user),
            current.business_id,
            Need::Member,
        )
        .await
        .map_err(|e| match e {
            // Hide the recommendation itself, not only its business, from strangers.
            Error::NotFound { .. } => Error::not_found("recommendation", id),
            other => other,
        })?;
        current.status.transition(status)?;
        self.recommendations
            .set_recommendation_status(id, current.status, status, self.clock.now())
            .await
    }
}
