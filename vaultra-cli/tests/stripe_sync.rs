//! Stripe sync against the local fake Stripe (`vaultra-stripe-fake`), on SQLite (and on
//! PostgreSQL when `VAULTRA_TEST_POSTGRES_URL` reaches a server): the sync service with
//! the async-stripe adapter in-process, and `vaultra stripe link|sync` + `vaultra
//! report` end to end against `vaultra score` on the same merchant as files.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;
use support::postgres_store;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::Command;
use async_trait::async_trait;
use chrono::{DateTime, Duration as Days, NaiveDate, Utc};
use serde_json::{Value, json};
use tempfile::TempDir;
use uuid::Uuid;
use vaultra_adapters::files::load_export;
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_adapters::stripe::{StripeConfig, StripeSource};
use vaultra_adapters::synth::{self, Merchant, Profile, charge_json};
use vaultra_core::domain::{
    Charge, ChargeStatus, IntegrationAccount, NewBusiness, NewUser, Provider,
};
use vaultra_core::metrics::{self, CurrencyChoice, Window};
use vaultra_core::ports::{
    Clock as _, ConnectedAccount, FixedClock, Page, PageQuery, PaymentSource, RecordingSleeper,
    SourceError, SourceErrorKind, SourceEvent, Store,
};
use vaultra_core::report::{Options, Report, assess};
use vaultra_core::scoring::Policy;
use vaultra_core::services::stripe_sync::{
    DEAD_LETTER_KIND, Quiet, StripeSync, SyncConfig, SyncMode, SyncPorts,
};
use vaultra_stripe_fake::{Config as FakeConfig, FakeStripe, Fault};

const ACCOUNT: &str = "acct_1SyncTestMerchant0";

fn end() -> NaiveDate {
    "2026-11-20".parse().unwrap()
}

/// Just after the export of a merchant ending on `end`.
fn export_now(end: NaiveDate) -> DateTime<Utc> {
    DateTime::from_timestamp(synth::export_time(end) + 3_600, 0).unwrap()
}

struct Env {
    fake: FakeStripe,
    store: Arc<dyn Store>,
    dir: TempDir,
    business: Uuid,
    account: IntegrationAccount,
    clock: Arc<FixedClock>,
    sleeper: Arc<RecordingSleeper>,
    merchant: Merchant,
}

async fn setup_with(store: Arc<dyn Store>, profile: Profile, seed: u64) -> Env {
    let merchant = synth::generate(&synth::Config::new(profile, seed, end()));
    let dir = TempDir::new().unwrap();
    synth::write_export(&dir.path().join("export"), &merchant).unwrap();
    let fake = FakeStripe::start(FakeConfig::default()).await.unwrap();
    fake.add_merchant(ACCOUNT, &merchant).unwrap();
    let user = store
        .create_user(NewUser {
            email: format!("owner-{}@example.com", Uuid::new_v4()),
            name: "Owner".into(),
            password_hash: None,
            avatar_url: None,
        })
        .await
        .unwrap();
    let business = store
        .create_business(user.id, NewBusiness::named("Sync Co"))
        .await
        .unwrap()
        .id;
    let account = store
        .link_account(business, Provider::Stripe, ACCOUNT)
        .await
        .unwrap();
    Env {
        fake,
        store,
        dir,
        business,
        account,
        clock: Arc::new(FixedClock::new(export_now(end()))),
        sleeper: Arc::new(RecordingSleeper::default()),
        merchant,
    }
}

async fn sqlite_store(dir: &Path) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", dir.join("vaultra.db").display());
    Arc::new(SqliteStore::connect(&url).await.unwrap())
}

async fn setup(profile: Profile, seed: u64) -> (Env, TempDir) {
    let db = TempDir::new().unwrap();
    let store = sqlite_store(db.path()).await;
    (setup_with(store, profile, seed).await, db)
}

impl Env {
    fn source(&self) -> Arc<StripeSource> {
        let mut config = StripeConfig::new(self.fake.secret_key());
        config.api_base = self.fake.api_base();
        config.connect_base = self.fake.api_base();
        Arc::new(StripeSource::new(config).unwrap())
    }

    fn service(&self, source: Arc<dyn PaymentSource>, config: SyncConfig) -> StripeSync {
        StripeSync::new(
            source,
            SyncPorts::from(self.store.clone()),
            self.clock.clone(),
            self.sleeper.clone(),
        )
        .with_config(config)
    }

    fn default_service(&self) -> StripeSync {
        self.service(self.source(), SyncConfig::default())
    }

    async fn account(&self) -> IntegrationAccount {
        self.store.get_account(self.account.id).await.unwrap()
    }

    /// `vaultra report`'s JSON for the business, as of `end()`.
    async fn report(&self) -> Value {
        let window = Window::new(end(), 30).unwrap();
        let data = self
            .store
            .payment_data(self.business, window)
            .await
            .unwrap();
        let metrics = metrics::compute(&data, window, CurrencyChoice::from(None));
        serde_json::to_value(Report::from_metrics(metrics, &Policy::spec_v1())).unwrap()
    }

