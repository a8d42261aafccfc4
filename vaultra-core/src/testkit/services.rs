//! The contract of the services of [`crate::services`] — Users, Metrics and
//! Recommendations — run over each backend, so the rules they build on the storage ports
//! (membership checks, snapshot ordering, the recommendation lifecycle) hold on every
//! store.
//!
//! The fixture business has ten charges in the first days of February 2026 and one
//! chargeback; over the 30 days ending 2026-02-28 it scores 20 under `spec-v1`
//! (declining −5, volatile −10, chargebacks −15, no payouts 0), which fires four
//! recommendations.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::AsPorts;
use super::support::{
    assert_conflict, assert_not_found, at, date, midnight, new_business, new_user, ok,
    owner_and_business, tick, unique, unknown_id,
};
use crate::domain::{
    BusinessUpdate, Charge, ChargeStatus, Currency, Dispute, Industry, NewBusiness, Provider, Role,
    UserUpdate,
};
use crate::error::{Error, Result};
use crate::metrics::{self, CurrencyChoice, SECONDS_PER_DAY, Window};
use crate::ports::storage::{
    AnalyticsStore, BusinessStore, Ingest, IngestBatch, IntegrationStore, PaymentStore,
    RecommendationStore, UserStore,
};
use crate::ports::{Clock, FixedClock};
use crate::recommend::{Priority, Recommendation, RecommendationStatus};
use crate::scoring::{Indicators, Policy, score};
use crate::services::Actor;
use crate::services::metrics::{MetricsPorts, MetricsService};
use crate::services::recommendations::{RecommendationsPorts, RecommendationsService};
use crate::services::users::{UsersPorts, UsersService};

use RecommendationStatus::{Accepted, Dismissed, Pending, Resolved};

/// 2026-03-01T00:00:00Z.
const T0: i64 = 1_772_323_200;
const DAY: i64 = SECONDS_PER_DAY;
const HOUR: i64 = 3_600;

/// The Users service over a backend.
struct UsersKit {
    users: UsersService,
}

impl UsersKit {
    fn new<S>(store: &Arc<S>) -> Self
    where
        S: UserStore + BusinessStore + AsPorts + ?Sized,
    {
        Self {
            users: UsersService::new(users_ports(store)),
        }
    }
}

/// The Metrics service over a backend and a manual clock.
struct MetricsKit {
    clock: Arc<FixedClock>,
    metrics: MetricsService,
}

impl MetricsKit {
    fn new<S>(store: &Arc<S>, now: i64) -> Self
    where
        S: BusinessStore + IntegrationStore + PaymentStore + AnalyticsStore + AsPorts + ?Sized,
    {
        let clock = Arc::new(FixedClock::new(at(now)));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        Self {
            metrics: MetricsService::new(
                metrics_ports(store),
                dyn_clock,
                Arc::new(Policy::spec_v1()),
            ),
            clock,
        }
    }

    fn set(&self, secs: i64) {
        self.clock.set(at(secs));
    }
}

/// The Metrics and Recommendations services over one store and one manual clock.
struct Kit {
    clock: Arc<FixedClock>,
    metrics: MetricsService,
    recs: RecommendationsService,
}

impl Kit {
    fn new<S>(store: &Arc<S>, now: i64) -> Self
    where
        S: BusinessStore
            + IntegrationStore
            + PaymentStore
            + AnalyticsStore
            + RecommendationStore
            + AsPorts
            + ?Sized,
    {
        let clock = Arc::new(FixedClock::new(at(now)));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let policy = Arc::new(Policy::spec_v1());
        let recommendations = RecommendationsPorts {
            businesses: store.clone().business_store(),
            analytics: store.clone().analytics_store(),
            recommendations: store.clone().recommendation_store(),
        };
        Self {
            metrics: MetricsService::new(metrics_ports(store), dyn_clock.clone(), policy.clone()),
            recs: RecommendationsService::new(recommendations, dyn_clock, policy),
            clock,
        }
    }

    fn set(&self, secs: i64) {
        self.clock.set(at(secs));
    }
}

fn users_ports<S>(store: &Arc<S>) -> UsersPorts
where
    S: UserStore + BusinessStore + AsPorts + ?Sized,
{
    UsersPorts {
        users: store.clone().user_store(),
        businesses: store.clone().business_store(),
    }
}

fn metrics_ports<S>(store: &Arc<S>) -> MetricsPorts
where
    S: BusinessStore + IntegrationStore + PaymentStore + AnalyticsStore + AsPorts + ?Sized,
{
    MetricsPorts {
        businesses: store.clone().business_store(),
        integrations: store.clone().integration_store(),
        payments: store.clone().payment_store(),
        analytics: store.clone().analytics_store(),
    }
}

/// The 30 days ending 2026-02-28 (the default window on 2026-03-01).
fn february() -> Window {
    Window::new(date("2026-02-28"), 30).unwrap()
}

/// The 14 days ending 2026-02-05: all the fixture's revenue is in its second half, and the
/// chargeback (2026-02-06) is outside it.
fn early_february() -> Window {
    Window::new(date("2026-02-05"), 14).unwrap()
}

fn charge(id: String, created: i64, amount: i64) -> Charge {
    Charge {
        id,
        created,
        amount,
        amount_refunded: 0,
        currency: Currency::USD,
        status: ChargeStatus::Succeeded,
        captured: true,
    }
}

/// Ten charges of 100.00 USD on 2026-01-30 (4), 02-02 (3) and 02-05 (3), and a
/// chargeback on one of them created 2026-02-06.
fn fixture_batch() -> IngestBatch {
    let mut charges = Vec::new();
    for (day, n) in [("2026-01-30", 4), ("2026-02-02", 3), ("2026-02-05", 3)] {
        for i in 0..n {
            charges.push(charge(
                unique("ch"),
                midnight(date(day)) + 9 * HOUR + i * 60,
                10_000,
            ));
        }
    }
    let disputed = &charges[0];
    let dispute = Dispute {
        id: unique("dp"),
        charge: disputed.id.clone(),
        created: midnight(date("2026-02-06")) + HOUR,
        amount: disputed.amount,
        currency: disputed.currency,
        status: "needs_response".to_owned(),
    };
    IngestBatch {
        charges: charges.into_iter().map(Ingest::bare).collect(),
        payouts: Vec::new(),
        disputes: vec![Ingest::bare(dispute)],
        payout_paid: Vec::new(),
    }
}

/// A business owned by a new user, holding the fixture data.
async fn funded_business<S>(store: &S) -> (Uuid, Uuid)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (owner, business) = owner_and_business(store).await;
    ok(
        store
            .ingest(business.id, None, &fixture_batch(), None)
            .await,
        "ingest",
    );
    (owner.id, business.id)
}

