//! The contract of [`RecommendationStore`].

use std::sync::Arc;

use tokio::sync::Barrier;
use uuid::Uuid;

use super::support::{
    assert_conflict, assert_not_found, at, at_micros, ok, owner_and_business, retry, unknown_id,
};
use crate::error::Error;
use crate::ports::storage::{BusinessStore, RecommendationRecord, RecommendationStore, UserStore};
use crate::recommend::{Priority, Recommendation, RecommendationStatus};

use RecommendationStatus::{Accepted, Dismissed, Pending, Resolved};

/// 2026-03-01T00:00:00Z.
const T0: i64 = 1_772_323_200;
const DAY: i64 = 86_400;

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

async fn upsert<S>(
    store: &S,
    business: Uuid,
    r: &Recommendation,
    now: chrono::DateTime<chrono::Utc>,
) -> RecommendationRecord
where
    S: RecommendationStore + ?Sized,
{
    ok(store.upsert_live(business, r, now).await, "upsert_live")
}

async fn set<S>(
    store: &S,
    id: Uuid,
    from: RecommendationStatus,
    to: RecommendationStatus,
    at: chrono::DateTime<chrono::Utc>,
) -> RecommendationRecord
where
    S: RecommendationStore + ?Sized,
{
    ok(
        store.set_recommendation_status(id, from, to, at).await,
        "set_recommendation_status",
    )
}

/// The first `upsert_live` of a code inserts a pending recommendation created at `now`;
/// the next one refreshes that same row (same id, same `created_at`) with the new
/// priority, impact and texts, and `updated_at = now`.
pub async fn upsert_live_inserts_pending_then_refreshes<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
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
pub async fn upsert_live_keeps_accepted_status<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
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
pub async fn dismissed_is_not_live<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
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
pub async fn list_recommendations_filters_and_orders<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
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
pub async fn set_status_is_compare_and_set<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
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
pub async fn last_dismissed_at_reports_latest_dismissal<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
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
pub async fn concurrent_upsert_live_keeps_one_live<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
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
pub async fn concurrent_status_changes_one_wins<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
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

