//! Syncs a connected payment account into the store.
//!
//! The first run **backfills**: the last 30 days of events (for `payout.paid`, which
//! gives a payout's paid time), then every page of charges, payouts and disputes created
//! in the last 90 days (newest first, 100 a page). Later runs are **incremental**: the
//! events newer than the last one seen, oldest first, each event's object applied as the
//! newest state. If the last event seen is older than the provider keeps events (30
//! days) or the provider says it is gone, the run falls back to a backfill.
//!
//! The whole position of a sync is one cursor (stream [`CURSOR_STREAM`]), saved in the
//! same transaction as the objects it covers ([`PaymentStore::ingest`]): a crash resumes
//! after the last transaction committed, and since objects are upserted by id nothing is
//! ever duplicated.
//!
//! A backfill is a pipeline of two steps that overlap: while one batch of pages (up to
//! [`SyncConfig::backfill_batch`] objects of one stream) is being stored, the pages of
//! the next batch are fetched, since the next page's query needs only the last id of the
//! page before it. Per transaction the store pays a commit and a few round trips; paying
//! them once for many pages, while the network is busy with the next ones, is what keeps
//! a backfill as fast as the provider answers. Pages fetched but not yet stored when a
//! run stops are simply fetched again by the next run (the cursor has not moved past
//! them). An incremental sync stores each page of events in its own transaction: it is
//! small, and its pages are read in the opposite direction (`ending_before`).
//!
//! Each request is retried on rate limits, server and network errors with exponential
//! backoff and jitter, never sooner than the provider's `Retry-After`. A run that still
//! fails is attempted again (resuming where it stopped) up to
//! [`SyncConfig::max_attempts`] times; then the failure is recorded on the account
//! (`last_synced_at` untouched) and a dead letter of kind [`DEAD_LETTER_KIND`] is
//! written. Success sets `last_synced_at`.
//!
//! [`PaymentStore::ingest`]: crate::ports::PaymentStore::ingest

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::future::join;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::IntegrationAccount;
use crate::domain::stripe::{Kind, Normalized, StripeObject};
use crate::error::{Error, Result, ResultExt};
use crate::ports::{
    Clock, CursorUpdate, DeadLetterStore, Ingest, IngestBatch, IngestStats, IntegrationStore,
    NewDeadLetter, Page, PageQuery, PaymentSource, PaymentStore, Sleeper, SourceError,
    SourceErrorKind, Store, Stream,
};

/// The cursor stream holding a sync's position.
pub const CURSOR_STREAM: &str = "stripe_sync";
/// The dead-letter kind of a sync that gave up.
pub const DEAD_LETTER_KIND: &str = "stripe_sync";

const DAY: i64 = 86_400;
/// The least wait after a rate limit that did not say how long to wait.
const RATE_LIMIT_FLOOR: Duration = Duration::from_secs(1);

/// How a sync behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// Days of charges, payouts and disputes a backfill reads (90).
    pub backfill_days: i64,
    /// Days the provider keeps events, and so days of events a backfill reads (30).
    pub events_days: i64,
    /// Page size (100, Stripe's largest).
    pub page_limit: u32,
    /// Objects a backfill stores per transaction (1 000): pages of one stream are
    /// gathered until they hold at least this many objects, or the stream ends, and
    /// then stored with the cursor after them. At most [`page_limit`](Self::page_limit)
    /// makes every page its own transaction.
    pub backfill_batch: usize,
    /// Runs of a sync before it is dead-lettered (3).
    pub max_attempts: u32,
    /// Tries of one request before its run fails (5).
    pub request_attempts: u32,
    /// First backoff delay; each retry doubles it (500 ms).
    pub base_backoff: Duration,
    /// Largest backoff delay, `Retry-After` aside (30 s).
    pub max_backoff: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            backfill_days: 90,
            events_days: 30,
            page_limit: 100,
            backfill_batch: 1_000,
            max_attempts: 3,
            request_attempts: 5,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Which way a sync ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Read the list endpoints.
    Backfill,
    /// Read the events since the last one seen.
    Incremental,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// How the sync ended up running (a fallback makes it a backfill).
    pub mode: SyncMode,
    /// Whether an incremental sync fell back to a backfill (cursor too old).
    pub fell_back: bool,
    /// Pages stored.
    pub pages: u64,
    /// Objects received (events included).
    pub objects: u64,
    /// What was written.
    pub stored: IngestStats,
    /// Runs it took (1 when nothing failed).
    pub attempts: u32,
    /// Requests retried after a rate limit or a server or network failure.
    pub retries: u64,
}

