//! The PostgreSQL store, for teams deploying the service.
//!
//! Same model and statements as the SQLite store (see [`crate::sql`]); ids are `UUID`,
//! times `TIMESTAMPTZ`, raw provider objects `json` (kept as sent), other JSON `JSONB`.
//! Uniqueness (e-mails, Stripe ids, one live recommendation per code) is enforced by the
//! database, so concurrent writers from many processes stay correct.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use uuid::Uuid;
use vaultra_core::Error;
use vaultra_core::domain::Charge;
use vaultra_core::ports::Clock;
use vaultra_core::ports::storage::Ingest;

use crate::local::SystemClock;
use crate::sql::{Dialect, SqlStore, map_err};

type Result<T> = std::result::Result<T, Error>;

/// A Vaultra store in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
}

/// The PostgreSQL side of the shared store code.
pub(crate) struct PgDialect;

impl crate::sql::dialect::RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::postgres::PgQueryResult::rows_affected(self)
    }
}

/// What [`Dialect::OWNER`] holds here.
type OwnerKey = Uuid;

impl Dialect for PgDialect {
    type Db = Postgres;
    /// `TIMESTAMPTZ`.
    type Ts = DateTime<Utc>;
    /// `DATE`.
    type Date = NaiveDate;
    type Owner = OwnerKey;

    /// JSON columns are JSONB: bind text and cast.
    const J: &'static str = "::jsonb";

    /// Raw provider objects are `json` (kept as sent; see migration 0004): bind text and
    /// cast.
    const RAW: &'static str = "::json";

    /// The business's UUID (SQLite uses a smaller key).
    const OWNER: &'static str = "business_id";

    const OWNER_OF: &'static str = "SELECT id FROM businesses WHERE id = $1";

    /// A transaction-scoped advisory lock keyed by the business, in a key space of its
    /// own (the two-key form; `VREC` as the class).
    const REC_LOCK: Option<&'static str> =
        Some("SELECT pg_advisory_xact_lock(1448232259, hashtext(CAST($1 AS TEXT)))");

    const SEARCH: &'static str = crate::sql::knowledge::POSTGRES_SEARCH;

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

    fn search_query(terms: &[String]) -> String {
        crate::sql::knowledge::websearch_query(terms)
    }

    /// Row locks are taken as rows are written.
    async fn write_tx(
        pool: &PgPool,
    ) -> std::result::Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        pool.begin().await
    }

    /// The id itself, with no lookup (an unknown business simply has no rows).
    async fn payment_owner(_pool: &PgPool, business: Uuid) -> Result<Option<OwnerKey>> {
        Ok(Some(business))
    }

    async fn insert_charges(
        tx: &mut sqlx::PgConnection,
        owner: OwnerKey,
        account: Option<Uuid>,
        charges: &[&Ingest<Charge>],
        now: DateTime<Utc>,
    ) -> Result<()> {
        insert_charges(tx, owner, account, charges, now).await
    }
}

impl PostgresStore {
    /// The shared store code on this store's pool and clock.
    fn sql(&self) -> SqlStore<'_, PgDialect> {
        SqlStore::new(&self.pool, &*self.clock)
    }

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
            .map_err(|e| Error::internal("cannot migrate the PostgreSQL schema").with_source(e))
    }

    /// The connection pool, for hosts that need raw access (health checks).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection (tests drop their database afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The session's staging table for charge upserts: temporary (no WAL, local buffers),
/// emptied at every commit, created once per connection (checked first rather than
/// `IF NOT EXISTS`, which sends a notice every time).
const CHARGE_STAGE: &str = "DO $$ BEGIN
    IF to_regclass('pg_temp.vaultra_charge_stage') IS NULL THEN
        CREATE TEMP TABLE vaultra_charge_stage (
            id TEXT NOT NULL, created INT8 NOT NULL, amount INT8 NOT NULL,
            refunded INT8 NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
            captured BOOL NOT NULL, raw TEXT
        ) ON COMMIT DELETE ROWS;
    END IF;
