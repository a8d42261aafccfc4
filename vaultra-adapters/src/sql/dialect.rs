//! The seam between the shared store code and its two backends.
//!
//! Everything SQLite and PostgreSQL do differently is an item of [`Dialect`]: how a time
//! or a date is stored, which column names a payment object's business, the JSON casts,
//! how a write transaction begins, the recommendation lock, the full-text search and the
//! bulk charge insert. The shared code is ordinary generic Rust on [`SqlStore`], a
//! backend store's pool and clock borrowed for one call; each backend's port impls
//! delegate to it (`sql/ports.rs`).
//!
//! sqlx states what a database must support per use, and Rust does not carry bounds on
//! other types from a trait to its users, so every generic `impl` block states the column
//! types it binds and reads in its `where` clause, through [`Bind`] and [`Get`].

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Database, Decode, Encode, Pool, Transaction, Type};
use uuid::Uuid;
use vaultra_core::Error;
use vaultra_core::domain::Charge;
use vaultra_core::ports::Clock;
use vaultra_core::ports::storage::Ingest;

/// What differs between the SQL backends, named. Implemented by a marker type per
/// backend (`SqliteDialect`, `PgDialect`).
pub(crate) trait Dialect: Send + Sync + 'static {
    /// The sqlx database.
    type Db: Database<QueryResult: RowsAffected>;

    /// A time as its column holds it.
    type Ts: for<'q> Encode<'q, Self::Db>
        + for<'r> Decode<'r, Self::Db>
        + Type<Self::Db>
        + Copy
        + Send
        + Sync
        + Unpin;

    /// A calendar date as its column holds it.
    type Date: for<'q> Encode<'q, Self::Db> + for<'r> Decode<'r, Self::Db> + Type<Self::Db> + Send;

    /// What [`Dialect::OWNER`] holds.
    type Owner: for<'q> Encode<'q, Self::Db>
        + for<'r> Decode<'r, Self::Db>
        + Type<Self::Db>
        + Copy
        + Send
        + Sync
        + Unpin;

    /// The cast suffix of a bound JSON text written to a JSON column.
    const J: &'static str;

    /// The cast suffix of a bound raw provider object (JSON text).
    const RAW: &'static str;

    /// The column naming a payment object's business.
    const OWNER: &'static str;

    /// Finds the [`Dialect::OWNER`] value of a business (`$1`; no row: no such business).
    const OWNER_OF: &'static str;

    /// The statement that serializes writes to one business's recommendations (`$1` the
    /// business), if the backend needs one (see `lock_recommendations` in `store.rs`).
    const REC_LOCK: Option<&'static str>;

    /// The full-text search over knowledge chunks: `$1` the backend's query text (see
    /// [`Dialect::search_query`]), `$2` the limit.
    const SEARCH: &'static str;

    /// A time for its column.
    fn ts(t: DateTime<Utc>) -> Self::Ts;

    /// A time from its column.
    fn from_ts(v: Self::Ts) -> Result<DateTime<Utc>, Error>;

    /// An optional time from its column.
    fn opt_ts(v: Option<Self::Ts>) -> Result<Option<DateTime<Utc>>, Error> {
        v.map(Self::from_ts).transpose()
    }

    /// A date for its column.
    fn date(d: NaiveDate) -> Self::Date;

    /// A date from its column.
    fn from_date(v: Self::Date) -> Result<NaiveDate, Error>;

    /// The query text [`Dialect::SEARCH`] binds as `$1`, from
    /// [`search_terms`](vaultra_core::ports::storage::search_terms).
    fn search_query(terms: &[String]) -> String;

    /// Starts a transaction that will write.
    fn write_tx(
        pool: &Pool<Self::Db>,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;

    /// The [`Dialect::OWNER`] value that `business`'s payment rows carry, for reads;
    /// `None` if there is no such business.
    fn payment_owner(
        pool: &Pool<Self::Db>,
        business: Uuid,
    ) -> impl Future<Output = Result<Option<Self::Owner>, Error>> + Send;

    /// Upserts a batch's charges (already collapsed to one per Stripe id) in the
    /// ingest's transaction: the bulk path, where the backends differ most.
    fn insert_charges(
        tx: &mut <Self::Db as Database>::Connection,
        owner: Self::Owner,
        account: Option<Uuid>,
        charges: &[&Ingest<Charge>],
        now: Self::Ts,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// How many rows a statement changed (each backend's query result has it, as an inherent
/// method).
pub(crate) trait RowsAffected {
    /// The number of rows the statement inserted, updated or deleted.
    fn rows_affected(&self) -> u64;
}

/// The database of a dialect.
pub(crate) type Db<D> = <D as Dialect>::Db;

/// A row of a dialect's database.
pub(crate) type RowOf<D> = <<D as Dialect>::Db as Database>::Row;

/// A connection of a dialect's database.
pub(crate) type Conn<D> = <<D as Dialect>::Db as Database>::Connection;

/// The statement arguments of a dialect's database.
pub(crate) type Args<D> = <<D as Dialect>::Db as Database>::Arguments;

/// A value the shared code binds as a statement parameter (sqlx's `Encode` and `Type`).
pub(crate) trait Bind<'q, DB: Database>: Encode<'q, DB> + Type<DB> {}

impl<'q, DB: Database, T: Encode<'q, DB> + Type<DB>> Bind<'q, DB> for T {}

/// A value the shared code reads from a column (sqlx's `Decode` and `Type`).
pub(crate) trait Get<'r, DB: Database>: Decode<'r, DB> + Type<DB> {}

impl<'r, DB: Database, T: Decode<'r, DB> + Type<DB>> Get<'r, DB> for T {}

/// A backend store's pool and clock, borrowed for one call into the shared code.
pub(crate) struct SqlStore<'a, D: Dialect> {
    pub(crate) pool: &'a Pool<D::Db>,
    clock: &'a dyn Clock,
}

impl<'a, D: Dialect> SqlStore<'a, D> {
    pub(crate) fn new(pool: &'a Pool<D::Db>, clock: &'a dyn Clock) -> Self {
        Self { pool, clock }
    }

    /// The time the store stamps (created, updated).
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Starts a transaction that will write (see [`Dialect::write_tx`]).
    pub(crate) async fn write_tx(&self) -> Result<Transaction<'static, D::Db>, sqlx::Error> {
        D::write_tx(self.pool).await
    }
}
