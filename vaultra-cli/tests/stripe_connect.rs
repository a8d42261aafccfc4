//! Stripe Connect OAuth (`vaultra_core::services::stripe_connect`) end to end against
//! the fake Stripe (`/oauth/token` with single-use codes and `invalid_grant`), the
//! Stripe adapter, a SQLite store and the operating system's randomness; the job queue
//! is a recording double of the `JobQueue` port.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use tempfile::TempDir;
use uuid::Uuid;
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_adapters::stripe::{OsEntropy, StripeConfig, StripeSource};
use vaultra_adapters::synth::{self, Profile};
use vaultra_core::Error;
use vaultra_core::domain::{NewBusiness, NewUser, Provider, Role};
use vaultra_core::ports::{
    EnqueueReport, FixedClock, JobKind, JobQueue, JobTask, RecordingSleeper, Store,
};
use vaultra_core::services::stripe_connect::{Backfill, ConnectPorts, StripeConnect, state_hash};
use vaultra_core::services::stripe_sync::{Quiet, StripeSync, SyncMode, SyncPorts};
use vaultra_stripe_fake::{Config as FakeConfig, DEFAULT_CLIENT_ID, FakeStripe};

const REDIRECT: &str = "https://app.vaultra.test/stripe/callback";
const CONNECTED: &str = "acct_1ConnectedViaOAuth0";

/// A queue that remembers what it was given, with the port's de-duplication by key.
#[derive(Debug, Default)]
struct RecordingQueue {
    keys: Mutex<HashSet<String>>,
    tasks: Mutex<Vec<JobTask>>,
    broken: bool,
}

#[async_trait]
impl JobQueue for RecordingQueue {
    async fn enqueue(&self, tasks: &[JobTask]) -> vaultra_core::Result<EnqueueReport> {
        if self.broken {
            return Err(Error::unavailable("queue down", true));
        }
        let mut report = EnqueueReport::default();
        for t in tasks {
            if self.keys.lock().unwrap().insert(t.key()) {
                self.tasks.lock().unwrap().push(t.clone());
                report.queued += 1;
            } else {
                report.duplicates += 1;
            }
        }
        Ok(report)
    }
}

struct Env {
    fake: FakeStripe,
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    queue: Arc<RecordingQueue>,
    service: StripeConnect,
    owner: Uuid,
    business: Uuid,
    db: TempDir,
}

fn now() -> DateTime<Utc> {
    // 2026-11-20 12:07:00 UTC: inside the 12:00 sync slot.
    DateTime::from_timestamp(1_795_176_420, 0).unwrap()
}

async fn user(store: &Arc<dyn Store>, name: &str) -> Uuid {
    store
        .create_user(NewUser {
            email: format!("{name}-{}@example.com", Uuid::new_v4()),
            name: name.into(),
            password_hash: None,
            avatar_url: None,
        })
        .await
        .unwrap()
        .id
}

fn source(fake: &FakeStripe) -> Arc<StripeSource> {
    let mut config = StripeConfig::new(fake.secret_key());
    config.api_base = fake.api_base();
    config.connect_base = fake.api_base();
    config.client_id = Some(DEFAULT_CLIENT_ID.into());
    Arc::new(StripeSource::new(config).unwrap())
}

async fn setup_with_queue(queue: RecordingQueue) -> Env {
    let db = TempDir::new().unwrap();
    let url = format!("sqlite://{}", db.path().join("vaultra.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
    let fake = FakeStripe::start(FakeConfig::default()).await.unwrap();
    let owner = user(&store, "owner").await;
    let business = store
        .create_business(owner, NewBusiness::named("Connect Co"))
        .await
        .unwrap()
        .id;
    let clock = Arc::new(FixedClock::new(now()));
    let queue = Arc::new(queue);
    let service = StripeConnect::new(
        source(&fake),
        ConnectPorts::from(store.clone()),
        queue.clone(),
        clock.clone(),
        Arc::new(OsEntropy),
    );
    Env {
        fake,
        store,
        clock,
        queue,
        service,
        owner,
        business,
        db,
    }
}

async fn setup() -> Env {
    setup_with_queue(RecordingQueue::default()).await
}

/// The `state` parameter of an authorize URL.
fn state_of(url: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("state="))
        .unwrap()
        .to_owned()
}

fn denied(result: vaultra_core::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::PermissionDenied { message: m, .. }) => m,
        other => panic!("expected PermissionDenied, got {other:?}"),
    }
}

