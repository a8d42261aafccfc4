//! The application layer: one façade, [`Vaultra`], that every host calls.
//!
//! A host (the `vaultra` command, the MCP server, the Python package, the HTTP service, a
//! Rust program embedding Vaultra) parses its protocol, calls one method here with an
//! [`Actor`], and maps the [`Error`] it gets back. Everything between — which window
//! "by default" means, how a report is assembled from stored data, what "history days"
//! counts, which recommendations a dismissal hides, who may see a business — is decided
//! here or in the services this façade orchestrates, once.
//!
//! Access is checked once per operation through [`authorize`]: a user who is not a member
//! of a business gets `NotFound` (as for a business that does not exist), a member whose
//! role is too low `PermissionDenied`. [`Actor::System`] (jobs, the local command line, a
//! local Python client) is not checked, but an unknown business is still `NotFound`.
//!
//! Data scored in memory (export folders, DataFrames, Arrow tables) goes through
//! [`assess`], the same computation the store-backed [`Vaultra::report`] runs.
//!
//! ```
//! # async fn run(store: std::sync::Arc<dyn vaultra_core::ports::Store>) -> vaultra_core::Result<()> {
//! use vaultra_core::app::{Assessment, Vaultra, WindowSpec};
//! use vaultra_core::services::Actor;
//!
//! let app = Vaultra::builder(store).build()?;
//! for business in app.list_businesses(&Actor::System).await? {
//!     let report = app
//!         .report(&Actor::System, business.id, &Assessment::new(WindowSpec::DEFAULT))
//!         .await?;
//!     println!("{}: {}", business.name, report.readiness.score);
//! }
//! # Ok(())
//! # }
//! ```

mod ops;
mod views;
mod window;

use std::sync::Arc;

use chrono::DurationRound;
use futures_util::future::{try_join, try_join3};
use serde::Serialize;
use uuid::Uuid;

pub use crate::services::metrics::history_days;
pub use ops::{ReadinessView, StripeStatus, SyncQueued};
pub use views::{
    BusinessContext, Freshness, ReadinessBreakdown, SimulationView, TopRecommendations,
};
pub use window::{Assessment, WindowSpec};

use crate::domain::{
    Business, ClassCode, IntegrationAccount, NewBusiness, NewUser, PaymentDataRef, Provider, User,
    normalize_email,
};
use crate::error::{Error, Result, ResultExt};
use crate::metrics::{self, Window};
use crate::ports::jobs::Digest;
use crate::ports::storage::{IngestBatch, IngestStats, MetricSnapshot, Store};
use crate::ports::{
    Clock, JobKind, JobQueue, JobTask, PasswordHasher, PaymentSource, Sleeper, Takeover,
    TokenSigner,
};
use crate::report::Report;
use crate::scoring::{Changes, Effect, Indicators, Policy, SPEC_V1, simulate};
use crate::services::access::{Need, authorize, business_not_found};
use crate::services::auth::{AuthConfig, AuthPorts, AuthService};
use crate::services::jobs::{JobPorts, JobRunner, TaskOutcome, TaskReport};
use crate::services::metrics::{MetricsPorts, MetricsService, MetricsView};
use crate::services::recommendations::{RecommendationsPorts, RecommendationsService};
use crate::services::stripe_connect::{ConnectPorts, Connected, Entropy, StripeConnect};
use crate::services::stripe_sync::{StripeSync, SyncObserver, SyncPorts, SyncReport};
use crate::services::stripe_webhook::{StripeWebhooks, WebhookOutcome, WebhookPorts};
use crate::services::users::{UsersPorts, UsersService};

pub use crate::services::Actor;

/// The most top recommendations one call returns.
pub const MAX_TOP_RECOMMENDATIONS: usize = 20;
/// How many top recommendations a caller gets when it does not say.
pub const DEFAULT_TOP_RECOMMENDATIONS: usize = 5;
/// How many stored scores a breakdown carries.
pub const BREAKDOWN_HISTORY: u32 = 30;

/// One job's run in this process: its root slot and every task it ran or skipped.
#[derive(Debug, Clone, Serialize)]
pub struct JobRunReport {
    /// The job.
    pub job: JobKind,
    /// Its slot.
    pub slot: chrono::DateTime<chrono::Utc>,
    /// Every task it ran or skipped, the root first.
    pub tasks: Vec<TaskReport>,
}

