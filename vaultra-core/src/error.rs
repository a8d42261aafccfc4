//! The one categorical error of Vaultra.
//!
//! Every crate keeps its own detailed error and converts into this one at the
//! edge, so that each host (CLI, HTTP, MCP, Python) maps categories once.
//!
//! The category is the variant, so a host matches it (`Error::NotFound { .. }`) and
//! [`Error::is_retryable`] answers the same however much was added on the way up. What
//! was added lives in each variant's [`Detail`]:
//!
//! - context: what was being done, outermost first in [`Display`](fmt::Display)
//!   (`ingest for business 7: reading business 7: business not found: 7`), added by
//!   [`Error::context`] or [`ResultExt::with_context`] at service and adapter
//!   boundaries;
//! - the cause: the underlying error (sqlx, reqwest, I/O, a
//!   [`SourceError`](crate::ports::SourceError)), reachable through
//!   [`std::error::Error::source`] for logs but never part of the message, so a
//!   database's raw text does not reach a user;
//! - what a provider said: how long it asked to wait ([`Error::retry_after`]) and its
//!   HTTP status ([`Error::status`]).
//!
//! The cause is held in an [`Arc`] so that the error stays [`Clone`]; equality is
//! therefore not derived (a cause cannot be compared) — compare categories with
//! `matches!`, messages with [`ToString`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An underlying error kept as a cause: shared, so that [`Error`] stays `Clone`.
pub type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, as a category a caller can act on.
///
/// Each variant is `#[non_exhaustive]`: build one with the constructors
/// ([`Error::not_found`], [`Error::conflict`], …) and match with `{ .. }`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The input is malformed or violates a rule; retrying the same input fails again.
    #[non_exhaustive]
    Invalid {
        /// Where, which field, and why.
        input: InvalidInput,
        /// Context and cause.
        detail: Detail,
    },
    /// The named thing does not exist (or is not visible to the caller).
    #[non_exhaustive]
    NotFound {
        /// Kind of thing looked up, e.g. `business`.
        entity: &'static str,
        /// The identifier that was looked up; `None` only where the failing call could
        /// not know it (the message then says "no such …").
        id: Option<String>,
        /// Context and cause.
        detail: Detail,
    },
    /// The request conflicts with the current state (duplicate, forbidden transition).
    #[non_exhaustive]
    Conflict {
        /// What conflicts, naming the entity or field, safe to show.
        message: String,
        /// Context and cause.
        detail: Detail,
    },
    /// The caller is known but not allowed to do this.
    #[non_exhaustive]
    PermissionDenied {
        /// What was refused, safe to show.
        message: String,
        /// Context and cause.
        detail: Detail,
    },
    /// The caller could not be identified: no credentials, or credentials that are
    /// wrong, expired or revoked. The message never says which (that would help a
    /// guesser).
    #[non_exhaustive]
    Unauthenticated {
        /// What was refused, safe to show.
        message: String,
        /// Context and cause.
        detail: Detail,
    },
    /// Too many attempts in too short a time; [`Error::retry_after`] says when to try
    /// again.
    #[non_exhaustive]
    RateLimited {
        /// What was limited, safe to show.
        message: String,
        /// Context, and the wait before the next attempt may succeed.
        detail: Detail,
    },
    /// A dependency could not be reached; `retryable` says whether trying again may help.
    #[non_exhaustive]
    Unavailable {
        /// What could not be reached and why.
        message: String,
        /// Whether the same call may succeed later.
        retryable: bool,
        /// Context, cause, and what the dependency asked (`Retry-After`, status).
        detail: Detail,
    },
    /// A bug or broken invariant; details belong in a log, not in front of a user.
    #[non_exhaustive]
    Internal {
        /// What failed, in words safe to show; the cause carries the details for logs.
        message: String,
        /// Context and cause.
        detail: Detail,
    },
}

/// Where an error happened and what caused it; empty (and allocation-free) until
/// something is added.
#[derive(Clone, Default)]
pub struct Detail(Option<Box<DetailInner>>);

#[derive(Clone, Default)]
struct DetailInner {
    /// Innermost first (the order they were added in).
    context: Vec<String>,
    source: Option<Cause>,
    retry_after: Option<Duration>,
    status: Option<u16>,
}

impl Detail {
    fn inner_mut(&mut self) -> &mut DetailInner {
        self.0.get_or_insert_with(Box::default)
    }

    /// The context, outermost first.
    pub fn context(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.0
            .iter()
            .flat_map(|d| d.context.iter().rev())
            .map(String::as_str)
    }

