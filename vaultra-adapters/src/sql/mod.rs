//! What the SQL backends share: error mapping, row conversions and the statements.
//!
//! Both backends store the same model (see `migrations/`); only column types differ.
//! The statements are ordinary generic code over a [`Dialect`], which names everything
//! the backends do differently (`dialect.rs`); each backend implements the ports by
//! delegating to it (`ports.rs`).

/// Formats a statement from compile-time column lists; only constants are interpolated,
/// never values (those are always bound).
macro_rules! sql {
    ($($t:tt)*) => {
        sqlx::AssertSqlSafe(format!($($t)*))
    };
}

pub(crate) mod conversations;
pub(crate) mod dialect;
mod jobs;
pub(crate) mod knowledge;
mod ports;
mod refresh_tokens;
mod store;
pub(crate) use dialect::{Dialect, SqlStore};
pub(crate) use ports::impl_ports;

use std::collections::HashMap;

use chrono::NaiveDate;
use vaultra_core::Error;
use vaultra_core::domain::{ConnectionStatus, Currency, Industry, Provider, Role};
use vaultra_core::metrics::{MetricParts, Window};
use vaultra_core::recommend::{Priority, RecommendationStatus};

/// Rows per multi-row statement in a bulk ingest (well under both backends' limits on
/// bind parameters: 11 per charge row × 1 000 < SQLite's 32 766 and PostgreSQL's 65 535).
pub(crate) const BULK_ROWS: usize = 1_000;

/// Maps a database error into the core's categories; `what` names the thing touched.
///
/// The database's own text never reaches the message of a client error (it can quote
/// values and the schema): it stays in the cause, for logs. A missing row names no id
/// here ("no such …"); where the statement is about one id, use [`map_err_id`].
pub(crate) fn map_err(what: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| categorize(what, None, e)
}

/// [`map_err`] for a statement about the `what` with this `id` (a lookup, a read-back
/// after an insert, an insert referencing it): a missing row names the id.
pub(crate) fn map_err_id<D: std::fmt::Display>(
    what: &'static str,
    id: D,
) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| categorize(what, Some(&id), e)
}

fn categorize(what: &'static str, id: Option<&dyn std::fmt::Display>, e: sqlx::Error) -> Error {
    let missing = || match id {
        Some(id) => Error::not_found(what, id),
        None => Error::no_such(what),
    };
    let error = match &e {
        sqlx::Error::RowNotFound => missing(),
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            Error::conflict(format!("{what} already exists"))
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => missing(),
        sqlx::Error::Database(db) if db.is_check_violation() => {
            // The constraint's name is ours (the migrations'), and names the column.
            Error::invalid_input(match db.constraint() {
                Some(constraint) => {
                    format!("{what}: a value is out of range (constraint `{constraint}`)")
                }
                None => format!("{what}: a value is out of range"),
            })
        }
        sqlx::Error::Database(db) if is_transient(db.code().as_deref()) => {
            Error::unavailable(format!("{what}: {}", db.message()), true)
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => {
            Error::unavailable(format!("database unavailable: {e}"), true)
        }
        _ => Error::internal(format!("unexpected database error ({what})")),
    };
    error.with_source(e)
}

/// SQLite busy/locked; PostgreSQL serialization failure, deadlock, connection failures.
fn is_transient(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("5" | "6" | "517" | "261" | "262" | "40001" | "40P01" | "57P01" | "08006" | "08001")
    )
}

pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Error {
    Error::not_found(entity, id)
}

pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::internal(format!("stored {what} is unreadable: {detail}"))
}

pub(crate) fn role(s: &str) -> Result<Role, Error> {
    Role::parse(s).map_err(|e| corrupt("role", e))
}

pub(crate) fn industry(s: Option<String>) -> Result<Option<Industry>, Error> {
    s.map(|s| Industry::parse(&s).map_err(|e| corrupt("industry", e)))
        .transpose()
}

pub(crate) fn currency(s: &str) -> Result<Currency, Error> {
    Currency::parse(s).map_err(|e| corrupt("currency", e))
}

pub(crate) fn opt_currency(s: Option<String>) -> Result<Option<Currency>, Error> {
    s.map(|s| currency(&s)).transpose()
}

pub(crate) fn provider(s: &str) -> Result<Provider, Error> {
    Provider::parse(s).map_err(|e| corrupt("provider", e))
}

