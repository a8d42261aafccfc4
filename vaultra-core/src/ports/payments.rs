//! The payment-source port: where payment objects come from (Stripe today).
//!
//! A [`PaymentSource`] knows how to connect an account (an authorization URL and a code
//! exchange), how to list one page of one object stream of a connected account, and
//! how to verify and parse a webhook delivery. Objects travel in the provider's wire
//! format as JSON values, because the store keeps each object's raw JSON and
//! normalization ([`crate::domain::stripe::StripeObject`]) lives in the core.
//!
//! Paging follows the list semantics most payment APIs share (Stripe's among them):
//! newest first, `created >= since`, and an opaque object id to continue after
//! (`starting_after`, older) or before (`ending_before`, newer).

use std::fmt::{self, Debug};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use crate::error::{Cause, Error};

/// An object stream of a connected account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// Charges.
    Charges,
    /// Payouts.
    Payouts,
    /// Disputes.
    Disputes,
    /// Events (changes to any object, `payout.paid` among them).
    Events,
}

impl Stream {
    /// Every stream, in the order a backfill reads them.
    pub const ALL: [Stream; 4] = [Self::Events, Self::Charges, Self::Payouts, Self::Disputes];

    /// The snake_case name (`charges`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Charges => "charges",
            Self::Payouts => "payouts",
            Self::Disputes => "disputes",
            Self::Events => "events",
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which page of a stream to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// The stream.
    pub stream: Stream,
    /// Only objects created at or after this unix time.
    pub created_gte: Option<i64>,
    /// Continue with objects older than this id (the last object of the previous page).
    pub starting_after: Option<String>,
    /// Objects newer than this id, the ones closest to it first in the page's reversed
    /// order: a page holds the `limit` objects just newer than it, newest first.
    pub ending_before: Option<String>,
    /// Page size (the provider may cap it; Stripe: 1–100).
    pub limit: u32,
}

impl PageQuery {
    /// The first page of `stream` with at most `limit` objects and no filter.
    pub fn first(stream: Stream, limit: u32) -> Self {
        Self {
            stream,
            created_gte: None,
            starting_after: None,
            ending_before: None,
            limit,
        }
    }
}

/// One page of objects, newest first, in the provider's wire format.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The objects.
    pub objects: Vec<Value>,
    /// Whether more objects follow in the paging direction.
    pub has_more: bool,
}

/// An account connected through the provider's authorization flow.
///
/// Tokens the provider returns are not kept: Vaultra reads a connected account with
/// the platform key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedAccount {
    /// The provider's account id (Stripe: `acct_…`).
    pub account_id: String,
    /// The granted scope (`read_only`, `read_write`).
    pub scope: Option<String>,
    /// Whether the account is in live mode.
    pub livemode: bool,
}

/// A verified webhook delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceEvent {
    /// The provider's event id (`evt_…`).
    pub id: String,
    /// Event type, e.g. `payout.paid`.
    pub kind: String,
    /// When it happened, unix seconds.
    pub created: i64,
    /// The connected account it is about, if any.
    pub account: Option<String>,
    /// The whole event as received.
    pub event: Value,
}

/// What kind of failure a [`SourceError`] is; decides whether a retry may help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceErrorKind {
    /// Too many requests (HTTP 429): retry after a while.
    RateLimited,
    /// The provider failed (HTTP 5xx): retry.
    Server,
    /// The provider could not be reached or did not answer in time: retry.
    Network,
    /// The key or the account's authorization was refused (401, 403).
    Unauthorized,
    /// The continuation point no longer exists (an event older than the provider
    /// keeps): start over from a backfill.
    CursorExpired,
    /// The request or the answer was malformed; retrying will not help.
    Invalid,
}

/// Why a call to a payment source failed. Never carries a secret.
///
/// Equality compares what the provider said (kind, message, wait, status), not the
/// underlying `source`, which cannot be compared.
#[derive(Debug, Clone)]
pub struct SourceError {
    /// The category.
    pub kind: SourceErrorKind,
    /// What happened, for logs and the dead-letter table.
    pub message: String,
    /// How long the provider asked to wait (`Retry-After`), when it said.
    pub retry_after: Option<Duration>,
    /// The HTTP status, when there was one.
    pub status: Option<u16>,
    /// The underlying error (e.g. the HTTP client's), for logs; never shown.
    pub source: Option<Cause>,
}

impl PartialEq for SourceError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.message == other.message
            && self.retry_after == other.retry_after
            && self.status == other.status
    }
}

impl Eq for SourceError {}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| &**s as &(dyn std::error::Error + 'static))
    }
}

impl SourceError {
    /// An error of `kind`.
    pub fn new(kind: SourceErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after: None,
            status: None,
            source: None,
        }
    }

    /// Keeps `source` as the underlying error (for logs).
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(source));
        self
    }

    /// Whether the same call may succeed later (rate limits, server and network
    /// failures).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            SourceErrorKind::RateLimited | SourceErrorKind::Server | SourceErrorKind::Network
        )
    }
}

