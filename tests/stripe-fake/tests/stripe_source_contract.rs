//! The payment-source contract suite against the Stripe adapter (`StripeSource`, on
//! async-stripe's requests and our transport) talking to the fake Stripe over HTTP.
//!
//! The fake serves what the harness seeds (`Stripe-Account` choosing the account),
//! injects 429 / 500 / slow answers, refuses unknown keys with Stripe's 401 body, and
//! issues Connect authorization codes; webhook deliveries are signed as Stripe signs
//! them. Every capability of the suite is declared.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use vaultra_adapters::stripe::webhook::{Secret, signature_header};
use vaultra_adapters::stripe::{StripeConfig, StripeSource};
use vaultra_core::ports::{PageQuery, PaymentSource, Stream};
use vaultra_core::testkit::payment_source::{
    RefusedCredentials, Seed, SourceCapabilities, SourceFault, SourceHarness,
};
use vaultra_stripe_fake::{Config as FakeConfig, FakeStripe, Fault};

const WEBHOOK_SECRET: &str = "whsec_contractsuite0000000000";
/// The client timeout of the source handed out for a [`SourceFault::Timeout`], and
/// the fake's delay, well past it.
const SHORT_TIMEOUT: Duration = Duration::from_secs(1);
const SLOW_ANSWER: Duration = Duration::from_secs(5);

struct StripeHarness {
    fake: FakeStripe,
    source: Arc<StripeSource>,
}

impl StripeHarness {
    fn config(&self, secret_key: &str) -> StripeConfig {
        let mut config = StripeConfig::new(secret_key);
        config.api_base = self.fake.api_base();
        config.connect_base = self.fake.api_base();
        config.client_id = Some(self.fake.config().client_id.clone());
        config.webhook_secrets = vec![Secret::new(WEBHOOK_SECRET)];
        config
    }
}

fn list_path(stream: Stream) -> &'static str {
    match stream {
        Stream::Charges => "/v1/charges",
        Stream::Payouts => "/v1/payouts",
        Stream::Disputes => "/v1/disputes",
        Stream::Events => "/v1/events",
    }
}

impl SourceHarness for StripeHarness {
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::ALL
    }

    fn source(&self) -> Arc<dyn PaymentSource> {
        self.source.clone()
    }

    fn seed(&self, account: &str, seed: &Seed) {
        self.fake.add_account(account);
        self.fake.add_charges(account, &seed.charges);
        self.fake.add_payouts(account, &seed.payouts);
        self.fake.add_disputes(account, &seed.disputes);
        self.fake.add_events(account, &seed.events).unwrap();
    }

    fn inject(&self, stream: Stream, fault: SourceFault) -> Option<Arc<dyn PaymentSource>> {
        let path = list_path(stream);
        match fault {
            SourceFault::RateLimited { retry_after } => {
                let retry_after_secs = retry_after.as_secs();
                self.fake
                    .inject_on(path, Fault::RateLimited { retry_after_secs }, 1);
                Some(self.source.clone())
            }
            SourceFault::ServerError => {
                self.fake.inject_on(path, Fault::ServerError, 1);
                Some(self.source.clone())
            }
            SourceFault::Timeout => {
                self.fake.inject_on(path, Fault::Delay(SLOW_ANSWER), 1);
                let mut config = self.config(self.fake.secret_key());
                config.timeout = SHORT_TIMEOUT;
                Some(Arc::new(StripeSource::new(config).unwrap()))
            }
            _ => None,
        }
    }

    fn refused_credentials(&self) -> Option<RefusedCredentials> {
        let secret = "sk_test_refusedbythefake00000000991".to_owned();
        Some(RefusedCredentials {
            source: Arc::new(StripeSource::new(self.config(&secret)).unwrap()),
            secret,
            provider_message: "Invalid API Key provided".to_owned(),
        })
    }

    fn sign_webhook(&self, payload: &[u8], timestamp: i64) -> Option<String> {
        Some(signature_header(
            payload,
            &[Secret::new(WEBHOOK_SECRET)],
            timestamp,
        ))
    }

    fn authorization_code(&self, account: &str) -> Option<String> {
        let code = format!("ac_{}", account.trim_start_matches("acct_"));
        self.fake.add_oauth_code(&code, account);
        Some(code)
    }
}

async fn fake_harness() -> StripeHarness {
    let fake = FakeStripe::start(FakeConfig::default()).await.unwrap();
    let mut harness = StripeHarness {
        source: Arc::new(StripeSource::new(StripeConfig::new("unused")).unwrap()),
        fake,
    };
    harness.source =
        Arc::new(StripeSource::new(harness.config(harness.fake.secret_key())).unwrap());
    harness
}

async fn stripe_harness() -> Arc<dyn SourceHarness> {
    Arc::new(fake_harness().await)
}

vaultra_core::payment_source_contract_tests!(stripe_harness());

/// What the suite cannot see through the port: every page request names its account
/// in `Stripe-Account`, the one it was asked for, and nothing is read without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_request_carries_its_stripe_account() {
    let harness = fake_harness().await;
    let (a, b) = ("acct_1ContractAccountA", "acct_1ContractAccountB");
    harness.seed(a, &Seed::sized(5, 2, 1));
    harness.seed(b, &Seed::sized(4, 1, 1));
    harness.fake.clear_requests();
    let source = harness.source();
    for stream in Stream::ALL {
        for account in [a, b] {
            let mut query = PageQuery::first(stream, 2);
            loop {
                let page = source.fetch_page(account, &query).await.unwrap();
                if !page.has_more {
                    break;
                }
                query.starting_after = page
                    .objects
                    .last()
                    .map(|o| o["id"].as_str().unwrap().to_owned());
            }
        }
    }
    let requests = harness.fake.requests();
    assert!(requests.len() > 8);
    for r in &requests {
        let account = r.stripe_account.as_deref();
        assert!(
            account == Some(a) || account == Some(b),
            "{} {:?} without the right Stripe-Account: {account:?}",
            r.path,
            r.query
        );
    }
    let to_b = requests
        .iter()
        .filter(|r| r.stripe_account.as_deref() == Some(b))
        .count();
    assert!(to_b > 0 && to_b < requests.len());
}