END $$";

/// Appends one charge as a `COPY … (FORMAT binary)` tuple: a field count, then each
/// field as a length (−1 for NULL) and its bytes in the column type's binary form.
fn copy_charge(buf: &mut Vec<u8>, c: &Ingest<Charge>) -> Result<()> {
    fn field(buf: &mut Vec<u8>, bytes: &[u8]) -> Result<()> {
        let len = i32::try_from(bytes.len())
            .map_err(|_| Error::invalid("raw", "larger than PostgreSQL accepts"))?;
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(bytes);
        Ok(())
    }
    let o = &c.object;
    buf.extend_from_slice(&8i16.to_be_bytes());
    field(buf, o.id.as_bytes())?;
    field(buf, &o.created.to_be_bytes())?;
    field(buf, &o.amount.to_be_bytes())?;
    field(buf, &o.amount_refunded.to_be_bytes())?;
    field(buf, o.currency.as_str().as_bytes())?;
    field(buf, o.status.as_str().as_bytes())?;
    field(buf, &[u8::from(o.captured)])?;
    match &c.raw {
        Some(raw) => field(buf, raw.to_string().as_bytes())?,
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
    }
    Ok(())
}

/// Upserts charges by streaming them with binary `COPY` into the session's staging table
/// and then one `INSERT … SELECT … ON CONFLICT` from it, ordered by Stripe id so the
/// primary-key index is walked in order. COPY skips per-statement parameter handling
/// entirely; the upsert keeps the same newest-state-wins rules as every other path.
async fn insert_charges(
    tx: &mut sqlx::PgConnection,
    owner: OwnerKey,
    account: Option<Uuid>,
    charges: &[&Ingest<Charge>],
    now: DateTime<Utc>,
) -> Result<()> {
    if charges.is_empty() {
        return Ok(());
    }
    sqlx::query(CHARGE_STAGE)
        .execute(&mut *tx)
        .await
        .map_err(map_err("charge"))?;
    // Empty already (emptied at every commit, and a failed transaction's rows roll back);
    // cleared anyway so the upsert can only ever see this call's rows. DELETE, not
    // TRUNCATE: truncating would give the table a new file (a catalog write) every time.
    sqlx::query("DELETE FROM vaultra_charge_stage")
        .execute(&mut *tx)
        .await
        .map_err(map_err("charge"))?;
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes()); // flags
    buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    let mut copy = tx
        .copy_in_raw("COPY vaultra_charge_stage FROM STDIN (FORMAT binary)")
        .await
        .map_err(map_err("charge"))?;
    for c in charges {
        copy_charge(&mut buf, c)?;
        if buf.len() >= 1 << 20 {
            copy.send(std::mem::take(&mut buf))
                .await
                .map_err(map_err("charge"))?;
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes()); // trailer
    copy.send(buf).await.map_err(map_err("charge"))?;
    copy.finish().await.map_err(map_err("charge"))?;
    sqlx::query(
        "INSERT INTO charges (business_id, stripe_id, account_id, created, amount, amount_refunded,
                              currency, status, captured, raw, updated_at)
         SELECT $1, t.id, $2, t.created, t.amount, t.refunded, t.currency, t.status, t.captured,
                t.raw::json, $3
           FROM vaultra_charge_stage t
          ORDER BY t.id
         ON CONFLICT (business_id, stripe_id) DO UPDATE SET
             account_id = COALESCE(excluded.account_id, charges.account_id),
             created = excluded.created, amount = excluded.amount,
             amount_refunded = excluded.amount_refunded, currency = excluded.currency,
             status = excluded.status, captured = excluded.captured,
             raw = COALESCE(excluded.raw, charges.raw), updated_at = excluded.updated_at",
    )
    .bind(owner)
    .bind(account)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(map_err("charge"))?;
    Ok(())
}

crate::sql::impl_ports!(PostgresStore);
