//! # vaultra-core
//!
//! Vaultra's pure logic: how ready a small business is for funding, from its payment
//! data. No I/O happens here and no vendor is named outside the Stripe wire-format
//! types; storage, payment sources and clocks sit behind the traits in [`ports`].
//!
//! The flow is: Stripe-shaped objects → [`domain::PaymentData`] → [`metrics::compute`] →
//! [`scoring::score`] under a [`scoring::Policy`] → [`recommend::recommend`]. [`report::assess`]
//! runs all of it:
//!
//! ```
//! use vaultra_core::domain::{Charge, ChargeStatus, Currency, PaymentData};
//! use vaultra_core::report::{assess, Options};
//! use vaultra_core::scoring::Policy;
//!
//! let mut data = PaymentData::new();
//! data.add_charge(&Charge {
//!     id: "ch_1".into(),
//!     created: 1_764_000_000, // 2025-11-24
//!     amount: 12_500,
//!     amount_refunded: 0,
//!     currency: Currency::USD,
//!     status: ChargeStatus::Succeeded,
//!     captured: true,
//! })?;
//! let as_of = "2025-11-30".parse().unwrap();
//! let report = assess(&data, &Options::ending(as_of), &Policy::spec_v1())?;
//! assert_eq!(report.metrics.revenue_total.to_string(), "125.00");
//! // 50 + 10 (revenue only in the recent half: increasing) − 10 (one busy day in 30:
//! // volatile) + 5 (no chargebacks); no payout was due, so payouts score 0.
//! assert_eq!(report.readiness.score, 55);
//! # Ok::<(), vaultra_core::Error>(())
//! ```

pub mod app;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod ports;
pub mod recommend;
pub mod report;
pub mod retry;
pub mod scoring;
pub mod serde_util;
pub mod services;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use error::{Error, InvalidInput, Result, ResultExt};
