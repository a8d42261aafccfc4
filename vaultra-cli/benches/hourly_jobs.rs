//! The hourly run (`compute_metrics`, chained `compute_readiness`) over many
//! businesses on PostgreSQL, with one and with two `vaultra worker` processes.
//!
//! ```text
//! cargo bench -p vaultra-cli --bench hourly_jobs
//! ```
//!
//! Settings (environment): `VAULTRA_BENCH_BUSINESSES` (10000), `VAULTRA_BENCH_DAILY_CHARGES`
//! (5 charge attempts a day, 30 days each), `VAULTRA_BENCH_WORKERS` (`1,2`),
//! `VAULTRA_BENCH_CONCURRENCY` (tasks at once per worker, 8), `VAULTRA_BENCH_PG_DB`
//! (a database to keep between runs: seeded once, reused after), and
//! `VAULTRA_TEST_POSTGRES_URL` (the server, `postgres://postgres@127.0.0.1:5432/postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Command, Stdio};
use std::time::Instant;

use chrono::{Duration, Utc};
use vaultra_adapters::jobs::{JobBackend, JobEngine};
use vaultra_adapters::postgres::PostgresStore;
use vaultra_adapters::synth::{self, Profile, charge_json, dispute_json, payout_json};
use vaultra_core::domain::{NewBusiness, NewUser};
use vaultra_core::ports::storage::{BusinessStore, Ingest, IngestBatch, PaymentStore, UserStore};
use vaultra_core::ports::{JobKind, JobQueue, JobTask};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let businesses: usize = env_or("VAULTRA_BENCH_BUSINESSES", 10_000);
    let daily: u32 = env_or("VAULTRA_BENCH_DAILY_CHARGES", 5);
    let concurrency: u16 = env_or("VAULTRA_BENCH_CONCURRENCY", 8);
    let workers: Vec<usize> = std::env::var("VAULTRA_BENCH_WORKERS")
        .unwrap_or_else(|_| "1,2".into())
        .split(',')
        .filter_map(|w| w.trim().parse().ok())
        .collect();
    let admin = std::env::var("VAULTRA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let keep = std::env::var("VAULTRA_BENCH_PG_DB").ok();
    let db = keep
        .clone()
        .unwrap_or_else(|| format!("vaultra_bench_{}", uuid::Uuid::new_v4().simple()));
    let url = match admin.rsplit_once('/') {
        Some((root, _)) => format!("{root}/{db}"),
        None => panic!("bad url {admin}"),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let run = |sql: String| {
        rt.block_on(async {
            let pool = sqlx::PgPool::connect(&admin).await.unwrap();
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
            pool.close().await;
        })
    };
    run(format!("CREATE DATABASE {db}"));

    let (store, engine) = rt.block_on(async {
        let store = PostgresStore::connect(&url).await.unwrap();
        let engine = JobEngine::new(JobBackend::Postgres(store.pool().clone()));
        engine.setup().await.unwrap();
        (store, engine)
    });
    let existing = rt.block_on(store.list_businesses()).unwrap().len();
    if existing < businesses {
        let start = Instant::now();
        rt.block_on(seed(&store, existing, businesses, daily));
        println!(
            "seeded {} businesses ({daily} charge attempts a day, 30 days) in {:.1} s",
            businesses - existing,
            start.elapsed().as_secs_f64()
        );
    }

    let bin = env!("CARGO_BIN_EXE_vaultra");
    println!("| workers | concurrency each | businesses | seconds | businesses/s |");
    println!("|---|---|---|---|---|");
    for (round, n) in workers.iter().enumerate() {
        rt.block_on(async {
            for table in [
                "readiness_scores",
                "financial_metric_snapshots",
                "job_runs",
                "apalis.jobs",
            ] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                    .execute(store.pool())
                    .await
                    .unwrap();
            }
        });
        // A slot of its own per round.
        let slot = JobKind::ComputeMetrics.slot_of(Utc::now()) - Duration::hours(round as i64 + 1);
        let fan = JobTask::fan_out(JobKind::ComputeMetrics, slot);
        let start = Instant::now();
        rt.block_on(engine.enqueue(&[fan])).unwrap();
        let children: Vec<_> = (0..*n)
            .map(|i| {
                Command::new(bin)
                    .env("DATABASE_URL", &url)
                    .env("RUST_LOG", "warn")
                    .args([
                        "worker",
                        "--no-schedule",
                        "--until-idle",
                        "--concurrency",
                        &concurrency.to_string(),
                        "--name",
                        &format!("bench-{round}-{i}"),
                    ])
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "worker failed");
        }
        let secs = start.elapsed().as_secs_f64();
        let done: i64 = rt.block_on(async {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM job_runs WHERE kind = 'compute_readiness' AND status = 'succeeded'",
            )
            .fetch_one(store.pool())
            .await
            .unwrap()
        });
        assert_eq!(
            usize::try_from(done).unwrap(),
            businesses,
            "every business scored"
        );
        println!(
            "| {n} | {concurrency} | {businesses} | {secs:.1} | {:.0} |",
            businesses as f64 / secs
        );
    }
    if keep.is_none() {
        rt.block_on(store.close());
        run(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    }
}

async fn seed(store: &PostgresStore, from: usize, to: usize, daily: u32) {
    let owner = match store.find_user_by_email("bench@example.com").await.unwrap() {
        Some(u) => u,
        None => store
            .create_user(NewUser {
                email: "bench@example.com".into(),
                name: "Bench".into(),
                password_hash: None,
                avatar_url: None,
            })
            .await
            .unwrap(),
    };
    let end = Utc::now().date_naive().pred_opt().unwrap();
    for i in from..to {
        let business = store
            .create_business(owner.id, NewBusiness::named(format!("Bench shop {i:05}")))
            .await
            .unwrap();
        let mut config = synth::Config::new(Profile::ALL[i % Profile::ALL.len()], i as u64, end);
        config.days = 30;
        config.daily_charges = daily;
        let m = synth::generate(&config);
        let batch = IngestBatch {
            charges: m
                .charges
                .iter()
                .map(|c| Ingest {
                    object: c.clone(),
                    raw: Some(charge_json(c)),
                })
                .collect(),
            payouts: m
                .payouts
                .iter()
                .map(|p| Ingest {
                    object: p.clone(),
                    raw: Some(payout_json(p)),
                })
                .collect(),
            disputes: m
                .disputes
                .iter()
                .map(|d| Ingest {
                    object: d.clone(),
                    raw: Some(dispute_json(d)),
                })
                .collect(),
            payout_paid: m.events.clone(),
        };
        store.ingest(business.id, None, &batch, None).await.unwrap();
    }
}