    /// The underlying error, if one was kept.
    pub fn source(&self) -> Option<&Cause> {
        self.0.as_ref().and_then(|d| d.source.as_ref())
    }

    /// How long the dependency asked to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.as_ref().and_then(|d| d.retry_after)
    }

    /// The HTTP status a dependency answered, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.0.as_ref().and_then(|d| d.status)
    }
}

impl fmt::Debug for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(d) = &self.0 else {
            return f.write_str("Detail");
        };
        let mut s = f.debug_struct("Detail");
        if !d.context.is_empty() {
            s.field("context", &self.context().collect::<Vec<_>>());
        }
        if let Some(source) = &d.source {
            s.field("source", source);
        }
        if let Some(wait) = d.retry_after {
            s.field("retry_after", &wait);
        }
        if let Some(status) = d.status {
            s.field("status", &status);
        }
        s.finish()
    }
}

impl Error {
    /// Shorthand for an [`Error::Invalid`] about one field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            input: InvalidInput {
                context: None,
                field: Some(field.into()),
                reason: reason.into(),
            },
            detail: Detail::default(),
        }
    }

    /// Shorthand for an [`Error::Invalid`] that is not about one field.
    pub fn invalid_input(reason: impl Into<String>) -> Self {
        Self::Invalid {
            input: InvalidInput {
                context: None,
                field: None,
                reason: reason.into(),
            },
            detail: Detail::default(),
        }
    }

    /// [`Error::NotFound`]: no `entity` with this `id`.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: Some(id.to_string()),
            detail: Detail::default(),
        }
    }

    /// [`Error::NotFound`] where the id is not known to the failing call ("no such
    /// `entity`"); prefer [`Error::not_found`] wherever the id is at hand.
    pub fn no_such(entity: &'static str) -> Self {
        Self::NotFound {
            entity,
            id: None,
            detail: Detail::default(),
        }
    }

    /// [`Error::Conflict`], with a message that names the entity or field.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            detail: Detail::default(),
        }
    }

    /// [`Error::PermissionDenied`].
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::PermissionDenied {
            message: message.into(),
            detail: Detail::default(),
        }
    }

    /// [`Error::Unauthenticated`].
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::Unauthenticated {
            message: message.into(),
            detail: Detail::default(),
        }
    }

    /// [`Error::RateLimited`], with the wait before the next attempt.
    pub fn rate_limited(message: impl Into<String>, retry_after: Duration) -> Self {
        Self::RateLimited {
            message: message.into(),
            detail: Detail::default(),
        }
        .with_retry_after(Some(retry_after))
    }

    /// [`Error::Unavailable`]; `retryable` says whether the same call may succeed later.
    pub fn unavailable(message: impl Into<String>, retryable: bool) -> Self {
        Self::Unavailable {
            message: message.into(),
            retryable,
            detail: Detail::default(),
        }
    }

    /// [`Error::Internal`]; `message` is shown to users, so keep details in
    /// [`Error::with_source`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal {
            message: message.into(),
            detail: Detail::default(),
        }
    }

    /// Whether retrying the same operation later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable {
                retryable: true,
                ..
            }
        )
    }

    /// Context and cause, whatever the category.
    pub fn detail(&self) -> &Detail {
        match self {
            Self::Invalid { detail, .. }
            | Self::NotFound { detail, .. }
            | Self::Conflict { detail, .. }
            | Self::PermissionDenied { detail, .. }
            | Self::Unauthenticated { detail, .. }
            | Self::RateLimited { detail, .. }
            | Self::Unavailable { detail, .. }
            | Self::Internal { detail, .. } => detail,
        }
    }

    fn detail_mut(&mut self) -> &mut DetailInner {
        match self {
            Self::Invalid { detail, .. }
            | Self::NotFound { detail, .. }
            | Self::Conflict { detail, .. }
            | Self::PermissionDenied { detail, .. }
            | Self::Unauthenticated { detail, .. }
            | Self::RateLimited { detail, .. }
            | Self::Unavailable { detail, .. }
            | Self::Internal { detail, .. } => detail.inner_mut(),
        }
    }

    /// Adds what was being done when the error happened (e.g. `reading business 7`),
    /// shown before the message; the category is unchanged.
    #[must_use]
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.detail_mut().context.push(context.into());
        self
    }

    /// Keeps `source` as the cause, reachable through [`std::error::Error::source`]
    /// (for logs) and never shown in the message. Replaces an earlier cause.
    #[must_use]
    pub fn with_source(self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.with_cause(Arc::new(source))
    }

    /// [`Error::with_source`] for a cause already shared.
    #[must_use]
    pub fn with_cause(mut self, cause: Cause) -> Self {
        self.detail_mut().source = Some(cause);
        self
    }

    /// Records how long the dependency asked to wait before a retry (`Retry-After`).
    #[must_use]
    pub fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        self.detail_mut().retry_after = wait;
        self
    }

    /// Records the HTTP status a dependency answered.
    #[must_use]
    pub fn with_status(mut self, status: Option<u16>) -> Self {
        self.detail_mut().status = status;
        self
    }

    /// The context, outermost first.
    pub fn contexts(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.detail().context()
    }

    /// How long the dependency asked to wait before a retry, if it said; a retry should
    /// not come sooner.
    pub fn retry_after(&self) -> Option<Duration> {
        self.detail().retry_after()
    }

    /// The HTTP status a dependency answered, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.detail().status()
    }

    /// The message followed by its causes, for logs and operators (not for remote
    /// users: a cause may carry a database's or a library's raw text).
    pub fn report(&self) -> Report<'_> {
        Report(self)
    }

    /// Adds where the problem was found (a file, an object id) to an invalid-input error;
    /// other categories are returned unchanged. This is a place in the input (Python
    /// sees it as `InvalidInput.context`), not an operation: see [`Error::context`].
    #[must_use]
    pub fn in_context(self, context: impl Into<String>) -> Self {
        match self {
            Self::Invalid { mut input, detail } => {
                let context = context.into();
                input.context = Some(match input.context.take() {
                    Some(inner) => format!("{context}: {inner}"),
                    None => context,
                });
                Self::Invalid { input, detail }
            }
            other => other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for context in self.contexts() {
            write!(f, "{context}: ")?;
        }
        match self {
            Self::Invalid { input, .. } => write!(f, "{input}"),
            Self::NotFound {
                entity,
                id: Some(id),
                ..
            } => write!(f, "{entity} not found: {id}"),
            Self::NotFound {
                entity, id: None, ..
            } => write!(f, "no such {entity}"),
            Self::Conflict { message, .. } => write!(f, "conflict: {message}"),
            Self::PermissionDenied { message, .. } => write!(f, "permission denied: {message}"),
            Self::Unauthenticated { message, .. } => write!(f, "unauthenticated: {message}"),
            Self::RateLimited { message, .. } => write!(f, "rate limited: {message}"),
            Self::Unavailable { message, .. } => write!(f, "unavailable: {message}"),
            Self::Internal { message, .. } => write!(f, "internal error: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.detail()
            .source()
            .map(|s| &**s as &(dyn std::error::Error + 'static))
    }
}

/// An [`Error`] shown with its causes: `message (cause: first: second)`, leaving out a
/// cause whose text the line already holds (a converted error often repeats its
/// source's message).
#[derive(Debug, Clone, Copy)]
pub struct Report<'a>(&'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        let mut causes = Vec::new();
        let mut next = std::error::Error::source(self.0);
        while let Some(cause) = next {
            let text = cause.to_string();
            if !text.is_empty() && !shown.contains(&text) {
                shown.push_str(&text);
                causes.push(text);
            }
            next = cause.source();
        }
        write!(f, "{}", self.0)?;
        if !causes.is_empty() {
            write!(f, " (cause: {})", causes.join(": "))?;
        }
        Ok(())
    }
}

/// Context on a `Result` on its way to an [`Error`] (anything that converts into one).
pub trait ResultExt<T> {
    /// Adds `context` to the error (see [`Error::context`]).
    fn context(self, context: impl Into<String>) -> Result<T>;

    /// Adds the context `f` makes, only if there is an error.
    fn with_context<C: Into<String>>(self, f: impl FnOnce() -> C) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| e.into().context(context))
    }

    fn with_context<C: Into<String>>(self, f: impl FnOnce() -> C) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}