impl JobRunReport {
    /// Counts of done, skipped and failed tasks.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for t in &self.tasks {
            match t.outcome {
                TaskOutcome::Done { .. } => c.0 += 1,
                TaskOutcome::Skipped { .. } => c.1 += 1,
                TaskOutcome::Failed { .. } => c.2 += 1,
            }
        }
        c
    }
}

/// Vaultra's use cases over a set of ports. Cheap to clone (everything is shared).
#[derive(Debug, Clone)]
pub struct Vaultra {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    policy: Arc<Policy>,
    source: Option<Arc<dyn PaymentSource>>,
    sleeper: Option<Arc<dyn Sleeper>>,
    queue: Option<Arc<dyn JobQueue>>,
    entropy: Option<Arc<dyn Entropy>>,
    users: UsersService,
    metrics: MetricsService,
    recommendations: RecommendationsService,
    auth: Option<AuthService>,
}

/// What [`VaultraBuilder::auth`] was given.
type AuthParts = (Arc<dyn PasswordHasher>, Arc<dyn TokenSigner>, AuthConfig);

/// Builds a [`Vaultra`]: the store is required, everything else has a default.
#[derive(Debug)]
pub struct VaultraBuilder {
    store: Arc<dyn Store>,
    clock: Option<Arc<dyn Clock>>,
    policy: Option<Arc<Policy>>,
    source: Option<Arc<dyn PaymentSource>>,
    sleeper: Option<Arc<dyn Sleeper>>,
    queue: Option<Arc<dyn JobQueue>>,
    entropy: Option<Arc<dyn Entropy>>,
    auth: Option<AuthParts>,
}

impl VaultraBuilder {
    /// Password hashing, token signing and token lifetimes: enables [`Vaultra::auth`]
    /// (sign-up, log-in, bearer tokens). Needs [`Self::entropy`] for refresh tokens.
    #[must_use]
    pub fn auth(
        mut self,
        hasher: Arc<dyn PasswordHasher>,
        signer: Arc<dyn TokenSigner>,
        config: AuthConfig,
    ) -> Self {
        self.auth = Some((hasher, signer, config));
        self
    }

    /// The job queue that work is handed to (a connected account's first backfill);
    /// required for the Connect flow.
    #[must_use]
    pub fn queue(mut self, queue: Arc<dyn JobQueue>) -> Self {
        self.queue = Some(queue);
        self
    }

    /// Cryptographically secure random bytes (OAuth states); required for the Connect
    /// flow.
    #[must_use]
    pub fn entropy(mut self, entropy: Arc<dyn Entropy>) -> Self {
        self.entropy = Some(entropy);
        self
    }

