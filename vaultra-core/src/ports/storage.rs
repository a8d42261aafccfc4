//! Storage ports, one trait per aggregate.
//!
//! Every method is a unit of work: it succeeds whole or changes nothing. Errors are the
//! categories of [`crate::Error`]: `NotFound` for a missing id, `Conflict` for a unique
//! rule broken (duplicate e-mail, membership, connected account) or a refused state
//! change, `Invalid` for values the store cannot hold, `Unavailable` (retryable) when
//! the database cannot be reached or a transaction must be retried.
//!
//! Times are UTC and stored at microsecond precision; ids are UUIDs the store assigns.
//! The contract of each method is tested for every backend by `crate::testkit`.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{
    Business, BusinessUpdate, Charge, ConnectionStatus, Dispute, IntegrationAccount, Membership,
    NewBusiness, NewUser, PaymentData, Payout, PayoutPaid, Provider, Role, User, UserUpdate,
};
use crate::error::Result;
use crate::metrics::{MetricParts, Window};
use crate::recommend::{Priority, Recommendation, RecommendationStatus};

/// Users (`users`).
#[async_trait]
pub trait UserStore: Send + Sync + Debug + 'static {
    /// Creates a user from a validated [`NewUser`]. `Conflict` if the e-mail is taken
    /// (compared case-insensitively: stores keep e-mails lowercased).
    async fn create_user(&self, new: NewUser) -> Result<User>;
    /// The user with `id`; `NotFound` if none.
    async fn get_user(&self, id: Uuid) -> Result<User>;
    /// The user with this e-mail (any case), if any.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// Applies a profile update and returns the new state; `NotFound` if none.
    async fn update_user(&self, id: Uuid, update: UserUpdate) -> Result<User>;
    /// Replaces the password hash; `NotFound` if none.
    async fn set_password_hash(&self, id: Uuid, hash: &str) -> Result<()>;
}

/// Businesses and memberships (`businesses`, `user_business_memberships`).
#[async_trait]
pub trait BusinessStore: Send + Sync + Debug + 'static {
    /// Creates a business and makes `owner` its `owner`, atomically. `NotFound` if the
    /// user does not exist.
    async fn create_business(&self, owner: Uuid, new: NewBusiness) -> Result<Business>;
    /// The business with `id`; `NotFound` if none.
    async fn get_business(&self, id: Uuid) -> Result<Business>;
    /// Applies an update and returns the new state; `NotFound` if none.
    async fn update_business(&self, id: Uuid, update: BusinessUpdate) -> Result<Business>;
    /// Every business, oldest first (ties by id).
    async fn list_businesses(&self) -> Result<Vec<Business>>;
    /// The businesses `user` belongs to with the user's role, oldest first.
    async fn businesses_of(&self, user: Uuid) -> Result<Vec<(Business, Role)>>;
    /// `user`'s membership of `business`, if any.
    async fn membership(&self, user: Uuid, business: Uuid) -> Result<Option<Membership>>;
    /// Adds a member. `Conflict` if already a member; `NotFound` if either does not exist.
    async fn add_member(&self, business: Uuid, user: Uuid, role: Role) -> Result<Membership>;
}

/// Connected accounts and their sync state (`integration_accounts`, `sync_cursors`).
#[async_trait]
pub trait IntegrationStore: Send + Sync + Debug + 'static {
    /// Links `external_id` at `provider` to `business`. Linking the same account to the
    /// same business again is a no-op that marks it connected; `Conflict` if another
    /// business holds it; `NotFound` if the business does not exist.
    async fn link_account(
        &self,
        business: Uuid,
        provider: Provider,
        external_id: &str,
    ) -> Result<IntegrationAccount>;
    /// The account with `id`; `NotFound` if none.
    async fn get_account(&self, id: Uuid) -> Result<IntegrationAccount>;
    /// The account with this provider id, if any.
    async fn find_account(
        &self,
        provider: Provider,
        external_id: &str,
    ) -> Result<Option<IntegrationAccount>>;
    /// The accounts of a business, oldest first.
    async fn accounts_of(&self, business: Uuid) -> Result<Vec<IntegrationAccount>>;
    /// Every connected account at `provider`, oldest first.
    async fn connected_accounts(&self, provider: Provider) -> Result<Vec<IntegrationAccount>>;
    /// Sets the status; `NotFound` if none.
    async fn set_account_status(
        &self,
        id: Uuid,
        status: ConnectionStatus,
    ) -> Result<IntegrationAccount>;
    /// Records a successful sync: sets `last_synced_at`, clears `last_error`.
    async fn record_sync_success(&self, id: Uuid, at: DateTime<Utc>) -> Result<()>;
    /// Records a failed sync's error; `last_synced_at` is left unchanged.
    async fn record_sync_failure(&self, id: Uuid, error: &str) -> Result<()>;
    /// The saved cursor of one stream (`charges`, `events`, …) of an account, if any.
    async fn cursor(&self, account: Uuid, stream: &str) -> Result<Option<String>>;
}

