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
use serde::{Deserialize, Serialize};
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

/// The kinds of payment object a store keeps with their raw JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A charge (`ch_…`, `py_…`).
    Charge,
    /// A payout (`po_…`).
    Payout,
    /// A dispute (`dp_…`, `du_…`).
    Dispute,
}

impl ObjectKind {
    /// The singular name, as in messages.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Charge => "charge",
            Self::Payout => "payout",
            Self::Dispute => "dispute",
        }
    }
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

    /// The provider's JSON of one stored object, for audits and for re-deriving columns:
    /// the last raw JSON ingested for it (an ingest without raw JSON, e.g. a CSV import,
    /// keeps what was there), equal as a JSON value to what was ingested. `Ok(None)` if
    /// the object was only ever stored without raw JSON; `NotFound` if `business` has no
    /// such object.
    async fn raw_object(
        &self,
        business: Uuid,
        kind: ObjectKind,
        stripe_id: &str,
    ) -> Result<Option<serde_json::Value>>;
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
    /// When the status last changed (accepted, dismissed or resolved).
    pub status_changed_at: Option<DateTime<Utc>>,
}

/// Recommendations and their lifecycle.
///
/// The one-live rule (at most one pending or accepted recommendation per business and
/// code) and the dismissal suppression of METRICS.md §5 are the store's to keep, also
/// under concurrency: [`Self::store_generation`] and [`Self::set_recommendation_status`]
/// of one business are serialized by the database, so a dismissal racing a generation run
/// either lands first (and the run sees it) or last (and dismisses what the run stored).
#[async_trait]
pub trait RecommendationStore: Send + Sync + Debug + 'static {
    /// Stores one generation run's recommendations for `business`, in one transaction
    /// serialized with every other run and status change of the business's
    /// recommendations:
    ///
    /// - each of `recs` refreshes the live (pending or accepted) recommendation of its code
    ///   with its priority, impact and texts, keeping id, status and `created_at`
    ///   (`updated_at = now`);
    /// - if its code has none, and was not dismissed after `suppressed_after`, a new
    ///   pending one is inserted (`created_at = updated_at = now`);
    /// - otherwise (no live one, dismissed after `suppressed_after`) it is skipped;
    /// - every **pending** recommendation of the business whose code is not among `recs`
    ///   becomes `resolved` (`status_changed_at = updated_at = now`); accepted ones stay.
    ///
    /// `recs` holds every code the rules produced in this run, suppressed ones included,
    /// so a code that still fires is never resolved. Returns the stored or refreshed
    /// records in `recs` order (skipped codes absent). `NotFound` if the business does
    /// not exist.
    async fn store_generation(
        &self,
        business: Uuid,
        recs: &[Recommendation],
        now: DateTime<Utc>,
        suppressed_after: DateTime<Utc>,
    ) -> Result<Vec<RecommendationRecord>>;
    /// Refreshes the live (pending or accepted) recommendation of `(business, rec.code)`
    /// with `rec`'s priority, impact and texts, keeping its status; or inserts a new
    /// pending one if there is none. Never creates a second live one, also when called
    /// concurrently. Applies no dismissal suppression and retires nothing (generation
    /// runs use [`Self::store_generation`]); for seeding and tools.
    async fn upsert_live(
        &self,
        business: Uuid,
        rec: &Recommendation,
        now: DateTime<Utc>,
    ) -> Result<RecommendationRecord>;
    /// The business's recommendations, optionally filtered, in METRICS.md §5 order
    /// (priority, impact descending, code), then newest first.
    ///
    /// With no status filter, every status **except** `resolved` (the default list of
    /// METRICS.md §5); resolved ones are listed only with `Some(Resolved)`.
    async fn list_recommendations(
        &self,
        business: Uuid,
        status: Option<RecommendationStatus>,
        priority: Option<Priority>,
    ) -> Result<Vec<RecommendationRecord>>;
    /// The recommendation with `id`, in any status; `NotFound` if none.
    async fn get_recommendation(&self, id: Uuid) -> Result<RecommendationRecord>;
    /// Moves `id` from `from` to `to` if it is still in `from` (a compare-and-set),
    /// serialized with [`Self::store_generation`] runs of its business; `Conflict` if it
    /// is not, `NotFound` if it does not exist. The caller checks the move is allowed
    /// ([`RecommendationStatus::transition`]).
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

