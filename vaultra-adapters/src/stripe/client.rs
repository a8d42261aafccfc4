//! The Stripe API as a [`PaymentSource`], on async-stripe 1.x.
//!
//! Lists are async-stripe's typed requests (`ListCharge`, `ListPayout`, `ListDispute`,
//! `ListEvent` from async-stripe-core: the parameters, their encoding and the path),
//! sent by our own transport ([`super::transport`]) and answered as raw JSON, so that
//! each object is stored exactly as Stripe sent it and normalized by the core.
//!
//! Why our own transport: async-stripe's hyper client returns only the body and the
//! status (`StripeError::Stripe(ApiErrors, u16)`); every response header is dropped,
//! `Retry-After` included, and there is no hook to read them. Its request crates are
//! independent of that client (a `RequestBuilder` is method, path, query and form
//! body), so the transport is a small reqwest call that keeps the headers. That also
//! removes the client's traps the issue lists: the paginator dropping a per-request
//! `Stripe-Account` after page 1 (we page ourselves and send `Stripe-Account` on every
//! request), the base URL's trailing slash, the missing default timeout (every request
//! has [`StripeConfig::timeout`]) and its own retry strategy (the transport never
//! retries; the sync service does, honouring `Retry-After`).
//!
//! async-stripe has no Connect OAuth: the code exchange (`POST {connect}/oauth/token`)
//! is a small reqwest call here too.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use stripe_client_core::{RequestBuilder, StripeRequest};
use stripe_core::charge::ListCharge;
use stripe_core::dispute::ListDispute;
use stripe_core::event::ListEvent;
use stripe_core::payout::ListPayout;
use stripe_types::RangeQueryTs;
use vaultra_core::ports::{
    ConnectedAccount, Page, PageQuery, PaymentSource, Sleeper, SourceError, SourceErrorKind,
    SourceEvent, Stream,
};

use super::transport::{Transport, TransportError, retry_after};
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

/// Stripe as a [`PaymentSource`]: async-stripe's typed requests over our transport.
pub struct StripeSource {
    config: StripeConfig,
    transport: Transport,
    http: reqwest::Client,
}

impl fmt::Debug for StripeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeSource")
            .field("config", &self.config)
            .finish_non_exhaustive()
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
            .map_err(|e| {
                SourceError::new(SourceErrorKind::Invalid, format!("HTTP client: {e}"))
                    .with_source(e)
            })?;
        let transport = Transport::new(
            http.clone(),
            without_slash(&config.api_base),
            &config.secret_key,
        );
        Ok(Self {
            config,
            transport,
            http,
        })
    }
}

/// Maps a transport failure to ours, with the page query deciding whether a refused
/// `ending_before` means the cursor expired. Never includes the key (Stripe redacts
/// keys in its error bodies, and the transport's messages do not carry it).
fn convert(e: TransportError, query: &PageQuery) -> SourceError {
    match e {
        TransportError::Api {
            status,
            message,
            param,
            retry_after,
        } => {
            let kind = match status {
                429 => SourceErrorKind::RateLimited,
                500..=599 => SourceErrorKind::Server,
                401 | 403 => SourceErrorKind::Unauthorized,
                400 | 404
                    if query.ending_before.is_some()
                        && (param == "ending_before" || param.is_empty()) =>
                {
                    SourceErrorKind::CursorExpired
                }
                _ => SourceErrorKind::Invalid,
            };
            SourceError {
                kind,
                message: format!("Stripe answered {status}: {message}"),
                retry_after,
                status: Some(status),
                source: None,
            }
        }
        TransportError::Network(m, e) => {
            SourceError::new(SourceErrorKind::Network, m).with_source(e)
        }
        TransportError::Invalid(m, e) => {
            SourceError::new(SourceErrorKind::Invalid, m).with_source(e)
        }
    }
}

/// The typed list request of a page query.
fn request(q: &PageQuery) -> RequestBuilder {
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
                let e = e.without_url();
                SourceError::new(
                    SourceErrorKind::Network,
                    format!("cannot reach Stripe Connect: {e}"),
                )
                .with_source(e)
            })?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        let body: Value = response.json().await.map_err(|e| {
            let e = e.without_url();
            SourceError::new(
                SourceErrorKind::Invalid,
                format!("unreadable answer from Stripe Connect: {e}"),
            )
            .with_source(e)
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
                retry_after: wait,
                status: Some(status),
                source: None,
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
        // Stripe's ids are `acct_` + alphanumerics; refusing anything else here keeps a
        // malformed id from ever reaching a header. An empty one would send an empty
        // `Stripe-Account`, which reads the platform's own data.
        if account.is_empty()
            || account.parse::<stripe::AccountId>().is_err()
            || !account
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(SourceError::new(
                SourceErrorKind::Invalid,
                format!("`{account}` is not a Stripe account id"),
            ));
        }
        let body = self
            .transport
            .send(request(query), Some(account))
            .await
            .map_err(|e| convert(e, query))?;
        let mut list: Value = serde_json::from_slice(&body).map_err(|e| {
            SourceError::new(
                SourceErrorKind::Invalid,
                format!("unreadable list from Stripe: {e}"),
            )
            .with_source(e)
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
        .map_err(|e| {
            // A signed body that is not an event is bad input, not a forgery.
            let kind = match e {
                webhook::WebhookError::InvalidPayload(_) => SourceErrorKind::Invalid,
                _ => SourceErrorKind::Unauthorized,
            };
            SourceError::new(kind, e.to_string()).with_source(e)
        })?;
        let whole: Value = serde_json::from_slice(&event.payload).map_err(|e| {
            SourceError::new(SourceErrorKind::Invalid, format!("webhook payload: {e}"))
                .with_source(e)
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
