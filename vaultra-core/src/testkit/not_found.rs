//! What a missing row says: `NotFound` naming the kind of thing and the id looked up, on
//! every port, whichever way the backend finds out (an empty lookup, a missing
//! referenced row).

use std::sync::Arc;

use crate::domain::{BusinessUpdate, NewBusiness, Role, UserUpdate};
use crate::error::Error;
use crate::ports::storage::{IngestBatch, Store};

use super::support::{assert_not_found_naming, new_user, ok, owner_and_business, unknown_id};

/// Lookups and updates of an unknown id, and writes naming an unknown owner, user or
/// business, are `NotFound` about that entity and id, and the message names the id.
pub async fn missing_rows_name_their_id(store: Arc<dyn Store>) {
    let id = unknown_id();
    assert_not_found_naming(store.get_user(id).await, "user", id, "get_user");
    let update = UserUpdate {
        name: Some("X".to_owned()),
        avatar_url: None,
    };
    assert_not_found_naming(
        store.update_user(id, update).await,
        "user",
        id,
        "update_user",
    );
    assert_not_found_naming(store.get_business(id).await, "business", id, "get_business");
    let rename = BusinessUpdate {
        name: Some("X".to_owned()),
        ..BusinessUpdate::default()
    };
    assert_not_found_naming(
        store.update_business(id, rename).await,
        "business",
        id,
        "update_business",
    );
    assert_not_found_naming(
        store
            .create_business(id, NewBusiness::named("Orphan"))
            .await,
        "user",
        id,
        "create_business for an unknown owner",
    );
    let (owner, business) = owner_and_business(&*store).await;
    assert_not_found_naming(
        store.add_member(id, owner.id, Role::Member).await,
        "business",
        id,
        "add_member to an unknown business",
    );
    let other = new_user(&*store).await;
    assert_not_found_naming(
        store.add_member(business.id, id, Role::Member).await,
        "user",
        id,
        "add_member of an unknown user",
    );
    assert_not_found_naming(
        store.get_account(id).await,
        "integration account",
        id,
        "get_account",
    );
    assert_not_found_naming(
        store.get_conversation(id).await,
        "conversation",
        id,
        "get_conversation",
    );
    assert_not_found_naming(
        store.create_conversation(id, business.id, None).await,
        "user",
        id,
        "create_conversation for an unknown user",
    );
    assert_not_found_naming(
        store.create_conversation(other.id, id, None).await,
        "business",
        id,
        "create_conversation for an unknown business",
    );
    assert_not_found_naming(
        store.get_recommendation(id).await,
        "recommendation",
        id,
        "get_recommendation",
    );
    assert_not_found_naming(
        store.ingest(id, None, &IngestBatch::default(), None).await,
        "business",
        id,
        "ingest for an unknown business",
    );
    // The known ones are still there.
    ok(store.get_business(business.id).await, "get_business");
}

/// Whatever the message, a store's `NotFound` keeps its category when context is added
/// on the way up (as the services do).
pub async fn not_found_keeps_its_category_under_context(store: Arc<dyn Store>) {
    let id = unknown_id();
    let e = store
        .get_business(id)
        .await
        .map(|b| b.id)
        .map_err(|e| e.context(format!("reading business {id}")))
        .expect_err("an unknown business");
    assert!(
        matches!(
            e,
            Error::NotFound {
                entity: "business",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert_eq!(
        e.to_string(),
        format!("reading business {id}: business not found: {id}")
    );
}
