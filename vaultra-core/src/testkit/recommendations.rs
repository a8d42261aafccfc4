//! The contract of [`RecommendationStore`](crate::ports::storage::RecommendationStore).

use std::sync::Arc;

use tokio::sync::Barrier;
use uuid::Uuid;

use super::support::{
    assert_conflict, assert_not_found, at, at_micros, ok, owner_and_business, retry, unknown_id,
};
use crate::error::Error;
use crate::ports::storage::{RecommendationRecord, Store};
use crate::recommend::{Priority, Recommendation, RecommendationStatus};

use RecommendationStatus::{Accepted, Dismissed, Pending};

/// 2026-03-01T00:00:00Z.
const T0: i64 = 1_772_323_200;

fn rec(code: &str, priority: Priority, impact: i32) -> Recommendation {
    Recommendation {
        code: code.to_owned(),
        priority,
        score_impact: impact,
        title: format!("Title of {code}"),
        description: format!("Do {code}: worth {impact} points. Ünïcode ✓ and \"quotes\"."),
        factor: Some(format!("factor_of_{code}")),
    }
}

#[track_caller]
fn assert_matches(record: &RecommendationRecord, business: Uuid, r: &Recommendation) {
    assert_eq!(record.business_id, business);
    assert_eq!(record.code, r.code);
    assert_eq!(record.priority, r.priority);
    assert_eq!(record.score_impact, r.score_impact);
    assert_eq!(record.title, r.title);
    assert_eq!(record.description, r.description);
    assert_eq!(record.factor, r.factor);
}

async fn upsert(
    store: &dyn Store,
    business: Uuid,
    r: &Recommendation,
    now: chrono::DateTime<chrono::Utc>,
) -> RecommendationRecord {
    ok(store.upsert_live(business, r, now).await, "upsert_live")
}

async fn set(
    store: &dyn Store,
    id: Uuid,
    from: RecommendationStatus,
    to: RecommendationStatus,
    at: chrono::DateTime<chrono::Utc>,
) -> RecommendationRecord {
    ok(
        store.set_recommendation_status(id, from, to, at).await,
        "set_recommendation_status",
    )
}

/// The first `upsert_live` of a code inserts a pending recommendation created at `now`;
/// the next one refreshes that same row (same id, same `created_at`) with the new
/// priority, impact and texts, and `updated_at = now`.
pub async fn upsert_live_inserts_pending_then_refreshes(store: Arc<dyn Store>) {
    let (_, business) = owner_and_business(&*store).await;
    let t1 = at_micros(T0, 111_111);
    let first = rec("grow_revenue", Priority::Medium, 7);
    let inserted = upsert(&*store, business.id, &first, t1).await;
    assert_matches(&inserted, business.id, &first);
    assert_eq!(inserted.status, Pending);
    assert_eq!(inserted.created_at, t1);
    assert_eq!(inserted.updated_at, t1);
    assert_eq!(inserted.status_changed_at, None);
    assert_eq!(
        ok(
            store.get_recommendation(inserted.id).await,
            "get_recommendation"
        ),
        inserted
    );

    let t2 = at_micros(T0 + 3_600, 222_222);
    let refreshed_rec = Recommendation {
        factor: None,
        ..rec("grow_revenue", Priority::High, 15)
    };
    let refreshed_rec = Recommendation {
        title: "A new title".to_owned(),
        description: "A new description with new numbers: 1,234.56 USD.".to_owned(),
        ..refreshed_rec
    };
    let refreshed = upsert(&*store, business.id, &refreshed_rec, t2).await;
    assert_eq!(
        refreshed.id, inserted.id,
        "the live row is refreshed, not duplicated"
    );
    assert_matches(&refreshed, business.id, &refreshed_rec);
    assert_eq!(refreshed.status, Pending);
    assert_eq!(refreshed.created_at, t1, "created_at is kept");
    assert_eq!(refreshed.updated_at, t2, "updated_at is the refresh time");
    assert_eq!(refreshed.status_changed_at, None);
    assert_eq!(
        ok(
            store.get_recommendation(inserted.id).await,
            "get_recommendation"
        ),
        refreshed
    );
    let all = ok(
        store.list_recommendations(business.id, None, None).await,
        "list_recommendations",
    );
    assert_eq!(all, vec![refreshed]);

    // Another code is another row.
    let other = upsert(
        &*store,
        business.id,
        &rec("reduce_chargebacks", Priority::Low, 2),
        t2,
    )
    .await;
    assert_ne!(other.id, inserted.id);
}

