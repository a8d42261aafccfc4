//! Stripe: the live API side (as opposed to [`crate::files`], which reads exports).
//!
//! - [`webhook`]: verifies `Stripe-Signature` headers and parses the event.
//! - [`client`]: the Stripe API as a `PaymentSource` (async-stripe's typed requests over
//!   our transport, which keeps `Retry-After`), and the Connect OAuth code exchange.
//! - [`OsEntropy`]: the operating system's random bytes, for Connect's OAuth states.

pub mod client;
mod transport;
pub mod webhook;

pub use transport::MAX_RETRY_AFTER;

pub use client::{
    DEFAULT_API_BASE, DEFAULT_CONNECT_BASE, StripeConfig, StripeSource, TokioSleeper,
};

/// Random bytes from the operating system (`getrandom`): the
/// [`Entropy`](vaultra_core::services::stripe_connect::Entropy) of a real host.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl vaultra_core::services::stripe_connect::Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) -> vaultra_core::Result<()> {
        getrandom::fill(buf).map_err(|e| {
            vaultra_core::Error::unavailable(
                format!("the operating system's random generator failed: {e}"),
                true,
            )
            .with_source(e)
        })
    }
}