/// A new user who is a member of `business` with `role`.
async fn member<S>(store: &S, business: Uuid, role: Role) -> Uuid
where
    S: UserStore + BusinessStore + ?Sized,
{
    let user = new_user(store).await;
    ok(
        store.add_member(business, user.id, role).await,
        "add_member",
    );
    user.id
}

/// Asserts `result` is `NotFound` about `entity`.
#[track_caller]
fn assert_not_found_entity<T: std::fmt::Debug>(result: Result<T>, entity: &str, what: &str) {
    match result {
        Err(Error::NotFound { entity: e, .. }) if e == entity => {}
        other => panic!("{what}: expected Err(NotFound {{ entity: {entity:?} }}), got {other:?}"),
    }
}

/// Asserts `result` is `Invalid` about `field`.
#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: Result<T>, field: &str, what: &str) {
    match result {
        Err(Error::Invalid { input, .. }) if input.field.as_deref() == Some(field) => {}
        other => panic!("{what}: expected Err(Invalid) on `{field}`, got {other:?}"),
    }
}

/// Asserts `result` is `PermissionDenied`.
#[track_caller]
fn assert_denied<T: std::fmt::Debug>(result: Result<T>, what: &str) {
    match result {
        Err(Error::PermissionDenied { .. }) => {}
        other => panic!("{what}: expected Err(PermissionDenied), got {other:?}"),
    }
}

fn codes(records: &[crate::ports::storage::RecommendationRecord]) -> Vec<&str> {
    records.iter().map(|r| r.code.as_str()).collect()
}

// ---------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------

/// `get_user_profile` returns the user with every business they belong to and their
/// role, oldest first; `get_user_businesses` returns the same list; an unknown user is
/// `NotFound`.
pub async fn profile_lists_businesses_with_roles<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AsPorts + ?Sized,
{
    let kit = UsersKit::new(&store);
    let user = new_user(&*store).await;
    let alone = ok(kit.users.get_user_profile(user.id).await, "profile");
    assert_eq!(alone.user, user);
    assert!(alone.businesses.is_empty());

    let first = ok(
        kit.users
            .create_business(user.id, NewBusiness::named(unique("First")))
            .await,
        "create_business",
    );
    tick().await;
    let second = ok(
        kit.users
            .create_business(user.id, NewBusiness::named(unique("Second")))
            .await,
        "create_business",
    );
    tick().await;
    let other_owner = new_user(&*store).await;
    let third = new_business(&*store, other_owner.id, &unique("Third")).await;
    ok(
        store.add_member(third.id, user.id, Role::Admin).await,
        "add_member",
    );
    // A business the user does not belong to never shows up.
    let foreign = new_business(&*store, other_owner.id, &unique("Foreign")).await;

    let profile = ok(kit.users.get_user_profile(user.id).await, "profile");
    assert_eq!(profile.user.id, user.id);
    let listed: Vec<(Uuid, Role)> = profile
        .businesses
        .iter()
        .map(|b| (b.business.id, b.role))
        .collect();
    assert_eq!(
        listed,
        vec![
            (first.id, Role::Owner),
            (second.id, Role::Owner),
            (third.id, Role::Admin)
        ]
    );
    assert!(listed.iter().all(|(id, _)| *id != foreign.id));
    assert_eq!(profile.businesses[0].business, first);
    let businesses = ok(kit.users.get_user_businesses(user.id).await, "businesses");
    assert_eq!(businesses, profile.businesses);

    // The role travels with the business in JSON, next to its fields.
    let json = serde_json::to_value(&profile.businesses[2]).unwrap();
    assert_eq!(json["role"], "admin");
    assert_eq!(json["id"], third.id.to_string());

    assert_not_found(
        kit.users.get_user_profile(unknown_id()).await,
        "profile of an unknown user",
    );
}

/// `update_user_profile` trims the name, sets and clears the picture, and rejects an
/// empty name or a non-web URL without changing anything.
pub async fn update_user_profile_validates<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AsPorts + ?Sized,
{
    let kit = UsersKit::new(&store);
    let user = new_user(&*store).await;
    let updated = ok(
        kit.users
            .update_user_profile(
                user.id,
                UserUpdate {
                    name: Some("  Ada Lovelace ".into()),
                    avatar_url: Some(Some("https://img.example/ada.png".into())),
                },
            )
            .await,
        "update_user_profile",
    );
    assert_eq!(updated.name, "Ada Lovelace");
    assert_eq!(
        updated.avatar_url.as_deref(),
        Some("https://img.example/ada.png")
    );

    assert_invalid(
        kit.users
            .update_user_profile(
                user.id,
                UserUpdate {
                    name: Some("   ".into()),
                    avatar_url: None,
                },
            )
            .await,
        "name",
        "blank name",
    );
    assert_invalid(
        kit.users
            .update_user_profile(
                user.id,
                UserUpdate {
                    name: Some("Mallory".into()),
                    avatar_url: Some(Some("javascript:alert(1)".into())),
                },
            )
            .await,
        "avatar_url",
        "script URL",
    );
    let unchanged = ok(store.get_user(user.id).await, "get_user");
    assert_eq!(
        unchanged.name, "Ada Lovelace",
        "a rejected update changes nothing"
    );

    let cleared = ok(
        kit.users
            .update_user_profile(
                user.id,
                UserUpdate {
                    name: None,
                    avatar_url: Some(None),
                },
            )
            .await,
        "clear avatar",
    );
    assert_eq!(cleared.avatar_url, None);
    assert_eq!(cleared.name, "Ada Lovelace");

    assert_not_found(
        kit.users
            .update_user_profile(unknown_id(), UserUpdate::default())
            .await,
        "unknown user",
    );
}

/// `create_business` trims and requires the name, keeps the industry, rejects a negative
/// revenue estimate, makes the creator the owner, and writes nothing when it refuses.
pub async fn create_business_validates_and_makes_owner<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AsPorts + ?Sized,
{
    let kit = UsersKit::new(&store);
    let user = new_user(&*store).await;
    let name = unique("Bakery");
    let business = ok(
        kit.users
            .create_business(
                user.id,
                NewBusiness {
                    name: format!("  {name}\t"),
                    industry: Some(Industry::FoodAndBeverage),
                    revenue_estimate: Some(12_000_000),
                    currency: Some(Currency::USD),
                },
            )
            .await,
        "create_business",
    );
    assert_eq!(business.name, name, "the name is trimmed");
    assert_eq!(business.industry, Some(Industry::FoodAndBeverage));
    assert_eq!(business.revenue_estimate, Some(12_000_000));
    let membership = ok(store.membership(user.id, business.id).await, "membership")
        .expect("the creator is a member");
    assert_eq!(membership.role, Role::Owner);

    for blank in ["", "   ", "\t\n"] {
        assert_invalid(
            kit.users
                .create_business(user.id, NewBusiness::named(blank))
                .await,
            "name",
            "blank business name",
        );
    }
    assert_invalid(
        kit.users
            .create_business(
                user.id,
                NewBusiness {
                    revenue_estimate: Some(-1),
                    ..NewBusiness::named("Negative")
                },
            )
            .await,
        "revenue_estimate",
        "negative revenue estimate",
    );
    // Industries come from the fixed list: hosts parse names with `Industry::parse`.
    assert_invalid(Industry::parse("crypto"), "industry", "unknown industry");
    let of = ok(kit.users.get_user_businesses(user.id).await, "businesses");
    assert_eq!(of.len(), 1, "refused creations wrote nothing");

    assert_not_found(
        kit.users
            .create_business(unknown_id(), NewBusiness::named("Orphan"))
            .await,
        "unknown creator",
    );
}

