//! Credentials: password hashing and access-token signing.
//!
//! The core decides who may log in and what a token says; the adapters do the
//! cryptography (bcrypt, JWT). Both ports are behind traits so that the rules of
//! [`crate::services::auth`] are tested with any backend, and so that tests can use a low
//! bcrypt cost without a second code path.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Result;

/// The longest password bcrypt reads, in bytes. Longer passwords are refused, never
/// truncated: two passwords sharing their first 72 bytes must not both work.
pub const MAX_PASSWORD_BYTES: usize = 71;
/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Hashes and checks passwords.
///
/// Implementations must do the work off the async runtime (it is deliberately slow) and
/// bound how much of it runs at once, so that a burst of logins cannot starve other
/// requests. They must refuse, not truncate, a password longer than
/// [`MAX_PASSWORD_BYTES`].
#[async_trait]
pub trait PasswordHasher: Send + Sync + Debug + 'static {
    /// A new salted hash of `password`, in the implementation's self-describing format.
    async fn hash_password(&self, password: &str) -> Result<String>;

    /// Whether `password` matches `hash`. With `hash = None` (no such user, or a user
    /// without a password) it does the same work against a hash of its own and answers
    /// `false`, so that an unknown e-mail takes as long as a wrong password. A malformed
    /// stored hash is `Internal`.
    async fn verify_password(&self, password: &str, hash: Option<&str>) -> Result<bool>;
}

/// The claims of an access token (`sub` and `user_id` are both the user's id, as the
/// API fixes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user's id, as a string (JWT's subject).
    pub sub: String,
    /// The user's id.
    pub user_id: Uuid,
    /// The user's e-mail when the token was issued.
    pub email: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    /// Issuer; always [`ISSUER`] for tokens Vaultra accepts.
    pub iss: String,
}

/// The issuer of every access token.
pub const ISSUER: &str = "vaultra";

/// Signs and verifies access tokens.
///
/// `verify` must pin the algorithm (a token naming another one, or `none`, is refused),
/// check the signature, require `exp`, `iat`, `iss` and `sub`, and refuse a token whose
/// `iss` is not [`ISSUER`], whose `exp` is not after `now` or whose `iat` is in the
/// future beyond a small leeway. Every refusal is `Unauthenticated`; the message does not
/// say which check failed.
pub trait TokenSigner: Send + Sync + Debug + 'static {
    /// The signed token for `claims`.
    fn sign(&self, claims: &AccessClaims) -> Result<String>;
    /// The claims of `token` if it is valid at `now`.
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims>;
}
