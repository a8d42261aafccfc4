//! The application layer (`vaultra_core::app::Vaultra`) over a real store: access is
//! checked once per operation, the default window and `history_days` have one meaning,
//! the top recommendations follow the §5 lifecycle, and a stored report equals the
//! in-memory assessment of the same objects.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use vaultra_adapters::files::{load_export, read_batch};
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_core::Error;
use vaultra_core::app::{Actor, Assessment, Vaultra, WindowSpec};
use vaultra_core::domain::{NewBusiness, Role};
use vaultra_core::ports::{FixedClock, Store};
use vaultra_core::recommend::RecommendationStatus;

fn sample() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/sample-merchant"
    ))
}

/// The day after the sample's last day, at noon: "yesterday" is 2026-11-27.
fn noon() -> DateTime<Utc> {
    "2026-11-28T12:00:00Z".parse().unwrap()
}

struct World {
    app: Vaultra,
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    owner: Actor,
    member: Actor,
    stranger: Actor,
    business: uuid::Uuid,
}

async fn world() -> World {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::memory().await.unwrap());
    let clock = Arc::new(FixedClock::new(noon()));
    let app = Vaultra::builder(store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    let business = app
        .create_business_for_email(
            "Owner@Example.com",
            Some("Owner"),
            NewBusiness::named("Shop"),
        )
        .await
        .unwrap();
    let owner = app
        .user_by_email_or_create("owner@example.com", None)
        .await
        .unwrap();
    assert_eq!(
        owner.name, "Owner",
        "the existing user is found, not recreated"
    );
    let member = app
        .user_by_email_or_create("member@example.com", None)
        .await
        .unwrap();
    assert_eq!(member.name, "member");
    store
        .add_member(business.id, member.id, Role::Member)
        .await
        .unwrap();
    let stranger = app
        .user_by_email_or_create("stranger@example.com", None)
        .await
        .unwrap();
    app.create_business_for_email("stranger@example.com", None, NewBusiness::named("Theirs"))
        .await
        .unwrap();
    app.import(
        &Actor::User(owner.id),
        business.id,
        &read_batch(sample()).unwrap(),
    )
    .await
    .unwrap();
    World {
        app,
        store,
        clock,
        owner: Actor::User(owner.id),
        member: Actor::User(member.id),
        stranger: Actor::User(stranger.id),
        business: business.id,
    }
}

