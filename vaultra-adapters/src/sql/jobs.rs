//! The job ledger and the notification outbox, shared by the SQLite and PostgreSQL
//! backends.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments, Row};
use uuid::Uuid;
use vaultra_core::ports::jobs::{
    Begin, Digest, DigestItem, JobKind, JobRun, JobTask, NewDigest, RunStatus, Takeover,
};
use vaultra_core::{Error, Result};

use super::dialect::{Args, Bind, Conn, Db, Dialect, Get, RowOf, RowsAffected, SqlStore};
use crate::sql::{self, map_err, not_found};

const JOB_RUN_COLS: &str = "key, kind, status, attempts, started_at, finished_at, last_error";
const DIGEST_COLS: &str = "id, user_id, digest_date, created_at, subject, body, \
                           CAST(items AS TEXT) AS items, sent_at";

// The `where` clause lists what the statements below bind and read (see `dialect.rs`);
// each `pub(crate)` method implements the port's method of the same name.
impl<D: Dialect> SqlStore<'_, D>
where
    for<'c> &'c mut Conn<D>: Executor<'c, Database = Db<D>>,
    Args<D>: IntoArguments<Db<D>>,
    for<'a> &'a str: ColumnIndex<RowOf<D>> + Bind<'a, Db<D>> + Get<'a, Db<D>>,
    for<'a> Option<&'a str>: Bind<'a, Db<D>>,
    for<'q> Uuid: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> Option<Uuid>: Bind<'q, Db<D>>,
    for<'q> String: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> Option<String>: Bind<'q, Db<D>>,
    for<'q> i64: Bind<'q, Db<D>>,
    for<'r> i32: Get<'r, Db<D>>,
    for<'q> bool: Bind<'q, Db<D>>,
{
    fn job_run_from(row: &RowOf<D>) -> Result<JobRun> {
        let get = map_err("job run");
        let attempts: i32 = row.try_get("attempts").map_err(&get)?;
        Ok(JobRun {
            key: row.try_get("key").map_err(&get)?,
            kind: row
                .try_get::<&str, _>("kind")
                .map_err(&get)?
                .parse()
                .map_err(|e| sql::corrupt("job kind", e))?,
            status: RunStatus::parse(row.try_get::<&str, _>("status").map_err(&get)?)?,
            attempts: u32::try_from(attempts).map_err(|e| sql::corrupt("attempts", e))?,
            started_at: D::from_ts(row.try_get("started_at").map_err(&get)?)?,
            finished_at: D::opt_ts(row.try_get("finished_at").map_err(&get)?)?,
            last_error: row.try_get("last_error").map_err(&get)?,
        })
    }

    fn digest_from(row: &RowOf<D>) -> Result<Digest> {
        let get = map_err("digest");
        let items: String = row.try_get("items").map_err(&get)?;
        Ok(Digest {
            id: row.try_get("id").map_err(&get)?,
            user_id: row.try_get("user_id").map_err(&get)?,
            digest_date: D::from_date(row.try_get("digest_date").map_err(&get)?)?,
            created_at: D::from_ts(row.try_get("created_at").map_err(&get)?)?,
            subject: row.try_get("subject").map_err(&get)?,
            body: row.try_get("body").map_err(&get)?,
            items: serde_json::from_str(&items).map_err(|e| sql::corrupt("digest items", e))?,
            sent_at: D::opt_ts(row.try_get("sent_at").map_err(&get)?)?,
        })
    }

    pub(crate) async fn begin_run(
        &self,
        task: &JobTask,
        now: DateTime<Utc>,
        takeover: Takeover,
    ) -> Result<Begin> {
        let key = task.key();
        let (always, cutoff) = match takeover {
            Takeover::Always => (true, now),
            Takeover::After(age) => (false, now - age),
        };
        // One statement: a first start inserts; a takeover updates only a run
        // still marked running that the rule lets go; anything else returns no row.
        let started = sqlx::query(sql!(
            "INSERT INTO job_runs (key, kind, status, attempts, started_at)
             VALUES ($1, $2, 'running', 1, $3)
             ON CONFLICT (key) DO UPDATE
                SET attempts = job_runs.attempts + 1,
                    started_at = excluded.started_at,
                    finished_at = NULL
              WHERE job_runs.status = 'running'
                AND ($4 OR job_runs.started_at <= $5)
             RETURNING attempts"
        ))
        .bind(&key)
        .bind(task.job.as_str())
        .bind(D::ts(now))
        .bind(always)
        .bind(D::ts(cutoff))
        .fetch_optional(self.pool)
        .await
        .map_err(map_err("job run"))?;
        if let Some(row) = started {
            let attempts: i32 = row.try_get("attempts").map_err(map_err("job run"))?;
            return Ok(Begin::Started {
                attempt: u32::try_from(attempts).map_err(|e| sql::corrupt("attempts", e))?,
            });
        }
        match self.job_run(&key).await? {
            Some(run) => Ok(Begin::Skipped(run.status)),
            // Deleted between the two statements: nothing sane to do but retry.
            None => Err(Error::unavailable(
                format!("job run {key} vanished while starting"),
                true,
            )),
        }
    }

    pub(crate) async fn finish_run(
        &self,
        key: &str,
        status: RunStatus,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if status == RunStatus::Running {
            return Err(Error::invalid(
                "status",
                "a run finishes as succeeded or failed",
            ));
        }
        let done = sqlx::query(
            "UPDATE job_runs SET status = $1, last_error = $2, finished_at = $3
             WHERE key = $4",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(D::ts(now))
        .bind(key)
        .execute(self.pool)
        .await
        .map_err(map_err("job run"))?;
        if done.rows_affected() == 0 {
            return Err(not_found("job run", key));
        }
        Ok(())
    }

    pub(crate) async fn job_run(&self, key: &str) -> Result<Option<JobRun>> {
        sqlx::query(sql!("SELECT {JOB_RUN_COLS} FROM job_runs WHERE key = $1"))
            .bind(key)
            .fetch_optional(self.pool)
            .await
            .map_err(map_err("job run"))?
            .as_ref()
            .map(Self::job_run_from)
            .transpose()
    }

    pub(crate) async fn job_runs(&self, kind: Option<JobKind>, limit: u32) -> Result<Vec<JobRun>> {
        let kind = kind.map(|k| k.as_str());
        sqlx::query(sql!(
            "SELECT {JOB_RUN_COLS} FROM job_runs
             WHERE (CAST($1 AS TEXT) IS NULL OR kind = $2)
             ORDER BY started_at DESC, key DESC LIMIT $3"
        ))
        .bind(kind)
        .bind(kind)
        .bind(sql::limit(limit))
        .fetch_all(self.pool)
        .await
        .map_err(map_err("job run"))?
        .iter()
        .map(Self::job_run_from)
        .collect()
    }

    pub(crate) async fn digest_recipients(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Uuid>> {
        let rows = sqlx::query(
            "SELECT DISTINCT m.user_id AS user_id
             FROM user_business_memberships m
             JOIN recommendations r ON r.business_id = m.business_id
             WHERE r.status = 'pending' AND r.created_at >= $1 AND r.created_at < $2
             ORDER BY m.user_id",
        )
        .bind(D::ts(since))
        .bind(D::ts(until))
        .fetch_all(self.pool)
        .await
        .map_err(map_err("digest"))?;
        rows.iter()
            .map(|r| r.try_get("user_id").map_err(map_err("digest")))
            .collect()
    }

    pub(crate) async fn new_recommendations_for(
        &self,
        user: Uuid,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<DigestItem>> {
        let rows = sqlx::query(
            "SELECT b.id AS business_id, b.name AS business_name, r.id AS id,
                    r.code AS code, r.priority AS priority, r.title AS title
             FROM user_business_memberships m
             JOIN businesses b ON b.id = m.business_id
             JOIN recommendations r ON r.business_id = b.id
             WHERE m.user_id = $1 AND r.status = 'pending'
               AND r.created_at >= $2 AND r.created_at < $3
             ORDER BY b.name, b.id,
                      CASE r.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
                      r.score_impact DESC, r.code",
        )
        .bind(user)
        .bind(D::ts(since))
        .bind(D::ts(until))
        .fetch_all(self.pool)
        .await
        .map_err(map_err("digest"))?;
        let get = map_err("digest");
        rows.iter()
            .map(|r| {
                Ok(DigestItem {
                    business_id: r.try_get("business_id").map_err(&get)?,
                    business_name: r.try_get("business_name").map_err(&get)?,
                    recommendation_id: r.try_get("id").map_err(&get)?,
                    code: r.try_get("code").map_err(&get)?,
                    priority: r.try_get("priority").map_err(&get)?,
                    title: r.try_get("title").map_err(&get)?,
                })
            })
            .collect()
    }

    pub(crate) async fn insert_digest(&self, digest: NewDigest) -> Result<Option<Digest>> {
        let items = serde_json::to_string(&digest.items)
            .map_err(|e| Error::internal("cannot encode the digest items").with_source(e))?;
        let row = sqlx::query(sql!(
            "INSERT INTO notification_outbox
                (id, user_id, digest_date, created_at, subject, body, items)
             VALUES ($1, $2, $3, $4, $5, $6, $7{J})
             ON CONFLICT (user_id, digest_date) DO NOTHING
             RETURNING {DIGEST_COLS}",
            J = D::J
        ))
        .bind(Uuid::new_v4())
        .bind(digest.user_id)
        .bind(D::date(digest.digest_date))
        .bind(D::ts(digest.created_at))
        .bind(&digest.subject)
        .bind(&digest.body)
        .bind(items)
        .fetch_optional(self.pool)
        .await
        .map_err(map_err("digest"))?;
        row.as_ref().map(Self::digest_from).transpose()
    }

    pub(crate) async fn digests(&self, user: Option<Uuid>, limit: u32) -> Result<Vec<Digest>> {
        sqlx::query(sql!(
            "SELECT {DIGEST_COLS} FROM notification_outbox
             WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $2)
             ORDER BY digest_date DESC, created_at DESC, id LIMIT $3"
        ))
        .bind(user.map(|u| u.to_string()))
        .bind(user)
        .bind(sql::limit(limit))
        .fetch_all(self.pool)
        .await
        .map_err(map_err("digest"))?
        .iter()
        .map(Self::digest_from)
        .collect()
    }
}
