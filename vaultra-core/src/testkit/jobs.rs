//! The contracts of [`JobLedger`] and
//! [`NotificationStore`].

use std::sync::Arc;

use chrono::Duration;
use tokio::sync::Barrier;
use uuid::Uuid;

use super::support::{at, new_business, new_user, ok, owner_and_business, unknown_id};
use crate::domain::Role;
use crate::ports::jobs::{
    Begin, DigestItem, JobKind, JobLedger, JobTask, NewDigest, NotificationStore, RunStatus,
    Takeover,
};
use crate::ports::storage::{BusinessStore, RecommendationStore, UserStore};
use crate::recommend::{Priority, Recommendation, RecommendationStatus};

/// 2026-03-01T00:00:00Z.
const T0: i64 = 1_772_323_200;

fn task(job: JobKind) -> JobTask {
    // A fresh subject per call, so cases never share keys on a shared database.
    JobTask::for_subject(job, Uuid::new_v4(), at(T0))
}

/// A first start runs; a finished run is never started again, whoever asks.
pub async fn ledger_runs_a_key_once<S>(store: Arc<S>)
where
    S: JobLedger + ?Sized,
{
    let t = task(JobKind::ComputeMetrics);
    let first = ok(
        store.begin_run(&t, at(T0 + 5), Takeover::Always).await,
        "begin_run",
    );
    assert_eq!(first, Begin::Started { attempt: 1 });
    ok(
        store
            .finish_run(&t.key(), RunStatus::Succeeded, None, at(T0 + 9))
            .await,
        "finish_run",
    );
    for takeover in [Takeover::Always, Takeover::After(Duration::zero())] {
        let again = ok(
            store.begin_run(&t, at(T0 + 60), takeover).await,
            "begin_run",
        );
        assert_eq!(again, Begin::Skipped(RunStatus::Succeeded));
    }
    let run = ok(store.job_run(&t.key()).await, "job_run");
    let run = run.unwrap_or_else(|| panic!("run of {} missing", t.key()));
    assert_eq!(run.kind, JobKind::ComputeMetrics);
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.attempts, 1);
    assert_eq!(run.started_at, at(T0 + 5));
    assert_eq!(run.finished_at, Some(at(T0 + 9)));
    assert_eq!(run.last_error, None);

    // A failed run is not started again either; its error is kept.
    let f = task(JobKind::StripeSync);
    ok(
        store.begin_run(&f, at(T0), Takeover::Always).await,
        "begin_run",
    );
    ok(
        store
            .finish_run(&f.key(), RunStatus::Failed, Some("stripe: 500"), at(T0 + 1))
            .await,
        "finish_run",
    );
    assert_eq!(
        ok(
            store.begin_run(&f, at(T0 + 2), Takeover::Always).await,
            "begin_run"
        ),
        Begin::Skipped(RunStatus::Failed)
    );
    let failed = ok(store.job_run(&f.key()).await, "job_run");
    assert_eq!(
        failed.and_then(|r| r.last_error).as_deref(),
        Some("stripe: 500")
    );
    assert_eq!(
        ok(store.job_run("compute_metrics:nope").await, "job_run"),
        None
    );
}

/// A run still marked running is taken over only as the rule allows, counting starts.
pub async fn ledger_takeover_rules<S>(store: Arc<S>)
where
    S: JobLedger + ?Sized,
{
    let t = task(JobKind::ComputeReadiness);
    let ten_min = Takeover::After(Duration::minutes(10));
    ok(store.begin_run(&t, at(T0), ten_min).await, "begin_run");
    // Started 5 minutes ago: presumed alive.
    assert_eq!(
        ok(
            store.begin_run(&t, at(T0 + 300), ten_min).await,
            "begin_run"
        ),
        Begin::Skipped(RunStatus::Running)
    );
    // Started 10 minutes ago: presumed dead.
    assert_eq!(
        ok(
            store.begin_run(&t, at(T0 + 600), ten_min).await,
            "begin_run"
        ),
        Begin::Started { attempt: 2 }
    );
    // A queue redelivery takes over at once.
    assert_eq!(
        ok(
            store.begin_run(&t, at(T0 + 601), Takeover::Always).await,
            "begin_run"
        ),
        Begin::Started { attempt: 3 }
    );
    let run = ok(store.job_run(&t.key()).await, "job_run");
    let run = run.unwrap_or_else(|| panic!("run missing"));
    assert_eq!((run.status, run.attempts), (RunStatus::Running, 3));
    assert_eq!(run.started_at, at(T0 + 601));
    // Finishing an unknown key is NotFound; finishing as Running is refused.
    assert!(
        store
            .finish_run("compute_metrics:none", RunStatus::Succeeded, None, at(T0))
            .await
            .is_err()
    );
    assert!(
        store
            .finish_run(&t.key(), RunStatus::Running, None, at(T0))
            .await
            .is_err()
    );
}

