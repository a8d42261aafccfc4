//! The Stripe API as a [`PaymentSource`], on async-stripe 1.x.
//!
//! Lists go through async-stripe's typed requests (`ListCharge`, `ListPayout`,
//! `ListDispute`, `ListEvent`: its parameter encoding, authentication, API version and
//! `Stripe-Account` header), answered as raw JSON so that each object is stored exactly
//! as Stripe sent it and normalized by the core. Around async-stripe's traps:
//!
//! - its paginator drops a per-request `Stripe-Account` after page 1, so there is one
//!   client per connected account (`ClientBuilder::account_id`) and we page ourselves;
//! - its base URL needs a trailing slash (it appends `v1/…`): one is added;
//! - it has no request timeout by default: every client gets [`StripeConfig::timeout`];
//! - it retries by its own strategy and drops response headers, so `Retry-After` is
//!   not visible through it: clients run [`RequestStrategy::Once`] and the sync service
//!   retries with its own backoff;
//! - it has no Connect OAuth: the code exchange (`POST {connect}/oauth/token`) is a
//!   small reqwest call here.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use stripe::{Client, ClientBuilder, RequestStrategy, StripeError};
use stripe_client_core::StripeRequest;
use stripe_core::charge::ListCharge;
use stripe_core::dispute::ListDispute;
use stripe_core::event::ListEvent;
use stripe_core::payout::ListPayout;
use stripe_types::RangeQueryTs;
use vaultra_core::ports::{
    ConnectedAccount, Page, PageQuery, PaymentSource, Sleeper, SourceError, SourceErrorKind,
    SourceEvent, Stream,
};

use super::webhook::{self, DEFAULT_TOLERANCE_SECS, Secret};

/// Stripe's API host.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
/// Stripe's Connect OAuth host.
pub const DEFAULT_CONNECT_BASE: &str = "https://connect.stripe.com";

/// How to reach Stripe. `Debug` never shows the secrets.
#[derive(Clone)]
pub struct StripeConfig {
    /// The platform secret key (`sk_…`).
    pub secret_key: String,
    /// The API base URL, e.g. [`DEFAULT_API_BASE`] or a local fake (with or without a
    /// trailing slash).
    pub api_base: String,
    /// The Connect OAuth base URL, e.g. [`DEFAULT_CONNECT_BASE`].
    pub connect_base: String,
    /// The Connect client id (`ca_…`), needed for the connect URL.
    pub client_id: Option<String>,
    /// Webhook signing secrets (several during a rotation).
    pub webhook_secrets: Vec<Secret>,
    /// Timeout of each HTTP exchange.
    pub timeout: Duration,
}

