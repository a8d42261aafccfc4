//! What each scheduled job does, whichever engine delivers its tasks.
//!
//! [`JobRunner`] runs one [`JobTask`]: the fan-out of a slot (which lists the subjects
//! and returns one task per subject) or the work for one subject. Every run goes through
//! the [`JobLedger`] first, so a task key runs once however many
//! schedulers enqueue it or workers receive it; a crashed run is taken over under the
//! rule of the caller's [`Takeover`]. Work that fails with a retryable error is retried
//! with exponential backoff and jitter, [`RetryConfig::max_attempts`] times in all, then
//! written to the dead-letter table with its error and marked failed in the ledger.
//!
//! A subject task runs *as of its slot*: metrics cover the 30 days before the slot's
//! day, scores and recommendations are stamped with the slot, and the 30-day dismissal
//! rule is measured from it. A rerun of a slot therefore computes the same thing, and a
//! history can be built by running past slots (the demo does).
//!
//! Chaining: a successful `compute_metrics` task returns the `compute_readiness` task of
//! the same business and slot as a follow-up ("hourly, after metrics"); the readiness
//! schedule's own fan-out later finds that key done. The stripe sync keeps its own
//! retry and dead-letter policy ([`StripeSync`]) and is not retried again here.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::Provider;
use crate::error::{Error, Result};
use crate::ports::jobs::{
    Begin, JobKind, JobLedger, JobTask, NewDigest, NotificationStore, RunStatus, Takeover,
};
use crate::ports::payments::{PaymentSource, Sleeper};
use crate::ports::storage::{
    AnalyticsStore, BusinessStore, DeadLetterStore, IntegrationStore, NewDeadLetter, PaymentStore,
    RecommendationStore, Store,
};
use crate::ports::{Clock, FixedClock};
use crate::scoring::Policy;
use crate::services::access::Actor;
use crate::services::metrics::{MetricsPorts, MetricsService};
use crate::services::recommendations::{RecommendationsPorts, RecommendationsService};
use crate::services::stripe_sync::{Quiet, StripeSync, SyncPorts};

/// How failing work is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles for each further one.
    pub base_backoff: StdDuration,
    /// The longest wait.
    pub max_backoff: StdDuration,
}

impl RetryConfig {
    /// The backoff this configuration describes.
    pub fn backoff(&self) -> crate::retry::Backoff {
        crate::retry::Backoff {
            base: self.base_backoff,
            max: self.max_backoff,
        }
    }
}

impl Default for RetryConfig {
    /// Three attempts, 2 s then 4 s apart (each ± jitter, at most 60 s).
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_backoff: StdDuration::from_secs(2),
            max_backoff: StdDuration::from_secs(60),
        }
    }
}

/// How a task's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TaskOutcome {
    /// The work was done; `summary` says what it did.
    Done {
        /// One line for the log.
        summary: String,
    },
    /// Another run has it or had it: nothing was done.
    Skipped {
        /// The run's status in the ledger.
        status: RunStatus,
    },
    /// It failed for good and was dead-lettered.
    Failed {
        /// The last error.
        error: String,
        /// Attempts made.
        attempts: u32,
    },
}

/// A task's outcome and the tasks it asks to run next (the subjects of a fan-out, or
/// the readiness task that follows metrics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskReport {
    /// The task's key.
    pub key: String,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: TaskOutcome,
    /// Tasks to enqueue (or run) next.
    #[serde(skip)]
    pub follow_ups: Vec<JobTask>,
}

