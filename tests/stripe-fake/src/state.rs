//! What the fake knows: accounts and their objects, keys, OAuth codes, faults and the
//! request log; and [`Handle`], the test's way to change it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};
use vaultra_adapters::synth::{
    Merchant, charge_json, dispute_json, payout_json, payout_paid_event_json,
};
use vaultra_core::domain::{Charge, Dispute, Payout, PayoutPaid};

use crate::list::Collection;
use crate::{Config, FakeError, ObjectKind};

/// A canned failure, served instead of (or, for a delay, before) the real answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 429 with Stripe's `rate_limit` error body and `Retry-After: retry_after_secs`.
    RateLimited {
        /// The `Retry-After` header value, in seconds.
        retry_after_secs: u64,
    },
    /// 500 with Stripe's `api_error` body.
    ServerError,
    /// Wait this long, then answer normally (to test client timeouts).
    Delay(Duration),
}

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, e.g. `/v1/charges`.
    pub path: String,
    /// The raw query string, as sent (still percent-encoded).
    pub query: Option<String>,
    /// The `Stripe-Account` header.
    pub stripe_account: Option<String>,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// The response status; `None` while the request is still being answered.
    pub status: Option<u16>,
}

impl RecordedRequest {
    /// The query parameters, percent-decoded (`created%5Bgte%5D` reads `created[gte]`).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// The value of query parameter `name` (decoded), if present.
    pub fn param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Clone)]
struct FaultRule {
    path_prefix: Option<String>,
    fault: Fault,
    remaining: usize,
}

/// One account's data.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccountData {
    pub(crate) connected: bool,
    pub(crate) object: Option<Value>,
    pub(crate) charges: Collection,
    pub(crate) payouts: Collection,
    pub(crate) disputes: Collection,
    pub(crate) events: Collection,
    domain_payouts: HashMap<String, Payout>,
}

impl AccountData {
    pub(crate) fn collection(&self, kind: ObjectKind) -> &Collection {
        match kind {
            ObjectKind::Charge => &self.charges,
            ObjectKind::Payout => &self.payouts,
            ObjectKind::Dispute => &self.disputes,
            ObjectKind::Event => &self.events,
        }
    }

    fn collection_mut(&mut self, kind: ObjectKind) -> &mut Collection {
        match kind {
            ObjectKind::Charge => &mut self.charges,
            ObjectKind::Payout => &mut self.payouts,
            ObjectKind::Dispute => &mut self.disputes,
            ObjectKind::Event => &mut self.events,
        }
    }
}

#[derive(Debug, Clone)]
struct OAuthCode {
    account: String,
    scope: String,
    used: bool,
    issued: Vec<String>,
}

/// Who a key acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyScope {
    /// A platform secret key: the platform, or any connected account via `Stripe-Account`.
    Platform,
    /// An OAuth access token: that connected account only.
    Account(String),
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub(crate) accounts: BTreeMap<String, AccountData>,
    keys: HashMap<String, KeyScope>,
    codes: HashMap<String, OAuthCode>,
    refresh_tokens: HashMap<String, String>,
    faults: Vec<FaultRule>,
    log: Vec<RecordedRequest>,
    next_id: u64,
}

impl Inner {
    fn account_mut(&mut self, account: &str) -> &mut AccountData {
        let data = self.accounts.entry(account.to_owned()).or_default();
        data.connected = true;
        data
    }

    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn key_scope(&self, key: &str) -> Option<&KeyScope> {
        self.keys.get(key)
    }

    pub(crate) fn is_connected(&self, account: &str) -> bool {
        self.accounts.get(account).is_some_and(|a| a.connected)
    }