    /// `vaultra score`'s JSON for the same merchant written as files.
    fn score(&self) -> Value {
        let data = load_export(self.dir.path().join("export")).unwrap();
        let report = assess(&data, &Options::ending(end()), &Policy::spec_v1()).unwrap();
        serde_json::to_value(report).unwrap()
    }

    /// Charges the merchant has within the 90-day backfill.
    fn charges_in_backfill(&self) -> u64 {
        let now = self.clock.now().timestamp();
        let since = now - now.rem_euclid(86_400) - 90 * 86_400;
        self.merchant
            .charges
            .iter()
            .filter(|c| c.created >= since)
            .count() as u64
    }
}

fn paths(requests: &[vaultra_stripe_fake::RecordedRequest]) -> Vec<String> {
    requests.iter().map(|r| r.path.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_then_report_equals_score_on_the_same_files() {
    let (env, _db) = setup(Profile::Steady, 7).await;
    let report = env
        .default_service()
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap();
    assert_eq!(report.mode, SyncMode::Backfill);
    assert_eq!(report.attempts, 1);
    assert_eq!(report.stored.charges, env.charges_in_backfill());
    assert_eq!(env.report().await, env.score());
    // Every request was for the connected account, 100 a page, from 90 (lists) or 30
    // (events) days back.
    let requests = env.fake.requests();
    assert!(requests.len() > 4);
    for r in &requests {
        assert_eq!(r.stripe_account.as_deref(), Some(ACCOUNT), "{r:?}");
        assert_eq!(r.status, Some(200), "{r:?}");
        assert_eq!(r.param("limit").as_deref(), Some("100"));
        assert!(r.param("created[gte]").is_some(), "{r:?}");
    }
    let account = env.account().await;
    assert!(account.last_synced_at.is_some());
    assert_eq!(account.last_error, None);
}

fn new_charge(id: &str, created: i64, amount: i64, refunded: i64) -> Charge {
    Charge {
        id: id.into(),
        created,
        amount,
        amount_refunded: refunded,
        currency: vaultra_core::domain::Currency::USD,
        status: ChargeStatus::Succeeded,
        captured: true,
    }
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id, "object": "event", "api_version": "2024-06-20", "created": created,
        "data": {"object": object}, "livemode": false, "pending_webhooks": 0,
        "request": {"id": null, "idempotency_key": null}, "type": kind, "account": ACCOUNT
    })
}

