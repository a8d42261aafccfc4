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
pub(crate) fn map_err(what: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| match &e {
        sqlx::Error::RowNotFound => Error::NotFound {
            entity: what,
            id: String::new(),
        },
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            Error::Conflict(format!("{what} already exists"))
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => Error::NotFound {
            entity: what,
            id: "a referenced record".into(),
        },
        sqlx::Error::Database(db) if db.is_check_violation() => Error::invalid_input(format!(
            "{what}: a value is out of range ({})",
            db.message()
        )),
        sqlx::Error::Database(db) if is_transient(db.code().as_deref()) => Error::Unavailable {
            message: format!("{what}: {}", db.message()),
            retryable: true,
        },
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => Error::Unavailable {
            message: format!("database unavailable: {e}"),
            retryable: true,
        },
        _ => Error::Internal(format!("{what}: {e}")),
    }
}

/// SQLite busy/locked; PostgreSQL serialization failure, deadlock, connection failures.
fn is_transient(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("5" | "6" | "517" | "261" | "262" | "40001" | "40P01" | "57P01" | "08006" | "08001")
    )
}

pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Error {
    Error::NotFound {
        entity,
        id: id.to_string(),
    }
}

pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::Internal(format!("stored {what} is unreadable: {detail}"))
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
