//! The payment-source contract suite against [`SynthSource`], the in-process source of
//! the demo.
//!
//! SynthSource has no provider behind it: no faults to inject, no credentials, no
//! webhooks, no connect flow. It declares so, and the cases needing them check that
//! it refuses (webhooks, connecting) or say they checked nothing (faults,
//! credentials); run with `--nocapture` to see which.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::{Arc, Mutex};

use vaultra_adapters::synth::{Merchant, SynthSource};
use vaultra_core::ports::PaymentSource;
use vaultra_core::testkit::payment_source::{Seed, SourceCapabilities, SourceHarness};

/// The accounts seeded so far; every `source()` serves a copy of them.
#[derive(Default)]
struct SynthHarness {
    source: Mutex<SynthSource>,
}

impl SourceHarness for SynthHarness {
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default()
    }

    fn source(&self) -> Arc<dyn PaymentSource> {
        Arc::new(self.source.lock().unwrap().clone())
    }

    fn seed(&self, account: &str, seed: &Seed) {
        let merchant = Merchant {
            charges: seed.charges.clone(),
            payouts: seed.payouts.clone(),
            disputes: seed.disputes.clone(),
            events: seed.events.clone(),
        };
        self.source.lock().unwrap().add_account(account, &merchant);
    }
}

async fn synth_harness() -> Arc<dyn SourceHarness> {
    Arc::new(SynthHarness::default())
}

vaultra_core::payment_source_contract_tests!(synth_harness());
