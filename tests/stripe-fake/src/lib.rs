//! A local fake of the Stripe API, for Vaultra's tests.
//!
//! It speaks Stripe's wire format closely enough for strict clients (async-stripe, the
//! official Python package): complete objects (rendered by `vaultra_adapters::synth`),
//! list objects (`object`, `data`, `has_more`, `url`), `limit` (1–100, default 10),
//! `starting_after` / `ending_before`, `created` and `created[gte|gt|lte|lt]` with literal
//! or percent-encoded brackets, newest-first order (by `created`, then id), Stripe's
//! error bodies, 401 for a bad key, `Stripe-Account` choosing whose data is read (403
//! for an account that is not connected), Connect OAuth (`/oauth/token` with
//! single-use codes, `/oauth/deauthorize`), and injectable 429 / 500 / slow answers.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use vaultra_stripe_fake::{Config, FakeStripe, Fault};
//! use vaultra_adapters::synth::{Config as Synth, Profile, generate};
//!
//! let fake = FakeStripe::start(Config::default()).await?;
//! let merchant = generate(&Synth::new(Profile::Steady, 1, "2026-11-27".parse()?));
//! fake.add_merchant("acct_1Merchant", &merchant)?;
//! fake.inject_on("/v1/charges", Fault::RateLimited { retry_after_secs: 1 }, 1);
//! // Point the client at fake.api_base() with key fake.secret_key() and
//! // `Stripe-Account: acct_1Merchant`; then inspect fake.requests().
//! # Ok(()) }
//! ```
//!
//! Endpoints: `GET /v1/{charges,payouts,disputes,events}` (events also filter by
//! `type` — a trailing `*` is a wildcard — or `types[]`), `GET /v1/<collection>/{id}`,
//! `GET /v1/account`, `POST /oauth/token`, `POST /oauth/deauthorize`. Any other path is
//! Stripe's 404 "Unrecognized request URL"; unknown query parameters are Stripe's 400
//! "Received unknown parameter", so a filter the fake does not implement is never
//! silently ignored.

mod error;
mod list;
mod routes;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Deref;

pub use routes::router;
pub use state::{Fault, Handle, RecordedRequest};

/// How a fake server is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Platform secret keys accepted as `Authorization: Bearer …` (or Basic user).
    pub secret_keys: Vec<String>,
    /// The platform's own account id: whose data a request without `Stripe-Account`
    /// reads.
    pub platform_account: String,
    /// The Connect OAuth client id (`ca_…`) that `/oauth/deauthorize` expects.
    pub client_id: String,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            secret_keys: vec![DEFAULT_SECRET_KEY.to_owned()],
            platform_account: DEFAULT_PLATFORM_ACCOUNT.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            port: 0,
        }
    }
}

/// The platform secret key of [`Config::default`].
pub const DEFAULT_SECRET_KEY: &str = "sk_test_vaultrafake000000000000";
/// The platform account of [`Config::default`].
pub const DEFAULT_PLATFORM_ACCOUNT: &str = "acct_1VaultraPlatform00";
/// The OAuth client id of [`Config::default`].
pub const DEFAULT_CLIENT_ID: &str = "ca_VaultraFakeClient000000000000";

/// The four object types the fake lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// `/v1/charges`
    Charge,
    /// `/v1/payouts`
    Payout,
    /// `/v1/disputes`
    Dispute,
    /// `/v1/events`
    Event,
}

impl ObjectKind {
    /// Every kind.
    pub const ALL: [ObjectKind; 4] = [Self::Charge, Self::Payout, Self::Dispute, Self::Event];

    /// The `object` field: `charge`, `payout`, `dispute`, `event`.
    pub fn object_name(&self) -> &'static str {
        match self {
            Self::Charge => "charge",
            Self::Payout => "payout",
            Self::Dispute => "dispute",
            Self::Event => "event",
        }
    }

    /// The list path, e.g. `/v1/charges` (the list object's `url`).
    pub fn list_url(&self) -> &'static str {
        match self {
            Self::Charge => "/v1/charges",
            Self::Payout => "/v1/payouts",
            Self::Dispute => "/v1/disputes",
            Self::Event => "/v1/events",
        }
    }

    /// The kind named by an `object` field.
    pub fn from_object_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.object_name() == name)
    }

    /// The kind served under `/v1/{collection}`.
    pub fn from_collection(collection: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| &k.list_url()[4..] == collection)
    }

    fn noun(&self) -> &'static str {
        self.object_name()
    }
}

/// Why data could not be loaded into the fake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FakeError {
    /// A raw object lacks `object`, `id` or `created`, or is of a type the fake does
    /// not serve.
    #[error("cannot serve this object: {0}")]
    InvalidObject(String),
    /// A `payout.paid` event names a payout the account does not have.
    #[error("event for payout {payout}, which account {account} does not have")]
    UnknownPayout {
        /// The account the event was added to.
        account: String,
        /// The missing payout.
        payout: String,
    },
}

/// A running fake server on 127.0.0.1. Dereferences to its [`Handle`], so data
/// loading, fault injection and the request log are methods on it. The server stops
/// when this is dropped.
#[derive(Debug)]
pub struct FakeStripe {
    addr: SocketAddr,
    handle: Handle,
    task: tokio::task::JoinHandle<()>,
}

impl FakeStripe {
    /// Binds 127.0.0.1 on `config.port` (0: any free port) and serves in a task of
    /// the current tokio runtime.
    pub async fn start(config: Config) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let handle = Handle::new(config);
        let app = router(handle.clone());
        let task = tokio::spawn(async move {
            // The listener only fails when the process runs out of descriptors; the
            // test then fails on its requests, which says more than a panic here.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, handle, task })
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL with a trailing slash: `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The base URL without a trailing slash, as `STRIPE_API_BASE` and
    /// `STRIPE_CONNECT_BASE` take it (the fake serves both `/v1` and `/oauth`).
    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The handle (also reachable through `Deref`).
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl Deref for FakeStripe {
    type Target = Handle;
    fn deref(&self) -> &Handle {
        &self.handle
    }
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.task.abort();
    }
}
