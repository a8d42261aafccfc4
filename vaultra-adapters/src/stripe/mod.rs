//! Stripe: the live API side (as opposed to [`crate::files`], which reads exports).
//!
//! - [`webhook`]: verifies `Stripe-Signature` headers and parses the event.
//! - [`client`]: the Stripe API as a `PaymentSource` (async-stripe), one client per
//!   connected account, and the Connect OAuth code exchange.

pub mod client;
pub mod webhook;

pub use client::{
    DEFAULT_API_BASE, DEFAULT_CONNECT_BASE, StripeConfig, StripeSource, TokioSleeper,
};
