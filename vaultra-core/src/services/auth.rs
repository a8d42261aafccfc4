//! Authentication: sign-up, log-in, access tokens and rotating refresh tokens.
//!
//! The rules live here; the cryptography behind [`PasswordHasher`] and [`TokenSigner`]
//! lives in the adapters (bcrypt, JWT).
//!
//! - An access token is short to check and cannot be revoked: it lives
//!   [`AuthConfig::access_ttl`] (7 days, as API.md fixes) and names the user, whose
//!   existence is checked on every request, so a deleted user's tokens stop working.
//! - A refresh token is 256 random bits (64 hex digits), shown to the client once and stored only as a
//!   SHA-256 hash. Every use rotates it; presenting a rotated one again revokes its whole
//!   family (a stolen token is detected when either party uses it after the other) —
//!   except within [`AuthConfig::refresh_grace`] of its rotation, when the second
//!   presentation gets a successor of its own. That window (10 seconds by default) is the
//!   price of not logging a user out when two tabs refresh at once or a response is lost
//!   on the way; a thief who replays the token inside it is caught at their next refresh
//!   only if the owner refreshes after them, so keep it short.
//! - Log-in failures say nothing about which part was wrong, and an unknown e-mail costs
//!   the same bcrypt work as a wrong password (the hasher's `verify_password(_, None)`).

use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::{NewUser, User};
use crate::error::{Error, Result};
use crate::ports::Clock;
use crate::ports::auth::{
    AccessClaims, ISSUER, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, PasswordHasher, TokenSigner,
};
use crate::ports::storage::{RefreshTokenStore, Rotation, UserStore};
use crate::services::stripe_connect::{Entropy, hex, state_hash};

/// How long tokens live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthConfig {
    /// Lifetime of an access token (API.md: 7 days).
    pub access_ttl: Duration,
    /// Lifetime of a refresh token (API.md: 30 days), renewed by every rotation.
    pub refresh_ttl: Duration,
    /// How long after a rotation the rotated token still yields a successor instead of
    /// counting as a reuse (see the module documentation).
    pub refresh_grace: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            access_ttl: Duration::days(7),
            refresh_ttl: Duration::days(30),
            refresh_grace: Duration::seconds(10),
        }
    }
}

/// What a successful sign-up, log-in or refresh returns (API.md's token response).
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    /// The signed-in user.
    pub user: User,
    /// The bearer token for every other request.
    pub access_token: String,
    /// The opaque token that gets the next session; shown once.
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
}

/// The ports the auth service needs.
#[derive(Debug, Clone)]
pub struct AuthPorts {
    /// Users and their password hashes.
    pub users: Arc<dyn UserStore>,
    /// Refresh tokens (hashes, families, rotation).
    pub tokens: Arc<dyn RefreshTokenStore>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Access-token signing.
    pub signer: Arc<dyn TokenSigner>,
    /// Random bytes for refresh tokens.
    pub entropy: Arc<dyn Entropy>,
    /// "Now", for expiry.
    pub clock: Arc<dyn Clock>,
}

/// Sign-up, log-in, refresh, log-out and bearer-token checks (the seed's Auth service).
#[derive(Debug, Clone)]
pub struct AuthService {
    ports: AuthPorts,
    config: AuthConfig,
}

/// The one message of every failed log-in, so a guesser learns nothing.
const BAD_CREDENTIALS: &str = "invalid email or password";
/// The one message of every refused refresh token.
const BAD_REFRESH: &str = "invalid or expired refresh token";
/// The longest token or secret string looked at: anything longer is refused before any
/// work (a multi-megabyte "token" costs nothing to reject).
const MAX_TOKEN_LEN: usize = 4096;

impl AuthService {
    /// A service over `ports` with token lifetimes from `config`.
    pub fn new(ports: AuthPorts, config: AuthConfig) -> Self {
        Self { ports, config }
    }

    /// The lifetimes in force.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Creates a user with a password and signs them in.
    ///
    /// `Invalid` for a malformed e-mail, an empty name, or a password shorter than
    /// [`MIN_PASSWORD_CHARS`] characters or longer than [`MAX_PASSWORD_BYTES`] bytes;
    /// `Conflict` if the e-mail is taken (the store's unique index decides, so two
    /// concurrent sign-ups cannot both succeed).
    pub async fn signup(&self, email: &str, password: &str, name: &str) -> Result<Session> {
        let new = NewUser {
            email: email.to_owned(),
            name: name.to_owned(),
            password_hash: None,
            avatar_url: None,
        }
        .validated()?;
        check_password(password)?;
        let hash = self.ports.hasher.hash_password(password).await?;
        let user = self
            .ports
            .users
            .create_user(NewUser {
                password_hash: Some(hash),
                ..new
            })
            .await?;
        self.session_for(&user).await
    }

