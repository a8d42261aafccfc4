//! Use cases the network hosts need beyond reports: members, the Stripe connection's
//! status and a queued sync, the Connect callback a browser brings back, and a
//! recommendation changed under the business a route names.
//!
//! They live here, not in a host, so that the HTTP service, a Rust program mounting its
//! router and any later host apply the same access rules.

use chrono::{DateTime, DurationRound, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{Assessment, Freshness, Vaultra, WindowSpec, user_of};
use crate::domain::{ConnectionStatus, Membership, Provider, Role, normalize_email};
use crate::error::{Error, Result};
use crate::metrics::Window;
use crate::ports::storage::RecommendationRecord;
use crate::ports::{JobKind, JobTask};
use crate::recommend::RecommendationStatus;
use crate::scoring::Factor;
use crate::services::Actor;
use crate::services::access::{Need, authorize};
use crate::services::stripe_connect::Connected;

/// A business's Stripe connection as a client shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StripeStatus {
    /// Whether a connected Stripe account is linked.
    pub connected: bool,
    /// The connected account (`acct_…`), if any.
    pub account_id: Option<String>,
    /// When its last sync completed.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// `never`, `ok` or `failed` (the last sync's outcome); `disconnected` when the
    /// account was unlinked, `none` without an account.
    pub sync_status: &'static str,
    /// The last sync's error, if it failed.
    pub last_error: Option<String>,
}

/// A sync put on the job queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncQueued {
    /// The accounts whose sync was queued.
    pub accounts: Vec<String>,
    /// Tasks newly queued (0 when the same sync is already waiting).
    pub queued: usize,
    /// The slot the tasks run for (a minute: requests within it share one sync).
    pub slot: DateTime<Utc>,
}

/// The readiness of a business over the default window, as a client shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadinessView {
    /// The business.
    pub business_id: Uuid,
    /// The window scored.
    pub window: Window,
    /// 0–100.
    pub score: i32,
    /// Tier code.
    pub tier: String,
    /// Tier label.
    pub tier_label: String,
    /// The policy's name.
    pub policy: String,
    /// The highest score the policy can give.
    pub max_attainable: i32,
    /// Every factor with its explanation.
    pub factors: Vec<Factor>,
    /// Explanations of what raises the score.
    pub helps: Vec<String>,
    /// Explanations of what lowers it.
    pub hurts: Vec<String>,
    /// How fresh and deep the data is.
    pub freshness: Freshness,
}

impl Vaultra {
    /// The readiness of the default window with its factors and the data's freshness.
    pub async fn readiness(&self, actor: &Actor, business: Uuid) -> Result<ReadinessView> {
        let b = self
            .readiness_breakdown(actor, business, &Assessment::new(WindowSpec::DEFAULT))
            .await?;
        let r = b.report.readiness;
        Ok(ReadinessView {
            business_id: business,
            window: b.report.window,
            score: r.score,
            tier: r.tier,
            tier_label: r.tier_label,
            policy: r.policy,
            max_attainable: r.max_attainable,
            factors: r.factors,
            helps: b.helps,
            hurts: b.hurts,
            freshness: b.freshness,
        })
    }

    /// Adds the user with `email` to a business with `role` (`admin` or `member`). Only
    /// the owner may; the user must have an account. `Conflict` if already a member.
    pub async fn add_member_by_email(
        &self,
        actor: &Actor,
        business: Uuid,
        email: &str,
        role: Role,
    ) -> Result<Membership> {
        if role == Role::Owner {
            return Err(Error::invalid(
                "role",
                "a business has one owner; add members as admin or member",
            ));
        }
        let email = normalize_email(email)?;
        let held = authorize(&*self.store, actor, business, Need::Manager).await?;
        if held.is_some_and(|r| r != Role::Owner) {
            return Err(Error::permission_denied(
                "adding members needs the owner role",
            ));
        }
        let user = self
            .store
            .find_user_by_email(&email)
            .await?
            .ok_or_else(|| Error::not_found("user", &email))?;
        if self.store.membership(user.id, business).await?.is_some() {
            return Err(Error::conflict(format!(
                "{email} is already a member of this business"
            )));
        }
        self.store.add_member(business, user.id, role).await
    }