impl StripeConfig {
    /// A configuration for `secret_key` against Stripe itself, with a 30 s timeout.
    pub fn new(secret_key: impl Into<String>) -> Self {
        Self {
            secret_key: secret_key.into(),
            api_base: DEFAULT_API_BASE.to_owned(),
            connect_base: DEFAULT_CONNECT_BASE.to_owned(),
            client_id: None,
            webhook_secrets: Vec::new(),
            timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secret_key", &"***")
            .field("api_base", &self.api_base)
            .field("connect_base", &self.connect_base)
            .field("client_id", &self.client_id)
            .field("webhook_secrets", &self.webhook_secrets.len())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Stripe as a [`PaymentSource`]: one async-stripe client per connected account.
pub struct StripeSource {
    config: StripeConfig,
    clients: Mutex<HashMap<String, Client>>,
    http: reqwest::Client,
}

impl fmt::Debug for StripeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeSource")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn with_slash(base: &str) -> String {
    if base.ends_with('/') {
        base.to_owned()
    } else {
        format!("{base}/")
    }
}

fn without_slash(base: &str) -> &str {
    base.trim_end_matches('/')
}

impl StripeSource {
    /// A source for `config`. Fails only if the HTTP client cannot be built.
    pub fn new(config: StripeConfig) -> Result<Self, SourceError> {
        // reqwest is built without a default crypto provider (its default pulls in
        // aws-lc); use ring, as async-stripe's rustls does. Already installed is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| SourceError::new(SourceErrorKind::Invalid, format!("HTTP client: {e}")))?;
        Ok(Self {
            config,
            clients: Mutex::new(HashMap::new()),
            http,
        })
    }

    /// The client acting for `account` (built once, then reused).
    fn client(&self, account: &str) -> Result<Client, SourceError> {
        let mut clients = match self.clients.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(client) = clients.get(account) {
            return Ok(client.clone());
        }
        let account_id = account.parse::<stripe::AccountId>().map_err(|_| {
            SourceError::new(
                SourceErrorKind::Invalid,
                format!("`{account}` is not a Stripe account id"),
            )
        })?;
        let client = ClientBuilder::new(self.config.secret_key.clone())
            .url(with_slash(&self.config.api_base))
            .account_id(account_id)
            .timeout(self.config.timeout)
            .request_strategy(RequestStrategy::Once)
            .build()
            .map_err(|e| convert(e, None))?;
        clients.insert(account.to_owned(), client.clone());
        Ok(client)
    }
}

/// Maps async-stripe's error to ours; never includes the key (async-stripe's messages
/// do not carry it, and Stripe redacts keys in its error bodies).
fn convert(e: StripeError, query: Option<&PageQuery>) -> SourceError {
    match e {
        StripeError::Stripe(api, status) => {
            let message = api.message.clone().unwrap_or_default();
            let param = api.param.clone().unwrap_or_default();
            let kind = match status {
                429 => SourceErrorKind::RateLimited,
                500..=599 => SourceErrorKind::Server,
                401 | 403 => SourceErrorKind::Unauthorized,
                400 | 404
                    if query.is_some_and(|q| q.ending_before.is_some())
                        && (param == "ending_before" || param.is_empty()) =>
                {
                    SourceErrorKind::CursorExpired
                }
                _ => SourceErrorKind::Invalid,
            };
            SourceError {
                kind,
                message: format!("Stripe answered {status}: {message}"),
                retry_after: None,
                status: Some(status),
            }
        }
        StripeError::Timeout => SourceError::new(SourceErrorKind::Network, "Stripe timed out"),
        StripeError::ClientError(m) => SourceError::new(
            SourceErrorKind::Network,
            format!("cannot reach Stripe: {m}"),
        ),
        StripeError::JSONDeserialize(m) => SourceError::new(
            SourceErrorKind::Invalid,
            format!("unreadable answer from Stripe: {m}"),
        ),
        StripeError::ConfigError(m) => {
            SourceError::new(SourceErrorKind::Invalid, format!("Stripe client: {m}"))
        }
    }
}

/// The typed list request of a page query.
fn request(q: &PageQuery) -> stripe_client_core::RequestBuilder {
    macro_rules! build {
        ($list:expr) => {{
            let mut r = $list.limit(i64::from(q.limit.clamp(1, 100)));
            if let Some(since) = q.created_gte {
                r = r.created(RangeQueryTs::gte(since));
            }
            if let Some(after) = &q.starting_after {
                r = r.starting_after(after.clone());
            }
            if let Some(before) = &q.ending_before {
                r = r.ending_before(before.clone());
            }
            r.build()
        }};
    }
    match q.stream {
        Stream::Charges => build!(ListCharge::new()),
        Stream::Payouts => build!(ListPayout::new()),
        Stream::Disputes => build!(ListDispute::new()),
        Stream::Events => build!(ListEvent::new()),
    }
}

#[async_trait]
impl PaymentSource for StripeSource {
    fn connect_url(&self, state: &str, redirect_uri: Option<&str>) -> Result<String, SourceError> {
        let client_id = self.config.client_id.as_deref().ok_or_else(|| {
            SourceError::new(
                SourceErrorKind::Invalid,
                "STRIPE_CLIENT_ID is not set: it is needed to connect accounts",
            )
        })?;
        let mut url = format!(
            "{}/oauth/authorize?",
            without_slash(&self.config.connect_base)
        );
        let mut form = form_urlencoded_pairs(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("scope", "read_only"),
            ("state", state),
        ]);
        if let Some(uri) = redirect_uri {
            form.push('&');
            form.push_str(&form_urlencoded_pairs(&[("redirect_uri", uri)]));
        }
        url.push_str(&form);
        Ok(url)
    }

    async fn exchange_code(&self, code: &str) -> Result<ConnectedAccount, SourceError> {
        let url = format!("{}/oauth/token", without_slash(&self.config.connect_base));
        let response = self
            .http
            .post(url)
            .bearer_auth(&self.config.secret_key)
            .form(&[("grant_type", "authorization_code"), ("code", code)])
            .send()
            .await
            .map_err(|e| {
                SourceError::new(
                    SourceErrorKind::Network,
                    format!("cannot reach Stripe Connect: {}", e.without_url()),
                )
            })?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.map_err(|e| {
            SourceError::new(
                SourceErrorKind::Invalid,
                format!("unreadable answer from Stripe Connect: {}", e.without_url()),
            )
        })?;
        if !(200..300).contains(&status) {
            let error = body.get("error").and_then(Value::as_str).unwrap_or("error");
            let description = body
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("");
            let kind = match status {
                429 => SourceErrorKind::RateLimited,
                500..=599 => SourceErrorKind::Server,
                401 | 403 => SourceErrorKind::Unauthorized,
                _ => SourceErrorKind::Invalid,
            };
            return Err(SourceError {
                kind,
                message: format!("Stripe Connect refused the code ({error}): {description}"),
                retry_after: None,
                status: Some(status),
            });
        }
        let account_id = body
            .get("stripe_user_id")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                SourceError::new(
                    SourceErrorKind::Invalid,
                    "Stripe Connect answered without `stripe_user_id`",
                )
            })?
            .to_owned();
        Ok(ConnectedAccount {
            account_id,
            scope: body.get("scope").and_then(Value::as_str).map(str::to_owned),
            livemode: body
                .get("livemode")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    async fn fetch_page(&self, account: &str, query: &PageQuery) -> Result<Page, SourceError> {
        let client = self.client(account)?;
        let answer: miniserde::json::Value = request(query)
            .customize::<miniserde::json::Value>()
            .send(&client)
            .await
            .map_err(|e| convert(e, Some(query)))?;
        let text = miniserde::json::to_string(&answer);
        let mut list: Value = serde_json::from_str(&text).map_err(|e| {
            SourceError::new(
                SourceErrorKind::Invalid,
                format!("unreadable list from Stripe: {e}"),
            )
        })?;
        let has_more = list
            .get("has_more")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let objects = match list.get_mut("data").map(Value::take) {
            Some(Value::Array(objects)) => objects,
            _ => {
                return Err(SourceError::new(
                    SourceErrorKind::Invalid,
                    format!("Stripe's {} list has no `data` array", query.stream),
                ));
            }
        };
        Ok(Page { objects, has_more })
    }

    fn verify_webhook(
        &self,
        payload: &[u8],
        signature: &str,
        now: i64,
    ) -> Result<SourceEvent, SourceError> {
        let event = webhook::verify(
            payload,
            signature,
            &self.config.webhook_secrets,
            now,
            DEFAULT_TOLERANCE_SECS,
        )
        .map_err(|e| SourceError::new(SourceErrorKind::Unauthorized, e.to_string()))?;
        let whole: Value = serde_json::from_slice(&event.payload).map_err(|e| {
            SourceError::new(SourceErrorKind::Invalid, format!("webhook payload: {e}"))
        })?;
        Ok(SourceEvent {
            id: event.id,
            kind: event.kind,
            created: event.created,
            account: event.account,
            event: whole,
        })
    }
}

/// Waits on the tokio timer: the [`Sleeper`] of a real sync.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

#[async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// `k=v&k=v`, form-encoded.
fn form_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let config = StripeConfig::new("sk_test_secret123");
        assert!(!format!("{config:?}").contains("secret123"));
        let source = StripeSource::new(config).unwrap();
        assert!(!format!("{source:?}").contains("secret123"));
    }