pub(crate) fn connection_status(s: &str) -> Result<ConnectionStatus, Error> {
    ConnectionStatus::parse(s).map_err(|e| corrupt("status", e))
}

pub(crate) fn priority(s: &str) -> Result<Priority, Error> {
    Priority::parse(s).ok_or_else(|| corrupt("priority", s))
}

pub(crate) fn rec_status(s: &str) -> Result<RecommendationStatus, Error> {
    RecommendationStatus::parse(s).ok_or_else(|| corrupt("status", s))
}

/// Stored counts are `i64`; ours are `u64`.
pub(crate) fn count(v: i64) -> Result<u64, Error> {
    u64::try_from(v).map_err(|_| corrupt("count", v))
}

/// Money totals are `i128` in memory and `BIGINT` on disk.
pub(crate) fn to_i64(v: i128, what: &str) -> Result<i64, Error> {
    i64::try_from(v)
        .map_err(|_| Error::invalid(what.to_owned(), format!("{v} is too large to store")))
}

pub(crate) fn u_to_i64(v: u64, what: &str) -> Result<i64, Error> {
    i64::try_from(v)
        .map_err(|_| Error::invalid(what.to_owned(), format!("{v} is too large to store")))
}

/// Rebuilds snapshot parts from their columns.
#[allow(clippy::too_many_arguments)]
pub(crate) fn parts(
    window_end: NaiveDate,
    window_days: i32,
    currency_code: &str,
    daily: &str,
    transaction_count: i64,
    refunded: i64,
    chargeback_count: i64,
    payouts_due: i64,
    payouts_on_time: i64,
) -> Result<MetricParts, Error> {
    let days = u16::try_from(window_days).map_err(|_| corrupt("window_days", window_days))?;
    let window = Window::new(window_end, days).map_err(|e| corrupt("window", e))?;
    let daily_revenue: Vec<i128> =
        serde_json::from_str(daily).map_err(|e| corrupt("daily_revenue", e))?;
    let parts = MetricParts {
        window,
        currency: currency(currency_code)?,
        daily_revenue,
        transaction_count: count(transaction_count)?,
        refunded: i128::from(refunded),
        chargeback_count: count(chargeback_count)?,
        payouts_due: count(payouts_due)?,
        payouts_on_time: count(payouts_on_time)?,
    };
    // Validate by rebuilding once; a snapshot that cannot become metrics is corrupt.
    parts
        .clone()
        .into_metrics()
        .map_err(|e| corrupt("snapshot", e))?;
    Ok(parts)
}

/// Clamps a `u32` limit into SQL's `i64`.
pub(crate) fn limit(n: u32) -> i64 {
    i64::from(n)
}

/// The batch with repeated Stripe ids collapsed to their last occurrence (the newest
/// state), in first-seen order. PostgreSQL refuses to upsert one row twice in one
/// statement; SQLite would apply both — either way the last state must win.
pub(crate) fn last_by_id<T>(
    items: &[vaultra_core::ports::Ingest<T>],
    id: impl Fn(&T) -> &str,
) -> Vec<&vaultra_core::ports::Ingest<T>> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    let mut out: Vec<&vaultra_core::ports::Ingest<T>> = Vec::with_capacity(items.len());
    for item in items {
        match index.get(id(&item.object)) {
            Some(&i) => out[i] = item,
            None => {
                index.insert(id(&item.object), out.len());
                out.push(item);
            }
        }
    }
    out
}

/// Payout-paid events with repeated event ids collapsed (they are immutable: keep one).
pub(crate) fn last_event_by_id(
    items: &[vaultra_core::domain::PayoutPaid],
) -> Vec<&vaultra_core::domain::PayoutPaid> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    for e in items {
        match seen.get(e.event_id.as_str()) {
            Some(&i) => out[i] = e,
            None => {
                seen.insert(e.event_id.as_str(), out.len());
                out.push(e);
            }
        }
    }
    out
}