/// Of many concurrent first starts of one key, exactly one runs.
pub async fn concurrent_begin_run_one_starts<S>(store: Arc<S>)
where
    S: JobLedger + ?Sized,
{
    let t = task(JobKind::GenerateRecommendations);
    let n = 8;
    let barrier = Arc::new(Barrier::new(n));
    let mut handles = Vec::new();
    for _ in 0..n {
        let (store, barrier, t) = (store.clone(), barrier.clone(), t.clone());
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            super::support::retry(|| {
                store.begin_run(&t, at(T0), Takeover::After(Duration::hours(1)))
            })
            .await
        }));
    }
    let mut started = 0;
    for h in handles {
        match h.await {
            Ok(Ok(Begin::Started { attempt })) => {
                assert_eq!(attempt, 1);
                started += 1;
            }
            Ok(Ok(Begin::Skipped(status))) => assert_eq!(status, RunStatus::Running),
            other => panic!("begin_run failed: {other:?}"),
        }
    }
    assert_eq!(started, 1, "exactly one start");
}

/// Runs list most recently started first, filtered by job and limited.
pub async fn job_runs_newest_first_by_kind<S>(store: Arc<S>)
where
    S: JobLedger + ?Sized,
{
    // Far-future starts so that rows of other cases on a shared database sort after.
    let base = T0 + 400 * 86_400;
    let tasks: Vec<JobTask> = (0..3)
        .map(|_| task(JobKind::SendNotificationDigest))
        .collect();
    for (i, t) in tasks.iter().enumerate() {
        let secs = base + [10, 30, 20][i];
        ok(
            store.begin_run(t, at(secs), Takeover::Always).await,
            "begin_run",
        );
    }
    let listed = ok(
        store
            .job_runs(Some(JobKind::SendNotificationDigest), 3)
            .await,
        "job_runs",
    );
    let keys: Vec<&str> = listed.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        [tasks[1].key(), tasks[2].key(), tasks[0].key()],
        "newest first"
    );
    assert!(
        listed
            .iter()
            .all(|r| r.kind == JobKind::SendNotificationDigest)
    );
    assert_eq!(ok(store.job_runs(None, 2).await, "job_runs").len(), 2);
}

fn rec(code: &str, priority: Priority, impact: i32) -> Recommendation {
    Recommendation {
        code: code.to_owned(),
        priority,
        score_impact: impact,
        title: format!("Title of {code}"),
        description: format!("Do {code}."),
        factor: None,
    }
}