/// Hears about a sync's progress (for a progress bar); every method does nothing by
/// default.
pub trait SyncObserver: Send + Sync {
    /// Pages of `stream` were stored in one transaction: `objects` received, `stored`
    /// written. Called once per transaction (a backfill stores several pages in one).
    fn page(&self, _stream: Stream, _objects: usize, _stored: &IngestStats) {}
    /// A request failed with `error` and is retried after `wait`.
    fn retry(&self, _error: &SourceError, _wait: Duration) {}
    /// A run failed with `error`; `attempt` runs were made so far.
    fn attempt_failed(&self, _attempt: u32, _error: &Error) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl SyncObserver for Quiet {}

/// A position in an event stream: the newest event applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Anchor {
    id: String,
    created: i64,
}

/// The saved position of a sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
enum SyncState {
    /// A backfill in progress: reading `stream` after object `after`.
    Backfill {
        /// When it started, unix seconds: the lists read `created >= started − 90 d`,
        /// the events `created >= started − 30 d`.
        started: i64,
        /// The stream being read.
        stream: Stream,
        /// The last object stored of that stream.
        after: Option<String>,
        /// The newest event when the backfill started (known once the first events
        /// page is read): where the incremental sync continues.
        anchor: Option<Anchor>,
    },
    /// Backfilled; events are applied from `last_event` on (or, when there was none,
    /// from those created at or after `since`).
    Incremental {
        /// The newest event applied.
        last_event: Option<Anchor>,
        /// Events created from this time on are new, when `last_event` is none.
        since: i64,
    },
}

/// The storage a sync works on.
#[derive(Debug, Clone)]
pub struct SyncPorts {
    /// The account's saved position and its sync status.
    pub integrations: Arc<dyn IntegrationStore>,
    /// Where the pages go, each with the position after it.
    pub payments: Arc<dyn PaymentStore>,
    /// Where a sync that gave up is recorded.
    pub dead_letters: Arc<dyn DeadLetterStore>,
}

impl From<Arc<dyn Store>> for SyncPorts {
    fn from(store: Arc<dyn Store>) -> Self {
        Self {
            integrations: store.clone(),
            payments: store.clone(),
            dead_letters: store,
        }
    }
}

/// The sync service: one [`PaymentSource`], its [`SyncPorts`], time and waiting injected.
#[derive(Debug, Clone)]
pub struct StripeSync {
    source: Arc<dyn PaymentSource>,
    integrations: Arc<dyn IntegrationStore>,
    payments: Arc<dyn PaymentStore>,
    dead_letters: Arc<dyn DeadLetterStore>,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
    config: SyncConfig,
}

/// Per-run counters.
#[derive(Debug, Default)]
struct Tally {
    mode: Option<SyncMode>,
    fell_back: bool,
    pages: u64,
    objects: u64,
    stored: IngestStats,
    retries: u64,
}

impl Tally {
    /// Counts a transaction of `pages` pages holding `objects` objects.
    fn add(&mut self, pages: u64, objects: usize, stats: &IngestStats) {
        self.pages += pages;
        self.objects += objects as u64;
        self.stored.charges += stats.charges;
        self.stored.payouts += stats.payouts;
        self.stored.disputes += stats.disputes;
        self.stored.payout_paid += stats.payout_paid;
    }
}

/// Pages of one backfill stream fetched and not yet stored.
#[derive(Debug)]
struct Pending {
    stream: Stream,
    batch: IngestBatch,
    pages: u64,
    objects: usize,
    /// The position after the last page: stored with the batch.
    next: SyncState,
}

/// What [`StripeSync::gather`] got: the pages fetched (if any), and the error that
/// stopped it early (if any).
#[derive(Debug)]
struct Gathered {
    pending: Option<Pending>,
    error: Option<Error>,
}

impl StripeSync {
    /// A sync service over these ports with [`SyncConfig::default`].
    pub fn new(
        source: Arc<dyn PaymentSource>,
        ports: SyncPorts,
        clock: Arc<dyn Clock>,
        sleeper: Arc<dyn Sleeper>,
    ) -> Self {
        let SyncPorts {
            integrations,
            payments,
            dead_letters,
        } = ports;
        Self {
            source,
            integrations,
            payments,
            dead_letters,
            clock,
            sleeper,
            config: SyncConfig::default(),
        }
    }