/// Keeps the category's retryability, the provider's `Retry-After` and HTTP status, and
/// the `SourceError` itself as the cause.
impl From<SourceError> for Error {
    fn from(e: SourceError) -> Self {
        let error = match e.kind {
            SourceErrorKind::RateLimited | SourceErrorKind::Server | SourceErrorKind::Network => {
                Error::unavailable(e.message.clone(), true)
            }
            SourceErrorKind::Unauthorized => Error::permission_denied(e.message.clone()),
            SourceErrorKind::CursorExpired | SourceErrorKind::Invalid => {
                Error::invalid_input(e.message.clone())
            }
        };
        error
            .with_retry_after(e.retry_after)
            .with_status(e.status)
            .with_source(e)
    }
}

/// A payment provider Vaultra reads from: connection, paging, webhooks.
///
/// Implementations do one HTTP exchange per call (no retries of their own: the sync
/// service retries with backoff) and bound each with a timeout.
#[async_trait]
pub trait PaymentSource: Send + Sync + Debug + 'static {
    /// The URL to send a user to so they connect their account; `state` comes back
    /// with the callback and must be checked there.
    fn connect_url(&self, state: &str, redirect_uri: Option<&str>) -> Result<String, SourceError>;

    /// Exchanges the authorization code of a connect callback for the account.
    async fn exchange_code(&self, code: &str) -> Result<ConnectedAccount, SourceError>;

    /// One page of `query.stream` of the connected `account`.
    async fn fetch_page(&self, account: &str, query: &PageQuery) -> Result<Page, SourceError>;

    /// Verifies a webhook delivery (`payload` exactly as received, `signature` the
    /// provider's signature header) at unix time `now`, and parses its event.
    fn verify_webhook(
        &self,
        payload: &[u8],
        signature: &str,
        now: i64,
    ) -> Result<SourceEvent, SourceError>;
}

/// Waiting, injected so retries with backoff can be tested without waiting.
#[async_trait]
pub trait Sleeper: Send + Sync + Debug + 'static {
    /// Returns after `duration`.
    async fn sleep(&self, duration: Duration);
}

/// A sleeper that returns at once and remembers what it was asked (a test double,
/// feature `testkit`).
#[cfg(any(test, feature = "testkit"))]
#[derive(Debug, Default)]
pub struct RecordingSleeper(std::sync::Mutex<Vec<Duration>>);

#[cfg(any(test, feature = "testkit"))]
impl RecordingSleeper {
    /// Every duration asked for so far.
    pub fn slept(&self) -> Vec<Duration> {
        match self.0.lock() {
            Ok(v) => v.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

#[cfg(any(test, feature = "testkit"))]
#[async_trait]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, duration: Duration) {
        match self.0.lock() {
            Ok(mut v) => v.push(duration),
            Err(poisoned) => poisoned.into_inner().push(duration),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_rate_limit_stays_retryable_with_its_wait_status_and_cause() {
        let network = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        let source = SourceError {
            kind: SourceErrorKind::RateLimited,
            message: "Stripe answered 429: too many requests".into(),
            retry_after: Some(Duration::from_secs(30)),
            status: Some(429),
            source: None,
        }
        .with_source(network);
        let e = Error::from(source.clone()).context("sync of acct_1");
        assert!(matches!(e, Error::Unavailable { .. }));
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        assert_eq!(e.status(), Some(429));
        assert_eq!(
            e.to_string(),
            "sync of acct_1: unavailable: Stripe answered 429: too many requests"
        );
        // The chain: core error → the SourceError → what it was caused by.
        let cause = e.source().expect("the source error");
        assert_eq!(cause.downcast_ref::<SourceError>(), Some(&source));
        let root = cause.source().expect("the network error");
        assert_eq!(
            root.downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind),
            Some(std::io::ErrorKind::TimedOut)
        );
    }

    #[test]
    fn other_kinds_keep_their_category_and_status() {
        let refused = SourceError {
            status: Some(401),
            ..SourceError::new(SourceErrorKind::Unauthorized, "Stripe answered 401")
        };
        let e = Error::from(refused);
        assert!(matches!(e, Error::PermissionDenied { .. }));
        assert!(!e.is_retryable());
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.retry_after(), None);

        for kind in [SourceErrorKind::Server, SourceErrorKind::Network] {
            assert!(Error::from(SourceError::new(kind, "x")).is_retryable());
        }
        for kind in [SourceErrorKind::Invalid, SourceErrorKind::CursorExpired] {
            let e = Error::from(SourceError::new(kind, "bad"));
            assert!(matches!(e, Error::Invalid { .. }) && !e.is_retryable());
        }
    }
}
