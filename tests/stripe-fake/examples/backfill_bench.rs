//! Benchmark: a full 90-day backfill of a merchant with about 200 000 charges from the
//! fake Stripe (in this process, on loopback) into SQLite and PostgreSQL, through the
//! real sync service and the async-stripe adapter (100 objects a page; batches of pages
//! stored one transaction each with their cursor while the next batch is fetched).
//!
//! For reference it also times reading the same pages without storing them (the fake and
//! the HTTP client alone), so the two can be compared: the target is a backfill limited
//! by the fake server, not by ingestion.
//!
//! ```text
//! cargo run --release -p vaultra-stripe-fake --example backfill_bench -- [CHARGES]
//! ```
//!
//! PostgreSQL is used when `VAULTRA_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) reaches a server; a database is
//! created for the run and dropped after it. Its session commits asynchronously
//! (`synchronous_commit=off`), as `vaultra stripe sync` does.
//!
//! Knobs, for comparing: `VAULTRA_BENCH_BATCH` (objects per transaction, default
//! [`SyncConfig::default`]'s), `VAULTRA_BENCH_SYNC_COMMIT=on` (PostgreSQL commits
//! synchronously), `VAULTRA_BENCH_RUNS` (a comma list of `read`, `sqlite`, `postgres`;
//! all by default), `VAULTRA_BENCH_LATENCY_MS` (the fake answers every request that
//! much later, like a server across a network: on loopback with no latency the fake, the
//! client and the store share the same two cores, so the comparison is of CPU, not of
//! waiting).
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use vaultra_adapters::postgres::PostgresStore;
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_adapters::stripe::{StripeConfig, StripeSource, TokioSleeper};
use vaultra_adapters::synth::{self, Profile};
use vaultra_core::domain::{NewBusiness, NewUser, Provider};
use vaultra_core::ports::{FixedClock, PageQuery, PaymentSource, Store, Stream};
use vaultra_core::services::stripe_sync::{Quiet, StripeSync, SyncConfig, SyncPorts};
use vaultra_stripe_fake::{Config, FakeStripe, Fault};

const ACCOUNT: &str = "acct_1BenchMerchant0000";

type Failure = Box<dyn std::error::Error>;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Failure> {
    let target: u32 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 200_000,
    };
    let runs =
        std::env::var("VAULTRA_BENCH_RUNS").unwrap_or_else(|_| "read,sqlite,postgres".into());
    let runs: Vec<&str> = runs.split(',').map(str::trim).collect();
    let mut sync_config = SyncConfig::default();
    if let Ok(batch) = std::env::var("VAULTRA_BENCH_BATCH") {
        sync_config.backfill_batch = batch.parse()?;
    }
    let sync_commit = std::env::var("VAULTRA_BENCH_SYNC_COMMIT").is_ok_and(|v| v == "on");
    let latency: u64 = match std::env::var("VAULTRA_BENCH_LATENCY_MS") {
        Ok(ms) => ms.parse()?,
        Err(_) => 0,
    };
    println!(
        "{} objects per transaction; PostgreSQL synchronous_commit={}",
        sync_config.backfill_batch,
        if sync_commit { "on" } else { "off" }
    );
    let end = "2026-11-20".parse()?;
    let mut config = synth::Config::new(Profile::Steady, 7, end);
    config.days = 90;
    config.daily_charges = target.div_ceil(90);
    let merchant = synth::generate(&config);
    let fake = FakeStripe::start(Config::default()).await?;
    fake.add_merchant(ACCOUNT, &merchant)?;
    if latency > 0 {
        println!("the fake answers every request {latency} ms late");
        fake.inject(Fault::Delay(Duration::from_millis(latency)), usize::MAX);
    }
    println!(
        "merchant: {} charges, {} payouts, {} disputes, {} events over 90 days",
        merchant.charges.len(),
        merchant.payouts.len(),
        merchant.disputes.len(),
        merchant.events.len()
    );
    let mut stripe = StripeConfig::new(fake.secret_key());
    stripe.api_base = fake.api_base();
    let source: Arc<dyn PaymentSource> = Arc::new(StripeSource::new(stripe)?);
    let now = DateTime::from_timestamp(synth::export_time(end) + 3_600, 0).ok_or("time")?;

    if runs.contains(&"read") {
        read_only(&source).await?;
    }
    if runs.contains(&"sqlite") {
        let dir = tempfile_dir()?;
        let sqlite: Arc<dyn Store> =
            Arc::new(SqliteStore::connect(&format!("sqlite://{}/bench.db", dir.display())).await?);
        let result = run("SQLite (file)", sqlite, &source, now, &sync_config).await;
        let _ = std::fs::remove_dir_all(&dir);
        result?;
    }
    if runs.contains(&"postgres") {
        let admin = std::env::var("VAULTRA_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        match postgres(&admin).await {
            Some((url, name)) => {
                // What `vaultra stripe sync` does: a crash loses at most the last
                // batches, which the cursor (committed with them) reads again.
                let url = if sync_commit {
                    url
                } else {
                    format!("{url}?options[synchronous_commit]=off")
                };
                let result = async {
                    let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await?);
                    run("PostgreSQL", store, &source, now, &sync_config).await
                }
                .await;
                drop_database(&admin, &name).await;
                result?;
            }
            None => println!("PostgreSQL: skipped (no server at VAULTRA_TEST_POSTGRES_URL)"),
        }
    }
    Ok(())
}

