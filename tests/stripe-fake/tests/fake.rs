//! The fake against an HTTP client on a real socket: list semantics, filters, Connect
//! accounts, keys, faults and OAuth.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use vaultra_adapters::synth::{Config as Synth, Merchant, Profile, generate};
use vaultra_stripe_fake::{Config, FakeStripe, Fault, ObjectKind};

const ACCT_A: &str = "acct_1TestMerchantAAAA";
const ACCT_B: &str = "acct_1TestMerchantBBBB";

fn merchant(profile: Profile, seed: u64, days: u32) -> Merchant {
    let mut c = Synth::new(profile, seed, "2026-11-27".parse().unwrap());
    c.days = days;
    generate(&c)
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

/// A plain HTTP client. The workspace builds reqwest with rustls but no default crypto
/// provider (the Stripe adapter picks ring), so install ring before building one.
fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn get_with(
    fake: &FakeStripe,
    key: Option<&str>,
    path_and_query: &str,
    account: Option<&str>,
) -> Reply {
    let mut req = client().get(format!("{}{}", fake.api_base(), path_and_query));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    if let Some(account) = account {
        req = req.header("Stripe-Account", account);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(fake: &FakeStripe, path_and_query: &str, account: Option<&str>) -> Reply {
    get_with(fake, Some(fake.secret_key()), path_and_query, account).await
}

/// Follows `starting_after` until `has_more` is false; returns every object.
async fn list_all(fake: &FakeStripe, path: &str, query: &str, account: &str) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    let mut pages = 0;
    loop {
        let mut q = format!("{path}?limit=100{query}");
        if let Some(last) = all.last() {
            q.push_str(&format!("&starting_after={}", last["id"].as_str().unwrap()));
        }
        let r = get(fake, &q, Some(account)).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        assert_eq!(r.body["object"], "list");
        assert_eq!(r.body["url"], path);
        let data = r.body["data"].as_array().unwrap();
        assert!(data.len() <= 100);
        all.extend(data.iter().cloned());
        pages += 1;
        assert!(pages < 1000, "pagination does not end");
        if !r.body["has_more"].as_bool().unwrap() {
            return all;
        }
        assert_eq!(data.len(), 100, "a page with has_more must be full");
    }
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

fn assert_newest_first(objects: &[Value]) {
    for pair in objects.windows(2) {
        let a = (pair[0]["created"].as_i64().unwrap(), id(&pair[0]));
        let b = (pair[1]["created"].as_i64().unwrap(), id(&pair[1]));
        assert!(a > b, "not newest first: {a:?} then {b:?}");
    }
}

fn assert_each_once<'a>(got: &[Value], want: impl IntoIterator<Item = &'a str>) {
    let got_ids: Vec<&str> = got.iter().map(id).collect();
    let unique: HashSet<&str> = got_ids.iter().copied().collect();
    assert_eq!(unique.len(), got_ids.len(), "an object came twice");
    let want: HashSet<&str> = want.into_iter().collect();
    assert_eq!(unique, want);
}

#[tokio::test]
async fn paging_with_limit_100_returns_every_object_once_newest_first() {
    let fake = FakeStripe::start(Config::default()).await.unwrap();
    let m = merchant(Profile::ChargebackHeavy, 3, 40);
    assert!(m.charges.len() > 1000 && !m.disputes.is_empty() && !m.events.is_empty());
    fake.add_merchant(ACCT_A, &m).unwrap();

    let charges = list_all(&fake, "/v1/charges", "", ACCT_A).await;
    assert_eq!(charges.len(), m.charges.len());
    assert_each_once(&charges, m.charges.iter().map(|c| c.id.as_str()));
    assert_newest_first(&charges);
    // Complete objects, as a strict client needs them.
    for field in [
        "outcome",
        "payment_method_details",
        "billing_details",
        "refunds",
    ] {
        assert!(charges[0].get(field).is_some(), "charge lacks {field}");
    }

    let payouts = list_all(&fake, "/v1/payouts", "", ACCT_A).await;
    assert_each_once(&payouts, m.payouts.iter().map(|p| p.id.as_str()));
    assert_newest_first(&payouts);
    let disputes = list_all(&fake, "/v1/disputes", "", ACCT_A).await;
    assert_each_once(&disputes, m.disputes.iter().map(|d| d.id.as_str()));
    let events = list_all(&fake, "/v1/events", "", ACCT_A).await;
    assert_each_once(&events, m.events.iter().map(|e| e.event_id.as_str()));
    assert_newest_first(&events);
    assert!(
        events
            .iter()
            .all(|e| e["data"]["object"]["object"] == "payout")
    );

    // Walking back with ending_before from the oldest object yields the same objects.
    let mut back: Vec<Value> = Vec::new();
    let mut cursor = id(charges.last().unwrap()).to_owned();
    loop {
        let r = get(
            &fake,
            &format!("/v1/charges?limit=100&ending_before={cursor}"),
            Some(ACCT_A),
        )
        .await;
        let data = r.body["data"].as_array().unwrap().clone();
        assert_newest_first(&data);
        let Some(first) = data.first() else { break };
        cursor = id(first).to_owned();
        back.splice(0..0, data);
        if !r.body["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(back.len(), charges.len() - 1);
    assert_eq!(back[..], charges[..charges.len() - 1]);

    // The default page is 10, and retrieving by id returns the listed object.
    let r = get(&fake, "/v1/charges", Some(ACCT_A)).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 10);
    assert_eq!(r.body["has_more"], true);
    let one = get(
        &fake,
        &format!("/v1/charges/{}", id(&charges[5])),
        Some(ACCT_A),
    )
    .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body, charges[5]);
    let ev = get(
        &fake,
        &format!("/v1/events/{}", id(&events[0])),
        Some(ACCT_A),
    )
    .await;
    assert_eq!(ev.body, events[0]);
}

#[tokio::test]
async fn created_filters_work_with_literal_and_encoded_brackets() {
    let fake = FakeStripe::start(Config::default()).await.unwrap();
    let m = merchant(Profile::Steady, 5, 20);
    fake.add_merchant(ACCT_A, &m).unwrap();
    let mut created: Vec<i64> = m.charges.iter().map(|c| c.created).collect();
    created.sort_unstable();
    let lo = created[created.len() / 3];
    let hi = created[2 * created.len() / 3];
    let between = |keep: &dyn Fn(i64) -> bool| -> Vec<&str> {
        m.charges
            .iter()
            .filter(|c| keep(c.created))
            .map(|c| c.id.as_str())
            .collect()
    };

    let cases: Vec<(String, Vec<&str>)> = vec![
        (format!("&created[gte]={lo}"), between(&|c| c >= lo)),
        (format!("&created%5Bgte%5D={lo}"), between(&|c| c >= lo)),
        (format!("&created[gt]={lo}"), between(&|c| c > lo)),
        (format!("&created%5Blt%5D={hi}"), between(&|c| c < hi)),
        (
            format!("&created[gte]={lo}&created%5Blte%5D={hi}"),
            between(&|c| c >= lo && c <= hi),
        ),
        (format!("&created={lo}"), between(&|c| c == lo)),
    ];
    for (query, want) in cases {
        let got = list_all(&fake, "/v1/charges", &query, ACCT_A).await;
        assert!(!got.is_empty(), "{query}");
        assert_each_once(&got, want);
        assert_newest_first(&got);
    }
    // Both spellings really reached the server as sent.
    let queries: Vec<String> = fake
        .requests()
        .into_iter()
        .filter_map(|r| r.query)
        .collect();
    assert!(queries.iter().any(|q| q.contains("created[gte]=")));
    assert!(queries.iter().any(|q| q.contains("created%5Bgte%5D=")));
    let logged = fake
        .requests()
        .into_iter()
        .find(|r| r.query.as_deref().is_some_and(|q| q.contains("%5Bgte%5D")))
        .unwrap();
    assert_eq!(logged.param("created[gte]"), Some(lo.to_string()));

    let bad = get(&fake, "/v1/charges?created[gte]=soon", Some(ACCT_A)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["param"], "created[gte]");
}

#[tokio::test]
async fn stripe_account_decides_whose_data_is_returned() {
    let fake = FakeStripe::start(Config::default()).await.unwrap();
    let a = merchant(Profile::Steady, 1, 5);
    let b = merchant(Profile::Growing, 2, 5);
    fake.add_merchant(ACCT_A, &a).unwrap();
    fake.add_merchant(ACCT_B, &b).unwrap();

    let got_a = list_all(&fake, "/v1/charges", "", ACCT_A).await;
    assert_each_once(&got_a, a.charges.iter().map(|c| c.id.as_str()));
    let got_b = list_all(&fake, "/v1/charges", "", ACCT_B).await;
    assert_each_once(&got_b, b.charges.iter().map(|c| c.id.as_str()));

    // No header: the platform's own (empty) data.
    let platform = get(&fake, "/v1/charges", None).await;
    assert_eq!(platform.status, StatusCode::OK);
    assert_eq!(platform.body["data"], json!([]));
    assert_eq!(platform.body["has_more"], false);

    // Another account's object is not found.
    let cross = get(
        &fake,
        &format!("/v1/charges/{}", a.charges[0].id),
        Some(ACCT_B),
    )
    .await;
    assert_eq!(cross.status, StatusCode::NOT_FOUND);
    assert_eq!(cross.body["error"]["code"], "resource_missing");
    assert_eq!(cross.body["error"]["type"], "invalid_request_error");
    assert_eq!(
        cross.body["error"]["message"],
        format!("No such charge: '{}'", a.charges[0].id)
    );

    // An account that is not connected: permission error.
    let unknown = get(&fake, "/v1/charges", Some("acct_1NotConnected000")).await;
    assert_eq!(unknown.status, StatusCode::FORBIDDEN);
    assert_eq!(unknown.body["error"]["code"], "account_invalid");
    assert!(
        !unknown.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(fake.secret_key())
    );

    // /v1/account answers for the selected account.
    let acct = get(&fake, "/v1/account", Some(ACCT_B)).await;
    assert_eq!(acct.body["id"], ACCT_B);
    assert_eq!(acct.body["object"], "account");

    // Disconnecting cuts access but keeps the data for a reconnect.
    assert!(fake.disconnect_account(ACCT_A));
    let cut = get(&fake, "/v1/charges", Some(ACCT_A)).await;
    assert_eq!(cut.status, StatusCode::FORBIDDEN);
    fake.add_account(ACCT_A);
    assert_eq!(fake.count(ACCT_A, ObjectKind::Charge), a.charges.len());

    // The log says who asked for whom.
    let log = fake.requests();
    assert!(
        log.iter()
            .any(|r| r.stripe_account.as_deref() == Some(ACCT_B) && r.status == Some(200))
    );
    assert!(log.iter().any(|r| r.stripe_account.is_none()));
}

#[tokio::test]
async fn a_bad_or_missing_key_is_401_in_stripes_words() {
    let fake = FakeStripe::start(Config::default()).await.unwrap();
    let bad_key = "sk_test_wrongwrongwrong9876";
    let r = get_with(&fake, Some(bad_key), "/v1/charges", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"]["type"], "invalid_request_error");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Invalid API Key provided: sk_test_"),
        "{message}"
    );
    assert!(
        message.ends_with("9876") && !message.contains(bad_key),
        "{message}"
    );

    let none = get_with(&fake, None, "/v1/charges", None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(
        none.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("You did not provide an API key")
    );

    // Basic auth with the key as the user, as Stripe accepts.
    let basic = client()
        .get(format!("{}v1/charges", fake.url()))
        .basic_auth(fake.secret_key(), Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);

    // A path the API does not have.
    let nowhere = get(&fake, "/v1/customers", None).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert!(
        nowhere.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Unrecognized request URL (GET: /v1/customers)")
    );
}

#[tokio::test]
async fn list_parameters_are_validated() {
    let fake = FakeStripe::start(Config::default()).await.unwrap();
    fake.add_merchant(ACCT_A, &merchant(Profile::Steady, 1, 3))
        .unwrap();
    for (query, param) in [
        ("limit=0", Some("limit")),
        ("limit=101", Some("limit")),
        ("limit=ten", Some("limit")),
        ("starting_after=ch_doesnotexist", Some("starting_after")),
        ("status=paid", Some("status")),
        ("starting_after=", Some("starting_after")),
        ("starting_after=a&ending_before=b", None),
    ] {
        let r = get(&fake, &format!("/v1/charges?{query}"), Some(ACCT_A)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(r.body["error"]["type"], "invalid_request_error", "{query}");
        assert_eq!(
            r.body["error"].get("param").and_then(Value::as_str),
            param,
            "{query}"
        );
    }
    let r = get(
        &fake,
        "/v1/charges?limit=100&expand[]=data.customer",
        Some(ACCT_A),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = get(&fake, "/v1/charges/ch_nope", Some(ACCT_A)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"]["param"], "id");
}

#[tokio::test]
async fn events_filter_by_type() {
    let fake = FakeStripe::start(Config::default()).await.unwrap();
    for (i, kind) in [
        "payout.paid",
        "payout.failed",
        "charge.succeeded",
        "payout.paid",
    ]
    .into_iter()
    .enumerate()
    {
        fake.add_object(
            ACCT_A,
            json!({"id": format!("evt_{i}"), "object": "event", "type": kind,
                   "created": 100 + i, "data": {"object": {}}}),
        )
        .unwrap();
    }
    let ids = |r: &Reply| -> Vec<String> {
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| id(e).to_owned())
            .collect()
    };
    let r = get(&fake, "/v1/events?type=payout.paid", Some(ACCT_A)).await;
    assert_eq!(ids(&r), ["evt_3", "evt_0"]);
    let r = get(&fake, "/v1/events?type=payout.*", Some(ACCT_A)).await;
    assert_eq!(ids(&r), ["evt_3", "evt_1", "evt_0"]);
    let r = get(
        &fake,
        "/v1/events?types[]=charge.succeeded&types%5B%5D=payout.failed",
        Some(ACCT_A),
    )
    .await;
    assert_eq!(ids(&r), ["evt_2", "evt_1"]);
    let r = get(
        &fake,
        "/v1/events?types[0]=payout.paid&limit=1",
        Some(ACCT_A),
    )
    .await;
    assert_eq!(ids(&r), ["evt_3"]);
    assert_eq!(r.body["has_more"], true);
    let r = get(
        &fake,
        "/v1/events?types[0]=payout.paid&limit=1&starting_after=evt_3",
        Some(ACCT_A),
    )
    .await;
    assert_eq!(ids(&r), ["evt_0"]);
    assert_eq!(r.body["has_more"], false);
    // `type` is only an events filter.
    let r = get(&fake, "/v1/charges?type=x", Some(ACCT_A)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Raw objects need an id, a type and a creation time.
    assert!(fake.add_object(ACCT_A, json!({"object": "event"})).is_err());
    assert!(
        fake.add_object(ACCT_A, json!({"id": "x", "object": "refund", "created": 1}))
            .is_err()
    );
}

#[tokio::test]
async fn injected_faults_are_served_then_cleared() {
    let fake = FakeStripe::start(Config::default()).await.unwrap();
    fake.add_merchant(ACCT_A, &merchant(Profile::Steady, 1, 2))
        .unwrap();
    fake.inject_on(
        "/v1/charges",
        Fault::RateLimited {
            retry_after_secs: 7,
        },
        2,
    );
    fake.inject_on("/v1/payouts", Fault::ServerError, 1);

    // A path without a fault is unaffected.
    assert_eq!(
        get(&fake, "/v1/disputes", Some(ACCT_A)).await.status,
        StatusCode::OK
    );
    for _ in 0..2 {
        let r = get(&fake, "/v1/charges", Some(ACCT_A)).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers["retry-after"], "7");
        assert_eq!(r.body["error"]["code"], "rate_limit");
        assert_eq!(r.body["error"]["type"], "invalid_request_error");
    }
    assert_eq!(
        get(&fake, "/v1/charges", Some(ACCT_A)).await.status,
        StatusCode::OK
    );

    let r = get(&fake, "/v1/payouts", Some(ACCT_A)).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.body["error"]["type"], "api_error");
    assert_eq!(
        get(&fake, "/v1/payouts", Some(ACCT_A)).await.status,
        StatusCode::OK
    );

    // A fault without a path applies to the next request, even a bad one.
    fake.inject(
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let r = get_with(&fake, Some("sk_test_bad"), "/v1/charges", None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);

    fake.inject(Fault::Delay(Duration::from_millis(300)), 1);
    let started = Instant::now();
    let r = get(&fake, "/v1/charges", Some(ACCT_A)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    fake.inject(Fault::ServerError, 5);
    fake.clear_faults();
    assert_eq!(
        get(&fake, "/v1/charges", Some(ACCT_A)).await.status,
        StatusCode::OK
    );

    let statuses: Vec<Option<u16>> = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/charges")
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses,
        [
            Some(429),
            Some(429),
            Some(200),
            Some(429),
            Some(200),
            Some(200)
        ]
    );
    assert!(fake.requests().iter().all(|r| r.method == "GET"));
    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

async fn oauth(fake: &FakeStripe, path: &str, key: Option<&str>, form: &[(&str, &str)]) -> Reply {
    let mut req = client()
        .post(format!("{}{path}", fake.api_base()))
        .header("Idempotency-Key", "idem-1")
        .form(form);
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let resp = req.send().await.unwrap();
    Reply {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.json().await.unwrap(),
    }
}

#[tokio::test]
async fn oauth_codes_are_single_use_and_deauthorize_revokes() {
    let fake = FakeStripe::start(Config::default()).await.unwrap();
    let key = fake.secret_key().to_owned();
    fake.add_oauth_code("ac_good", ACCT_B);
    assert!(!fake.is_connected(ACCT_B));
    let grant = [("grant_type", "authorization_code"), ("code", "ac_good")];

    let r = oauth(&fake, "/oauth/token", Some(&key), &grant).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for field in [
        "access_token",
        "livemode",
        "refresh_token",
        "scope",
        "stripe_publishable_key",
        "stripe_user_id",
        "token_type",
    ] {
        assert!(r.body.get(field).is_some(), "token response lacks {field}");
    }
    assert_eq!(r.body["stripe_user_id"], ACCT_B);
    assert_eq!(r.body["token_type"], "bearer");
    assert_eq!(r.body["scope"], "read_only");
    assert!(fake.is_connected(ACCT_B));
    let access = r.body["access_token"].as_str().unwrap().to_owned();

    // The platform key reaches the newly connected account; so does its own token.
    assert_eq!(
        get(&fake, "/v1/charges", Some(ACCT_B)).await.status,
        StatusCode::OK
    );
    let own = get_with(&fake, Some(&access), "/v1/account", None).await;
    assert_eq!(own.body["id"], ACCT_B);
    let other = get_with(&fake, Some(&access), "/v1/charges", Some(ACCT_A)).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);

    // Used once: invalid_grant, and the tokens it issued are revoked.
    let again = oauth(&fake, "/oauth/token", Some(&key), &grant).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.body["error"], "invalid_grant");
    assert!(
        again.body["error_description"]
            .as_str()
            .unwrap()
            .contains("already been used")
    );
    let revoked = get_with(&fake, Some(&access), "/v1/account", None).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);

    let unknown = oauth(
        &fake,
        "/oauth/token",
        Some(&key),
        &[("grant_type", "authorization_code"), ("code", "ac_never")],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["error"], "invalid_grant");

    // The platform key may also come as client_secret; without any key: invalid_client.
    fake.add_oauth_code("ac_second", ACCT_A);
    let form_key = oauth(
        &fake,
        "/oauth/token",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", "ac_second"),
            ("client_secret", &key),
        ],
    )
    .await;
    assert_eq!(form_key.status, StatusCode::OK);
    let nokey = oauth(&fake, "/oauth/token", None, &grant).await;
    assert_eq!(nokey.status, StatusCode::UNAUTHORIZED);
    assert_eq!(nokey.body["error"], "invalid_client");

    // Deauthorize: the account is cut off; doing it twice is an error.
    let client_id = fake.config().client_id.clone();
    let form = [
        ("client_id", client_id.as_str()),
        ("stripe_user_id", ACCT_B),
    ];
    let r = oauth(&fake, "/oauth/deauthorize", Some(&key), &form).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"stripe_user_id": ACCT_B}));
    assert_eq!(
        get(&fake, "/v1/charges", Some(ACCT_B)).await.status,
        StatusCode::FORBIDDEN
    );
    let twice = oauth(&fake, "/oauth/deauthorize", Some(&key), &form).await;
    assert_eq!(twice.status, StatusCode::UNAUTHORIZED);
    assert_eq!(twice.body["error"], "invalid_client");
    let wrong_client = oauth(
        &fake,
        "/oauth/deauthorize",
        Some(&key),
        &[("client_id", "ca_other"), ("stripe_user_id", ACCT_A)],
    )
    .await;
    assert_eq!(wrong_client.body["error"], "invalid_client");

    let log = fake.requests();
    assert!(
        log.iter()
            .filter(|r| r.method == "POST")
            .all(|r| r.idempotency_key.as_deref() == Some("idem-1"))
    );
    assert!(log.iter().all(|r| r.status.is_some()));
    assert!(r.headers.contains_key("request-id"));
}
