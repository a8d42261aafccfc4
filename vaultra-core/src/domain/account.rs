//! Users, businesses, memberships and connected accounts.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Currency;
use crate::error::Error;

/// A person who signs in.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Our id.
    pub id: Uuid,
    /// Lowercased, trimmed e-mail address; unique.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Picture URL.
    pub avatar_url: Option<String>,
    /// bcrypt hash, when the user has a password (never serialized or printed).
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("avatar_url", &self.avatar_url)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// What is needed to create a user.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    /// E-mail address (normalized on validation).
    pub email: String,
    /// Display name.
    pub name: String,
    /// bcrypt hash, if the user signs in with a password.
    pub password_hash: Option<String>,
    /// Picture URL.
    pub avatar_url: Option<String>,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl NewUser {
    /// Checks and normalizes: e-mail trimmed, lowercased and plausible; name non-empty.
    pub fn validated(mut self) -> Result<Self, Error> {
        self.email = normalize_email(&self.email)?;
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        if self.name.chars().count() > 200 {
            return Err(Error::invalid("name", "must be at most 200 characters"));
        }
        Ok(self)
    }
}

/// Lowercases and checks an e-mail address (one `@`, non-empty parts, a dot in the domain,
/// no spaces).
pub fn normalize_email(email: &str) -> Result<String, Error> {
    let email = email.trim().to_lowercase();
    let bad = || Error::invalid("email", "Invalid email format");
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains('@')
        || email.chars().any(char::is_whitespace)
        || email.len() > 254
    {
        return Err(bad());
    }
    Ok(email)
}

/// Changes to a user's profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserUpdate {
    /// New display name.
    pub name: Option<String>,
    /// New picture URL (`Some(None)` clears it).
    #[serde(default, deserialize_with = "double_option")]
    pub avatar_url: Option<Option<String>>,
}

fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// What a member may do in a business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Created the business; may do everything.
    Owner,
    /// May change the business and its connections.
    Admin,
    /// May read and act on recommendations.
    Member,
}

impl Role {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            other => Err(Error::invalid(
                "role",
                format!("unknown role `{other}` (expected owner, admin or member)"),
            )),
        }
    }

    /// Whether this role may change the business (owner or admin).
    pub fn can_manage(&self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! industries {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// The industry of a business, from a fixed list.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Industry {
            $(
                #[doc = $name]
                $variant,
            )*
        }

        impl Industry {
            /// Every industry.
            pub const ALL: &'static [Industry] = &[$(Industry::$variant),*];

            /// The snake_case name.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Industry::$variant => $name,)*
                }
            }
        }
    };
}

industries! {
    Retail => "retail",
    Ecommerce => "ecommerce",
    FoodAndBeverage => "food_and_beverage",
    Hospitality => "hospitality",
    ProfessionalServices => "professional_services",
    HealthAndWellness => "health_and_wellness",
    Software => "software",
    Media => "media",
    Education => "education",
    Construction => "construction",
    Manufacturing => "manufacturing",
    Transportation => "transportation",
    Nonprofit => "nonprofit",
    Other => "other",
}

impl Industry {
    /// Parses the snake_case name; the error lists every accepted value.
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::ALL
            .iter()
            .copied()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "industry",
                    format!(
                        "unknown industry `{s}` (expected one of {})",
                        Self::ALL
                            .iter()
                            .map(Industry::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }
}

impl fmt::Display for Industry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A business whose funding readiness Vaultra measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Business {
    /// Our id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Industry, if given.
    pub industry: Option<Industry>,
    /// The owner's estimate of yearly revenue, in minor units of `currency`.
    pub revenue_estimate: Option<i64>,
    /// The business's home currency.
    pub currency: Option<Currency>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What is needed to create a business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBusiness {
    /// Display name (required).
    pub name: String,
    /// Industry.
    pub industry: Option<Industry>,
    /// Yearly revenue estimate in minor units.
    pub revenue_estimate: Option<i64>,
    /// Home currency.
    pub currency: Option<Currency>,
}

impl NewBusiness {
    /// A business with just a name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            industry: None,
            revenue_estimate: None,
            currency: None,
        }
    }

