//! The Recommendations service: the rules of METRICS.md §5 with their lifecycle.
//!
//! [`RecommendationsService::generate_recommendations`] scores the latest metric snapshot
//! under the service's policy — exactly the score [`MetricsService::compute_readiness_score`]
//! stores for it, since a snapshot keeps exact counts and sums — and runs [`recommend`]
//! over it. Each resulting recommendation then goes through the lifecycle:
//!
//! - a **live** one (pending or accepted) of the same code is refreshed in place — new
//!   priority, impact and texts, same id and status — never duplicated
//!   ([`RecommendationStore::upsert_live`] holds that even under concurrency);
//! - otherwise, a code **dismissed** less than
//!   [`DISMISSAL_SUPPRESSION_DAYS`](crate::recommend::DISMISSAL_SUPPRESSION_DAYS) ago by
//!   the injected clock is skipped;
//! - otherwise a new pending one is stored.
//!
//! A recommendation whose rule no longer fires is left as it is: the owner may still
//! want to see what they accepted, and nothing in §5 retires one.
//!
//! Known narrow race: a dismissal landing between the suppression check and the insert
//! of the same code lets that one run store a new pending recommendation. The jobs run
//! once a day per business, so this needs a dismissal in the same milliseconds.
//!
//! [`MetricsService::compute_readiness_score`]: super::metrics::MetricsService::compute_readiness_score
//! [`RecommendationStore::upsert_live`]: crate::ports::storage::RecommendationStore::upsert_live

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::access::{Actor, Need, authorize};
use super::metrics::{metrics_of, no_snapshot};
use crate::error::{Error, Result};
use crate::ports::Clock;
use crate::ports::storage::{RecommendationRecord, Store};
use crate::recommend::{Priority, Recommendation, RecommendationStatus, is_suppressed, recommend};
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

/// Recommendations for a business and their status.
#[derive(Debug, Clone)]
pub struct RecommendationsService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    policy: Arc<Policy>,
}

impl RecommendationsService {
    /// A service over `store`, timed by `clock` (dismissal suppression is measured with
    /// it), with the rules of `policy`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, policy: Arc<Policy>) -> Self {
        Self {
            store,
            clock,
            policy,
        }
    }

    /// Runs the rules over the latest metric snapshot and stores the result through the
    /// lifecycle (see the module documentation).
    ///
    /// Returns the live recommendations this run stored or refreshed, in §5 order
    /// (suppressed codes are absent). `NotFound` with entity `metric snapshot` if no
    /// metrics were computed yet; `NotFound` (business) for a non-member.
    pub async fn generate_recommendations(
        &self,
        actor: &Actor,
        business: Uuid,
    ) -> Result<Vec<RecommendationRecord>> {
        authorize(&*self.store, actor, business, Need::Member).await?;
        let snapshot = self
            .store
            .latest_snapshot(business)
            .await?
            .ok_or_else(|| no_snapshot(business))?;
        let metrics = metrics_of(&snapshot)?;
        let readiness = score(&self.policy, &Indicators::from(&metrics));
        let now = self.clock.now();

        let live: HashSet<String> = self
            .store
            .list_recommendations(business, None, None)
            .await?
            .into_iter()
            .filter(|r| r.status != RecommendationStatus::Dismissed)
            .map(|r| r.code)
            .collect();

        let mut stored = Vec::new();
        for rec in recommend(&self.policy, &readiness, Some(&metrics)) {
            // A live one is always refreshed: its numbers must not go stale. Suppression
            // only stops a dismissed code from coming back as a new pending one.
            if !live.contains(&rec.code)
                && let Some(dismissed_at) =
                    self.store.last_dismissed_at(business, &rec.code).await?
                && is_suppressed(dismissed_at, now)
            {
                continue;
            }
            stored.push(self.store.upsert_live(business, &rec, now).await?);
        }
        Ok(stored)
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
        authorize(&*self.store, actor, business, Need::Member).await?;
        let now = self.clock.now();
        let mut live: HashMap<String, (RecommendationStatus, Uuid)> = HashMap::new();
        let mut dismissed: HashMap<String, DateTime<Utc>> = HashMap::new();
        for r in self
            .store
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
    pub async fn get_recommendations(
        &self,
        actor: &Actor,
        business: Uuid,
        status: Option<RecommendationStatus>,
        priority: Option<Priority>,
    ) -> Result<Vec<RecommendationRecord>> {
        authorize(&*self.store, actor, business, Need::Member).await?;
        self.store
            .list_recommendations(business, status, priority)
            .await
    }

    /// Accepts or dismisses a pending recommendation on behalf of `user`, a member (any
    /// role) of the recommendation's business.
    ///
    /// `Invalid` if `status` is `pending`; `NotFound` (entity `recommendation`) if it does
    /// not exist or the user is not a member of its business (the two look the same);
    /// `Conflict` if it is no longer pending — also when another request changed it
    /// first, since the change is a compare-and-set on the pending status.
    pub async fn update_recommendation_status(
        &self,
        user: Uuid,
        id: Uuid,
        status: RecommendationStatus,
    ) -> Result<RecommendationRecord> {
        if status == RecommendationStatus::Pending {
            return Err(Error::invalid(
                "status",
                "a recommendation can only be accepted or dismissed",
            ));
        }
        let current = self.store.get_recommendation(id).await?;
        authorize(
            &*self.store,
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
        self.store
            .set_recommendation_status(id, current.status, status, self.clock.now())
            .await
    }
}
