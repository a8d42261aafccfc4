//! `vaultra jobs run` and `vaultra worker`: the scheduled jobs, in this process or on
//! the queue.

use std::sync::Arc;
use std::time::Duration;

use vaultra_adapters::jobs::{JobEngine, WorkerOptions};
use vaultra_adapters::local::SystemClock;
use vaultra_adapters::redact;
use vaultra_adapters::stripe::StripeSource;
use vaultra_core::app::{JobRunReport, Vaultra};
use vaultra_core::ports::{Clock, JobKind, PaymentSource};
use vaultra_core::services::jobs::TaskOutcome;

use crate::cli::{Format, JobsRunArgs, WorkerArgs};
use crate::commands::{to_json, write_stdout};
use crate::error::CliError;

/// How long a run marked running must be silent before `jobs run` presumes its
/// runner dead and runs the task itself (no queue stands between two `jobs run`s).
const INLINE_TAKEOVER_MINUTES: i64 = 10;

/// The façade over the store at `url` and the job engine in the same database, both
/// migrated; the façade syncs from `source` when given.
pub(crate) async fn open_engine(
    url: &str,
    source: Option<Arc<dyn PaymentSource>>,
) -> Result<(Vaultra, JobEngine), CliError> {
    let opened = crate::store::open(url).await?;
    let engine = JobEngine::new(opened.job_backend());
    engine.setup().await?;
    Ok((crate::store::app(&opened, source)?, engine))
}

/// The Stripe source, if STRIPE_SECRET_KEY is set.
fn stripe_source() -> Result<Option<Arc<dyn PaymentSource>>, CliError> {
    if std::env::var("STRIPE_SECRET_KEY").is_ok_and(|k| !k.trim().is_empty()) {
        let source =
            StripeSource::new(crate::stripe::config()?).map_err(vaultra_core::Error::from)?;
        Ok(Some(Arc::new(source)))
    } else {
        Ok(None)
    }
}

/// The jobs named on the command line, or all of them.
fn parse_jobs(names: &[String]) -> Result<Vec<JobKind>, CliError> {
    if names.is_empty() {
        return Ok(JobKind::ALL.to_vec());
    }
    names
        .iter()
        .map(|n| {
            n.parse::<JobKind>()
                .map_err(|e| CliError::Usage(e.to_string()))
        })
        .collect()
}

/// One job's run, for output.
pub(crate) type JobRunSummary = JobRunReport;

/// The text lines of job summaries: per job, its slot and what its tasks did (tasks
/// it chained into, such as readiness after metrics, counted under their own job);
/// then one line per failure.
pub(crate) fn render_summaries(runs: &[JobRunSummary]) -> String {
    let mut out = String::new();
    for run in runs {
        let Some((root, rest)) = run.tasks.split_first() else {
            continue;
        };
        // A run may start at a fan-out (`job:*:slot`) or at one subject's task.
        let fan_out = root.key.split(':').nth(1) == Some("*");
        let rest = if fan_out { rest } else { &run.tasks[..] };
        let mut line = format!(
            "{:<26} slot {}",
            run.job.as_str(),
            run.slot.format("%Y-%m-%d %H:%M UTC")
        );
        if fan_out && matches!(root.outcome, TaskOutcome::Skipped { .. }) {
            line.push_str("  already run: nothing to do");
        } else {
            let mut kinds: Vec<&str> = rest
                .iter()
                .map(|t| t.key.split(':').next().unwrap_or(""))
                .collect();
            kinds.dedup();
            if kinds.is_empty() {
                line.push_str(match run.job {
                    JobKind::StripeSync => {
                        "  no account to sync (none connected, or STRIPE_SECRET_KEY unset)"
                    }
                    JobKind::SendNotificationDigest => "  no new recommendations to send",
                    _ => "  no business yet",
                });
            }
            for kind in kinds {
                let (mut done, mut skipped, mut failed) = (0, 0, 0);
                for t in rest
                    .iter()
                    .filter(|t| t.key.starts_with(&format!("{kind}:")))
                {
                    match t.outcome {
                        TaskOutcome::Done { .. } => done += 1,
                        TaskOutcome::Skipped { .. } => skipped += 1,
                        TaskOutcome::Failed { .. } => failed += 1,
                    }
                }
                line.push_str(&format!(
                    "  {kind}: {done} done, {skipped} already done, {failed} failed"
                ));
            }
        }
        out.push_str(&line);
        out.push('\n');
        for t in &run.tasks {
            if let TaskOutcome::Failed { error, attempts } = &t.outcome {
                out.push_str(&format!(
                    "  failed after {attempts} attempt(s), dead-lettered: {}: {error}\n",
                    t.key
                ));
            }
        }
    }
    out
}