    /// The clock that decides "now" and "yesterday" (required: the core reads no clock of
    /// its own; adapters provide the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The scoring policy (default: the built-in `spec-v1`).
    #[must_use]
    pub fn policy(mut self, policy: Arc<Policy>) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The payment source that syncs and verifies webhooks (default: none, and those
    /// operations fail with `Unavailable`).
    #[must_use]
    pub fn source(mut self, source: Arc<dyn PaymentSource>) -> Self {
        self.source = Some(source);
        self
    }

    /// What waits between retries of a sync or a job (required for those operations).
    #[must_use]
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// The façade. `Invalid` if no clock was given.
    pub fn build(self) -> Result<Vaultra> {
        let clock = self.clock.ok_or_else(|| {
            Error::invalid_input("the application needs a clock (VaultraBuilder::clock)")
        })?;
        let policy = match self.policy {
            Some(p) => p,
            None => Arc::new(Policy::builtin(SPEC_V1)?),
        };
        let auth = match self.auth {
            None => None,
            Some((hasher, signer, config)) => {
                let entropy = self.entropy.clone().ok_or_else(|| {
                    Error::invalid_input(
                        "authentication needs a source of random bytes (VaultraBuilder::entropy)",
                    )
                })?;
                Some(AuthService::new(
                    AuthPorts {
                        users: self.store.clone(),
                        tokens: self.store.clone(),
                        hasher,
                        signer,
                        entropy,
                        clock: clock.clone(),
                    },
                    config,
                ))
            }
        };
        Ok(Vaultra {
            auth,
            users: UsersService::new(UsersPorts::from(self.store.clone())),
            metrics: MetricsService::new(
                MetricsPorts::from(self.store.clone()),
                clock.clone(),
                policy.clone(),
            ),
            recommendations: RecommendationsService::new(
                RecommendationsPorts::from(self.store.clone()),
                clock.clone(),
                policy.clone(),
            ),
            store: self.store,
            clock,
            policy,
            source: self.source,
            sleeper: self.sleeper,
            queue: self.queue,
            entropy: self.entropy,
        })
    }
}

/// Runs the metric pass, the score and the recommendations over data held in memory —
/// the computation behind every report, for hosts that hold the data themselves (an
/// export folder, a DataFrame's buffers). `policy` is used unless `assessment` names one.
pub fn assess<C: ClassCode>(
    data: PaymentDataRef<'_, C>,
    assessment: &Assessment,
    policy: &Policy,
    clock: &dyn Clock,
) -> Result<Report> {
    let window = assessment.window.resolve(clock)?;
    Ok(report_over(data, window, assessment, policy))
}

/// [`assess`] over an already resolved window (for callers that resolved it before a
/// costly read, so a bad window fails before any I/O).
pub fn assess_in<C: ClassCode>(
    data: PaymentDataRef<'_, C>,
    window: Window,
    assessment: &Assessment,
    policy: &Policy,
) -> Report {
    report_over(data, window, assessment, policy)
}

fn report_over<C: ClassCode>(
    data: PaymentDataRef<'_, C>,
    window: Window,
    assessment: &Assessment,
    policy: &Policy,
) -> Report {
    let policy = assessment.policy.as_deref().unwrap_or(policy);
    let computed = metrics::compute_view(data, window, assessment.currency_choice());
    Report::from_metrics(computed, policy)
}

impl Vaultra {
    /// A builder over `store`.
    pub fn builder(store: Arc<dyn Store>) -> VaultraBuilder {
        VaultraBuilder {
            store,
            clock: None,
            policy: None,
            source: None,
            sleeper: None,
            queue: None,
            entropy: None,
            auth: None,
        }
    }

    /// The store (for hosts that run the job engine over the same database).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The policy in force.
    pub fn policy(&self) -> &Arc<Policy> {
        &self.policy
    }

    /// The metrics service (snapshots and scores over time).
    pub fn metrics(&self) -> &MetricsService {
        &self.metrics
    }

    /// The recommendations service (stored recommendations and their lifecycle).
    pub fn recommendations(&self) -> &RecommendationsService {
        &self.recommendations
    }

    /// The auth service (sign-up, log-in, tokens); `Unavailable` (not retryable) unless
    /// the builder was given [`VaultraBuilder::auth`].
    pub fn auth(&self) -> Result<&AuthService> {
        self.auth.as_ref().ok_or_else(|| {
            Error::unavailable("authentication is not configured on this host", false)
        })
    }

    /// The users service (profiles, businesses, roles).
    pub fn users(&self) -> &UsersService {
        &self.users
    }

    /// The window `spec` describes, by this façade's clock.
    pub fn window(&self, spec: &WindowSpec) -> Result<Window> {
        spec.resolve(&*self.clock)
    }

    /// [`assess`] with this façade's policy and clock.
    pub fn assess<C: ClassCode>(
        &self,
        data: PaymentDataRef<'_, C>,
        assessment: &Assessment,
    ) -> Result<Report> {
        assess(data, assessment, &self.policy, &*self.clock)
    }

    // ---- businesses and users ----

    /// The businesses the actor may see, oldest first: every business for the system, the
    /// user's own otherwise.
    pub async fn list_businesses(&self, actor: &Actor) -> Result<Vec<Business>> {
        match actor {
            Actor::System => self.store.list_businesses().await,
            Actor::User(user) => Ok(self
                .store
                .businesses_of(*user)
                .await?
                .into_iter()
                .map(|(b, _)| b)
                .collect()),
        }
    }

