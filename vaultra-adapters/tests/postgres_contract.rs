//! The storage contract suite on PostgreSQL.
//!
//! Uses `VAULTRA_TEST_POSTGRES_URL` (a server where the user may create databases;
//! default `postgres://postgres@127.0.0.1:5432/postgres`, which `tests/run-all.sh` makes
//! sure is up). Every case gets its own freshly created database, dropped by the teardown
//! whether the case passed or not. An unreachable server fails the suite: it is never
//! skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use vaultra_adapters::postgres::PostgresStore;
use vaultra_core::ports::Store;

fn admin_url() -> String {
    std::env::var("VAULTRA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Databases created by this process, by the address of the store they back.
fn databases() -> &'static Mutex<HashMap<usize, (String, PostgresStore)>> {
    static DBS: OnceLock<Mutex<HashMap<usize, (String, PostgresStore)>>> = OnceLock::new();
    DBS.get_or_init(Default::default)
}

fn key(store: &Arc<dyn Store>) -> usize {
    Arc::as_ptr(store) as *const () as usize
}

fn with_database(admin: &str, db: &str) -> String {
    // Replace the path (database name) of the admin URL, keeping any query string.
    let (base, query) = admin
        .split_once('?')
        .map_or((admin, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let root = path_start.map_or(base, |i| &base[..i]);
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

async fn fresh() -> Arc<dyn Store> {
    let admin = admin_url();
    let db = format!("vaultra_test_{}", uuid::Uuid::new_v4().simple());
    let pool = sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| {
        panic!("cannot reach PostgreSQL at {admin} (set VAULTRA_TEST_POSTGRES_URL): {e}")
    });
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let store = PostgresStore::connect(&with_database(&admin, &db))
        .await
        .unwrap();
    let arc: Arc<dyn Store> = Arc::new(store.clone());
    databases().lock().unwrap().insert(key(&arc), (db, store));
    arc
}

async fn drop_database(store: Arc<dyn Store>) {
    let admin = admin_url();
    let entry = databases().lock().unwrap().remove(&key(&store));
    if let Some((db, pg)) = entry {
        pg.close().await;
        let pool = sqlx::PgPool::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
        )))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
}

vaultra_core::store_contract_tests!(fresh(), teardown = drop_database);