/// Details of an invalid input: where, which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    /// Where the input came from, outermost first (e.g. `charges.json: charge ch_1`).
    pub context: Option<String>,
    /// The offending field, when there is one.
    pub field: Option<String>,
    /// Why it was rejected, in plain words.
    pub reason: String,
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(context) = &self.context {
            write!(f, "{context}: ")?;
        }
        match &self.field {
            Some(field) => write!(f, "field `{field}`: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn io() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused")
    }

    #[test]
    fn context_is_shown_outermost_first_and_keeps_the_category() {
        let e = Error::not_found("business", "1234")
            .context("reading business 1234")
            .context("ingest for business 1234");
        assert_eq!(
            e.to_string(),
            "ingest for business 1234: reading business 1234: business not found: 1234"
        );
        assert!(matches!(
            e,
            Error::NotFound {
                entity: "business",
                ..
            }
        ));
        assert_eq!(
            e.contexts().collect::<Vec<_>>(),
            ["ingest for business 1234", "reading business 1234"]
        );

        let busy = Error::unavailable("database is locked", true).context("saving a snapshot");
        assert!(busy.is_retryable());
        assert!(matches!(busy, Error::Unavailable { .. }));
        assert_eq!(
            busy.to_string(),
            "saving a snapshot: unavailable: database is locked"
        );
        assert!(
            !Error::unavailable("gone", false)
                .context("x")
                .is_retryable()
        );
    }

    #[test]
    fn every_category_displays_as_before_without_context() {
        let cases = [
            (
                Error::invalid("amount", "negative"),
                "field `amount`: negative",
            ),
            (Error::invalid_input("bad"), "bad"),
            (Error::not_found("user", 7), "user not found: 7"),
            (Error::no_such("user"), "no such user"),
            (Error::conflict("user exists"), "conflict: user exists"),
            (
                Error::permission_denied("viewer"),
                "permission denied: viewer",
            ),
            (Error::unavailable("down", true), "unavailable: down"),
            (Error::internal("oops"), "internal error: oops"),
        ];
        for (e, shown) in cases {
            assert_eq!(e.to_string(), shown);
            assert!(e.source().is_none());
            assert_eq!(e.contexts().count(), 0);
        }
    }

    #[test]
    fn the_cause_is_reachable_but_not_shown() {
        let e = Error::internal("unexpected database error on business")
            .with_source(io())
            .context("reading business 7");
        assert_eq!(
            e.to_string(),
            "reading business 7: internal error: unexpected database error on business"
        );
        let source = e.source().expect("a source");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("the io error");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
        // Clones share the cause.
        let copy = e.clone();
        assert!(copy.source().is_some());
        assert!(format!("{e:?}").contains("connection refused"));
    }

    #[test]
    fn a_report_adds_the_causes_not_already_shown() {
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl fmt::Display for Wrapper {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("unexpected database error")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Error::internal("unexpected database error on business")
            .with_source(Wrapper(io()))
            .context("reading business 7");
        assert_eq!(
            e.report().to_string(),
            "reading business 7: internal error: unexpected database error on business \
             (cause: connection refused)"
        );
        assert_eq!(
            Error::conflict("x").report().to_string(),
            Error::conflict("x").to_string()
        );
    }

    #[test]
    fn invalid_input_context_and_operation_context_compose() {
        let e = Error::invalid("amount", "negative")
            .in_context("charge ch_1")
            .in_context("charges.json")
            .context("importing an export");
        assert_eq!(
            e.to_string(),
            "importing an export: charges.json: charge ch_1: field `amount`: negative"
        );
        match &e {
            Error::Invalid { input, .. } => {
                assert_eq!(input.context.as_deref(), Some("charges.json: charge ch_1"));
                assert_eq!(input.field.as_deref(), Some("amount"));
            }
            other => panic!("{other:?}"),
        }
        // in_context leaves other categories alone.
        let e = Error::conflict("x").in_context("file");
        assert_eq!(e.to_string(), "conflict: x");
    }

    #[test]
    fn retry_after_and_status_survive_context() {
        let e = Error::unavailable("Stripe answered 429", true)
            .with_retry_after(Some(Duration::from_secs(30)))
            .with_status(Some(429))
            .context("sync of acct_1");
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        assert_eq!(e.status(), Some(429));
        assert_eq!(Error::unavailable("x", true).retry_after(), None);
    }

    #[test]
    fn result_context_is_lazy_and_converts() {
        let ok: std::result::Result<u8, Error> = Ok(1);
        let value = ok
            .with_context(|| -> String { panic!("context built for a success") })
            .expect("ok");
        assert_eq!(value, 1);
        let failed: std::result::Result<u8, Error> = Err(Error::no_such("user"));
        let e = failed.context("signing in").expect_err("an error");
        assert_eq!(e.to_string(), "signing in: no such user");
    }

    #[test]
    fn an_empty_detail_costs_one_pointer() {
        assert_eq!(std::mem::size_of::<Detail>(), std::mem::size_of::<usize>());
    }
}
