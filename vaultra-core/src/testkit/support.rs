//! Helpers shared by the suites: unique names, fixed times, fixtures, retries, error checks.

use std::fmt::Debug;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::{Business, NewBusiness, NewUser, User};
use crate::error::{Error, Result};
use crate::metrics::{SECONDS_PER_DAY, epoch_day};
use crate::ports::storage::{BusinessStore, UserStore};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A value no other call (in this process or, practically, any other) returns.
fn unique_u128() -> u128 {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let pid = u128::from(std::process::id());
    let high = splitmix(nanos as u64 ^ (pid << 32) as u64);
    let low = splitmix(n ^ (nanos >> 64) as u64 ^ pid as u64).wrapping_add(n);
    (u128::from(high) << 64) | u128::from(low)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `prefix_<unique lowercase hex>`: for e-mails, Stripe ids, event ids, names.
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}_{:032x}", unique_u128())
}

/// An id no store has assigned.
pub(crate) fn unknown_id() -> Uuid {
    Uuid::from_u128(unique_u128())
}

/// A unique, already normalized e-mail address.
pub(crate) fn unique_email() -> String {
    format!("{}@example.com", unique("user"))
}

/// A time with whole seconds.
pub(crate) fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

/// A time with whole microseconds.
pub(crate) fn at_micros(secs: i64, micros: u32) -> DateTime<Utc> {
    assert!(micros < 1_000_000);
    DateTime::from_timestamp(secs, micros * 1_000).unwrap()
}

/// A date from `YYYY-MM-DD`.
pub(crate) fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The first second (unix time) of a date.
pub(crate) fn midnight(d: NaiveDate) -> i64 {
    epoch_day(d) * SECONDS_PER_DAY
}

/// Creates a user with a unique e-mail.
pub(crate) async fn new_user<S>(store: &S) -> User
where
    S: UserStore + ?Sized,
{
    let new = NewUser {
        email: unique_email(),
        name: "Test User".to_owned(),
        password_hash: None,
        avatar_url: None,
    }
    .validated()
    .unwrap();
    store.create_user(new).await.unwrap()
}

/// Creates a business named `name` owned by `owner`.
pub(crate) async fn new_business<S>(store: &S, owner: Uuid, name: &str) -> Business
where
    S: BusinessStore + ?Sized,
{
    store
        .create_business(owner, NewBusiness::named(name).validated().unwrap())
        .await
        .unwrap()
}

/// Creates a user and a business it owns.
pub(crate) async fn owner_and_business<S>(store: &S) -> (User, Business)
where
    S: UserStore + BusinessStore + ?Sized,
{
    let owner = new_user(store).await;
    let business = new_business(store, owner.id, &unique("Business")).await;
    (owner, business)
}

/// Runs `op` again while it fails with a retryable error (a bounded number of times).
///
/// The contract allows `Unavailable { retryable: true }` when a transaction must be
/// retried; callers get the first other outcome.
pub(crate) async fn retry<T, F, Fut>(mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt: u64 = 0;
    loop {
        match op().await {
            Err(e) if e.is_retryable() && attempt < 50 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(2 * attempt)).await;
            }
            other => return other,
        }
    }
}

/// Sleeps long enough for a store's clock (microseconds) to move on, so that
/// "oldest first" orders are observable.
pub(crate) async fn tick() {
    tokio::time::sleep(Duration::from_millis(3)).await;
}

/// Asserts `result` is `Err(NotFound)`, never with an empty id (an id that is not
/// known is `None`, shown as "no such …").
#[track_caller]
pub(crate) fn assert_not_found<T: Debug>(result: Result<T>, what: &str) {
    match result {
        Err(Error::NotFound { id: Some(id), .. }) if id.is_empty() => {
            panic!("{what}: NotFound with an empty id")
        }
        Err(Error::NotFound { .. }) => {}
        other => panic!("{what}: expected Err(NotFound), got {other:?}"),
    }
}

/// Asserts `result` is `Err(NotFound)` about the `entity` with this `id`, and that the
/// message names it.
#[track_caller]
pub(crate) fn assert_not_found_naming<T: Debug>(
    result: Result<T>,
    entity: &str,
    id: Uuid,
    what: &str,
) {
    let id = id.to_string();
    match &result {
        Err(
            e @ Error::NotFound {
                entity: found,
                id: found_id,
                ..
            },
        ) => {
            assert_eq!(
                (*found, found_id.as_deref()),
                (entity, Some(id.as_str())),
                "{what}: {e}"
            );
            assert!(
                e.to_string().contains(&id),
                "{what}: the message names the id: {e}"
            );
        }
        other => panic!("{what}: expected Err(NotFound {{ {entity} {id} }}), got {other:?}"),
    }
}

/// Asserts `result` is `Err(Conflict)`.
#[track_caller]
pub(crate) fn assert_conflict<T: Debug>(result: Result<T>, what: &str) {
    match result {
        Err(Error::Conflict { .. }) => {}
        other => panic!("{what}: expected Err(Conflict), got {other:?}"),
    }
}

/// Unwraps `result` with a message naming the call.
#[track_caller]
pub(crate) fn ok<T>(result: Result<T>, what: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{what}: expected Ok, got Err({e:?})"),
    }
}