    /// The same service with `config`.
    #[must_use]
    pub fn with_config(mut self, config: SyncConfig) -> Self {
        self.config = config;
        self
    }

    /// Syncs `account` (a backfill if it was never synced, or if `full`; otherwise
    /// incremental), retrying and dead-lettering as the module documentation says.
    /// `last_synced_at` is set only on success.
    pub async fn sync(
        &self,
        account: &IntegrationAccount,
        full: bool,
        observer: &dyn SyncObserver,
    ) -> Result<SyncReport> {
        let mut tally = Tally::default();
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            let result = self.run(account, full, &mut tally, observer).await;
            match result {
                Ok(()) => break Ok(()),
                Err(error) => {
                    observer.attempt_failed(attempts, &error);
                    if attempts >= self.config.max_attempts || !error.is_retryable() {
                        break Err(error);
                    }
                    let wait = self.backoff(attempts, error.retry_after());
                    self.sleeper.sleep(wait).await;
                }
            }
        };
        match outcome {
            Ok(()) => {
                self.integrations
                    .record_sync_success(account.id, self.clock.now())
                    .await?;
                Ok(SyncReport {
                    mode: tally.mode.unwrap_or(SyncMode::Incremental),
                    fell_back: tally.fell_back,
                    pages: tally.pages,
                    objects: tally.objects,
                    stored: tally.stored,
                    attempts,
                    retries: tally.retries,
                })
            }
            Err(error) => {
                let message = error.to_string();
                // Recording the failure must not hide the sync's own error.
                let _ = self
                    .integrations
                    .record_sync_failure(account.id, &message)
                    .await;
                let _ = self
                    .dead_letters
                    .dead_letter(NewDeadLetter {
                        kind: DEAD_LETTER_KIND.to_owned(),
                        key: account.id.to_string(),
                        payload: json!({
                            "business_id": account.business_id,
                            "account_id": account.id,
                            "external_id": account.external_id,
                            "full": full,
                        }),
                        // For operators: with the causes (e.g. the network error).
                        error: error.report().to_string(),
                        attempts,
                        failed_at: self.clock.now(),
                    })
                    .await;
                Err(error)
            }
        }
    }

    /// One run: loads the saved position and continues from it until done.
    async fn run(
        &self,
        account: &IntegrationAccount,
        full: bool,
        tally: &mut Tally,
        observer: &dyn SyncObserver,
    ) -> Result<()> {
        let now = self.clock.now().timestamp();
        let saved = self.load_state(account).await?;
        let fresh = || SyncState::Backfill {
            started: now,
            stream: Stream::Events,
            after: None,
            anchor: None,
        };
        // A `--full` run starts over once; a retried run resumes what it began.
        let mut state = match saved {
            Some(state @ SyncState::Backfill { .. }) if !full || tally.pages > 0 => state,
            Some(state @ SyncState::Incremental { .. }) if !full || tally.pages > 0 => {
                if self.expired(&state, now) {
                    tally.fell_back = true;
                    fresh()
                } else {
                    state
                }
            }
            _ => fresh(),
        };
        loop {
            if tally.mode.is_none() || matches!(state, SyncState::Backfill { .. }) {
                tally.mode = Some(match state {
                    SyncState::Backfill { .. } => SyncMode::Backfill,
                    SyncState::Incremental { .. } => SyncMode::Incremental,
                });
            }
            match state {
                SyncState::Backfill { .. } => {
                    self.backfill(account, &mut state, tally, observer).await?;
                    return Ok(());
                }
                SyncState::Incremental { .. } => {
                    match self.incremental(account, &mut state, tally, observer).await {
                        Err(RunError::CursorExpired) => {
                            tally.fell_back = true;
                            state = fresh();
                        }
                        Err(RunError::Other(e)) => return Err(e),
                        Ok(()) => return Ok(()),
                    }
                }
            }
        }
    }

    fn expired(&self, state: &SyncState, now: i64) -> bool {
        let keep = now - self.config.events_days * DAY;
        match state {
            SyncState::Incremental {
                last_event: Some(a),
                ..
            } => a.created < keep,
            SyncState::Incremental { since, .. } => *since < keep,
            SyncState::Backfill { .. } => false,
        }
    }

    async fn load_state(&self, account: &IntegrationAccount) -> Result<Option<SyncState>> {
        match self.integrations.cursor(account.id, CURSOR_STREAM).await? {
            None => Ok(None),
            Some(raw) => serde_json::from_str(&raw).map(Some).map_err(|e| {
                Error::internal(format!(
                    "sync cursor of account {} is unreadable",
                    account.id
                ))
                .with_source(e)
            }),
        }
    }

    /// Stores a batch and the position after it in one transaction, then tells the
    /// observer. The caller adds the result to its tally (see [`Tally::add`]).
    async fn store_batch(
        &self,
        account: &IntegrationAccount,
        stream: Stream,
        objects: usize,
        batch: &IngestBatch,
        state: &SyncState,
        observer: &dyn SyncObserver,
    ) -> Result<IngestStats> {
        let value = serde_json::to_string(state)
            .map_err(|e| Error::internal("cannot encode the sync cursor").with_source(e))?;
        let cursor = CursorUpdate {
            account: account.id,
            stream: CURSOR_STREAM.to_owned(),
            value,
        };
        let stats = self
            .payments
            .ingest(account.business_id, Some(account.id), batch, Some(&cursor))
            .await
            .with_context(|| format!("ingest for business {}", account.business_id))?;
        observer.page(stream, objects, &stats);
        Ok(stats)
    }

    /// Stores a gathered batch of a backfill with the position after it.
    async fn store_pending(
        &self,
        account: &IntegrationAccount,
        pending: &Pending,
        observer: &dyn SyncObserver,
    ) -> Result<IngestStats> {
        self.store_batch(
            account,
            pending.stream,
            pending.objects,
            &pending.batch,
            &pending.next,
            observer,
        )
        .await
    }

    /// Stores one page and the position after it in one transaction (the incremental
    /// sync's unit).
    #[allow(clippy::too_many_arguments)] // private; the counters and observer ride along
    async fn save_page(
        &self,
        account: &IntegrationAccount,
        stream: Stream,
        objects: usize,
        batch: &IngestBatch,
        state: &SyncState,
        tally: &mut Tally,
        observer: &dyn SyncObserver,
    ) -> Result<()> {
        let stats = self
            .store_batch(account, stream, objects, batch, state, observer)
            .await?;
        tally.add(1, objects, &stats);
        Ok(())
    }

    /// The backfill from `state` on: batches of pages are gathered ([`Self::gather`])
    /// and stored, the next batch gathered while the one before it is stored.
    ///
    /// Batches are stored strictly in order, one at a time, so the cursor only ever
    /// moves forward. If storing fails, gathering stops at the next page (what it
    /// gathered is dropped: the cursor still points before it) and the store's error is
    /// the run's. If fetching fails, the pages gathered before the failure are stored
    /// first — they are complete and in order — and then the fetch error is the run's.
    async fn backfill(
        &self,
        account: &IntegrationAccount,
        state: &mut SyncState,
        tally: &mut Tally,
        observer: &dyn SyncObserver,
    ) -> Result<()> {
        let never = AtomicBool::new(false);
        let mut gathered = self
            .gather(account, state.clone(), &mut tally.retries, observer, &never)
            .await;
        loop {
            let Gathered { pending, error } = gathered;
            let Some(pending) = pending else {
                return error.map_or(Ok(()), Err);
            };
            let last = error.is_some() || !matches!(pending.next, SyncState::Backfill { .. });
            if last {
                let stats = self.store_pending(account, &pending, observer).await?;
                tally.add(pending.pages, pending.objects, &stats);
                *state = pending.next;
                return error.map_or(Ok(()), Err);
            }
            let failed = AtomicBool::new(false);
            let store = async {
                let stored = self.store_pending(account, &pending, observer).await;
                if stored.is_err() {
                    failed.store(true, Ordering::Release);
                }
                stored
            };
            let next = self.gather(
                account,
                pending.next.clone(),
                &mut tally.retries,
                observer,
                &failed,
            );
            let (stored, next) = join(store, next).await;
            let stats = stored?;
            tally.add(pending.pages, pending.objects, &stats);
            *state = pending.next;
            gathered = next;
        }
    }

    /// Fetches the pages of one batch of a backfill, starting at `from`: pages of one
    /// stream until they hold [`SyncConfig::backfill_batch`] objects or the stream ends.
    /// Stops early, keeping what it has, when a fetch fails or `stop` is set (storing
    /// the batch before failed; checked before each request, so at most the request in
    /// flight is wasted).
    async fn gather(
        &self,
        account: &IntegrationAccount,
        from: SyncState,
        retries: &mut u64,
        observer: &dyn SyncObserver,
        stop: &AtomicBool,
    ) -> Gathered {
        let mut state = from;
        let mut pending: Option<Pending> = None;
        while let SyncState::Backfill {
            started,
            stream,
            after,
            ..
        } = &state
        {
            if stop.load(Ordering::Acquire) {
                break;
            }
            let days = match stream {
                Stream::Events => self.config.events_days,
                _ => self.config.backfill_days,
            };
            // From the start of the UTC day: a window of whole days is covered even
            // when the sync runs late in the day.
            let query = PageQuery {
                stream: *stream,
                created_gte: Some(started - started.rem_euclid(DAY) - days * DAY),
                starting_after: after.clone(),
                ending_before: None,
                limit: self.config.page_limit,
            };
            let page = match self.fetch(account, &query, retries, observer).await {
                Ok(page) => page,
                Err(error) => {
                    return Gathered {
                        pending,
                        error: Some(error),
                    };
                }
            };
            let (batch, objects, next) = match self.backfill_page(&state, page) {
                Ok(step) => step,
                Err(error) => {
                    return Gathered {
                        pending,
                        error: Some(error),
                    };
                }
            };
            let pending = pending.get_or_insert_with(|| Pending {
                stream: *stream,
                batch: IngestBatch::default(),
                pages: 0,
                objects: 0,
                next: next.clone(),
            });
            append(&mut pending.batch, batch);
            pending.pages += 1;
            pending.objects += objects;
            pending.next = next.clone();
            let same_stream =
                matches!(&next, SyncState::Backfill { stream: s, .. } if s == &pending.stream);
            if !same_stream || pending.objects >= self.config.backfill_batch {
                break;
            }
            state = next;
        }
        Gathered {
            pending,
            error: None,
        }
    }

    /// One fetched page of a backfill at `state`: its batch, how many objects it had,
    /// and the position after it.
    fn backfill_page(
        &self,
        state: &SyncState,
        page: Page,
    ) -> Result<(IngestBatch, usize, SyncState)> {
        let SyncState::Backfill {
            started,
            stream,
            after,
            anchor,
        } = state
        else {
            return Err(Error::internal("a backfill page outside a backfill"));
        };
        let (started, stream) = (*started, *stream);
        let anchor = if stream == Stream::Events && after.is_none() {
            page.objects.first().map(anchor_of).transpose()?
        } else {
            anchor.clone()
        };
        let last = page
            .objects
            .last()
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let objects = page.objects.len();
        let batch = match stream {
            Stream::Events => events_batch(page.objects.iter().rev(), false)?,
            _ => list_batch(stream, page.objects)?,
        };
        let next = match (page.has_more, last) {
            (true, Some(last)) => SyncState::Backfill {
                started,
                stream,
                after: Some(last),
                anchor,
            },
            _ => match next_stream(stream) {
                Some(stream) => SyncState::Backfill {
                    started,
                    stream,
                    after: None,
                    anchor,
                },
                None => SyncState::Incremental {
                    since: started,
                    last_event: anchor,
                },
            },
        };
        Ok((batch, objects, next))
    }

    async fn incremental(
        &self,
        account: &IntegrationAccount,
        state: &mut SyncState,
        tally: &mut Tally,
        observer: &dyn SyncObserver,
    ) -> std::result::Result<(), RunError> {
        let SyncState::Incremental { last_event, since } = state.clone() else {
            return Ok(());
        };
        match last_event {
            Some(mut anchor) => loop {
                let query = PageQuery {
                    ending_before: Some(anchor.id.clone()),
                    ..PageQuery::first(Stream::Events, self.config.page_limit)
                };
                let page = match self
                    .fetch(account, &query, &mut tally.retries, observer)
                    .await
                {
                    Err(Error::Invalid { input, .. }) if input.reason.starts_with(EXPIRED) => {
                        return Err(RunError::CursorExpired);
                    }
                    other => other?,
                };
                let Some(newest) = page.objects.first() else {
                    return Ok(());
                };
                anchor = anchor_of(newest)?;
                let batch = events_batch(page.objects.iter().rev(), true)?;
                let next = SyncState::Incremental {
                    last_event: Some(anchor.clone()),
                    since,
                };
                self.save_page(
                    account,
                    Stream::Events,
                    page.objects.len(),
                    &batch,
                    &next,
                    tally,
                    observer,
                )
                .await?;
                *state = next;
                if !page.has_more {
                    return Ok(());
                }
            },
            None => {
                // No event seen yet: gather the events since the backfill (newest
                // first), then apply them oldest first, a page at a time.
                let mut all = Vec::new();
                let mut after = None;
                loop {
                    let query = PageQuery {
                        created_gte: Some(since),
                        starting_after: after.take(),
                        ..PageQuery::first(Stream::Events, self.config.page_limit)
                    };
                    let page = self
                        .fetch(account, &query, &mut tally.retries, observer)
                        .await?;
                    after = page
                        .objects
                        .last()
                        .and_then(|o| o.get("id"))
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    all.extend(page.objects);
                    if !page.has_more || after.is_none() {
                        break;
                    }
                }
                all.reverse();
                let size = usize::try_from(self.config.page_limit.max(1)).unwrap_or(100);
                for chunk in all.chunks(size) {
                    let Some(newest) = chunk.last() else { continue };
                    let batch = events_batch(chunk.iter(), true)?;
                    let next = SyncState::Incremental {
                        last_event: Some(anchor_of(newest)?),
                        since,
                    };
                    self.save_page(
                        account,
                        Stream::Events,
                        chunk.len(),
                        &batch,
                        &next,
                        tally,
                        observer,
                    )
                    .await?;
                    *state = next;
                }
                Ok(())
            }
        }
    }

    /// One page, retried with backoff on retryable failures.
    async fn fetch(
        &self,
        account: &IntegrationAccount,
        query: &PageQuery,
        retries: &mut u64,
        observer: &dyn SyncObserver,
    ) -> Result<Page> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.source.fetch_page(&account.external_id, query).await {
                Ok(page) => return Ok(page),
                Err(e) if e.is_retryable() && tries < self.config.request_attempts => {
                    // A rate limit without `Retry-After` waits at least a second.
                    let floor = match e.kind {
                        SourceErrorKind::RateLimited => {
                            Some(e.retry_after.unwrap_or(RATE_LIMIT_FLOOR))
                        }
                        _ => e.retry_after,
                    };
                    let wait = self.backoff(tries, floor);
                    observer.retry(&e, wait);
                    *retries += 1;
                    self.sleeper.sleep(wait).await;
                }
                Err(e) if e.kind == SourceErrorKind::CursorExpired => {
                    return Err(Error::invalid_input(format!("{EXPIRED}: {}", e.message)));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The wait before retry number `retry` (1-based): `base · 2^(retry−1)`, capped at
    /// the maximum, with "equal jitter" (uniform in the upper half), and never less
    /// than `retry_after`.
    fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = crate::retry::Backoff {
            base: self.config.base_backoff,
            max: self.config.max_backoff,
        };
        // Jitter from the injected clock, so tests are deterministic.
        let seed = u64::from(self.clock.now().timestamp_subsec_nanos());
        backoff.delay(retry, seed, retry_after)
    }
}