    /// One business, if the actor may see it; `NotFound` otherwise (also for the system
    /// actor naming an unknown id).
    pub async fn business(&self, actor: &Actor, id: Uuid) -> Result<Business> {
        self.checked(actor, id, Need::Member).await
    }

    /// The business after checking that the actor may do what `need` says on it.
    async fn checked(&self, actor: &Actor, id: Uuid, need: Need) -> Result<Business> {
        authorize(&*self.store, actor, id, need).await?;
        match self.store.get_business(id).await {
            Err(Error::NotFound { .. }) => Err(business_not_found(id)),
            other => other,
        }
    }

    /// The user with `email`, created if there is none (named `name`, or by the address's
    /// local part) — for local and administrative use (the command line, demos), never
    /// for sign-up, which needs a password. Safe against a concurrent creation of the same
    /// user.
    pub async fn user_by_email_or_create(&self, email: &str, name: Option<&str>) -> Result<User> {
        let email = normalize_email(email)?;
        if let Some(user) = self.store.find_user_by_email(&email).await? {
            return Ok(user);
        }
        let name = name
            .map(str::to_owned)
            .unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
        let created = self
            .store
            .create_user(NewUser {
                email: email.clone(),
                name,
                password_hash: None,
                avatar_url: None,
            })
            .await;
        match created {
            // Created by someone else in the meantime: theirs is the one.
            Err(Error::Conflict { .. }) => self
                .store
                .find_user_by_email(&email)
                .await?
                .ok_or(Error::not_found("user", email)),
            other => other,
        }
    }

    /// Creates a business owned by the user with `owner_email` (created if needed, see
    /// [`Self::user_by_email_or_create`]); the local, administrative path of `vaultra
    /// business create`.
    pub async fn create_business_for_email(
        &self,
        owner_email: &str,
        owner_name: Option<&str>,
        new: NewBusiness,
    ) -> Result<Business> {
        let new = new.validated()?;
        let owner = self
            .user_by_email_or_create(owner_email, owner_name)
            .await?;
        self.users.create_business(owner.id, new).await
    }

    /// Stores a batch of payment objects (an import) for a business, in one transaction.
    /// Changing a business's data needs the owner or admin role.
    pub async fn import(
        &self,
        actor: &Actor,
        business: Uuid,
        batch: &IngestBatch,
    ) -> Result<IngestStats> {
        self.checked(actor, business, Need::Manager).await?;
        self.store
            .ingest(business, None, batch, None)
            .await
            .with_context(|| format!("import for business {business}"))
    }

    // ---- reports ----

    /// The report of `business` over the assessment's window, from its stored payment
    /// data: what `vaultra score` prints for the same objects.
    pub async fn report(
        &self,
        actor: &Actor,
        business: Uuid,
        assessment: &Assessment,
    ) -> Result<Report> {
        let window = self.window(&assessment.window)?;
        self.business(actor, business).await?;
        self.report_in(business, window, assessment).await
    }

    async fn report_in(
        &self,
        business: Uuid,
        window: Window,
        assessment: &Assessment,
    ) -> Result<Report> {
        let data = self.store.payment_data(business, window).await?;
        Ok(report_over(data.view(), window, assessment, &self.policy))
    }

    /// How fresh and deep the business's data is, counting history through `through`.
    async fn freshness_through(
        &self,
        business: Uuid,
        through: chrono::NaiveDate,
    ) -> Result<Freshness> {
        let (accounts, coverage, snapshot) = try_join3(
            self.store.accounts_of(business),
            self.store.coverage(business),
            self.store.latest_snapshot(business),
        )
        .await?;
        Ok(Freshness {
            data_synced_at: accounts.iter().filter_map(|a| a.last_synced_at).max(),
            charges_stored: coverage.charges,
            first_charge_date: coverage.first_charge_at.map(|t| t.date_naive()),
            last_charge_date: coverage.last_charge_at.map(|t| t.date_naive()),
            history_through: through,
            history_days: history_days(coverage.first_charge_at, through),
            metrics_computed_at: snapshot.as_ref().map(|s: &MetricSnapshot| s.computed_at),
        })
    }

