//! Store throughput: bulk ingestion of charges and the metric read of one window.
//!
//! For SQLite (a temporary file) and PostgreSQL (a temporary database on
//! `VAULTRA_BENCH_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`):
//! 1. ingest `VAULTRA_BENCH_CHARGES` charges (default 1 000 000) through the
//!    `PaymentStore::ingest` port in pages of 10 000 (one transaction each, as a sync does),
//!    then all of them in one transaction (as `vaultra import` stores an export), without
//!    raw JSON, and then, on a 100 000-charge sample, with it in pages;
//!    (`VAULTRA_BENCH_BACKENDS=sqlite` or `=postgres` runs one backend only)
//! 2. read one business's window holding 100 000 charges (`payment_data`) and score it.
//!
//! Run: `cargo bench -p vaultra-adapters --bench store`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use vaultra_adapters::postgres::PostgresStore;
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_adapters::synth::{self, Profile, charge_json};
use vaultra_core::domain::{Charge, NewBusiness, NewUser};
use vaultra_core::metrics::{self, CurrencyChoice, Window};
use vaultra_core::ports::{Ingest, IngestBatch, Store};
use vaultra_core::report::Report;
use vaultra_core::scoring::Policy;

const PAGE: usize = 10_000;

fn charges(n: usize, end: NaiveDate) -> Vec<Charge> {
    let days = 90;
    let config = synth::Config {
        days,
        daily_charges: (n as u32 / days).max(1) + 1,
        ..synth::Config::new(Profile::Steady, 3, end)
    };
    let mut c = synth::generate(&config).charges;
    c.truncate(n);
    c
}

async fn business(store: &Arc<dyn Store>, tag: &str) -> uuid::Uuid {
    let user = store
        .create_user(NewUser {
            email: format!("bench-{tag}-{}@example.com", uuid::Uuid::new_v4()),
            name: "Bench".into(),
            password_hash: None,
            avatar_url: None,
        })
        .await
        .unwrap();
    store
        .create_business(user.id, NewBusiness::named("Bench Co"))
        .await
        .unwrap()
        .id
}

/// Ingests `items` in pages of `page` charges and returns charges/s. The pages are built before
/// the clock starts and dropped after it stops: a sync builds its pages anyway (from the
/// parsed response), so what is timed is the store's work alone.
async fn ingest(
    store: &Arc<dyn Store>,
    business: uuid::Uuid,
    items: Vec<Ingest<Charge>>,
    page: usize,
) -> f64 {
    let n = items.len();
    let mut items = items.into_iter();
    let mut pages = Vec::new();
    loop {
        let charges: Vec<_> = items.by_ref().take(page).collect();
        if charges.is_empty() {
            break;
        }
        pages.push(IngestBatch {
            charges,
            ..IngestBatch::default()
        });
    }
    let t = Instant::now();
    for batch in &pages {
        store.ingest(business, None, batch, None).await.unwrap();
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    drop(pages);
    rate
}

async fn run(name: &str, store: Arc<dyn Store>, n: usize, end: NaiveDate) {
    let all = charges(n, end);
    let b = business(&store, name).await;
    let bare: Vec<Ingest<Charge>> = all.iter().cloned().map(Ingest::bare).collect();
    let rate = ingest(&store, b, bare.clone(), PAGE).await;
    println!(
        "{name:<10} ingest {n} charges (columns only)     {:>10.0} charges/s",
        rate
    );

    let sample: Vec<Ingest<Charge>> = all
        .iter()
        .take(100_000)
        .map(|c| Ingest {
            object: c.clone(),
            raw: Some(charge_json(c)),
        })
        .collect();
    let b2 = business(&store, name).await;
    let m = sample.len();
    let rate = ingest(&store, b2, sample, PAGE).await;
    println!(
        "{name:<10} ingest {m} charges (with raw JSON)  {:>10.0} charges/s",
        rate
    );

    // The metric read: a business with 100 000 charges inside a 30-day window.
    let window = Window::new(end, 30).unwrap();
    let start_sec = window.start_day() * 86_400;
    let in_window: Vec<Ingest<Charge>> = all
        .iter()
        .take(100_000)
        .enumerate()
        .map(|(i, c)| {
            let mut c = c.clone();
            c.id = format!("ch_win_{i}");
            c.created = start_sec + (i as i64 * 30 * 86_400) / 100_000;
            Ingest::bare(c)
        })
        .collect();
    let b3 = business(&store, name).await;
    ingest(&store, b3, in_window, PAGE).await;
    let policy = Policy::spec_v1();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let data = store.payment_data(b3, window).await.unwrap();
        let report = Report::from_metrics(
            metrics::compute(&data, window, CurrencyChoice::Auto),
            &policy,
        );
        std::hint::black_box(report);
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{name:<10} read + score 100000 charges in a window   {:>10.1} ms",
        best * 1e3
    );
    // Last, so the runs above see the same database as before it was added: `vaultra
    // import` stores a whole export in one transaction.
    let b1 = business(&store, name).await;
    let rate = ingest(&store, b1, bare, n).await;
    println!(
        "{name:<10} import {n} charges in one transaction {:>10.0} charges/s",
        rate
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("VAULTRA_BENCH_CHARGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let end: NaiveDate = "2026-11-27".parse().unwrap();

    let backends =
        std::env::var("VAULTRA_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    if backends.contains("sqlite") {
        let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
        run("sqlite", sqlite, n, end).await;
    }
    if !backends.contains("postgres") {
        return;
    }

    let admin = std::env::var("VAULTRA_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = format!("vaultra_bench_{}", std::process::id());
    let pool = sqlx::PgPool::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&pool)
        .await
        .unwrap();
    let pg_url = match admin.rfind('/') {
        Some(i) => format!("{}/{db}", &admin[..i]),
        None => panic!("bad postgres url"),
    };
    let pg = PostgresStore::connect(&pg_url).await.unwrap();
    run("postgres", Arc::new(pg.clone()), n, end).await;
    pg.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {db} WITH (FORCE)"
    )))
    .execute(&pool)
    .await
    .unwrap();
}