const EXPIRED: &str = "sync cursor expired";

/// Why an incremental run stopped.
#[derive(Debug)]
enum RunError {
    CursorExpired,
    Other(Error),
}

impl From<Error> for RunError {
    fn from(e: Error) -> Self {
        Self::Other(e)
    }
}

fn next_stream(stream: Stream) -> Option<Stream> {
    let all = Stream::ALL;
    let i = all.iter().position(|s| *s == stream)?;
    all.get(i + 1).copied()
}

fn anchor_of(event: &Value) -> Result<Anchor> {
    let id = event.get("id").and_then(Value::as_str);
    let created = event.get("created").and_then(Value::as_i64);
    match (id, created) {
        (Some(id), Some(created)) => Ok(Anchor {
            id: id.to_owned(),
            created,
        }),
        _ => Err(Error::invalid(
            "id",
            "an event without a string `id` and an integer `created`",
        )
        .in_context("events page")),
    }
}

fn parse(value: &Value) -> Result<StripeObject> {
    // Read from the borrowed tree: a copy of every object (as `from_value` needs) was a
    // measurable share of a backfill's CPU.
    StripeObject::deserialize(value).map_err(|e| {
        let id = value.get("id").and_then(Value::as_str).unwrap_or("?");
        Error::invalid_input(e.to_string()).in_context(format!("object {id}"))
    })
}