    /// The business's Stripe connection (any member).
    pub async fn stripe_status(&self, actor: &Actor, business: Uuid) -> Result<StripeStatus> {
        self.business(actor, business).await?;
        let accounts = self.store.accounts_of(business).await?;
        let stripe: Vec<_> = accounts
            .into_iter()
            .filter(|a| a.provider == Provider::Stripe)
            .collect();
        // A connected account wins over an older, disconnected one.
        let account = stripe
            .iter()
            .find(|a| a.status == ConnectionStatus::Connected)
            .or_else(|| stripe.first());
        Ok(match account {
            None => StripeStatus {
                connected: false,
                account_id: None,
                last_synced_at: None,
                sync_status: "none",
                last_error: None,
            },
            Some(a) => {
                let connected = a.status == ConnectionStatus::Connected;
                let sync_status = match (connected, &a.last_error, a.last_synced_at) {
                    (false, _, _) => "disconnected",
                    (true, Some(_), _) => "failed",
                    (true, None, Some(_)) => "ok",
                    (true, None, None) => "never",
                };
                StripeStatus {
                    connected,
                    account_id: Some(a.external_id.clone()),
                    last_synced_at: a.last_synced_at,
                    sync_status,
                    last_error: a.last_error.clone(),
                }
            }
        })
    }

    /// Queues a sync of every connected Stripe account of the business (owner or
    /// admin) for the worker. Requests within the same minute share one task.
    /// `Invalid` (field `business`) without a connected account; `Unavailable` on a
    /// host without a job queue.
    pub async fn enqueue_stripe_sync(&self, actor: &Actor, business: Uuid) -> Result<SyncQueued> {
        self.checked(actor, business, Need::Manager).await?;
        let queue = self
            .queue
            .as_ref()
            .ok_or_else(|| Error::unavailable("this host has no job queue", false))?;
        let accounts: Vec<_> = self
            .store
            .accounts_of(business)
            .await?
            .into_iter()
            .filter(|a| a.provider == Provider::Stripe && a.status == ConnectionStatus::Connected)
            .collect();
        if accounts.is_empty() {
            return Err(Error::invalid(
                "business",
                "this business has no connected Stripe account: connect one first",
            ));
        }
        let now = self.clock.now();
        let slot = now
            .duration_trunc(chrono::Duration::minutes(1))
            .unwrap_or(now);
        let tasks: Vec<_> = accounts
            .iter()
            .map(|a| JobTask::for_subject(JobKind::StripeSync, a.id, slot))
            .collect();
        let report = queue.enqueue(&tasks).await?;
        Ok(SyncQueued {
            accounts: accounts.into_iter().map(|a| a.external_id).collect(),
            queued: report.queued,
            slot,
        })
    }

    /// Completes a Connect flow from the provider's redirect alone: the browser that
    /// comes back carries no bearer token, so the single-use, expiring `state` (bound
    /// to the user and business that started the flow) is the credential.
    pub async fn complete_stripe_connect_by_state(
        &self,
        state: &str,
        code: &str,
    ) -> Result<Connected> {
        self.connect_service()?
            .complete_connect_by_state(state, code)
            .await
    }

    /// Spends the `state` of a flow the user cancelled on the provider's page, so it
    /// cannot be used later. Unknown states are ignored.
    pub async fn abandon_stripe_connect(&self, state: &str) -> Result<()> {
        self.connect_service()?.abandon_connect(state).await
    }

    /// The recommendations of a business (any member), optionally filtered.
    pub async fn recommendations_of(
        &self,
        actor: &Actor,
        business: Uuid,
        status: Option<RecommendationStatus>,
        priority: Option<crate::recommend::Priority>,
    ) -> Result<Vec<RecommendationRecord>> {
        self.recommendations
            .get_recommendations(actor, business, status, priority)
            .await
    }

    /// Accepts or dismisses a recommendation of `business`. A recommendation of another
    /// business is `NotFound`, as is one the user may not see.
    pub async fn update_business_recommendation(
        &self,
        actor: &Actor,
        business: Uuid,
        id: Uuid,
        status: RecommendationStatus,
    ) -> Result<RecommendationRecord> {
        let user = user_of(actor)?;
        self.business(actor, business).await?;
        match self.store.get_recommendation(id).await {
            Ok(r) if r.business_id == business => {}
            Ok(_) | Err(Error::NotFound { .. }) => {
                return Err(Error::not_found("recommendation", id));
            }
            Err(e) => return Err(e),
        }
        self.recommendations
            .update_recommendation_status(user, id, status)
            .await
    }
}
