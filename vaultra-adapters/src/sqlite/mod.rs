//! The embedded default store: SQLite in a file (or in memory), no server.
//!
//! Ids are stored as 16-byte blobs, times as unix microseconds, Stripe times as the
//! unix seconds Stripe sends. The database runs in WAL mode with foreign keys on; writes
//! are serialized by SQLite itself, so concurrent writers wait (`busy_timeout`) rather
//! than fail.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use uuid::Uuid;
use vaultra_core::Error;
use vaultra_core::domain::Charge;
use vaultra_core::ports::Clock;
use vaultra_core::ports::storage::Ingest;

use crate::local::SystemClock;
use crate::sql::{self, BULK_ROWS, Dialect, SqlStore, map_err};

type Result<T> = std::result::Result<T, Error>;

/// A Vaultra store in SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
}

/// The SQLite side of the shared store code.
pub(crate) struct SqliteDialect;

impl crate::sql::dialect::RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::sqlite::SqliteQueryResult::rows_affected(self)
    }
}

/// What [`Dialect::OWNER`] holds here.
type OwnerKey = i64;

impl Dialect for SqliteDialect {
    type Db = Sqlite;
    /// Unix microseconds.
    type Ts = i64;
    /// `YYYY-MM-DD` text.
    type Date = String;
    type Owner = OwnerKey;

    /// JSON columns are TEXT in SQLite: no cast.
    const J: &'static str = "";

    /// Raw provider objects are TEXT too.
    const RAW: &'static str = "";

    /// The business's small integer key from `business_keys` (migration 0004), not its
    /// UUID: it is repeated in every primary-key entry of the payment tables, and a
    /// shorter entry means fewer index pages touched and written to the WAL by a page of
    /// randomly ordered Stripe ids.
    const OWNER: &'static str = "business_key";

    const OWNER_OF: &'static str = "SELECT business_key FROM business_keys WHERE business_id = $1";

    /// Writes to one business's recommendations need no lock of their own: a write
    /// transaction (`BEGIN IMMEDIATE`) already serializes them (see `lock_recommendations`
    /// in `sql/store.rs`).
    const REC_LOCK: Option<&'static str> = None;

    const SEARCH: &'static str = crate::sql::knowledge::SQLITE_SEARCH;

    fn ts(t: DateTime<Utc>) -> i64 {
        t.timestamp_micros()
    }

    fn from_ts(v: i64) -> Result<DateTime<Utc>> {
        DateTime::from_timestamp_micros(v).ok_or_else(|| sql::corrupt("timestamp", v))
    }

    fn date(d: NaiveDate) -> String {
        d.to_string()
    }

    fn from_date(s: String) -> Result<NaiveDate> {
        NaiveDate::from_str(&s).map_err(|e| sql::corrupt("date", e))
    }

    fn search_query(terms: &[String]) -> String {
        crate::sql::knowledge::fts5_query(terms)
    }

    /// `BEGIN IMMEDIATE` takes SQLite's write lock up front, waiting for it under
    /// `busy_timeout`; a plain (deferred) `BEGIN` that reads first and writes later
    /// cannot wait when another connection wrote in between and fails with "database is
    /// locked" — what concurrent webhook deliveries hit.
    async fn write_tx(
        pool: &SqlitePool,
    ) -> std::result::Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }

    async fn payment_owner(pool: &SqlitePool, business: Uuid) -> Result<Option<OwnerKey>> {
        sqlx::query_scalar(Self::OWNER_OF)
            .bind(business)
            .fetch_optional(pool)
            .await
            .map_err(map_err("business"))
    }

    async fn insert_charges(
        tx: &mut sqlx::SqliteConnection,
        owner: OwnerKey,
        account: Option<Uuid>,
        charges: &[&Ingest<Charge>],
        now: i64,
    ) -> Result<()> {
        insert_charges(tx, owner, account, charges, now).await
    }
}

