//! The HTTP transport for async-stripe's typed requests: one reqwest exchange per call,
//! keeping what async-stripe's own client drops — the response headers, `Retry-After`
//! first of all.
//!
//! A `stripe_client_core::RequestBuilder` (what every typed request of the async-stripe
//! request crates builds) is a method, a path under `/v1`, a query string and a form
//! body, already encoded. The transport adds what async-stripe's client would add —
//! `Authorization: Bearer`, the `Stripe-Version` the request types were generated for,
//! `Stripe-Account` — sends it once (never retrying: the sync service does, with
//! backoff) and returns the body, or Stripe's error with its status and `Retry-After`.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;
use stripe_client_core::{RequestBuilder, StripeMethod, VERSION};

/// The longest `Retry-After` honoured. Stripe asks for seconds; a larger value (a
/// misbehaving proxy, a date far ahead) is capped rather than obeyed, as Stripe's own
/// libraries do, so one header cannot stall a sync for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum TransportError {
    /// Stripe answered with an error status.
    Api {
        /// The HTTP status.
        status: u16,
        /// Stripe's `error.message` (or a description of the unreadable body).
        message: String,
        /// Stripe's `error.param`, empty when none.
        param: String,
        /// The `Retry-After` header, capped at [`MAX_RETRY_AFTER`].
        retry_after: Option<Duration>,
    },
    /// Stripe could not be reached or did not answer in time: what to say, and the
    /// HTTP client's error (its causes say why, e.g. a refused connection).
    Network(String, reqwest::Error),
    /// The request could not be built or the answer not read, and the client's error.
    Invalid(String, reqwest::Error),
}

/// Sends async-stripe requests with reqwest.
#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    api_base: String,
    authorization: String,
}

impl Transport {
    /// A transport to `api_base` (no trailing slash) authenticating with `secret_key`.
    pub(crate) fn new(http: reqwest::Client, api_base: &str, secret_key: &str) -> Self {
        Self {
            http,
            api_base: api_base.to_owned(),
            authorization: format!("Bearer {secret_key}"),
        }
    }

    /// Sends `request` once, for connected `account` when given; the body of a 2xx
    /// answer, or the error.
    pub(crate) async fn send(
        &self,
        request: RequestBuilder,
        account: Option<&str>,
    ) -> Result<Vec<u8>, TransportError> {
        let mut url = format!("{}/v1{}", self.api_base, request.path);
        if let Some(query) = &request.query
            && !query.is_empty()
        {
            url.push('?');
            url.push_str(query);
        }
        let method = match request.method {
            StripeMethod::Get => reqwest::Method::GET,
            StripeMethod::Post => reqwest::Method::POST,
            StripeMethod::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self
            .http
            .request(method, url)
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .header("Stripe-Version", VERSION.as_str())
            .header(
                reqwest::header::USER_AGENT,
                concat!("Vaultra/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(account) = account {
            builder = builder.header("Stripe-Account", account);
        }
        if let Some(body) = request.body {
            builder = builder
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body);
        }
        let response = builder.send().await.map_err(network)?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        let body = response.bytes().await.map_err(network)?;
        if (200..300).contains(&status) {
            return Ok(body.to_vec());
        }
        let error: Option<Value> = serde_json::from_slice(&body).ok();
        let field = |name: &str| {
            error
                .as_ref()
                .and_then(|e| e.get("error"))
                .and_then(|e| e.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Err(TransportError::Api {
            status,
            message: field("message").unwrap_or_else(|| "(no error message)".to_owned()),
            param: field("param").unwrap_or_default(),
            retry_after: wait,
        })
    }
}

fn network(e: reqwest::Error) -> TransportError {
    // Without the URL: it may carry a query, and says nothing the caller does not know.
    let e = e.without_url();
    if e.is_timeout() {
        TransportError::Network("Stripe timed out".to_owned(), e)
    } else if e.is_builder() {
        TransportError::Invalid(format!("cannot build the request to Stripe: {e}"), e)
    } else {
        TransportError::Network(format!("cannot reach Stripe: {e}"), e)
    }
}

/// The `Retry-After` of a response: delta-seconds (what Stripe sends) or an HTTP date,
/// capped at [`MAX_RETRY_AFTER`]; `None` when absent or unreadable.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, chrono::Utc::now())
}

fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else if let Ok(secs) = value.parse::<f64>() {
        // Not in RFC 9110, but some servers send fractions; negative or NaN is ignored.
        Duration::try_from_secs_f64(secs).ok()?
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or_default()
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_capped() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let p = |v| parse_retry_after(v, now);
        assert_eq!(p("7"), Some(Duration::from_secs(7)));
        assert_eq!(p("0"), Some(Duration::ZERO));
        assert_eq!(p("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(p("3600"), Some(MAX_RETRY_AFTER));
        assert_eq!(
            p("Wed, 21 Oct 2015 07:28:30 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(p("Wed, 21 Oct 2015 07:27:00 GMT"), Some(Duration::ZERO));
        assert_eq!(p("-3"), None);
        assert_eq!(p("soon"), None);
    }
}
