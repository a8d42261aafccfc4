//! The HTTP surface: `/v1/*` (key + `Stripe-Account`), `/oauth/*`, and a front layer
//! that logs every request and serves injected faults.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::json;

use crate::ObjectKind;
use crate::error::{ApiError, redact};
use crate::list::parse_list_params;
use crate::state::{Fault, Handle, KeyScope, RecordedRequest, default_account_object};

/// The Stripe API version the fake claims to speak when the client names none.
const API_VERSION: &str = "2024-06-20";

/// Whose data a `/v1` request reads, decided from its key and `Stripe-Account`.
#[derive(Debug, Clone)]
struct Ctx {
    account: String,
}

/// The fake's router, to serve on a socket (see [`crate::FakeStripe::start`]) or to
/// call in-process with `tower::ServiceExt::oneshot`.
pub fn router(handle: Handle) -> Router {
    let v1 = Router::new()
        .route("/v1/account", get(account))
        .route("/v1/{collection}", get(list))
        .route("/v1/{collection}/{id}", get(retrieve))
        .route_layer(middleware::from_fn_with_state(handle.clone(), authenticate));
    Router::new()
        .merge(v1)
        .route("/oauth/token", post(oauth_token))
        .route("/oauth/deauthorize", post(oauth_deauthorize))
        .fallback(unrecognized)
        .method_not_allowed_fallback(unrecognized)
        .layer(middleware::from_fn_with_state(handle.clone(), front))
        .with_state(handle)
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Logs the request, serves an injected fault if one is due, and stamps the response
/// with a request id as Stripe does.
async fn front(State(handle): State<Handle>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let path = request.uri().path().to_owned();
    let (index, id, fault) = {
        let mut inner = handle.shared.lock();
        let index = inner.record(RecordedRequest {
            method: request.method().as_str().to_owned(),
            path: path.clone(),
            query: request.uri().query().map(str::to_owned),
            stripe_account: header_str(headers, "stripe-account"),
            idempotency_key: header_str(headers, "idempotency-key"),
            status: None,
        });
        let id = inner.next_id();
        (index, id, inner.take_fault(&path))
    };
    let stripe_account = headers.get("stripe-account").cloned();
    let version = headers
        .get("stripe-version")
        .cloned()
        .unwrap_or(HeaderValue::from_static(API_VERSION));
    let mut response = match fault {
        Some(Fault::RateLimited { retry_after_secs }) => {
            ApiError::rate_limited(retry_after_secs).into_response()
        }
        Some(Fault::ServerError) => ApiError::server_error().into_response(),
        Some(Fault::Delay(duration)) => {
            tokio::time::sleep(duration).await;
            next.run(request).await
        }
        None => next.run(request).await,
    };
    handle
        .shared
        .lock()
        .set_status(index, response.status().as_u16());
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("req_fake{id:014}")) {
        h.insert("request-id", v);
    }
    h.insert("stripe-version", version);
    if let Some(account) = stripe_account {
        h.insert("stripe-account", account);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store"),
    );
    response
}

/// The key from `Authorization: Bearer KEY` or `Basic base64(KEY:)`.
fn api_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(rest.to_owned()).filter(|k| !k.is_empty())
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let user = decoded.split_once(':').map_or(decoded.as_str(), |(u, _)| u);
        Some(user.to_owned()).filter(|k| !k.is_empty())
    } else {
        None
    }
}