    /// Signs in with an e-mail and password. `Unauthenticated` with the same message
    /// whether the e-mail is unknown, the user has no password (signed up with Google) or
    /// the password is wrong; the bcrypt work is the same in every case.
    pub async fn login(&self, email: &str, password: &str) -> Result<Session> {
        if password.len() > MAX_PASSWORD_BYTES || email.len() > MAX_TOKEN_LEN {
            // No stored password can be this long; refuse without work. The length is
            // not a secret.
            return Err(Error::unauthenticated(BAD_CREDENTIALS));
        }
        let user = match crate::domain::normalize_email(email) {
            Ok(email) => self.ports.users.find_user_by_email(&email).await?,
            Err(_) => None,
        };
        let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
        let matches = self.ports.hasher.verify_password(password, hash).await?;
        match user {
            Some(user) if matches && hash.is_some() => self.session_for(&user).await,
            _ => Err(Error::unauthenticated(BAD_CREDENTIALS)),
        }
    }

    /// Exchanges a refresh token for a new session, rotating it.
    ///
    /// `Unauthenticated` if the token is unknown, expired, revoked, or was already
    /// rotated (then its whole family is revoked as well: someone holds a copy) — unless
    /// within the grace window, see the module documentation.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Session> {
        if refresh_token.is_empty() || refresh_token.len() > MAX_TOKEN_LEN {
            return Err(Error::unauthenticated(BAD_REFRESH));
        }
        let now = self.ports.clock.now();
        let next = self.new_refresh_token()?;
        let rotation = self
            .ports
            .tokens
            .rotate_refresh_token(
                &state_hash(refresh_token),
                &state_hash(&next),
                now + self.config.refresh_ttl,
                now,
                self.config.refresh_grace,
            )
            .await?;
        match rotation {
            Rotation::Rotated(successor) => {
                let user = match self.ports.users.get_user(successor.user_id).await {
                    Ok(user) => user,
                    Err(Error::NotFound { .. }) => {
                        return Err(Error::unauthenticated(BAD_REFRESH));
                    }
                    Err(e) => return Err(e),
                };
                self.session_with(&user, next, now)
            }
            Rotation::Reused { .. } | Rotation::Rejected => {
                Err(Error::unauthenticated(BAD_REFRESH))
            }
        }
    }

    /// Ends the session a refresh token belongs to: its family is revoked, so neither it
    /// nor any successor works again. Idempotent, and silent about unknown tokens (a
    /// log-out must not tell a guesser which tokens exist).
    pub async fn logout(&self, refresh_token: &str) -> Result<()> {
        if refresh_token.is_empty() || refresh_token.len() > MAX_TOKEN_LEN {
            return Ok(());
        }
        let found = self
            .ports
            .tokens
            .find_refresh_token(&state_hash(refresh_token))
            .await?;
        if let Some(token) = found {
            self.ports
                .tokens
                .revoke_refresh_family(token.family_id, self.ports.clock.now())
                .await?;
        }
        Ok(())
    }

    /// The user an access token names (the seed's `get_current_user`).
    /// `Unauthenticated` if the token is malformed, forged, expired, or names a user who
    /// no longer exists.
    pub async fn authenticate(&self, access_token: &str) -> Result<User> {
        if access_token.is_empty() || access_token.len() > MAX_TOKEN_LEN {
            return Err(Error::unauthenticated("invalid or expired token"));
        }
        let claims = self
            .ports
            .signer
            .verify(access_token, self.ports.clock.now())?;
        if claims.iss != ISSUER || claims.sub != claims.user_id.to_string() {
            return Err(Error::unauthenticated("invalid or expired token"));
        }
        match self.ports.users.get_user(claims.user_id).await {
            Ok(user) => Ok(user),
            Err(Error::NotFound { .. }) => Err(Error::unauthenticated("invalid or expired token")),
            Err(e) => Err(e),
        }
    }

    /// A new session for `user`, who proved who they are some other way (an external
    /// identity provider): a new refresh-token family and an access token.
    pub async fn session_for(&self, user: &User) -> Result<Session> {
        let now = self.ports.clock.now();
        let refresh = self.new_refresh_token()?;
        self.ports
            .tokens
            .issue_refresh_token(
                user.id,
                &state_hash(&refresh),
                now + self.config.refresh_ttl,
                now,
            )
            .await?;
        self.session_with(user, refresh, now)
    }

    fn session_with(&self, user: &User, refresh: String, now: DateTime<Utc>) -> Result<Session> {
        let claims = AccessClaims {
            sub: user.id.to_string(),
            user_id: user.id,
            email: user.email.clone(),
            iat: now.timestamp(),
            exp: (now + self.config.access_ttl).timestamp(),
            iss: ISSUER.to_owned(),
        };
        let access_token = self.ports.signer.sign(&claims)?;
        Ok(Session {
            user: user.clone(),
            access_token,
            refresh_token: refresh,
            token_type: "bearer",
            expires_in: self.config.access_ttl.num_seconds(),
        })
    }

    fn new_refresh_token(&self) -> Result<String> {
        let mut bytes = [0u8; 32];
        self.ports.entropy.fill(&mut bytes)?;
        Ok(hex(&bytes))
    }
}

/// API.md's password rule: at least [`MIN_PASSWORD_CHARS`] characters and at most
/// [`MAX_PASSWORD_BYTES`] bytes (bcrypt reads no further; longer is refused, never
/// truncated).
pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(
            "password",
            format!("must be at most {MAX_PASSWORD_BYTES} bytes (bcrypt reads no further)"),
        ));
    }
    Ok(())
}
