//! The storage contract, port by port, on a backend of four ports only.
//!
//! `Directory` keeps users, businesses, integration accounts and payment objects in memory
//! and implements nothing else (no analytics, recommendations, events, conversations, …).
//! It still runs every case of the groups those four ports make up — `users`,
//! `businesses`, `integrations`, `payments` — and the cases of the Users service, whose
//! constructor asks for a `UserStore` and a `BusinessStore` and nothing more. A store
//! that implemented only part of the ports could run none of this while every case and
//! every service took the whole `Store`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;
use vaultra_core::domain::{
    Business, BusinessUpdate, Charge, ConnectionStatus, Dispute, IntegrationAccount, Membership,
    NewBusiness, NewUser, PaymentData, Payout, PayoutPaid, Provider, Role, User, UserUpdate,
};
use vaultra_core::metrics::{Window, day_of};
use vaultra_core::ports::storage::{
    BusinessStore, Coverage, CursorUpdate, Ingest, IngestBatch, IngestStats, IntegrationStore,
    ObjectKind, PaymentStore, UserStore,
};
use vaultra_core::services::users::{UsersPorts, UsersService};
use vaultra_core::testkit;
use vaultra_core::{Error, Result};

/// A stored payment object and the provider's JSON last given for it.
#[derive(Debug, Clone)]
struct Stored<T> {
    object: T,
    raw: Option<Value>,
}

/// Everything `Directory` holds; one lock makes every method a unit of work.
#[derive(Debug, Default)]
struct State {
    users: HashMap<Uuid, User>,
    businesses: HashMap<Uuid, Business>,
    /// By (user, business).
    memberships: HashMap<(Uuid, Uuid), Membership>,
    accounts: HashMap<Uuid, IntegrationAccount>,
    /// By (account, stream).
    cursors: HashMap<(Uuid, String), String>,
    /// By (business, Stripe id).
    charges: HashMap<(Uuid, String), Stored<Charge>>,
    payouts: HashMap<(Uuid, String), Stored<Payout>>,
    disputes: HashMap<(Uuid, String), Stored<Dispute>>,
    /// By (business, event id).
    payout_paid: HashMap<(Uuid, String), PayoutPaid>,
}

/// Users, businesses, integration accounts and payment objects, in memory.
#[derive(Debug, Default)]
struct Directory {
    state: Mutex<State>,
}

impl Directory {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }
}

/// Now, at the microsecond precision stores keep.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

fn not_found(entity: &'static str, id: impl ToString) -> Error {
    Error::not_found(entity, id)
}

impl State {
    fn user(&self, id: Uuid) -> Result<&User> {
        self.users.get(&id).ok_or_else(|| not_found("user", id))
    }

    fn business(&self, id: Uuid) -> Result<&Business> {
        self.businesses
            .get(&id)
            .ok_or_else(|| not_found("business", id))
    }

    fn account_mut(&mut self, id: Uuid) -> Result<&mut IntegrationAccount> {
        self.accounts
            .get_mut(&id)
            .ok_or_else(|| not_found("integration account", id))
    }
}

/// Oldest first, ties by id: the order the contract asks of every listing.
fn oldest_first<T>(items: &mut [T], key: impl Fn(&T) -> (DateTime<Utc>, Uuid)) {
    items.sort_by_key(|item| key(item));
}

#[async_trait]
impl UserStore for Directory {
    async fn create_user(&self, new: NewUser) -> Result<User> {
        let new = new.validated()?;
        let mut state = self.state();
        if state.users.values().any(|u| u.email == new.email) {
            return Err(Error::conflict(format!(
                "a user with e-mail {} exists",
                new.email
            )));
        }
        let at = now();
        let user = User {
            id: Uuid::new_v4(),
            email: new.email,
            name: new.name,
            avatar_url: new.avatar_url,
            password_hash: new.password_hash,
            created_at: at,
            updated_at: at,
        };
        state.users.insert(user.id, user.clone());
        Ok(user)
    }

    async fn get_user(&self, id: Uuid) -> Result<User> {
        self.state().user(id).cloned()
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = email.trim().to_lowercase();
        Ok(self
            .state()
            .users
            .values()
            .find(|u| u.email == email)
            .cloned())
    }