/// Resolves the key and `Stripe-Account` of a `/v1` request into a [`Ctx`].
async fn authenticate(State(handle): State<Handle>, mut request: Request, next: Next) -> Response {
    let Some(key) = api_key(request.headers()) else {
        return ApiError::no_api_key().into_response();
    };
    let requested = header_str(request.headers(), "stripe-account").filter(|a| !a.is_empty());
    let platform = &handle.shared.config.platform_account;
    let resolved = {
        let inner = handle.shared.lock();
        match inner.key_scope(&key) {
            None => Err(ApiError::invalid_api_key(&key)),
            Some(KeyScope::Platform) => match requested {
                None => Ok(platform.clone()),
                Some(a) if a == *platform || inner.is_connected(&a) => Ok(a),
                Some(a) => Err(ApiError::account_invalid(&key, &a)),
            },
            Some(KeyScope::Account(own)) => match requested {
                Some(a) if a != *own => Err(ApiError::account_invalid(&key, &a)),
                _ => Ok(own.clone()),
            },
        }
    };
    match resolved {
        Ok(account) => {
            request.extensions_mut().insert(Ctx { account });
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

async fn unrecognized(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::unrecognized_url(method.as_str(), uri.path())
}

async fn list(
    State(handle): State<Handle>,
    Extension(ctx): Extension<Ctx>,
    Path(collection): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let Some(kind) = ObjectKind::from_collection(&collection) else {
        return Err(ApiError::unrecognized_url(
            "GET",
            &format!("/v1/{collection}"),
        ));
    };
    let params = parse_list_params(query.as_deref(), kind)?;
    let (data, has_more) = {
        let inner = handle.shared.lock();
        match inner.accounts.get(&ctx.account) {
            Some(account) => account.collection(kind).page(kind, &params)?,
            None => (Vec::new(), false),
        }
    };
    Ok(axum::Json(json!({
        "object": "list",
        "data": data,
        "has_more": has_more,
        "url": kind.list_url(),
    }))
    .into_response())
}

/// Only `expand` is accepted on a retrieve (and ignored: ids stay ids).
fn check_retrieve_query(query: Option<&str>) -> Result<(), ApiError> {
    for (key, _) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if !(key == "expand" || key.starts_with("expand[")) {
            return Err(ApiError::unknown_param(&key));
        }
    }
    Ok(())
}

async fn retrieve(
    State(handle): State<Handle>,
    Extension(ctx): Extension<Ctx>,
    Path((collection, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let Some(kind) = ObjectKind::from_collection(&collection) else {
        return Err(ApiError::unrecognized_url(
            "GET",
            &format!("/v1/{collection}/{id}"),
        ));
    };
    check_retrieve_query(query.as_deref())?;
    let found = handle
        .shared
        .lock()
        .accounts
        .get(&ctx.account)
        .and_then(|a| a.collection(kind).get(&id).cloned());
    match found {
        Some(object) => Ok(axum::Json(object).into_response()),
        None => Err(ApiError::resource_missing(kind.noun(), &id, "id")),
    }
}

async fn account(
    State(handle): State<Handle>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    check_retrieve_query(query.as_deref())?;
    let platform = ctx.account == handle.shared.config.platform_account;
    let object = handle
        .shared
        .lock()
        .accounts
        .get(&ctx.account)
        .and_then(|a| a.object.clone())
        .unwrap_or_else(|| default_account_object(&ctx.account, platform));
    Ok(axum::Json(object).into_response())
}

/// Form fields of an OAuth request (last value wins).
fn form(body: &[u8]) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// OAuth calls authenticate with the platform secret key, in `Authorization` or as
/// `client_secret`.
fn oauth_client(
    handle: &Handle,
    headers: &HeaderMap,
    fields: &std::collections::HashMap<String, String>,
) -> Result<(), ApiError> {
    let key = api_key(headers).or_else(|| fields.get("client_secret").cloned());
    let Some(key) = key else {
        return Err(ApiError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "No authentication was provided. Send your secret API key using the \
             Authorization header, or as a client_secret POST parameter."
                .to_owned(),
        ));
    };
    match handle.shared.lock().key_scope(&key) {
        Some(KeyScope::Platform) => Ok(()),
        _ => Err(ApiError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            format!("Invalid API Key provided: {}", redact(&key)),
        )),
    }
}

async fn oauth_token(
    State(handle): State<Handle>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form(&body);
    oauth_client(&handle, &headers, &fields)?;
    let bad = |code: &str, description: String| {
        ApiError::oauth(StatusCode::BAD_REQUEST, code, description)
    };
    let grant = fields.get("grant_type").map(String::as_str);
    let token = |account: String, scope: String, access: String, refresh: String| {
        axum::Json(json!({
            "access_token": access,
            "livemode": false,
            "refresh_token": refresh,
            "scope": scope,
            "stripe_publishable_key": format!("pk_test_{}", account.trim_start_matches("acct_")),
            "stripe_user_id": account,
            "token_type": "bearer",
        }))
        .into_response()
    };
    match grant {
        Some("authorization_code") => {
            let Some(code) = fields.get("code").filter(|c| !c.is_empty()) else {
                return Err(bad(
                    "invalid_request",
                    "No authorization code provided".to_owned(),
                ));
            };
            let exchanged = handle.shared.lock().exchange_code(code);
            match exchanged {
                Ok((account, scope, access, refresh)) => Ok(token(account, scope, access, refresh)),
                Err((code, description)) => Err(bad(code, description)),
            }
        }
        Some("refresh_token") => {
            let Some(refresh) = fields.get("refresh_token").filter(|c| !c.is_empty()) else {
                return Err(bad(
                    "invalid_request",
                    "No refresh token provided".to_owned(),
                ));
            };
            let refreshed = handle.shared.lock().refresh(refresh);
            match refreshed {
                Some((account, access)) => Ok(token(
                    account,
                    "read_only".to_owned(),
                    access,
                    refresh.clone(),
                )),
                None => Err(bad(
                    "invalid_grant",
                    format!("Refresh token does not exist: {refresh}"),
                )),
            }
        }
        Some(other) => Err(bad(
            "unsupported_grant_type",
            format!("Unsupported grant type: {other}"),
        )),
        None => Err(bad("invalid_request", "No grant type specified".to_owned())),
    }
}

async fn oauth_deauthorize(
    State(handle): State<Handle>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form(&body);
    oauth_client(&handle, &headers, &fields)?;
    let client_id = fields.get("client_id").cloned().unwrap_or_default();
    if client_id != handle.shared.config.client_id {
        return Err(ApiError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            format!("No such application: '{client_id}'"),
        ));
    }
    let account = fields.get("stripe_user_id").cloned().unwrap_or_default();
    let platform = &handle.shared.config.platform_account;
    if account == *platform || !handle.shared.lock().disconnect(&account) {
        return Err(ApiError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            format!(
                "This application is not connected to stripe account {account}, or that \
                 account does not exist."
            ),
        ));
    }
    Ok(axum::Json(json!({ "stripe_user_id": account })).into_response())
}
