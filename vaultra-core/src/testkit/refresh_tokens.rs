//! The contract of [`RefreshTokenStore`].

use std::sync::Arc;

use tokio::sync::Barrier;

use super::support::{assert_conflict, assert_not_found, at, new_user, ok, unique, unknown_id};
use crate::ports::storage::{RefreshToken, RefreshTokenStore, Rotation, UserStore};

const T0: i64 = 1_772_323_200;
const DAY: i64 = 86_400;
/// No grace window: every second presentation is a reuse.
const NO_GRACE: chrono::Duration = chrono::Duration::zero();
/// A grace window of ten seconds.
const GRACE: chrono::Duration = chrono::Duration::seconds(10);

async fn token<S>(store: &S, hash: &str) -> RefreshToken
where
    S: RefreshTokenStore + ?Sized,
{
    ok(store.find_refresh_token(hash).await, "find_refresh_token")
        .unwrap_or_else(|| panic!("token {hash} is stored"))
}

fn rotated(r: Rotation) -> RefreshToken {
    match r {
        Rotation::Rotated(next) => next,
        other => panic!("expected Rotated, got {other:?}"),
    }
}

/// A login issues a token in a new family; each rotation marks the presented token
/// rotated and adds its successor to the same family.
pub async fn issue_and_rotate_within_family<S>(store: Arc<S>)
where
    S: UserStore + RefreshTokenStore + ?Sized,
{
    let user = new_user(&*store).await;
    let (h0, h1, h2) = (unique("rt"), unique("rt"), unique("rt"));
    let first = ok(
        store
            .issue_refresh_token(user.id, &h0, at(T0 + 30 * DAY), at(T0))
            .await,
        "issue_refresh_token",
    );
    assert_eq!(first.user_id, user.id);
    assert_eq!(first.token_hash, h0);
    assert_eq!(first.created_at, at(T0));
    assert_eq!(first.expires_at, at(T0 + 30 * DAY));
    assert_eq!((first.rotated_at, first.revoked_at), (None, None));
    assert_eq!(token(&*store, &h0).await, first);

    let second = rotated(ok(
        store
            .rotate_refresh_token(&h0, &h1, at(T0 + 31 * DAY), at(T0 + DAY), NO_GRACE)
            .await,
        "rotate",
    ));
    assert_eq!(second.family_id, first.family_id, "same family");
    assert_eq!(second.user_id, user.id);
    assert_eq!(second.token_hash, h1);
    assert_eq!(second.created_at, at(T0 + DAY));
    assert_eq!(second.expires_at, at(T0 + 31 * DAY));
    assert_ne!(second.id, first.id);
    assert_eq!(token(&*store, &h0).await.rotated_at, Some(at(T0 + DAY)));
    assert_eq!(token(&*store, &h1).await, second);

    let third = rotated(ok(
        store
            .rotate_refresh_token(&h1, &h2, at(T0 + 32 * DAY), at(T0 + 2 * DAY), NO_GRACE)
            .await,
        "rotate the successor",
    ));
    assert_eq!(third.family_id, first.family_id);

    // A second login is another family.
    let other = ok(
        store
            .issue_refresh_token(user.id, &unique("rt"), at(T0 + 30 * DAY), at(T0))
            .await,
        "issue again",
    );
    assert_ne!(other.family_id, first.family_id);
}

/// Presenting a rotated token again revokes its whole family: the live successor stops
/// working. Other families of the user are untouched.
pub async fn reusing_a_rotated_token_revokes_the_family<S>(store: Arc<S>)
where
    S: UserStore + RefreshTokenStore + ?Sized,
{
    let user = new_user(&*store).await;
    let (h0, h1, h2) = (unique("rt"), unique("rt"), unique("rt"));
    let first = ok(
        store
            .issue_refresh_token(user.id, &h0, at(T0 + 30 * DAY), at(T0))
            .await,
        "issue",
    );
    let other_login = unique("rt");
    ok(
        store
            .issue_refresh_token(user.id, &other_login, at(T0 + 30 * DAY), at(T0))
            .await,
        "issue another family",
    );
    rotated(ok(
        store
            .rotate_refresh_token(&h0, &h1, at(T0 + 30 * DAY), at(T0 + 60), NO_GRACE)
            .await,
        "rotate",
    ));
    let reuse = ok(
        store
            .rotate_refresh_token(&h0, &h2, at(T0 + 30 * DAY), at(T0 + 120), NO_GRACE)
            .await,
        "present the rotated token again",
    );
    assert_eq!(
        reuse,
        Rotation::Reused {
            user_id: user.id,
            family_id: first.family_id
        }
    );
    assert_eq!(
        ok(store.find_refresh_token(&h2).await, "find"),
        None,
        "a reuse issues nothing"
    );
    for h in [&h0, &h1] {
        assert_eq!(
            token(&*store, h).await.revoked_at,
            Some(at(T0 + 120)),
            "every token of the family is revoked"
        );
    }
    assert_eq!(
        ok(
            store
                .rotate_refresh_token(&h1, &h2, at(T0 + 30 * DAY), at(T0 + 180), NO_GRACE)
                .await,
            "the successor after the reuse"
        ),
        Rotation::Rejected
    );
    assert_eq!(token(&*store, &other_login).await.revoked_at, None);
    rotated(ok(
        store
            .rotate_refresh_token(
                &other_login,
                &unique("rt"),
                at(T0 + 30 * DAY),
                at(T0 + 180),
                NO_GRACE,
            )
            .await,
        "the other family still rotates",
    ));
}

