//! Services: orchestration over the ports, with no I/O of their own.
//!
//! - [`stripe_sync`]: backfill and incremental sync of a connected account into the
//!   store, with retries, backoff and dead-lettering.

pub mod stripe_sync;
