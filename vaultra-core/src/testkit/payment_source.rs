//! The contract of [`PaymentSource`]: paging, `created` filters, accounts, errors,
//! webhooks and connection, run against every payment source.
//!
//! Unlike the storage suite, a payment source cannot be filled through its own port
//! (it only reads), and its failures come from the provider, not from the caller. So
//! each case takes a small [`SourceHarness`] that the backend's test provides, as the
//! object_store and OpenDAL behaviour suites do: it seeds an account with known
//! charges, payouts, disputes and `payout.paid` events at known `created` times
//! ([`Seed`]), injects a provider fault, hands out a source with refused credentials,
//! signs a webhook delivery and issues an authorization code.
//!
//! A backend that cannot do one of these says so in [`SourceCapabilities`]. The case
//! needing it then checks only what holds without it (a source without webhooks must
//! refuse every delivery, one without a connect flow must refuse to connect) and
//! returns [`Outcome::Reduced`], which the generated test prints, so nothing is
//! skipped silently.
//!
//! What the cases hold a source to, from the port's documentation
//! ([`crate::ports::payments`]):
//!
//! - Pages are newest first (`created` never increases along a listing); ties on
//!   `created` may come in any order the source likes, but one fixed order, since the
//!   cursors depend on it. `has_more` says whether objects follow in the paging
//!   direction, exactly: the last page says `false`, and a page saying `true` is not
//!   empty. A page never holds more than `limit` objects.
//! - `starting_after` continues with the objects just older than the cursor, excluding
//!   it; `ending_before` gives the `limit` objects just newer than the cursor,
//!   excluding it, still newest first.
//! - `created_gte` is inclusive (`created >= since`) and applies on every page,
//!   whichever direction. The port has no upper bound on `created`: the newer side of
//!   a listing is bounded by `ending_before`, which is exclusive.
//! - Each account sees only its own objects; an account that is not connected (or an
//!   empty account id) is refused with a non-retryable `Unauthorized` error, never
//!   answered with an empty page, so a sync cannot mistake it for an account with no
//!   payments; a connected account without objects is an empty page.
//! - An unknown `starting_after` is a non-retryable `Invalid` error naming the cursor;
//!   an unknown `ending_before` is `CursorExpired` (the sync then starts over).
//! - Rate limits are `RateLimited`, retryable, with the provider's `Retry-After`;
//!   server failures are `Server` and timeouts `Network`, both retryable; refused
//!   credentials are `Unauthorized`, not retryable, keeping the provider's message and
//!   never the secret. An HTTP status, when the error has one, matches its kind.
//! - A webhook delivery is accepted with a correct signature (its event parsed) and
//!   refused with a wrong, malformed or stale one.
//!
//! A backend runs the suite with [`payment_source_contract_tests!`](crate::payment_source_contract_tests):
//!
//! ```ignore
//! async fn synth_harness() -> std::sync::Arc<dyn SourceHarness> {
//!     std::sync::Arc::new(SynthHarness::default())
//! }
//! vaultra_core::payment_source_contract_tests!(synth_harness());
//! ```
//!
//! It expands to a module `payment_source` with one
//! `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` per case of [`CASES`];
//! the factory is awaited once per test and should give a fresh harness. The cases use
//! unique account ids all the same, so a harness shared between cases (one sandbox
//! account of a real provider) works too.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::CaseFuture;
use super::support::unique;
use crate::domain::{Charge, ChargeStatus, Currency, Dispute, Payout, PayoutPaid, PayoutStatus};
use crate::ports::payments::{
    Page, PageQuery, PaymentSource, SourceError, SourceErrorKind, Stream,
};

/// What a backend's harness can do besides seeding accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourceCapabilities {
    /// [`SourceHarness::inject`] makes the next page request fail with a
    /// [`SourceFault`].
    pub faults: bool,
    /// [`SourceHarness::refused_credentials`] gives a source whose credentials the
    /// provider refuses.
    pub credentials: bool,
    /// The source verifies webhooks and [`SourceHarness::sign_webhook`] signs them.
    pub webhooks: bool,
    /// The source has a connect flow and [`SourceHarness::authorization_code`] issues
    /// codes for it.
    pub connect: bool,
}

impl SourceCapabilities {
    /// Every capability.
    pub const ALL: Self = Self {
        faults: true,
        credentials: true,
        webhooks: true,
        connect: true,
    };
}

/// A provider failure to serve instead of the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceFault {
    /// Too many requests (HTTP 429), asking to wait `retry_after` (whole seconds).
    RateLimited {
        /// The wait the provider asks for (`Retry-After`).
        retry_after: Duration,
    },
    /// The provider failed (HTTP 500).
    ServerError,
    /// The provider answers later than the source waits.
    Timeout,
}

/// Objects to put in an account, as domain values; the harness renders them in the
/// provider's wire format. Every event's payout is among the payouts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seed {
    /// Charges.
    pub charges: Vec<Charge>,
    /// Payouts.
    pub payouts: Vec<Payout>,
    /// Disputes (of the charges).
    pub disputes: Vec<Dispute>,
    /// `payout.paid` events (of the payouts).
    pub events: Vec<PayoutPaid>,
}

/// The first `created` of the sample seeds: 2026-03-01T00:00:00Z.
pub const SEED_EPOCH: i64 = 1_772_323_200;

impl Seed {
    /// 23 charges, 9 payouts, 7 disputes and 9 events with unique ids, many sharing
    /// a `created` second (pairs of charges, triples of events), so that page
    /// boundaries fall between objects created at the same time.
    pub fn sample() -> Self {
        Self::sized(23, 9, 7)
    }

