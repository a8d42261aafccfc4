//! The contract of [`AnalyticsStore`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::support::{
    assert_not_found, assert_not_found_naming, at_micros, date, ok, owner_and_business, unknown_id,
};
use crate::domain::Currency;
use crate::metrics::{MetricParts, Window};
use crate::ports::storage::{
    AnalyticsStore, BusinessStore, NewScore, NewSnapshot, ScoreRecord, UserStore,
};
use crate::scoring::{Indicators, Policy, Readiness, score};

/// 2026-03-01T00:00:00Z.
const T0: i64 = 1_772_323_200;

fn parts(end: &str, days: u16, currency: &str, seed: i128) -> MetricParts {
    let window = Window::new(date(end), days).unwrap();
    let daily_revenue = (0..i128::from(days))
        .map(|i| if i % 3 == 0 { 0 } else { (seed + i) * 1_001 })
        .collect();
    MetricParts {
        window,
        currency: Currency::parse(currency).unwrap(),
        daily_revenue,
        transaction_count: 17 + seed as u64,
        refunded: seed * 3,
        chargeback_count: 1,
        payouts_due: 4,
        payouts_on_time: 3,
    }
}

fn snapshot(business: Uuid, computed_at: DateTime<Utc>, parts: MetricParts) -> NewSnapshot {
    NewSnapshot {
        business_id: business,
        computed_at,
        parts,
        data_synced_at: None,
        history_days: 90,
    }
}

#[track_caller]
fn assert_stored(stored: &crate::ports::storage::MetricSnapshot, new: &NewSnapshot) {
    assert_eq!(stored.business_id, new.business_id);
    assert_eq!(stored.computed_at, new.computed_at);
    assert_eq!(stored.parts, new.parts, "parts round-trip exactly");
    assert_eq!(stored.data_synced_at, new.data_synced_at);
    assert_eq!(stored.history_days, new.history_days);
}

/// A snapshot's parts come back exactly: 64-bit sums beyond 2⁵³ (no float on the way),
/// zero- and three-decimal currencies, the shortest and longest windows, empty days;
/// `computed_at` and `data_synced_at` keep their microseconds.
pub async fn snapshot_round_trips_parts_exactly<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AnalyticsStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let big = i128::from(i64::MAX);
    let beyond_f64 = (1_i128 << 53) + 1;
    let mut huge = parts("2026-03-31", 30, "usd", 5);
    huge.daily_revenue[0] = big;
    huge.daily_revenue[1] = beyond_f64;
    huge.daily_revenue[29] = big - 1;
    huge.transaction_count = (1_u64 << 53) + 1;
    huge.refunded = big;
    huge.chargeback_count = (1_u64 << 40) + 3;
    huge.payouts_due = i64::MAX as u64;
    huge.payouts_on_time = i64::MAX as u64 - 1;

    let cases = [
        NewSnapshot {
            data_synced_at: Some(at_micros(T0 - 60, 654_321)),
            history_days: 3_650,
            ..snapshot(business.id, at_micros(T0, 123_456), huge)
        },
        NewSnapshot {
            history_days: 0,
            ..snapshot(
                business.id,
                at_micros(T0 + 1, 1),
                parts("2026-03-31", 366, "jpy", 900_000),
            )
        },
        snapshot(
            business.id,
            at_micros(T0 + 2, 999_999),
            MetricParts {
                daily_revenue: vec![0, 0],
                transaction_count: 0,
                refunded: 0,
                chargeback_count: 0,
                payouts_due: 0,
                payouts_on_time: 0,
                ..parts("2026-03-31", 2, "kwd", 1)
            },
        ),
    ];
    for new in cases {
        let stored = ok(store.insert_snapshot(new.clone()).await, "insert_snapshot");
        assert_stored(&stored, &new);
        let latest = ok(store.latest_snapshot(business.id).await, "latest_snapshot");
        assert_eq!(latest.as_ref(), Some(&stored), "read back exactly");
    }
    let all = ok(
        store
            .snapshots_between(business.id, date("2026-01-01"), date("2026-12-31"))
            .await,
        "snapshots_between",
    );
    assert_eq!(all.len(), 3);
    let ids: std::collections::HashSet<_> = all.iter().map(|s| s.id).collect();
    assert_eq!(ids.len(), 3, "ids are distinct");
}