fn kind_of(stream: Stream) -> Kind {
    match stream {
        Stream::Charges => Kind::Charge,
        Stream::Payouts => Kind::Payout,
        Stream::Disputes => Kind::Dispute,
        Stream::Events => Kind::Event,
    }
}

/// Adds a normalized object with its raw JSON; `raw` is only called (and so the object
/// only copied) for objects that keep their raw JSON.
fn push(batch: &mut IngestBatch, normalized: Normalized, raw: impl FnOnce() -> Value) {
    match normalized {
        Normalized::Charge(c) => batch.charges.push(Ingest {
            object: c,
            raw: Some(raw()),
        }),
        Normalized::Payout(p) => batch.payouts.push(Ingest {
            object: p,
            raw: Some(raw()),
        }),
        Normalized::Dispute(d) => batch.disputes.push(Ingest {
            object: d,
            raw: Some(raw()),
        }),
        Normalized::PayoutPaid(e) => batch.payout_paid.push(e),
    }
}

/// Moves the objects of `more` to the end of `batch`.
fn append(batch: &mut IngestBatch, mut more: IngestBatch) {
    batch.charges.append(&mut more.charges);
    batch.payouts.append(&mut more.payouts);
    batch.disputes.append(&mut more.disputes);
    batch.payout_paid.append(&mut more.payout_paid);
}