/// `update_business` is for the owner and admins; a `member` is denied, a stranger (and
/// anyone naming an unknown business) gets `NotFound`, the system actor may; a blank name
/// is refused.
pub async fn update_business_needs_owner_or_admin<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AsPorts + ?Sized,
{
    let kit = UsersKit::new(&store);
    let (owner, business) = owner_and_business(&*store).await;
    let admin = member(&*store, business.id, Role::Admin).await;
    let plain = member(&*store, business.id, Role::Member).await;
    let (stranger, _) = owner_and_business(&*store).await;
    let rename = |name: &str| BusinessUpdate {
        name: Some(name.to_owned()),
        ..BusinessUpdate::default()
    };

    let by_owner = ok(
        kit.users
            .update_business(&Actor::User(owner.id), business.id, rename(" By owner "))
            .await,
        "owner renames",
    );
    assert_eq!(by_owner.name, "By owner");
    let by_admin = ok(
        kit.users
            .update_business(
                &Actor::User(admin),
                business.id,
                BusinessUpdate {
                    industry: Some(Some(Industry::Software)),
                    ..rename("By admin")
                },
            )
            .await,
        "admin renames",
    );
    assert_eq!(by_admin.name, "By admin");
    assert_eq!(by_admin.industry, Some(Industry::Software));

    assert_denied(
        kit.users
            .update_business(&Actor::User(plain), business.id, rename("By member"))
            .await,
        "member renames",
    );
    assert_not_found_entity(
        kit.users
            .update_business(
                &Actor::User(stranger.id),
                business.id,
                rename("By stranger"),
            )
            .await,
        "business",
        "stranger renames",
    );
    assert_not_found_entity(
        kit.users
            .update_business(&Actor::User(owner.id), unknown_id(), rename("Ghost"))
            .await,
        "business",
        "unknown business",
    );
    assert_invalid(
        kit.users
            .update_business(&Actor::User(owner.id), business.id, rename("  "))
            .await,
        "name",
        "blank name",
    );
    let current = ok(store.get_business(business.id).await, "get_business");
    assert_eq!(current.name, "By admin", "refused updates changed nothing");

    let by_system = ok(
        kit.users
            .update_business(&Actor::System, business.id, rename("By the CLI"))
            .await,
        "system renames",
    );
    assert_eq!(by_system.name, "By the CLI");
}

// ---------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------

/// The default window is the 30 days ending yesterday by the injected clock.
pub async fn default_window_ends_yesterday<S>(store: Arc<S>)
where
    S: BusinessStore + IntegrationStore + PaymentStore + AnalyticsStore + AsPorts + ?Sized,
{
    let kit = MetricsKit::new(&store, T0 + 10 * HOUR);
    let window = ok(kit.metrics.default_window(), "default_window");
    assert_eq!(window, february());
    assert_eq!(window.start_date(), date("2026-01-30"));
    kit.set(T0 - 1);
    let window = ok(kit.metrics.default_window(), "default_window");
    assert_eq!(window.end_date(), date("2026-02-27"));
    assert_eq!(window.days(), 30);
}

/// `compute_metrics` computes exactly what the metric pass gives on the same data,
/// stores it as the latest snapshot (at the clock's time), and says when the data was
/// last synced (the latest sync of any account) and how many days of history it rests on.
pub async fn compute_metrics_stores_snapshot_with_freshness<S>(store: Arc<S>)
where
    S: UserStore
        + BusinessStore
        + IntegrationStore
        + PaymentStore
        + AnalyticsStore
        + AsPorts
        + ?Sized,
{
    let kit = MetricsKit::new(&store, T0 + 2 * HOUR);
    let (owner, business) = funded_business(&*store).await;
    let actor = Actor::User(owner);
    assert_eq!(
        ok(
            kit.metrics.get_latest_metrics(&actor, business).await,
            "latest"
        ),
        None,
        "no metrics before the first computation"
    );

    // No connected account yet: imported data has no sync time.
    let imported = ok(
        kit.metrics
            .compute_metrics(&actor, business, february())
            .await,
        "compute_metrics",
    );
    assert_eq!(imported.basis.data_synced_at, None);

    let older = ok(
        store
            .link_account(business, Provider::Stripe, &unique("acct"))
            .await,
        "link",
    );
    let newer = ok(
        store
            .link_account(business, Provider::Stripe, &unique("acct"))
            .await,
        "link",
    );
    let never = ok(
        store
            .link_account(business, Provider::Stripe, &unique("acct"))
            .await,
        "link",
    );
    ok(
        store.record_sync_success(newer.id, at(T0 - HOUR)).await,
        "sync",
    );
    ok(
        store.record_sync_success(older.id, at(T0 - 5 * HOUR)).await,
        "sync",
    );
    ok(store.record_sync_failure(never.id, "boom").await, "failure");

    kit.set(T0 + 3 * HOUR);
    let view = ok(
        kit.metrics
            .compute_metrics(&actor, business, february())
            .await,
        "compute_metrics",
    );
    let data = ok(store.payment_data(business, february()).await, "data");
    let expected = metrics::compute(&data, february(), CurrencyChoice::Auto);
    assert_eq!(view.metrics, expected);
    assert_eq!(view.metrics.transaction_count, 10);
    assert_eq!(view.metrics.revenue_total.to_string(), "1000.00");
    assert_eq!(view.metrics.chargeback_count, 1);
    assert_eq!(view.business_id, business);
    assert_eq!(view.computed_at, at(T0 + 3 * HOUR));
    assert_eq!(view.basis.window, february());
    assert_eq!(view.basis.currency, Currency::USD);
    assert_eq!(view.basis.data_synced_at, Some(at(T0 - HOUR)));
    // First charge 2026-01-30, window ends 2026-02-28: 30 days, the whole window.
    assert_eq!(view.basis.history_days, 30);
    assert!(view.basis.history_covers_window);

    let stored = ok(store.latest_snapshot(business).await, "latest_snapshot").unwrap();
    assert_eq!(stored.id, view.snapshot_id);
    assert_eq!(stored.parts, expected.parts());
    assert_eq!(stored.data_synced_at, Some(at(T0 - HOUR)));
    let latest = ok(
        kit.metrics.get_latest_metrics(&actor, business).await,
        "latest",
    );
    assert_eq!(latest.as_ref(), Some(&view));

    // A window that starts before the first charge rests on fewer days than it spans.
    let early = ok(
        kit.metrics
            .compute_metrics(&actor, business, early_february())
            .await,
        "compute_metrics",
    );
    assert_eq!(early.basis.history_days, 7, "2026-01-30 through 2026-02-05");
    assert!(!early.basis.history_covers_window);

    // The freshness fields are part of the JSON a host returns.
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["history_days"], 30);
    assert_eq!(json["history_covers_window"], true);
    assert_eq!(
        json["data_synced_at"],
        serde_json::to_value(at(T0 - HOUR)).unwrap()
    );
    assert_eq!(json["window"]["end_date"], "2026-02-28");
    assert_eq!(json["currency"], "usd");
    assert_eq!(json["metrics"]["revenue_total"], "1000.00");

    // A business with no charges rests on no history.
    let (owner2, empty) = owner_and_business(&*store).await;
    let nothing = ok(
        kit.metrics
            .compute_metrics(&Actor::User(owner2.id), empty.id, february())
            .await,
        "compute_metrics (empty)",
    );
    assert_eq!(nothing.basis.history_days, 0);
    assert_eq!(nothing.metrics.transaction_count, 0);

    // The system actor computes for any business, and an unknown one is not found.
    ok(
        kit.metrics
            .compute_metrics(&Actor::System, business, february())
            .await,
        "system computes",
    );
    assert_not_found(
        kit.metrics
            .compute_metrics(&Actor::System, unknown_id(), february())
            .await,
        "system computes for an unknown business",
    );
}