/// Who wrote a message of a conversation (`agent_messages.role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    /// Instructions given to the assistant (not shown to the user).
    System,
    /// The person.
    User,
    /// The assistant's answer (possibly a tool call).
    Assistant,
    /// A tool's result, answering an assistant's tool call.
    Tool,
}

impl MessageRole {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::Tool => "tool",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "system" => Ok(Self::System),
            "user" => Ok(Self::User),
            "assistant" => Ok(Self::Assistant),
            "tool" => Ok(Self::Tool),
            other => Err(crate::Error::invalid(
                "role",
                format!("`{other}` is not one of system, user, assistant, tool"),
            )),
        }
    }
}

/// An assistant conversation of one user about one business (`conversations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conversation {
    /// Our id.
    pub id: Uuid,
    /// The business it is about.
    pub business_id: Uuid,
    /// The user who holds it.
    pub user_id: Uuid,
    /// A title, when one was given.
    pub title: Option<String>,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When it was started or last had a message appended.
    pub updated_at: DateTime<Utc>,
}

/// A message to append to a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// Who wrote it.
    pub role: MessageRole,
    /// Its text (may be empty, e.g. an assistant message that only calls a tool).
    pub content: String,
    /// The tool call an assistant message makes, or the call a tool message answers, as
    /// the model's JSON (name, arguments, call id); stored as given.
    pub tool_call: Option<serde_json::Value>,
    /// The knowledge chunks an assistant answer quotes, in the order it cites them.
    pub citations: Vec<Citation>,
    /// The names of the tools whose results an assistant answer was built from, in the
    /// order they were called (a name may repeat).
    pub tools_used: Vec<String>,
}

impl NewMessage {
    /// A plain message: text only, no tool call, citations or tools.
    pub fn text(role: MessageRole, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            tool_call: None,
            citations: Vec::new(),
            tools_used: Vec::new(),
        }
    }
}

/// A knowledge chunk quoted by an assistant answer (`agent_messages.citations`): enough
/// to show the source to the user without another lookup, and to find the chunk again
/// while it exists (a re-stored document gets new chunk ids; `source` and `ordinal` stay
/// meaningful).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// The document's id.
    pub document_id: Uuid,
    /// The chunk's id.
    pub chunk_id: Uuid,
    /// The document's stable key, e.g. `guides/refunds.md`.
    pub source: String,
    /// The document's title.
    pub title: String,
    /// The chunk's position in the document, from 0.
    pub ordinal: u32,
}

impl From<&ChunkHit> for Citation {
    fn from(hit: &ChunkHit) -> Self {
        Self {
            document_id: hit.document_id,
            chunk_id: hit.chunk_id,
            source: hit.source.clone(),
            title: hit.title.clone(),
            ordinal: hit.ordinal,
        }
    }
}

/// A stored message (`agent_messages`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentMessage {
    /// Our id.
    pub id: Uuid,
    /// The conversation.
    pub conversation_id: Uuid,
    /// Position in the conversation: 1, 2, 3, … with no gaps, in append order.
    pub seq: u32,
    /// Who wrote it.
    pub role: MessageRole,
    /// Its text.
    pub content: String,
    /// The tool-call JSON, if any.
    pub tool_call: Option<serde_json::Value>,
    /// The knowledge chunks it quotes, in order.
    pub citations: Vec<Citation>,
    /// The tools its answer was built from, in call order.
    pub tools_used: Vec<String>,
    /// When it was appended.
    pub created_at: DateTime<Utc>,
}

/// The assistant's conversations and their messages (`conversations`, `agent_messages`).
///
/// Whether a user may see a business is the services' check (membership); the store only
/// insists that the user and the business exist.
#[async_trait]
pub trait ConversationStore: Send + Sync + Debug + 'static {
    /// Starts a conversation of `user` about `business`, stamped with the store's clock.
    /// `NotFound` if the user or the business does not exist; `Invalid` if the title
    /// holds a NUL character.
    async fn create_conversation(
        &self,
        user: Uuid,
        business: Uuid,
        title: Option<&str>,
    ) -> Result<Conversation>;
    /// The conversation with `id`; `NotFound` if none.
    async fn get_conversation(&self, id: Uuid) -> Result<Conversation>;
    /// `user`'s conversations about `business`, most recently active (`updated_at`) first,
    /// ties by id; at most `limit`. Empty (not an error) for unknown ids.
    async fn conversations_of(
        &self,
        user: Uuid,
        business: Uuid,
        limit: u32,
    ) -> Result<Vec<Conversation>>;
    /// Appends a message as the conversation's next `seq` and moves the conversation's
    /// `updated_at` to the store's clock, atomically: concurrent appends to one
    /// conversation get distinct, gap-free positions. `NotFound` if the conversation does
    /// not exist; `Invalid` if the content, tool call, a citation or a tool name holds a
    /// NUL character, or a tool name is empty.
    async fn append_message(
        &self,
        conversation: Uuid,
        message: &NewMessage,
    ) -> Result<AgentMessage>;
    /// Every message of a conversation in `seq` order; `NotFound` if the conversation
    /// does not exist.
    async fn messages(&self, conversation: Uuid) -> Result<Vec<AgentMessage>>;
}

