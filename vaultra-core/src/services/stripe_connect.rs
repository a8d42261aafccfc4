//! Connecting a business's Stripe account (Connect Standard, OAuth).
//!
//! [`StripeConnect::initiate_connect`] checks that the user may change the business
//! (owner or admin), draws a random `state` (256 bits from an injected [`Entropy`]),
//! stores only its SHA-256 bound to the user, the business and the redirect URI with an
//! expiry ([`OAuthStateStore`]), and returns the provider's authorize URL carrying it.
//!
//! [`StripeConnect::complete_connect`] is the callback. It takes the state atomically
//! (single use: a replayed, unknown, expired or foreign state is refused — the CSRF
//! check), checks that the signed-in user is the one who started the flow and still may
//! change the business, exchanges the code ([`PaymentSource::exchange_code`]), links
//! the account (`integration_accounts.external_id` = `stripe_user_id`; the tokens Stripe
//! returns are never seen by the core, let alone stored: Vaultra reads connected
//! accounts with the platform key) and enqueues its first sync, which is a backfill
//! because the account has no sync position yet.

use std::fmt::Debug;
use std::sync::Arc;

use chrono::Duration;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::{IntegrationAccount, Provider};
use crate::error::{Error, Result};
use crate::ports::{
    BusinessStore, Clock, EnqueueReport, IntegrationStore, JobKind, JobQueue, JobTask, OAuthState,
    OAuthStateStore, PaymentSource, Store,
};

use super::access::{Actor, Need, authorize};

/// The `purpose` of the OAuth states of this flow.
pub const PURPOSE: &str = "stripe_connect";

/// How long a started flow may take by default (10 minutes).
pub const DEFAULT_STATE_TTL: Duration = Duration::minutes(10);

/// Random bytes, injected so the core does no I/O (the adapters read the operating
/// system's generator) and tests can see what a flow drew.
pub trait Entropy: Send + Sync + Debug + 'static {
    /// Fills `buf` with cryptographically secure random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<()>;
}

/// Whether the first sync of a newly connected account was queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Backfill {
    /// Queued now.
    Queued,
    /// A sync of this account for the current slot was queued before (by the
    /// scheduler or an earlier connect): it will run once.
    AlreadyQueued,
    /// The queue refused it. The account is connected regardless, and the scheduled
    /// sync (every 15 minutes) picks it up; the error is kept for the caller to log.
    Failed {
        /// Why.
        error: String,
    },
}

/// What a completed connection did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connected {
    /// The linked account.
    pub account: IntegrationAccount,
    /// The scope Stripe granted (`read_only`, `read_write`), when it said.
    pub scope: Option<String>,
    /// Whether its backfill was queued.
    pub backfill: Backfill,
}

/// The storage the Connect service works on.
#[derive(Debug, Clone)]
pub struct ConnectPorts {
    /// The check that the user may change the business.
    pub businesses: Arc<dyn BusinessStore>,
    /// The single-use states of started flows.
    pub oauth_states: Arc<dyn OAuthStateStore>,
    /// Where the connected account is linked.
    pub integrations: Arc<dyn IntegrationStore>,
}

impl From<Arc<dyn Store>> for ConnectPorts {
    fn from(store: Arc<dyn Store>) -> Self {
        Self {
            businesses: store.clone(),
            oauth_states: store.clone(),
            integrations: store,
        }
    }
}

/// The Connect service: a [`PaymentSource`], its [`ConnectPorts`], a [`JobQueue`], time
/// and randomness injected.
#[derive(Debug, Clone)]
pub struct StripeConnect {
    source: Arc<dyn PaymentSource>,
    businesses: Arc<dyn BusinessStore>,
    oauth_states: Arc<dyn OAuthStateStore>,
    integrations: Arc<dyn IntegrationStore>,
    jobs: Arc<dyn JobQueue>,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    ttl: Duration,
}

impl StripeConnect {
    /// A Connect service whose states live [`DEFAULT_STATE_TTL`].
    pub fn new(
        source: Arc<dyn PaymentSource>,
        ports: ConnectPorts,
        jobs: Arc<dyn JobQueue>,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
    ) -> Self {
        let ConnectPorts {
            businesses,
            oauth_states,
            integrations,
        } = ports;
        Self {
            source,
            businesses,
            oauth_states,
            integrations,
            jobs,
            clock,
            entropy,
            ttl: DEFAULT_STATE_TTL,
        }
    }

