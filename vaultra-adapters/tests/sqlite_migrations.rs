//! Upgrading an existing SQLite file: payment data written under an older schema is all
//! there, and behaves the same, after the store migrates it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::str::FromStr;

use chrono::NaiveDate;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use uuid::Uuid;
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_core::domain::{Charge, ChargeStatus, Currency, NewBusiness, NewUser};
use vaultra_core::metrics::Window;
use vaultra_core::ports::{
    BusinessStore, Ingest, IngestBatch, ObjectKind, PaymentStore, UserStore,
};

/// The last migration before payment tables were keyed by `business_keys`.
const BEFORE_BUSINESS_KEYS: i64 = 20261128000003;

const DAY: i64 = 86_400;

/// Writes businesses, an account and payment rows with the schema as it was at
/// [`BEFORE_BUSINESS_KEYS`] (payment rows naming their business by UUID).
async fn old_file(url: &str, a: Uuid, b: Uuid, account: Uuid, t: i64) {
    let options = SqliteConnectOptions::from_str(url)
        .unwrap()
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let mut migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.dangerous_set_table_name("vaultra_migrations");
    migrator.run_to(BEFORE_BUSINESS_KEYS, &pool).await.unwrap();

    for (id, name, created) in [(b, "Second", 2), (a, "First", 1)] {
        sqlx::query(
            "INSERT INTO businesses (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(name)
        .bind(created)
        .bind(created)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO integration_accounts (id, business_id, provider, external_id, status, connected_at)
         VALUES (?, ?, 'stripe', 'acct_old', 'connected', 1)",
    )
    .bind(account)
    .bind(a)
    .execute(&pool)
    .await
    .unwrap();
    let charges = [
        (
            a,
            "ch_a1",
            t,
            1_000,
            r#"{"id":"ch_a1","object":"charge","amount":1000}"#,
        ),
        (a, "ch_a2", t + 60, 2_000, r#"{"id":"ch_a2"}"#),
        (a, "ch_a3", t + DAY, 3_000, r#"{"id":"ch_a3"}"#),
        (b, "ch_a1", t, 7_000, r#"{"id":"ch_a1","business":"b"}"#),
    ];
    for (business, id, created, amount, raw) in charges {
        sqlx::query(
            "INSERT INTO charges (business_id, stripe_id, account_id, created, amount, amount_refunded,
                                  currency, status, captured, raw, updated_at)
             VALUES (?, ?, ?, ?, ?, 0, 'usd', 'succeeded', 1, ?, 1)",
        )
        .bind(business)
        .bind(id)
        .bind((business == a).then_some(account))
        .bind(created)
        .bind(amount)
        .bind(raw)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO payouts (business_id, stripe_id, account_id, created, arrival_date, amount,
                              currency, status, raw, updated_at)
         VALUES (?, 'po_1', ?, ?, ?, 5000, 'usd', 'paid', '{\"id\":\"po_1\"}', 1)",
    )
    .bind(a)
    .bind(account)
    .bind(t)
    .bind(t + 2 * DAY)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO disputes (business_id, stripe_id, account_id, charge_id, created, amount,
                               currency, status, raw, updated_at)
         VALUES (?, 'dp_1', ?, 'ch_a2', ?, 2000, 'usd', 'needs_response', NULL, 1)",
    )
    .bind(a)
    .bind(account)
    .bind(t + 3 * DAY)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO payout_paid_events (business_id, event_id, payout_id, paid_at)
         VALUES (?, 'evt_1', 'po_1', ?)",
    )
    .bind(a)
    .bind(t + 2 * DAY + 600)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

/// Rows in charges, payouts, disputes and payout_paid_events, of every business.
async fn payment_rows(store: &SqliteStore) -> [i64; 4] {
    let mut counts = [0; 4];
    for (n, table) in ["charges", "payouts", "disputes", "payout_paid_events"]
        .into_iter()
        .enumerate()
    {
        counts[n] =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(store.pool())
                .await
                .unwrap();
    }
    counts
}

#[tokio::test]
async fn payment_rows_survive_the_business_key_migration() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let (a, b, account) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let window = Window::new(as_of, 30).unwrap();
    let t = window.start_day() * DAY + 3_600;
    old_file(&url, a, b, account, t).await;

    let store = SqliteStore::connect(&url).await.unwrap();

    // Everything of each business is still its own.
    let data = store.payment_data(a, window).await.unwrap();
    assert_eq!(data.charges.len(), 3);
    assert_eq!(data.payouts.len(), 1);
    assert_eq!(data.payouts[0].id, "po_1");
    assert_eq!(data.disputes.len(), 1);
    assert_eq!(data.disputes[0].charge, "ch_a2");
    assert_eq!(data.paid_at.get("po_1"), Some(&(t + 2 * DAY + 600)));
    assert_eq!(store.coverage(a).await.unwrap().charges, 3);
    let other = store.payment_data(b, window).await.unwrap();
    assert_eq!(other.charges.len(), 1);
    assert!(other.payouts.is_empty() && other.disputes.is_empty() && other.paid_at.is_empty());
    assert_eq!(
        store
            .raw_object(a, ObjectKind::Charge, "ch_a1")
            .await
            .unwrap(),
        Some(serde_json::json!({"id": "ch_a1", "object": "charge", "amount": 1000}))
    );
    assert_eq!(
        store
            .raw_object(b, ObjectKind::Charge, "ch_a1")
            .await
            .unwrap(),
        Some(serde_json::json!({"id": "ch_a1", "business": "b"}))
    );
    assert_eq!(
        store
            .raw_object(a, ObjectKind::Dispute, "dp_1")
            .await
            .unwrap(),
        None
    );

    // Upserts still find the migrated rows: a newer state replaces, nothing is added.
    let newer = Charge {
        id: "ch_a1".into(),
        created: t,
        amount: 1_500,
        amount_refunded: 0,
        currency: Currency::parse("usd").unwrap(),
        status: ChargeStatus::Succeeded,
        captured: true,
    };
    let batch = IngestBatch {
        charges: vec![Ingest::bare(newer)],
        ..IngestBatch::default()
    };
    store.ingest(a, Some(account), &batch, None).await.unwrap();
    assert_eq!(store.coverage(a).await.unwrap().charges, 3);
    let amount: i64 = sqlx::query_scalar(
        "SELECT c.amount FROM charges c JOIN business_keys k USING (business_key)
          WHERE k.business_id = ? AND c.stripe_id = 'ch_a1'",
    )
    .bind(a)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(amount, 1_500, "the newer state replaced the migrated row");
    // A bare object keeps the raw JSON stored before.
    assert_eq!(
        store
            .raw_object(a, ObjectKind::Charge, "ch_a1")
            .await
            .unwrap(),
        Some(serde_json::json!({"id": "ch_a1", "object": "charge", "amount": 1000}))
    );

    // A business created after the migration gets a key of its own.
    let user = store
        .create_user(NewUser {
            email: "after@example.com".into(),
            name: "After".into(),
            password_hash: None,
            avatar_url: None,
        })
        .await
        .unwrap();
    let c = store
        .create_business(user.id, NewBusiness::named("Third"))
        .await
        .unwrap();
    store.ingest(c.id, None, &batch, None).await.unwrap();
    assert_eq!(store.coverage(c.id).await.unwrap().charges, 1);
    assert_eq!(store.coverage(a).await.unwrap().charges, 3);

    // Deleting a business still takes its payment rows, and only its own.
    assert_eq!(payment_rows(&store).await, [5, 1, 1, 1]);
    sqlx::query("DELETE FROM businesses WHERE id = ?")
        .bind(a)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(
        payment_rows(&store).await,
        [2, 0, 0, 0],
        "a's rows are gone, b's and c's stay"
    );
    assert_eq!(store.coverage(b).await.unwrap().charges, 1);
    assert_eq!(store.coverage(c.id).await.unwrap().charges, 1);
}
