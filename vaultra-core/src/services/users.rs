//! The Users service: profiles, businesses and who may change them.
//!
//! Validation happens here, before the store is asked, so every host rejects the same
//! input with the same field and reason. The creator of a business becomes its `owner`
//! atomically with the business ([`BusinessStore::create_business`]), so a business never
//! exists without an owner.
//!
//! [`BusinessStore::create_business`]: crate::ports::storage::BusinessStore::create_business

use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use super::access::{Actor, Need, authorize};
use crate::domain::{Business, BusinessUpdate, NewBusiness, Role, User, UserUpdate};
use crate::error::{Error, Result};
use crate::ports::storage::{BusinessStore, Store, UserStore};

/// Longest accepted display name, in characters (as for new users).
const MAX_NAME_CHARS: usize = 200;
/// Longest accepted avatar URL, in bytes.
const MAX_URL_LEN: usize = 2_048;

/// A business as one of its members sees it: the business and the member's role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberBusiness {
    /// The business.
    #[serde(flatten)]
    pub business: Business,
    /// The user's role in it.
    pub role: Role,
}

/// A user with the businesses they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserProfile {
    /// The user.
    pub user: User,
    /// Their businesses with their role, oldest first.
    pub businesses: Vec<MemberBusiness>,
}

/// The storage the Users service works on.
#[derive(Debug, Clone)]
pub struct UsersPorts {
    /// Profiles.
    pub users: Arc<dyn UserStore>,
    /// Businesses, memberships and the membership check.
    pub businesses: Arc<dyn BusinessStore>,
}

impl From<Arc<dyn Store>> for UsersPorts {
    fn from(store: Arc<dyn Store>) -> Self {
        Self {
            users: store.clone(),
            businesses: store,
        }
    }
}

/// Profiles, businesses and memberships.
#[derive(Debug, Clone)]
pub struct UsersService {
    users: Arc<dyn UserStore>,
    businesses: Arc<dyn BusinessStore>,
}

impl UsersService {
    /// A service over these ports.
    pub fn new(ports: UsersPorts) -> Self {
        let UsersPorts { users, businesses } = ports;
        Self { users, businesses }
    }

    /// The user with their businesses and roles; `NotFound` if the user does not exist.
    pub async fn get_user_profile(&self, user: Uuid) -> Result<UserProfile> {
        let found = self.users.get_user(user).await?;
        let businesses = self.get_user_businesses(user).await?;
        Ok(UserProfile {
            user: found,
            businesses,
        })
    }

    /// Changes the user's name and picture.
    ///
    /// The name is trimmed and must stay non-empty (at most 200 characters); a picture URL
    /// is trimmed and must be an `http(s)` URL without spaces (`Some(None)` clears it).
    /// `NotFound` if the user does not exist.
    pub async fn update_user_profile(&self, user: Uuid, update: UserUpdate) -> Result<User> {
        let update = validate_user_update(update)?;
        self.users.update_user(user, update).await
    }

    /// Creates a business owned by `user`.
    ///
    /// The name is trimmed and required, the industry comes from the fixed
    /// [`Industry`](crate::domain::Industry) list (hosts parse it with
    /// [`Industry::parse`](crate::domain::Industry::parse)), a revenue estimate must not be
    /// negative. The user becomes the `owner` in the same transaction. `NotFound` if the
    /// user does not exist.
    pub async fn create_business(&self, user: Uuid, new: NewBusiness) -> Result<Business> {
        let new = new.validated()?;
        self.businesses.create_business(user, new).await
    }

    /// Changes a business; the actor must be its owner or an admin.
    ///
    /// A non-member gets `NotFound` (as if the business did not exist), a `member`
    /// `PermissionDenied`; the update is validated like [`Self::create_business`].
    pub async fn update_business(
        &self,
        actor: &Actor,
        business: Uuid,
        update: BusinessUpdate,
    ) -> Result<Business> {
        authorize(&*self.businesses, actor, business, Need::Manager).await?;
        let update = update.validated()?;
        self.businesses.update_business(business, update).await
    }

    /// The businesses `user` belongs to, with their role, oldest first.
    pub async fn get_user_businesses(&self, user: Uuid) -> Result<Vec<MemberBusiness>> {
        Ok(self
            .businesses
            .businesses_of(user)
            .await?
            .into_iter()
            .map(|(business, role)| MemberBusiness { business, role })
            .collect())
    }
}

fn validate_user_update(mut update: UserUpdate) -> Result<UserUpdate> {
    if let Some(name) = &update.name {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(Error::invalid("name", "must be at most 200 characters"));
        }
        update.name = Some(name.to_owned());
    }
    if let Some(Some(url)) = &update.avatar_url {
        update.avatar_url = Some(Some(validate_url(url)?));
    }
    Ok(update)
}

/// A picture URL is shown in browsers, so only plain web URLs are accepted (no
/// `javascript:` or `data:` schemes, no spaces that would break markup).
fn validate_url(url: &str) -> Result<String> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Error::invalid(
            "avatar_url",
            "must not be empty (send null to remove the picture)",
        ));
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    if rest.is_none_or(str::is_empty) {
        return Err(Error::invalid(
            "avatar_url",
            "must be an http:// or https:// URL",
        ));
    }
    if url.chars().any(char::is_whitespace) {
        return Err(Error::invalid("avatar_url", "must not contain spaces"));
    }
    if url.len() > MAX_URL_LEN {
        return Err(Error::invalid(
            "avatar_url",
            "must be at most 2048 characters",
        ));
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_updates_are_trimmed_and_checked() {
        let update = validate_user_update(UserUpdate {
            name: Some("  Ann  ".into()),
            avatar_url: Some(Some(" https://img.example/a.png ".into())),
        })
        .unwrap();
        assert_eq!(update.name.as_deref(), Some("Ann"));
        assert_eq!(
            update.avatar_url,
            Some(Some("https://img.example/a.png".into()))
        );
        for bad in [
            "",
            "   ",
            "javascript:alert(1)",
            "https://",
            "https://a b",
            "ftp://x",
        ] {
            let err = validate_user_update(UserUpdate {
                name: None,
                avatar_url: Some(Some(bad.into())),
            })
            .unwrap_err();
            assert!(matches!(err, Error::Invalid { .. }), "{bad}: {err}");
        }
        assert!(
            validate_user_update(UserUpdate {
                name: Some(" ".into()),
                avatar_url: None
            })
            .is_err()
        );
        // Clearing the picture is always allowed.
        assert!(
            validate_user_update(UserUpdate {
                name: None,
                avatar_url: Some(None)
            })
            .is_ok()
        );
    }
}
