//! The PostgreSQL store, for teams deploying the service.
//!
//! Same model and statements as the SQLite store (see [`crate::sql`]); ids are `UUID`,
//! times `TIMESTAMPTZ`, raw provider objects `JSONB`. Uniqueness (e-mails, Stripe ids,
//! one live recommendation per code) is enforced by the database, so concurrent writers
//! from many processes stay correct.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;
use vaultra_core::Error;
use vaultra_core::domain::{
    Business, BusinessUpdate, Charge, ChargeStatus, ConnectionStatus, IntegrationAccount,
    Membership, NewBusiness, NewUser, PaymentData, PayoutStatus, Provider, Role, User, UserUpdate,
    is_successful,
};
use vaultra_core::metrics::{SECONDS_PER_DAY, Window};
use vaultra_core::ports::Clock;
use vaultra_core::ports::jobs::*;
use vaultra_core::ports::storage::*;
use vaultra_core::recommend::{Priority, Recommendation, RecommendationStatus};

use crate::local::SystemClock;
use crate::sql::{self, BULK_ROWS, impl_sql_jobs, impl_sql_store, map_err, not_found, sql};

type Result<T> = std::result::Result<T, Error>;

/// A Vaultra store in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
}

/// PostgreSQL keeps microseconds, like the SQLite store: truncate so both agree.
fn ts(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

fn from_ts(v: DateTime<Utc>) -> Result<DateTime<Utc>> {
    Ok(v)
}

fn opt_ts(v: Option<DateTime<Utc>>) -> Result<Option<DateTime<Utc>>> {
    Ok(v)
}

fn date(d: NaiveDate) -> NaiveDate {
    d
}

fn from_date(d: NaiveDate) -> Result<NaiveDate> {
    Ok(d)
}

/// JSON columns are JSONB: bind text and cast.
const J: &str = "::jsonb";

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e| Error::invalid("database_url", format!("not a PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(map_err("database"))?;
        let store = Self {
            pool,
            clock: Arc::new(SystemClock),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Uses `clock` for the times the store stamps (created, updated).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Applies pending migrations (idempotent; safe from several processes at once, as
    /// sqlx takes an advisory lock). History lives in `vaultra_migrations`.
    pub async fn migrate(&self) -> Result<()> {
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        migrator.dangerous_set_table_name("vaultra_migrations");
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| Error::Internal(format!("migrating the PostgreSQL schema: {e}")))
    }

    /// The connection pool, for hosts that need raw access (health checks).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection (tests drop their database afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn business_exists(&self, id: Uuid) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM businesses WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err("business"))?
            .is_some())
    }
}

/// Upserts charges with one `INSERT … SELECT FROM UNNEST(arrays)` per 10 000 rows: one
/// statement, eleven parameters, however many rows — far cheaper for PostgreSQL to parse
/// and bind than a multi-row `VALUES` list.
async fn insert_charges(
    tx: &mut sqlx::PgConnection,
    business: Uuid,
    account: Option<Uuid>,
    charges: &[&Ingest<Charge>],
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in charges.chunks(10_000) {
        let ids: Vec<&str> = chunk.iter().map(|c| c.object.id.as_str()).collect();
        let created: Vec<i64> = chunk.iter().map(|c| c.object.created).collect();
        let amount: Vec<i64> = chunk.iter().map(|c| c.object.amount).collect();
        let refunded: Vec<i64> = chunk.iter().map(|c| c.object.amount_refunded).collect();
        let currency: Vec<String> = chunk
            .iter()
            .map(|c| c.object.currency.to_string())
            .collect();
        let status: Vec<&str> = chunk.iter().map(|c| c.object.status.as_str()).collect();
        let captured: Vec<bool> = chunk.iter().map(|c| c.object.captured).collect();
        let raw: Vec<Option<String>> = chunk.iter().map(|c| raw_text(&c.raw)).collect();
        sqlx::query(
            "INSERT INTO charges (business_id, stripe_id, account_id, created, amount, amount_refunded,
                                  currency, status, captured, raw, updated_at)
             SELECT $1, t.id, $2, t.created, t.amount, t.refunded, t.currency, t.status, t.captured,
                    t.raw::jsonb, $3
               FROM UNNEST($4::text[], $5::int8[], $6::int8[], $7::int8[], $8::text[], $9::text[],
                           $10::bool[], $11::text[])
                    AS t(id, created, amount, refunded, currency, status, captured, raw)
             ON CONFLICT (business_id, stripe_id) DO UPDATE SET
                 account_id = COALESCE(excluded.account_id, charges.account_id),
                 created = excluded.created, amount = excluded.amount,
                 amount_refunded = excluded.amount_refunded, currency = excluded.currency,
                 status = excluded.status, captured = excluded.captured,
                 raw = COALESCE(excluded.raw, charges.raw), updated_at = excluded.updated_at",
        )
        .bind(business)
        .bind(account)
        .bind(now)
        .bind(&ids)
        .bind(&created)
        .bind(&amount)
        .bind(&refunded)
        .bind(&currency)
        .bind(&status)
        .bind(&captured)
        .bind(&raw)
        .execute(&mut *tx)
        .await
        .map_err(map_err("charge"))?;
    }
    Ok(())
}

impl_sql_store!(
    PostgresStore,
    Postgres,
    sqlx::postgres::PgRow,
    DateTime<Utc>
);
impl_sql_jobs!(PostgresStore, sqlx::postgres::PgRow);
