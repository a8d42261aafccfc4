//! The job port: the scheduled work of Vaultra as data, and the queue it travels on.
//!
//! A job ([`JobKind`]) runs on a schedule; each run belongs to a *slot* (the start of
//! its period: the quarter hour, the hour, the day, UTC). A run fans out into one
//! [`JobTask`] per subject (a business, a connected account, a user), and every task
//! carries an idempotency key made of job, subject and slot: enqueueing the same key
//! twice does nothing, so any number of schedulers and worker processes never do the
//! same slot twice. A task runs *as of* its slot, which makes a rerun reproducible.
//!
//! Hosts never see the queue library behind [`JobQueue`]; the adapters implement it.

use std::fmt::{self, Debug};
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Duration, DurationRound, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// The scheduled jobs of the specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Incremental sync of every connected Stripe account (every 15 minutes).
    StripeSync,
    /// A 30-day metric snapshot for every business (hourly).
    ComputeMetrics,
    /// A readiness score from each business's latest snapshot (hourly, after metrics).
    ComputeReadiness,
    /// The recommendation rules for every business (daily).
    GenerateRecommendations,
    /// A digest of new recommendations per user into the outbox (daily).
    SendNotificationDigest,
}

impl JobKind {
    /// Every job, in the order a full run does them (data before metrics before
    /// scores before recommendations before the digest).
    pub const ALL: [JobKind; 5] = [
        Self::StripeSync,
        Self::ComputeMetrics,
        Self::ComputeReadiness,
        Self::GenerateRecommendations,
        Self::SendNotificationDigest,
    ];

    /// The name used on the command line, in queues and in keys.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::StripeSync => "stripe_sync",
            Self::ComputeMetrics => "compute_metrics",
            Self::ComputeReadiness => "compute_readiness",
            Self::GenerateRecommendations => "generate_recommendations",
            Self::SendNotificationDigest => "send_notification_digest",
        }
    }

    /// The length of one slot.
    pub fn period(&self) -> Duration {
        match self {
            Self::StripeSync => Duration::minutes(15),
            Self::ComputeMetrics | Self::ComputeReadiness => Duration::hours(1),
            Self::GenerateRecommendations | Self::SendNotificationDigest => Duration::days(1),
        }
    }

    /// How long after its slot starts the scheduler fires the job. Readiness fires
    /// after metrics (metrics tasks also chain into readiness for the same slot), the
    /// digest after the recommendations it reports.
    pub fn offset(&self) -> Duration {
        match self {
            Self::StripeSync | Self::ComputeMetrics => Duration::zero(),
            Self::ComputeReadiness => Duration::minutes(10),
            Self::GenerateRecommendations => Duration::hours(6),
            Self::SendNotificationDigest => Duration::hours(7),
        }
    }

    /// The schedule as a six-field cron expression (seconds first), UTC; the same
    /// instants as [`JobKind::period`] and [`JobKind::offset`].
    pub fn cron(&self) -> &'static str {
        match self {
            Self::StripeSync => "0 0/15 * * * *",
            Self::ComputeMetrics => "0 0 * * * *",
            Self::ComputeReadiness => "0 10 * * * *",
            Self::GenerateRecommendations => "0 0 6 * * *",
            Self::SendNotificationDigest => "0 0 7 * * *",
        }
    }

    /// The slot `at` falls in (the start of its period).
    pub fn slot_of(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        // Periods divide a day evenly, so rounding down from the epoch is exact.
        at.duration_trunc(self.period()).unwrap_or(at)
    }

    /// The slot a scheduler tick at `tick` stands for (the tick fires `offset` into it).
    pub fn slot_of_tick(&self, tick: DateTime<Utc>) -> DateTime<Utc> {
        self.slot_of(tick - self.offset())
    }

    /// The slot whose tick came last at `now`: what "run it now" means. Before the
    /// day's 07:00 tick it is yesterday's digest, so running early never spends a
    /// slot before the work it reports on was scheduled.
    pub fn current_slot(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.slot_of_tick(now)
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "job",
                    format!(
                        "unknown job {s:?}; the jobs are {}",
                        Self::ALL.map(|k| k.as_str()).join(", ")
                    ),
                )
            })
    }
}

/// One unit of work: a job, for one subject (or, with no subject, the fan-out that
/// enqueues a task per subject), for one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTask {
    /// The job.
    pub job: JobKind,
    /// A business id (metrics, readiness, recommendations), an integration account id
    /// (stripe_sync) or a user id (digest); `None` for the fan-out of the slot.
    pub subject: Option<Uuid>,
    /// The start of the slot; the task runs as of this instant.
    pub slot: DateTime<Utc>,
}

