//! The webhook service (`vaultra_core::services::stripe_webhook`) with the Stripe
//! adapter's verifier, on SQLite (and on PostgreSQL when `VAULTRA_TEST_POSTGRES_URL`
//! reaches a server). Deliveries are signed with the adapter's signer; the Python proof
//! (`tests/stripe-fake/python/test_webhook_end_to_end.py`) signs them with Stripe's own
//! package and drives `vaultra stripe webhook`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;
use support::postgres_store;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use tempfile::TempDir;
use uuid::Uuid;
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_adapters::stripe::webhook::{Secret, signature_header};
use vaultra_adapters::stripe::{StripeConfig, StripeSource};
use vaultra_adapters::synth::{charge_json, dispute_json, payout_json, payout_paid_event_json};
use vaultra_core::domain::{
    Charge, ChargeStatus, ConnectionStatus, Currency, Dispute, IntegrationAccount, NewBusiness,
    NewUser, Payout, PayoutPaid, PayoutStatus, Provider,
};
use vaultra_core::metrics::{self, CurrencyChoice, Window};
use vaultra_core::ports::{EventRecord, FixedClock, Store};
use vaultra_core::services::stripe_webhook::{
    IgnoredReason, SIGNATURE_FIELD, StripeWebhooks, WebhookOutcome, WebhookPorts,
};
use vaultra_core::{Error, ports::IngestStats};

const ACCOUNT: &str = "acct_1WebhookMerchant00";
const SECRET: &str = "whsec_webhookTestSecretNumberOne";
const OLD_SECRET: &str = "whsec_webhookTestSecretRetiring";
/// 2026-11-20 12:00:00 UTC.
const NOW: i64 = 1_795_176_000;

fn day() -> NaiveDate {
    DateTime::from_timestamp(NOW, 0).unwrap().date_naive()
}

struct Env {
    store: Arc<dyn Store>,
    service: StripeWebhooks,
    business: Uuid,
    account: IntegrationAccount,
}

async fn setup_with(store: Arc<dyn Store>) -> Env {
    let user = store
        .create_user(NewUser {
            email: format!("owner-{}@example.com", Uuid::new_v4()),
            name: "Owner".into(),
            password_hash: None,
            avatar_url: None,
        })
        .await
        .unwrap();
    let business = store
        .create_business(user.id, NewBusiness::named("Hook Co"))
        .await
        .unwrap()
        .id;
    let account = store
        .link_account(business, Provider::Stripe, ACCOUNT)
        .await
        .unwrap();
    let mut config = StripeConfig::new("sk_test_unused");
    // Rotation: both secrets are accepted.
    config.webhook_secrets = Secret::parse_list(&format!("{SECRET},{OLD_SECRET}"));
    let source = Arc::new(StripeSource::new(config).unwrap());
    let clock = Arc::new(FixedClock::new(DateTime::from_timestamp(NOW, 0).unwrap()));
    Env {
        service: StripeWebhooks::new(source, WebhookPorts::from(store.clone()), clock),
        store,
        business,
        account,
    }
}