/// A chunk of a document to store: the unit the assistant retrieves.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChunk {
    /// The text searched and quoted; not empty.
    pub text: String,
    /// An embedding for vector search later, kept exactly (stored as little-endian `f32`
    /// bytes). Every chunk of a document has the same dimension or none; values are
    /// finite.
    pub embedding: Option<Vec<f32>>,
}

/// A document to store under a stable key (`knowledge_documents`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDocument {
    /// The stable key the document is replaced by, e.g. `guides/refunds.md`; not empty.
    pub source: String,
    /// Its title.
    pub title: String,
    /// The whole text.
    pub body: String,
    /// Its chunks, in order (`ordinal` 0, 1, …).
    pub chunks: Vec<NewChunk>,
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnowledgeDocument {
    /// Our id; the same for every upsert of one source.
    pub id: Uuid,
    /// The stable key.
    pub source: String,
    /// Its title.
    pub title: String,
    /// The whole text.
    pub body: String,
    /// How many chunks it has now.
    pub chunk_count: u32,
    /// When it was first stored.
    pub created_at: DateTime<Utc>,
    /// When it was last stored.
    pub updated_at: DateTime<Utc>,
}

/// A stored chunk (`knowledge_chunks`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnowledgeChunk {
    /// Our id.
    pub id: Uuid,
    /// The document.
    pub document_id: Uuid,
    /// Position in the document, from 0.
    pub ordinal: u32,
    /// The text.
    pub text: String,
    /// The embedding, bit for bit as stored.
    pub embedding: Option<Vec<f32>>,
}

/// A chunk found by a full-text search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChunkHit {
    /// The chunk's id.
    pub chunk_id: Uuid,
    /// Its document.
    pub document_id: Uuid,
    /// The document's stable key.
    pub source: String,
    /// The document's title.
    pub title: String,
    /// The chunk's position in the document.
    pub ordinal: u32,
    /// The chunk's text.
    pub text: String,
    /// Relevance, greater is better (> 0). Comparable only within one result list: each
    /// backend has its own scale (SQLite: −bm25, PostgreSQL: `ts_rank`).
    pub rank: f64,
}

/// Most terms of a search query that are used; the rest are ignored, so a pasted page
/// cannot make one search arbitrarily expensive.
pub const MAX_SEARCH_TERMS: usize = 32;

/// The words of a full-text query: maximal runs of letters and digits, lowercased, each
/// once, at most [`MAX_SEARCH_TERMS`]. Everything else — quotes, operators, `*`, `:`,
/// parentheses — separates words and never reaches a query language, so no input can
/// be a syntax error.
pub fn search_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in query.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let word = word.to_lowercase();
        if !terms.contains(&word) {
            terms.push(word);
            if terms.len() == MAX_SEARCH_TERMS {
                break;
            }
        }
    }
    terms
}

/// Documents and chunks for retrieval, with full-text search over chunks
/// (`knowledge_documents`, `knowledge_chunks`; SQLite FTS5, PostgreSQL `tsvector`).
#[async_trait]
pub trait KnowledgeStore: Send + Sync + Debug + 'static {
    /// Stores `doc` under its source, atomically: a new source gets a new id; an existing
    /// one keeps its id and `created_at`, takes the new title and body, and its chunks
    /// are replaced by `doc.chunks` (none of the old ones remain searchable). Concurrent
    /// upserts of one source leave one whole version, never a mix. `Invalid` for an
    /// empty source, an empty chunk, a NUL character, a non-finite embedding value or
    /// embeddings of different dimensions.
    async fn upsert_document(&self, doc: &NewDocument) -> Result<KnowledgeDocument>;
    /// The document stored under `source`, if any.
    async fn find_document(&self, source: &str) -> Result<Option<KnowledgeDocument>>;
    /// The chunks of a document in `ordinal` order; `NotFound` if the document does not
    /// exist.
    async fn document_chunks(&self, document: Uuid) -> Result<Vec<KnowledgeChunk>>;
    /// Deletes the document under `source` with its chunks; whether there was one.
    async fn delete_document(&self, source: &str) -> Result<bool>;
    /// The `limit` chunks most relevant to `query`, best first (ties by chunk id).
    ///
    /// The query is plain words ([`search_terms`]): a chunk matches if it contains any
    /// of them after the backend's stemming (`refunds` finds `refund`), and chunks
    /// matching more, rarer words rank higher. Quotes, operators and other punctuation
    /// are ignored, never interpreted; a query with no words finds nothing, and so does
    /// `limit` 0. Stop words are the backend's: PostgreSQL drops English ones (`the`,
    /// `or`), SQLite searches every word. Never an error for any query text.
    async fn search_chunks(&self, query: &str, limit: u32) -> Result<Vec<ChunkHit>>;
}

