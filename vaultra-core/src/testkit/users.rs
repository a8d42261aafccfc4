//! The contract of [`UserStore`].

use std::sync::Arc;

use tokio::sync::Barrier;

use super::support::{assert_conflict, assert_not_found, ok, retry, unique_email, unknown_id};
use crate::domain::{NewUser, UserUpdate};
use crate::error::Error;
use crate::ports::storage::UserStore;

fn new_user(email: &str, name: &str) -> NewUser {
    NewUser {
        email: email.to_owned(),
        name: name.to_owned(),
        password_hash: Some(
            "$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01".to_owned(),
        ),
        avatar_url: Some("https://example.com/a.png".to_owned()),
    }
}

/// `create_user` stores every field and assigns an id; `get_user` returns exactly what
/// `create_user` returned; `find_user_by_email` finds it in any case and returns `None`
/// for an unknown address.
pub async fn create_and_get_user<S>(store: Arc<S>)
where
    S: UserStore + ?Sized,
{
    let email = unique_email();
    let new = new_user(&email, "Ann Example").validated().unwrap();
    let user = ok(store.create_user(new.clone()).await, "create_user");
    assert_eq!(user.email, email);
    assert_eq!(user.name, "Ann Example");
    assert_eq!(user.avatar_url, new.avatar_url);
    assert_eq!(user.password_hash, new.password_hash);
    assert!(user.updated_at >= user.created_at, "{user:?}");

    let got = ok(store.get_user(user.id).await, "get_user");
    assert_eq!(got, user, "get_user returns the state create_user returned");
    assert_eq!(got.created_at, user.created_at);
    assert_eq!(got.updated_at, user.updated_at);

    let found = ok(store.find_user_by_email(&email).await, "find_user_by_email");
    assert_eq!(found.as_ref(), Some(&user));
    let upper = email.to_uppercase();
    let found = ok(
        store.find_user_by_email(&upper).await,
        "find_user_by_email (upper case)",
    );
    assert_eq!(found.as_ref(), Some(&user), "e-mails are found in any case");

    let other = ok(
        store.find_user_by_email(&unique_email()).await,
        "find_user_by_email (unknown)",
    );
    assert_eq!(other, None);

    let second = ok(
        store
            .create_user(new_user(&unique_email(), "Bob").validated().unwrap())
            .await,
        "create_user (second)",
    );
    assert_ne!(second.id, user.id, "ids are distinct");
}

/// Stores keep e-mails lowercased: a user created with a mixed-case address is stored,
/// returned and found in lower case.
pub async fn created_email_is_lowercased<S>(store: Arc<S>)
where
    S: UserStore + ?Sized,
{
    let email = unique_email();
    let mixed = format!("Mixed.{}", email.to_uppercase());
    let user = ok(
        store.create_user(new_user(&mixed, "Mixed Case")).await,
        "create_user (mixed case)",
    );
    assert_eq!(
        user.email,
        mixed.to_lowercase(),
        "the stored e-mail is lowercased"
    );
    let found = ok(
        store.find_user_by_email(&mixed.to_lowercase()).await,
        "find",
    );
    assert_eq!(found.map(|u| u.id), Some(user.id));
}

/// A second user with the same e-mail — in the same or any other case — is a
/// `Conflict`, and the first user is unchanged.
pub async fn duplicate_email_conflicts_in_any_case<S>(store: Arc<S>)
where
    S: UserStore + ?Sized,
{
    let email = unique_email();
    let first = ok(
        store
            .create_user(new_user(&email, "First").validated().unwrap())
            .await,
        "create_user",
    );
    assert_conflict(
        store
            .create_user(new_user(&email, "Same").validated().unwrap())
            .await,
        "create_user with the same e-mail",
    );
    assert_conflict(
        store
            .create_user(new_user(&email.to_uppercase(), "Upper"))
            .await,
        "create_user with the e-mail upper-cased",
    );
    let (local, domain) = email.split_once('@').unwrap();
    let mixed = format!("{}@{}", local.to_uppercase(), domain);
    assert_conflict(
        store.create_user(new_user(&mixed, "Mixed")).await,
        "create_user with the e-mail in mixed case",
    );
    let found = ok(store.find_user_by_email(&email).await, "find_user_by_email");
    assert_eq!(found, Some(first), "the first user is unchanged");
}

/// `get_user`, `update_user` and `set_password_hash` on an unknown id are `NotFound`.
pub async fn unknown_user_is_not_found<S>(store: Arc<S>)
where
    S: UserStore + ?Sized,
{
    let id = unknown_id();
    assert_not_found(store.get_user(id).await, "get_user");
    assert_not_found(
        store
            .update_user(
                id,
                UserUpdate {
                    name: Some("X".to_owned()),
                    avatar_url: None,
                },
            )
            .await,
        "update_user",
    );
    assert_not_found(
        store.set_password_hash(id, "hash").await,
        "set_password_hash",
    );
}