async fn setup() -> (Env, TempDir) {
    let db = TempDir::new().unwrap();
    let url = format!("sqlite://{}", db.path().join("vaultra.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
    (setup_with(store).await, db)
}

fn charge(id: &str, amount: i64, refunded: i64) -> Charge {
    Charge {
        id: id.into(),
        created: NOW - 86_400,
        amount,
        amount_refunded: refunded,
        currency: Currency::USD,
        status: ChargeStatus::Succeeded,
        captured: true,
    }
}

fn event(id: &str, kind: &str, account: Option<&str>, object: Value) -> Vec<u8> {
    let mut e = json!({
        "id": id, "object": "event", "api_version": "2024-06-20", "created": NOW - 5,
        "data": {"object": object}, "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null}, "type": kind,
    });
    if let Some(a) = account {
        e["account"] = Value::from(a);
    }
    // Pretty-printed, as Stripe sends it: the signature covers the exact bytes.
    serde_json::to_vec_pretty(&e).unwrap()
}

fn signed(payload: &[u8]) -> String {
    signature_header(payload, &[Secret::new(SECRET)], NOW - 2)
}

impl Env {
    async fn deliver(&self, payload: &[u8]) -> WebhookOutcome {
        self.service
            .handle_webhook(payload, &signed(payload))
            .await
            .unwrap()
    }

    async fn data(&self) -> vaultra_core::domain::PaymentData {
        let window = Window::new(day(), 30).unwrap();
        self.store
            .payment_data(self.business, window)
            .await
            .unwrap()
    }

    /// (gross, refunded, successful charges) in the 30 days to today.
    async fn revenue(&self) -> (String, String, u64) {
        let window = Window::new(day(), 30).unwrap();
        let m = metrics::compute(&self.data().await, window, CurrencyChoice::from(None));
        (
            m.revenue_total.to_string(),
            m.refunded_total.to_string(),
            m.transaction_count,
        )
    }
}

fn applied(outcome: &WebhookOutcome) -> IngestStats {
    match outcome {
        WebhookOutcome::Applied { stored, .. } => *stored,
        other => panic!("not applied: {other:?}"),
    }
}

async fn charges_are_applied_as_newest_state_and_replays_do_nothing(env: &Env) {
    let succeeded = event(
        "evt_1ChargeSucceeded",
        "charge.succeeded",
        Some(ACCOUNT),
        charge_json(&charge("ch_1Hook", 12_345, 0)),
    );
    let outcome = env.deliver(&succeeded).await;
    assert_eq!(
        outcome,
        WebhookOutcome::Applied {
            event_id: "evt_1ChargeSucceeded".into(),
            event_type: "charge.succeeded".into(),
            business_id: env.business,
            account_id: env.account.id,
            stored: IngestStats {
                charges: 1,
                ..IngestStats::default()
            },
        }
    );
    assert_eq!(env.revenue().await, ("123.45".into(), "0.00".into(), 1));
    assert_eq!(
        env.store
            .event_processed("evt_1ChargeSucceeded")
            .await
            .unwrap(),
        Some(true)
    );

    // The same delivery again (Stripe retries): acknowledged, nothing written.
    assert_eq!(
        env.deliver(&succeeded).await,
        WebhookOutcome::Duplicate {
            event_id: "evt_1ChargeSucceeded".into()
        }
    );

    // A later event carries the newest state of the same charge: it replaces it.
    let refunded = event(
        "evt_1ChargeRefunded",
        "charge.refunded",
        Some(ACCOUNT),
        charge_json(&charge("ch_1Hook", 12_345, 2_345)),
    );
    assert_eq!(applied(&env.deliver(&refunded).await).charges, 1);
    assert_eq!(env.revenue().await, ("123.45".into(), "23.45".into(), 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charge_events_update_the_store_and_replays_are_no_ops() {
    let (env, _db) = setup().await;
    charges_are_applied_as_newest_state_and_replays_do_nothing(&env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_too() {
    let Some((store, db)) = postgres_store("vaultra_hook").await else {
        eprintln!("skipped: no PostgreSQL at VAULTRA_TEST_POSTGRES_URL");
        return;
    };
    let env = setup_with(store).await;
    charges_are_applied_as_newest_state_and_replays_do_nothing(&env).await;
    disputes_and_payouts(&env).await;
    db.drop().await;
}

async fn disputes_and_payouts(env: &Env) {
    let dispute = Dispute {
        id: "dp_1Hook".into(),
        charge: "ch_1Hook".into(),
        created: NOW - 3_600,
        amount: 12_345,
        currency: Currency::USD,
        status: "needs_response".into(),
    };
    let created = event(
        "evt_1DisputeCreated",
        "charge.dispute.created",
        Some(ACCOUNT),
        dispute_json(&dispute),
    );
    assert_eq!(applied(&env.deliver(&created).await).disputes, 1);
    let lost = Dispute {
        status: "lost".into(),
        ..dispute
    };
    let closed = event(
        "evt_1DisputeClosed",
        "charge.dispute.closed",
        Some(ACCOUNT),
        dispute_json(&lost),
    );
    assert_eq!(applied(&env.deliver(&closed).await).disputes, 1);
    let data = env.data().await;
    assert_eq!(data.disputes.len(), 1);
    assert_eq!(data.disputes[0].status, "lost");

    let payout = Payout {
        id: "po_1Hook".into(),
        created: NOW - 2 * 86_400,
        arrival_date: NOW - 86_400,
        amount: 10_000,
        currency: Currency::USD,
        status: PayoutStatus::Paid,
    };
    let paid = PayoutPaid {
        event_id: "evt_1PayoutPaid".into(),
        payout_id: payout.id.clone(),
        paid_at: NOW - 5,
    };
    // The fake's renderer gives the event exactly as Stripe shapes it.
    let mut whole = payout_paid_event_json(&paid, &payout);
    whole["account"] = Value::from(ACCOUNT);
    let body = serde_json::to_vec(&whole).unwrap();
    let stats = applied(&env.deliver(&body).await);
    assert_eq!((stats.payouts, stats.payout_paid), (1, 1));
    let data = env.data().await;
    assert_eq!(data.payouts.len(), 1);
    assert_eq!(data.paid_at.get("po_1Hook"), Some(&(NOW - 5)));
    // A payout event other than payout.paid updates the payout only.
    let updated = event(
        "evt_1PayoutUpdated",
        "payout.updated",
        Some(ACCOUNT),
        payout_json(&Payout {
            amount: 10_500,
            ..payout
        }),
    );
    let stats = applied(&env.deliver(&updated).await);
    assert_eq!((stats.payouts, stats.payout_paid), (1, 0));
    assert_eq!(env.data().await.payouts[0].amount, 10_500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispute_and_payout_events_are_applied() {
    let (env, _db) = setup().await;
    disputes_and_payouts(&env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deauthorization_disconnects_and_later_events_are_ignored() {
    let (env, _db) = setup().await;
    let deauth = event(
        "evt_1Deauthorized",
        "account.application.deauthorized",
        Some(ACCOUNT),
        json!({"id": "ca_VaultraFakeClient000000000000", "object": "application", "name": "Vaultra"}),
    );
    assert_eq!(
        env.deliver(&deauth).await,
        WebhookOutcome::Deauthorized {
            event_id: "evt_1Deauthorized".into(),
            business_id: env.business,
            account_id: env.account.id,
        }
    );
    let account = env.store.get_account(env.account.id).await.unwrap();
    assert_eq!(account.status, ConnectionStatus::Disconnected);
    assert!(
        env.store
            .connected_accounts(Provider::Stripe)
            .await
            .unwrap()
            .iter()
            .all(|a| a.id != env.account.id),
        "a disconnected account is not synced any more"
    );
    let late = event(
        "evt_1LateCharge",
        "charge.succeeded",
        Some(ACCOUNT),
        charge_json(&charge("ch_1Late", 500, 0)),
    );
    assert!(matches!(
        env.deliver(&late).await,
        WebhookOutcome::Ignored {
            reason: IgnoredReason::AccountDisconnected,
            ..
        }
    ));
    assert_eq!(env.revenue().await.2, 0);
    // Linking again reconnects; the same event delivered again is still a no-op.
    env.store
        .link_account(env.business, Provider::Stripe, ACCOUNT)
        .await
        .unwrap();
    assert!(matches!(
        env.deliver(&late).await,
        WebhookOutcome::Duplicate { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_accounts_platform_events_and_other_types_are_recorded_and_ignored() {
    let (env, _db) = setup().await;
    let cases = [
        (
            event(
                "evt_1Stranger",
                "charge.succeeded",
                Some("acct_1NobodyKnowsMe000"),
                charge_json(&charge("ch_1Stranger", 700, 0)),
            ),
            IgnoredReason::UnknownAccount,
        ),
        (
            event(
                "evt_1Platform",
                "charge.succeeded",
                None,
                charge_json(&charge("ch_1Platform", 700, 0)),
            ),
            IgnoredReason::PlatformEvent,
        ),
        (
            event(
                "evt_1Customer",
                "customer.created",
                Some(ACCOUNT),
                json!({"id": "cus_1", "object": "customer"}),
            ),
            IgnoredReason::UnhandledType,
        ),
        (
            event(
                "evt_1Refund",
                "charge.refund.updated",
                Some(ACCOUNT),
                json!({"id": "re_1", "object": "refund", "amount": 5}),
            ),
            IgnoredReason::UnhandledType,
        ),
    ];
    for (payload, reason) in cases {
        match env.deliver(&payload).await {
            WebhookOutcome::Ignored {
                reason: got,
                event_id,
                ..
            } => {
                assert_eq!(got, reason, "{event_id}");
                assert_eq!(
                    env.store.event_processed(&event_id).await.unwrap(),
                    Some(true),
                    "{event_id} is recorded"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(env.revenue().await.2, 0, "nothing was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_are_refused_and_record_nothing() {
    let (env, _db) = setup().await;
    let payload = event(
        "evt_1Forged",
        "charge.succeeded",
        Some(ACCOUNT),
        charge_json(&charge("ch_1Forged", 99_999, 0)),
    );
    let good = signed(&payload);
    let tampered = String::from_utf8(payload.clone())
        .unwrap()
        .replace("99999", "1");
    let cases: Vec<(Vec<u8>, String)> = vec![
        (tampered.into_bytes(), good.clone()),
        (
            payload.clone(),
            signature_header(&payload, &[Secret::new("whsec_someoneElse")], NOW),
        ),
        (
            payload.clone(),
            signature_header(&payload, &[Secret::new(SECRET)], NOW - 301),
        ),
        (payload.clone(), String::new()),
        (payload.clone(), "t=abc,v1=00".into()),
    ];
    for (body, header) in cases {
        let err = env
            .service
            .handle_webhook(&body, &header)
            .await
            .unwrap_err();
        match &err {
            Error::Invalid { input, .. } => {
                assert_eq!(input.field.as_deref(), Some(SIGNATURE_FIELD), "{err}");
            }
            other => panic!("{header:?}: {other:?}"),
        }
    }
    assert_eq!(
        env.store.event_processed("evt_1Forged").await.unwrap(),
        None,
        "nothing unverified is recorded"
    );
    // Signed with the retiring secret during a rotation: accepted.
    let old = signature_header(&payload, &[Secret::new(OLD_SECRET)], NOW);
    let outcome = env.service.handle_webhook(&payload, &old).await.unwrap();
    assert_eq!(applied(&outcome).charges, 1);
    // A signed body that is not an event is invalid, but not a signature problem.
    let junk = br#"{"id":"evt_1","object":"event","type":"x","created":1}"#;
    let err = env
        .service
        .handle_webhook(junk, &signed(junk))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { input: i, .. } if i.field.as_deref() == Some("payload")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_recorded_but_never_processed_is_processed_on_redelivery() {
    let (env, _db) = setup().await;
    let payload = event(
        "evt_1HalfDone",
        "charge.succeeded",
        Some(ACCOUNT),
        charge_json(&charge("ch_1HalfDone", 4_200, 0)),
    );
    // A handler that crashed after recording: the row exists, unprocessed.
    let recorded = env
        .store
        .record_event(&EventRecord {
            event_id: "evt_1HalfDone".into(),
            account_external_id: Some(ACCOUNT.into()),
            event_type: "charge.succeeded".into(),
            created: DateTime::<Utc>::from_timestamp(NOW - 5, 0).unwrap(),
            payload: serde_json::from_slice(&payload).unwrap(),
        })
        .await
        .unwrap();
    assert_eq!(recorded, vaultra_core::ports::EventOutcome::New);
    assert_eq!(applied(&env.deliver(&payload).await).charges, 1);
    assert_eq!(env.revenue().await, ("42.00".into(), "0.00".into(), 1));
    assert!(matches!(
        env.deliver(&payload).await,
        WebhookOutcome::Duplicate { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deliveries_of_one_event_store_it_once() {
    let (env, _db) = setup().await;
    let env = Arc::new(env);
    let payload = event(
        "evt_1Race",
        "charge.succeeded",
        Some(ACCOUNT),
        charge_json(&charge("ch_1Race", 1_000, 0)),
    );
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let env = env.clone();
        let payload = payload.clone();
        tasks.push(tokio::spawn(async move {
            // As Stripe does, deliver again while the answer is a retryable failure
            // (SQLite may refuse a concurrent writer with "database is locked").
            loop {
                match env
                    .service
                    .handle_webhook(&payload, &signed(&payload))
                    .await
                {
                    Err(e) if e.is_retryable() => {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    other => return other.unwrap(),
                }
            }
        }));
    }
    for t in tasks {
        // Applied or Duplicate, never a lasting error.
        let outcome = t.await.unwrap();
        assert!(
            matches!(
                outcome,
                WebhookOutcome::Applied { .. } | WebhookOutcome::Duplicate { .. }
            ),
            "{outcome:?}"
        );
    }
    assert_eq!(env.revenue().await, ("10.00".into(), "0.00".into(), 1));
}
