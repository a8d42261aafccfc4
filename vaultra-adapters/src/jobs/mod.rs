//! The job engine on apalis: the [`JobQueue`] port over apalis' SQLite and PostgreSQL
//! storages, cron schedules from apalis-cron, and a worker that runs the core's
//! [`JobRunner`] on every task it receives.
//!
//! Hosts use [`JobEngine`] and never see an apalis type. The design:
//!
//! - One queue, named [`QUEUE`], in the same database as the store (one SQLite file,
//!   or one PostgreSQL database with apalis' tables in the `apalis` schema). apalis'
//!   migrations keep their own `_sqlx_migrations` table; ours use `vaultra_migrations`,
//!   so the two never mix.
//! - Every task is pushed with its idempotency key ([`JobTask::key`]); apalis' unique
//!   index on `(queue, key)` refuses a second copy, so any number of processes may run
//!   the schedulers: each tick of each process enqueues the slot's fan-out, and one
//!   copy lands. The core's job ledger is the second guard: a task delivered twice
//!   (a crash after the work, before the acknowledgement) runs once.
//! - A worker process takes tasks with a heartbeat; apalis re-enqueues the tasks of a
//!   worker whose heartbeats stop (killed, or its machine gone), and the next worker
//!   takes them over ([`Takeover::Always`]: the queue gave it one holder at a time).
//! - A fan-out's subject tasks go through the queue (every worker shares them); a task
//!   chained to a subject's task (readiness after metrics) runs in the same worker.
//! - Retries with backoff and dead-lettering are the runner's (it knows the error
//!   categories and writes our dead-letter table); apalis only redelivers abandoned
//!   tasks and tasks whose run could not reach the ledger.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BoxDynError, Data, Monitor, TaskBuilder, WorkerBuilder, WorkerBuilderExt};
use apalis_core::worker::ext::parallelize::ParallelizeExt;
use apalis_cron::CronScheduler;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sqlx::{PgPool, SqlitePool};
use vaultra_core::Error;
use vaultra_core::ports::{EnqueueReport, JobKind, JobQueue, JobTask, Takeover};
use vaultra_core::services::jobs::{JobRunner, TaskOutcome};

type Result<T, E = Error> = std::result::Result<T, E>;

/// The name of Vaultra's queue in apalis' tables.
pub const QUEUE: &str = "vaultra";

/// Attempts apalis gives a task whose run failed before reaching the ledger (the
/// database unreachable); the work itself is retried by the runner.
const DELIVERY_ATTEMPTS: usize = 5;

/// Where the queue lives.
#[derive(Debug, Clone)]
pub enum JobBackend {
    /// apalis-sqlite, in the store's SQLite database.
    Sqlite(SqlitePool),
    /// apalis-postgres, in the store's PostgreSQL database.
    Postgres(PgPool),
}

/// How a worker process behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Its name (unique per process; the host name and pid by default).
    pub name: String,
    /// Tasks run at once.
    pub concurrency: usize,
    /// How often it tells the queue it is alive.
    pub heartbeat: Duration,
    /// Heartbeats missed before its tasks are given to another worker.
    pub missed_heartbeats: usize,
    /// Whether it also runs the schedules (enqueues each slot's fan-out).
    pub schedule: bool,
    /// The cron expression (six fields, UTC) of each job's schedule; by default
    /// [`JobKind::cron`]. Whatever the ticks, a job's slots stay its own periods, so
    /// extra ticks in a slot enqueue nothing new.
    pub schedules: Vec<(JobKind, String)>,
    /// How long a shutdown waits for the tasks in hand before releasing them.
    pub shutdown_grace: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            name: format!("vaultra-{}", std::process::id()),
            concurrency: 4,
            heartbeat: Duration::from_secs(10),
            missed_heartbeats: 3,
            schedule: true,
            schedules: JobKind::ALL
                .iter()
                .map(|j| (*j, j.cron().to_owned()))
                .collect(),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// The queue and its workers.
#[derive(Debug, Clone)]
pub struct JobEngine {
    backend: JobBackend,
}

/// The queue's failures: retryable, with the queue's error kept as the cause.
fn unavailable(what: &str) -> impl Fn(BoxDynError) -> Error + '_ {
    move |e| {
        Error::unavailable(format!("job queue: {what}: {e}"), true)
            .with_cause(vaultra_core::error::Cause::from(e))
    }
}

impl JobEngine {
    /// The engine over `backend`; [`JobEngine::setup`] creates its tables.
    pub fn new(backend: JobBackend) -> Self {
        Self { backend }
    }

    /// Creates or upgrades apalis' tables (idempotent).
    pub async fn setup(&self) -> Result<()> {
        match &self.backend {
            JobBackend::Sqlite(pool) => apalis_sqlite::SqliteStorage::setup(pool)
                .await
                .map_err(|e| unavailable("setup")(e.into())),
            JobBackend::Postgres(pool) => apalis_postgres::PostgresStorage::setup(pool)
                .await
                .map_err(|e| unavailable("setup")(e.into())),
        }
    }

    /// The queue as the core's port.
    pub fn queue(&self) -> Arc<dyn JobQueue> {
        Arc::new(self.clone())
    }