/// The storage the job runner works on: the ledger and the outbox, and what the
/// services it runs need ([`MetricsPorts`], [`RecommendationsPorts`], [`SyncPorts`]).
#[derive(Debug, Clone)]
pub struct JobPorts {
    /// Which task ran for which slot.
    pub ledger: Arc<dyn JobLedger>,
    /// Where work that failed for good is recorded (and the syncs' dead letters).
    pub dead_letters: Arc<dyn DeadLetterStore>,
    /// The businesses a fan-out covers, and the services' membership checks.
    pub businesses: Arc<dyn BusinessStore>,
    /// The connected accounts a sync fan-out covers, and the syncs' positions.
    pub integrations: Arc<dyn IntegrationStore>,
    /// The payment data metrics measure and syncs store.
    pub payments: Arc<dyn PaymentStore>,
    /// Metric snapshots and readiness scores.
    pub analytics: Arc<dyn AnalyticsStore>,
    /// Stored recommendations.
    pub recommendations: Arc<dyn RecommendationStore>,
    /// The digest recipients and the outbox.
    pub notifications: Arc<dyn NotificationStore>,
}

impl From<Arc<dyn Store>> for JobPorts {
    fn from(store: Arc<dyn Store>) -> Self {
        Self {
            ledger: store.clone(),
            dead_letters: store.clone(),
            businesses: store.clone(),
            integrations: store.clone(),
            payments: store.clone(),
            analytics: store.clone(),
            recommendations: store.clone(),
            notifications: store,
        }
    }
}

impl JobPorts {
    /// What the metrics and readiness jobs run over.
    fn metrics(&self) -> MetricsPorts {
        MetricsPorts {
            businesses: self.businesses.clone(),
            integrations: self.integrations.clone(),
            payments: self.payments.clone(),
            analytics: self.analytics.clone(),
        }
    }

    /// What the recommendations job runs over.
    fn recommendations(&self) -> RecommendationsPorts {
        RecommendationsPorts {
            businesses: self.businesses.clone(),
            analytics: self.analytics.clone(),
            recommendations: self.recommendations.clone(),
        }
    }

    /// What a sync runs over.
    fn sync(&self) -> SyncPorts {
        SyncPorts {
            integrations: self.integrations.clone(),
            payments: self.payments.clone(),
            dead_letters: self.dead_letters.clone(),
        }
    }
}

/// Runs the tasks of the scheduled jobs over the ports.
#[derive(Debug, Clone)]
pub struct JobRunner {
    ports: JobPorts,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
    policy: Arc<Policy>,
    source: Option<Arc<dyn PaymentSource>>,
    retry: RetryConfig,
}

impl JobRunner {
    /// A runner over these ports; `clock` stamps the ledger and the syncs, `sleeper` waits
    /// between retries. Without a payment source ([`JobRunner::with_source`]) the
    /// `stripe_sync` fan-out finds nothing to do.
    pub fn new(
        ports: JobPorts,
        clock: Arc<dyn Clock>,
        sleeper: Arc<dyn Sleeper>,
        policy: Arc<Policy>,
    ) -> Self {
        Self {
            ports,
            clock,
            sleeper,
            policy,
            source: None,
            retry: RetryConfig::default(),
        }
    }

    /// The same runner syncing accounts from `source`.
    #[must_use]
    pub fn with_source(mut self, source: Arc<dyn PaymentSource>) -> Self {
        self.source = Some(source);
        self
    }

    /// The same runner with another retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// The ports the runner works on.
    pub fn ports(&self) -> &JobPorts {
        &self.ports
    }

