//! Services: orchestration over the ports, with no I/O of their own.
//!
//! - [`stripe_sync`]: backfill and incremental sync of a connected account into the
//!   store, with retries, backoff and dead-lettering.
//! - [`stripe_webhook`]: webhook deliveries verified, recorded once and applied.
//! - [`stripe_connect`]: Stripe Connect OAuth (CSRF state, code exchange, backfill).
//! - [`auth`]: sign-up, log-in, access tokens and rotating refresh tokens.
//! - [`access`]: who is asking ([`Actor`]) and the membership check every service runs.
//! - [`users`]: profiles, businesses and roles.
//! - [`metrics`]: metric snapshots and readiness scores over time, with their freshness.
//! - [`jobs`]: what each scheduled job does, run once per slot through the job ledger.
//! - [`recommendations`]: the §5 rules with their pending → accepted/dismissed lifecycle.

pub mod access;
pub mod auth;
pub mod jobs;
pub mod metrics;
pub mod recommendations;
pub mod stripe_connect;
pub mod stripe_sync;
pub mod stripe_webhook;
pub mod users;

pub use access::Actor;