    async fn update_user(&self, id: Uuid, update: UserUpdate) -> Result<User> {
        let mut state = self.state();
        let mut user = state.user(id)?.clone();
        if let Some(name) = update.name {
            let name = name.trim();
            if name.is_empty() {
                return Err(Error::invalid("name", "must not be empty"));
            }
            name.clone_into(&mut user.name);
        }
        if let Some(avatar) = update.avatar_url {
            user.avatar_url = avatar;
        }
        user.updated_at = now();
        state.users.insert(id, user.clone());
        Ok(user)
    }

    async fn set_password_hash(&self, id: Uuid, hash: &str) -> Result<()> {
        let mut state = self.state();
        let user = state
            .users
            .get_mut(&id)
            .ok_or_else(|| not_found("user", id))?;
        user.password_hash = Some(hash.to_owned());
        user.updated_at = now();
        Ok(())
    }
}

#[async_trait]
impl BusinessStore for Directory {
    async fn create_business(&self, owner: Uuid, new: NewBusiness) -> Result<Business> {
        let new = new.validated()?;
        let mut state = self.state();
        state.user(owner)?;
        let at = now();
        let business = Business {
            id: Uuid::new_v4(),
            name: new.name,
            industry: new.industry,
            revenue_estimate: new.revenue_estimate,
            currency: new.currency,
            created_at: at,
            updated_at: at,
        };
        state.businesses.insert(business.id, business.clone());
        state.memberships.insert(
            (owner, business.id),
            Membership {
                user_id: owner,
                business_id: business.id,
                role: Role::Owner,
                created_at: at,
            },
        );
        Ok(business)
    }

    async fn get_business(&self, id: Uuid) -> Result<Business> {
        self.state().business(id).cloned()
    }

    async fn update_business(&self, id: Uuid, update: BusinessUpdate) -> Result<Business> {
        let update = update.validated()?;
        let mut state = self.state();
        let mut business = state.business(id)?.clone();
        update.apply_to(&mut business);
        business.updated_at = now();
        state.businesses.insert(id, business.clone());
        Ok(business)
    }

    async fn list_businesses(&self) -> Result<Vec<Business>> {
        let mut all: Vec<Business> = self.state().businesses.values().cloned().collect();
        oldest_first(&mut all, |b| (b.created_at, b.id));
        Ok(all)
    }

    async fn businesses_of(&self, user: Uuid) -> Result<Vec<(Business, Role)>> {
        let state = self.state();
        let mut of: Vec<(Business, Role)> = state
            .memberships
            .values()
            .filter(|m| m.user_id == user)
            .filter_map(|m| Some((state.businesses.get(&m.business_id)?.clone(), m.role)))
            .collect();
        oldest_first(&mut of, |(b, _)| (b.created_at, b.id));
        Ok(of)
    }

    async fn membership(&self, user: Uuid, business: Uuid) -> Result<Option<Membership>> {
        Ok(self.state().memberships.get(&(user, business)).cloned())
    }

    async fn add_member(&self, business: Uuid, user: Uuid, role: Role) -> Result<Membership> {
        let mut state = self.state();
        state.business(business)?;
        state.user(user)?;
        if state.memberships.contains_key(&(user, business)) {
            return Err(Error::conflict(
                "the user is already a member of this business",
            ));
        }
        let membership = Membership {
            user_id: user,
            business_id: business,
            role,
            created_at: now(),
        };
        state.memberships.insert((user, business), membership);
        Ok(membership)
    }
}

#[async_trait]
impl IntegrationStore for Directory {
    async fn link_account(
        &self,
        business: Uuid,
        provider: Provider,
        external_id: &str,
    ) -> Result<IntegrationAccount> {
        let external_id = external_id.trim();
        if external_id.is_empty() {
            return Err(Error::invalid("external_id", "must not be empty"));
        }
        let mut state = self.state();
        state.business(business)?;
        let held = state
            .accounts
            .values_mut()
            .find(|a| a.provider == provider && a.external_id == external_id);
        if let Some(existing) = held {
            if existing.business_id != business {
                return Err(Error::conflict(format!(
                    "{} account {external_id} is linked to another business",
                    provider.as_str()
                )));
            }
            existing.status = ConnectionStatus::Connected;
            return Ok(existing.clone());
        }
        let account = IntegrationAccount {
            id: Uuid::new_v4(),
            business_id: business,
            provider,
            external_id: external_id.to_owned(),
            status: ConnectionStatus::Connected,
            connected_at: now(),
            last_synced_at: None,
            last_error: None,
        };
        state.accounts.insert(account.id, account.clone());
        Ok(account)
    }