    /// The business, its payment accounts and its data's freshness (through yesterday,
    /// the default window's last day).
    pub async fn business_context(&self, actor: &Actor, id: Uuid) -> Result<BusinessContext> {
        let business = self.business(actor, id).await?;
        let through = self.window(&WindowSpec::DEFAULT)?.end_date();
        let (accounts, freshness) = try_join(
            self.store.accounts_of(id),
            self.freshness_through(id, through),
        )
        .await?;
        Ok(BusinessContext {
            business,
            accounts,
            freshness,
        })
    }

    /// The report of a window with the freshness of its data (history through the
    /// window's last day).
    pub async fn report_with_freshness(
        &self,
        actor: &Actor,
        business: Uuid,
        assessment: &Assessment,
    ) -> Result<(Report, Freshness)> {
        let window = self.window(&assessment.window)?;
        self.business(actor, business).await?;
        try_join(
            self.report_in(business, window, assessment),
            self.freshness_through(business, window.end_date()),
        )
        .await
    }

    /// The score of a window with every factor, what helps and what hurts, the stored
    /// score history and the freshness of the data.
    pub async fn readiness_breakdown(
        &self,
        actor: &Actor,
        business: Uuid,
        assessment: &Assessment,
    ) -> Result<ReadinessBreakdown> {
        let window = self.window(&assessment.window)?;
        self.business(actor, business).await?;
        let (report, history, freshness) = try_join3(
            self.report_in(business, window, assessment),
            self.store.score_history(business, BREAKDOWN_HISTORY),
            self.freshness_through(business, window.end_date()),
        )
        .await?;
        let by_effect = |effect: Effect| {
            report
                .readiness
                .factors
                .iter()
                .filter(|f| f.effect == effect)
                .map(|f| f.explanation.clone())
                .collect::<Vec<_>>()
        };
        let (helps, hurts) = (by_effect(Effect::Helps), by_effect(Effect::Hurts));
        Ok(ReadinessBreakdown {
            business_id: business,
            report,
            helps,
            hurts,
            history,
            freshness,
        })
    }

