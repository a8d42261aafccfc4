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
//! - [`local`]: the embedded defaults that need no server (the system clock).
//! - [`stripe`]: the Stripe API side: webhook signature verification and the API
//!   client (async-stripe) behind the `PaymentSource` port.

#[cfg(feature = "files")]
pub mod files;
#[cfg(feature = "jobs")]
pub mod jobs;
pub mod local;
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