    async fn get_account(&self, id: Uuid) -> Result<IntegrationAccount> {
        self.state().account_mut(id).map(|a| a.clone())
    }

    async fn find_account(
        &self,
        provider: Provider,
        external_id: &str,
    ) -> Result<Option<IntegrationAccount>> {
        Ok(self
            .state()
            .accounts
            .values()
            .find(|a| a.provider == provider && a.external_id == external_id)
            .cloned())
    }

    async fn accounts_of(&self, business: Uuid) -> Result<Vec<IntegrationAccount>> {
        let mut of: Vec<IntegrationAccount> = self
            .state()
            .accounts
            .values()
            .filter(|a| a.business_id == business)
            .cloned()
            .collect();
        oldest_first(&mut of, |a| (a.connected_at, a.id));
        Ok(of)
    }

    async fn connected_accounts(&self, provider: Provider) -> Result<Vec<IntegrationAccount>> {
        let mut connected: Vec<IntegrationAccount> = self
            .state()
            .accounts
            .values()
            .filter(|a| a.provider == provider && a.status == ConnectionStatus::Connected)
            .cloned()
            .collect();
        oldest_first(&mut connected, |a| (a.connected_at, a.id));
        Ok(connected)
    }

    async fn set_account_status(
        &self,
        id: Uuid,
        status: ConnectionStatus,
    ) -> Result<IntegrationAccount> {
        let mut state = self.state();
        let account = state.account_mut(id)?;
        account.status = status;
        Ok(account.clone())
    }

    async fn record_sync_success(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let mut state = self.state();
        let account = state.account_mut(id)?;
        account.last_synced_at = Some(at);
        account.last_error = None;
        Ok(())
    }

    async fn record_sync_failure(&self, id: Uuid, error: &str) -> Result<()> {
        self.state().account_mut(id)?.last_error = Some(error.to_owned());
        Ok(())
    }

    async fn cursor(&self, account: Uuid, stream: &str) -> Result<Option<String>> {
        Ok(self
            .state()
            .cursors
            .get(&(account, stream.to_owned()))
            .cloned())
    }
}

/// Upserts `items` of `business` by Stripe id: the object is replaced, its raw JSON only
/// when a new one comes. Returns how many distinct objects were written.
fn upsert<T: Clone>(
    table: &mut HashMap<(Uuid, String), Stored<T>>,
    business: Uuid,
    items: &[Ingest<T>],
    id: impl Fn(&T) -> &str,
) -> u64 {
    let mut written = std::collections::HashSet::new();
    for item in items {
        let key = (business, id(&item.object).to_owned());
        let raw = match (&item.raw, table.get(&key)) {
            (Some(raw), _) => Some(raw.clone()),
            (None, Some(old)) => old.raw.clone(),
            (None, None) => None,
        };
        table.insert(
            key.clone(),
            Stored {
                object: item.object.clone(),
                raw,
            },
        );
        written.insert(key);
    }
    written.len() as u64
}

#[async_trait]
impl PaymentStore for Directory {
    async fn ingest(
        &self,
        business: Uuid,
        account: Option<Uuid>,
        batch: &IngestBatch,
        cursor: Option<&CursorUpdate>,
    ) -> Result<IngestStats> {
        // What `payment_data` cannot hand out is refused before anything is written.
        let mut check = PaymentData::new();
        for charge in &batch.charges {
            check.add_charge(&charge.object)?;
        }
        let mut state = self.state();
        state.business(business)?;
        for id in account.iter().chain(cursor.map(|c| &c.account)) {
            if state.accounts.get(id).map(|a| a.business_id) != Some(business) {
                return Err(not_found("integration account of this business", id));
            }
        }
        let mut stats = IngestStats {
            charges: upsert(&mut state.charges, business, &batch.charges, |c| &c.id),
            payouts: upsert(&mut state.payouts, business, &batch.payouts, |p| &p.id),
            disputes: upsert(&mut state.disputes, business, &batch.disputes, |d| &d.id),
            payout_paid: 0,
        };
        for event in &batch.payout_paid {
            let key = (business, event.event_id.clone());
            if let std::collections::hash_map::Entry::Vacant(slot) = state.payout_paid.entry(key) {
                slot.insert(event.clone());
                stats.payout_paid += 1;
            }
        }
        if let Some(c) = cursor {
            state
                .cursors
                .insert((c.account, c.stream.clone()), c.value.clone());
        }
        Ok(stats)
    }