    /// Runs `task` once if the ledger lets it (see the module documentation).
    ///
    /// Errors are only those of the ledger itself (the store unreachable): failures of
    /// the work are retried, dead-lettered and reported as [`TaskOutcome::Failed`].
    pub async fn run(&self, task: &JobTask, takeover: Takeover) -> Result<TaskReport> {
        let key = task.key();
        match self
            .ports
            .ledger
            .begin_run(task, self.clock.now(), takeover)
            .await?
        {
            Begin::Skipped(status) => {
                return Ok(TaskReport {
                    key,
                    outcome: TaskOutcome::Skipped { status },
                    follow_ups: Vec::new(),
                });
            }
            Begin::Started { .. } => {}
        }
        let (result, attempts) = if task.job == JobKind::StripeSync && task.subject.is_some() {
            // StripeSync retries and dead-letters by itself.
            (self.work(task).await, 1)
        } else {
            self.with_retries(task).await
        };
        match result {
            Ok((summary, follow_ups)) => {
                self.ports
                    .ledger
                    .finish_run(&key, RunStatus::Succeeded, None, self.clock.now())
                    .await?;
                Ok(TaskReport {
                    key,
                    outcome: TaskOutcome::Done { summary },
                    follow_ups,
                })
            }
            Err(error) => {
                // The ledger and the dead letters are for operators: keep the causes.
                let message = error.report().to_string();
                if task.job != JobKind::StripeSync || task.subject.is_none() {
                    self.ports
                        .dead_letters
                        .dead_letter(NewDeadLetter {
                            kind: task.job.as_str().to_owned(),
                            key: key.clone(),
                            payload: serde_json::to_value(task).map_err(|e| {
                                Error::internal("cannot encode a task payload").with_source(e)
                            })?,
                            error: message.clone(),
                            attempts,
                            failed_at: self.clock.now(),
                        })
                        .await?;
                }
                self.ports
                    .ledger
                    .finish_run(&key, RunStatus::Failed, Some(&message), self.clock.now())
                    .await?;
                Ok(TaskReport {
                    key,
                    outcome: TaskOutcome::Failed {
                        error: message,
                        attempts,
                    },
                    follow_ups: Vec::new(),
                })
            }
        }
    }

    /// Runs the slot of `job` that `at` falls in to the end, in this process: the
    /// fan-out, every subject task, and their follow-ups. The path of
    /// `vaultra jobs run` and of the demo; a queue-backed worker does the same through
    /// its queue.
    pub async fn run_slot(
        &self,
        job: JobKind,
        at: DateTime<Utc>,
        takeover: Takeover,
    ) -> Result<Vec<TaskReport>> {
        self.run_all(JobTask::fan_out(job, at), takeover).await
    }

    /// Runs `root` and everything it leads to, depth first, in this process.
    pub async fn run_all(&self, root: JobTask, takeover: Takeover) -> Result<Vec<TaskReport>> {
        let mut pending = vec![root];
        let mut reports = Vec::new();
        // Depth-first keeps a business's readiness right after its metrics.
        while let Some(task) = pending.pop() {
            let mut report = self.run(&task, takeover).await?;
            pending.extend(report.follow_ups.drain(..).rev());
            reports.push(report);
        }
        Ok(reports)
    }

    async fn with_retries(&self, task: &JobTask) -> (Result<(String, Vec<JobTask>)>, u32) {
        retrying(&self.retry, &*self.sleeper, || self.work(task)).await
    }

    /// The wait after failed attempt `attempt` under this runner's policy.
    pub fn backoff(&self, attempt: u32) -> StdDuration {
        backoff(&self.retry, attempt)
    }