/// The latest snapshot is the one computed last (whatever its window); the history holds
/// the snapshots whose window ends in the range, oldest computation first.
pub async fn snapshots_and_history_are_ordered<S>(store: Arc<S>)
where
    S: UserStore
        + BusinessStore
        + IntegrationStore
        + PaymentStore
        + AnalyticsStore
        + AsPorts
        + ?Sized,
{
    let kit = MetricsKit::new(&store, T0);
    let (owner, business) = funded_business(&*store).await;
    let actor = Actor::User(owner);
    let mid = Window::new(date("2026-02-20"), 30).unwrap();

    let a = ok(
        kit.metrics
            .compute_metrics(&actor, business, february())
            .await,
        "a",
    );
    kit.set(T0 + HOUR);
    let b = ok(
        kit.metrics
            .compute_metrics(&actor, business, early_february())
            .await,
        "b",
    );
    kit.set(T0 + 2 * HOUR);
    let c = ok(
        kit.metrics.compute_metrics(&actor, business, mid).await,
        "c",
    );
    assert_eq!(
        [a.computed_at, b.computed_at, c.computed_at],
        [at(T0), at(T0 + HOUR), at(T0 + 2 * HOUR)]
    );

    let latest = ok(
        kit.metrics.get_latest_metrics(&actor, business).await,
        "latest",
    )
    .unwrap();
    assert_eq!(latest.snapshot_id, c.snapshot_id, "latest = computed last");

    let ids = |views: Vec<crate::services::metrics::MetricsView>| {
        views.into_iter().map(|v| v.snapshot_id).collect::<Vec<_>>()
    };
    let all = ok(
        kit.metrics
            .get_metric_history(&actor, business, date("2026-01-01"), date("2026-12-31"))
            .await,
        "history",
    );
    assert_eq!(
        all[1], b,
        "history views carry the same data as the results"
    );
    assert_eq!(ids(all), vec![a.snapshot_id, b.snapshot_id, c.snapshot_id]);
    let early = ok(
        kit.metrics
            .get_metric_history(&actor, business, date("2026-02-01"), date("2026-02-10"))
            .await,
        "history",
    );
    assert_eq!(ids(early), vec![b.snapshot_id]);
    let late = ok(
        kit.metrics
            .get_metric_history(&actor, business, date("2026-02-20"), date("2026-02-28"))
            .await,
        "history",
    );
    assert_eq!(ids(late), vec![a.snapshot_id, c.snapshot_id]);
    assert!(
        ok(
            kit.metrics
                .get_metric_history(&actor, business, date("2026-03-01"), date("2026-03-31"))
                .await,
            "history"
        )
        .is_empty()
    );
    assert_invalid(
        kit.metrics
            .get_metric_history(&actor, business, date("2026-02-28"), date("2026-02-01"))
            .await,
        "start_date",
        "reversed range",
    );
}

/// `compute_readiness_score` scores the latest snapshot (not the latest window), stores
/// the score linked to it, and carries its freshness; before any snapshot it is a clear
/// `NotFound`; the history is newest first and limited.
pub async fn readiness_is_scored_from_latest_snapshot<S>(store: Arc<S>)
where
    S: UserStore
        + BusinessStore
        + IntegrationStore
        + PaymentStore
        + AnalyticsStore
        + AsPorts
        + ?Sized,
{
    let kit = MetricsKit::new(&store, T0);
    let (owner, business) = funded_business(&*store).await;
    let actor = Actor::User(owner);

    assert_not_found_entity(
        kit.metrics.compute_readiness_score(&actor, business).await,
        "metric snapshot",
        "readiness before any metrics",
    );
    assert_eq!(
        ok(
            kit.metrics.get_readiness_score(&actor, business).await,
            "score"
        ),
        None
    );
    assert!(
        ok(
            kit.metrics
                .get_readiness_history(&actor, business, 30)
                .await,
            "history"
        )
        .is_empty()
    );

    // February: declining −5, volatile −10, chargebacks 1/10 −15, no payouts due → 20.
    let feb = ok(
        kit.metrics
            .compute_metrics(&actor, business, february())
            .await,
        "metrics",
    );
    kit.set(T0 + 60);
    let first = ok(
        kit.metrics.compute_readiness_score(&actor, business).await,
        "score",
    );
    assert_eq!(first.score.score, 20);
    assert_eq!(first.score.tier, "not_ready");
    assert_eq!(first.score.policy, "spec-v1");
    assert_eq!(first.score.max_attainable, 80);
    assert_eq!(first.score.snapshot_id, Some(feb.snapshot_id));
    assert_eq!(first.score.computed_at, at(T0 + 60));
    assert_eq!(first.basis, Some(feb.basis));

    // A later computation over an older window is now the latest snapshot: increasing
    // +10, volatile −10, no chargeback in the window +5 → 55.
    kit.set(T0 + HOUR);
    let early = ok(
        kit.metrics
            .compute_metrics(&actor, business, early_february())
            .await,
        "metrics",
    );
    kit.set(T0 + HOUR + 60);
    let second = ok(
        kit.metrics.compute_readiness_score(&actor, business).await,
        "score",
    );
    let expected = score(&Policy::spec_v1(), &Indicators::from(&early.metrics));
    assert_eq!(expected.score, 55);
    assert_eq!(second.score.score, 55);
    assert_eq!(second.score.tier, "improving");
    assert_eq!(second.score.tier_label, "Improving");
    assert_eq!(
        second.score.factors,
        serde_json::to_value(&expected.factors).unwrap()
    );
    assert_eq!(second.score.snapshot_id, Some(early.snapshot_id));
    assert_eq!(second.basis, Some(early.basis));
    assert_eq!(second.basis.unwrap().history_days, 7);

    let latest = ok(
        kit.metrics.get_readiness_score(&actor, business).await,
        "latest score",
    )
    .unwrap();
    assert_eq!(latest, second);
    let json = serde_json::to_value(&latest).unwrap();
    assert_eq!(json["score"], 55);
    assert_eq!(json["history_days"], 7);
    assert_eq!(json["history_covers_window"], false);
    assert!(json.get("data_synced_at").is_some());

    kit.set(T0 + 2 * HOUR);
    let third = ok(
        kit.metrics.compute_readiness_score(&actor, business).await,
        "score again",
    );
    let history = ok(
        kit.metrics
            .get_readiness_history(&actor, business, 30)
            .await,
        "history",
    );
    assert_eq!(history, vec![third.clone(), second, first]);
    let last_one = ok(
        kit.metrics.get_readiness_history(&actor, business, 1).await,
        "history",
    );
    assert_eq!(last_one, vec![third]);
    assert_invalid(
        kit.metrics.get_readiness_history(&actor, business, 0).await,
        "limit",
        "limit 0",
    );
}