impl SqliteStore {
    /// The shared store code on this store's pool and clock.
    fn sql(&self) -> SqlStore<'_, SqliteDialect> {
        SqlStore::new(&self.pool, &*self.clock)
    }

    /// Opens (creating if missing) the database at `url` — `sqlite://path/to/file.db`,
    /// `sqlite:file.db` or `sqlite::memory:` — and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::invalid("database_url", format!("not a SQLite URL: {e}")))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            // A larger page cache and memory-mapped reads keep bulk upserts (random Stripe
            // ids) and window scans off the read syscall path.
            .pragma("cache_size", "-262144")
            // Checkpoint the WAL every 64 MiB rather than SQLite's 4 MiB: a page of random
            // Stripe ids dirties thousands of index pages, and checkpointing (copy back +
            // fsync) after every such commit was most of a bulk ingest's time; between
            // rarer checkpoints a hot page is copied back once. `journal_size_limit`
            // shrinks the WAL file again afterwards.
            .pragma("wal_autocheckpoint", "65536")
            .pragma("journal_size_limit", "67108864")
            .pragma("mmap_size", "268435456")
            .pragma("temp_store", "memory");
        // An in-memory database lives and dies with its connection: keep exactly one.
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 4 })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(if memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if memory {
                None
            } else {
                Some(Duration::from_secs(3600))
            })
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

    /// A fresh private in-memory store (tests, one-off scoring).
    pub async fn memory() -> Result<Self> {
        Self::connect("sqlite::memory:").await
    }

    /// Uses `clock` for the times the store stamps (created, updated).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Applies pending migrations (idempotent). Our history lives in
    /// `vaultra_migrations`, so other tools' `_sqlx_migrations` never collide with it.
    pub async fn migrate(&self) -> Result<()> {
        let mut migrator = sqlx::migrate!("./migrations/sqlite");
        migrator.dangerous_set_table_name("vaultra_migrations");
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| Error::internal("cannot migrate the SQLite schema").with_source(e))
    }

    /// The connection pool, for hosts that need raw access (health checks).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Upserts charges with multi-row statements of [`BULK_ROWS`] rows.
///
/// Placeholders stay anonymous (`?`, what `QueryBuilder` writes): with numbered ones
/// (`?NNN`, `$NNN`) every bind looks its parameter's name up in a list of all of them,
/// which made a 4 000-row statement take a second to bind (measured: 3.7 k charges/s).
///
/// sqlx copies every text and blob argument into a fresh `Arc` that the connection's
/// worker thread later frees, so a bind costs two allocations and a cross-thread free —
/// a large part of an ingest's client side. Hence the business, account and time, the
/// same for every row, are bound once (`SELECT ?, ?, ?, v.* FROM (VALUES …)`), and the
/// few distinct currencies and statuses are shared `Arc<str>`s that a bind only clones.
async fn insert_charges(
    tx: &mut sqlx::SqliteConnection,
    owner: OwnerKey,
    account: Option<Uuid>,
    charges: &[&Ingest<Charge>],
    now: i64,
) -> Result<()> {
    let mut shared = SharedText::default();
    for chunk in charges.chunks(BULK_ROWS) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO charges (business_key, account_id, updated_at, stripe_id, created, amount, \
                 amount_refunded, currency, status, captured, raw) SELECT ",
        );
        q.push_bind(owner)
            .push(", ")
            .push_bind(account)
            .push(", ")
            .push_bind(now)
            .push(", v.* FROM (");
        q.push_values(chunk, |mut b, c| {
            let o = &c.object;
            b.push_bind(Arc::<str>::from(o.id.as_str()))
                .push_bind(o.created)
                .push_bind(o.amount)
                .push_bind(o.amount_refunded)
                .push_bind(shared.get(o.currency.as_str()))
                .push_bind(shared.get(o.status.as_str()))
                .push_bind(o.captured)
                // A `String` moves into sqlx's `Arc` without another copy.
                .push_bind(c.raw.as_ref().map(serde_json::Value::to_string));
        });
        // `WHERE true`: SQLite's grammar needs a WHERE between `INSERT … SELECT` and an
        // upsert clause.
        q.push(
            ") AS v WHERE true ON CONFLICT (business_key, stripe_id) DO UPDATE SET \
                 account_id = COALESCE(excluded.account_id, charges.account_id), \
                 created = excluded.created, amount = excluded.amount, amount_refunded = excluded.amount_refunded, \
                 currency = excluded.currency, status = excluded.status, captured = excluded.captured, \
                 raw = COALESCE(excluded.raw, charges.raw), updated_at = excluded.updated_at",
        );
        q.build()
            .execute(&mut *tx)
            .await
            .map_err(map_err("charge"))?;
    }
    Ok(())
}

/// Interned short texts (currency codes, statuses) of one ingest, so binding one costs
/// a reference-count increment instead of two allocations.
#[derive(Default)]
struct SharedText(Vec<Arc<str>>);

impl SharedText {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(found) = self.0.iter().find(|t| &***t == text) {
            return found.clone();
        }
        let new: Arc<str> = Arc::from(text);
        self.0.push(new.clone());
        new
    }
}

crate::sql::impl_ports!(SqliteStore);
