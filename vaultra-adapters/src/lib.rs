#![recursion_limit = "256"]
//! # vaultra-adapters
//!
//! Real backends for the ports of `vaultra-core`. Each backend sits behind a cargo
//! feature so a host links only what it uses.
//!
//! - [`files`]: Stripe export folders (`charges.json`, `payouts.json`, `disputes.json`,
//!   `events.json`), streamed from disk.
//! - [`synth`]: deterministic synthetic merchants in Stripe's wire format, for demos,
//!   tests and benchmarks.
//! - [`open()`]: one way to open a store from a URL (`sqlite:` or `postgres://`), for
//!   every host, with [`redact`] for showing the URL.
//! - [`local`]: the embedded defaults that need no server (the system clock).
//! - [`stripe`]: the Stripe API side: webhook signature verification and the API
//!   client (async-stripe) behind the `PaymentSource` port.

#[cfg(feature = "files")]
pub mod files;
#[cfg(feature = "jobs")]
pub mod jobs;
pub mod local;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod open;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "stripe")]
pub mod stripe;
#[cfg(feature = "synth")]
pub mod synth;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use open::{OpenedStore, open, open_store, redact};