/// A page of a list endpoint as a batch; each object moves into the batch as its raw
/// JSON (no copy).
fn list_batch(stream: Stream, objects: Vec<Value>) -> Result<IngestBatch> {
    let mut batch = IngestBatch::default();
    for raw in objects {
        if let Some(n) = parse(&raw)?.normalize(kind_of(stream))? {
            push(&mut batch, n, || raw);
        }
    }
    Ok(batch)
}

/// Events, oldest first, as a batch: `payout.paid` events always; with `apply`, also
/// each event's object as the newest state of that object (the last event of an
/// object wins). The one way events reach the store: the incremental sync and the
/// webhook handler ([`super::stripe_webhook`]) both use it.
pub(crate) fn events_batch<'a>(
    events: impl Iterator<Item = &'a Value>,
    apply: bool,
) -> Result<IngestBatch> {
    let mut batch = IngestBatch::default();
    let mut latest: HashMap<(&'static str, String), (usize, Normalized, &'a Value)> =
        HashMap::new();
    for (order, event) in events.enumerate() {
        if let Some(n) = parse(event)?.normalize(Kind::Event)? {
            push(&mut batch, n, || event.clone());
        }
        if !apply {
            continue;
        }
        let Some(object) = event.get("data").and_then(|d| d.get("object")) else {
            continue;
        };
        let kind = match object.get("object").and_then(Value::as_str) {
            Some("charge") => Kind::Charge,
            Some("payout") => Kind::Payout,
            Some("dispute") => Kind::Dispute,
            _ => continue,
        };
        if let Some(n) = parse(object)?.normalize(kind)? {
            let id = object
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            latest.insert((kind.tag(), id), (order, n, object));
        }
    }
    let mut objects: Vec<_> = latest.into_values().collect();
    objects.sort_by_key(|(order, _, _)| *order);
    for (_, n, raw) in objects {
        push(&mut batch, n, || raw.clone());
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_follow_in_backfill_order() {
        assert_eq!(next_stream(Stream::Events), Some(Stream::Charges));
        assert_eq!(next_stream(Stream::Disputes), None);
    }

    #[test]
    fn state_round_trips_as_json() {
        let s = SyncState::Backfill {
            started: 5,
            stream: Stream::Payouts,
            after: Some("po_1".into()),
            anchor: Some(Anchor {
                id: "evt_1".into(),
                created: 4,
            }),
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<SyncState>(&text).unwrap(), s);
    }

    #[test]
    fn the_last_event_of_an_object_wins() {
        let ev = |id: &str, refunded: i64| {
            json!({"id": id, "object": "event", "type": "charge.refunded", "created": 10,
                   "data": {"object": {"id": "ch_1", "object": "charge", "created": 1,
                   "amount": 100, "amount_refunded": refunded, "currency": "usd",
                   "status": "succeeded"}}})
        };
        let events = [ev("evt_1", 0), ev("evt_2", 50)];
        let batch = events_batch(events.iter(), true).unwrap();
        assert_eq!(batch.charges.len(), 1);
        assert_eq!(batch.charges[0].object.amount_refunded, 50);
        let batch = events_batch(events.iter(), false).unwrap();
        assert!(batch.is_empty());
    }
}