/// `update_user` applies the given fields, leaves `None` fields as they are, clears the
/// avatar with `Some(None)`, and returns the stored state.
pub async fn update_user_applies_fields<S>(store: Arc<S>)
where
    S: UserStore + ?Sized,
{
    let user = ok(
        store
            .create_user(new_user(&unique_email(), "Before").validated().unwrap())
            .await,
        "create_user",
    );

    let renamed = ok(
        store
            .update_user(
                user.id,
                UserUpdate {
                    name: Some("After".to_owned()),
                    avatar_url: None,
                },
            )
            .await,
        "update_user (name)",
    );
    assert_eq!(renamed.name, "After");
    assert_eq!(
        renamed.avatar_url, user.avatar_url,
        "None leaves the avatar"
    );
    assert_eq!(renamed.email, user.email);
    assert_eq!(renamed.password_hash, user.password_hash);
    assert_eq!(renamed.created_at, user.created_at);
    assert!(renamed.updated_at >= user.updated_at);
    assert_eq!(ok(store.get_user(user.id).await, "get_user"), renamed);

    let new_avatar = Some("https://example.com/b.png".to_owned());
    let reavatared = ok(
        store
            .update_user(
                user.id,
                UserUpdate {
                    name: None,
                    avatar_url: Some(new_avatar.clone()),
                },
            )
            .await,
        "update_user (avatar)",
    );
    assert_eq!(reavatared.name, "After", "None leaves the name");
    assert_eq!(reavatared.avatar_url, new_avatar);
    assert_eq!(ok(store.get_user(user.id).await, "get_user"), reavatared);

    let cleared = ok(
        store
            .update_user(
                user.id,
                UserUpdate {
                    name: None,
                    avatar_url: Some(None),
                },
            )
            .await,
        "update_user (clear avatar)",
    );
    assert_eq!(cleared.avatar_url, None, "Some(None) clears the avatar");
    assert_eq!(cleared.name, "After");
    assert_eq!(ok(store.get_user(user.id).await, "get_user"), cleared);

    let unchanged = ok(
        store.update_user(user.id, UserUpdate::default()).await,
        "update_user (empty)",
    );
    assert_eq!(unchanged.name, cleared.name);
    assert_eq!(unchanged.avatar_url, None);
    assert_eq!(unchanged.email, user.email);
}

/// `set_password_hash` replaces the hash (also when there was none) and changes nothing
/// else.
pub async fn set_password_hash_replaces_hash<S>(store: Arc<S>)
where
    S: UserStore + ?Sized,
{
    let mut new = new_user(&unique_email(), "No Password")
        .validated()
        .unwrap();
    new.password_hash = None;
    let user = ok(store.create_user(new).await, "create_user");
    assert_eq!(user.password_hash, None);

    ok(
        store.set_password_hash(user.id, "$2b$12$first").await,
        "set_password_hash",
    );
    let got = ok(store.get_user(user.id).await, "get_user");
    assert_eq!(got.password_hash.as_deref(), Some("$2b$12$first"));
    assert_eq!(got.email, user.email);
    assert_eq!(got.name, user.name);

    ok(
        store.set_password_hash(user.id, "$2b$12$second").await,
        "set_password_hash again",
    );
    let got = ok(store.get_user(user.id).await, "get_user");
    assert_eq!(got.password_hash.as_deref(), Some("$2b$12$second"));
}

/// Two concurrent `create_user` calls with one e-mail in different case: exactly one
/// succeeds and the other is a `Conflict` (repeated over several e-mails).
pub async fn concurrent_create_user_same_email<S>(store: Arc<S>)
where
    S: UserStore + ?Sized,
{
    for round in 0..8 {
        let email = unique_email();
        let barrier = Arc::new(Barrier::new(2));
        let spellings = [email.clone(), email.to_uppercase()];
        let mut tasks = Vec::new();
        for (i, spelling) in spellings.into_iter().enumerate() {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            tasks.push(tokio::spawn(async move {
                let new = new_user(&spelling, &format!("Racer {i}"));
                barrier.wait().await;
                retry(|| store.create_user(new.clone())).await
            }));
        }
        let mut created = Vec::new();
        let mut conflicts = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(user) => created.push(user),
                Err(Error::Conflict { .. }) => conflicts += 1,
                Err(e) => panic!("round {round}: unexpected error {e:?}"),
            }
        }
        assert_eq!(
            created.len(),
            1,
            "round {round}: exactly one create succeeds"
        );
        assert_eq!(conflicts, 1, "round {round}: the other is a Conflict");
        let found = ok(store.find_user_by_email(&email).await, "find_user_by_email");
        assert_eq!(found.map(|u| u.id), Some(created[0].id));
        assert_eq!(created[0].email, email, "stored lowercased");
    }
}
