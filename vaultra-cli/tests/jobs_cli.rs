//! The job engine end to end through the `vaultra` binary: `demo`, `jobs run` (a slot
//! run twice does the work once), two `worker` processes splitting 1,000 business
//! tasks on one PostgreSQL, a worker killed with SIGKILL mid-task whose task another
//! worker finishes, and a sync failing three times landing in the dead-letter table.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use assert_cmd::cargo::CommandCargoExt;
use chrono::{NaiveDate, Utc};
use serde_json::Value;
use uuid::Uuid;
use vaultra_adapters::jobs::{JobBackend, JobEngine};
use vaultra_adapters::postgres::PostgresStore;
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_adapters::synth::{self, Profile};
use vaultra_core::domain::{NewBusiness, NewUser, Provider};
use vaultra_core::ports::storage::{
    AnalyticsStore, BusinessStore, DeadLetterStore, IntegrationStore, PaymentStore, UserStore,
};
use vaultra_core::ports::{JobKind, JobLedger, JobQueue, JobTask, RunStatus, Store};
use vaultra_stripe_fake::{Config as FakeConfig, FakeStripe, Fault};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/sample-merchant")
}

fn vaultra(dir: &Path, url: Option<&str>) -> Command {
    let mut cmd = Command::cargo_bin("vaultra").unwrap();
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("STRIPE_SECRET_KEY")
        .env_remove("STRIPE_API_BASE");
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
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

fn json(cmd: &mut Command) -> Value {
    serde_json::from_str(&ok(cmd)).unwrap()
}

/// Runs `case`, and once more if it failed while a quarter-hour slot boundary passed:
/// slots are real time here, and a case that compares two runs of "the current slot"
/// cannot hold across a boundary. Every hour and day boundary is a quarter-hour one.
fn within_one_slot(case: fn()) {
    for _ in 0..2 {
        let before = JobKind::StripeSync.slot_of(Utc::now());
        let result = std::panic::catch_unwind(case);
        let crossed = JobKind::StripeSync.slot_of(Utc::now()) != before;
        match result {
            Ok(()) => return,
            Err(panic) if !crossed => std::panic::resume_unwind(panic),
            Err(_) => eprintln!("a slot boundary passed during the case: running it again"),
        }
    }
    panic!("two slot boundaries in a row: the machine is far too slow");
}

#[test]
fn demo_runs_every_job_and_matches_the_report() {
    within_one_slot(demo_case);
}

fn demo_case() {
    let dir = tempfile::tempdir().unwrap();
    let text = ok(vaultra(dir.path(), None).arg("demo"));
    for needle in [
        "VAULTRA DEMO",
        "WHAT RAN",
        "stripe_sync: 1 done",
        "compute_readiness: 1 done",
        "generate_recommendations: 1 done",
        "send_notification_digest: 1 done",
        "FUNDING READINESS REPORT",
        "WHAT HELPS AND WHAT HURTS",
        "RECOMMENDATIONS",
        "SCORE HISTORY",
        "OUTBOX",
        "vaultra report --business",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(dir.path().join("vaultra.db").exists(), "the default store");

    // A second run finds everything done and reports the same thing.
    let again = json(vaultra(dir.path(), None).args(["demo", "--format", "json"]));
    let business = again["business"]["id"].as_str().unwrap().to_owned();
    for run in again["jobs"].as_array().unwrap() {
        for task in run["tasks"].as_array().unwrap() {
            assert_eq!(task["outcome"], "skipped", "{task}");
        }
    }
    // Eight weekly scores and the current one, oldest last (newest first).
    let history = again["history"].as_array().unwrap();
    assert_eq!(history.len(), 9, "{history:?}");
    assert_eq!(
        history[0]["score"], again["report"]["readiness"]["score"],
        "the latest score is the report's"
    );
    assert_eq!(again["digest"]["user_id"], again["owner"]["id"]);
    assert!(again["data"]["data_synced_at"].is_string(), "synced data");

    // The demo's report is exactly what `vaultra report` computes from the store.
    let report = json(vaultra(dir.path(), None).args([
        "report",
        "--business",
        &business,
        "--format",
        "json",
    ]));
    assert_eq!(report, again["report"]);
}

fn business_with_sample(dir: &Path, url: Option<&str>) -> String {
    let id = ok(vaultra(dir, url).args([
        "business",
        "create",
        "--name",
        "Corner Shop",
        "--owner-email",
        "owner@example.com",
    ]))
    .trim()
    .to_owned();
    ok(vaultra(dir, url)
        .args(["import", "--business", &id, "--data"])
        .arg(sample()));
    id
}

fn count_outcomes(runs: &Value, job: &str, outcome: &str) -> usize {
    runs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["tasks"].as_array().unwrap().iter())
        .filter(|t| {
            t["key"].as_str().unwrap().starts_with(&format!("{job}:"))
                && !t["key"].as_str().unwrap().contains(":*:")
                && t["outcome"] == outcome
        })
        .count()
}

#[test]
fn jobs_run_twice_does_a_slot_once() {
    within_one_slot(jobs_run_twice_case);
}

fn jobs_run_twice_case() {
    let dir = tempfile::tempdir().unwrap();
    let business = business_with_sample(dir.path(), None);
    let first = json(vaultra(dir.path(), None).args(["jobs", "run", "--format", "json"]));
    for job in [
        "compute_metrics",
        "compute_readiness",
        "generate_recommendations",
    ] {
        assert_eq!(count_outcomes(&first, job, "done"), 1, "{job}: {first}");
    }
    let second = json(vaultra(dir.path(), None).args(["jobs", "run", "--format", "json"]));
    for run in second["jobs"].as_array().unwrap() {
        let tasks = run["tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), 1, "only the fan-out, skipped: {run}");
        assert_eq!(tasks[0]["outcome"], "skipped");
    }
    // One snapshot and one score for the slot; --fresh computes another.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vaultra.db").display());
    let id: Uuid = business.parse().unwrap();
    let scores = |rt: &tokio::runtime::Runtime| {
        rt.block_on(async {
            let store = SqliteStore::connect(&url).await.unwrap();
            store.score_history(id, 100).await.unwrap().len()
        })
    };
    assert_eq!(scores(&rt), 1);
    let fresh = json(vaultra(dir.path(), None).args([
        "jobs",
        "run",
        "compute_metrics",
        "--fresh",
        "--format",
        "json",
    ]));
    assert_eq!(count_outcomes(&fresh, "compute_metrics", "done"), 1);
    assert_eq!(
        scores(&rt),
        2,
        "the chained readiness ran for the fresh slot"
    );

    // Text output names the slots; unknown jobs are refused in one line.
    let text = ok(vaultra(dir.path(), None).args(["jobs", "run", "compute_metrics"]));
    assert!(text.contains("already run"), "{text}");
    let out = vaultra(dir.path(), None)
        .args(["jobs", "run", "compute_everything"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown job") && err.contains("compute_metrics"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1);
}

/// A fresh PostgreSQL database for one test, dropped when the guard goes.
struct PgDb {
    admin: String,
    name: String,
    url: String,
    rt: tokio::runtime::Runtime,
}

impl PgDb {
    fn new() -> Self {
        let admin = std::env::var("VAULTRA_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("vaultra_jobs_{}", Uuid::new_v4().simple());
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let pool = sqlx::PgPool::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
        let url = match admin.rsplit_once('/') {
            Some((root, _)) => format!("{root}/{name}"),
            None => panic!("bad url {admin}"),
        };
        Self {
            admin,
            name,
            url,
            rt,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        self.rt.block_on(async move {
            if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&pool)
                .await;
                pool.close().await;
            }
        });
    }
}

fn spawn_worker(dir: &Path, url: &str, extra: &[&str], envs: &[(&str, &str)]) -> Child {
    let mut cmd = std::process::Command::cargo_bin("vaultra").unwrap();
    cmd.current_dir(dir)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .env_remove("STRIPE_SECRET_KEY")
        .args(["worker", "--no-schedule"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

fn wait_ok(child: Child, within: Duration) {
    let start = Instant::now();
    let mut child = child;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            assert!(
                status.success(),
                "worker failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return;
        }
        if start.elapsed() > within {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "worker still running after {within:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_workers_split_a_thousand_business_tasks_on_postgres() {
    let db = PgDb::new();
    let dir = tempfile::tempdir().unwrap();
    ok(vaultra(dir.path(), Some(&db.url)).arg("migrate"));
    let (ids, engine, store) = db.rt.block_on(async {
        let store = PostgresStore::connect(&db.url).await.unwrap();
        let engine = JobEngine::new(JobBackend::Postgres(store.pool().clone()));
        engine.setup().await.unwrap();
        let owner = store
            .create_user(NewUser {
                email: "owner@example.com".into(),
                name: "Owner".into(),
                password_hash: None,
                avatar_url: None,
            })
            .await
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..1_000 {
            let b = store
                .create_business(owner.id, NewBusiness::named(format!("Shop {i:04}")))
                .await
                .unwrap();
            ids.push(b.id);
        }
        (ids, engine, Arc::new(store))
    });
    // The fan-out of one slot, enqueued twice (as two schedulers would).
    let now = Utc::now();
    let fan = JobTask::fan_out(JobKind::ComputeMetrics, now);
    let report = db
        .rt
        .block_on(engine.enqueue(&[fan.clone(), fan.clone()]))
        .unwrap();
    assert_eq!((report.queued, report.duplicates), (1, 1));

    let a = spawn_worker(dir.path(), &db.url, &["--until-idle", "--name", "a"], &[]);
    let b = spawn_worker(dir.path(), &db.url, &["--until-idle", "--name", "b"], &[]);
    wait_ok(a, Duration::from_secs(300));
    wait_ok(b, Duration::from_secs(300));

    db.rt.block_on(async {
        let runs = store.job_runs(None, 5_000).await.unwrap();
        for job in [JobKind::ComputeMetrics, JobKind::ComputeReadiness] {
            let of_job: Vec<_> = runs
                .iter()
                .filter(|r| r.kind == job && !r.key.contains(":*:"))
                .collect();
            assert_eq!(of_job.len(), 1_000, "{job}: none lost");
            assert!(
                of_job
                    .iter()
                    .all(|r| r.status == RunStatus::Succeeded && r.attempts == 1),
                "{job}: none done twice"
            );
        }
        for id in &ids {
            let snaps = store
                .snapshots_between(*id, day("2000-01-01"), day("2100-01-01"))
                .await
                .unwrap();
            assert_eq!(snaps.len(), 1, "business {id}: one snapshot");
            assert_eq!(store.score_history(*id, 10).await.unwrap().len(), 1);
        }
        // Both processes took a share (apalis records who locked each task).
        let holders: Vec<(Option<String>, i64)> = sqlx::query_as(
            "SELECT lock_by, COUNT(*) FROM apalis.jobs GROUP BY lock_by ORDER BY lock_by",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let workers: Vec<&str> = holders.iter().filter_map(|(w, _)| w.as_deref()).collect();
        assert!(
            workers.iter().any(|w| w.starts_with("a-"))
                && workers.iter().any(|w| w.starts_with("b-")),
            "both workers worked: {holders:?}"
        );
        assert_eq!(engine.outstanding().await.unwrap(), 0);
    });
}

const ACCOUNT: &str = "acct_1JobsTestMerchant00";

struct StripeSetup {
    fake: FakeStripe,
    account: Uuid,
    charges: usize,
}

fn stripe_setup(rt: &tokio::runtime::Runtime, store: &dyn Store) -> StripeSetup {
    rt.block_on(async {
        let fake = FakeStripe::start(FakeConfig::default()).await.unwrap();
        let end = Utc::now().date_naive().pred_opt().unwrap();
        let mut config = synth::Config::new(Profile::Steady, 5, end);
        config.days = 20;
        config.daily_charges = 10;
        let merchant = synth::generate(&config);
        fake.handle().add_account(ACCOUNT);
        fake.handle().add_merchant(ACCOUNT, &merchant).unwrap();
        let owner = store
            .create_user(NewUser {
                email: "stripe@example.com".into(),
                name: "Owner".into(),
                password_hash: None,
                avatar_url: None,
            })
            .await
            .unwrap();
        let business = store
            .create_business(owner.id, NewBusiness::named("Synced Shop"))
            .await
            .unwrap();
        let account = store
            .link_account(business.id, Provider::Stripe, ACCOUNT)
            .await
            .unwrap();
        StripeSetup {
            fake,
            account: account.id,
            charges: merchant.charges.len(),
        }
    })
}

fn stripe_env(fake: &FakeStripe) -> Vec<(&'static str, String)> {
    vec![
        ("STRIPE_SECRET_KEY", fake.handle().secret_key().to_owned()),
        ("STRIPE_API_BASE", fake.api_base()),
    ]
}

#[test]
fn a_killed_worker_s_task_is_finished_by_another() {
    let db = PgDb::new();
    let dir = tempfile::tempdir().unwrap();
    ok(vaultra(dir.path(), Some(&db.url)).arg("migrate"));
    let store = Arc::new(db.rt.block_on(PostgresStore::connect(&db.url)).unwrap());
    let setup = stripe_setup(&db.rt, &*store);
    let engine = JobEngine::new(JobBackend::Postgres(store.pool().clone()));
    db.rt.block_on(engine.setup()).unwrap();
    // Every list request is slow, so the sync is mid-way when the worker dies.
    setup
        .fake
        .handle()
        .inject_on("/v1/", Fault::Delay(Duration::from_secs(2)), 1_000);
    let task = JobTask::for_subject(
        JobKind::StripeSync,
        setup.account,
        JobKind::StripeSync.slot_of(Utc::now()),
    );
    db.rt
        .block_on(engine.enqueue(std::slice::from_ref(&task)))
        .unwrap();
    let env = stripe_env(&setup.fake);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut first = spawn_worker(
        dir.path(),
        &db.url,
        &["--name", "doomed", "--heartbeat-secs", "1"],
        &env,
    );
    // Wait until it has started the task, then kill it without a chance to clean up.
    let start = Instant::now();
    loop {
        let run = db.rt.block_on(store.job_run(&task.key())).unwrap();
        if run.is_some_and(|r| r.status == RunStatus::Running) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "task never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    setup.fake.handle().clear_faults();

    let second = spawn_worker(
        dir.path(),
        &db.url,
        &["--name", "heir", "--heartbeat-secs", "1", "--until-idle"],
        &env,
    );
    wait_ok(second, Duration::from_secs(120));
    db.rt.block_on(async {
        let run = store.job_run(&task.key()).await.unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
        assert_eq!(run.attempts, 2, "taken over once");
        let account = store.get_account(setup.account).await.unwrap();
        assert!(account.last_synced_at.is_some());
        let coverage = store.coverage(account.business_id).await.unwrap();
        assert!(coverage.first_charge_at.is_some(), "{coverage:?}");
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM charges")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(
            usize::try_from(stored).unwrap(),
            setup.charges,
            "every charge once"
        );
    });
}

#[test]
fn a_sync_failing_three_times_is_dead_lettered() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(SqliteStore::connect(&url)).unwrap();
    let setup = stripe_setup(&rt, &store);
    setup
        .fake
        .handle()
        .inject_on("/v1/", Fault::ServerError, 10_000);
    let env = stripe_env(&setup.fake);
    let mut cmd = vaultra(dir.path(), Some(&url));
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let out = cmd.args(["jobs", "run", "stripe_sync"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed task fails the command"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("dead-lettered"), "{stdout}");
    rt.block_on(async {
        let letters = store.dead_letters(None, 10).await.unwrap();
        assert_eq!(letters.len(), 1, "{letters:?}");
        assert_eq!(letters[0].attempts, 3);
        assert!(
            letters[0].error.contains("500") || letters[0].error.to_lowercase().contains("server"),
            "{}",
            letters[0].error
        );
        let runs = store.job_runs(Some(JobKind::StripeSync), 10).await.unwrap();
        let failed: Vec<_> = runs
            .iter()
            .filter(|r| r.status == RunStatus::Failed)
            .collect();
        assert_eq!(failed.len(), 1, "{runs:?}");
        let account = store.get_account(setup.account).await.unwrap();
        assert!(account.last_synced_at.is_none(), "not synced");
    });
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn sigterm_lets_the_task_in_hand_finish() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(SqliteStore::connect(&url)).unwrap();
    let setup = stripe_setup(&rt, &store);
    let engine = JobEngine::new(JobBackend::Sqlite(store.pool().clone()));
    rt.block_on(engine.setup()).unwrap();
    setup
        .fake
        .handle()
        .inject_on("/v1/", Fault::Delay(Duration::from_millis(700)), 1_000);
    let task = JobTask::for_subject(
        JobKind::StripeSync,
        setup.account,
        JobKind::StripeSync.slot_of(Utc::now()),
    );
    rt.block_on(engine.enqueue(std::slice::from_ref(&task)))
        .unwrap();
    let env = stripe_env(&setup.fake);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let worker = spawn_worker(
        dir.path(),
        &url,
        &["--heartbeat-secs", "1", "--grace-secs", "60"],
        &env,
    );
    let start = Instant::now();
    loop {
        let run = rt.block_on(store.job_run(&task.key())).unwrap();
        if run.is_some_and(|r| r.status == RunStatus::Running) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "task never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_ok(worker, Duration::from_secs(90));
    let run = rt.block_on(store.job_run(&task.key())).unwrap().unwrap();
    assert_eq!(
        (run.status, run.attempts),
        (RunStatus::Succeeded, 1),
        "finished by the worker that was asked to stop"
    );
    assert_eq!(rt.block_on(engine.outstanding()).unwrap(), 0);
}
