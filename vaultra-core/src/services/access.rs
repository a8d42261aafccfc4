//! Who is asking, and whether they may: the membership check every service runs first.
//!
//! Every operation that names a business takes an [`Actor`] and calls [`authorize`]
//! before it reads or writes anything, so the rule lives in one place:
//!
//! - A user who is **not a member** of the business gets
//!   [`Error::NotFound`]` { entity: "business", .. }` — for reads *and* writes. Answering
//!   "forbidden" would confirm that a business with that id exists; "not found" tells a
//!   stranger nothing they did not already know.
//! - A **member whose role is too low** (a `member` asking to change the business) gets
//!   [`Error::PermissionDenied`]: they already know the business exists, and a precise
//!   answer ("ask an owner or admin") helps them.
//! - [`Actor::System`] is never checked (see its documentation).

use uuid::Uuid;

use crate::domain::Role;
use crate::error::{Error, Result};
use crate::ports::storage::BusinessStore;

/// Who performs an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// Vaultra itself: the background jobs and the local admin CLI.
    ///
    /// Bypasses membership checks, because these callers act for every business (a job
    /// fans out over the businesses the store lists; the CLI runs on the operator's own
    /// machine against their own database). A host that serves end users over a network
    /// must never construct it from a request: requests are always [`Actor::User`].
    ///
    /// The system actor trusts its caller to name an existing business: reads of an
    /// unknown business return empty results, writes fail with `NotFound` from the store.
    System,
    /// An authenticated user, subject to their membership and role.
    User(Uuid),
}

impl Actor {
    /// The user behind the actor, if it is one.
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::System => None,
            Self::User(id) => Some(*id),
        }
    }
}

/// What an operation needs from the actor's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Need {
    /// Any role: read the business's data, refresh what is derived from it (metrics,
    /// scores, recommendations), accept or dismiss recommendations.
    Member,
    /// `owner` or `admin`: change the business itself.
    Manager,
}

/// Checks that `actor` may do what `need` describes on `business`.
///
/// Returns the user's role (`None` for [`Actor::System`]). Errors: `NotFound` (entity
/// `business`) if the user is not a member — also when the business does not exist, so
/// the two cases look the same; `PermissionDenied` if the user is a member whose role is
/// below `need`.
pub async fn authorize(
    store: &dyn BusinessStore,
    actor: &Actor,
    business: Uuid,
    need: Need,
) -> Result<Option<Role>> {
    let user = match actor {
        Actor::System => return Ok(None),
        Actor::User(user) => *user,
    };
    let membership = store
        .membership(user, business)
        .await?
        .ok_or_else(|| business_not_found(business))?;
    match need {
        Need::Member => Ok(Some(membership.role)),
        Need::Manager if membership.role.can_manage() => Ok(Some(membership.role)),
        Need::Manager => Err(Error::permission_denied(format!(
            "changing a business needs the owner or admin role; you are a {}",
            membership.role
        ))),
    }
}

/// The error a non-member gets: the same as for a business that does not exist.
pub(crate) fn business_not_found(business: Uuid) -> Error {
    Error::not_found("business", business)
}
