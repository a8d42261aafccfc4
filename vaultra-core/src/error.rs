//! The one categorical error of Vaultra.
//!
//! Every crate keeps its own detailed error and converts into this one at the
//! edge, so that each host (CLI, HTTP, MCP, Python) maps categories once.

use std::fmt;

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a category a caller can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is malformed or violates a rule; retrying the same input fails again.
    #[error("{0}")]
    Invalid(InvalidInput),
    /// The named thing does not exist (or is not visible to the caller).
    #[error("{entity} not found: {id}")]
    NotFound {
        /// Kind of thing looked up, e.g. `business`.
        entity: &'static str,
        /// The identifier that was looked up.
        id: String,
    },
    /// The request conflicts with the current state (duplicate, forbidden transition).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller is known but not allowed to do this.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// A dependency could not be reached; `retryable` says whether trying again may help.
    #[error("unavailable: {message}")]
    Unavailable {
        /// What could not be reached and why.
        message: String,
        /// Whether the same call may succeed later.
        retryable: bool,
    },
    /// A bug or broken invariant; details belong in a log, not in front of a user.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Shorthand for an [`Error::Invalid`] about one field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid(InvalidInput {
            context: None,
            field: Some(field.into()),
            reason: reason.into(),
        })
    }

    /// Shorthand for an [`Error::Invalid`] that is not about one field.
    pub fn invalid_input(reason: impl Into<String>) -> Self {
        Self::Invalid(InvalidInput {
            context: None,
            field: None,
            reason: reason.into(),
        })
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

    /// Adds where the problem was found (a file, an object id) to an invalid-input error;
    /// other categories are returned unchanged.
    #[must_use]
    pub fn in_context(self, context: impl Into<String>) -> Self {
        match self {
            Self::Invalid(mut input) => {
                let context = context.into();
                input.context = Some(match input.context.take() {
                    Some(inner) => format!("{context}: {inner}"),
                    None => context,
                });
                Self::Invalid(input)
            }
            other => other,
        }
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