/// Checks a batch before any write: amounts within `0..=MAX_AMOUNT` (so the metric pass
/// can always read them back) and no NUL characters (PostgreSQL cannot store them).
/// Errors name the object.
pub(crate) fn validate_batch(batch: &vaultra_core::ports::IngestBatch) -> Result<(), Error> {
    use vaultra_core::domain::MAX_AMOUNT;
    let text = |kind: &str, id: &str, field: &str, v: &str| -> Result<(), Error> {
        if v.contains('\0') || v.is_empty() && field == "id" {
            return Err(
                Error::invalid(field.to_owned(), "empty or contains a NUL character")
                    .in_context(format!("{kind} {id}")),
            );
        }
        Ok(())
    };
    let amount = |kind: &str, id: &str, field: &str, v: i64| -> Result<(), Error> {
        if !(0..=MAX_AMOUNT).contains(&v) {
            return Err(Error::invalid(
                field.to_owned(),
                format!("{v} is outside 0..={MAX_AMOUNT}"),
            )
            .in_context(format!("{kind} {id}")));
        }
        Ok(())
    };
    for c in &batch.charges {
        let o = &c.object;
        text("charge", &o.id, "id", &o.id)?;
        amount("charge", &o.id, "amount", o.amount)?;
        amount("charge", &o.id, "amount_refunded", o.amount_refunded)?;
    }
    for p in &batch.payouts {
        let o = &p.object;
        text("payout", &o.id, "id", &o.id)?;
    }
    for d in &batch.disputes {
        let o = &d.object;
        text("dispute", &o.id, "id", &o.id)?;
        text("dispute", &o.id, "charge", &o.charge)?;
        text("dispute", &o.id, "status", &o.status)?;
    }
    for e in &batch.payout_paid {
        text("event", &e.event_id, "id", &e.event_id)?;
        text("event", &e.event_id, "payout", &e.payout_id)?;
    }
    Ok(())
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::error::Error as _;

    use super::*;

    /// A database error from SQLite itself, for `sql` run on a small table.
    async fn sqlite_error(sql: &'static str) -> sqlx::Error {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        sqlx::query(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT UNIQUE,
                             amount INTEGER CONSTRAINT amount_not_negative CHECK (amount >= 0))",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO t VALUES (1, 'secret@example.com', 5)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap_err()
    }

    fn cause(e: &Error) -> &sqlx::Error {
        e.source()
            .and_then(|s| s.downcast_ref::<sqlx::Error>())
            .expect("the sqlx error is the cause")
    }

    #[test]
    fn a_missing_row_names_the_id_or_says_no_such() {
        let id = "7f0c3c8e-0000-4000-8000-000000000001";
        let e = map_err_id("snapshot", id)(sqlx::Error::RowNotFound);
        assert!(
            matches!(&e, Error::NotFound { entity: "snapshot", id: Some(found), .. } if found == id)
        );
        assert_eq!(e.to_string(), format!("snapshot not found: {id}"));
        assert!(matches!(cause(&e), sqlx::Error::RowNotFound));

        let e = map_err("snapshot")(sqlx::Error::RowNotFound);
        assert!(matches!(e, Error::NotFound { id: None, .. }));
        assert_eq!(e.to_string(), "no such snapshot");
    }

    #[tokio::test]
    async fn constraint_violations_keep_the_database_text_out_of_the_message() {
        let e = map_err("user")(
            sqlite_error("INSERT INTO t VALUES (2, 'secret@example.com', 1)").await,
        );
        assert!(matches!(e, Error::Conflict { .. }), "{e:?}");
        assert_eq!(e.to_string(), "conflict: user already exists");
        let raw = cause(&e).to_string();
        assert!(
            raw.contains("UNIQUE"),
            "the cause keeps the database's words: {raw}"
        );

        let e =
            map_err("charge")(sqlite_error("INSERT INTO t VALUES (3, 'b@example.com', -1)").await);
        assert!(matches!(e, Error::Invalid { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with("charge: a value is out of range"),
            "{e}"
        );
        assert!(!e.to_string().contains("CHECK"), "{e}");
        assert!(cause(&e).to_string().contains("CHECK"));
    }

    #[tokio::test]
    async fn an_unexpected_error_is_internal_with_a_safe_message_and_its_cause() {
        let e = map_err("business")(sqlite_error("SELECT * FROM no_such_table").await);
        assert!(matches!(e, Error::Internal { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "internal error: unexpected database error (business)"
        );
        assert!(cause(&e).to_string().contains("no_such_table"));
        assert!(
            e.report().to_string().contains("no_such_table"),
            "logs see the cause"
        );
    }

    #[tokio::test]
    async fn a_closed_pool_is_retryable_with_the_io_cause() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        pool.close().await;
        let e = map_err("business")(sqlx::query("SELECT 1").execute(&pool).await.unwrap_err());
        assert!(e.is_retryable(), "{e:?}");
        assert!(matches!(cause(&e), sqlx::Error::PoolClosed));
    }
}