    /// The first `limit` (1..=[`MAX_TOP_RECOMMENDATIONS`]) recommendations of the default
    /// window's report, under the §5 lifecycle: a live stored one carries its id and
    /// status, a code dismissed in the last 30 days is left out.
    pub async fn top_recommendations(
        &self,
        actor: &Actor,
        business: Uuid,
        limit: usize,
    ) -> Result<TopRecommendations> {
        if !(1..=MAX_TOP_RECOMMENDATIONS).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                format!("{limit} is outside 1..={MAX_TOP_RECOMMENDATIONS}"),
            ));
        }
        let report = self
            .report(actor, business, &Assessment::new(WindowSpec::DEFAULT))
            .await?;
        let recommendations = self
            .recommendations
            .top_recommendations(actor, business, &report.recommendations, limit)
            .await?;
        Ok(TopRecommendations {
            business_id: business,
            window: report.window,
            score: report.readiness.score,
            recommendations,
        })
    }

    /// The score under hypothetical metric values against the real one of the window,
    /// with the smallest change per metric that reaches the next tier.
    pub async fn simulate(
        &self,
        actor: &Actor,
        business: Uuid,
        assessment: &Assessment,
        changes: &Changes,
    ) -> Result<SimulationView> {
        let report = self.report(actor, business, assessment).await?;
        let policy = assessment.policy.as_deref().unwrap_or(&self.policy);
        let simulation = simulate(policy, &Indicators::from(&report.metrics), changes)?;
        Ok(SimulationView {
            business_id: business,
            window: report.window,
            simulation,
        })
    }

    /// The report of the latest stored metric snapshot (what the jobs computed last),
    /// scored under the façade's policy, with the snapshot; `None` before the first.
    pub async fn latest_report(
        &self,
        actor: &Actor,
        business: Uuid,
    ) -> Result<Option<(Report, MetricsView)>> {
        self.business(actor, business).await?;
        Ok(self
            .metrics
            .get_latest_metrics(actor, business)
            .await?
            .map(|view| {
                (
                    Report::from_metrics(view.metrics.clone(), &self.policy),
                    view,
                )
            }))
    }

    /// The user's latest notification digest, if any was written.
    pub async fn latest_digest(&self, user: Uuid) -> Result<Option<Digest>> {
        Ok(self.store.digests(Some(user), 1).await?.into_iter().next())
    }

    // ---- payment sources and jobs ----

    fn source(&self) -> Result<&Arc<dyn PaymentSource>> {
        self.source.as_ref().ok_or_else(|| {
            Error::unavailable("no payment source is configured (STRIPE_SECRET_KEY)", false)
        })
    }

    fn sleeper(&self) -> Result<&Arc<dyn Sleeper>> {
        self.sleeper.as_ref().ok_or_else(|| {
            Error::internal("the application was built without a sleeper for retries")
        })
    }

    /// Records an account already connected on the provider's side for a business
    /// (platforms that created the account themselves). Needs the owner or admin role.
    pub async fn link_stripe_account(
        &self,
        actor: &Actor,
        business: Uuid,
        account: &str,
    ) -> Result<IntegrationAccount> {
        let account = account.trim();
        if !account.starts_with("acct_") || account.len() <= "acct_".len() {
            return Err(Error::invalid(
                "account",
                format!("`{account}` is not a Stripe account id (acct_…)"),
            ));
        }
        self.checked(actor, business, Need::Manager).await?;
        self.store
            .link_account(business, Provider::Stripe, account)
            .await
    }

    /// Syncs every connected Stripe account of a business now (a backfill the first time
    /// or with `full`, incremental otherwise). Needs the owner or admin role; `Invalid`
    /// (field `business`) if the business has no connected account.
    pub async fn sync_stripe(
        &self,
        actor: &Actor,
        business: Uuid,
        full: bool,
        observer: &dyn SyncObserver,
    ) -> Result<Vec<(IntegrationAccount, SyncReport)>> {
        self.checked(actor, business, Need::Manager).await?;
        let accounts: Vec<_> = self
            .store
            .accounts_of(business)
            .await?
            .into_iter()
            .filter(|a| {
                a.provider == Provider::Stripe
                    && a.status == crate::domain::ConnectionStatus::Connected
            })
            .collect();
        if accounts.is_empty() {
            return Err(Error::invalid(
                "business",
                format!("business {business} has no connected Stripe account"),
            ));
        }
        let service = StripeSync::new(
            self.source()?.clone(),
            SyncPorts::from(self.store.clone()),
            self.clock.clone(),
            self.sleeper()?.clone(),
        );
        let mut reports = Vec::with_capacity(accounts.len());
        for account in accounts {
            // The category (and retryability) of the failure is kept for the host.
            let report = service
                .sync(&account, full, observer)
                .await
                .with_context(|| {
                    format!(
                        "sync of Stripe account {} failed (recorded in the dead-letter table)",
                        account.external_id
                    )
                })?;
            reports.push((account, report));
        }
        Ok(reports)
    }

    fn connect_service(&self) -> Result<StripeConnect> {
        let missing = |what: &str| {
            Error::internal(format!(
                "the application was built without {what} (needed for Stripe Connect)"
            ))
        };
        Ok(StripeConnect::new(
            self.source()?.clone(),
            ConnectPorts::from(self.store.clone()),
            self.queue.clone().ok_or_else(|| missing("a job queue"))?,
            self.clock.clone(),
            self.entropy.clone().ok_or_else(|| missing("entropy"))?,
        ))
    }

    /// Starts connecting a business's Stripe account (owner or admin): the URL to send
    /// the user to. Only a user can connect (the state is bound to them).
    pub async fn start_stripe_connect(
        &self,
        actor: &Actor,
        business: Uuid,
        redirect_uri: Option<&str>,
    ) -> Result<String> {
        let user = user_of(actor)?;
        self.connect_service()?
            .initiate_connect(user, business, redirect_uri)
            .await
    }

    /// Completes a Connect flow the same user started, with the provider's `state` and
    /// `code`: links the account and queues its backfill.
    pub async fn complete_stripe_connect(
        &self,
        actor: &Actor,
        state: &str,
        code: &str,
    ) -> Result<Connected> {
        let user = user_of(actor)?;
        self.connect_service()?
            .complete_connect(user, state, code)
            .await
    }

    /// Verifies, records once and applies one webhook delivery (`payload` byte for byte,
    /// `signature` the provider's signature header).
    pub async fn handle_stripe_webhook(
        &self,
        payload: &[u8],
        signature: &str,
    ) -> Result<WebhookOutcome> {
        StripeWebhooks::new(
            self.source()?.clone(),
            WebhookPorts::from(self.store.clone()),
            self.clock.clone(),
        )
        .handle_webhook(payload, signature)
        .await
    }

    /// Runs `jobs` in this process, in order, through the ledger: each for the period
    /// that contains now (so a slot already run is not run again), or with `fresh` as a
    /// one-off slot at this second. A task marked running elsewhere is taken over only
    /// after `takeover_after` of silence.
    pub async fn run_jobs_now(
        &self,
        jobs: &[JobKind],
        fresh: bool,
        takeover_after: chrono::Duration,
    ) -> Result<Vec<JobRunReport>> {
        let runner = self.job_runner()?;
        let now = self.clock.now();
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            let root = if fresh {
                let at = now
                    .duration_trunc(chrono::Duration::seconds(1))
                    .unwrap_or(now);
                JobTask {
                    job: *job,
                    subject: None,
                    slot: at,
                }
            } else {
                // The period that contains now, for every job: readiness then shares the
                // hour of the metrics it chains from. (Schedules enqueue the slot of
                // their last tick instead: see `JobKind::current_slot`.)
                JobTask::fan_out(*job, now)
            };
            out.push(self.run_job(&runner, root, takeover_after).await?);
        }
        Ok(out)
    }

    /// Runs one root task (a fan-out or one subject's task) and what it chains into.
    pub async fn run_job(
        &self,
        runner: &JobRunner,
        root: JobTask,
        takeover_after: chrono::Duration,
    ) -> Result<JobRunReport> {
        let (job, slot) = (root.job, root.slot);
        let tasks = runner
            .run_all(root, Takeover::After(takeover_after))
            .await?;
        Ok(JobRunReport { job, slot, tasks })
    }

    /// The runner of the scheduled jobs over this façade's ports (with its payment
    /// source, if any).
    pub fn job_runner(&self) -> Result<JobRunner> {
        let runner = JobRunner::new(
            JobPorts::from(self.store.clone()),
            self.clock.clone(),
            self.sleeper()?.clone(),
            self.policy.clone(),
        );
        Ok(match &self.source {
            Some(source) => runner.with_source(source.clone()),
            None => runner,
        })
    }
}