    /// Consumes the first fault rule that applies to `path`.
    pub(crate) fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|r| {
            r.remaining > 0 && r.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
        })?;
        let rule = &mut self.faults[index];
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        if rule.remaining == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }

    pub(crate) fn record(&mut self, request: RecordedRequest) -> usize {
        self.log.push(request);
        self.log.len() - 1
    }

    pub(crate) fn set_status(&mut self, index: usize, status: u16) {
        if let Some(r) = self.log.get_mut(index) {
            r.status = Some(status);
        }
    }

    /// Exchanges an authorization code. `Err((error, description))` as OAuth words it.
    pub(crate) fn exchange_code(
        &mut self,
        code: &str,
    ) -> Result<(String, String, String, String), (&'static str, String)> {
        let n = self.next_id();
        let Some(entry) = self.codes.get_mut(code) else {
            return Err((
                "invalid_grant",
                format!("Authorization code does not exist: {code}"),
            ));
        };
        if entry.used {
            // Stripe revokes everything issued with a replayed code.
            let issued = std::mem::take(&mut entry.issued);
            for token in issued {
                self.keys.remove(&token);
                self.refresh_tokens.remove(&token);
            }
            return Err((
                "invalid_grant",
                format!(
                    "This authorization code has already been used. All tokens issued with \
                     this code have been revoked. ({code})"
                ),
            ));
        }
        entry.used = true;
        let account = entry.account.clone();
        let scope = entry.scope.clone();
        let access = format!("sk_test_oauth{n:06}{}", account.trim_start_matches("acct_"));
        let refresh = format!("rt_fake{n:06}{}", account.trim_start_matches("acct_"));
        entry.issued = vec![access.clone(), refresh.clone()];
        self.keys
            .insert(access.clone(), KeyScope::Account(account.clone()));
        self.refresh_tokens.insert(refresh.clone(), account.clone());
        self.account_mut(&account);
        Ok((account, scope, access, refresh))
    }

    /// Issues a new access token for a refresh token.
    pub(crate) fn refresh(&mut self, refresh_token: &str) -> Option<(String, String)> {
        let account = self.refresh_tokens.get(refresh_token)?.clone();
        if !self.is_connected(&account) {
            return None;
        }
        let n = self.next_id();
        let access = format!("sk_test_oauth{n:06}{}", account.trim_start_matches("acct_"));
        self.keys
            .insert(access.clone(), KeyScope::Account(account.clone()));
        Some((account, access))
    }

    /// Disconnects an account and revokes its OAuth tokens; whether it was connected.
    pub(crate) fn disconnect(&mut self, account: &str) -> bool {
        let was = self.is_connected(account);
        if let Some(data) = self.accounts.get_mut(account) {
            data.connected = false;
        }
        self.keys
            .retain(|_, scope| *scope != KeyScope::Account(account.to_owned()));
        self.refresh_tokens.retain(|_, a| a != account);
        was
    }
}

/// Shared state of one fake server.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    inner: Mutex<Inner>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic in a test thread while holding the lock must not take every later
        // request down with it: the data is still consistent between statements.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The test's remote control for a fake server: load data, inject faults, read the log.