fn failures(runs: &[JobRunSummary]) -> usize {
    runs.iter().map(|r| r.counts().2).sum()
}

/// `vaultra jobs run`.
pub async fn run_jobs(url: &str, args: JobsRunArgs) -> Result<(), CliError> {
    let jobs = parse_jobs(&args.jobs)?;
    let source = if jobs.contains(&JobKind::StripeSync) {
        stripe_source()?
    } else {
        None
    };
    let (app, _engine) = open_engine(url, source).await?;
    let takeover = chrono::Duration::minutes(INLINE_TAKEOVER_MINUTES);
    let runs = app.run_jobs_now(&jobs, args.fresh, takeover).await?;
    match args.format {
        Format::Json => write_stdout(&to_json(&serde_json::json!({ "jobs": runs }))?)?,
        Format::Text => write_stdout(&render_summaries(&runs))?,
    }
    match failures(&runs) {
        0 => Ok(()),
        n => Err(CliError::Failed(format!(
            "{n} task(s) failed after their retries and were dead-lettered (see above)"
        ))),
    }
}

/// Logs to stderr (stdout stays for results); `RUST_LOG` refines the level.
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Completes on SIGTERM or Ctrl-C.
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

/// Completes once the queue has stayed empty for a moment (for `--until-idle`).
async fn idle(engine: JobEngine) -> std::io::Result<()> {
    let mut quiet = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        match engine.outstanding().await {
            Ok(0) => quiet += 1,
            Ok(_) => quiet = 0,
            Err(e) => tracing::warn!("could not read the queue: {e}"),
        }
        // Two quiet looks in a row: a task that just finished has enqueued its
        // follow-ups by then.
        if quiet >= 2 {
            return Ok(());
        }
    }
}

/// The URL a worker connects with: on PostgreSQL, commits are asynchronous
/// (`synchronous_commit=off`) unless the URL says otherwise. A worker writes derived
/// data (snapshots, scores, the job ledger) and re-fetchable payment pages; a crash
/// loses at most the last moments of those writes, in order, and the ledger then runs
/// the lost tasks again. It spares a disk flush per commit, of which each task has
/// several. `vaultra stripe sync` connects the same way (see `stripe::sync`).
pub(crate) fn worker_url(url: &str) -> String {
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !postgres || url.contains("synchronous_commit") {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options[synchronous_commit]=off")
}

/// `vaultra worker`.
pub async fn worker(url: &str, args: WorkerArgs) -> Result<(), CliError> {
    init_logging();
    let source = stripe_source()?;
    if source.is_none() {
        tracing::info!("STRIPE_SECRET_KEY is not set: stripe_sync will find nothing to sync");
    }
    let (app, engine) = open_engine(&worker_url(url), source).await?;
    let runner = app.job_runner()?;
    if args.kick {
        let r = engine
            .enqueue_slots(&JobKind::ALL, SystemClock.now())
            .await?;
        tracing::info!(
            queued = r.queued,
            duplicates = r.duplicates,
            "enqueued the current slots"
        );
    }
    let options = WorkerOptions {
        concurrency: usize::from(args.concurrency),
        schedule: !args.no_schedule,
        heartbeat: Duration::from_secs(args.heartbeat_secs),
        shutdown_grace: Duration::from_secs(args.grace_secs),
        ..WorkerOptions::default()
    };
    let options = match args.name {
        Some(name) => WorkerOptions { name, ..options },
        None => options,
    };
    tracing::info!(
        name = %options.name,
        database = %redact(url),
        schedules = options.schedule,
        "worker started"
    );
    let until_idle = args.until_idle;
    let watcher = engine.clone();
    let shutdown = async move {
        if until_idle {
            tokio::select! {
                r = stop_signal() => r,
                r = idle(watcher) => r,
            }
        } else {
            stop_signal().await
        }
    };
    engine.run_worker(runner, options, shutdown).await?;
    tracing::info!("worker stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::worker_url;

    #[test]
    fn workers_commit_asynchronously_on_postgres_unless_told_otherwise() {
        assert_eq!(
            worker_url("postgres://u@h/db"),
            "postgres://u@h/db?options[synchronous_commit]=off"
        );
        assert_eq!(
            worker_url("postgres://u@h/db?sslmode=disable"),
            "postgres://u@h/db?sslmode=disable&options[synchronous_commit]=off"
        );
        let explicit = "postgres://u@h/db?options[synchronous_commit]=on";
        assert_eq!(worker_url(explicit), explicit);
        assert_eq!(worker_url("sqlite://vaultra.db"), "sqlite://vaultra.db");
    }
}