/// A user who is not a member reads and changes nothing of another business through the
/// Metrics and Recommendations services — each call is `NotFound` (business), as for a
/// business that does not exist — while a plain `member` may do all of it.
pub async fn services_hide_other_businesses<S>(store: Arc<S>)
where
    S: UserStore
        + BusinessStore
        + IntegrationStore
        + PaymentStore
        + AnalyticsStore
        + RecommendationStore
        + AsPorts
        + ?Sized,
{
    let kit = Kit::new(&store, T0);
    let (owner, business) = funded_business(&*store).await;
    let (stranger_user, stranger_business) = owner_and_business(&*store).await;
    let stranger = Actor::User(stranger_user.id);
    let system = Actor::System;

    ok(
        kit.metrics
            .compute_metrics(&system, business, february())
            .await,
        "metrics",
    );
    ok(
        kit.metrics.compute_readiness_score(&system, business).await,
        "score",
    );
    let recs = ok(
        kit.recs.generate_recommendations(&system, business).await,
        "generate",
    );
    let pending = recs[0].clone();

    for target in [business, unknown_id()] {
        let what = |op: &str| format!("stranger {op} on {target}");
        assert_not_found_entity(
            kit.metrics
                .compute_metrics(&stranger, target, february())
                .await,
            "business",
            &what("compute_metrics"),
        );
        assert_not_found_entity(
            kit.metrics.get_latest_metrics(&stranger, target).await,
            "business",
            &what("get_latest_metrics"),
        );
        assert_not_found_entity(
            kit.metrics
                .get_metric_history(&stranger, target, date("2026-01-01"), date("2026-12-31"))
                .await,
            "business",
            &what("get_metric_history"),
        );
        assert_not_found_entity(
            kit.metrics.compute_readiness_score(&stranger, target).await,
            "business",
            &what("compute_readiness_score"),
        );
        assert_not_found_entity(
            kit.metrics.get_readiness_score(&stranger, target).await,
            "business",
            &what("get_readiness_score"),
        );
        assert_not_found_entity(
            kit.metrics
                .get_readiness_history(&stranger, target, 30)
                .await,
            "business",
            &what("get_readiness_history"),
        );
        assert_not_found_entity(
            kit.recs.generate_recommendations(&stranger, target).await,
            "business",
            &what("generate_recommendations"),
        );
        assert_not_found_entity(
            kit.recs
                .get_recommendations(&stranger, target, None, None)
                .await,
            "business",
            &what("get_recommendations"),
        );
    }
    assert_not_found_entity(
        kit.recs
            .update_recommendation_status(stranger_user.id, pending.id, Dismissed)
            .await,
        "recommendation",
        "stranger dismisses",
    );
    // Being a member of some other business grants nothing here.
    assert!(
        ok(
            store
                .membership(stranger_user.id, stranger_business.id)
                .await,
            "membership"
        )
        .is_some()
    );

    // Nothing changed behind the refusals.
    let snapshots = ok(
        store
            .snapshots_between(business, date("2026-01-01"), date("2026-12-31"))
            .await,
        "snapshots",
    );
    assert_eq!(snapshots.len(), 1);
    assert_eq!(
        ok(store.score_history(business, 10).await, "scores").len(),
        1
    );
    let after = ok(store.get_recommendation(pending.id).await, "get");
    assert_eq!(after.status, Pending);
    assert_eq!(
        ok(
            store.list_recommendations(business, None, None).await,
            "list"
        )
        .len(),
        recs.len()
    );

    // A plain member may read, refresh and act.
    let plain = member(&*store, business, Role::Member).await;
    let actor = Actor::User(plain);
    kit.set(T0 + HOUR);
    let view = ok(
        kit.metrics
            .compute_metrics(&actor, business, february())
            .await,
        "member computes",
    );
    assert_eq!(view.metrics.transaction_count, 10);
    ok(
        kit.metrics.get_latest_metrics(&actor, business).await,
        "member reads",
    )
    .unwrap();
    assert_eq!(
        ok(
            kit.metrics.compute_readiness_score(&actor, business).await,
            "member scores"
        )
        .score
        .score,
        20
    );
    assert_eq!(
        ok(
            kit.metrics
                .get_readiness_history(&actor, business, 30)
                .await,
            "member history"
        )
        .len(),
        2
    );
    assert_eq!(
        ok(
            kit.recs
                .get_recommendations(&actor, business, None, None)
                .await,
            "member lists"
        )
        .len(),
        recs.len()
    );
    let dismissed = ok(
        kit.recs
            .update_recommendation_status(plain, pending.id, Dismissed)
            .await,
        "member dismisses",
    );
    assert_eq!(dismissed.status, Dismissed);
    // The owner sees the same business through the same checks.
    ok(
        kit.metrics
            .get_readiness_score(&Actor::User(owner), business)
            .await,
        "owner reads",
    )
    .unwrap();
}

