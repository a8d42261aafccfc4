//! Stripe: the live API side (as opposed to [`crate::files`], which reads exports).
//!
//! - [`webhook`]: verifies `Stripe-Signature` headers and parses the event.

pub mod webhook;