/// One object to store, with the provider's raw JSON when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingest<T> {
    /// The normalized object.
    pub object: T,
    /// The object exactly as the provider sent it.
    pub raw: Option<serde_json::Value>,
}

impl<T> Ingest<T> {
    /// An object without raw JSON.
    pub fn bare(object: T) -> Self {
        Self { object, raw: None }
    }
}

/// A page (or a whole import) of payment objects, stored in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestBatch {
    /// Charges.
    pub charges: Vec<Ingest<Charge>>,
    /// Payouts.
    pub payouts: Vec<Ingest<Payout>>,
    /// Disputes.
    pub disputes: Vec<Ingest<Dispute>>,
    /// `payout.paid` events.
    pub payout_paid: Vec<PayoutPaid>,
}

impl IngestBatch {
    /// Number of objects in the batch.
    pub fn len(&self) -> usize {
        self.charges.len() + self.payouts.len() + self.disputes.len() + self.payout_paid.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A sync position saved in the same transaction as the page it follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorUpdate {
    /// The account synced.
    pub account: Uuid,
    /// The stream (`charges`, `payouts`, `disputes`, `events`, …).
    pub stream: String,
    /// Where the next page starts.
    pub value: String,
}

/// What an ingest wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IngestStats {
    /// Charges inserted or updated.
    pub charges: u64,
    /// Payouts inserted or updated.
    pub payouts: u64,
    /// Disputes inserted or updated.
    pub disputes: u64,
    /// Payout-paid events recorded.
    pub payout_paid: u64,
}

/// How much payment history a business has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Charges stored.
    pub charges: u64,
    /// Creation time of the oldest charge.
    pub first_charge_at: Option<DateTime<Utc>>,
    /// Creation time of the newest charge.
    pub last_charge_at: Option<DateTime<Utc>>,
}

/// Raw payment objects (`charges`, `payouts`, `disputes`, `payout_paid_events`).
#[async_trait]
pub trait PaymentStore: Send + Sync + Debug + 'static {
    /// Upserts a batch for `business` in one transaction, idempotently by Stripe id: a
    /// re-sent object replaces the stored state (never a twin), a repeated event is
    /// recorded once. With `cursor`, the cursor is saved in the same transaction, so a
    /// crash never separates a page from its position. `account` names the connected
    /// account the objects came from (none for file imports). `NotFound` if the business
    /// (or account) does not exist; on any error nothing is written.
    async fn ingest(
        &self,
        business: Uuid,
        account: Option<Uuid>,
        batch: &IngestBatch,
        cursor: Option<&CursorUpdate>,
    ) -> Result<IngestStats>;

    /// Everything the metric pass needs for `window`: charges and disputes created in
    /// it, payouts arriving in it, and the paid times of those payouts.
    async fn payment_data(&self, business: Uuid, window: Window) -> Result<PaymentData>;

    /// How much charge history a business has.
    async fn coverage(&self, business: Uuid) -> Result<Coverage>;
}

/// A stored metric snapshot (`financial_metric_snapshots`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSnapshot {
    /// Our id.
    pub id: Uuid,
    /// The business.
    pub business_id: Uuid,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// The counts and sums; [`MetricParts::into_metrics`] rebuilds the exact metrics.
    pub parts: MetricParts,
    /// When the data behind it was last synced (none for imported data).
    pub data_synced_at: Option<DateTime<Utc>>,
    /// Days of charge history the business had then.
    pub history_days: u32,
}

/// A snapshot to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSnapshot {
    /// The business.
    pub business_id: Uuid,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// The counts and sums.
    pub parts: MetricParts,
    /// When the data behind it was last synced.
    pub data_synced_at: Option<DateTime<Utc>>,
    /// Days of charge history.
    pub history_days: u32,
}