/// Every byte of the SQLite database (main file and write-ahead log).
fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("vaultra.db") {
            all.extend(std::fs::read(path).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_links_the_account_stores_no_token_and_queues_its_backfill() {
    let env = setup().await;
    let url = env
        .service
        .initiate_connect(env.owner, env.business, Some(REDIRECT))
        .await
        .unwrap();
    assert!(
        url.starts_with(&format!("{}/oauth/authorize?", env.fake.api_base())),
        "{url}"
    );
    assert!(
        url.contains(&format!("client_id={DEFAULT_CLIENT_ID}")),
        "{url}"
    );
    assert!(url.contains("response_type=code&"), "{url}");
    assert!(url.contains("redirect_uri=https%3A%2F%2Fapp.vaultra.test%2Fstripe%2Fcallback"));
    let state = state_of(&url);
    assert_eq!(state.len(), 64, "256 random bits, hex");
    assert!(state.bytes().all(|b| b.is_ascii_hexdigit()));

    env.fake.add_oauth_code("ac_1GoodCode", CONNECTED);
    let connected = env
        .service
        .complete_connect(env.owner, &state, "ac_1GoodCode")
        .await
        .unwrap();
    assert_eq!(connected.account.external_id, CONNECTED);
    assert_eq!(connected.account.business_id, env.business);
    assert_eq!(connected.scope.as_deref(), Some("read_only"));
    assert_eq!(connected.backfill, Backfill::Queued);
    let linked = env
        .store
        .find_account(Provider::Stripe, CONNECTED)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.id, connected.account.id);
    let tasks = env.queue.tasks.lock().unwrap().clone();
    assert_eq!(
        tasks,
        [JobTask::for_subject(
            JobKind::StripeSync,
            linked.id,
            JobKind::StripeSync.slot_of(now())
        )]
    );

    // The fake issued tokens (sk_test_oauth…, rt_fake…); none of them, nor the state
    // itself, is anywhere in the database — only the state's hash is.
    let bytes = database_bytes(env.db.path());
    assert!(contains(&bytes, CONNECTED));
    assert!(!contains(&bytes, "sk_test_oauth"));
    assert!(!contains(&bytes, "rt_fake"));
    assert!(!contains(&bytes, &state));
    assert!(contains(&bytes, &state_hash(&state)));

    // The queued task is a backfill: the account has no sync position yet.
    let merchant = synth::generate(&synth::Config::new(
        Profile::Steady,
        3,
        "2026-11-19".parse::<NaiveDate>().unwrap(),
    ));
    env.fake.add_merchant(CONNECTED, &merchant).unwrap();
    let sync = StripeSync::new(
        source(&env.fake),
        SyncPorts::from(env.store.clone()),
        env.clock.clone(),
        Arc::new(RecordingSleeper::default()),
    );
    let report = sync.sync(&linked, false, &Quiet).await.unwrap();
    assert_eq!(report.mode, SyncMode::Backfill);
    assert!(report.stored.charges > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn states_are_single_use_expiring_and_bound_to_who_started() {
    let env = setup().await;
    env.fake.add_oauth_code("ac_1First", CONNECTED);
    let state = state_of(
        &env.service
            .initiate_connect(env.owner, env.business, None)
            .await
            .unwrap(),
    );
    env.service
        .complete_connect(env.owner, &state, "ac_1First")
        .await
        .unwrap();
    // Replayed.
    env.fake
        .add_oauth_code("ac_1Second", "acct_1SecondAccount000");
    denied(
        env.service
            .complete_connect(env.owner, &state, "ac_1Second")
            .await,
    );
    // Never issued.
    denied(
        env.service
            .complete_connect(env.owner, &"ab".repeat(32), "ac_1Second")
            .await,
    );

    // Expired: ten minutes is the limit.
    let late = state_of(
        &env.service
            .initiate_connect(env.owner, env.business, None)
            .await
            .unwrap(),
    );
    env.clock.advance(Duration::minutes(10));
    env.fake.clear_requests();
    denied(
        env.service
            .complete_connect(env.owner, &late, "ac_1Second")
            .await,
    );
    assert!(
        env.fake.requests().is_empty(),
        "a refused state never spends the code"
    );

    // Another user (an admin of the same business) cannot complete the owner's flow,
    // and the attempt consumes the state.
    let admin = user(&env.store, "admin").await;
    env.store
        .add_member(env.business, admin, Role::Admin)
        .await
        .unwrap();
    let owners = state_of(
        &env.service
            .initiate_connect(env.owner, env.business, None)
            .await
            .unwrap(),
    );
    denied(
        env.service
            .complete_connect(admin, &owners, "ac_1Second")
            .await,
    );
    denied(
        env.service
            .complete_connect(env.owner, &owners, "ac_1Second")
            .await,
    );
    assert_eq!(
        env.store.accounts_of(env.business).await.unwrap().len(),
        1,
        "only the first connection linked anything"
    );

    // Two flows never share a state.
    let a = env
        .service
        .initiate_connect(admin, env.business, None)
        .await
        .unwrap();
    let b = env
        .service
        .initiate_connect(admin, env.business, None)
        .await
        .unwrap();
    assert_ne!(state_of(&a), state_of(&b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_and_admins_may_connect() {
    let env = setup().await;
    let member = user(&env.store, "member").await;
    env.store
        .add_member(env.business, member, Role::Member)
        .await
        .unwrap();
    denied(
        env.service
            .initiate_connect(member, env.business, None)
            .await,
    );
    let stranger = user(&env.store, "stranger").await;
    assert!(matches!(
        env.service
            .initiate_connect(stranger, env.business, None)
            .await,
        Err(Error::NotFound {
            entity: "business",
            ..
        })
    ));
    let admin = user(&env.store, "admin").await;
    env.store
        .add_member(env.business, admin, Role::Admin)
        .await
        .unwrap();
    let url = env
        .service
        .initiate_connect(admin, env.business, None)
        .await
        .unwrap();
    env.fake.add_oauth_code("ac_1Admin", CONNECTED);
    let connected = env
        .service
        .complete_connect(admin, &state_of(&url), "ac_1Admin")
        .await
        .unwrap();
    assert_eq!(connected.account.external_id, CONNECTED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_code_is_stripes_invalid_grant_and_links_nothing() {
    let env = setup().await;
    let state = state_of(
        &env.service
            .initiate_connect(env.owner, env.business, None)
            .await
            .unwrap(),
    );
    let err = env
        .service
        .complete_connect(env.owner, &state, "ac_1NeverIssued")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { .. }) && err.to_string().contains("invalid_grant"),
        "{err:?}"
    );
    assert!(!err.to_string().contains(env.fake.secret_key()));
    assert!(
        env.store
            .accounts_of(env.business)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(env.queue.tasks.lock().unwrap().is_empty());
    let token_requests: Vec<_> = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/oauth/token")
        .collect();
    assert_eq!(token_requests.len(), 1);
    assert_eq!(token_requests[0].status, Some(400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_failure_still_connects_and_says_so() {
    let env = setup_with_queue(RecordingQueue {
        broken: true,
        ..RecordingQueue::default()
    })
    .await;
    env.fake.add_oauth_code("ac_1Queue", CONNECTED);
    let state = state_of(
        &env.service
            .initiate_connect(env.owner, env.business, None)
            .await
            .unwrap(),
    );
    let connected = env
        .service
        .complete_connect(env.owner, &state, "ac_1Queue")
        .await
        .unwrap();
    assert!(
        matches!(&connected.backfill, Backfill::Failed { error } if error.contains("queue down"))
    );
    assert_eq!(env.store.accounts_of(env.business).await.unwrap().len(), 1);
}
