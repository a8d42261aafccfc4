//! Refresh tokens with rotation and reuse detection, shared by both backends.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments, Row};
use uuid::Uuid;
use vaultra_core::ports::storage::{RefreshToken, Rotation};
use vaultra_core::{Error, Result};

use super::conversations::no_nul;
use super::dialect::{Args, Bind, Conn, Db, Dialect, Get, RowOf, RowsAffected, SqlStore};
use super::{map_err, not_found};

const TOKEN_COLS: &str = "id, user_id, family_id, token_hash, created_at, \
                          expires_at, rotated_at, revoked_at";

/// A duplicate hash is a conflict; a missing user is the user's `NotFound`.
fn insert_err(user: Uuid) -> impl Fn(sqlx::Error) -> Error {
    move |e| match map_err("refresh token")(e) {
        e @ Error::NotFound { .. } => not_found("user", user).with_source(e),
        e @ Error::Conflict { .. } => {
            Error::conflict("a refresh token with this hash exists").with_source(e)
        }
        other => other,
    }
}

// The `where` clause lists what the statements below bind and read (see `dialect.rs`);
// each `pub(crate)` method implements the port's method of the same name.
impl<D: Dialect> SqlStore<'_, D>
where
    for<'c> &'c mut Conn<D>: Executor<'c, Database = Db<D>>,
    Args<D>: IntoArguments<Db<D>>,
    for<'a> &'a str: ColumnIndex<RowOf<D>> + Bind<'a, Db<D>>,
    for<'q> Uuid: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'r> String: Get<'r, Db<D>>,
{
    fn token_from(row: &RowOf<D>) -> Result<RefreshToken> {
        let get = map_err("refresh token");
        Ok(RefreshToken {
            id: row.try_get("id").map_err(&get)?,
            user_id: row.try_get("user_id").map_err(&get)?,
            family_id: row.try_get("family_id").map_err(&get)?,
            token_hash: row.try_get("token_hash").map_err(&get)?,
            created_at: D::from_ts(row.try_get("created_at").map_err(&get)?)?,
            expires_at: D::from_ts(row.try_get("expires_at").map_err(&get)?)?,
            rotated_at: D::opt_ts(row.try_get("rotated_at").map_err(&get)?)?,
            revoked_at: D::opt_ts(row.try_get("revoked_at").map_err(&get)?)?,
        })
    }

    pub(crate) async fn issue_refresh_token(
        &self,
        user: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<RefreshToken> {
        no_nul("token_hash", token_hash)?;
        let row = sqlx::query(sql!(
            "INSERT INTO refresh_tokens
                (id, user_id, family_id, token_hash, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING {TOKEN_COLS}"
        ))
        .bind(Uuid::new_v4())
        .bind(user)
        .bind(Uuid::new_v4())
        .bind(token_hash)
        .bind(D::ts(now))
        .bind(D::ts(expires_at))
        .fetch_one(self.pool)
        .await
        .map_err(insert_err(user))?;
        Self::token_from(&row)
    }

    pub(crate) async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        new_hash: &str,
        new_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
        grace: chrono::Duration,
    ) -> Result<Rotation> {
        no_nul("token_hash", new_hash)?;
        let mut tx = self.write_tx().await.map_err(map_err("refresh token"))?;
        // One conditional update decides: it locks the row (PostgreSQL) or the database
        // (SQLite), so of concurrent presentations exactly one finds the token still live.
        let live = sqlx::query(
            "UPDATE refresh_tokens SET rotated_at = $1
             WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL
               AND expires_at > $3
             RETURNING user_id, family_id",
        )
        .bind(D::ts(now))
        .bind(presented_hash)
        .bind(D::ts(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err("refresh token"))?;
        let get = map_err("refresh token");
        // Rotated within the grace window, not revoked, not expired: a sibling successor.
        let live = match live {
            Some(live) => Some(live),
            None if grace > chrono::Duration::zero() => sqlx::query(
                "SELECT user_id, family_id FROM refresh_tokens
                 WHERE token_hash = $1 AND rotated_at IS NOT NULL AND rotated_at > $2
                   AND revoked_at IS NULL AND expires_at > $3",
            )
            .bind(presented_hash)
            .bind(D::ts(now - grace))
            .bind(D::ts(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err("refresh token"))?,
            None => None,
        };
        if let Some(live) = live {
            let user: Uuid = live.try_get("user_id").map_err(&get)?;
            let family: Uuid = live.try_get("family_id").map_err(&get)?;
            let row = sqlx::query(sql!(
                "INSERT INTO refresh_tokens
                    (id, user_id, family_id, token_hash, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 RETURNING {TOKEN_COLS}"
            ))
            .bind(Uuid::new_v4())
            .bind(user)
            .bind(family)
            .bind(new_hash)
            .bind(D::ts(now))
            .bind(D::ts(new_expires_at))
            .fetch_one(&mut *tx)
            .await
            .map_err(insert_err(user))?;
            let successor = Self::token_from(&row)?;
            tx.commit().await.map_err(map_err("refresh token"))?;
            return Ok(Rotation::Rotated(successor));
        }
        let seen = sqlx::query(
            "SELECT user_id, family_id, rotated_at FROM refresh_tokens
             WHERE token_hash = $1",
        )
        .bind(presented_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err("refresh token"))?;
        let Some(seen) = seen else {
            return Ok(Rotation::Rejected);
        };
        if D::opt_ts(seen.try_get("rotated_at").map_err(&get)?)?.is_none() {
            // Revoked or expired, never rotated: refuse, change nothing.
            return Ok(Rotation::Rejected);
        }
        let user_id: Uuid = seen.try_get("user_id").map_err(&get)?;
        let family_id: Uuid = seen.try_get("family_id").map_err(&get)?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1
             WHERE family_id = $2 AND revoked_at IS NULL",
        )
        .bind(D::ts(now))
        .bind(family_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err("refresh token"))?;
        tx.commit().await.map_err(map_err("refresh token"))?;
        Ok(Rotation::Reused { user_id, family_id })
    }

    pub(crate) async fn find_refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshToken>> {
        sqlx::query(sql!(
            "SELECT {TOKEN_COLS} FROM refresh_tokens WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(self.pool)
        .await
        .map_err(map_err("refresh token"))?
        .as_ref()
        .map(Self::token_from)
        .transpose()
    }

    pub(crate) async fn revoke_refresh_family(
        &self,
        family: Uuid,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1
             WHERE family_id = $2 AND revoked_at IS NULL",
        )
        .bind(D::ts(now))
        .bind(family)
        .execute(self.pool)
        .await
        .map_err(map_err("refresh token"))?
        .rows_affected())
    }

    pub(crate) async fn revoke_user_refresh_tokens(
        &self,
        user: Uuid,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1
             WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(D::ts(now))
        .bind(user)
        .execute(self.pool)
        .await
        .map_err(map_err("refresh token"))?
        .rows_affected())
    }
}