/// Unknown, expired and revoked tokens are rejected and change nothing; revoking a
/// family or a user counts the tokens it revoked.
pub async fn expired_revoked_and_unknown_are_rejected<S>(store: Arc<S>)
where
    S: UserStore + RefreshTokenStore + ?Sized,
{
    let user = new_user(&*store).await;
    assert_eq!(
        ok(
            store
                .rotate_refresh_token(&unique("rt"), &unique("rt"), at(T0 + DAY), at(T0), NO_GRACE)
                .await,
            "unknown"
        ),
        Rotation::Rejected
    );

    let expiring = unique("rt");
    ok(
        store
            .issue_refresh_token(user.id, &expiring, at(T0 + DAY), at(T0))
            .await,
        "issue",
    );
    let next = unique("rt");
    assert_eq!(
        ok(
            store
                .rotate_refresh_token(&expiring, &next, at(T0 + 2 * DAY), at(T0 + DAY), NO_GRACE)
                .await,
            "at expiry"
        ),
        Rotation::Rejected,
        "expires_at itself is too late"
    );
    assert_eq!(ok(store.find_refresh_token(&next).await, "find"), None);
    let stale = token(&*store, &expiring).await;
    assert_eq!(
        (stale.rotated_at, stale.revoked_at),
        (None, None),
        "unchanged"
    );

    let h0 = unique("rt");
    let first = ok(
        store
            .issue_refresh_token(user.id, &h0, at(T0 + 30 * DAY), at(T0))
            .await,
        "issue",
    );
    let h1 = rotated(ok(
        store
            .rotate_refresh_token(&h0, &unique("rt"), at(T0 + 30 * DAY), at(T0 + 60), NO_GRACE)
            .await,
        "rotate",
    ))
    .token_hash;
    assert_eq!(
        ok(
            store
                .revoke_refresh_family(first.family_id, at(T0 + 120))
                .await,
            "revoke_refresh_family"
        ),
        2
    );
    assert_eq!(
        ok(
            store
                .revoke_refresh_family(first.family_id, at(T0 + 180))
                .await,
            "revoke again"
        ),
        0,
        "already revoked tokens keep their time"
    );
    assert_eq!(token(&*store, &h1).await.revoked_at, Some(at(T0 + 120)));
    assert_eq!(
        ok(
            store
                .rotate_refresh_token(
                    &h1,
                    &unique("rt"),
                    at(T0 + 30 * DAY),
                    at(T0 + 240),
                    NO_GRACE
                )
                .await,
            "revoked"
        ),
        Rotation::Rejected
    );

    // Logout everywhere: every live token of the user, none of another user's.
    let someone_else = new_user(&*store).await;
    let theirs = unique("rt");
    ok(
        store
            .issue_refresh_token(someone_else.id, &theirs, at(T0 + DAY), at(T0))
            .await,
        "issue for another user",
    );
    for _ in 0..2 {
        ok(
            store
                .issue_refresh_token(user.id, &unique("rt"), at(T0 + DAY), at(T0))
                .await,
            "issue",
        );
    }
    assert_eq!(
        ok(
            store
                .revoke_user_refresh_tokens(user.id, at(T0 + 300))
                .await,
            "revoke_user_refresh_tokens"
        ),
        3,
        "the expiring token and two new ones"
    );
    assert_eq!(token(&*store, &theirs).await.revoked_at, None);
}

/// A hash is unique: issuing or rotating into an existing hash is `Conflict` and changes
/// nothing; an unknown user is `NotFound`.
pub async fn refresh_token_hash_conflicts_and_unknown_user<S>(store: Arc<S>)
where
    S: UserStore + RefreshTokenStore + ?Sized,
{
    let user = new_user(&*store).await;
    let (h0, h1) = (unique("rt"), unique("rt"));
    ok(
        store
            .issue_refresh_token(user.id, &h0, at(T0 + DAY), at(T0))
            .await,
        "issue",
    );
    ok(
        store
            .issue_refresh_token(user.id, &h1, at(T0 + DAY), at(T0))
            .await,
        "issue",
    );
    assert_conflict(
        store
            .issue_refresh_token(user.id, &h0, at(T0 + DAY), at(T0))
            .await,
        "issue an existing hash",
    );
    assert_conflict(
        store
            .rotate_refresh_token(&h0, &h1, at(T0 + DAY), at(T0 + 60), NO_GRACE)
            .await,
        "rotate into an existing hash",
    );
    assert_eq!(
        token(&*store, &h0).await.rotated_at,
        None,
        "a failed rotation leaves the token live"
    );
    rotated(ok(
        store
            .rotate_refresh_token(&h0, &unique("rt"), at(T0 + DAY), at(T0 + 120), NO_GRACE)
            .await,
        "rotate after the conflict",
    ));
    assert_not_found(
        store
            .issue_refresh_token(unknown_id(), &unique("rt"), at(T0 + DAY), at(T0))
            .await,
        "unknown user",
    );
}