/// A stored readiness score (`readiness_scores`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRecord {
    /// Our id.
    pub id: Uuid,
    /// The business.
    pub business_id: Uuid,
    /// The snapshot it was computed from.
    pub snapshot_id: Option<Uuid>,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// 0–100.
    pub score: i32,
    /// Tier code.
    pub tier: String,
    /// Tier label.
    pub tier_label: String,
    /// Policy name.
    pub policy: String,
    /// Highest score the policy can give.
    pub max_attainable: i32,
    /// The factors as serialized by [`crate::scoring::Readiness`].
    pub factors: serde_json::Value,
}

/// A score to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScore {
    /// The business.
    pub business_id: Uuid,
    /// The snapshot it was computed from.
    pub snapshot_id: Option<Uuid>,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// The score and its factors.
    pub readiness: crate::scoring::Readiness,
}

/// Metric snapshots and readiness scores over time.
#[async_trait]
pub trait AnalyticsStore: Send + Sync + Debug + 'static {
    /// Stores a snapshot; `NotFound` if the business does not exist.
    async fn insert_snapshot(&self, new: NewSnapshot) -> Result<MetricSnapshot>;
    /// The snapshot with `id`; `NotFound` if none.
    async fn get_snapshot(&self, id: Uuid) -> Result<MetricSnapshot>;
    /// The most recently computed snapshot (ties: latest window end, then id).
    async fn latest_snapshot(&self, business: Uuid) -> Result<Option<MetricSnapshot>>;
    /// Snapshots whose window ends within `start..=end`, oldest computation first.
    async fn snapshots_between(
        &self,
        business: Uuid,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<MetricSnapshot>>;
    /// Stores a score; `NotFound` if the business (or snapshot) does not exist.
    async fn insert_score(&self, new: NewScore) -> Result<ScoreRecord>;
    /// The most recently computed score.
    async fn latest_score(&self, business: Uuid) -> Result<Option<ScoreRecord>>;
    /// The last `limit` scores, newest first.
    async fn score_history(&self, business: Uuid, limit: u32) -> Result<Vec<ScoreRecord>>;
}

/// A stored recommendation (`recommendations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecommendationRecord {
    /// Our id.
    pub id: Uuid,
    /// The business.
    pub business_id: Uuid,
    /// Stable code.
    pub code: String,
    /// Priority.
    pub priority: Priority,
    /// Score impact in points.
    pub score_impact: i32,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Originating factor.
    pub factor: Option<String>,
    /// Lifecycle status.
    pub status: RecommendationStatus,
    /// First generated.
    pub created_at: DateTime<Utc>,
    /// Last refreshed or changed.
    pub updated_at: DateTime<Utc>,
    /// When the status last changed (accepted or dismissed).
    pub status_changed_at: Option<DateTime<Utc>>,
}

/// Recommendations and their lifecycle.
#[async_trait]
pub trait RecommendationStore: Send + Sync + Debug + 'static {
    /// Refreshes the live (pending or accepted) recommendation of `(business, rec.code)`
    /// with `rec`'s priority, impact and texts, keeping its status; or inserts a new
    /// pending one if there is none. Never creates a second live one, also when called
    /// concurrently.
    async fn upsert_live(
        &self,
        business: Uuid,
        rec: &Recommendation,
        now: DateTime<Utc>,
    ) -> Result<RecommendationRecord>;
    /// The business's recommendations, optionally filtered, in METRICS.md §5 order
    /// (priority, impact descending, code), then newest first.
    async fn list_recommendations(
        &self,
        business: Uuid,
        status: Option<RecommendationStatus>,
        priority: Option<Priority>,
    ) -> Result<Vec<RecommendationRecord>>;
    /// The recommendation with `id`; `NotFound` if none.
    async fn get_recommendation(&self, id: Uuid) -> Result<RecommendationRecord>;
    /// Moves `id` from `from` to `to` if it is still in `from` (a compare-and-set);
    /// `Conflict` if it is not, `NotFound` if it does not exist. The caller checks the
    /// move is allowed ([`RecommendationStatus::transition`]).
    async fn set_recommendation_status(
        &self,
        id: Uuid,
        from: RecommendationStatus,
        to: RecommendationStatus,
        at: DateTime<Utc>,
    ) -> Result<RecommendationRecord>;
    /// When `code` was last dismissed for `business`, if ever.
    async fn last_dismissed_at(&self, business: Uuid, code: &str) -> Result<Option<DateTime<Utc>>>;
}

/// Whether a webhook event was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// First time seen: process it.
    New,
    /// Seen before: acknowledge and do nothing.
    AlreadyRecorded,
}