    /// `charges` charges (two a minute), `payouts` payouts (hourly, the fifth at the
    /// fourth's time) each paid by an event (three events a half hour), and `disputes`
    /// disputes of every third charge (two every ten minutes), from [`SEED_EPOCH`].
    pub fn sized(charges: usize, payouts: usize, disputes: usize) -> Self {
        let n = |i: usize| i64::try_from(i).unwrap();
        let charges: Vec<Charge> = (0..charges)
            .map(|i| Charge {
                id: unique("ch"),
                created: SEED_EPOCH + n(i / 2) * 60,
                amount: 1_000 + n(i),
                amount_refunded: 0,
                currency: Currency::USD,
                status: ChargeStatus::Succeeded,
                captured: true,
            })
            .collect();
        let payouts: Vec<Payout> = (0..payouts)
            .map(|i| {
                let hour = if i == 4 { 3 } else { n(i) };
                let created = SEED_EPOCH + hour * 3_600;
                Payout {
                    id: unique("po"),
                    created,
                    arrival_date: created - created.rem_euclid(86_400) + 2 * 86_400,
                    amount: 5_000 + n(i),
                    currency: Currency::USD,
                    status: PayoutStatus::Paid,
                }
            })
            .collect();
        let events = payouts
            .iter()
            .enumerate()
            .map(|(i, p)| PayoutPaid {
                event_id: unique("evt"),
                payout_id: p.id.clone(),
                paid_at: SEED_EPOCH + 2 * 86_400 + n(i / 3) * 1_800,
            })
            .collect();
        let disputes = (0..disputes)
            .filter_map(|i| charges.get(i * 3).map(|c| (i, c)))
            .map(|(i, c)| Dispute {
                id: unique("dp"),
                charge: c.id.clone(),
                created: SEED_EPOCH + 86_400 + n(i / 2) * 600,
                amount: c.amount,
                currency: c.currency,
                status: "needs_response".to_owned(),
            })
            .collect();
        Self {
            charges,
            payouts,
            disputes,
            events,
        }
    }

    /// `(id, created)` of every object of `stream`.
    pub fn objects(&self, stream: Stream) -> Vec<(String, i64)> {
        match stream {
            Stream::Charges => self
                .charges
                .iter()
                .map(|c| (c.id.clone(), c.created))
                .collect(),
            Stream::Payouts => self
                .payouts
                .iter()
                .map(|p| (p.id.clone(), p.created))
                .collect(),
            Stream::Disputes => self
                .disputes
                .iter()
                .map(|d| (d.id.clone(), d.created))
                .collect(),
            Stream::Events => self
                .events
                .iter()
                .map(|e| (e.event_id.clone(), e.paid_at))
                .collect(),
        }
    }
}

/// Source credentials the provider refuses, for the refused-credentials case.
pub struct RefusedCredentials {
    /// A source configured with them.
    pub source: Arc<dyn PaymentSource>,
    /// The secret it was configured with: no error may contain it.
    pub secret: String,
    /// A fragment of the provider's own refusal message, which the error must keep
    /// (Stripe: `Invalid API Key provided`).
    pub provider_message: String,
}

impl fmt::Debug for RefusedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefusedCredentials")
            .field("provider_message", &self.provider_message)
            .finish_non_exhaustive()
    }
}

/// What a backend's test provides to run the suite: its source and ways to set up
/// the provider's side.
///
/// Every method other than [`Self::capabilities`], [`Self::source`] and [`Self::seed`]
/// is called only when the matching capability is declared; the defaults return
/// `None`, and a case panics when a declared capability yields `None`.
pub trait SourceHarness: Send + Sync + 'static {
    /// What the harness can do.
    fn capabilities(&self) -> SourceCapabilities;

    /// The source under test. Called after seeding; it must see every account seeded
    /// so far.
    fn source(&self) -> Arc<dyn PaymentSource>;

    /// Connects `account` (an id of the provider's form, e.g. `acct_…`) holding
    /// exactly the objects of `seed` (none: connected and empty).
    fn seed(&self, account: &str, seed: &Seed);

    /// Makes the next page request for `stream` (of any account) fail once with
    /// `fault`, and returns the source on which it does (for
    /// [`SourceFault::Timeout`], one whose timeout is shorter than the provider's
    /// delay). Requests after that one succeed again.
    fn inject(&self, _stream: Stream, _fault: SourceFault) -> Option<Arc<dyn PaymentSource>> {
        None
    }

    /// A source whose credentials the provider refuses.
    fn refused_credentials(&self) -> Option<RefusedCredentials> {
        None
    }

    /// The signature header the provider would send with `payload`, signed at unix
    /// time `timestamp` with the secret the source is configured with.
    fn sign_webhook(&self, _payload: &[u8], _timestamp: i64) -> Option<String> {
        None
    }

    /// A fresh authorization code that connects `account` when exchanged.
    fn authorization_code(&self, _account: &str) -> Option<String> {
        None
    }
}

/// How much of a case ran.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every check of the case ran and held.
    Checked,
    /// The backend declared it lacks `capability`: only the checks that hold without
    /// it ran (they held); `checked` says which.
    Reduced {
        /// The missing capability (`faults`, `credentials`, `webhooks`, `connect`).
        capability: &'static str,
        /// What was checked instead.
        checked: &'static str,
    },
}

impl Outcome {
    /// Prints a reduced outcome of case `name` on stderr, so test output shows what
    /// a backend did not run.
    pub fn report(self, name: &str) {
        if let Self::Reduced {
            capability,
            checked,
        } = self
        {
            eprintln!(
                "payment source contract: {name}: the backend declares no `{capability}` \
                 capability; what was checked: {checked}"
            );
        }
    }
}

/// One case of the payment-source contract: its name and a runner.
#[derive(Clone, Copy)]
pub struct SourceCase {
    /// The function's name, e.g. `pages_list_every_object_once_newest_first`.
    pub name: &'static str,
    /// Runs the case against a harness; panics on a contract violation.
    pub run: fn(Arc<dyn SourceHarness>) -> CaseFuture,
}