/// Refreshing an accepted recommendation keeps it accepted (and its
/// `status_changed_at`) while updating priority, impact and texts.
pub async fn upsert_live_keeps_accepted_status(store: Arc<dyn Store>) {
    let (_, business) = owner_and_business(&*store).await;
    let inserted = upsert(
        &*store,
        business.id,
        &rec("stabilize_revenue", Priority::Medium, 5),
        at(T0),
    )
    .await;
    let accepted_at = at_micros(T0 + 60, 42);
    let accepted = set(&*store, inserted.id, Pending, Accepted, accepted_at).await;
    assert_eq!(accepted.status, Accepted);
    assert_eq!(accepted.status_changed_at, Some(accepted_at));
    assert_eq!(
        accepted.updated_at, accepted_at,
        "a status change updates updated_at"
    );
    assert_eq!(accepted.created_at, at(T0));

    let newer = rec("stabilize_revenue", Priority::High, 12);
    let t = at(T0 + 7_200);
    let refreshed = upsert(&*store, business.id, &newer, t).await;
    assert_eq!(
        refreshed.id, inserted.id,
        "an accepted recommendation is live"
    );
    assert_eq!(refreshed.status, Accepted, "refreshing keeps the status");
    assert_matches(&refreshed, business.id, &newer);
    assert_eq!(refreshed.status_changed_at, Some(accepted_at));
    assert_eq!(refreshed.updated_at, t);
    assert_eq!(
        ok(
            store.list_recommendations(business.id, None, None).await,
            "list_recommendations"
        ),
        vec![refreshed]
    );
}

/// A dismissed recommendation is not live: the next `upsert_live` of its code inserts a
/// new pending row and leaves the dismissed one as it was.
pub async fn dismissed_is_not_live(store: Arc<dyn Store>) {
    let (_, business) = owner_and_business(&*store).await;
    let r = rec("improve_payout_timing", Priority::High, 11);
    let inserted = upsert(&*store, business.id, &r, at(T0)).await;
    let dismissed_at = at_micros(T0 + 10, 5);
    let dismissed = set(&*store, inserted.id, Pending, Dismissed, dismissed_at).await;
    assert_eq!(dismissed.status, Dismissed);
    assert_eq!(dismissed.status_changed_at, Some(dismissed_at));

    let again = rec("improve_payout_timing", Priority::Medium, 6);
    let t = at(T0 + 86_400 * 31);
    let fresh = upsert(&*store, business.id, &again, t).await;
    assert_ne!(
        fresh.id, inserted.id,
        "a dismissed recommendation is not refreshed"
    );
    assert_eq!(fresh.status, Pending);
    assert_eq!(fresh.created_at, t);
    assert_matches(&fresh, business.id, &again);
    assert_eq!(
        ok(
            store.get_recommendation(inserted.id).await,
            "get_recommendation"
        ),
        dismissed,
        "the dismissed row is unchanged"
    );

    let refreshed = upsert(
        &*store,
        business.id,
        &again,
        t + chrono::Duration::seconds(1),
    )
    .await;
    assert_eq!(
        refreshed.id, fresh.id,
        "the new pending row is the live one"
    );
    let all = ok(
        store.list_recommendations(business.id, None, None).await,
        "list_recommendations",
    );
    assert_eq!(all.len(), 2);
}