    async fn payment_data(&self, business: Uuid, window: Window) -> Result<PaymentData> {
        let state = self.state();
        let inside = |t: i64| window.contains_day(day_of(t));
        let mut data = PaymentData::new();
        for ((b, _), c) in &state.charges {
            if *b == business && inside(c.object.created) {
                data.add_charge(&c.object)?;
            }
        }
        for ((b, _), p) in &state.payouts {
            if *b == business && inside(p.object.arrival_date) {
                data.add_payout(p.object.clone());
            }
        }
        for ((b, _), d) in &state.disputes {
            if *b == business && inside(d.object.created) {
                data.add_dispute(d.object.clone());
            }
        }
        for ((b, _), event) in &state.payout_paid {
            if *b == business && data.payouts.iter().any(|p| p.id == event.payout_id) {
                data.add_payout_paid(event);
            }
        }
        Ok(data)
    }

    async fn coverage(&self, business: Uuid) -> Result<Coverage> {
        let state = self.state();
        let created: Vec<i64> = state
            .charges
            .iter()
            .filter(|((b, _), _)| *b == business)
            .map(|(_, c)| c.object.created)
            .collect();
        let at = |t: Option<&i64>| t.and_then(|t| DateTime::from_timestamp(*t, 0));
        Ok(Coverage {
            charges: created.len() as u64,
            first_charge_at: at(created.iter().min()),
            last_charge_at: at(created.iter().max()),
        })
    }

    async fn raw_object(
        &self,
        business: Uuid,
        kind: ObjectKind,
        stripe_id: &str,
    ) -> Result<Option<Value>> {
        let state = self.state();
        let key = (business, stripe_id.to_owned());
        let raw = match kind {
            ObjectKind::Charge => state.charges.get(&key).map(|s| s.raw.clone()),
            ObjectKind::Payout => state.payouts.get(&key).map(|s| s.raw.clone()),
            ObjectKind::Dispute => state.disputes.get(&key).map(|s| s.raw.clone()),
        };
        raw.ok_or_else(|| not_found(kind.as_str(), stripe_id))
    }
}

async fn directory() -> Arc<Directory> {
    Arc::new(Directory::default())
}

vaultra_core::store_contract_tests!(
    directory(),
    ports = [users, businesses, integrations, payments]
);

/// The Users service takes a user store and a business store, so it runs on the
/// directory; so do the cases of the `services` group that exercise it, whose bounds ask
/// for no more.
mod users_service {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_over_the_two_ports_it_names() {
        let store = directory().await;
        let users = UsersService::new(UsersPorts {
            users: store.clone(),
            businesses: store.clone(),
        });
        let owner = store
            .create_user(NewUser {
                email: "owner@example.com".into(),
                name: "Owner".into(),
                password_hash: None,
                avatar_url: None,
            })
            .await
            .unwrap();
        let business = users
            .create_business(owner.id, NewBusiness::named("  Corner Shop  "))
            .await
            .unwrap();
        assert_eq!(business.name, "Corner Shop");
        let profile = users.get_user_profile(owner.id).await.unwrap();
        assert_eq!(profile.businesses.len(), 1);
        assert_eq!(profile.businesses[0].role, Role::Owner);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn profile_lists_businesses_with_roles() {
        testkit::services::profile_lists_businesses_with_roles(directory().await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn update_user_profile_validates() {
        testkit::services::update_user_profile_validates(directory().await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn create_business_validates_and_makes_owner() {
        testkit::services::create_business_validates_and_makes_owner(directory().await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn update_business_needs_owner_or_admin() {
        testkit::services::update_business_needs_owner_or_admin(directory().await).await;
    }
}
