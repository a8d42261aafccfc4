//! Stripe's error bodies, as the API sends them.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error response in Stripe's format: `{"error": {"type", "message", "code"?,
/// "param"?, "doc_url"?}}` for the API, `{"error", "error_description"}` for OAuth.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
    should_retry: bool,
}

impl ApiError {
    fn api(
        status: StatusCode,
        kind: &str,
        message: String,
        code: Option<&str>,
        param: Option<&str>,
    ) -> Self {
        let mut error = json!({"type": kind, "message": message});
        if let Some(code) = code {
            error["code"] = Value::from(code);
            error["doc_url"] = Value::from(format!(
                "https://stripe.com/docs/error-codes/{}",
                code.replace('_', "-")
            ));
        }
        if let Some(param) = param {
            error["param"] = Value::from(param);
        }
        Self {
            status,
            body: json!({ "error": error }),
            retry_after: None,
            should_retry: false,
        }
    }

    /// 400 `invalid_request_error` about `param`.
    pub(crate) fn invalid_param(param: &str, message: String) -> Self {
        Self::api(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            message,
            None,
            Some(param),
        )
    }

    /// 400 `invalid_request_error` without a parameter.
    pub(crate) fn invalid_request(message: String) -> Self {
        Self::api(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            message,
            None,
            None,
        )
    }

    /// 400: a query parameter the endpoint does not know (or the fake does not
    /// implement: better a loud error than a silently ignored filter).
    pub(crate) fn unknown_param(param: &str) -> Self {
        Self::api(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!("Received unknown parameter: {param}"),
            Some("parameter_unknown"),
            Some(param),
        )
    }

    /// 400: an empty string for a parameter that cannot be unset.
    pub(crate) fn empty_param(param: &str) -> Self {
        Self::invalid_param(
            param,
            format!(
                "You passed an empty string for '{param}'. We assume empty values are an \
                 attempt to unset a parameter; however '{param}' cannot be unset. You should \
                 remove '{param}' from your request or supply a non-empty value."
            ),
        )
    }

    /// `resource_missing`: 404 for a path id, 400 for a parameter that names an object.
    pub(crate) fn resource_missing(noun: &str, id: &str, param: &str) -> Self {
        let status = if param == "id" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        Self::api(
            status,
            "invalid_request_error",
            format!("No such {noun}: '{id}'"),
            Some("resource_missing"),
            Some(param),
        )
    }

    /// 401: no key at all.
    pub(crate) fn no_api_key() -> Self {
        Self::api(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, \
             or we can help at https://support.stripe.com/."
                .to_owned(),
            None,
            None,
        )
    }

    /// 401: a key the fake does not know (or a revoked OAuth token).
    pub(crate) fn invalid_api_key(key: &str) -> Self {
        Self::api(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            format!("Invalid API Key provided: {}", redact(key)),
            Some("api_key_invalid"),
            None,
        )
    }

    /// 403: the key may not act for `account` (not connected, or access revoked).
    pub(crate) fn account_invalid(key: &str, account: &str) -> Self {
        Self::api(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            format!(
                "The provided key '{}' does not have access to account '{account}' (or that \
                 account does not exist). Application access may have been revoked.",
                redact(key)
            ),
            Some("account_invalid"),
            None,
        )
    }

    /// 404 for a path the API does not have.
    pub(crate) fn unrecognized_url(method: &str, path: &str) -> Self {
        Self::api(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!(
                "Unrecognized request URL ({method}: {path}). Please see \
                 https://stripe.com/docs or we can help at https://support.stripe.com/."
            ),
            None,
            None,
        )
    }

    /// 429 with `Retry-After`.
    pub(crate) fn rate_limited(retry_after_secs: u64) -> Self {
        let mut e = Self::api(
            StatusCode::TOO_MANY_REQUESTS,
            "invalid_request_error",
            "Request rate limit exceeded. You can learn more about rate limits here \
             https://stripe.com/docs/rate-limits."
                .to_owned(),
            Some("rate_limit"),
            None,
        );
        e.retry_after = Some(retry_after_secs);
        e.should_retry = true;
        e
    }

    /// 500 `api_error`.
    pub(crate) fn server_error() -> Self {
        let mut e = Self::api(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "An unknown error occurred".to_owned(),
            None,
            None,
        );
        e.should_retry = true;
        e
    }

    /// An OAuth error: `{"error": code, "error_description": description}`.
    pub(crate) fn oauth(status: StatusCode, code: &str, description: String) -> Self {
        Self {
            status,
            body: json!({"error": code, "error_description": description}),
            retry_after: None,
            should_retry: false,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.should_retry {
            headers.insert("stripe-should-retry", HeaderValue::from_static("true"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Stripe\""),
            );
        }
        response
    }
}

/// A key as Stripe quotes it in errors: its prefix and last four characters.
pub(crate) fn redact(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "*".repeat(chars.len());
    }
    let prefix: String = chars[..8].iter().collect();
    let last: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}{}{last}", "*".repeat(chars.len() - 12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_redacted_like_stripe_does() {
        assert_eq!(redact("sk_test_abcdefgh1234"), "sk_test_********1234");
        assert_eq!(redact("short"), "*****");
    }
}
