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