impl fmt::Debug for SourceCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceCase")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Calls `$callback!` with the list of every payment-source case. The one list behind
/// both [`payment_source_contract_tests!`](crate::payment_source_contract_tests) and
/// [`CASES`]. Not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __payment_source_cases {
    ($callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            [
                pages_list_every_object_once_newest_first,
                starting_after_resumes_right_after_the_cursor,
                ending_before_returns_the_objects_just_newer,
                created_gte_is_inclusive_on_every_page,
                created_gte_bounds_ending_before_pages,
                accounts_are_isolated,
                unknown_account_is_refused,
                connected_account_without_objects_is_empty,
                unknown_cursors_are_not_retryable,
                rate_limit_is_retryable_with_retry_after,
                server_error_is_retryable,
                timeout_is_a_retryable_network_error,
                refused_credentials_are_not_retryable,
                webhook_with_a_correct_signature_is_accepted,
                webhook_with_a_wrong_signature_is_refused,
                webhook_with_a_stale_signature_is_refused,
                connect_url_carries_state_and_redirect,
                authorization_code_connects_once,
            ]
        }
    };
}

/// Expands the case list into `#[tokio::test]` functions. Not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __payment_source_tests_expand {
    ({ $make:expr } [ $( $case:ident ),* $(,)? ]) => {
        #[allow(unused_imports)]
        mod payment_source {
            use super::*;
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let harness: ::std::sync::Arc<
                        dyn $crate::testkit::payment_source::SourceHarness,
                    > = $make.await;
                    $crate::testkit::payment_source::$case(harness)
                        .await
                        .report(stringify!($case));
                }
            )*
        }
    };
}

/// Expands the case list into `SourceCase` values. Not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __payment_source_cases_array {
    ({} [ $( $case:ident ),* $(,)? ]) => {
        &[
            $(
                $crate::testkit::payment_source::SourceCase {
                    name: stringify!($case),
                    run: |harness| ::std::boxed::Box::pin(async move {
                        $crate::testkit::payment_source::$case(harness)
                            .await
                            .report(stringify!($case));
                    }),
                },
            )*
        ]
    };
}

/// Every case of the payment-source contract, in suite order.
pub const CASES: &[SourceCase] = crate::__payment_source_cases!(__payment_source_cases_array! {});

/// Generates the payment-source contract suite for a backend: a module
/// `payment_source` with one `#[tokio::test(flavor = "multi_thread", worker_threads =
/// 2)]` per case of [`CASES`].
///
/// The argument is an expression evaluating to a future of
/// `Arc<dyn vaultra_core::testkit::payment_source::SourceHarness>`, awaited once per
/// test inside its runtime. Paths in it resolve from the call site (the generated
/// module does `use super::*`). A case the backend cannot fully run prints what it
/// checked instead on stderr.
///
/// The calling crate needs `tokio` (features `macros`, `rt-multi-thread`) as a
/// dev-dependency and `vaultra-core` with the `testkit` feature.
#[macro_export]
macro_rules! payment_source_contract_tests {
    ($make:expr $(,)?) => {
        $crate::__payment_source_cases!(__payment_source_tests_expand! { $make });
    };
}

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// A fresh account id of Stripe's form.
fn new_account() -> String {
    // `unique` gives `acct_<hex>`: letters, digits and one underscore, as Stripe's are.
    unique("acct")
}

/// The wire `object` name of a stream's objects.
fn object_name(stream: Stream) -> &'static str {
    match stream {
        Stream::Charges => "charge",
        Stream::Payouts => "payout",
        Stream::Disputes => "dispute",
        Stream::Events => "event",
    }
}

fn id_of(object: &Value) -> String {
    object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("object without a string `id`: {object}"))
        .to_owned()
}

fn created_of(object: &Value) -> i64 {
    object
        .get("created")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("object without an integer `created`: {object}"))
}

fn ids(page: &Page) -> Vec<String> {
    page.objects.iter().map(id_of).collect()
}

/// `(id, created)` of a seed's stream, newest first (ties in any order).
fn seeded(seed: &Seed, stream: Stream) -> Vec<(String, i64)> {
    let mut objects = seed.objects(stream);
    objects.sort_by_key(|o| std::cmp::Reverse(o.1));
    objects
}

async fn fetch(
    source: &dyn PaymentSource,
    account: &str,
    query: &PageQuery,
) -> Result<Page, SourceError> {
    source.fetch_page(account, query).await
}

#[track_caller]
fn page_ok(result: Result<Page, SourceError>, what: &str) -> Page {
    match result {
        Ok(page) => page,
        Err(e) => panic!("{what}: expected a page, got {e:?}"),
    }
}

#[track_caller]
fn page_err(result: Result<Page, SourceError>, what: &str) -> SourceError {
    match result {
        Err(e) => e,
        Ok(page) => panic!("{what}: expected an error, got a page of {:?}", ids(&page)),
    }
}

/// Checks one page against the listing rules that hold for any page.
#[track_caller]
fn check_page(page: &Page, stream: Stream, limit: u32, what: &str) {
    assert!(
        page.objects.len() <= usize::try_from(limit).unwrap(),
        "{what}: {} objects in a page of limit {limit}",
        page.objects.len()
    );
    assert!(
        !(page.has_more && page.objects.is_empty()),
        "{what}: an empty page says has_more"
    );
    for object in &page.objects {
        assert_eq!(
            object.get("object").and_then(Value::as_str),
            Some(object_name(stream)),
            "{what}: a {stream} page holds {object}"
        );
    }
    let created: Vec<i64> = page.objects.iter().map(created_of).collect();
    assert!(
        created.windows(2).all(|w| w[0] >= w[1]),
        "{what}: not newest first: {created:?}"
    );
}

/// Every object of `query`'s listing, following `starting_after` from page to page,
/// with the rules of [`check_page`] and of the whole listing checked on the way.
async fn walk_older(
    source: &dyn PaymentSource,
    account: &str,
    mut query: PageQuery,
    max_objects: usize,
) -> Vec<Value> {
    let what = format!(
        "{} of {account}, limit {}, created_gte {:?}",
        query.stream, query.limit, query.created_gte
    );
    let mut all: Vec<Value> = Vec::new();
    loop {
        let page = page_ok(fetch(source, account, &query).await, &what);
        check_page(&page, query.stream, query.limit, &what);
        if let (Some(last), Some(first)) = (all.last(), page.objects.first()) {
            assert!(
                created_of(last) >= created_of(first),
                "{what}: a page starts newer than the previous one ended"
            );
        }
        all.extend(page.objects.iter().cloned());
        // Far more than expected: a cursor that does not advance; stop so the caller
        // reports what was listed instead of looping for ever.
        if all.len() > 2 * max_objects + 10 {
            return all;
        }
        if !page.has_more {
            return all;
        }
        query.starting_after = all.last().map(id_of);
    }
}