    /// Tasks waiting or running in the queue (not yet done or given up).
    pub async fn outstanding(&self) -> Result<u64> {
        let count: i64 = match &self.backend {
            JobBackend::Sqlite(pool) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM Jobs WHERE job_type = $1
                 AND status IN ('Pending', 'Queued', 'Running')",
            )
            .bind(QUEUE)
            .fetch_one(pool)
            .await
            .map_err(|e| unavailable("count")(e.into()))?,
            JobBackend::Postgres(pool) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM apalis.jobs WHERE job_type = $1
                 AND status IN ('Pending', 'Queued', 'Running')",
            )
            .bind(QUEUE)
            .fetch_one(pool)
            .await
            .map_err(|e| unavailable("count")(e.into()))?,
        };
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Enqueues the fan-out of the current slot of each of `jobs`
    /// ([`JobKind::current_slot`]: the slot of its last tick), as of `now`.
    pub async fn enqueue_slots(
        &self,
        jobs: &[JobKind],
        now: DateTime<Utc>,
    ) -> Result<EnqueueReport> {
        let tasks: Vec<JobTask> = jobs.iter().map(|j| JobTask::current(*j, now)).collect();
        self.enqueue(&tasks).await
    }

    /// Runs workers (and, if asked, the schedules) until `shutdown` completes, then
    /// stops taking tasks, waits up to [`WorkerOptions::shutdown_grace`] for those in
    /// hand and releases the rest to the queue.
    pub async fn run_worker<F>(
        &self,
        runner: JobRunner,
        options: WorkerOptions,
        shutdown: F,
    ) -> Result<()>
    where
        F: Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let ctx = Arc::new(WorkerCtx {
            runner,
            engine: self.clone(),
        });
        let schedules = if options.schedule {
            Some(tokio::spawn(run_schedules(
                self.clone(),
                options.schedules.clone(),
            )))
        } else {
            None
        };
        let monitor = Monitor::new().shutdown_timeout(options.shutdown_grace);
        let name = options.name.clone();
        let concurrency = options.concurrency.max(1);
        let result = match &self.backend {
            JobBackend::Sqlite(pool) => {
                let config = apalis_sqlite::Config::default()
                    .queue(QUEUE)
                    .batch_size(concurrency)
                    .heartbeat_interval(options.heartbeat)
                    .missed_heartbeats(options.missed_heartbeats);
                let pool = pool.clone();
                monitor
                    .register(move |i| {
                        let storage = apalis_sqlite::SqliteStorage::<JobTask>::new(&pool)
                            .with_config(config.clone());
                        WorkerBuilder::new(format!("{name}-{i}"))
                            .backend(storage)
                            .concurrency(concurrency)
                            .parallelize(tokio::spawn)
                            .data(ctx.clone())
                            .build(handle)
                    })
                    .run_with_signal(shutdown)
                    .await
            }
            JobBackend::Postgres(pool) => {
                let config = apalis_postgres::Config::default()
                    .queue(QUEUE)
                    .batch_size(concurrency)
                    .heartbeat_interval(options.heartbeat)
                    .missed_heartbeats(options.missed_heartbeats);
                let pool = pool.clone();
                monitor
                    .register(move |i| {
                        // LISTEN/NOTIFY wakes idle workers as soon as a task lands,
                        // instead of at their next heartbeat.
                        let storage = apalis_postgres::PostgresStorage::<JobTask>::new(&pool)
                            .with_config(config.clone())
                            .with_pubsub();
                        WorkerBuilder::new(format!("{name}-{i}"))
                            .backend(storage)
                            .concurrency(concurrency)
                            .parallelize(tokio::spawn)
                            .data(ctx.clone())
                            .build(handle)
                    })
                    .run_with_signal(shutdown)
                    .await
            }
        };
        if let Some(s) = schedules {
            s.abort();
        }
        result
            .map(|_| ())
            .map_err(|e| unavailable("worker")(Box::new(e)))
    }

    async fn push(&self, tasks: &[JobTask]) -> Result<EnqueueReport> {
        let mut report = EnqueueReport::default();
        for task in tasks {
            let bytes = serde_json::to_vec(task)
                .map_err(|e| Error::internal("cannot encode a task").with_source(e))?;
            let built = TaskBuilder::new(bytes)
                .idempotency_key(task.key())
                .max_attempts(DELIVERY_ATTEMPTS)
                .build();
            let new = match &self.backend {
                JobBackend::Sqlite(pool) => {
                    let mut conn = pool
                        .acquire()
                        .await
                        .map_err(|e| unavailable("connect")(e.into()))?;
                    let before = exists_sqlite(&mut conn, &task.key()).await?;
                    if before {
                        false
                    } else {
                        // ON CONFLICT DO NOTHING: a racing twin is dropped here.
                        apalis_sqlite::queries::push_tasks(&mut *conn, QUEUE, &[built])
                            .await
                            .map_err(|e| unavailable("push")(e.into()))?;
                        true
                    }
                }
                JobBackend::Postgres(pool) => {
                    let mut conn = pool
                        .acquire()
                        .await
                        .map_err(|e| unavailable("connect")(e.into()))?;
                    match apalis_postgres::queries::push_tasks(&mut *conn, QUEUE, vec![built]).await
                    {
                        Ok(()) => true,
                        Err(apalis_postgres::Error::Database(sqlx::Error::Database(db)))
                            if db.code().as_deref() == Some("23505") =>
                        {
                            false
                        }
                        Err(e) => return Err(unavailable("push")(e.into())),
                    }
                }
            };
            if new {
                report.queued += 1;
            } else {
                report.duplicates += 1;
            }
        }
        Ok(report)
    }
}