/// One generation run through `store_generation`, with the suppression edge of `now`.
async fn generation<S>(
    store: &S,
    business: Uuid,
    recs: &[Recommendation],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<RecommendationRecord>
where
    S: RecommendationStore + ?Sized,
{
    ok(
        store
            .store_generation(business, recs, now, crate::recommend::suppressed_after(now))
            .await,
        "store_generation",
    )
}

fn codes_of(records: &[RecommendationRecord]) -> Vec<&str> {
    records.iter().map(|r| r.code.as_str()).collect()
}

/// `store_generation` retires: a pending recommendation whose code a run no longer
/// produces becomes `resolved` (stamped with the run's time); an accepted one stays as it
/// was; other businesses are untouched. Resolved ones are listed only with the
/// `resolved` filter, are never refreshed or reopened, and a later firing of the code
/// stores a new pending one beside them. A run producing nothing resolves every pending
/// one.
pub async fn store_generation_retires_codes_no_longer_produced<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let (_, other) = owner_and_business(&*store).await;
    let a = rec("grow_revenue", Priority::High, 15);
    let b = rec("reduce_chargebacks", Priority::Medium, 7);
    let c = rec("stabilize_revenue", Priority::Low, 3);

    let t1 = at_micros(T0, 1);
    let first = generation(&*store, business.id, &[a.clone(), b.clone(), c.clone()], t1).await;
    assert_eq!(codes_of(&first), vec![a.code.as_str(), &b.code, &c.code]);
    for (record, r) in first.iter().zip([&a, &b, &c]) {
        assert_matches(record, business.id, r);
        assert_eq!(record.status, Pending);
        assert_eq!(record.created_at, t1);
    }
    let elsewhere = generation(&*store, other.id, std::slice::from_ref(&c), t1).await;
    let accepted = set(&*store, first[1].id, Pending, Accepted, at(T0 + 60)).await;

    // Only `a` fires now: `c` (pending) is resolved, `b` (accepted) stays accepted.
    let t2 = at_micros(T0 + DAY, 2);
    let a2 = rec("grow_revenue", Priority::High, 13);
    let second = generation(&*store, business.id, std::slice::from_ref(&a2), t2).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, first[0].id, "refreshed in place");
    assert_matches(&second[0], business.id, &a2);
    let resolved = ok(
        store.get_recommendation(first[2].id).await,
        "get_recommendation",
    );
    assert_eq!(resolved.status, Resolved);
    assert_eq!(resolved.status_changed_at, Some(t2));
    assert_eq!(resolved.updated_at, t2);
    assert_eq!(resolved.created_at, t1);
    assert_matches(&resolved, business.id, &c);
    assert_eq!(
        ok(store.get_recommendation(accepted.id).await, "get"),
        accepted,
        "an accepted one is neither resolved nor touched"
    );
    assert_eq!(
        ok(store.get_recommendation(elsewhere[0].id).await, "get").status,
        Pending,
        "another business's pending one of the same code stays pending"
    );

    let list = |status: Option<RecommendationStatus>| {
        let store = Arc::clone(&store);
        async move {
            ok(
                store.list_recommendations(business.id, status, None).await,
                "list_recommendations",
            )
        }
    };
    assert_eq!(
        list(None).await,
        vec![second[0].clone(), accepted.clone()],
        "the default list leaves resolved ones out"
    );
    assert_eq!(list(Some(Resolved)).await, vec![resolved.clone()]);
    assert_eq!(list(Some(Pending)).await, vec![second[0].clone()]);
    assert!(
        ok(
            store
                .list_recommendations(business.id, Some(Resolved), Some(Priority::High))
                .await,
            "list resolved high"
        )
        .is_empty()
    );

    // `c` fires again: a new pending one, the resolved one stays resolved.
    let t3 = at_micros(T0 + 2 * DAY, 3);
    let c3 = rec("stabilize_revenue", Priority::Medium, 6);
    let third = generation(&*store, business.id, &[a2.clone(), c3.clone()], t3).await;
    assert_eq!(codes_of(&third), vec!["grow_revenue", "stabilize_revenue"]);
    let reborn = third[1].clone();
    assert_ne!(reborn.id, resolved.id, "a resolved one is never reopened");
    assert_eq!(reborn.status, Pending);
    assert_eq!(reborn.created_at, t3);
    assert_eq!(reborn.status_changed_at, None);
    assert_matches(&reborn, business.id, &c3);
    assert_eq!(
        ok(store.get_recommendation(resolved.id).await, "get"),
        resolved,
        "the resolved one is unchanged"
    );
    assert_eq!(list(Some(Resolved)).await, vec![resolved.clone()]);
    assert_eq!(
        ids_of(&list(None).await),
        ids_of(&[third[0].clone(), accepted.clone(), reborn.clone()])
    );

    // A run that produces nothing resolves every pending one; the accepted one stays.
    let t4 = at_micros(T0 + 3 * DAY, 4);
    assert!(generation(&*store, business.id, &[], t4).await.is_empty());
    let now_resolved = list(Some(Resolved)).await;
    assert_eq!(
        ids_of(&now_resolved),
        ids_of(&[third[0].clone(), reborn.clone(), resolved.clone()]),
        "§5 order: priority, impact, code, newest first"
    );
    assert!(
        now_resolved[..2]
            .iter()
            .all(|r| r.status_changed_at == Some(t4))
    );
    assert_eq!(list(None).await, vec![accepted]);

    assert_not_found(
        store.store_generation(unknown_id(), &[a], t4, t4).await,
        "store_generation for an unknown business",
    );
    assert_not_found(
        store.store_generation(unknown_id(), &[], t4, t4).await,
        "store_generation of nothing for an unknown business",
    );
}

fn ids_of(records: &[RecommendationRecord]) -> Vec<(String, Uuid)> {
    records.iter().map(|r| (r.code.clone(), r.id)).collect()
}

/// `store_generation` skips a code with no live recommendation that was dismissed after
/// `suppressed_after` (and does not resolve anything for it), stores it again once the
/// dismissal is not after that instant, and always refreshes a live one.
pub async fn store_generation_skips_recently_dismissed_codes<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let r = rec("improve_payout_timing", Priority::Medium, 8);
    let kept = rec("grow_revenue", Priority::Low, 2);
    let first = generation(&*store, business.id, &[r.clone(), kept.clone()], at(T0)).await;
    let dismissed_at = at_micros(T0 + 10, 500);
    let dismissed = set(&*store, first[0].id, Pending, Dismissed, dismissed_at).await;

    let both = [r.clone(), kept.clone()];
    for (label, suppressed_after) in [
        ("long before", at(T0 - DAY)),
        ("a microsecond before", at_micros(T0 + 10, 499)),
    ] {
        let got = ok(
            store
                .store_generation(business.id, &both, at(T0 + 20), suppressed_after)
                .await,
            label,
        );
        assert_eq!(codes_of(&got), vec!["grow_revenue"], "{label}: suppressed");
        assert_eq!(got[0].id, first[1].id);
        assert_eq!(
            got[0].status, Pending,
            "{label}: a produced code is not resolved"
        );
    }
    let all = ok(
        store.list_recommendations(business.id, None, None).await,
        "list",
    );
    assert_eq!(all.len(), 2, "no row was added while suppressed: {all:?}");

    // Not suppressed once the dismissal is not after the edge (exactly at it included).
    let got = ok(
        store
            .store_generation(business.id, &both, at(T0 + 30), dismissed_at)
            .await,
        "at the edge",
    );
    assert_eq!(
        codes_of(&got),
        vec!["improve_payout_timing", "grow_revenue"]
    );
    let back = got[0].clone();
    assert_ne!(back.id, dismissed.id);
    assert_eq!(back.status, Pending);
    assert_eq!(back.created_at, at(T0 + 30));
    assert_eq!(
        ok(store.get_recommendation(dismissed.id).await, "get"),
        dismissed
    );

    // A live one is refreshed even if an older row of its code was dismissed recently.
    let again = ok(
        store
            .store_generation(business.id, &both, at(T0 + 40), at(T0 - DAY))
            .await,
        "live one with a recent dismissal",
    );
    assert_eq!(again[0].id, back.id);
    assert_eq!(again[0].updated_at, at(T0 + 40));
}

