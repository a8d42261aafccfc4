//! One way to open a store from a URL, for every host.
//!
//! `sqlite:…` opens (creating if missing) the embedded SQLite store, `postgres://…` or
//! `postgresql://…` the PostgreSQL store; both are migrated to the current schema. A URL
//! is only ever shown through [`redact`], so a password never reaches a message or a log.

use std::fmt;
use std::sync::Arc;

use vaultra_core::Error;
use vaultra_core::ports::Store;

#[cfg(feature = "postgres")]
use crate::postgres::PostgresStore;
#[cfg(feature = "sqlite")]
use crate::sqlite::SqliteStore;

/// Which backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:…`
    Sqlite,
    /// `postgres://…` or `postgresql://…`
    Postgres,
}

impl Backend {
    /// The backend `url` names; `Invalid` (field `database_url`) for any other scheme.
    pub fn of(url: &str) -> Result<Self, Error> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(Error::invalid(
                "database_url",
                format!("`{}` must start with sqlite: or postgres://", redact(url)),
            ))
        }
    }
}

/// An opened, migrated store, with the concrete backend kept for what needs it (the job
/// engine keeps its queue in the same database).
#[derive(Clone)]
pub enum OpenedStore {
    /// The embedded SQLite store.
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
    /// The PostgreSQL store.
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
}

impl fmt::Debug for OpenedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => f.write_str("OpenedStore::Sqlite"),
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => f.write_str("OpenedStore::Postgres"),
        }
    }
}

impl OpenedStore {
    /// The store behind the ports, for the façade and the services.
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(s) => Arc::new(s.clone()),
            #[cfg(feature = "postgres")]
            Self::Postgres(s) => Arc::new(s.clone()),
        }
    }

    /// The job engine's backend in the same database.
    #[cfg(feature = "jobs")]
    pub fn job_backend(&self) -> crate::jobs::JobBackend {
        match self {
            Self::Sqlite(s) => crate::jobs::JobBackend::Sqlite(s.pool().clone()),
            Self::Postgres(s) => crate::jobs::JobBackend::Postgres(s.pool().clone()),
        }
    }
}

/// Opens and migrates the store `url` names.
pub async fn open(url: &str) -> Result<OpenedStore, Error> {
    match Backend::of(url)? {
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => Ok(OpenedStore::Sqlite(SqliteStore::connect(url).await?)),
        #[cfg(feature = "postgres")]
        Backend::Postgres => Ok(OpenedStore::Postgres(PostgresStore::connect(url).await?)),
        #[allow(unreachable_patterns)]
        other => Err(Error::invalid(
            "database_url",
            format!("this build has no {other:?} backend (a cargo feature of vaultra-adapters)"),
        )),
    }
}

/// [`open`], returning only the store behind the ports.
pub async fn open_store(url: &str) -> Result<Arc<dyn Store>, Error> {
    Ok(open(url).await?.store())
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
            } else {
                url.to_owned()
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/vaultra"),
            "postgres://app:***@db:5432/vaultra"
        );
        assert_eq!(
            redact("postgres://app@db/vaultra"),
            "postgres://app@db/vaultra"
        );
        assert_eq!(redact("sqlite://vaultra.db"), "sqlite://vaultra.db");
        // A password with an @ in it is still hidden whole.
        assert_eq!(
            redact("postgres://app:p@ss@db/x"),
            "postgres://app:***@db/x"
        );
    }

    #[test]
    fn other_schemes_are_invalid_and_redacted() {
        let e = Backend::of("mysql://root:pw@h/db").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("database_url") && text.contains("root:***@h/db"),
            "{text}"
        );
        assert!(!text.contains("pw"), "{text}");
    }
}