/// Cheap to clone; every clone controls the same server.
#[derive(Debug, Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Handle {
    /// A fresh state for `config`: its platform account, its keys, no data.
    pub fn new(config: Config) -> Self {
        let mut inner = Inner::default();
        for key in &config.secret_keys {
            inner.keys.insert(key.clone(), KeyScope::Platform);
        }
        inner
            .accounts
            .entry(config.platform_account.clone())
            .or_default()
            .connected = true;
        Self {
            shared: Arc::new(Shared {
                config,
                inner: Mutex::new(inner),
            }),
        }
    }

    /// The configuration the server runs with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The first platform secret key: send it as `Authorization: Bearer …`.
    pub fn secret_key(&self) -> &str {
        self.shared
            .config
            .secret_keys
            .first()
            .map_or("", String::as_str)
    }

    /// Accepts another platform secret key from now on.
    pub fn add_secret_key(&self, key: &str) {
        self.shared
            .lock()
            .keys
            .insert(key.to_owned(), KeyScope::Platform);
    }

    /// Connects an account (no data yet). Adding data to an account connects it too.
    pub fn add_account(&self, account: &str) {
        self.shared.lock().account_mut(account);
    }

    /// Disconnects an account as a deauthorization would: `Stripe-Account: account`
    /// then gets 403 and its OAuth tokens 401. Its data is kept; `add_account`
    /// reconnects it. Returns whether it was connected.
    pub fn disconnect_account(&self, account: &str) -> bool {
        self.shared.lock().disconnect(account)
    }

    /// Whether `account` is connected (the platform account always is).
    pub fn is_connected(&self, account: &str) -> bool {
        self.shared.lock().is_connected(account)
    }

    /// Adds (or replaces, by id) charges, rendered as complete Stripe objects.
    pub fn add_charges(&self, account: &str, charges: &[Charge]) {
        let mut inner = self.shared.lock();
        let data = inner.account_mut(account);
        for c in charges {
            data.charges.insert(c.id.clone(), c.created, charge_json(c));
        }
    }

    /// Adds (or replaces, by id) payouts, rendered as complete Stripe objects.
    pub fn add_payouts(&self, account: &str, payouts: &[Payout]) {
        let mut inner = self.shared.lock();
        let data = inner.account_mut(account);
        for p in payouts {
            data.payouts.insert(p.id.clone(), p.created, payout_json(p));
            data.domain_payouts.insert(p.id.clone(), p.clone());
        }
    }

    /// Adds (or replaces, by id) disputes, rendered as complete Stripe objects.
    pub fn add_disputes(&self, account: &str, disputes: &[Dispute]) {
        let mut inner = self.shared.lock();
        let data = inner.account_mut(account);
        for d in disputes {
            data.disputes
                .insert(d.id.clone(), d.created, dispute_json(d));
        }
    }

    /// Adds `payout.paid` events. Each event's payout must have been added to the same
    /// account with [`Handle::add_payouts`] (the event carries it); otherwise nothing
    /// is added and the error names the payout.
    pub fn add_events(&self, account: &str, events: &[PayoutPaid]) -> Result<(), FakeError> {
        let mut inner = self.shared.lock();
        let data = inner.account_mut(account);
        let mut rendered = Vec::with_capacity(events.len());
        for e in events {
            let payout =
                data.domain_payouts
                    .get(&e.payout_id)
                    .ok_or_else(|| FakeError::UnknownPayout {
                        account: account.to_owned(),
                        payout: e.payout_id.clone(),
                    })?;
            rendered.push((
                e.event_id.clone(),
                e.paid_at,
                payout_paid_event_json(e, payout),
            ));
        }
        for (id, created, value) in rendered {
            data.events.insert(id, created, value);
        }
        Ok(())
    }

    /// Adds everything of a synthetic merchant (see `vaultra_adapters::synth`).
    pub fn add_merchant(&self, account: &str, merchant: &Merchant) -> Result<(), FakeError> {
        self.add_charges(account, &merchant.charges);
        self.add_payouts(account, &merchant.payouts);
        self.add_disputes(account, &merchant.disputes);
        self.add_events(account, &merchant.events)
    }

    /// Adds (or replaces) a raw Stripe object, routed by its `object` field (`charge`,
    /// `payout`, `dispute`, `event`; `account` replaces what `GET /v1/account`
    /// returns). It needs a string `id` and, except for an account, an integer
    /// `created`. Served exactly as given: make it complete if a strict client reads it.
    pub fn add_object(&self, account: &str, object: Value) -> Result<(), FakeError> {
        let invalid = |why: &str| FakeError::InvalidObject(why.to_owned());
        let kind = object
            .get("object")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("no string field `object`"))?
            .to_owned();
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("no string field `id`"))?
            .to_owned();
        let mut inner = self.shared.lock();
        let data = inner.account_mut(account);
        if kind == "account" {
            data.object = Some(object);
            return Ok(());
        }
        let kind = ObjectKind::from_object_name(&kind)
            .ok_or_else(|| FakeError::InvalidObject(format!("unsupported object type {kind}")))?;
        let created = object
            .get("created")
            .and_then(Value::as_i64)
            .ok_or_else(|| invalid("no integer field `created`"))?;
        data.collection_mut(kind).insert(id, created, object);
        Ok(())
    }

    /// Removes an object by id; whether it was there.
    pub fn remove_object(&self, account: &str, kind: ObjectKind, id: &str) -> bool {
        self.shared
            .lock()
            .accounts
            .get_mut(account)
            .is_some_and(|a| a.collection_mut(kind).remove(id))
    }

    /// How many objects of `kind` an account holds.
    pub fn count(&self, account: &str, kind: ObjectKind) -> usize {
        self.shared
            .lock()
            .accounts
            .get(account)
            .map_or(0, |a| a.collection(kind).len())
    }

    /// Registers a single-use OAuth authorization code that connects `account` with
    /// scope `read_only` when exchanged at `POST /oauth/token`.
    pub fn add_oauth_code(&self, code: &str, account: &str) {
        self.add_oauth_code_with_scope(code, account, "read_only");
    }

    /// Like [`Handle::add_oauth_code`] with another scope (`read_write`).
    pub fn add_oauth_code_with_scope(&self, code: &str, account: &str, scope: &str) {
        self.shared.lock().codes.insert(
            code.to_owned(),
            OAuthCode {
                account: account.to_owned(),
                scope: scope.to_owned(),
                used: false,
                issued: Vec::new(),
            },
        );
    }

    /// Serves `fault` for the next `times` requests, whatever their path. Rules are
    /// consumed in the order they were added.
    pub fn inject(&self, fault: Fault, times: usize) {
        self.push_fault(None, fault, times);
    }

    /// Serves `fault` for the next `times` requests whose path starts with
    /// `path_prefix` (e.g. `/v1/charges`).
    pub fn inject_on(&self, path_prefix: &str, fault: Fault, times: usize) {
        self.push_fault(Some(path_prefix.to_owned()), fault, times);
    }

    fn push_fault(&self, path_prefix: Option<String>, fault: Fault, times: usize) {
        if times > 0 {
            self.shared.lock().faults.push(FaultRule {
                path_prefix,
                fault,
                remaining: times,
            });
        }
    }

    /// Drops every fault not served yet.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.clone()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }
}