/// A dismissal racing generation runs never leaves a pending recommendation of the code
/// it dismissed, nor two live ones of a code: 50 rounds, each racing a dismissal of every
/// live code against several `store_generation` runs of the same codes, all on one
/// business. Between rounds the clock moves past the suppression period, so each round
/// starts with the codes pending again.
pub async fn concurrent_dismissals_and_generations_leave_no_pending_twin<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let business = business.id;
    let recs: Vec<Recommendation> = [
        ("focus_on_core_metrics", 30),
        ("reduce_chargebacks", 20),
        ("grow_revenue", 15),
    ]
    .into_iter()
    .map(|(code, impact)| rec(code, Priority::High, impact))
    .collect();
    let recs = Arc::new(recs);
    const RUNS: usize = 4;
    for round in 0..50i64 {
        let now = at(T0 + round * 31 * DAY);
        let live = generation(&*store, business, &recs, now).await;
        assert_eq!(live.len(), recs.len(), "round {round}: all pending again");
        let barrier = Arc::new(Barrier::new(RUNS + live.len()));
        let mut runs = Vec::new();
        for _ in 0..RUNS {
            let (store, barrier, recs) = (store.clone(), barrier.clone(), recs.clone());
            runs.push(tokio::spawn(async move {
                barrier.wait().await;
                retry(|| {
                    store.store_generation(
                        business,
                        &recs,
                        now,
                        crate::recommend::suppressed_after(now),
                    )
                })
                .await
            }));
        }
        let mut dismissals = Vec::new();
        for record in &live {
            let (store, barrier, id) = (store.clone(), barrier.clone(), record.id);
            dismissals.push(tokio::spawn(async move {
                barrier.wait().await;
                retry(|| store.set_recommendation_status(id, Pending, Dismissed, now)).await
            }));
        }
        for run in runs {
            if let Err(e) = run.await.unwrap() {
                panic!("round {round}: a generation run failed: {e:?}");
            }
        }
        for dismissal in dismissals {
            let dismissed = dismissal.await.unwrap();
            assert_eq!(
                ok(dismissed, "a racing dismissal").status,
                Dismissed,
                "round {round}"
            );
        }
        assert_no_pending_twin(&*store, business, now, round).await;
    }
}

/// After a race: no code has two live recommendations, and no code dismissed less than
/// the suppression period before `now` has a pending one.
pub(crate) async fn assert_no_pending_twin<S>(
    store: &S,
    business: Uuid,
    now: chrono::DateTime<chrono::Utc>,
    round: i64,
) where
    S: RecommendationStore + ?Sized,
{
    let all = ok(
        store.list_recommendations(business, None, None).await,
        "list_recommendations",
    );
    let mut codes: Vec<&str> = all.iter().map(|r| r.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        let of_code = || all.iter().filter(move |r| r.code == code);
        let live = of_code().filter(|r| r.status.is_live()).count();
        assert!(live <= 1, "round {round}: {live} live {code}: {all:#?}");
        let last_dismissed = of_code()
            .filter(|r| r.status == Dismissed)
            .filter_map(|r| r.status_changed_at)
            .max();
        if let Some(dismissed_at) = last_dismissed
            && crate::recommend::is_suppressed(dismissed_at, now)
        {
            let pending: Vec<_> = of_code().filter(|r| r.status == Pending).collect();
            assert!(
                pending.is_empty(),
                "round {round}: {code} was dismissed at {dismissed_at} but is pending again: \
                 {pending:#?}"
            );
        }
    }
}