/// `insert_snapshot` for an unknown business is `NotFound` naming the business.
pub async fn insert_snapshot_for_unknown_business_is_not_found<S>(store: Arc<S>)
where
    S: AnalyticsStore + ?Sized,
{
    let business = unknown_id();
    assert_not_found_naming(
        store
            .insert_snapshot(snapshot(
                business,
                at_micros(T0, 0),
                parts("2026-03-31", 30, "usd", 1),
            ))
            .await,
        "business",
        business,
        "insert_snapshot",
    );
    assert_eq!(
        ok(store.latest_snapshot(business).await, "latest_snapshot"),
        None
    );
}

/// `latest_snapshot` is the most recently computed one, whatever the insertion order;
/// among equal `computed_at`, the one whose window ends latest. `None` without snapshots;
/// other businesses' snapshots do not count.
pub async fn latest_snapshot_is_most_recently_computed<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AnalyticsStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let (_, other) = owner_and_business(&*store).await;
    assert_eq!(
        ok(store.latest_snapshot(business.id).await, "latest_snapshot"),
        None
    );
    let insert = |new: NewSnapshot| {
        let store = Arc::clone(&store);
        async move { ok(store.insert_snapshot(new).await, "insert_snapshot") }
    };
    let _s1 = insert(snapshot(
        business.id,
        at_micros(T0 + 10, 0),
        parts("2026-03-05", 30, "usd", 1),
    ))
    .await;
    let s2 = insert(snapshot(
        business.id,
        at_micros(T0 + 30, 1),
        parts("2026-03-03", 30, "usd", 2),
    ))
    .await;
    let _s3 = insert(snapshot(
        business.id,
        at_micros(T0 + 30, 0),
        parts("2026-03-09", 30, "usd", 3),
    ))
    .await;
    let _later_elsewhere = insert(snapshot(
        other.id,
        at_micros(T0 + 99, 0),
        parts("2026-03-09", 30, "usd", 9),
    ))
    .await;
    assert_eq!(
        ok(store.latest_snapshot(business.id).await, "latest_snapshot"),
        Some(s2.clone()),
        "the most recent computation wins, by the microsecond"
    );

    // Same computed_at as s2, later window end: it wins the tie.
    let s4 = insert(snapshot(
        business.id,
        at_micros(T0 + 30, 1),
        parts("2026-03-04", 30, "usd", 4),
    ))
    .await;
    // Same computed_at, earlier window end: it does not.
    let _s5 = insert(snapshot(
        business.id,
        at_micros(T0 + 30, 1),
        parts("2026-03-02", 30, "usd", 5),
    ))
    .await;
    assert_eq!(
        ok(store.latest_snapshot(business.id).await, "latest_snapshot"),
        Some(s4),
        "ties on computed_at go to the latest window end"
    );
}