    async fn work(&self, task: &JobTask) -> Result<(String, Vec<JobTask>)> {
        let Some(subject) = task.subject else {
            let subjects = self.fan_out(task).await?;
            let summary = format!("{} tasks for slot {}", subjects.len(), task.slot);
            return Ok((summary, subjects));
        };
        // The derived-data jobs run as of their slot.
        let as_of: Arc<dyn Clock> = Arc::new(FixedClock::new(task.slot));
        let system = Actor::System;
        match task.job {
            JobKind::StripeSync => self.sync(subject).await.map(|s| (s, Vec::new())),
            JobKind::ComputeMetrics => {
                let metrics = MetricsService::new(self.ports.metrics(), as_of, self.policy.clone());
                let window = metrics.default_window()?;
                let view = metrics.compute_metrics(&system, subject, window).await?;
                let next = JobTask::for_subject(JobKind::ComputeReadiness, subject, task.slot);
                let summary = format!(
                    "business {subject}: snapshot of {} to {} ({} charges, {} days of history)",
                    window.start_date(),
                    window.end_date(),
                    view.metrics.transaction_count,
                    view.basis.history_days
                );
                Ok((summary, vec![next]))
            }
            JobKind::ComputeReadiness => {
                let metrics = MetricsService::new(self.ports.metrics(), as_of, self.policy.clone());
                match metrics.compute_readiness_score(&system, subject).await {
                    Ok(score) => Ok((
                        format!(
                            "business {subject}: readiness {} ({})",
                            score.score.score, score.score.tier
                        ),
                        Vec::new(),
                    )),
                    // Nothing to score yet is not a failure: the next metrics run fixes it.
                    Err(Error::NotFound { entity, .. }) if entity != "business" => Ok((
                        format!("business {subject}: no metrics yet, nothing to score"),
                        Vec::new(),
                    )),
                    Err(e) => Err(e),
                }
            }
            JobKind::GenerateRecommendations => {
                let recs = RecommendationsService::new(
                    self.ports.recommendations(),
                    as_of,
                    self.policy.clone(),
                );
                match recs.generate_recommendations(&system, subject).await {
                    Ok(live) => Ok((
                        format!("business {subject}: {} live recommendations", live.len()),
                        Vec::new(),
                    )),
                    Err(Error::NotFound { entity, .. }) if entity != "business" => Ok((
                        format!("business {subject}: no metrics yet, nothing to recommend"),
                        Vec::new(),
                    )),
                    Err(e) => Err(e),
                }
            }
            JobKind::SendNotificationDigest => self
                .digest(subject, task.slot)
                .await
                .map(|s| (s, Vec::new())),
        }
    }

    /// The subject tasks of a fan-out.
    async fn fan_out(&self, task: &JobTask) -> Result<Vec<JobTask>> {
        let ids: Vec<Uuid> = match task.job {
            JobKind::StripeSync => match self.source {
                None => Vec::new(),
                Some(_) => self
                    .ports
                    .integrations
                    .connected_accounts(Provider::Stripe)
                    .await?
                    .into_iter()
                    .map(|a| a.id)
                    .collect(),
            },
            JobKind::ComputeMetrics
            | JobKind::ComputeReadiness
            | JobKind::GenerateRecommendations => self
                .ports
                .businesses
                .list_businesses()
                .await?
                .into_iter()
                .map(|b| b.id)
                .collect(),
            JobKind::SendNotificationDigest => {
                self.ports
                    .notifications
                    .digest_recipients(task.slot, task.slot + Duration::days(1))
                    .await?
            }
        };
        Ok(ids
            .into_iter()
            .map(|id| JobTask::for_subject(task.job, id, task.slot))
            .collect())
    }

    async fn sync(&self, account_id: Uuid) -> Result<String> {
        let Some(source) = self.source.clone() else {
            return Err(Error::unavailable(
                "no payment source is configured (set STRIPE_SECRET_KEY)",
                false,
            ));
        };
        let account = self.ports.integrations.get_account(account_id).await?;
        let sync = StripeSync::new(
            source,
            self.ports.sync(),
            self.clock.clone(),
            self.sleeper.clone(),
        );
        let report = sync.sync(&account, false, &Quiet).await?;
        Ok(format!(
            "account {} ({}): {:?} sync, {} objects in {} pages",
            account.id, account.external_id, report.mode, report.objects, report.pages
        ))
    }

    async fn digest(&self, user: Uuid, day: DateTime<Utc>) -> Result<String> {
        let items = self
            .ports
            .notifications
            .new_recommendations_for(user, day, day + Duration::days(1))
            .await?;
        if items.is_empty() {
            return Ok(format!("user {user}: no new recommendations"));
        }
        let date = day.date_naive();
        let subject = match items.len() {
            1 => format!("Vaultra: 1 new recommendation ({date})"),
            n => format!("Vaultra: {n} new recommendations ({date})"),
        };
        let mut body = format!("New recommendations on {date}:\n");
        let mut business = None;
        for item in &items {
            if business != Some(item.business_id) {
                business = Some(item.business_id);
                body.push_str(&format!("\n{}\n", item.business_name));
            }
            body.push_str(&format!("  [{}] {}\n", item.priority, item.title));
        }
        let stored = self
            .ports
            .notifications
            .insert_digest(NewDigest {
                user_id: user,
                digest_date: date,
                created_at: self.clock.now(),
                subject: subject.clone(),
                body,
                items,
            })
            .await?;
        Ok(match stored {
            Some(d) => format!("user {user}: digest {} queued: {subject}", d.id),
            None => format!("user {user}: the digest of {date} was already written"),
        })
    }
}