/// Concurrent presentations of one live token: exactly one rotates it; every other one
/// is a reuse, so afterwards the whole family (the winner's successor too) is revoked.
pub async fn concurrent_rotation_one_wins<S>(store: Arc<S>)
where
    S: UserStore + RefreshTokenStore + ?Sized,
{
    let user = new_user(&*store).await;
    let h0 = unique("rt");
    let first = ok(
        store
            .issue_refresh_token(user.id, &h0, at(T0 + DAY), at(T0))
            .await,
        "issue",
    );
    const RACERS: usize = 4;
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let (store, barrier, h0) = (store.clone(), barrier.clone(), h0.clone());
        tasks.push(tokio::spawn(async move {
            let next = unique("rt");
            barrier.wait().await;
            let outcome = store
                .rotate_refresh_token(&h0, &next, at(T0 + DAY), at(T0 + 60), NO_GRACE)
                .await;
            (next, outcome)
        }));
    }
    let mut winners = Vec::new();
    let mut reuses = 0;
    for t in tasks {
        let (next, outcome) = t.await.expect("task");
        match outcome {
            Ok(Rotation::Rotated(successor)) => {
                assert_eq!(successor.token_hash, next);
                winners.push(next);
            }
            Ok(Rotation::Reused { family_id, .. }) => {
                assert_eq!(family_id, first.family_id);
                reuses += 1;
            }
            Ok(Rotation::Rejected) => panic!("a rotated token is a reuse, not a rejection"),
            Err(e) => assert!(
                e.is_retryable(),
                "only a retryable error is acceptable: {e}"
            ),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one presentation rotates the token"
    );
    if reuses > 0 {
        let successor = token(&*store, &winners[0]).await;
        assert!(
            successor.revoked_at.is_some(),
            "a reuse revokes the winner's successor too"
        );
    }
}

/// Within the grace window a token just rotated gets a sibling successor in the same
/// family (two tabs refreshing at once); after the window the same presentation is a
/// reuse and revokes the family, siblings included. A revoked or expired token gets
/// nothing even within the window.
pub async fn a_second_presentation_within_the_grace_window_is_not_a_reuse<S>(store: Arc<S>)
where
    S: UserStore + RefreshTokenStore + ?Sized,
{
    let user = new_user(&*store).await;
    let (h0, h1, h2, h3) = (unique("rt"), unique("rt"), unique("rt"), unique("rt"));
    let first = ok(
        store
            .issue_refresh_token(user.id, &h0, at(T0 + 30 * DAY), at(T0))
            .await,
        "issue",
    );
    let a = rotated(ok(
        store
            .rotate_refresh_token(&h0, &h1, at(T0 + 30 * DAY), at(T0 + 60), GRACE)
            .await,
        "first tab",
    ));
    let b = rotated(ok(
        store
            .rotate_refresh_token(&h0, &h2, at(T0 + 30 * DAY), at(T0 + 65), GRACE)
            .await,
        "second tab, 5 s later",
    ));
    assert_eq!(
        (a.family_id, b.family_id),
        (first.family_id, first.family_id)
    );
    assert_eq!(b.token_hash, h2);
    assert_eq!(
        token(&*store, &h1).await.revoked_at,
        None,
        "the first tab stays logged in"
    );
    let late = ok(
        store
            .rotate_refresh_token(&h0, &h3, at(T0 + 30 * DAY), at(T0 + 71), GRACE)
            .await,
        "11 s after the rotation",
    );
    assert_eq!(
        late,
        Rotation::Reused {
            user_id: user.id,
            family_id: first.family_id
        }
    );
    for h in [&h0, &h1, &h2] {
        assert!(
            token(&*store, h).await.revoked_at.is_some(),
            "family revoked"
        );
    }
    let (g0, g1, g2) = (unique("rt"), unique("rt"), unique("rt"));
    ok(
        store
            .issue_refresh_token(user.id, &g0, at(T0 + 30 * DAY), at(T0))
            .await,
        "another login",
    );
    rotated(ok(
        store
            .rotate_refresh_token(&g0, &g1, at(T0 + 30 * DAY), at(T0 + 60), GRACE)
            .await,
        "rotate",
    ));
    let family = token(&*store, &g0).await.family_id;
    ok(
        store.revoke_refresh_family(family, at(T0 + 61)).await,
        "logout",
    );
    assert_eq!(
        ok(
            store
                .rotate_refresh_token(&g0, &g2, at(T0 + 30 * DAY), at(T0 + 62), GRACE)
                .await,
            "within the window after a logout"
        ),
        Rotation::Reused {
            user_id: user.id,
            family_id: family
        },
        "a logged-out family gets no sibling"
    );
    assert_eq!(ok(store.find_refresh_token(&g2).await, "find"), None);
}