/// Asserts `got` lists exactly `want` (as `(id, created)`), each once, with the
/// objects' own `created` equal to the seeded one.
#[track_caller]
fn assert_same_objects(got: &[Value], want: &[(String, i64)], what: &str) {
    let got_pairs: Vec<(String, i64)> = got.iter().map(|o| (id_of(o), created_of(o))).collect();
    let unique_ids: HashSet<&String> = got_pairs.iter().map(|(id, _)| id).collect();
    assert_eq!(
        unique_ids.len(),
        got_pairs.len(),
        "{what}: an object is listed twice"
    );
    let got_set: BTreeSet<(String, i64)> = got_pairs.into_iter().collect();
    let want_set: BTreeSet<(String, i64)> = want.iter().cloned().collect();
    let missing: Vec<_> = want_set.difference(&got_set).collect();
    let extra: Vec<_> = got_set.difference(&want_set).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, unexpected {extra:?}"
    );
}

/// The full listing of a seeded stream, as the source orders it (newest first).
async fn listing(
    source: &dyn PaymentSource,
    account: &str,
    seed: &Seed,
    stream: Stream,
) -> Vec<String> {
    let want = seeded(seed, stream);
    let all = walk_older(source, account, PageQuery::first(stream, 100), want.len()).await;
    assert_same_objects(&all, &want, &format!("{stream} of {account}"));
    all.iter().map(id_of).collect()
}

#[track_caller]
fn assert_kind(e: &SourceError, kind: SourceErrorKind, what: &str) {
    assert_eq!(e.kind, kind, "{what}: wrong kind in {e:?}");
    assert!(!e.message.is_empty(), "{what}: an error without a message");
}

#[track_caller]
fn assert_not_retryable(e: &SourceError, what: &str) {
    assert!(!e.is_retryable(), "{what}: {e:?} must not be retryable");
    if let Some(status) = e.status {
        assert!(
            (400..500).contains(&status),
            "{what}: a non-retryable error with HTTP status {status}"
        );
    }
}

// ---------------------------------------------------------------------------------
// Paging
// ---------------------------------------------------------------------------------

/// Walking every stream with `starting_after` and pages smaller than the data lists
/// every seeded object exactly once, newest first, and nothing else; `has_more` is
/// exact (false on the last page, also when the last page is full), and a page never
/// exceeds the limit.
pub async fn pages_list_every_object_once_newest_first(harness: Arc<dyn SourceHarness>) -> Outcome {
    let account = new_account();
    let seed = Seed::sample();
    harness.seed(&account, &seed);
    let source = harness.source();
    for stream in Stream::ALL {
        let want = seeded(&seed, stream);
        let n = want.len();
        let n32 = u32::try_from(n).unwrap();
        // 1 and 2 cut through every tie; 3 divides 9 (events, payouts) so the last page
        // is full; n and n + 1 are one page, full or not; 100 is the cap.
        for limit in [1, 2, 3, 5, n32, n32 + 1, 100] {
            let what = format!("{stream} with limit {limit}");
            let all = walk_older(
                source.as_ref(),
                &account,
                PageQuery::first(stream, limit),
                n,
            )
            .await;
            assert_same_objects(&all, &want, &what);
        }
        // The first page alone: full, with more to come.
        let first = page_ok(
            fetch(source.as_ref(), &account, &PageQuery::first(stream, 2)).await,
            "first page",
        );
        assert_eq!(first.objects.len(), 2, "{stream}: first page of 2");
        assert!(first.has_more, "{stream}: the first page of 2 has more");
        let whole = page_ok(
            fetch(source.as_ref(), &account, &PageQuery::first(stream, n32)).await,
            "one page of everything",
        );
        assert_eq!(whole.objects.len(), n, "{stream}: a page of exactly n");
        assert!(
            !whole.has_more,
            "{stream}: nothing follows a page of everything"
        );
    }
    Outcome::Checked
}

/// `starting_after` resumes exactly after the cursor: for every object of a listing,
/// the page after it holds the objects that follow it in that listing, and `has_more`
/// says whether any follow beyond the page.
pub async fn starting_after_resumes_right_after_the_cursor(
    harness: Arc<dyn SourceHarness>,
) -> Outcome {
    let account = new_account();
    let seed = Seed::sample();
    harness.seed(&account, &seed);
    let source = harness.source();
    for stream in Stream::ALL {
        let order = listing(source.as_ref(), &account, &seed, stream).await;
        for (i, cursor) in order.iter().enumerate() {
            let query = PageQuery {
                starting_after: Some(cursor.clone()),
                ..PageQuery::first(stream, 3)
            };
            let what = format!("{stream} starting after #{i} ({cursor})");
            let page = page_ok(fetch(source.as_ref(), &account, &query).await, &what);
            check_page(&page, stream, 3, &what);
            let end = (i + 4).min(order.len());
            assert_eq!(ids(&page), order[i + 1..end].to_vec(), "{what}");
            assert_eq!(page.has_more, end < order.len(), "{what}: has_more");
        }
    }
    Outcome::Checked
}