/// `list_recommendations` filters by status and priority and orders by priority (high,
/// medium, low), impact descending, code, then newest first; it lists only the
/// business's own.
pub async fn list_recommendations_filters_and_orders(store: Arc<dyn Store>) {
    let (_, business) = owner_and_business(&*store).await;
    let (_, other) = owner_and_business(&*store).await;
    let t = |s: i64| at(T0 + s);

    // The old x_dup, dismissed, then a new pending x_dup with the same rank.
    let x_old = upsert(
        &*store,
        business.id,
        &rec("x_dup", Priority::Medium, 7),
        t(0),
    )
    .await;
    let x_old = set(&*store, x_old.id, Pending, Dismissed, t(1)).await;
    let x_new = upsert(
        &*store,
        business.id,
        &rec("x_dup", Priority::Medium, 7),
        t(100),
    )
    .await;

    let mut made = Vec::new();
    for (i, (code, priority, impact)) in [
        ("c_low", Priority::Low, 3),
        ("b_high", Priority::High, 12),
        ("m_med", Priority::Medium, 7),
        ("z_high", Priority::High, 20),
        ("a_high", Priority::High, 12),
        ("d_med", Priority::Medium, 5),
        ("e_low", Priority::Low, 4),
    ]
    .into_iter()
    .enumerate()
    {
        let r = rec(code, priority, impact);
        made.push(upsert(&*store, business.id, &r, t(10 + i as i64)).await);
    }
    upsert(&*store, other.id, &rec("a_high", Priority::High, 30), t(5)).await;
    let by_code = |code: &str| made.iter().find(|r| r.code == code).unwrap().clone();
    let a_high = set(&*store, by_code("a_high").id, Pending, Accepted, t(200)).await;

    let ids =
        |v: &[RecommendationRecord]| v.iter().map(|r| (r.code.clone(), r.id)).collect::<Vec<_>>();
    let expected = vec![
        by_code("z_high"),
        a_high.clone(),
        by_code("b_high"),
        by_code("m_med"),
        x_new.clone(),
        x_old.clone(),
        by_code("d_med"),
        by_code("e_low"),
        by_code("c_low"),
    ];
    let all = ok(
        store.list_recommendations(business.id, None, None).await,
        "list_recommendations",
    );
    assert_eq!(
        ids(&all),
        ids(&expected),
        "priority, impact descending, code, then newest first"
    );
    assert_eq!(all, expected);

    let filter = |status: Option<RecommendationStatus>, priority: Option<Priority>| {
        expected
            .iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .filter(|r| priority.is_none_or(|p| r.priority == p))
            .cloned()
            .collect::<Vec<_>>()
    };
    for (status, priority) in [
        (Some(Pending), None),
        (Some(Accepted), None),
        (Some(Dismissed), None),
        (None, Some(Priority::High)),
        (None, Some(Priority::Medium)),
        (None, Some(Priority::Low)),
        (Some(Pending), Some(Priority::High)),
        (Some(Dismissed), Some(Priority::High)),
    ] {
        let got = ok(
            store
                .list_recommendations(business.id, status, priority)
                .await,
            "list_recommendations filtered",
        );
        assert_eq!(
            ids(&got),
            ids(&filter(status, priority)),
            "filter status {status:?}, priority {priority:?}"
        );
    }
    assert!(
        ok(
            store.list_recommendations(unknown_id(), None, None).await,
            "list_recommendations unknown business"
        )
        .is_empty()
    );
}

/// `set_recommendation_status` moves a recommendation only if it is still in `from`: a
/// stale `from` is a `Conflict` that changes nothing; an unknown id is `NotFound`.
pub async fn set_status_is_compare_and_set(store: Arc<dyn Store>) {
    let (_, business) = owner_and_business(&*store).await;
    let inserted = upsert(
        &*store,
        business.id,
        &rec("reduce_chargebacks", Priority::High, 15),
        at(T0),
    )
    .await;
    let t1 = at_micros(T0 + 1, 1);
    let accepted = set(&*store, inserted.id, Pending, Accepted, t1).await;
    assert_eq!(accepted.status, Accepted);
    assert_eq!(accepted.id, inserted.id);
    assert_eq!(accepted.status_changed_at, Some(t1));
    assert_eq!(accepted.created_at, inserted.created_at);
    assert_eq!(accepted.title, inserted.title);

    assert_conflict(
        store
            .set_recommendation_status(inserted.id, Pending, Dismissed, at(T0 + 2))
            .await,
        "set_recommendation_status from a stale status",
    );
    assert_conflict(
        store
            .set_recommendation_status(inserted.id, Dismissed, Pending, at(T0 + 2))
            .await,
        "set_recommendation_status from a status it never had",
    );
    assert_eq!(
        ok(
            store.get_recommendation(inserted.id).await,
            "get_recommendation"
        ),
        accepted,
        "a refused change changes nothing"
    );
    assert_eq!(
        ok(
            store
                .last_dismissed_at(business.id, "reduce_chargebacks")
                .await,
            "last_dismissed_at"
        ),
        None
    );

    assert_not_found(
        store
            .set_recommendation_status(unknown_id(), Pending, Accepted, at(T0))
            .await,
        "set_recommendation_status of an unknown id",
    );
    assert_not_found(
        store.get_recommendation(unknown_id()).await,
        "get_recommendation of an unknown id",
    );
}

