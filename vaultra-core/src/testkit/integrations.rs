//! The contract of [`IntegrationStore`] (cursors are checked with ingest, in
//! [`super::payments`]).

use std::sync::Arc;

use super::support::{
    assert_conflict, assert_not_found, at_micros, ok, owner_and_business, tick, unique, unknown_id,
};
use crate::domain::{ConnectionStatus, Provider};
use crate::ports::storage::{BusinessStore, IntegrationStore, UserStore};

/// `link_account` creates a connected account with no sync history; `get_account` and
/// `find_account` return exactly it; an unknown external id is not found.
pub async fn link_account_creates_connected_account<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + IntegrationStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let external = unique("acct");
    let account = ok(
        store
            .link_account(business.id, Provider::Stripe, &external)
            .await,
        "link_account",
    );
    assert_eq!(account.business_id, business.id);
    assert_eq!(account.provider, Provider::Stripe);
    assert_eq!(account.external_id, external);
    assert_eq!(account.status, ConnectionStatus::Connected);
    assert_eq!(account.last_synced_at, None);
    assert_eq!(account.last_error, None);

    assert_eq!(
        ok(store.get_account(account.id).await, "get_account"),
        account
    );
    assert_eq!(
        ok(
            store.find_account(Provider::Stripe, &external).await,
            "find_account"
        ),
        Some(account.clone())
    );
    assert_eq!(
        ok(
            store.find_account(Provider::Stripe, &unique("acct")).await,
            "find_account (unknown)"
        ),
        None
    );
}

/// Linking the same account to the same business again returns the same account and
/// marks it connected (also after a disconnect); it never creates a second one.
pub async fn link_account_again_is_idempotent<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + IntegrationStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let external = unique("acct");
    let first = ok(
        store
            .link_account(business.id, Provider::Stripe, &external)
            .await,
        "link_account",
    );
    let again = ok(
        store
            .link_account(business.id, Provider::Stripe, &external)
            .await,
        "link_account again",
    );
    assert_eq!(again.id, first.id, "the same account");
    assert_eq!(again.status, ConnectionStatus::Connected);
    assert_eq!(again.business_id, business.id);

    ok(
        store
            .set_account_status(first.id, ConnectionStatus::Disconnected)
            .await,
        "set_account_status",
    );
    let relinked = ok(
        store
            .link_account(business.id, Provider::Stripe, &external)
            .await,
        "link_account after disconnect",
    );
    assert_eq!(relinked.id, first.id);
    assert_eq!(
        relinked.status,
        ConnectionStatus::Connected,
        "relinking reconnects"
    );
    assert_eq!(
        ok(store.get_account(first.id).await, "get_account").status,
        ConnectionStatus::Connected
    );
    let accounts = ok(store.accounts_of(business.id).await, "accounts_of");
    assert_eq!(accounts.len(), 1, "no twin account: {accounts:?}");
}

/// Linking an account another business holds is a `Conflict` that changes nothing.
pub async fn link_account_held_by_another_business_conflicts<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + IntegrationStore + ?Sized,
{
    let (_, holder) = owner_and_business(&*store).await;
    let (_, other) = owner_and_business(&*store).await;
    let external = unique("acct");
    let account = ok(
        store
            .link_account(holder.id, Provider::Stripe, &external)
            .await,
        "link_account",
    );
    assert_conflict(
        store
            .link_account(other.id, Provider::Stripe, &external)
            .await,
        "link_account held by another business",
    );
    let found = ok(
        store.find_account(Provider::Stripe, &external).await,
        "find_account",
    );
    assert_eq!(found, Some(account), "the holder keeps the account");
    assert!(ok(store.accounts_of(other.id).await, "accounts_of").is_empty());
}

/// Linking to an unknown business is `NotFound` and links nothing.
pub async fn link_account_for_unknown_business_is_not_found<S>(store: Arc<S>)
where
    S: IntegrationStore + ?Sized,
{
    let external = unique("acct");
    assert_not_found(
        store
            .link_account(unknown_id(), Provider::Stripe, &external)
            .await,
        "link_account for an unknown business",
    );
    assert_eq!(
        ok(
            store.find_account(Provider::Stripe, &external).await,
            "find_account"
        ),
        None
    );
}