/// `ending_before` gives the `limit` objects just newer than the cursor, newest first,
/// without the cursor; walking newer from the oldest object, each page's newest
/// object as the next cursor, visits every other object once.
pub async fn ending_before_returns_the_objects_just_newer(
    harness: Arc<dyn SourceHarness>,
) -> Outcome {
    let account = new_account();
    let seed = Seed::sample();
    harness.seed(&account, &seed);
    let source = harness.source();
    for stream in Stream::ALL {
        let order = listing(source.as_ref(), &account, &seed, stream).await;
        for (i, cursor) in order.iter().enumerate() {
            let query = PageQuery {
                ending_before: Some(cursor.clone()),
                ..PageQuery::first(stream, 3)
            };
            let what = format!("{stream} ending before #{i} ({cursor})");
            let page = page_ok(fetch(source.as_ref(), &account, &query).await, &what);
            check_page(&page, stream, 3, &what);
            let start = i.saturating_sub(3);
            assert_eq!(ids(&page), order[start..i].to_vec(), "{what}");
            assert_eq!(page.has_more, start > 0, "{what}: has_more");
        }
        // Walk newer from the oldest object.
        let Some(oldest) = order.last() else { continue };
        let mut cursor = oldest.clone();
        let mut pages: Vec<Vec<String>> = Vec::new();
        loop {
            let query = PageQuery {
                ending_before: Some(cursor.clone()),
                ..PageQuery::first(stream, 4)
            };
            let page = page_ok(
                fetch(source.as_ref(), &account, &query).await,
                "walking newer",
            );
            check_page(&page, stream, 4, "walking newer");
            let Some(newest) = page.objects.first() else {
                break;
            };
            cursor = id_of(newest);
            pages.push(ids(&page));
            assert!(
                pages.len() <= order.len(),
                "{stream}: walking newer never ends"
            );
            if !page.has_more {
                break;
            }
        }
        let visited: Vec<String> = pages.into_iter().rev().flatten().collect();
        assert_eq!(
            visited,
            order[..order.len() - 1].to_vec(),
            "{stream}: walking newer from the oldest"
        );
    }
    Outcome::Checked
}

/// `created_gte` is inclusive: objects created exactly at the bound (several, tied)
/// are listed, those a second earlier are not; the bound holds on every page of a
/// walk, and a bound past the newest object gives an empty last page.
pub async fn created_gte_is_inclusive_on_every_page(harness: Arc<dyn SourceHarness>) -> Outcome {
    let account = new_account();
    let seed = Seed::sample();
    harness.seed(&account, &seed);
    let source = harness.source();
    for stream in Stream::ALL {
        let all = seeded(&seed, stream);
        let bound = all[all.len() / 2].1;
        if stream == Stream::Charges {
            let at_bound = all.iter().filter(|(_, c)| *c == bound).count();
            assert!(at_bound >= 2, "the sample has tied charges at the bound");
        }
        for since in [bound - 1, bound, bound + 1, all[all.len() - 1].1, all[0].1] {
            let want: Vec<(String, i64)> =
                all.iter().filter(|(_, c)| *c >= since).cloned().collect();
            let query = PageQuery {
                created_gte: Some(since),
                ..PageQuery::first(stream, 2)
            };
            let got = walk_older(source.as_ref(), &account, query, want.len()).await;
            assert_same_objects(&got, &want, &format!("{stream} created_gte {since}"));
        }
        let past = PageQuery {
            created_gte: Some(all[0].1 + 1),
            ..PageQuery::first(stream, 2)
        };
        let page = page_ok(
            fetch(source.as_ref(), &account, &past).await,
            "created_gte past the newest",
        );
        assert!(
            page.objects.is_empty() && !page.has_more,
            "{stream}: created_gte past the newest object: {:?}",
            ids(&page)
        );
    }
    Outcome::Checked
}

/// `created_gte` also bounds pages read newer with `ending_before` (exclusive of the
/// cursor): the objects newer than the cursor and created at or after the bound, the
/// ones closest to the cursor first to come.
pub async fn created_gte_bounds_ending_before_pages(harness: Arc<dyn SourceHarness>) -> Outcome {
    let account = new_account();
    let seed = Seed::sample();
    harness.seed(&account, &seed);
    let source = harness.source();
    for stream in Stream::ALL {
        let order = listing(source.as_ref(), &account, &seed, stream).await;
        let created: std::collections::HashMap<String, i64> =
            seed.objects(stream).into_iter().collect();
        let oldest = order[order.len() - 1].clone();
        let bound = created[&order[order.len() / 2]];
        let in_range: Vec<String> = order[..order.len() - 1]
            .iter()
            .filter(|id| created[*id] >= bound)
            .cloned()
            .collect();
        let query = PageQuery {
            created_gte: Some(bound),
            ending_before: Some(oldest.clone()),
            ..PageQuery::first(stream, 100)
        };
        let what = format!("{stream} ending before the oldest, created_gte {bound}");
        let page = page_ok(fetch(source.as_ref(), &account, &query).await, &what);
        check_page(&page, stream, 100, &what);
        assert_eq!(ids(&page), in_range, "{what}");
        assert!(!page.has_more, "{what}: has_more");
        let query = PageQuery { limit: 2, ..query };
        let page = page_ok(fetch(source.as_ref(), &account, &query).await, &what);
        assert_eq!(
            ids(&page),
            in_range[in_range.len() - 2..].to_vec(),
            "{what}, limit 2: the two in range just newer than the cursor"
        );
        assert!(page.has_more, "{what}, limit 2: has_more");
    }
    Outcome::Checked
}

// ---------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------

/// Each account lists only its own objects, and a cursor of one account is not a
/// position in another (an error, never the other account's objects).
pub async fn accounts_are_isolated(harness: Arc<dyn SourceHarness>) -> Outcome {
    let (a, b) = (new_account(), new_account());
    let seed_a = Seed::sample();
    let seed_b = Seed::sized(11, 4, 3);
    harness.seed(&a, &seed_a);
    harness.seed(&b, &seed_b);
    let source = harness.source();
    for stream in Stream::ALL {
        for (account, seed) in [(&a, &seed_a), (&b, &seed_b)] {
            let want = seeded(seed, stream);
            let got = walk_older(
                source.as_ref(),
                account,
                PageQuery::first(stream, 4),
                want.len(),
            )
            .await;
            assert_same_objects(&got, &want, &format!("{stream} of {account}"));
        }
        let foreign = seeded(&seed_a, stream)[0].0.clone();
        let after = PageQuery {
            starting_after: Some(foreign.clone()),
            ..PageQuery::first(stream, 10)
        };
        let e = page_err(
            fetch(source.as_ref(), &b, &after).await,
            "starting_after another account's object",
        );
        assert_not_retryable(&e, "starting_after another account's object");
        let before = PageQuery {
            ending_before: Some(foreign),
            ..PageQuery::first(stream, 10)
        };
        let e = page_err(
            fetch(source.as_ref(), &b, &before).await,
            "ending_before another account's object",
        );
        assert_not_retryable(&e, "ending_before another account's object");
    }
    Outcome::Checked
}