/// A provider event as received (`stripe_events`).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// The provider's event id (`evt_…`); unique.
    pub event_id: String,
    /// The account it is about (`acct_…`), when it is a Connect event.
    pub account_external_id: Option<String>,
    /// Event type, e.g. `charge.succeeded`.
    pub event_type: String,
    /// The event's `created`.
    pub created: DateTime<Utc>,
    /// The whole event.
    pub payload: serde_json::Value,
}

/// Received webhook events, for idempotency.
#[async_trait]
pub trait EventStore: Send + Sync + Debug + 'static {
    /// Records an event once; a second call with the same id reports
    /// [`EventOutcome::AlreadyRecorded`] and changes nothing.
    async fn record_event(&self, event: &EventRecord) -> Result<EventOutcome>;
    /// Marks an event processed.
    async fn mark_event_processed(&self, event_id: &str, at: DateTime<Utc>) -> Result<()>;
    /// Whether the event was processed, `None` if never recorded.
    async fn event_processed(&self, event_id: &str) -> Result<Option<bool>>;
}

/// A job that failed for good (`dead_letters`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// Our id.
    pub id: Uuid,
    /// Job kind, e.g. `stripe_sync`.
    pub kind: String,
    /// The task's key (what it was about: an account, a business, a schedule slot).
    pub key: String,
    /// The task's input.
    pub payload: serde_json::Value,
    /// The last error.
    pub error: String,
    /// Attempts made.
    pub attempts: u32,
    /// When it was given up.
    pub failed_at: DateTime<Utc>,
}

/// A dead letter to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDeadLetter {
    /// Job kind.
    pub kind: String,
    /// Task key.
    pub key: String,
    /// Task input.
    pub payload: serde_json::Value,
    /// The last error.
    pub error: String,
    /// Attempts made.
    pub attempts: u32,
    /// When it was given up.
    pub failed_at: DateTime<Utc>,
}

/// Jobs that exhausted their retries.
#[async_trait]
pub trait DeadLetterStore: Send + Sync + Debug + 'static {
    /// Records a failed job.
    async fn dead_letter(&self, letter: NewDeadLetter) -> Result<DeadLetter>;
    /// Dead letters, newest first, optionally of one kind.
    async fn dead_letters(&self, kind: Option<&str>, limit: u32) -> Result<Vec<DeadLetter>>;
}

/// A pending OAuth authorization (`oauth_states`): the CSRF `state` a callback must bring
/// back, bound to who started it.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthState {
    /// A hash of the state value (the value itself is never stored); unique.
    pub state_hash: String,
    /// What the authorization is for, e.g. `stripe_connect` or `google_login`.
    pub purpose: String,
    /// The user who started it.
    pub user_id: Option<Uuid>,
    /// The business it is for.
    pub business_id: Option<Uuid>,
    /// PKCE verifier, when the flow uses one.
    pub pkce_verifier: Option<String>,
    /// Where to send the user afterwards.
    pub redirect_uri: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

impl Debug for OAuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthState")
            .field("purpose", &self.purpose)
            .field("user_id", &self.user_id)
            .field("business_id", &self.business_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// OAuth states: saved when a flow starts, taken exactly once when it returns.
#[async_trait]
pub trait OAuthStateStore: Send + Sync + Debug + 'static {
    /// Saves a state; `Conflict` if its hash exists.
    async fn save_oauth_state(&self, state: &OAuthState) -> Result<()>;
    /// Takes the state with `state_hash` for `purpose`, atomically: the first caller gets
    /// it, every later one (and any caller after `expires_at`, or for another purpose)
    /// gets `None`.
    async fn take_oauth_state(
        &self,
        state_hash: &str,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OAuthState>>;
}

/// Everything Vaultra stores, as one object a host can hold as `Arc<dyn Store>`.
pub trait Store:
    UserStore
    + BusinessStore
    + IntegrationStore
    + PaymentStore
    + AnalyticsStore
    + RecommendationStore
    + EventStore
    + DeadLetterStore
    + OAuthStateStore
    + super::jobs::JobLedger
    + super::jobs::NotificationStore
{
}

impl<T> Store for T where
    T: UserStore
        + BusinessStore
        + IntegrationStore
        + PaymentStore
        + AnalyticsStore
        + RecommendationStore
        + EventStore
        + DeadLetterStore
        + OAuthStateStore
        + super::jobs::JobLedger
        + super::jobs::NotificationStore
{
}