async fn exists_sqlite(conn: &mut sqlx::SqliteConnection, key: &str) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM Jobs WHERE job_type = $1 AND idempotency_key = $2")
            .bind(QUEUE)
            .bind(key)
            .fetch_optional(conn)
            .await
            .map_err(|e| unavailable("lookup")(e.into()))?;
    Ok(found.is_some())
}

#[async_trait]
impl JobQueue for JobEngine {
    async fn enqueue(&self, tasks: &[JobTask]) -> Result<EnqueueReport> {
        self.push(tasks).await
    }
}

/// What each worker shares.
#[derive(Debug)]
struct WorkerCtx {
    runner: JobRunner,
    engine: JobEngine,
}

/// Runs one delivered task, then what it asks for next: the subject tasks of a fan-out
/// are enqueued (so every worker shares them); a task chained to a subject's task
/// (readiness after that business's metrics) runs here at once, which saves a queue
/// round trip per business and keeps the two together.
async fn handle(task: JobTask, ctx: Data<Arc<WorkerCtx>>) -> Result<(), BoxDynError> {
    let report = ctx.runner.run(&task, Takeover::Always).await?;
    log_report(&report);
    if task.subject.is_none() {
        if !report.follow_ups.is_empty() {
            let queued = ctx.engine.enqueue(&report.follow_ups).await?;
            tracing::info!(
                key = %report.key,
                queued = queued.queued,
                duplicates = queued.duplicates,
                "fanned out"
            );
        }
        return Ok(());
    }
    let mut chained = report.follow_ups;
    while let Some(next) = chained.pop() {
        // No queue hands this task out, so a run marked running elsewhere is left to
        // its runner unless it is old.
        let takeover = Takeover::After(chrono::Duration::minutes(CHAINED_TAKEOVER_MINUTES));
        let report = ctx.runner.run(&next, takeover).await?;
        log_report(&report);
        chained.extend(report.follow_ups);
    }
    Ok(())
}

/// How long a chained task marked running must be silent before another runner takes
/// it over.
const CHAINED_TAKEOVER_MINUTES: i64 = 10;

fn log_report(report: &vaultra_core::services::jobs::TaskReport) {
    match &report.outcome {
        TaskOutcome::Done { summary } => tracing::info!(key = %report.key, "{summary}"),
        TaskOutcome::Skipped { status } => {
            tracing::info!(key = %report.key, status = status.as_str(), "skipped: already run");
        }
        TaskOutcome::Failed { error, attempts } => {
            tracing::warn!(key = %report.key, attempts, "dead-lettered: {error}");
        }
    }
}

/// Enqueues the current slot of every scheduled job (a restart catches up on the
/// last tick it missed), then follows one apalis-cron stream per job; each tick
/// enqueues the fan-out of its slot.
async fn run_schedules(engine: JobEngine, schedules: Vec<(JobKind, String)>) {
    let jobs: Vec<JobKind> = schedules.iter().map(|(j, _)| *j).collect();
    match engine.enqueue_slots(&jobs, Utc::now()).await {
        Ok(r) => tracing::info!(
            queued = r.queued,
            already = r.duplicates,
            "caught up on the current slots"
        ),
        Err(e) => tracing::warn!("could not enqueue the current slots: {e}"),
    }
    let mut streams = Vec::new();
    for (job, expr) in schedules {
        let schedule = match cron::Schedule::from_str(&expr) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(job = job.as_str(), "bad schedule {expr}: {e}");
                continue;
            }
        };
        let ticks = CronScheduler::new(schedule)
            .into_stream()
            .map(move |tick| (job, tick));
        streams.push(ticks.boxed());
    }
    let mut all = futures_util::stream::select_all(streams);
    while let Some((job, tick)) = all.next().await {
        let at = match tick {
            Ok(t) => i64::try_from(t.get_timestamp())
                .ok()
                .and_then(|s| DateTime::from_timestamp(s, 0))
                .unwrap_or_else(Utc::now),
            Err(e) => {
                tracing::warn!(job = job.as_str(), "schedule error: {e}");
                continue;
            }
        };
        let task = JobTask::fan_out(job, job.slot_of_tick(at));
        match engine.enqueue(std::slice::from_ref(&task)).await {
            Ok(r) if r.queued > 0 => tracing::info!(key = %task.key(), "scheduled"),
            Ok(_) => tracing::debug!(key = %task.key(), "already scheduled by another process"),
            Err(e) => tracing::warn!(key = %task.key(), "could not schedule: {e}"),
        }
    }
}