/// The object `GET /v1/account` returns when none was loaded.
pub(crate) fn default_account_object(id: &str, platform: bool) -> Value {
    json!({
        "id": id,
        "object": "account",
        "business_profile": {
            "annual_revenue": null,
            "estimated_worker_count": null,
            "mcc": "5734",
            "name": if platform { "Vaultra Platform (fake)" } else { "Vaultra Demo Merchant (fake)" },
            "product_description": null,
            "support_address": null,
            "support_email": null,
            "support_phone": null,
            "support_url": null,
            "url": null
        },
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": true,
        "country": "US",
        "created": 1_700_000_000,
        "default_currency": "usd",
        "details_submitted": true,
        "email": "owner@example.invalid",
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": false,
            "url": format!("/v1/accounts/{id}/external_accounts")
        },
        "future_requirements": {
            "alternatives": [], "current_deadline": null, "currently_due": [],
            "disabled_reason": null, "errors": [], "eventually_due": [],
            "past_due": [], "pending_verification": []
        },
        "metadata": {},
        "payouts_enabled": true,
        "requirements": {
            "alternatives": [], "current_deadline": null, "currently_due": [],
            "disabled_reason": null, "errors": [], "eventually_due": [],
            "past_due": [], "pending_verification": []
        },
        "settings": {
            "dashboard": {"display_name": "Vaultra Demo", "timezone": "Etc/UTC"},
            "payouts": {
                "debit_negative_balances": true,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": null
            }
        },
        "tos_acceptance": {"date": 1_700_000_000},
        "type": "standard"
    })
}