/// `last_dismissed_at` is the time of the latest dismissal of a code for a business,
/// `None` if never; other codes and businesses do not count.
pub async fn last_dismissed_at_reports_latest_dismissal(store: Arc<dyn Store>) {
    let (_, business) = owner_and_business(&*store).await;
    let (_, other) = owner_and_business(&*store).await;
    let code = "grow_revenue";
    assert_eq!(
        ok(
            store.last_dismissed_at(business.id, code).await,
            "last_dismissed_at"
        ),
        None
    );

    let first = upsert(&*store, business.id, &rec(code, Priority::Low, 2), at(T0)).await;
    let d1 = at_micros(T0 + 100, 77);
    set(&*store, first.id, Pending, Dismissed, d1).await;
    assert_eq!(
        ok(
            store.last_dismissed_at(business.id, code).await,
            "last_dismissed_at"
        ),
        Some(d1)
    );

    let second = upsert(
        &*store,
        business.id,
        &rec(code, Priority::Low, 3),
        at(T0 + 200),
    )
    .await;
    let d2 = at_micros(T0 + 86_400 * 40, 88);
    set(&*store, second.id, Pending, Dismissed, d2).await;
    assert_eq!(
        ok(
            store.last_dismissed_at(business.id, code).await,
            "last_dismissed_at"
        ),
        Some(d2),
        "the latest dismissal"
    );

    let accepted = upsert(
        &*store,
        business.id,
        &rec(code, Priority::Low, 3),
        at(T0 + 86_400 * 41),
    )
    .await;
    set(
        &*store,
        accepted.id,
        Pending,
        Accepted,
        at(T0 + 86_400 * 42),
    )
    .await;
    assert_eq!(
        ok(
            store.last_dismissed_at(business.id, code).await,
            "last_dismissed_at"
        ),
        Some(d2),
        "an acceptance is not a dismissal"
    );

    let elsewhere = upsert(&*store, other.id, &rec(code, Priority::Low, 2), at(T0)).await;
    set(
        &*store,
        elsewhere.id,
        Pending,
        Dismissed,
        at(T0 + 86_400 * 50),
    )
    .await;
    assert_eq!(
        ok(
            store.last_dismissed_at(business.id, code).await,
            "last_dismissed_at"
        ),
        Some(d2),
        "other businesses do not count"
    );
    assert_eq!(
        ok(
            store
                .last_dismissed_at(business.id, "stabilize_revenue")
                .await,
            "last_dismissed_at other code"
        ),
        None
    );
}

/// Concurrent `upsert_live` calls for one code never create a second live row: every
/// call returns the same id and one row exists (retryable errors are retried).
pub async fn concurrent_upsert_live_keeps_one_live(store: Arc<dyn Store>) {
    let (_, business) = owner_and_business(&*store).await;
    for round in 0..4 {
        let code = format!("race_{round}");
        let tasks_n = 6;
        let barrier = Arc::new(Barrier::new(tasks_n));
        let mut tasks = Vec::new();
        for i in 0..tasks_n {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            let r = rec(&code, Priority::Medium, 5 + i as i32);
            let business = business.id;
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                retry(|| store.upsert_live(business, &r, at(T0 + i as i64))).await
            }));
        }
        let mut ids = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(record) => ids.push(record.id),
                Err(e) => panic!("round {round}: concurrent upsert_live failed: {e:?}"),
            }
        }
        ids.dedup();
        assert_eq!(
            ids.len(),
            1,
            "round {round}: every call saw the same live row"
        );
        let rows: Vec<_> = ok(
            store.list_recommendations(business.id, None, None).await,
            "list_recommendations",
        )
        .into_iter()
        .filter(|r| r.code == code)
        .collect();
        assert_eq!(rows.len(), 1, "round {round}: one live row, got {rows:?}");
        assert_eq!(rows[0].status, Pending);
    }
}

/// Two concurrent moves out of `pending` (accept and dismiss): exactly one wins, the
/// other is a `Conflict`, and the stored status is the winner's.
pub async fn concurrent_status_changes_one_wins(store: Arc<dyn Store>) {
    let (_, business) = owner_and_business(&*store).await;
    for round in 0..6 {
        let r = rec(&format!("cas_{round}"), Priority::Low, 1);
        let inserted = upsert(&*store, business.id, &r, at(T0)).await;
        let barrier = Arc::new(Barrier::new(2));
        let mut tasks = Vec::new();
        for to in [Accepted, Dismissed] {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            let id = inserted.id;
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let result =
                    retry(|| store.set_recommendation_status(id, Pending, to, at(T0 + 5))).await;
                (to, result)
            }));
        }
        let mut winners = Vec::new();
        let mut conflicts = 0;
        for task in tasks {
            match task.await.unwrap() {
                (to, Ok(record)) => {
                    assert_eq!(record.status, to);
                    winners.push(to);
                }
                (_, Err(Error::Conflict { .. })) => conflicts += 1,
                (_, Err(e)) => panic!("round {round}: unexpected error {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one move wins");
        assert_eq!(conflicts, 1, "round {round}: the other is a Conflict");
        assert_eq!(
            ok(
                store.get_recommendation(inserted.id).await,
                "get_recommendation"
            )
            .status,
            winners[0]
        );
    }
}