/// Runs `op` until it succeeds, fails with an error that is not retryable, or has
/// been tried `retry.max_attempts` times, sleeping [`backoff`] between tries; returns
/// the last result and the number of tries.
pub async fn retrying<T, F, Fut>(
    retry: &RetryConfig,
    sleeper: &dyn Sleeper,
    op: F,
) -> (Result<T>, u32)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    crate::retry::retrying(
        &retry.backoff(),
        retry.max_attempts,
        sleeper,
        jitter_seed,
        op,
    )
    .await
}

/// The wait after failed attempt `attempt` ([`Backoff::delay`](crate::retry::Backoff::delay)
/// with a random seed).
pub fn backoff(retry: &RetryConfig, attempt: u32) -> StdDuration {
    retry.backoff().delay(attempt, jitter_seed(), None)
}

/// A seed that differs between processes and calls: jobs are not driven by a test clock,
/// and many workers failing together must not retry together.
fn jitter_seed() -> u64 {
    RandomState::new().hash_one(0u8)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::ports::RecordingSleeper;

    fn unavailable() -> Error {
        Error::unavailable("database restarting", true)
    }

    #[tokio::test]
    async fn retries_retryable_errors_with_growing_waits() {
        let retry = RetryConfig::default();
        let sleeper = RecordingSleeper::default();
        let calls = AtomicU32::new(0);
        let (result, attempts) = retrying(&retry, &sleeper, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(unavailable())
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!((result.ok(), attempts), (Some(7), 3));
        let slept = sleeper.slept();
        assert_eq!(slept.len(), 2);
        assert!(
            slept[0] >= StdDuration::from_secs(1) && slept[0] <= StdDuration::from_secs(2),
            "{slept:?}"
        );
        assert!(
            slept[1] >= StdDuration::from_secs(2) && slept[1] <= StdDuration::from_secs(4),
            "{slept:?}"
        );
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts_with_the_last_error() {
        let retry = RetryConfig::default();
        let sleeper = RecordingSleeper::default();
        let calls = AtomicU32::new(0);
        let (result, attempts) = retrying(&retry, &sleeper, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(unavailable())
        })
        .await;
        let last = result.expect_err("the last error");
        assert!(last.is_retryable());
        assert_eq!(last.to_string(), unavailable().to_string());
        assert_eq!((attempts, calls.load(Ordering::SeqCst)), (3, 3));
        assert_eq!(sleeper.slept().len(), 2, "no wait after the last attempt");
    }

    #[tokio::test]
    async fn does_not_retry_what_cannot_succeed() {
        let sleeper = RecordingSleeper::default();
        let (result, attempts) = retrying(&RetryConfig::default(), &sleeper, || async {
            Err::<(), _>(Error::invalid("window", "too long"))
        })
        .await;
        assert!(matches!(result, Err(Error::Invalid { .. })));
        assert_eq!(attempts, 1);
        assert!(sleeper.slept().is_empty());
    }

    #[test]
    fn backoff_is_capped() {
        let retry = RetryConfig {
            max_attempts: 10,
            base_backoff: StdDuration::from_secs(2),
            max_backoff: StdDuration::from_secs(10),
        };
        for attempt in 1..=30 {
            assert!(backoff(&retry, attempt) <= StdDuration::from_secs(10));
        }
        assert!(backoff(&retry, 9) >= StdDuration::from_secs(5));
    }
}