impl JobTask {
    /// The fan-out task of `job` for the slot `at` falls in.
    pub fn fan_out(job: JobKind, at: DateTime<Utc>) -> Self {
        Self {
            job,
            subject: None,
            slot: job.slot_of(at),
        }
    }

    /// The fan-out of `job`'s current slot at `now` ([`JobKind::current_slot`]).
    pub fn current(job: JobKind, now: DateTime<Utc>) -> Self {
        Self::fan_out(job, job.current_slot(now))
    }

    /// The task of `job` for `subject` in `slot` (the same slot as its fan-out).
    pub fn for_subject(job: JobKind, subject: Uuid, slot: DateTime<Utc>) -> Self {
        Self {
            job,
            subject: Some(subject),
            slot,
        }
    }

    /// The idempotency key: equal for the same job, subject and slot, whoever
    /// enqueues it.
    pub fn key(&self) -> String {
        let subject = self
            .subject
            .map_or_else(|| "*".to_owned(), |s| s.to_string());
        format!(
            "{}:{}:{}",
            self.job,
            subject,
            self.slot.format("%Y-%m-%dT%H:%M:%SZ")
        )
    }

    /// Parses a key made by [`JobTask::key`].
    pub fn from_key(key: &str) -> Result<Self> {
        let bad = || Error::invalid("key", format!("{key:?} is not a job task key"));
        let mut parts = key.splitn(3, ':');
        let job: JobKind = parts.next().ok_or_else(bad)?.parse()?;
        let subject = match parts.next().ok_or_else(bad)? {
            "*" => None,
            s => Some(Uuid::parse_str(s).map_err(|_| bad())?),
        };
        let slot = chrono::NaiveDateTime::parse_from_str(
            parts.next().ok_or_else(bad)?,
            "%Y-%m-%dT%H:%M:%SZ",
        )
        .map_err(|_| bad())?;
        Ok(Self {
            job,
            subject,
            slot: Utc.from_utc_datetime(&slot),
        })
    }
}

/// What an enqueue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EnqueueReport {
    /// Tasks newly queued.
    pub queued: usize,
    /// Tasks whose key was queued before (nothing done).
    pub duplicates: usize,
}

/// Where tasks wait for a worker.
#[async_trait]
pub trait JobQueue: Send + Sync + Debug + 'static {
    /// Queues `tasks`; a task whose key was ever queued before is skipped and
    /// counted as a duplicate, also when several processes enqueue at once.
    async fn enqueue(&self, tasks: &[JobTask]) -> Result<EnqueueReport>;
}

/// Where a run of a task stands (`job_runs.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// A runner has it.
    Running,
    /// Done.
    Succeeded,
    /// Given up after its retries; the error is in the dead-letter table.
    Failed,
}

impl RunStatus {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "running" => Ok(Self::Running),
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            other => Err(Error::internal(format!("unknown run status {other:?}"))),
        }
    }
}

/// One task's run, as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRun {
    /// The task's idempotency key ([`JobTask::key`]).
    pub key: String,
    /// The job.
    pub kind: JobKind,
    /// Where it stands.
    pub status: RunStatus,
    /// How many times a runner started it (more than one after a crash or takeover).
    pub attempts: u32,
    /// When it was last started.
    pub started_at: DateTime<Utc>,
    /// When it finished, if it did.
    pub finished_at: Option<DateTime<Utc>>,
    /// The error it failed with, if it did.
    pub last_error: Option<String>,
}

/// What [`JobLedger::begin_run`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// The caller runs the task; `attempt` counts starts, this one included.
    Started {
        /// 1 for a first start.
        attempt: u32,
    },
    /// The caller must not run it: it is done, failed for good, or running elsewhere.
    Skipped(RunStatus),
}

/// When a run that is still marked `running` may be taken over by a new start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takeover {
    /// Always: the queue delivering the task guarantees one holder at a time, so a
    /// task delivered again was abandoned (its worker died).
    Always,
    /// Only if it started longer ago than this (runners with no queue in between,
    /// such as `vaultra jobs run`, presume a runner that old dead).
    After(Duration),
}

/// The record of which task ran for which slot: what makes "the same slot twice does
/// the work once" hold across processes, whichever path (queue or inline) ran it.
#[async_trait]
pub trait JobLedger: Send + Sync + Debug + 'static {
    /// Atomically starts `task` at `now`: a first start, or a takeover of a `running`
    /// run allowed by `takeover`. A succeeded or failed run is never started again.
    async fn begin_run(
        &self,
        task: &JobTask,
        now: DateTime<Utc>,
        takeover: Takeover,
    ) -> Result<Begin>;
    /// Ends the run of `key` as `Succeeded` or `Failed` (with its error).
    async fn finish_run(
        &self,
        key: &str,
        status: RunStatus,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The run of `key`, if any.
    async fn job_run(&self, key: &str) -> Result<Option<JobRun>>;
    /// Runs, most recently started first, optionally of one job.
    async fn job_runs(&self, kind: Option<JobKind>, limit: u32) -> Result<Vec<JobRun>>;
}