// ---------------------------------------------------------------------------------------
// Recommendations
// ---------------------------------------------------------------------------------------

/// Generation needs metrics first; it runs the §5 rules on the latest snapshot: four
/// recommendations for the fixture, in order, with their impacts.
pub async fn generate_follows_the_rules_on_latest_snapshot<S>(store: Arc<S>)
where
    S: UserStore
        + BusinessStore
        + IntegrationStore
        + PaymentStore
        + AnalyticsStore
        + RecommendationStore
        + AsPorts
        + ?Sized,
{
    let kit = Kit::new(&store, T0);
    let (owner, business) = funded_business(&*store).await;
    let actor = Actor::User(owner);
    assert_not_found_entity(
        kit.recs.generate_recommendations(&actor, business).await,
        "metric snapshot",
        "generate before metrics",
    );

    let feb = ok(
        kit.metrics
            .compute_metrics(&actor, business, february())
            .await,
        "metrics",
    );
    let generated = ok(
        kit.recs.generate_recommendations(&actor, business).await,
        "generate",
    );
    let summary: Vec<(&str, Priority, i32, RecommendationStatus)> = generated
        .iter()
        .map(|r| (r.code.as_str(), r.priority, r.score_impact, r.status))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("focus_on_core_metrics", Priority::High, 30, Pending),
            ("reduce_chargebacks", Priority::High, 20, Pending),
            ("grow_revenue", Priority::High, 15, Pending),
            ("stabilize_revenue", Priority::High, 15, Pending),
        ]
    );
    // The texts are those of the rules on the same metrics.
    let readiness = score(&Policy::spec_v1(), &Indicators::from(&feb.metrics));
    let rules = crate::recommend::recommend(&Policy::spec_v1(), &readiness, Some(&feb.metrics));
    for (stored, rule) in generated.iter().zip(&rules) {
        assert_eq!(stored.title, rule.title);
        assert_eq!(stored.description, rule.description);
        assert_eq!(stored.factor, rule.factor);
        assert_eq!(stored.created_at, at(T0));
    }
    assert_eq!(
        ok(
            kit.recs
                .get_recommendations(&actor, business, None, None)
                .await,
            "list"
        ),
        generated
    );

    // After a later computation over the early window (score 55) only volatility fires;
    // the other three, still pending, are retired: resolved, out of the default list.
    kit.set(T0 + DAY);
    ok(
        kit.metrics
            .compute_metrics(&actor, business, early_february())
            .await,
        "metrics",
    );
    let again = ok(
        kit.recs.generate_recommendations(&actor, business).await,
        "generate",
    );
    assert_eq!(codes(&again), vec!["stabilize_revenue"]);
    assert_eq!(again[0].id, generated[3].id, "refreshed, not a twin");
    assert_eq!(again[0].updated_at, at(T0 + DAY));
    assert_eq!(again[0].created_at, at(T0));
    assert_eq!(
        ok(
            kit.recs
                .get_recommendations(&actor, business, None, None)
                .await,
            "list"
        ),
        again
    );
    let resolved = ok(
        kit.recs
            .get_recommendations(&actor, business, Some(Resolved), None)
            .await,
        "resolved",
    );
    assert_eq!(
        resolved.iter().map(|r| r.id).collect::<Vec<_>>(),
        generated[..3].iter().map(|r| r.id).collect::<Vec<_>>()
    );
    for r in &resolved {
        assert_eq!(r.status, Resolved);
        assert_eq!(r.status_changed_at, Some(at(T0 + DAY)));
    }
}

/// `update_recommendation_status` moves only pending → accepted / dismissed, stamped with
/// the clock, as a compare-and-set; anything else is refused and changes nothing.
pub async fn status_moves_only_from_pending<S>(store: Arc<S>)
where
    S: UserStore
        + BusinessStore
        + IntegrationStore
        + PaymentStore
        + AnalyticsStore
        + RecommendationStore
        + AsPorts
        + ?Sized,
{
    let kit = Kit::new(&store, T0);
    let (owner, business) = funded_business(&*store).await;
    let system = Actor::System;
    ok(
        kit.metrics
            .compute_metrics(&system, business, february())
            .await,
        "metrics",
    );
    let recs = ok(
        kit.recs.generate_recommendations(&system, business).await,
        "generate",
    );
    let (first, second) = (recs[0].id, recs[1].id);

    assert_invalid(
        kit.recs
            .update_recommendation_status(owner, first, Pending)
            .await,
        "status",
        "back to pending",
    );
    kit.set(T0 + 90);
    let accepted = ok(
        kit.recs
            .update_recommendation_status(owner, first, Accepted)
            .await,
        "accept",
    );
    assert_eq!(accepted.status, Accepted);
    assert_eq!(accepted.status_changed_at, Some(at(T0 + 90)));
    assert_conflict(
        kit.recs
            .update_recommendation_status(owner, first, Dismissed)
            .await,
        "dismiss an accepted one",
    );
    assert_conflict(
        kit.recs
            .update_recommendation_status(owner, first, Accepted)
            .await,
        "accept twice",
    );
    let dismissed = ok(
        kit.recs
            .update_recommendation_status(owner, second, Dismissed)
            .await,
        "dismiss",
    );
    assert_eq!(dismissed.status, Dismissed);
    assert_conflict(
        kit.recs
            .update_recommendation_status(owner, second, Accepted)
            .await,
        "accept a dismissed one",
    );
    assert_not_found_entity(
        kit.recs
            .update_recommendation_status(owner, unknown_id(), Accepted)
            .await,
        "recommendation",
        "unknown recommendation",
    );
    let now = ok(store.get_recommendation(first).await, "get");
    assert_eq!(now.status, Accepted);
    assert_eq!(now.status_changed_at, Some(at(T0 + 90)));

    // Filters pass through: by status and by priority.
    let actor = Actor::User(owner);
    let by_status = ok(
        kit.recs
            .get_recommendations(&actor, business, Some(Accepted), None)
            .await,
        "accepted",
    );
    assert_eq!(codes(&by_status), vec![recs[0].code.as_str()]);
    let low = Recommendation {
        code: "custom_low".to_owned(),
        priority: Priority::Low,
        score_impact: 2,
        title: "Low".to_owned(),
        description: "A low one.".to_owned(),
        factor: None,
    };
    ok(store.upsert_live(business, &low, at(T0)).await, "upsert");
    let by_priority = ok(
        kit.recs
            .get_recommendations(&actor, business, None, Some(Priority::Low))
            .await,
        "low",
    );
    assert_eq!(codes(&by_priority), vec!["custom_low"]);
    let pending_high = ok(
        kit.recs
            .get_recommendations(&actor, business, Some(Pending), Some(Priority::High))
            .await,
        "pending high",
    );
    assert_eq!(
        codes(&pending_high),
        vec!["grow_revenue", "stabilize_revenue"]
    );
}