#[tokio::test]
async fn access_is_checked_once_for_every_operation() {
    let w = world().await;
    let default = Assessment::new(WindowSpec::DEFAULT);
    let not_found = |e: Error| {
        assert!(
            matches!(
                e,
                Error::NotFound {
                    entity: "business",
                    ..
                }
            ),
            "{e}"
        )
    };

    // A stranger learns nothing: every operation says "not found", as for no business.
    not_found(w.app.business(&w.stranger, w.business).await.unwrap_err());
    not_found(
        w.app
            .report(&w.stranger, w.business, &default)
            .await
            .unwrap_err(),
    );
    not_found(
        w.app
            .business_context(&w.stranger, w.business)
            .await
            .unwrap_err(),
    );
    not_found(
        w.app
            .readiness_breakdown(&w.stranger, w.business, &default)
            .await
            .unwrap_err(),
    );
    not_found(
        w.app
            .top_recommendations(&w.stranger, w.business, 5)
            .await
            .unwrap_err(),
    );
    not_found(
        w.app
            .import(&w.stranger, w.business, &read_batch(sample()).unwrap())
            .await
            .unwrap_err(),
    );
    not_found(
        w.app
            .link_stripe_account(&w.stranger, w.business, "acct_123")
            .await
            .unwrap_err(),
    );
    // The system actor naming an unknown business is not found either.
    not_found(
        w.app
            .business(&Actor::System, uuid::Uuid::new_v4())
            .await
            .unwrap_err(),
    );

    // A member reads, but may not change the business's data or connections.
    w.app.report(&w.member, w.business, &default).await.unwrap();
    let denied = w
        .app
        .import(&w.member, w.business, &read_batch(sample()).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(denied, Error::PermissionDenied { .. }), "{denied}");
    let denied = w
        .app
        .link_stripe_account(&w.member, w.business, "acct_123")
        .await
        .unwrap_err();
    assert!(matches!(denied, Error::PermissionDenied { .. }), "{denied}");
    w.app
        .link_stripe_account(&w.owner, w.business, "acct_123")
        .await
        .unwrap();

    // Each user lists their own businesses; the system lists all.
    let names = |list: Vec<vaultra_core::domain::Business>| {
        list.into_iter().map(|b| b.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(w.app.list_businesses(&w.member).await.unwrap()),
        ["Shop"]
    );
    assert_eq!(
        names(w.app.list_businesses(&w.stranger).await.unwrap()),
        ["Theirs"]
    );
    assert_eq!(
        names(w.app.list_businesses(&Actor::System).await.unwrap()),
        ["Shop", "Theirs"]
    );
}

#[tokio::test]
async fn a_stored_report_equals_the_assessment_of_the_same_objects() {
    let w = world().await;
    for spec in [
        WindowSpec::DEFAULT,
        WindowSpec::DEFAULT.with_days(Some(7)).unwrap(),
        WindowSpec::ending("2026-10-31".parse().unwrap())
            .with_days(Some(90))
            .unwrap(),
    ] {
        let assessment = Assessment::new(spec);
        let stored = w
            .app
            .report(&w.owner, w.business, &assessment)
            .await
            .unwrap();
        let data = load_export(sample()).unwrap();
        let in_memory = w.app.assess(data.view(), &assessment).unwrap();
        assert_eq!(stored, in_memory, "{spec:?}");
    }
    // The default window is the 30 days ending yesterday by the façade's clock.
    let report = w
        .app
        .report(&w.owner, w.business, &Assessment::new(WindowSpec::DEFAULT))
        .await
        .unwrap();
    assert_eq!(report.window.end_date().to_string(), "2026-11-27");
    assert_eq!(report.window.days(), 30);
    // Bad windows are refused before any read, naming the field.
    let e = WindowSpec::DEFAULT.with_days(Some(400)).unwrap_err();
    assert!(e.to_string().contains("window_days"), "{e}");
}

#[tokio::test]
async fn history_days_counts_through_the_window_in_question() {
    let w = world().await;
    let context = w.app.business_context(&w.owner, w.business).await.unwrap();
    let f = &context.freshness;
    let first = f.first_charge_date.unwrap();
    assert_eq!(f.history_through.to_string(), "2026-11-27");
    assert_eq!(
        i64::from(f.history_days),
        (f.history_through - first).num_days() + 1
    );
    assert!(f.charges_stored > 0);

    // A breakdown of an earlier window counts through that window's last day.
    let earlier = WindowSpec::ending("2026-10-31".parse().unwrap());
    let breakdown = w
        .app
        .readiness_breakdown(&w.owner, w.business, &Assessment::new(earlier))
        .await
        .unwrap();
    assert_eq!(
        breakdown.freshness.history_through.to_string(),
        "2026-10-31"
    );
    assert_eq!(f.history_days - breakdown.freshness.history_days, 27);
    // What helps and what hurts are the factors' own explanations.
    let factors = &breakdown.report.readiness.factors;
    assert_eq!(
        breakdown.helps.len() + breakdown.hurts.len(),
        factors.iter().filter(|f| f.points != 0).count()
    );
}

#[tokio::test]
async fn top_recommendations_follow_the_lifecycle() {
    let w = world().await;
    // Before the jobs stored anything: the report's recommendations, without status.
    let top = w
        .app
        .top_recommendations(&w.owner, w.business, 20)
        .await
        .unwrap();
    let report = w
        .app
        .report(&w.owner, w.business, &Assessment::new(WindowSpec::DEFAULT))
        .await
        .unwrap();
    assert_eq!(top.score, report.readiness.score);
    let codes: Vec<_> = top
        .recommendations
        .iter()
        .map(|r| r.recommendation.code.clone())
        .collect();
    let computed: Vec<_> = report
        .recommendations
        .iter()
        .map(|r| r.code.clone())
        .collect();
    assert_eq!(codes, computed);
    assert!(
        codes.len() >= 2,
        "the sample needs two recommendations: {codes:?}"
    );
    assert!(
        top.recommendations
            .iter()
            .all(|r| r.status.is_none() && r.id.is_none())
    );

    // The jobs store them; the owner accepts the first and dismisses the second.
    let default_window = w.app.window(&WindowSpec::DEFAULT).unwrap();
    w.app
        .metrics()
        .compute_metrics(&Actor::System, w.business, default_window)
        .await
        .unwrap();
    let stored = w
        .app
        .recommendations()
        .generate_recommendations(&Actor::System, w.business)
        .await
        .unwrap();
    let id_of = |code: &str| stored.iter().find(|r| r.code == code).unwrap().id;
    let owner = w.owner.user_id().unwrap();
    let recs = w.app.recommendations();
    recs.update_recommendation_status(owner, id_of(&codes[0]), RecommendationStatus::Accepted)
        .await
        .unwrap();
    recs.update_recommendation_status(owner, id_of(&codes[1]), RecommendationStatus::Dismissed)
        .await
        .unwrap();

    let top = w
        .app
        .top_recommendations(&w.member, w.business, 20)
        .await
        .unwrap();
    let shown: Vec<_> = top
        .recommendations
        .iter()
        .map(|r| r.recommendation.code.as_str())
        .collect();
    assert!(
        !shown.contains(&codes[1].as_str()),
        "dismissed within 30 days: {shown:?}"
    );
    assert_eq!(shown[0], codes[0]);
    assert_eq!(
        top.recommendations[0].status,
        Some(RecommendationStatus::Accepted)
    );
    assert_eq!(top.recommendations[0].id, Some(id_of(&codes[0])));
    let limited = w
        .app
        .top_recommendations(&w.owner, w.business, 1)
        .await
        .unwrap();
    assert_eq!(limited.recommendations.len(), 1);

    // 30 days later the dismissal no longer hides the code (the same computed list: the
    // default window has moved past the sample's data by then).
    w.clock.set(noon() + Duration::days(30));
    let later = w
        .app
        .recommendations()
        .top_recommendations(&w.owner, w.business, &report.recommendations, 20)
        .await
        .unwrap();
    assert!(later.iter().any(|r| r.recommendation.code == codes[1]));
    w.clock.set(noon());

    for bad in [0, 21] {
        let e = w
            .app
            .top_recommendations(&w.owner, w.business, bad)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("limit"), "{e}");
    }
    let _ = &w.store;
}

#[tokio::test]
async fn concurrent_get_or_create_of_one_email_makes_one_user() {
    let w = world().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let app = w.app.clone();
            tokio::spawn(async move { app.user_by_email_or_create("new@example.com", None).await })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().unwrap().id);
    }
    assert_eq!(ids.len(), 1);
    let e = w
        .app
        .user_by_email_or_create("not an email", None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Invalid { .. }), "{e}");
}