/// An account that is not connected, and an empty account id, are refused with a
/// non-retryable `Unauthorized` error on every stream, even while other accounts are
/// connected.
pub async fn unknown_account_is_refused(harness: Arc<dyn SourceHarness>) -> Outcome {
    let known = new_account();
    harness.seed(&known, &Seed::sized(3, 1, 1));
    let source = harness.source();
    let unknown = new_account();
    for stream in Stream::ALL {
        let what = format!("{stream} of an account that is not connected");
        let e = page_err(
            fetch(source.as_ref(), &unknown, &PageQuery::first(stream, 10)).await,
            &what,
        );
        assert_kind(&e, SourceErrorKind::Unauthorized, &what);
        assert_not_retryable(&e, &what);
        let what = format!("{stream} of the empty account id");
        let e = page_err(
            fetch(source.as_ref(), "", &PageQuery::first(stream, 10)).await,
            &what,
        );
        assert_not_retryable(&e, &what);
    }
    Outcome::Checked
}

/// A connected account without objects lists an empty last page on every stream.
pub async fn connected_account_without_objects_is_empty(
    harness: Arc<dyn SourceHarness>,
) -> Outcome {
    let account = new_account();
    harness.seed(&account, &Seed::default());
    let source = harness.source();
    for stream in Stream::ALL {
        let page = page_ok(
            fetch(source.as_ref(), &account, &PageQuery::first(stream, 10)).await,
            "an empty account",
        );
        assert_eq!(page, Page::default(), "{stream} of an empty account");
    }
    Outcome::Checked
}

// ---------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------

/// A `starting_after` that names no object is an invalid request (not retryable, the
/// provider's message naming the id kept); an unknown `ending_before` is
/// `CursorExpired`, so a sync starts over instead of failing for good.
pub async fn unknown_cursors_are_not_retryable(harness: Arc<dyn SourceHarness>) -> Outcome {
    let account = new_account();
    harness.seed(&account, &Seed::sized(5, 2, 2));
    let source = harness.source();
    for stream in Stream::ALL {
        let missing = unique("ch_missing");
        let query = PageQuery {
            starting_after: Some(missing.clone()),
            ..PageQuery::first(stream, 10)
        };
        let what = format!("{stream} starting after an unknown id");
        let e = page_err(fetch(source.as_ref(), &account, &query).await, &what);
        assert_kind(&e, SourceErrorKind::Invalid, &what);
        assert_not_retryable(&e, &what);
        assert!(
            e.message.contains(&missing),
            "{what}: the provider's message naming the cursor is lost: {e:?}"
        );
        let query = PageQuery {
            ending_before: Some(missing),
            ..PageQuery::first(stream, 10)
        };
        let what = format!("{stream} ending before an unknown id");
        let e = page_err(fetch(source.as_ref(), &account, &query).await, &what);
        assert_kind(&e, SourceErrorKind::CursorExpired, &what);
        assert_not_retryable(&e, &what);
    }
    Outcome::Checked
}

/// Injects `fault` on the charges of a seeded account; returns the error, the source
/// it was served by and the page that a retry must return.
async fn faulted(
    harness: &dyn SourceHarness,
    fault: SourceFault,
) -> Option<(SourceError, Arc<dyn PaymentSource>, String, PageQuery, Page)> {
    if !harness.capabilities().faults {
        return None;
    }
    let account = new_account();
    harness.seed(&account, &Seed::sized(7, 1, 1));
    let query = PageQuery::first(Stream::Charges, 3);
    let expected = page_ok(
        fetch(harness.source().as_ref(), &account, &query).await,
        "before the fault",
    );
    let source = harness
        .inject(Stream::Charges, fault)
        .unwrap_or_else(|| panic!("the harness declares faults but cannot inject {fault:?}"));
    let e = page_err(
        fetch(source.as_ref(), &account, &query).await,
        &format!("{fault:?}"),
    );
    Some((e, source, account, query, expected))
}

/// Checks that the same request succeeds once the fault is gone.
async fn retry_succeeds(source: &dyn PaymentSource, account: &str, query: &PageQuery, want: &Page) {
    let page = page_ok(fetch(source, account, query).await, "the retry");
    assert_eq!(ids(&page), ids(want), "the retry returns the page");
    assert_eq!(page.has_more, want.has_more, "the retry's has_more");
}

const NO_FAULTS: Outcome = Outcome::Reduced {
    capability: "faults",
    checked: "nothing (the provider's failures cannot be produced)",
};

/// A rate limit (429 with `Retry-After`) is `RateLimited`, retryable, carrying the
/// wait the provider asked for; the retry succeeds.
pub async fn rate_limit_is_retryable_with_retry_after(harness: Arc<dyn SourceHarness>) -> Outcome {
    let wait = Duration::from_secs(7);
    let Some((e, source, account, query, want)) = faulted(
        harness.as_ref(),
        SourceFault::RateLimited { retry_after: wait },
    )
    .await
    else {
        return NO_FAULTS;
    };
    assert_kind(&e, SourceErrorKind::RateLimited, "429");
    assert!(e.is_retryable(), "a rate limit is retryable: {e:?}");
    assert_eq!(
        e.retry_after,
        Some(wait),
        "the provider's Retry-After: {e:?}"
    );
    assert!(
        e.status.is_none_or(|s| s == 429),
        "status of a rate limit: {e:?}"
    );
    retry_succeeds(source.as_ref(), &account, &query, &want).await;
    Outcome::Checked
}

/// A server failure (500) is `Server` and retryable; the retry succeeds.
pub async fn server_error_is_retryable(harness: Arc<dyn SourceHarness>) -> Outcome {
    let Some((e, source, account, query, want)) =
        faulted(harness.as_ref(), SourceFault::ServerError).await
    else {
        return NO_FAULTS;
    };
    assert_kind(&e, SourceErrorKind::Server, "500");
    assert!(e.is_retryable(), "a server failure is retryable: {e:?}");
    assert!(
        e.status.is_none_or(|s| (500..600).contains(&s)),
        "status of a server failure: {e:?}"
    );
    retry_succeeds(source.as_ref(), &account, &query, &want).await;
    Outcome::Checked
}