/// The fake and the client alone: every charge page, nothing stored.
async fn read_only(source: &Arc<dyn PaymentSource>) -> Result<(), Failure> {
    let started = Instant::now();
    let mut after = None;
    let mut read = 0usize;
    loop {
        let page = source
            .fetch_page(
                ACCOUNT,
                &PageQuery {
                    starting_after: after.take(),
                    ..PageQuery::first(Stream::Charges, 100)
                },
            )
            .await?;
        read += page.objects.len();
        after = page
            .objects
            .last()
            .and_then(|o| o.get("id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        if !page.has_more {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "read only (fake + HTTP + JSON), charges: {read} in {secs:.2} s = {:.0} charges/s",
        read as f64 / secs
    );
    Ok(())
}

async fn run(
    name: &str,
    store: Arc<dyn Store>,
    source: &Arc<dyn PaymentSource>,
    now: DateTime<chrono::Utc>,
    config: &SyncConfig,
) -> Result<(), Failure> {
    let user = store
        .create_user(NewUser {
            email: "bench@example.com".into(),
            name: "Bench".into(),
            password_hash: None,
            avatar_url: None,
        })
        .await?;
    let business = store
        .create_business(user.id, NewBusiness::named("Bench Co"))
        .await?;
    let account = store
        .link_account(business.id, Provider::Stripe, ACCOUNT)
        .await?;
    let sync = StripeSync::new(
        source.clone(),
        SyncPorts::from(store.clone()),
        Arc::new(FixedClock::new(now)),
        Arc::new(TokioSleeper),
    )
    .with_config(config.clone());
    let started = Instant::now();
    let report = sync.sync(&account, false, &Quiet).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name}: backfill of {} objects ({} charges) in {} pages: {secs:.2} s = {:.0} \
         charges/s, {:.0} objects/s",
        report.objects,
        report.stored.charges,
        report.pages,
        report.stored.charges as f64 / secs,
        report.objects as f64 / secs
    );
    Ok(())
}

fn tempfile_dir() -> Result<std::path::PathBuf, Failure> {
    let dir = std::env::temp_dir().join(format!("vaultra-backfill-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn postgres(admin: &str) -> Option<(String, String)> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(admin).await.ok()?;
    let name = format!("vaultra_bench_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .ok()?;
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    Some((format!("{base}/{name}"), name))
}

async fn drop_database(admin: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut c) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await;
    }
}
