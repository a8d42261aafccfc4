//! What several CLI test files share: a fresh PostgreSQL database per test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use sqlx::Connection;
use uuid::Uuid;
use vaultra_core::ports::Store;

/// A test's own database, dropped by [`PgDb::drop`].
pub struct PgDb {
    admin: String,
    name: String,
}

impl PgDb {
    /// Drops the database (connections closed by force).
    pub async fn drop(&self) {
        if let Ok(mut c) = sqlx::PgConnection::connect(&self.admin).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut c)
            .await;
        }
    }
}

/// A PostgreSQL store in a new database named `{prefix}_{uuid}` on the server of
/// `VAULTRA_TEST_POSTGRES_URL`; `None` if no server answers.
pub async fn postgres_store(prefix: &str) -> Option<(Arc<dyn Store>, PgDb)> {
    let admin = std::env::var("VAULTRA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut c = sqlx::PgConnection::connect(&admin).await.ok()?;
    let name = format!("{prefix}_{}", Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .ok()?;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let store = vaultra_adapters::postgres::PostgresStore::connect(&url)
        .await
        .ok()?;
    Some((Arc::new(store), PgDb { admin, name }))
}