/// An answer later than the source waits is a retryable `Network` error (the source
/// bounds every exchange with a timeout); the retry succeeds.
pub async fn timeout_is_a_retryable_network_error(harness: Arc<dyn SourceHarness>) -> Outcome {
    let Some((e, source, account, query, want)) =
        faulted(harness.as_ref(), SourceFault::Timeout).await
    else {
        return NO_FAULTS;
    };
    assert_kind(&e, SourceErrorKind::Network, "timeout");
    assert!(e.is_retryable(), "a timeout is retryable: {e:?}");
    retry_succeeds(source.as_ref(), &account, &query, &want).await;
    Outcome::Checked
}

/// Credentials the provider refuses (a bad key: 401) give a non-retryable
/// `Unauthorized` error that keeps the provider's message and never the secret.
pub async fn refused_credentials_are_not_retryable(harness: Arc<dyn SourceHarness>) -> Outcome {
    if !harness.capabilities().credentials {
        return Outcome::Reduced {
            capability: "credentials",
            checked: "nothing (the source has no credentials to refuse)",
        };
    }
    let account = new_account();
    harness.seed(&account, &Seed::sized(3, 1, 1));
    let refused = harness
        .refused_credentials()
        .unwrap_or_else(|| panic!("the harness declares credentials but gives none"));
    for stream in Stream::ALL {
        let what = format!("{stream} with refused credentials");
        let e = page_err(
            fetch(
                refused.source.as_ref(),
                &account,
                &PageQuery::first(stream, 10),
            )
            .await,
            &what,
        );
        assert_kind(&e, SourceErrorKind::Unauthorized, &what);
        assert_not_retryable(&e, &what);
        assert!(
            e.message.contains(&refused.provider_message),
            "{what}: the provider's message ({:?}) is lost: {e:?}",
            refused.provider_message
        );
        assert!(
            !refused.secret.is_empty() && !e.message.contains(&refused.secret),
            "{what}: the error carries the secret"
        );
    }
    Outcome::Checked
}

// ---------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------

/// The time webhook deliveries are signed at.
const SIGNED_AT: i64 = SEED_EPOCH + 3 * 86_400;

/// The outcome of a webhook case on a source without webhooks.
const NO_WEBHOOKS: Outcome = Outcome::Reduced {
    capability: "webhooks",
    checked: "every delivery is refused with a non-retryable error",
};

/// A source without webhooks refuses any delivery, whatever its signature.
fn refuses_all_deliveries(source: &dyn PaymentSource) -> Outcome {
    let payload =
        br#"{"id":"evt_1","object":"event","type":"payout.paid","created":1,"data":{"object":{}}}"#;
    for signature in ["", "t=1,v1=00", "anything"] {
        match source.verify_webhook(payload, signature, SIGNED_AT) {
            Ok(event) => panic!("a source without webhooks accepted {event:?}"),
            Err(e) => assert_not_retryable(&e, "a delivery to a source without webhooks"),
        }
    }
    NO_WEBHOOKS
}

/// A real event of a seeded account, as a Connect webhook delivers it (with the
/// top-level `account`), and its bytes.
async fn delivery(harness: &dyn SourceHarness) -> (String, Value, Vec<u8>) {
    let account = new_account();
    harness.seed(&account, &Seed::sized(2, 2, 0));
    let page = page_ok(
        fetch(
            harness.source().as_ref(),
            &account,
            &PageQuery::first(Stream::Events, 1),
        )
        .await,
        "an event to deliver",
    );
    let mut event = page
        .objects
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("the seeded account lists no event"));
    event["account"] = Value::from(account.clone());
    let payload = serde_json::to_vec(&event).unwrap();
    (account, event, payload)
}

fn signed(harness: &dyn SourceHarness, payload: &[u8], timestamp: i64) -> String {
    harness
        .sign_webhook(payload, timestamp)
        .unwrap_or_else(|| panic!("the harness declares webhooks but signs none"))
}

/// A delivery with a correct signature is accepted and parsed: id, type, `created`,
/// the connected account, and the whole event as sent.
pub async fn webhook_with_a_correct_signature_is_accepted(
    harness: Arc<dyn SourceHarness>,
) -> Outcome {
    let source = harness.source();
    if !harness.capabilities().webhooks {
        return refuses_all_deliveries(source.as_ref());
    }
    let (account, event, payload) = delivery(harness.as_ref()).await;
    let signature = signed(harness.as_ref(), &payload, SIGNED_AT);
    let verified = source
        .verify_webhook(&payload, &signature, SIGNED_AT + 30)
        .unwrap_or_else(|e| panic!("a correctly signed delivery is refused: {e:?}"));
    assert_eq!(verified.id, id_of(&event));
    assert_eq!(Some(verified.kind.as_str()), event["type"].as_str());
    assert_eq!(verified.created, created_of(&event));
    assert_eq!(verified.account.as_deref(), Some(account.as_str()));
    assert_eq!(verified.event, event, "the event as delivered");
    Outcome::Checked
}

/// A delivery whose signature does not match (payload changed after signing, another
/// payload's signature, a forged or malformed header) is refused, not retryable; a
/// mismatch is `Unauthorized`.
pub async fn webhook_with_a_wrong_signature_is_refused(harness: Arc<dyn SourceHarness>) -> Outcome {
    let source = harness.source();
    if !harness.capabilities().webhooks {
        return refuses_all_deliveries(source.as_ref());
    }
    let (_, mut event, payload) = delivery(harness.as_ref()).await;
    let signature = signed(harness.as_ref(), &payload, SIGNED_AT);
    event["data"]["object"]["amount"] = Value::from(1);
    let tampered = serde_json::to_vec(&event).unwrap();
    let other = signed(harness.as_ref(), &tampered, SIGNED_AT);
    let now = SIGNED_AT + 30;
    for (what, body, header) in [
        (
            "a payload changed after signing",
            &tampered,
            signature.clone(),
        ),
        ("another payload's signature", &payload, other),
        (
            "a forged signature",
            &payload,
            format!("t={SIGNED_AT},v1={}", "ab".repeat(32)),
        ),
    ] {
        match source.verify_webhook(body, &header, now) {
            Ok(e) => panic!("{what} is accepted: {e:?}"),
            Err(e) => {
                assert_kind(&e, SourceErrorKind::Unauthorized, what);
                assert_not_retryable(&e, what);
            }
        }
    }
    for header in ["", "garbage", "t=notanumber,v1=00"] {
        match source.verify_webhook(&payload, header, now) {
            Ok(e) => panic!("the header {header:?} is accepted: {e:?}"),
            Err(e) => assert_not_retryable(&e, "a malformed signature header"),
        }
    }
    Outcome::Checked
}