/// The §5 lifecycle over 31 simulated days with a manual clock: a code dismissed on day 0
/// is not generated on days 1–29 (nor a second before day 30), comes back as a new pending
/// one on day 30 and is refreshed, not duplicated, on day 31; an accepted one stays
/// accepted (same row) throughout; pending ones are refreshed in place every day.
pub async fn lifecycle_over_thirty_one_days<S>(store: Arc<S>)
where
    S: UserStore
        + BusinessStore
        + IntegrationStore
        + PaymentStore
        + AnalyticsStore
        + RecommendationStore
        + AsPorts
        + ?Sized,
{
    let kit = Kit::new(&store, T0);
    let (owner, business) = funded_business(&*store).await;
    let plain = member(&*store, business, Role::Member).await;
    let system = Actor::System;
    let window = february();

    // Day 0: the jobs run, the owner dismisses one, a member accepts another.
    ok(
        kit.metrics.compute_metrics(&system, business, window).await,
        "metrics",
    );
    let day0 = ok(
        kit.recs.generate_recommendations(&system, business).await,
        "generate day 0",
    );
    assert_eq!(
        codes(&day0),
        vec![
            "focus_on_core_metrics",
            "reduce_chargebacks",
            "grow_revenue",
            "stabilize_revenue"
        ]
    );
    let id_of = |code: &str| day0.iter().find(|r| r.code == code).unwrap().id;
    let dismissed = ok(
        kit.recs
            .update_recommendation_status(owner, id_of("reduce_chargebacks"), Dismissed)
            .await,
        "dismiss",
    );
    assert_eq!(dismissed.status_changed_at, Some(at(T0)));
    ok(
        kit.recs
            .update_recommendation_status(plain, id_of("grow_revenue"), Accepted)
            .await,
        "accept",
    );

    let check_day = |records: &[crate::ports::storage::RecommendationRecord],
                     now: DateTime<Utc>,
                     label: &str| {
        for r in records {
            assert_eq!(r.updated_at, now, "{label}: {} refreshed now", r.code);
            match r.code.as_str() {
                "grow_revenue" => {
                    assert_eq!(r.id, id_of("grow_revenue"), "{label}: same accepted row");
                    assert_eq!(r.status, Accepted, "{label}: accepted stays accepted");
                    assert_eq!(r.status_changed_at, Some(at(T0)));
                }
                "focus_on_core_metrics" | "stabilize_revenue" => {
                    assert_eq!(r.id, id_of(&r.code), "{label}: pending refreshed in place");
                    assert_eq!(r.status, Pending);
                    assert_eq!(r.created_at, at(T0));
                }
                _ => {}
            }
        }
    };

    let suppressed_codes = vec!["focus_on_core_metrics", "grow_revenue", "stabilize_revenue"];
    let mut times: Vec<(String, DateTime<Utc>)> = (1..=29)
        .map(|d| (format!("day {d}"), at(T0 + d * DAY)))
        .collect();
    times.push(("a second before day 30".to_owned(), at(T0 + 30 * DAY - 1)));
    for (label, now) in &times {
        kit.clock.set(*now);
        // The hourly job keeps computing; the window is fixed so the rules fire alike.
        ok(
            kit.metrics.compute_metrics(&system, business, window).await,
            "metrics",
        );
        let generated = ok(
            kit.recs.generate_recommendations(&system, business).await,
            label,
        );
        assert_eq!(codes(&generated), suppressed_codes, "{label}: suppressed");
        check_day(&generated, *now, label);
    }
    let all = ok(
        store.list_recommendations(business, None, None).await,
        "list",
    );
    assert_eq!(all.len(), 4, "no row was added while suppressed");

    // Day 30: thirty days after the dismissal, the code comes back as a new pending one.
    let day30 = at(T0 + 30 * DAY);
    kit.clock.set(day30);
    let generated = ok(
        kit.recs.generate_recommendations(&system, business).await,
        "generate day 30",
    );
    assert_eq!(codes(&generated), codes(&day0), "day 30: all four again");
    check_day(&generated, day30, "day 30");
    let back = generated
        .iter()
        .find(|r| r.code == "reduce_chargebacks")
        .unwrap()
        .clone();
    assert_ne!(back.id, dismissed.id, "a new row, the dismissed one stays");
    assert_eq!(back.status, Pending);
    assert_eq!(back.created_at, day30);
    let old = ok(store.get_recommendation(dismissed.id).await, "get");
    assert_eq!(old.status, Dismissed);

    // Day 31: refreshed, not duplicated.
    let day31 = at(T0 + 31 * DAY);
    kit.clock.set(day31);
    let generated = ok(
        kit.recs.generate_recommendations(&system, business).await,
        "generate day 31",
    );
    check_day(&generated, day31, "day 31");
    let again = generated
        .iter()
        .find(|r| r.code == "reduce_chargebacks")
        .unwrap();
    assert_eq!(again.id, back.id, "day 31: refreshed, not a twin");
    assert_eq!(again.created_at, day30);
    assert_eq!(again.updated_at, day31);

    let all = ok(
        kit.recs
            .get_recommendations(&Actor::User(owner), business, None, None)
            .await,
        "list",
    );
    assert_eq!(all.len(), 5, "four live and the old dismissed one");
    for code in codes(&day0) {
        let live = all
            .iter()
            .filter(|r| r.code == code && r.status != Dismissed)
            .count();
        assert_eq!(live, 1, "one live {code}");
    }
    let dismissed_now = ok(
        kit.recs
            .get_recommendations(&Actor::User(owner), business, Some(Dismissed), None)
            .await,
        "dismissed",
    );
    assert_eq!(
        dismissed_now.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![dismissed.id]
    );
}