/// `snapshots_between` returns the snapshots whose window ends within `start..=end`
/// (both inclusive), oldest computation first, and only the business's own.
pub async fn snapshots_between_filters_by_window_end<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AnalyticsStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let (_, other) = owner_and_business(&*store).await;
    let ends_and_times = [
        ("2026-03-09", 4), // before start
        ("2026-03-10", 3), // start
        ("2026-03-15", 5),
        ("2026-03-20", 1), // end
        ("2026-03-21", 2), // after end
        ("2026-03-12", 0),
    ];
    let mut stored = Vec::new();
    for (i, (end, offset)) in ends_and_times.into_iter().enumerate() {
        let new = snapshot(
            business.id,
            at_micros(T0 + offset * 60, 500),
            parts(end, 7, "eur", i as i128),
        );
        stored.push((end, ok(store.insert_snapshot(new).await, "insert_snapshot")));
    }
    ok(
        store
            .insert_snapshot(snapshot(
                other.id,
                at_micros(T0, 0),
                parts("2026-03-15", 7, "eur", 0),
            ))
            .await,
        "insert_snapshot other",
    );

    let got = ok(
        store
            .snapshots_between(business.id, date("2026-03-10"), date("2026-03-20"))
            .await,
        "snapshots_between",
    );
    let mut expected: Vec<_> = stored
        .iter()
        .filter(|(end, _)| ("2026-03-10"..="2026-03-20").contains(end))
        .map(|(_, s)| s.clone())
        .collect();
    expected.sort_by_key(|s| s.computed_at);
    assert_eq!(
        got, expected,
        "window end in start..=end, oldest computation first"
    );

    let one_day = ok(
        store
            .snapshots_between(business.id, date("2026-03-15"), date("2026-03-15"))
            .await,
        "snapshots_between (one day)",
    );
    assert_eq!(one_day.len(), 1);
    assert_eq!(one_day[0].parts.window.end_date(), date("2026-03-15"));
    assert!(
        ok(
            store
                .snapshots_between(business.id, date("2025-01-01"), date("2025-12-31"))
                .await,
            "snapshots_between (none)"
        )
        .is_empty()
    );
}

fn readiness_of(parts: MetricParts) -> Readiness {
    let metrics = parts.into_metrics().unwrap();
    score(&Policy::spec_v1(), &Indicators::from(&metrics))
}

fn new_score(
    business: Uuid,
    snapshot_id: Option<Uuid>,
    computed_at: DateTime<Utc>,
    readiness: Readiness,
) -> NewScore {
    NewScore {
        business_id: business,
        snapshot_id,
        computed_at,
        readiness,
    }
}

#[track_caller]
fn assert_score(record: &ScoreRecord, new: &NewScore) {
    let r = &new.readiness;
    assert_eq!(record.business_id, new.business_id);
    assert_eq!(record.snapshot_id, new.snapshot_id);
    assert_eq!(record.computed_at, new.computed_at);
    assert_eq!(record.score, r.score);
    assert_eq!(record.tier, r.tier);
    assert_eq!(record.tier_label, r.tier_label);
    assert_eq!(record.policy, r.policy);
    assert_eq!(record.max_attainable, r.max_attainable);
    let serialized = serde_json::to_value(r).unwrap();
    assert_eq!(
        record.factors, serialized["factors"],
        "factors as serialized by Readiness"
    );
}

/// A score comes back with its readiness fields and factors (numbers, `null`s, trends)
/// exactly as `Readiness` serializes them, with or without a snapshot.
pub async fn score_round_trips<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AnalyticsStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let snap = ok(
        store
            .insert_snapshot(snapshot(
                business.id,
                at_micros(T0, 0),
                parts("2026-03-31", 30, "usd", 7),
            ))
            .await,
        "insert_snapshot",
    );
    let rich = readiness_of(parts("2026-03-31", 30, "usd", 7));
    let empty = readiness_of(MetricParts {
        daily_revenue: vec![0; 30],
        transaction_count: 0,
        refunded: 0,
        chargeback_count: 0,
        payouts_due: 0,
        payouts_on_time: 0,
        ..parts("2026-03-31", 30, "usd", 0)
    });
    assert!(
        empty
            .factors
            .iter()
            .any(|f| f.value == crate::scoring::MetricValue::Undefined),
        "the fixture has undefined factors"
    );
    for new in [
        new_score(business.id, Some(snap.id), at_micros(T0 + 1, 250_001), rich),
        new_score(business.id, None, at_micros(T0 + 2, 0), empty),
    ] {
        let record = ok(store.insert_score(new.clone()).await, "insert_score");
        assert_score(&record, &new);
        let latest = ok(store.latest_score(business.id).await, "latest_score");
        assert_eq!(latest.as_ref(), Some(&record), "read back exactly");
    }
}