/// Revenue and refunds of the last two days, in major units.
async fn recent_totals(env: &Env) -> (f64, f64) {
    let window = Window::new(env.clock.now().date_naive(), 2).unwrap();
    let data = env.store.payment_data(env.business, window).await.unwrap();
    let m =
        serde_json::to_value(metrics::compute(&data, window, CurrencyChoice::from(None))).unwrap();
    let num = |k: &str| m[k].as_str().unwrap().parse::<f64>().unwrap();
    (num("revenue_total"), num("refunded_total"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_fetches_only_what_changed() {
    let (env, _db) = setup(Profile::Steady, 8).await;
    let service = env.default_service();
    service.sync(&env.account, false, &Quiet).await.unwrap();
    let first_synced = env.account().await.last_synced_at.unwrap();

    // Nothing changed: one events request after the last event seen, nothing stored.
    env.fake.clear_requests();
    env.clock.advance(Days::minutes(10));
    let report = service.sync(&env.account, false, &Quiet).await.unwrap();
    assert_eq!(report.mode, SyncMode::Incremental);
    assert_eq!(report.pages, 0);
    let requests = env.fake.requests();
    assert_eq!(paths(&requests), ["/v1/events"]);
    assert!(requests[0].param("ending_before").is_some());
    assert!(env.account().await.last_synced_at.unwrap() > first_synced);

    let before = recent_totals(&env).await;
    // A new charge, then its refund: only the events are read, and the refund (the
    // newest state) is what is stored.
    let t = env.clock.now().timestamp();
    let charge = new_charge("ch_new_after_sync", t - 60, 50_00, 0);
    let refunded = new_charge("ch_new_after_sync", t - 60, 50_00, 20_00);
    env.fake
        .add_charges(ACCOUNT, std::slice::from_ref(&refunded));
    env.fake
        .add_object(
            ACCOUNT,
            event(
                "evt_new_1",
                "charge.succeeded",
                t - 60,
                charge_json(&charge),
            ),
        )
        .unwrap();
    env.fake
        .add_object(
            ACCOUNT,
            event(
                "evt_new_2",
                "charge.refunded",
                t - 30,
                charge_json(&refunded),
            ),
        )
        .unwrap();
    env.fake.clear_requests();
    let report = service.sync(&env.account, false, &Quiet).await.unwrap();
    assert_eq!(report.mode, SyncMode::Incremental);
    assert_eq!(report.objects, 2);
    assert_eq!(report.stored.charges, 1);
    let requests = env.fake.requests();
    assert_eq!(paths(&requests), ["/v1/events"]);
    let after = recent_totals(&env).await;
    assert_eq!(after.0 - before.0, 50.0, "revenue grew by the new charge");
    assert_eq!(
        after.1 - before.1,
        20.0,
        "its refund (the newest state) is stored"
    );

    // And the next run starts after the refund.
    env.fake.clear_requests();
    service.sync(&env.account, false, &Quiet).await.unwrap();
    let requests = env.fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].param("ending_before").as_deref(),
        Some("evt_new_2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_changes_are_read_in_pages_oldest_first() {
    let (env, _db) = setup(Profile::Steady, 17).await;
    let service = env.default_service();
    service.sync(&env.account, false, &Quiet).await.unwrap();
    let before = recent_totals(&env).await;
    let t = env.clock.now().timestamp();
    // 150 new charges; the first 10 are refunded in full by a later event.
    for i in 0..150 {
        let c = new_charge(&format!("ch_many_{i:03}"), t - 1_000 + i, 10_00, 0);
        env.fake.add_charges(ACCOUNT, std::slice::from_ref(&c));
        env.fake
            .add_object(
                ACCOUNT,
                event(
                    &format!("evt_many_{i:03}"),
                    "charge.succeeded",
                    c.created,
                    charge_json(&c),
                ),
            )
            .unwrap();
    }
    for i in 0..10 {
        let c = new_charge(&format!("ch_many_{i:03}"), t - 1_000 + i, 10_00, 10_00);
        env.fake
            .add_object(
                ACCOUNT,
                event(
                    &format!("evt_refund_{i:03}"),
                    "charge.refunded",
                    t - 100 + i,
                    charge_json(&c),
                ),
            )
            .unwrap();
    }
    env.fake.clear_requests();
    let report = service.sync(&env.account, false, &Quiet).await.unwrap();
    assert_eq!(report.mode, SyncMode::Incremental);
    assert_eq!(report.objects, 160);
    assert_eq!(report.pages, 2);
    assert_eq!(env.fake.requests().len(), 2);
    let after = recent_totals(&env).await;
    assert_eq!(after.0 - before.0, 1_500.0);
    assert_eq!(
        after.1 - before.1,
        100.0,
        "refunds applied after the charges"
    );
    env.fake.clear_requests();
    service.sync(&env.account, false, &Quiet).await.unwrap();
    let requests = env.fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].param("ending_before").as_deref(),
        Some("evt_refund_009")
    );
}

/// A source that dies (like a killed process) after `calls` page requests.
#[derive(Debug)]
struct DiesAfter {
    inner: Arc<StripeSource>,
    calls: usize,
    made: AtomicUsize,
}

#[async_trait]
impl PaymentSource for DiesAfter {
    fn connect_url(&self, state: &str, redirect: Option<&str>) -> Result<String, SourceError> {
        self.inner.connect_url(state, redirect)
    }
    async fn exchange_code(&self, code: &str) -> Result<ConnectedAccount, SourceError> {
        self.inner.exchange_code(code).await
    }
    async fn fetch_page(&self, account: &str, query: &PageQuery) -> Result<Page, SourceError> {
        if self.made.fetch_add(1, Ordering::SeqCst) >= self.calls {
            return Err(SourceError::new(SourceErrorKind::Invalid, "killed"));
        }
        self.inner.fetch_page(account, query).await
    }
    fn verify_webhook(&self, p: &[u8], s: &str, now: i64) -> Result<SourceEvent, SourceError> {
        self.inner.verify_webhook(p, s, now)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_midway_resumes_and_loses_or_duplicates_nothing() {
    let (env, _db) = setup(Profile::Steady, 9).await;
    // Events take one or two pages; stop in the middle of the charges.
    let dying = Arc::new(DiesAfter {
        inner: env.source(),
        calls: 6,
        made: AtomicUsize::new(0),
    });
    let err = env
        .service(dying, SyncConfig::default())
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("killed"), "{err}");
    let account = env.account().await;
    assert_eq!(account.last_synced_at, None);
    let stored = env.store.coverage(env.business).await.unwrap().charges;
    assert!(stored > 0 && stored < env.charges_in_backfill(), "{stored}");
    assert!(paths(&env.fake.requests()).contains(&"/v1/charges".to_owned()));

    env.fake.clear_requests();
    let report = env
        .default_service()
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap();
    assert_eq!(report.mode, SyncMode::Backfill);
    let requests = env.fake.requests();
    // It resumed at the charges page after the last one stored, reading no event again.
    assert_eq!(requests[0].path, "/v1/charges");
    assert!(requests[0].param("starting_after").is_some());
    assert!(!paths(&requests).contains(&"/v1/events".to_owned()));
    assert_eq!(
        env.store.coverage(env.business).await.unwrap().charges,
        env.charges_in_backfill()
    );
    assert_eq!(env.report().await, env.score());
}

// ---- backfill batches and the prefetch --------------------------------------------

/// Three pages of 100 per transaction: small enough that a test merchant (about 36
/// charge pages) spans many batches.
fn three_pages() -> SyncConfig {
    SyncConfig {
        backfill_batch: 300,
        ..SyncConfig::default()
    }
}

/// The fake's successful charge requests, in order: the `starting_after` of each.
fn charge_pages(requests: &[vaultra_stripe_fake::RecordedRequest]) -> Vec<Option<String>> {
    requests
        .iter()
        .filter(|r| r.path == "/v1/charges" && r.status == Some(200))
        .map(|r| r.param("starting_after"))
        .collect()
}

/// Every request of a run asked for a different page (no page fetched twice).
fn each_page_once(requests: &[vaultra_stripe_fake::RecordedRequest]) {
    let mut seen = std::collections::HashSet::new();
    for r in requests {
        let key = (r.path.clone(), r.param("starting_after"));
        assert!(seen.insert(key), "fetched twice: {r:?}");
    }
}

/// Records every transaction the sync reports: its stream and object count.
#[derive(Default)]
struct Transactions(std::sync::Mutex<Vec<(vaultra_core::ports::Stream, usize)>>);

impl vaultra_core::services::stripe_sync::SyncObserver for Transactions {
    fn page(
        &self,
        stream: vaultra_core::ports::Stream,
        objects: usize,
        _: &vaultra_core::ports::IngestStats,
    ) {
        self.0.lock().unwrap().push((stream, objects));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_sync_stores_batches_of_pages_and_fetches_each_page_once() {
    let (env, _db) = setup(Profile::Steady, 31).await;
    let seen = Transactions::default();
    let report = env
        .service(env.source(), three_pages())
        .sync(&env.account, false, &seen)
        .await
        .unwrap();
    let expected = env.charges_in_backfill();
    assert_eq!(report.stored.charges, expected);
    let requests = env.fake.requests();
    // One request per page stored: the prefetch never reads past the last page.
    assert_eq!(requests.len() as u64, report.pages);
    each_page_once(&requests);
    // Charges went in whole batches of three pages; the last holds the rest. A
    // transaction never mixes streams.
    let charges: Vec<usize> = seen
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(s, _)| *s == vaultra_core::ports::Stream::Charges)
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(charges.len() as u64, expected.div_ceil(300));
    let (last, full) = charges.split_last().unwrap();
    assert!(full.iter().all(|n| *n == 300), "{charges:?}");
    assert_eq!(*last as u64, expected - 300 * full.len() as u64);
    assert_eq!(env.report().await, env.score());
}

/// A source that refuses chosen charge requests once with a 429, or freezes from a
/// chosen charge request on (a process stopped there, then killed). Charge requests
/// are counted from 1.
#[derive(Debug)]
struct Scripted {
    inner: Arc<StripeSource>,
    charge_calls: AtomicUsize,
    rate_limited: Vec<usize>,
    freeze_at: Option<usize>,
    frozen: tokio::sync::Notify,
}

impl Scripted {
    fn new(inner: Arc<StripeSource>) -> Self {
        Self {
            inner,
            charge_calls: AtomicUsize::new(0),
            rate_limited: Vec::new(),
            freeze_at: None,
            frozen: tokio::sync::Notify::new(),
        }
    }
}

#[async_trait]
impl PaymentSource for Scripted {
    fn connect_url(&self, state: &str, redirect: Option<&str>) -> Result<String, SourceError> {
        self.inner.connect_url(state, redirect)
    }
    async fn exchange_code(&self, code: &str) -> Result<ConnectedAccount, SourceError> {
        self.inner.exchange_code(code).await
    }
    async fn fetch_page(&self, account: &str, query: &PageQuery) -> Result<Page, SourceError> {
        if query.stream == vaultra_core::ports::Stream::Charges {
            let n = self.charge_calls.fetch_add(1, Ordering::SeqCst) + 1;
            if self.rate_limited.contains(&n) {
                return Err(SourceError {
                    status: Some(429),
                    ..SourceError::new(SourceErrorKind::RateLimited, "rate limited")
                });
            }
            if self.freeze_at.is_some_and(|at| n >= at) {
                self.frozen.notify_one();
                std::future::pending::<()>().await;
            }
        }
        self.inner.fetch_page(account, query).await
    }
    fn verify_webhook(&self, p: &[u8], s: &str, now: i64) -> Result<SourceEvent, SourceError> {
        self.inner.verify_webhook(p, s, now)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_page_retried_while_the_batch_before_is_stored_is_not_lost() {
    let (env, _db) = setup(Profile::Steady, 32).await;
    // The 5th charges page is the 2nd of the second batch: fetched while the first
    // batch is being stored.
    let source = Arc::new(Scripted {
        rate_limited: vec![5],
        ..Scripted::new(env.source())
    });
    let report = env
        .service(source, three_pages())
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap();
    assert_eq!(report.retries, 1);
    // A 429 without `Retry-After` waits the floor of one second.
    assert_eq!(env.sleeper.slept(), [std::time::Duration::from_secs(1)]);
    let requests = env.fake.requests();
    assert_eq!(requests.len() as u64, report.pages);
    each_page_once(&requests);
    assert_eq!(
        env.store.coverage(env.business).await.unwrap().charges,
        env.charges_in_backfill()
    );
    assert_eq!(env.report().await, env.score());
}

/// Freezes a backfill in the middle of its second batch of charges, once the first
/// batch is committed, and drops it there (a killed process); then a plain sync
/// finishes it. Nothing is lost, nothing duplicated, and the second run starts right
/// after the last committed batch.
async fn killed_mid_batch_then_resumed(env: &Env) {
    let source = Arc::new(Scripted {
        freeze_at: Some(5),
        ..Scripted::new(env.source())
    });
    let service = env.service(source.clone(), three_pages());
    // Boxed, so that dropping it below drops the sync itself (its open transaction and
    // requests with it), as a killed process would.
    let mut sync = Box::pin(service.sync(&env.account, false, &Quiet));
    let committed = async {
        source.frozen.notified().await;
        // The first batch may still be committing while the 5th page hangs.
        for _ in 0..500 {
            if env.store.coverage(env.business).await.unwrap().charges >= 300 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the first batch was never committed");
    };
    tokio::select! {
        r = &mut sync => panic!("the sync finished while frozen: {r:?}"),
        () = committed => {}
    }
    drop(sync); // killed: the 4th page was fetched, not stored
    let first = charge_pages(&env.fake.requests());
    assert_eq!(first.len(), 4, "{first:?}");
    assert_eq!(env.store.coverage(env.business).await.unwrap().charges, 300);
    assert_eq!(env.account().await.last_synced_at, None);

    env.fake.clear_requests();
    let report = env
        .service(env.source(), three_pages())
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap();
    assert_eq!(report.mode, SyncMode::Backfill);
    let requests = env.fake.requests();
    // Resumed with the page after the first batch: the 4th page is read again, the
    // three stored before it are not.
    assert_eq!(requests[0].path, "/v1/charges");
    assert_eq!(requests[0].param("starting_after"), first[3]);
    each_page_once(&requests);
    assert_eq!(
        env.store.coverage(env.business).await.unwrap().charges,
        env.charges_in_backfill()
    );
    assert_eq!(report.stored.charges, env.charges_in_backfill() - 300);
    assert_eq!(env.report().await, env.score());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_mid_batch_resumes_after_the_last_committed_batch() {
    let (env, _db) = setup(Profile::Steady, 33).await;
    killed_mid_batch_then_resumed(&env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_mid_batch_resumes_after_the_last_committed_batch_on_postgres() {
    let Some(store) = postgres_store("vaultra_sync_kill").await else {
        eprintln!("skipped: no PostgreSQL at VAULTRA_TEST_POSTGRES_URL");
        return;
    };
    let env = setup_with(store.0.clone(), Profile::Steady, 34).await;
    killed_mid_batch_then_resumed(&env).await;
    store.1.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_failure_mid_sync_stops_the_prefetch_and_resumes_without_loss() {
    use sqlx::Connection as _;
    let (env, db) = setup(Profile::Steady, 35).await;
    // The database refuses the second batch of charges (rows 301…).
    let url = format!("sqlite://{}", db.path().join("vaultra.db").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_second_batch BEFORE INSERT ON charges \
         WHEN (SELECT count(*) FROM charges) >= 300 \
         BEGIN SELECT RAISE(ABORT, 'injected store failure'); END",
    )
    .execute(&mut c)
    .await
    .unwrap();
    // Slow charge pages, so that the failure is seen before the next page answers.
    env.fake.inject_on(
        "/v1/charges",
        Fault::Delay(std::time::Duration::from_millis(200)),
        10_000,
    );
    let err = env
        .service(env.source(), three_pages())
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap_err();
    // The database's own words are the cause (for logs and the dead letter), not the
    // message; the message says where it happened.
    assert!(
        matches!(err, vaultra_core::Error::Internal { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("injected store failure"), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("ingest for business {}: ", env.business)),
        "{err}"
    );
    assert!(
        err.report().to_string().contains("injected store failure"),
        "{}",
        err.report()
    );
    assert_eq!(env.store.coverage(env.business).await.unwrap().charges, 300);
    let first = charge_pages(&env.fake.requests());
    // Two batches of three pages, plus at most the one request that was in flight
    // when the second batch failed.
    assert!((6..=7).contains(&first.len()), "{first:?}");
    let letters = env
        .store
        .dead_letters(Some(DEAD_LETTER_KIND), 10)
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].error.contains("injected store failure"),
        "{}",
        letters[0].error
    );

    sqlx::query("DROP TRIGGER refuse_second_batch")
        .execute(&mut c)
        .await
        .unwrap();
    env.fake.clear_faults();
    env.fake.clear_requests();
    let report = env
        .service(env.source(), three_pages())
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap();
    let requests = env.fake.requests();
    assert_eq!(requests[0].path, "/v1/charges");
    assert_eq!(requests[0].param("starting_after"), first[3]);
    each_page_once(&requests);
    assert_eq!(report.stored.charges, env.charges_in_backfill() - 300);
    assert_eq!(
        env.store.coverage(env.business).await.unwrap().charges,
        env.charges_in_backfill()
    );
    assert_eq!(env.report().await, env.score());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_429s_and_500s_are_retried_with_backoff() {
    let (env, _db) = setup(Profile::PayoutTroubled, 10).await;
    env.fake.inject_on(
        "/v1/charges",
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        2,
    );
    env.fake.inject_on("/v1/events", Fault::ServerError, 2);
    env.fake.inject_on("/v1/payouts", Fault::ServerError, 1);
    let report = env
        .default_service()
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap();
    assert_eq!(report.retries, 5);
    assert_eq!(report.attempts, 1);
    let statuses: Vec<u16> = env
        .fake
        .requests()
        .iter()
        .filter_map(|r| r.status)
        .filter(|s| *s != 200)
        .collect();
    assert_eq!(statuses.len(), 5, "{statuses:?}");
    // Exponential: each retry of a request waits longer than half the one before
    // doubled, within the cap.
    let slept = env.sleeper.slept();
    assert_eq!(slept.len(), 5);
    assert!(
        slept
            .iter()
            .all(|d| *d >= std::time::Duration::from_millis(250))
    );
    assert_eq!(env.report().await, env.score());
}

/// A source whose first page request is refused with `429` and `Retry-After: 7`.
#[derive(Debug)]
struct RateLimitedOnce {
    inner: Arc<StripeSource>,
    done: AtomicUsize,
}

#[async_trait]
impl PaymentSource for RateLimitedOnce {
    fn connect_url(&self, state: &str, redirect: Option<&str>) -> Result<String, SourceError> {
        self.inner.connect_url(state, redirect)
    }
    async fn exchange_code(&self, code: &str) -> Result<ConnectedAccount, SourceError> {
        self.inner.exchange_code(code).await
    }
    async fn fetch_page(&self, account: &str, query: &PageQuery) -> Result<Page, SourceError> {
        if self.done.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(SourceError {
                retry_after: Some(std::time::Duration::from_secs(7)),
                status: Some(429),
                ..SourceError::new(SourceErrorKind::RateLimited, "rate limited")
            });
        }
        self.inner.fetch_page(account, query).await
    }
    fn verify_webhook(&self, p: &[u8], s: &str, now: i64) -> Result<SourceEvent, SourceError> {
        self.inner.verify_webhook(p, s, now)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let (env, _db) = setup(Profile::Steady, 16).await;
    let source = Arc::new(RateLimitedOnce {
        inner: env.source(),
        done: AtomicUsize::new(0),
    });
    let report = env
        .service(source, SyncConfig::default())
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap();
    assert_eq!(report.retries, 1);
    assert_eq!(env.sleeper.slept(), [std::time::Duration::from_secs(7)]);
}

/// When a request is not retried on its own (one attempt per request), the rate limit
/// reaches the whole-sync retry as a core error that still carries `Retry-After`, and
/// that wait is honoured there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_between_whole_attempts() {
    let (env, _db) = setup(Profile::Steady, 17).await;
    let source = Arc::new(RateLimitedOnce {
        inner: env.source(),
        done: AtomicUsize::new(0),
    });
    let config = SyncConfig {
        request_attempts: 1,
        ..SyncConfig::default()
    };
    let report = env
        .service(source, config)
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap();
    assert_eq!(report.attempts, 2);
    // Without the floor the first whole-sync retry waits 0.25–0.5 s.
    assert_eq!(env.sleeper.slept(), [std::time::Duration::from_secs(7)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hard_failures_land_in_the_dead_letter_table() {
    let (env, _db) = setup(Profile::Steady, 11).await;
    let service = env.default_service();
    service.sync(&env.account, false, &Quiet).await.unwrap();
    let synced = env.account().await.last_synced_at.unwrap();

    env.clock.advance(Days::hours(1));
    env.fake.clear_requests();
    env.fake.inject(Fault::ServerError, 1_000);
    let err = service.sync(&env.account, false, &Quiet).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    let account = env.account().await;
    assert_eq!(account.last_synced_at, Some(synced), "unchanged on failure");
    assert!(account.last_error.unwrap().contains("500"));
    let letters = env
        .store
        .dead_letters(Some(DEAD_LETTER_KIND), 10)
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].attempts, 3);
    assert_eq!(letters[0].key, env.account.id.to_string());
    assert_eq!(letters[0].payload["external_id"], ACCOUNT);
    assert!(letters[0].error.contains("500"), "{}", letters[0].error);
    // 3 runs × 5 tries each.
    assert_eq!(env.fake.requests().len(), 15);

    // Once Stripe recovers, the next sync succeeds and clears the error.
    env.fake.clear_faults();
    service.sync(&env.account, false, &Quiet).await.unwrap();
    let account = env.account().await;
    assert!(account.last_synced_at.unwrap() > synced);
    assert_eq!(account.last_error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_older_than_stripe_keeps_events_falls_back_to_a_backfill() {
    let (env, _db) = setup(Profile::Growing, 12).await;
    let service = env.default_service();
    service.sync(&env.account, false, &Quiet).await.unwrap();
    env.clock.advance(Days::days(31));
    env.fake.clear_requests();
    let report = service.sync(&env.account, false, &Quiet).await.unwrap();
    assert_eq!(report.mode, SyncMode::Backfill);
    assert!(report.fell_back);
    let requests = env.fake.requests();
    assert!(paths(&requests).contains(&"/v1/charges".to_owned()));
    assert!(requests.iter().all(|r| r.param("ending_before").is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_resyncs_everything_and_changes_nothing() {
    let (env, _db) = setup(Profile::ChargebackHeavy, 13).await;
    let service = env.default_service();
    service.sync(&env.account, false, &Quiet).await.unwrap();
    let before = env.report().await;
    let report = service.sync(&env.account, true, &Quiet).await.unwrap();
    assert_eq!(report.mode, SyncMode::Backfill);
    assert_eq!(
        env.store.coverage(env.business).await.unwrap().charges,
        env.charges_in_backfill()
    );
    assert_eq!(env.report().await, before);
    assert_eq!(before, env.score());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_code_exchange_against_the_fake() {
    let (env, _db) = setup(Profile::Steady, 14).await;
    env.fake
        .add_oauth_code("ac_test_code", "acct_1NewlyConnected000");
    let source = env.source();
    let connected = source.exchange_code("ac_test_code").await.unwrap();
    assert_eq!(connected.account_id, "acct_1NewlyConnected000");
    assert_eq!(connected.scope.as_deref(), Some("read_only"));
    let err = source.exchange_code("ac_test_code").await.unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Invalid);
    assert!(!err.message.contains(env.fake.secret_key()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_on_postgres_equals_score() {
    let Some(store) = postgres_store("vaultra_sync").await else {
        eprintln!("skipped: no PostgreSQL at VAULTRA_TEST_POSTGRES_URL");
        return;
    };
    let env = setup_with(store.0.clone(), Profile::Seasonal, 15).await;
    env.default_service()
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap();
    assert_eq!(env.report().await, env.score());
    store.1.drop().await;
}

// ---- the `vaultra` command end to end -------------------------------------------

fn vaultra(dir: &Path, fake: &FakeStripe) -> Command {
    let mut cmd = Command::cargo_bin("vaultra").unwrap();
    cmd.current_dir(dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("v.db").display()),
        )
        .env("STRIPE_SECRET_KEY", fake.secret_key())
        .env("STRIPE_API_BASE", fake.api_base())
        .env("STRIPE_CONNECT_BASE", fake.api_base());
    cmd
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_link_sync_report_equals_score() {
    // The CLI syncs at the real time: a merchant whose export ends yesterday.
    let yesterday = Utc::now().date_naive().pred_opt().unwrap();
    let merchant = synth::generate(&synth::Config::new(Profile::Declining, 21, yesterday));
    let dir = TempDir::new().unwrap();
    let export = dir.path().join("export");
    synth::write_export(&export, &merchant).unwrap();
    let fake = FakeStripe::start(FakeConfig::default()).await.unwrap();
    fake.add_merchant(ACCOUNT, &merchant).unwrap();
    let d = dir.path().to_owned();
    let f = &fake;
    let run = |args: Vec<String>| {
        let d = d.clone();
        let mut cmd = vaultra(&d, f);
        cmd.args(args);
        tokio::task::block_in_place(move || ok(&mut cmd))
    };
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let id = run(s(&[
        "business",
        "create",
        "--name",
        "Cli Co",
        "--owner-email",
        "cli@example.com",
    ]));
    let id = id.trim().to_owned();
    let linked = run(s(&[
        "stripe",
        "link",
        "--business",
        &id,
        "--account",
        ACCOUNT,
    ]));
    assert!(linked.contains(ACCOUNT), "{linked}");
    let synced = run(s(&["stripe", "sync", "--business", &id]));
    assert!(
        synced.starts_with(&format!("synced {ACCOUNT} (backfill)")),
        "{synced}"
    );
    assert_eq!(synced.lines().count(), 1);
    let as_of = yesterday.to_string();
    let report = run(s(&["report", "--business", &id, "--as-of", &as_of]));
    let score = run(s(&[
        "score",
        "--data",
        export.to_str().unwrap(),
        "--as-of",
        &as_of,
    ]));
    assert_eq!(report, score);
    fake.clear_requests();
    let again = run(s(&["stripe", "sync", "--business", &id]));
    assert!(again.contains("(incremental): 0 pages"), "{again}");
    assert_eq!(paths(&fake.requests()), ["/v1/events"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sync_killed_midway_then_rerun_loses_and_duplicates_nothing() {
    let yesterday = Utc::now().date_naive().pred_opt().unwrap();
    let merchant = synth::generate(&synth::Config::new(Profile::Steady, 22, yesterday));
    let dir = TempDir::new().unwrap();
    let export = dir.path().join("export");
    synth::write_export(&export, &merchant).unwrap();
    let fake = FakeStripe::start(FakeConfig::default()).await.unwrap();
    fake.add_merchant(ACCOUNT, &merchant).unwrap();
    let d = dir.path().to_owned();
    let f = &fake;
    let run = |args: &[&str]| {
        let mut cmd = vaultra(&d, f);
        cmd.args(args);
        tokio::task::block_in_place(move || ok(&mut cmd))
    };
    let id = run(&[
        "business",
        "create",
        "--name",
        "Kill Co",
        "--owner-email",
        "kill@example.com",
    ]);
    let id = id.trim().to_owned();
    run(&["stripe", "link", "--business", &id, "--account", ACCOUNT]);

    // Slow charges pages down, start a sync, and kill the process in the middle of its
    // second batch of charges (a batch is stored in one transaction).
    let per_batch = SyncConfig::default().backfill_batch / 100;
    fake.inject_on(
        "/v1/charges",
        Fault::Delay(std::time::Duration::from_millis(100)),
        10_000,
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vaultra"))
        .current_dir(&d)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", d.join("v.db").display()),
        )
        .env("STRIPE_SECRET_KEY", fake.secret_key())
        .env("STRIPE_API_BASE", fake.api_base())
        .args(["stripe", "sync", "--business", &id])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let done = fake
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/charges" && r.status == Some(200))
            .count();
        if done >= per_batch + 8 {
            break;
        }
        assert!(started.elapsed().as_secs() < 60, "the sync never got going");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    fake.clear_faults();
    let first = charge_pages(&fake.requests());

    let url = format!("sqlite://{}", d.join("v.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
    let business = Uuid::parse_str(&id).unwrap();
    let partial = store.coverage(business).await.unwrap().charges;
    let now = Utc::now().timestamp();
    let since = now - now.rem_euclid(86_400) - 90 * 86_400;
    let expected = merchant
        .charges
        .iter()
        .filter(|c| c.created >= since)
        .count() as u64;
    assert!(partial > 0 && partial < expected, "{partial} of {expected}");
    // Whole batches only: the pages of the unfinished one were not stored.
    assert_eq!(partial % (per_batch as u64 * 100), 0, "{partial}");
    assert!(
        store
            .accounts_of(business)
            .await
            .unwrap()
            .iter()
            .all(|a| a.last_synced_at.is_none())
    );

    fake.clear_requests();
    let synced = run(&["stripe", "sync", "--business", &id]);
    assert!(synced.contains("(backfill)"), "{synced}");
    let requests = fake.requests();
    assert_eq!(requests[0].path, "/v1/charges", "resumed in the charges");
    // Right after the last page stored: the pages fetched after it are read again.
    let stored_pages = usize::try_from(partial / 100).unwrap();
    assert!(requests[0].param("starting_after").is_some());
    assert_eq!(requests[0].param("starting_after"), first[stored_pages]);
    each_page_once(&requests);
    assert_eq!(store.coverage(business).await.unwrap().charges, expected);
    let as_of = yesterday.to_string();
    let report = run(&["report", "--business", &id, "--as-of", &as_of]);
    let score = run(&[
        "score",
        "--data",
        export.to_str().unwrap(),
        "--as-of",
        &as_of,
    ]);
    assert_eq!(report, score);
}

/// `Retry-After` from a real HTTP answer (the fake's 429) reaches the sync: the adapter
/// surfaces it (async-stripe's own client would drop the header) and the backoff waits
/// at least that long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_from_the_wire_is_surfaced_and_honoured() {
    let (env, _db) = setup(Profile::Steady, 17).await;
    env.fake.inject_on(
        "/v1/charges",
        Fault::RateLimited {
            retry_after_secs: 4,
        },
        1,
    );
    let err = env
        .source()
        .fetch_page(
            ACCOUNT,
            &PageQuery::first(vaultra_core::ports::Stream::Charges, 10),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::RateLimited);
    assert_eq!(err.status, Some(429));
    assert_eq!(err.retry_after, Some(std::time::Duration::from_secs(4)));

    env.fake.inject_on(
        "/v1/charges",
        Fault::RateLimited {
            retry_after_secs: 9,
        },
        1,
    );
    let report = env
        .default_service()
        .sync(&env.account, false, &Quiet)
        .await
        .unwrap();
    assert_eq!(report.retries, 1);
    // The first retry's own backoff is at most 500 ms: 9 s can only be the header.
    assert_eq!(env.sleeper.slept(), [std::time::Duration::from_secs(9)]);
    assert_eq!(env.report().await, env.score());
}