/// §5 "Retiring" through the service: when the rules stop firing a code, its pending
/// recommendation becomes resolved (by the system, stamped with the clock) while an
/// accepted one stays accepted; resolved ones are listed only with the `resolved` filter,
/// no user can move one or resolve anything, the top recommendations treat them as not
/// stored, and when the rule fires again a new pending one is made.
pub async fn retired_recommendations_are_resolved_not_reopened<S>(store: Arc<S>)
where
    S: UserStore
        + BusinessStore
        + IntegrationStore
        + PaymentStore
        + AnalyticsStore
        + RecommendationStore
        + AsPorts
        + ?Sized,
{
    let kit = Kit::new(&store, T0);
    let (owner, business) = funded_business(&*store).await;
    let system = Actor::System;
    let actor = Actor::User(owner);
    let feb = ok(
        kit.metrics
            .compute_metrics(&system, business, february())
            .await,
        "metrics",
    );
    let day0 = ok(
        kit.recs.generate_recommendations(&system, business).await,
        "generate day 0",
    );
    let id_of = |code: &str| day0.iter().find(|r| r.code == code).unwrap().id;
    let accepted = ok(
        kit.recs
            .update_recommendation_status(owner, id_of("grow_revenue"), Accepted)
            .await,
        "accept",
    );

    // Day 1, early window: only volatility fires.
    kit.set(T0 + DAY);
    ok(
        kit.metrics
            .compute_metrics(&system, business, early_february())
            .await,
        "metrics",
    );
    let day1 = ok(
        kit.recs.generate_recommendations(&system, business).await,
        "generate day 1",
    );
    assert_eq!(codes(&day1), vec!["stabilize_revenue"]);
    let resolved = ok(
        kit.recs
            .get_recommendations(&actor, business, Some(Resolved), None)
            .await,
        "resolved",
    );
    assert_eq!(
        codes(&resolved),
        vec!["focus_on_core_metrics", "reduce_chargebacks"]
    );
    for r in &resolved {
        assert_eq!(r.id, id_of(&r.code));
        assert_eq!(r.status_changed_at, Some(at(T0 + DAY)));
        assert_eq!(r.created_at, at(T0));
    }
    assert_eq!(
        ok(store.get_recommendation(accepted.id).await, "get"),
        accepted,
        "an accepted one stays accepted, untouched"
    );
    let default_list = ok(
        kit.recs
            .get_recommendations(&actor, business, None, None)
            .await,
        "default list",
    );
    assert_eq!(
        codes(&default_list),
        vec!["grow_revenue", "stabilize_revenue"],
        "the default list leaves resolved ones out"
    );

    // Users cannot move a resolved one, nor resolve one themselves.
    for to in [Accepted, Dismissed] {
        assert_conflict(
            kit.recs
                .update_recommendation_status(owner, id_of("reduce_chargebacks"), to)
                .await,
            &format!("a resolved one made {to}"),
        );
    }
    assert_invalid(
        kit.recs
            .update_recommendation_status(owner, id_of("stabilize_revenue"), Resolved)
            .await,
        "status",
        "a user resolves",
    );
    assert_eq!(
        ok(
            store.get_recommendation(id_of("stabilize_revenue")).await,
            "get"
        )
        .status,
        Pending
    );

    // The top recommendations of a computation where the codes fire again: a resolved
    // record is not live and not a dismissal, so they show as computed, unstored.
    let readiness = score(&Policy::spec_v1(), &Indicators::from(&feb.metrics));
    let computed = crate::recommend::recommend(&Policy::spec_v1(), &readiness, Some(&feb.metrics));
    let top = ok(
        kit.recs
            .top_recommendations(&actor, business, &computed, 10)
            .await,
        "top",
    );
    let shown: Vec<(&str, Option<RecommendationStatus>, Option<Uuid>)> = top
        .iter()
        .map(|t| (t.recommendation.code.as_str(), t.status, t.id))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("focus_on_core_metrics", None, None),
            ("reduce_chargebacks", None, None),
            ("grow_revenue", Some(Accepted), Some(accepted.id)),
            (
                "stabilize_revenue",
                Some(Pending),
                Some(id_of("stabilize_revenue"))
            ),
        ]
    );

    // Day 2, February again: the two fire again as new pending ones.
    kit.set(T0 + 2 * DAY);
    ok(
        kit.metrics
            .compute_metrics(&system, business, february())
            .await,
        "metrics",
    );
    let day2 = ok(
        kit.recs.generate_recommendations(&system, business).await,
        "generate day 2",
    );
    assert_eq!(codes(&day2), codes(&day0));
    for r in &day2 {
        match r.code.as_str() {
            "focus_on_core_metrics" | "reduce_chargebacks" => {
                assert_ne!(r.id, id_of(&r.code), "{}: never reopened", r.code);
                assert_eq!(r.status, Pending);
                assert_eq!(r.created_at, at(T0 + 2 * DAY));
            }
            "grow_revenue" => {
                assert_eq!(r.id, accepted.id);
                assert_eq!(r.status, Accepted);
            }
            _ => assert_eq!(r.id, id_of(&r.code)),
        }
    }
    assert_eq!(
        ok(
            kit.recs
                .get_recommendations(&actor, business, Some(Resolved), None)
                .await,
            "resolved after"
        ),
        resolved,
        "the resolved ones stay as they were"
    );
}

/// A dismissal racing generation runs never leaves a pending twin (METRICS.md §5): 50
/// rounds on one business, each racing the owner's dismissal of every pending
/// recommendation against several generation runs (the jobs' path); after each round no
/// code dismissed less than 30 days ago is pending and no code has two live ones. The
/// clock moves past the suppression period between rounds, so each round starts with the
/// codes pending again.
pub async fn dismissals_racing_generation_leave_no_pending_twin<S>(store: Arc<S>)
where
    S: UserStore
        + BusinessStore
        + IntegrationStore
        + PaymentStore
        + AnalyticsStore
        + RecommendationStore
        + AsPorts
        + ?Sized,
{
    use tokio::sync::Barrier;

    let kit = Kit::new(&store, T0);
    let (owner, business) = funded_business(&*store).await;
    let system = Actor::System;
    ok(
        kit.metrics
            .compute_metrics(&system, business, february())
            .await,
        "metrics",
    );
    const RUNS: usize = 4;
    for round in 0..50i64 {
        let now = T0 + round * 31 * DAY;
        kit.set(now);
        let live = ok(
            kit.recs.generate_recommendations(&system, business).await,
            "generate",
        );
        assert_eq!(live.len(), 4, "round {round}: all pending again");
        assert!(live.iter().all(|r| r.status == Pending));
        let barrier = Arc::new(Barrier::new(RUNS + live.len()));
        let mut runs = Vec::new();
        for _ in 0..RUNS {
            let (recs, barrier) = (kit.recs.clone(), barrier.clone());
            runs.push(tokio::spawn(async move {
                barrier.wait().await;
                super::support::retry(|| recs.generate_recommendations(&Actor::System, business))
                    .await
            }));
        }
        let mut dismissals = Vec::new();
        for record in &live {
            let (recs, barrier, id) = (kit.recs.clone(), barrier.clone(), record.id);
            dismissals.push(tokio::spawn(async move {
                barrier.wait().await;
                super::support::retry(|| recs.update_recommendation_status(owner, id, Dismissed))
                    .await
            }));
        }
        for run in runs {
            if let Err(e) = run.await.unwrap() {
                panic!("round {round}: a generation run failed: {e:?}");
            }
        }
        for dismissal in dismissals {
            assert_eq!(
                ok(dismissal.await.unwrap(), "a racing dismissal").status,
                Dismissed,
                "round {round}"
            );
        }
        super::recommendations::assert_no_pending_twin(&*store, business, at(now), round).await;
    }
}