/// `insert_score` for an unknown business, or naming an unknown snapshot, is
/// `NotFound` and stores nothing.
pub async fn insert_score_for_unknown_business_or_snapshot_is_not_found<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AnalyticsStore + ?Sized,
{
    let readiness = readiness_of(parts("2026-03-31", 30, "usd", 3));
    assert_not_found(
        store
            .insert_score(new_score(
                unknown_id(),
                None,
                at_micros(T0, 0),
                readiness.clone(),
            ))
            .await,
        "insert_score for an unknown business",
    );
    let (_, business) = owner_and_business(&*store).await;
    assert_not_found(
        store
            .insert_score(new_score(
                business.id,
                Some(unknown_id()),
                at_micros(T0, 0),
                readiness,
            ))
            .await,
        "insert_score with an unknown snapshot",
    );
    assert_eq!(
        ok(store.latest_score(business.id).await, "latest_score"),
        None
    );
}

/// `latest_score` is the most recently computed; `score_history` returns the last
/// `limit` scores newest first (all when fewer, none for 0), only the business's own.
pub async fn latest_score_and_history_newest_first<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AnalyticsStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let (_, other) = owner_and_business(&*store).await;
    assert_eq!(
        ok(store.latest_score(business.id).await, "latest_score"),
        None
    );
    assert!(ok(store.score_history(business.id, 10).await, "score_history").is_empty());

    let readiness = readiness_of(parts("2026-03-31", 30, "usd", 3));
    // Inserted out of order.
    let mut records = Vec::new();
    for offset in [20, 5, 40, 10, 30] {
        let new = new_score(
            business.id,
            None,
            at_micros(T0 + offset, 7),
            readiness.clone(),
        );
        records.push(ok(store.insert_score(new).await, "insert_score"));
    }
    ok(
        store
            .insert_score(new_score(other.id, None, at_micros(T0 + 99, 0), readiness))
            .await,
        "insert_score other",
    );
    records.sort_by_key(|r| std::cmp::Reverse(r.computed_at));

    assert_eq!(
        ok(store.latest_score(business.id).await, "latest_score"),
        Some(records[0].clone())
    );
    assert_eq!(
        ok(store.score_history(business.id, 3).await, "score_history 3"),
        records[..3].to_vec(),
        "the last 3, newest first"
    );
    assert_eq!(
        ok(
            store.score_history(business.id, 10).await,
            "score_history 10"
        ),
        records,
        "all, newest first"
    );
    assert_eq!(
        ok(store.score_history(business.id, 1).await, "score_history 1"),
        records[..1].to_vec()
    );
    assert!(ok(store.score_history(business.id, 0).await, "score_history 0").is_empty());
}

/// `get_snapshot` returns exactly the stored snapshot by id (also one that is no longer
/// the latest); an unknown id is `NotFound`.
pub async fn get_snapshot_reads_by_id<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + AnalyticsStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let first_new = NewSnapshot {
        data_synced_at: Some(at_micros(T0 - 30, 250_000)),
        ..snapshot(
            business.id,
            at_micros(T0, 500),
            parts("2026-03-31", 30, "eur", 7),
        )
    };
    let first = ok(
        store.insert_snapshot(first_new.clone()).await,
        "insert_snapshot",
    );
    let second = ok(
        store
            .insert_snapshot(snapshot(
                business.id,
                at_micros(T0 + 60, 0),
                parts("2026-03-15", 7, "usd", 2),
            ))
            .await,
        "insert_snapshot",
    );
    let got = ok(store.get_snapshot(first.id).await, "get_snapshot");
    assert_eq!(got, first);
    assert_stored(&got, &first_new);
    assert_eq!(
        ok(store.get_snapshot(second.id).await, "get_snapshot"),
        second
    );
    assert_not_found(store.get_snapshot(unknown_id()).await, "unknown snapshot");
}