    /// Checks and normalizes: the name is trimmed and required; the estimate is ≥ 0.
    pub fn validated(mut self) -> Result<Self, Error> {
        self.name = validate_business_name(&self.name)?;
        if self.revenue_estimate.is_some_and(|r| r < 0) {
            return Err(Error::invalid("revenue_estimate", "must not be negative"));
        }
        Ok(self)
    }
}

fn validate_business_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "a business needs a name"));
    }
    if name.chars().count() > 200 {
        return Err(Error::invalid("name", "must be at most 200 characters"));
    }
    Ok(name.to_owned())
}

/// Changes to a business; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessUpdate {
    /// New name.
    pub name: Option<String>,
    /// New industry.
    pub industry: Option<Option<Industry>>,
    /// New revenue estimate.
    pub revenue_estimate: Option<Option<i64>>,
    /// New currency.
    pub currency: Option<Option<Currency>>,
}

impl BusinessUpdate {
    /// Checks and normalizes like [`NewBusiness::validated`].
    pub fn validated(mut self) -> Result<Self, Error> {
        if let Some(name) = &self.name {
            self.name = Some(validate_business_name(name)?);
        }
        if let Some(Some(r)) = self.revenue_estimate
            && r < 0
        {
            return Err(Error::invalid("revenue_estimate", "must not be negative"));
        }
        Ok(self)
    }

    /// Applies the update to `business` (the store sets `updated_at`).
    pub fn apply_to(&self, business: &mut Business) {
        if let Some(name) = &self.name {
            business.name.clone_from(name);
        }
        if let Some(i) = self.industry {
            business.industry = i;
        }
        if let Some(r) = self.revenue_estimate {
            business.revenue_estimate = r;
        }
        if let Some(c) = self.currency {
            business.currency = c;
        }
    }
}

/// A user's role in a business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The user.
    pub user_id: Uuid,
    /// The business.
    pub business_id: Uuid,
    /// The role.
    pub role: Role,
    /// When the membership began.
    pub created_at: DateTime<Utc>,
}

/// An external system a business is connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Stripe (Connect, Standard accounts).
    Stripe,
}

impl Provider {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "stripe" => Ok(Self::Stripe),
            other => Err(Error::invalid(
                "provider",
                format!("unknown provider `{other}`"),
            )),
        }
    }
}

/// Whether a connected account may be synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Linked and usable.
    Connected,
    /// The business revoked access (or it was unlinked).
    Disconnected,
}

impl ConnectionStatus {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "connected" => Ok(Self::Connected),
            "disconnected" => Ok(Self::Disconnected),
            other => Err(Error::invalid(
                "status",
                format!("unknown connection status `{other}`"),
            )),
        }
    }
}

/// A business's account at a provider (`integration_accounts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationAccount {
    /// Our id.
    pub id: Uuid,
    /// The business it belongs to.
    pub business_id: Uuid,
    /// The provider.
    pub provider: Provider,
    /// The provider's id for the account (Stripe: `acct_…`); unique per provider.
    pub external_id: String,
    /// Connected or not.
    pub status: ConnectionStatus,
    /// When it was linked.
    pub connected_at: DateTime<Utc>,
    /// When a sync last completed successfully.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// The last sync error, cleared by a successful sync.
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "@x.com",
            "ann@",
            "ann@x",
            "a nn@x.com",
            "ann@.com",
            "a@b@c.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn business_needs_a_name() {
        assert!(NewBusiness::named("  ").validated().is_err());
        assert_eq!(
            NewBusiness::named(" Acme ").validated().unwrap().name,
            "Acme"
        );
    }

    #[test]
    fn industries_parse() {
        assert_eq!(
            Industry::parse("food_and_beverage").unwrap(),
            Industry::FoodAndBeverage
        );
        let err = Industry::parse("crypto").unwrap_err().to_string();
        assert!(err.contains("retail"), "{err}");
    }
}