    /// The same service with states that live `ttl`.
    #[must_use]
    pub fn with_state_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Starts a connection of `business`'s Stripe account by `user`: returns the URL to
    /// send the user to. `redirect_uri` is where Stripe sends them back (Stripe's
    /// dashboard setting when `None`).
    ///
    /// Errors: `NotFound` if the user is not a member of the business (or it does not
    /// exist), `PermissionDenied` if the user is a plain member, `Invalid` if the
    /// source cannot build the URL (e.g. no Connect client id configured).
    pub async fn initiate_connect(
        &self,
        user: Uuid,
        business: Uuid,
        redirect_uri: Option<&str>,
    ) -> Result<String> {
        authorize(
            &*self.businesses,
            &Actor::User(user),
            business,
            Need::Manager,
        )
        .await?;
        let mut bytes = [0u8; 32];
        self.entropy.fill(&mut bytes)?;
        let state = hex(&bytes);
        let now = self.clock.now();
        // The URL is built before anything is stored: a misconfigured source leaves
        // no dangling state.
        let url = self.source.connect_url(&state, redirect_uri)?;
        self.oauth_states
            .save_oauth_state(&OAuthState {
                state_hash: state_hash(&state),
                purpose: PURPOSE.to_owned(),
                user_id: Some(user),
                business_id: Some(business),
                pkce_verifier: None,
                redirect_uri: redirect_uri.map(str::to_owned),
                created_at: now,
                expires_at: now + self.ttl,
            })
            .await?;
        Ok(url)
    }

    /// Completes a connection: the callback of the flow `user` started, with Stripe's
    /// `state` and `code`.
    ///
    /// Errors: `PermissionDenied` if the state is unknown, already used, expired, or
    /// was started by another user (the state is consumed by the first attempt either
    /// way); `NotFound`/`PermissionDenied` if the user no longer may change the
    /// business; `Invalid` if Stripe refuses the code (`invalid_grant`); `Conflict` if
    /// another business already holds the Stripe account.
    pub async fn complete_connect(&self, user: Uuid, state: &str, code: &str) -> Result<Connected> {
        let now = self.clock.now();
        let taken = self
            .oauth_states
            .take_oauth_state(&state_hash(state), PURPOSE, now)
            .await?
            .ok_or_else(refused_state)?;
        let (Some(owner), Some(business)) = (taken.user_id, taken.business_id) else {
            return Err(refused_state());
        };
        if owner != user {
            return Err(refused_state());
        }
        self.finish_connect(user, business, code, now).await
    }

    async fn finish_connect(
        &self,
        user: Uuid,
        business: Uuid,
        code: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Connected> {
        // Roles can change while the user is on Stripe's page.
        authorize(
            &*self.businesses,
            &Actor::User(user),
            business,
            Need::Manager,
        )
        .await?;
        let connected = self.source.exchange_code(code).await?;
        let account = self
            .integrations
            .link_account(business, Provider::Stripe, &connected.account_id)
            .await?;
        let task = JobTask::for_subject(
            JobKind::StripeSync,
            account.id,
            JobKind::StripeSync.slot_of(now),
        );
        let backfill = match self.jobs.enqueue(&[task]).await {
            Ok(EnqueueReport { queued: 0, .. }) => Backfill::AlreadyQueued,
            Ok(_) => Backfill::Queued,
            Err(e) => Backfill::Failed {
                error: e.to_string(),
            },
        };
        Ok(Connected {
            account,
            scope: connected.scope,
            backfill,
        })
    }
}

impl StripeConnect {
    /// Completes a connection from the provider's redirect alone: the user and business
    /// are the ones bound to `state` when the flow started (the state, 256 random bits,
    /// single-use and expiring, is the credential of a browser that carries no token).
    ///
    /// Errors as [`Self::complete_connect`], except that no user is compared.
    pub async fn complete_connect_by_state(&self, state: &str, code: &str) -> Result<Connected> {
        let now = self.clock.now();
        let taken = self
            .oauth_states
            .take_oauth_state(&state_hash(state), PURPOSE, now)
            .await?
            .ok_or_else(refused_state)?;
        let (Some(user), Some(business)) = (taken.user_id, taken.business_id) else {
            return Err(refused_state());
        };
        self.finish_connect(user, business, code, now).await
    }

    /// Spends a state whose flow the user cancelled on the provider's page.
    pub async fn abandon_connect(&self, state: &str) -> Result<()> {
        self.oauth_states
            .take_oauth_state(&state_hash(state), PURPOSE, self.clock.now())
            .await
            .map(|_| ())
    }
}

fn refused_state() -> Error {
    Error::permission_denied(
        "this Stripe connection link is unknown, already used or expired: start connecting again",
    )
}

/// The stored form of a state: its SHA-256, hex. A leaked `oauth_states` table gives
/// nothing to replay.
pub fn state_hash(state: &str) -> String {
    hex(&Sha256::digest(state.as_bytes()))
}

/// Lowercase hex of `bytes` (random states and tokens: URL- and JSON-safe as they are).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_hashes_are_sha256_hex() {
        // sha256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            state_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }
}