/// The user behind an actor, for operations only a person can do.
fn user_of(actor: &Actor) -> Result<Uuid> {
    actor
        .user_id()
        .ok_or_else(|| Error::permission_denied("connecting an account needs a signed-in user"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::FixedClock;

    #[test]
    fn history_days_counts_inclusively_through_the_day() {
        let through: chrono::NaiveDate = "2026-03-31".parse().unwrap();
        let at = |s: &str| Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        assert_eq!(history_days(None, through), 0);
        assert_eq!(history_days(at("2026-03-31T23:59:59Z"), through), 1);
        assert_eq!(history_days(at("2026-04-01T00:00:00Z"), through), 0);
        assert_eq!(history_days(at("2026-03-02T00:00:00Z"), through), 30);
    }

    #[test]
    fn the_default_window_is_thirty_days_ending_yesterday() {
        let clock = FixedClock::new("2026-12-03T10:00:00Z".parse().unwrap());
        let w = WindowSpec::DEFAULT.resolve(&clock).unwrap();
        assert_eq!(w.end_date().to_string(), "2026-12-02");
        assert_eq!(w.days(), 30);
        let w = WindowSpec::DEFAULT
            .with_days(Some(7))
            .unwrap()
            .with_as_of_str(Some("2026-11-27"))
            .unwrap()
            .resolve(&clock)
            .unwrap();
        assert_eq!(
            (w.start_date().to_string(), w.days()),
            ("2026-11-21".into(), 7)
        );
        for bad in [-1, 0, 1, 367, i64::MAX] {
            let e = WindowSpec::DEFAULT.with_days(Some(bad)).unwrap_err();
            assert!(e.to_string().contains("window_days"), "{e}");
        }
        let e = WindowSpec::DEFAULT
            .with_as_of_str(Some("27/11/2026"))
            .unwrap_err();
        assert!(e.to_string().contains("as_of"), "{e}");
    }
}