/// One recommendation in a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestItem {
    /// The business it is about.
    pub business_id: Uuid,
    /// Its name.
    pub business_name: String,
    /// The recommendation.
    pub recommendation_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its priority (`high`, `medium`, `low`).
    pub priority: String,
    /// Its title.
    pub title: String,
}

/// A digest to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDigest {
    /// The recipient.
    pub user_id: Uuid,
    /// The day it covers.
    pub digest_date: NaiveDate,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// A subject line.
    pub subject: String,
    /// A plain-text body.
    pub body: String,
    /// What it lists.
    pub items: Vec<DigestItem>,
}

/// A digest in the outbox (`notification_outbox`), waiting for a mail transport.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    /// Our id.
    pub id: Uuid,
    /// The recipient.
    pub user_id: Uuid,
    /// The day it covers.
    pub digest_date: NaiveDate,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The subject line.
    pub subject: String,
    /// The body.
    pub body: String,
    /// What it lists.
    pub items: Vec<DigestItem>,
    /// When a transport sent it (none yet: there is no transport).
    pub sent_at: Option<DateTime<Utc>>,
}

/// The notification outbox and the queries that fill it.
#[async_trait]
pub trait NotificationStore: Send + Sync + Debug + 'static {
    /// Users who are members of a business with a pending recommendation created in
    /// `since..until`, in id order.
    async fn digest_recipients(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Uuid>>;
    /// The pending recommendations created in `since..until` of every business
    /// `user` is a member of, in METRICS.md §5 order per business.
    async fn new_recommendations_for(
        &self,
        user: Uuid,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<DigestItem>>;
    /// Puts a digest in the outbox; `None` if the user already has one for that day
    /// (the digest of a day is written once).
    async fn insert_digest(&self, digest: NewDigest) -> Result<Option<Digest>>;
    /// Digests, newest day first, optionally of one user.
    async fn digests(&self, user: Option<Uuid>, limit: u32) -> Result<Vec<Digest>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_ticks() {
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 10, 37, 12).unwrap();
        assert_eq!(
            JobKind::StripeSync.slot_of(t),
            Utc.with_ymd_and_hms(2026, 11, 28, 10, 30, 0).unwrap()
        );
        assert_eq!(
            JobKind::ComputeMetrics.slot_of(t),
            Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
        );
        assert_eq!(
            JobKind::SendNotificationDigest.slot_of(t),
            Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap()
        );
        // The readiness tick at 10:10 stands for the 10:00 slot, like metrics' 10:00 tick.
        let tick = Utc.with_ymd_and_hms(2026, 11, 28, 10, 10, 0).unwrap();
        assert_eq!(
            JobKind::ComputeReadiness.slot_of_tick(tick),
            JobKind::ComputeMetrics
                .slot_of_tick(Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap())
        );
        // Before the 07:00 tick, the current digest slot is yesterday's.
        let early = Utc.with_ymd_and_hms(2026, 11, 28, 6, 59, 0).unwrap();
        assert_eq!(
            JobTask::current(JobKind::SendNotificationDigest, early).slot,
            Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap()
        );
        assert_eq!(
            JobTask::current(JobKind::ComputeMetrics, early).slot,
            Utc.with_ymd_and_hms(2026, 11, 28, 6, 0, 0).unwrap()
        );
        // The digest tick at 07:00 belongs to that day.
        let tick = Utc.with_ymd_and_hms(2026, 11, 28, 7, 0, 0).unwrap();
        assert_eq!(
            JobKind::SendNotificationDigest.slot_of_tick(tick),
            Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn keys_round_trip_and_name_the_slot() {
        let slot = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
        let id = Uuid::from_u128(7);
        let task = JobTask::for_subject(JobKind::ComputeMetrics, id, slot);
        assert_eq!(
            task.key(),
            format!("compute_metrics:{id}:2026-11-28T10:00:00Z")
        );
        assert_eq!(JobTask::from_key(&task.key()).unwrap(), task);
        let fan = JobTask::fan_out(JobKind::StripeSync, slot + Duration::minutes(20));
        assert_eq!(fan.key(), "stripe_sync:*:2026-11-28T10:15:00Z");
        assert_eq!(JobTask::from_key(&fan.key()).unwrap(), fan);
        assert!(JobTask::from_key("nope:*:x").is_err());
        assert!("compute".parse::<JobKind>().is_err());
    }
}