    #[test]
    fn connect_url_carries_client_and_state() {
        let mut config = StripeConfig::new("sk_test_x");
        config.client_id = Some("ca_123".into());
        let source = StripeSource::new(config).unwrap();
        let url = source
            .connect_url("st ate", Some("https://app.test/cb"))
            .unwrap();
        assert_eq!(
            url,
            "https://connect.stripe.com/oauth/authorize?response_type=code&client_id=ca_123\
             &scope=read_only&state=st%20ate&redirect_uri=https%3A%2F%2Fapp.test%2Fcb"
        );
    }

    #[test]
    fn webhooks_are_verified_with_the_configured_secrets() {
        let mut config = StripeConfig::new("sk_test_x");
        config.webhook_secrets = vec![Secret::new("whsec_one")];
        let source = StripeSource::new(config).unwrap();
        let payload = br#"{"id":"evt_1","object":"event","type":"payout.paid","created":10,"account":"acct_1","data":{"object":{"id":"po_1","object":"payout"}}}"#;
        let header = webhook::signature_header(payload, &[Secret::new("whsec_one")], 1_000);
        let event = source.verify_webhook(payload, &header, 1_010).unwrap();
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.account.as_deref(), Some("acct_1"));
        assert_eq!(event.event["data"]["object"]["id"], "po_1");
        let forged = webhook::signature_header(payload, &[Secret::new("whsec_two")], 1_000);
        let err = source.verify_webhook(payload, &forged, 1_010).unwrap_err();
        assert_eq!(err.kind, SourceErrorKind::Unauthorized);
    }

    #[test]
    fn queries_encode_stripe_parameters() {
        let q = PageQuery {
            created_gte: Some(100),
            starting_after: Some("ch_1".into()),
            ..PageQuery::first(Stream::Charges, 100)
        };
        let r = request(&q);
        assert_eq!(r.path, "/charges");
        let query = r
            .query
            .unwrap_or_default()
            .replace("%5B", "[")
            .replace("%5D", "]");
        assert!(query.contains("created[gte]=100"), "{query}");
        assert!(query.contains("limit=100"), "{query}");
        assert!(query.contains("starting_after=ch_1"), "{query}");
    }
}