/// Recipients are the members of businesses with pending recommendations created in
/// the period; each gets the items of all their businesses, in §5 order.
pub async fn digest_recipients_and_items<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + RecommendationStore + NotificationStore + ?Sized,
{
    // A period of its own, far from other cases' rows.
    let since = at(T0 + 800 * 86_400);
    let until = since + Duration::days(1);
    let (owner, shop) = owner_and_business(&*store).await;
    let member = new_user(&*store).await;
    ok(
        store.add_member(shop.id, member.id, Role::Member).await,
        "add_member",
    );
    let other_owner = new_user(&*store).await;
    let other = new_business(&*store, other_owner.id, "Zeta Bakery").await;

    let low = ok(
        store
            .upsert_live(shop.id, &rec("grow_revenue", Priority::Low, 3), since)
            .await,
        "upsert_live",
    );
    let high = ok(
        store
            .upsert_live(
                shop.id,
                &rec("reduce_chargebacks", Priority::High, 15),
                since + Duration::hours(6),
            )
            .await,
        "upsert_live",
    );
    // Outside the period, and dismissed: not in any digest.
    ok(
        store
            .upsert_live(other.id, &rec("grow_revenue", Priority::Medium, 7), until)
            .await,
        "upsert_live",
    );
    let dismissed = ok(
        store
            .upsert_live(
                other.id,
                &rec("stabilize_revenue", Priority::Medium, 6),
                since + Duration::hours(1),
            )
            .await,
        "upsert_live",
    );
    ok(
        store
            .set_recommendation_status(
                dismissed.id,
                RecommendationStatus::Pending,
                RecommendationStatus::Dismissed,
                since + Duration::hours(2),
            )
            .await,
        "dismiss",
    );

    let recipients = ok(
        store.digest_recipients(since, until).await,
        "digest_recipients",
    );
    let mut expected = vec![owner.id, member.id];
    expected.sort();
    assert_eq!(recipients, expected);

    let items = ok(
        store.new_recommendations_for(member.id, since, until).await,
        "new_recommendations_for",
    );
    let ids: Vec<Uuid> = items.iter().map(|i| i.recommendation_id).collect();
    assert_eq!(ids, [high.id, low.id], "high before low");
    assert_eq!(
        items[0],
        DigestItem {
            business_id: shop.id,
            business_name: shop.name.clone(),
            recommendation_id: high.id,
            code: "reduce_chargebacks".into(),
            priority: "high".into(),
            title: "Title of reduce_chargebacks".into(),
        }
    );
    assert!(
        ok(
            store
                .new_recommendations_for(other_owner.id, since, until)
                .await,
            "new_recommendations_for"
        )
        .is_empty()
    );
    assert!(
        ok(
            store
                .new_recommendations_for(unknown_id(), since, until)
                .await,
            "new_recommendations_for"
        )
        .is_empty()
    );
}

/// One digest per user and day; it reads back as written.
pub async fn one_digest_per_user_and_day<S>(store: Arc<S>)
where
    S: UserStore + NotificationStore + ?Sized,
{
    let user = new_user(&*store).await;
    let day = at(T0).date_naive();
    let digest = NewDigest {
        user_id: user.id,
        digest_date: day,
        created_at: at(T0 + 25_200),
        subject: "Vaultra: 1 new recommendation".into(),
        body: "Reduce chargebacks — Ünïcode ✓".into(),
        items: vec![DigestItem {
            business_id: Uuid::new_v4(),
            business_name: "Shop".into(),
            recommendation_id: Uuid::new_v4(),
            code: "reduce_chargebacks".into(),
            priority: "high".into(),
            title: "Reduce chargebacks".into(),
        }],
    };
    let stored = ok(store.insert_digest(digest.clone()).await, "insert_digest");
    let stored = stored.unwrap_or_else(|| panic!("first digest not stored"));
    assert_eq!(
        (stored.user_id, stored.digest_date, stored.created_at),
        (user.id, day, digest.created_at)
    );
    assert_eq!(
        (&stored.subject, &stored.body),
        (&digest.subject, &digest.body)
    );
    assert_eq!(stored.items, digest.items);
    assert_eq!(stored.sent_at, None);
    let twin = NewDigest {
        subject: "another".into(),
        ..digest.clone()
    };
    assert_eq!(ok(store.insert_digest(twin).await, "insert_digest"), None);
    let next_day = NewDigest {
        digest_date: day.succ_opt().unwrap_or(day),
        ..digest.clone()
    };
    let second = ok(store.insert_digest(next_day).await, "insert_digest");
    assert!(second.is_some());
    let listed = ok(store.digests(Some(user.id), 10).await, "digests");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1], stored, "newest day first");
    // Unknown user: the foreign key refuses it.
    let orphan = NewDigest {
        user_id: unknown_id(),
        ..digest
    };
    assert!(store.insert_digest(orphan).await.is_err());
}