/// A correct signature made a day before `now` (a replayed delivery) is refused, not
/// retryable.
pub async fn webhook_with_a_stale_signature_is_refused(harness: Arc<dyn SourceHarness>) -> Outcome {
    let source = harness.source();
    if !harness.capabilities().webhooks {
        return refuses_all_deliveries(source.as_ref());
    }
    let (_, _, payload) = delivery(harness.as_ref()).await;
    let signature = signed(harness.as_ref(), &payload, SIGNED_AT);
    match source.verify_webhook(&payload, &signature, SIGNED_AT + 86_400) {
        Ok(e) => panic!("a day-old signature is accepted: {e:?}"),
        Err(e) => assert_not_retryable(&e, "a day-old signature"),
    }
    Outcome::Checked
}

// ---------------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------------

const NO_CONNECT: Outcome = Outcome::Reduced {
    capability: "connect",
    checked: "connecting is refused with a non-retryable error",
};

/// The query parameters of a URL, percent-decoded (`+` as a space).
fn query_params(url: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                }
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).unwrap()
    }
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The connect URL is an https (or, for a local fake, http) URL carrying the state
/// and, when given, the redirect URI, both intact after decoding.
pub async fn connect_url_carries_state_and_redirect(harness: Arc<dyn SourceHarness>) -> Outcome {
    let source = harness.source();
    let state = format!("{} with/odd&chars=", unique("state"));
    let redirect = "https://app.example.com/stripe/callback?x=1";
    if !harness.capabilities().connect {
        match source.connect_url(&state, Some(redirect)) {
            Ok(url) => panic!("a source without a connect flow gives {url}"),
            Err(e) => assert_not_retryable(&e, "connect_url without a connect flow"),
        }
        return NO_CONNECT;
    }
    for redirect_uri in [Some(redirect), None] {
        let url = source
            .connect_url(&state, redirect_uri)
            .unwrap_or_else(|e| panic!("connect_url: {e:?}"));
        assert!(
            url.starts_with("https://") || url.starts_with("http://"),
            "not a URL: {url}"
        );
        let params = query_params(&url);
        assert!(
            params.iter().any(|(k, v)| k == "state" && *v == state),
            "the state does not come back intact from {url}"
        );
        let redirects: Vec<&String> = params
            .iter()
            .filter(|(k, _)| k == "redirect_uri")
            .map(|(_, v)| v)
            .collect();
        match redirect_uri {
            Some(r) => assert_eq!(redirects, [r], "the redirect URI in {url}"),
            None => assert!(
                redirects.is_empty(),
                "a redirect URI nobody asked for: {url}"
            ),
        }
    }
    Outcome::Checked
}

/// An authorization code is exchanged once for its account, which can then be read;
/// the same code again, or an unknown one, is refused without retry.
pub async fn authorization_code_connects_once(harness: Arc<dyn SourceHarness>) -> Outcome {
    let source = harness.source();
    if !harness.capabilities().connect {
        match source.exchange_code("ac_anything").await {
            Ok(account) => panic!("a source without a connect flow connects {account:?}"),
            Err(e) => assert_not_retryable(&e, "exchange_code without a connect flow"),
        }
        return NO_CONNECT;
    }
    let account = new_account();
    let code = harness
        .authorization_code(&account)
        .unwrap_or_else(|| panic!("the harness declares connect but issues no code"));
    let connected = source
        .exchange_code(&code)
        .await
        .unwrap_or_else(|e| panic!("exchanging a fresh code: {e:?}"));
    assert_eq!(connected.account_id, account);
    let page = page_ok(
        fetch(
            source.as_ref(),
            &account,
            &PageQuery::first(Stream::Charges, 10),
        )
        .await,
        "the account just connected",
    );
    assert!(page.objects.is_empty(), "a new account has no charges yet");
    match source.exchange_code(&code).await {
        Ok(again) => panic!("a code is exchanged twice: {again:?}"),
        Err(e) => assert_not_retryable(&e, "the same code again"),
    }
    match source.exchange_code(&unique("ac_unknown")).await {
        Ok(other) => panic!("an unknown code connects {other:?}"),
        Err(e) => assert_not_retryable(&e, "an unknown code"),
    }
    Outcome::Checked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_are_unique() {
        let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
        assert!(CASES.len() >= 15);
    }

    #[test]
    fn sample_seed_has_ties_and_consistent_events() {
        let seed = Seed::sample();
        let payouts: HashSet<&str> = seed.payouts.iter().map(|p| p.id.as_str()).collect();
        assert!(
            seed.events
                .iter()
                .all(|e| payouts.contains(e.payout_id.as_str()))
        );
        for stream in Stream::ALL {
            let created: Vec<i64> = seed.objects(stream).iter().map(|o| o.1).collect();
            let distinct: BTreeSet<i64> = created.iter().copied().collect();
            assert!(distinct.len() < created.len(), "{stream} has ties");
        }
    }

    #[test]
    fn query_params_decode() {
        let params =
            query_params("https://x.test/a?state=a%20b%26c&redirect_uri=https%3A%2F%2Fy&e=");
        assert_eq!(
            params,
            [
                ("state".to_owned(), "a b&c".to_owned()),
                ("redirect_uri".to_owned(), "https://y".to_owned()),
                ("e".to_owned(), String::new()),
            ]
        );
    }
}
