//! The contract of [`OAuthStateStore`].

use std::sync::Arc;

use tokio::sync::Barrier;

use super::support::{assert_conflict, at, ok, unique};
use crate::ports::storage::{OAuthState, OAuthStateStore};

fn state(hash: &str, purpose: &str, created: i64, ttl: i64) -> OAuthState {
    OAuthState {
        state_hash: hash.to_owned(),
        purpose: purpose.to_owned(),
        user_id: None,
        business_id: None,
        pkce_verifier: Some("verifier-123".to_owned()),
        redirect_uri: Some("https://app.example.com/done".to_owned()),
        created_at: at(created),
        expires_at: at(created + ttl),
    }
}

/// A saved state is taken once, with every field; a second take gets nothing.
pub async fn oauth_state_is_single_use<S>(store: Arc<S>)
where
    S: OAuthStateStore + ?Sized,
{
    let hash = unique("state");
    let saved = state(&hash, "stripe_connect", 1_772_323_200, 600);
    ok(store.save_oauth_state(&saved).await, "save_oauth_state");
    assert_conflict(store.save_oauth_state(&saved).await, "the same state twice");
    let taken = ok(
        store
            .take_oauth_state(&hash, "stripe_connect", at(1_772_323_260))
            .await,
        "take_oauth_state",
    );
    assert_eq!(taken, Some(saved));
    let again = ok(
        store
            .take_oauth_state(&hash, "stripe_connect", at(1_772_323_261))
            .await,
        "take again",
    );
    assert_eq!(again, None, "a state is single-use");
}

/// Expired states, unknown states and states of another purpose are not taken.
pub async fn oauth_state_expires_and_is_bound_to_purpose<S>(store: Arc<S>)
where
    S: OAuthStateStore + ?Sized,
{
    let hash = unique("state");
    ok(
        store
            .save_oauth_state(&state(&hash, "stripe_connect", 1_772_323_200, 600))
            .await,
        "save",
    );
    let wrong = ok(
        store
            .take_oauth_state(&hash, "google_login", at(1_772_323_260))
            .await,
        "take for another purpose",
    );
    assert_eq!(wrong, None);
    let expired = ok(
        store
            .take_oauth_state(&hash, "stripe_connect", at(1_772_323_800))
            .await,
        "take at expiry",
    );
    assert_eq!(expired, None, "expires_at itself is too late");
    let unknown = ok(
        store
            .take_oauth_state(&unique("nope"), "stripe_connect", at(1_772_323_260))
            .await,
        "take unknown",
    );
    assert_eq!(unknown, None);
}

/// Two callbacks racing with one state: exactly one gets it.
pub async fn concurrent_take_oauth_state_one_wins<S>(store: Arc<S>)
where
    S: OAuthStateStore + ?Sized,
{
    let hash = unique("state");
    ok(
        store
            .save_oauth_state(&state(&hash, "stripe_connect", 1_772_323_200, 600))
            .await,
        "save",
    );
    let barrier = Arc::new(Barrier::new(2));
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (store, barrier, hash) = (store.clone(), barrier.clone(), hash.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store
                .take_oauth_state(&hash, "stripe_connect", at(1_772_323_300))
                .await
        }));
    }
    let mut winners = 0;
    for t in tasks {
        let got = t.await.expect("task");
        if let Ok(Some(_)) = got {
            winners += 1;
        } else if let Err(e) = got {
            assert!(
                e.is_retryable(),
                "only a retryable error is acceptable: {e}"
            );
        }
    }
    assert_eq!(winners, 1, "exactly one callback consumes the state");
}