/// `accounts_of` lists a business's accounts (any status) oldest first;
/// `connected_accounts` lists connected ones of every business, oldest first.
pub async fn accounts_of_and_connected_accounts_oldest_first<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + IntegrationStore + ?Sized,
{
    let (_, first_business) = owner_and_business(&*store).await;
    let (_, second_business) = owner_and_business(&*store).await;
    let mut mine = Vec::new();
    for business in [&first_business, &second_business, &first_business] {
        mine.push(ok(
            store
                .link_account(business.id, Provider::Stripe, &unique("acct"))
                .await,
            "link_account",
        ));
        tick().await;
    }
    let disconnected = ok(
        store
            .set_account_status(mine[2].id, ConnectionStatus::Disconnected)
            .await,
        "set_account_status",
    );

    let of_first = ok(store.accounts_of(first_business.id).await, "accounts_of");
    assert_eq!(
        of_first,
        vec![mine[0].clone(), disconnected.clone()],
        "accounts_of: every status, oldest first"
    );
    let of_second = ok(store.accounts_of(second_business.id).await, "accounts_of");
    assert_eq!(of_second, vec![mine[1].clone()]);
    assert!(ok(store.accounts_of(unknown_id()).await, "accounts_of unknown").is_empty());

    let connected = ok(
        store.connected_accounts(Provider::Stripe).await,
        "connected_accounts",
    );
    assert!(
        connected
            .iter()
            .all(|a| a.status == ConnectionStatus::Connected && a.provider == Provider::Stripe),
        "connected_accounts lists connected accounts only"
    );
    for pair in connected.windows(2) {
        assert!(
            pair[0].connected_at <= pair[1].connected_at,
            "connected_accounts is oldest first"
        );
    }
    let listed: Vec<_> = connected
        .into_iter()
        .filter(|a| mine.iter().any(|m| m.id == a.id))
        .collect();
    assert_eq!(listed, vec![mine[0].clone(), mine[1].clone()]);
}

/// `set_account_status` changes the status and returns the new state.
pub async fn set_account_status_changes_status<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + IntegrationStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let account = ok(
        store
            .link_account(business.id, Provider::Stripe, &unique("acct"))
            .await,
        "link_account",
    );
    let off = ok(
        store
            .set_account_status(account.id, ConnectionStatus::Disconnected)
            .await,
        "set_account_status disconnected",
    );
    assert_eq!(off.status, ConnectionStatus::Disconnected);
    assert_eq!(off.id, account.id);
    assert_eq!(off.external_id, account.external_id);
    assert_eq!(ok(store.get_account(account.id).await, "get_account"), off);

    let on = ok(
        store
            .set_account_status(account.id, ConnectionStatus::Connected)
            .await,
        "set_account_status connected",
    );
    assert_eq!(on.status, ConnectionStatus::Connected);
    assert_eq!(ok(store.get_account(account.id).await, "get_account"), on);
}

/// `record_sync_success` sets `last_synced_at` and clears `last_error`;
/// `record_sync_failure` sets `last_error` and keeps `last_synced_at`.
pub async fn sync_success_and_failure_are_recorded<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + IntegrationStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let account = ok(
        store
            .link_account(business.id, Provider::Stripe, &unique("acct"))
            .await,
        "link_account",
    );

    ok(
        store.record_sync_failure(account.id, "first failure").await,
        "record_sync_failure",
    );
    let got = ok(store.get_account(account.id).await, "get_account");
    assert_eq!(got.last_error.as_deref(), Some("first failure"));
    assert_eq!(got.last_synced_at, None, "a failure sets no sync time");

    let t1 = at_micros(1_772_000_000, 123_456);
    ok(
        store.record_sync_success(account.id, t1).await,
        "record_sync_success",
    );
    let got = ok(store.get_account(account.id).await, "get_account");
    assert_eq!(
        got.last_synced_at,
        Some(t1),
        "microsecond precision is kept"
    );
    assert_eq!(got.last_error, None, "a success clears the error");

    ok(
        store
            .record_sync_failure(account.id, "rate limited: retry in 2s")
            .await,
        "record_sync_failure",
    );
    let got = ok(store.get_account(account.id).await, "get_account");
    assert_eq!(got.last_error.as_deref(), Some("rate limited: retry in 2s"));
    assert_eq!(
        got.last_synced_at,
        Some(t1),
        "a failure keeps last_synced_at"
    );

    let t2 = at_micros(1_772_003_600, 999_999);
    ok(
        store.record_sync_success(account.id, t2).await,
        "record_sync_success",
    );
    let got = ok(store.get_account(account.id).await, "get_account");
    assert_eq!(got.last_synced_at, Some(t2));
    assert_eq!(got.last_error, None);
    assert_eq!(got.status, ConnectionStatus::Connected);
}

/// `get_account`, `set_account_status` and the sync records on an unknown id are
/// `NotFound`.
pub async fn unknown_account_is_not_found<S>(store: Arc<S>)
where
    S: IntegrationStore + ?Sized,
{
    let id = unknown_id();
    assert_not_found(store.get_account(id).await, "get_account");
    assert_not_found(
        store
            .set_account_status(id, ConnectionStatus::Disconnected)
            .await,
        "set_account_status",
    );
    assert_not_found(
        store
            .record_sync_success(id, at_micros(1_772_000_000, 0))
            .await,
        "record_sync_success",
    );
    assert_not_found(
        store.record_sync_failure(id, "boom").await,
        "record_sync_failure",
    );
}