/// A refresh token of the HTTP host, stored only as a hash (`refresh_tokens`).
///
/// Tokens come in families: logging in starts one, and each rotation adds the next token
/// to it. Presenting a token that was already rotated is a reuse — someone holds a copy —
/// and revokes the whole family.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// Our id.
    pub id: Uuid,
    /// The user it authenticates.
    pub user_id: Uuid,
    /// Its family (one login).
    pub family_id: Uuid,
    /// The hash of the token (the token itself is never stored); unique.
    pub token_hash: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// When it was exchanged for its successor, if it was.
    pub rotated_at: Option<DateTime<Utc>>,
    /// When it (its family) was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The hash is a credential's fingerprint: keep it out of logs.
        f.debug_struct("RefreshToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("family_id", &self.family_id)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("rotated_at", &self.rotated_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: it is now rotated, and this is its successor (same family).
    Rotated(RefreshToken),
    /// The token had already been rotated: a reuse. Its whole family is now revoked.
    Reused {
        /// The user whose family was revoked.
        user_id: Uuid,
        /// The revoked family.
        family_id: Uuid,
    },
    /// The token is unknown, expired or revoked: nothing changed.
    Rejected,
}

/// Refresh tokens with rotation and reuse detection.
#[async_trait]
pub trait RefreshTokenStore: Send + Sync + Debug + 'static {
    /// Issues the first token of a new family for `user` (a login). `NotFound` if the
    /// user does not exist; `Conflict` if the hash exists.
    async fn issue_refresh_token(
        &self,
        user: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<RefreshToken>;
    /// Presents the token with `presented_hash`, atomically:
    /// - live (not rotated, not revoked, `now < expires_at`): it is marked rotated and a
    ///   successor with `new_hash` and `new_expires_at` joins its family —
    ///   [`Rotation::Rotated`];
    /// - already rotated (at any age): every token of its family is revoked —
    ///   [`Rotation::Reused`];
    /// - unknown, revoked or expired: [`Rotation::Rejected`], nothing changes.
    ///
    /// The grace window: a token rotated less than `grace` before `now` (and neither
    /// revoked nor expired) is not yet a reuse — a second successor with `new_hash` joins
    /// the family and the answer is [`Rotation::Rotated`]. This is what lets two tabs (or
    /// a retried request whose first response was lost) refresh at once without logging
    /// the user out; with `grace` zero every second presentation is a reuse.
    ///
    /// Of concurrent presentations of one live token exactly one rotates it; the others
    /// see a token rotated just now, so within the grace window they get successors of
    /// their own, and after it they count as reuse and revoke the family (the winner's
    /// successor included). `Conflict` if `new_hash` exists, and then nothing changes.
    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        new_hash: &str,
        new_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
        grace: chrono::Duration,
    ) -> Result<Rotation>;
    /// The token with this hash, in whatever state, if any.
    async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>>;
    /// Revokes every token of `family` not yet revoked (a logout); how many it revoked.
    async fn revoke_refresh_family(&self, family: Uuid, now: DateTime<Utc>) -> Result<u64>;
    /// Revokes every token of `user` not yet revoked (logout everywhere, a new
    /// password); how many it revoked.
    async fn revoke_user_refresh_tokens(&self, user: Uuid, now: DateTime<Utc>) -> Result<u64>;
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
    + ConversationStore
    + KnowledgeStore
    + RefreshTokenStore
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
        + ConversationStore
        + KnowledgeStore
        + RefreshTokenStore
        + super::jobs::JobLedger
        + super::jobs::NotificationStore
{
}
