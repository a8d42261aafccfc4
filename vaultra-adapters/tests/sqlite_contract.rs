//! The storage contract suite on SQLite, in memory and in a file.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use vaultra_adapters::sqlite::SqliteStore;
use vaultra_core::ports::Store;

async fn memory() -> Arc<dyn Store> {
    Arc::new(SqliteStore::memory().await.unwrap())
}

/// A file store in a fresh temporary folder, removed by the teardown.
async fn file() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().unwrap().keep();
    let url = format!("sqlite://{}", dir.join("contract.db").display());
    Arc::new(SqliteStore::connect(&url).await.unwrap())
}

mod in_memory {
    use super::*;
    vaultra_core::store_contract_tests!(memory());
}

mod in_file {
    use super::*;
    vaultra_core::store_contract_tests!(file());
}

/// Concurrent writers on one file wait for each other instead of failing: many small
/// ingests at once (as concurrent webhook deliveries make) all succeed on the first try,
/// with no retry, and every object is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_a_file_wait_instead_of_failing() {
    use vaultra_core::domain::{Charge, ChargeStatus, Currency, NewBusiness, NewUser};
    use vaultra_core::metrics::Window;
    use vaultra_core::ports::{Ingest, IngestBatch};

    let store = file().await;
    let user = store
        .create_user(NewUser {
            email: "locks@example.com".into(),
            name: "Locks".into(),
            password_hash: None,
            avatar_url: None,
        })
        .await
        .unwrap();
    let business = store
        .create_business(user.id, NewBusiness::named("Locks Co"))
        .await
        .unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let window = Window::new(day, 30).unwrap();
    let created = window.start_day() * 86_400 + 3_600;
    let mut tasks = Vec::new();
    for writer in 0..16 {
        let store = store.clone();
        let id = business.id;
        tasks.push(tokio::spawn(async move {
            for n in 0..10 {
                let charge = Charge {
                    id: format!("ch_w{writer}_{n}"),
                    created: created + writer * 60 + n,
                    amount: 1_000,
                    amount_refunded: 0,
                    currency: Currency::parse("usd").unwrap(),
                    status: ChargeStatus::Succeeded,
                    captured: true,
                };
                let batch = IngestBatch {
                    charges: vec![Ingest::bare(charge)],
                    ..IngestBatch::default()
                };
                // Read first, then write, as a webhook does (the event is looked up
                // before the object is applied).
                store.coverage(id).await.unwrap();
                store
                    .ingest(id, None, &batch, None)
                    .await
                    .unwrap_or_else(|e| panic!("writer {writer}, ingest {n}: {e}"));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let data = store.payment_data(business.id, window).await.unwrap();
    assert_eq!(data.charges.len(), 160, "every charge stored once");
}
