//! The storage implementation shared by the SQLite and PostgreSQL backends.
//!
//! Both backends run the same statements: placeholders are `$N` (SQLite accepts them),
//! JSON columns are written through a per-backend cast suffix ([`Dialect::J`], and
//! [`Dialect::RAW`] for the raw provider objects) and read back with `CAST(.. AS TEXT)`,
//! and times go through the backend's [`Dialect::ts`]/[`Dialect::from_ts`] conversions.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments, QueryBuilder, Row, Transaction};
use uuid::Uuid;
use vaultra_core::domain::{
    Business, BusinessUpdate, ChargeStatus, ConnectionStatus, IntegrationAccount, Membership,
    NewBusiness, NewUser, PaymentData, PayoutStatus, Provider, Role, User, UserUpdate,
    is_successful,
};
use vaultra_core::metrics::{SECONDS_PER_DAY, Window};
use vaultra_core::ports::storage::*;
use vaultra_core::recommend::{Priority, Recommendation, RecommendationStatus};
use vaultra_core::{Error, Result};

use super::dialect::{Args, Bind, Conn, Db, Dialect, Get, RowOf, RowsAffected, SqlStore};
use crate::sql::{self, BULK_ROWS, map_err, not_found};

const USER_COLS: &str = "id, email, name, avatar_url, password_hash, created_at, updated_at";
const BUSINESS_COLS: &str =
    "id, name, industry, revenue_estimate, currency, created_at, updated_at";
const ACCOUNT_COLS: &str =
    "id, business_id, provider, external_id, status, connected_at, last_synced_at, last_error";
const SNAPSHOT_COLS: &str = "id, business_id, computed_at, window_end, window_days, currency, daily_revenue, \
     transaction_count, refunded_total, chargeback_count, payouts_due, payouts_on_time, \
     data_synced_at, history_days";
const SNAPSHOT_SELECT: &str = "id, business_id, computed_at, window_end, window_days, currency, \
     CAST(daily_revenue AS TEXT) AS daily_revenue, transaction_count, refunded_total, \
     chargeback_count, payouts_due, payouts_on_time, data_synced_at, history_days";
const SCORE_COLS: &str = "id, business_id, snapshot_id, computed_at, score, tier, tier_label, policy, max_attainable, factors";
const SCORE_SELECT: &str = "id, business_id, snapshot_id, computed_at, score, tier, tier_label, policy, \
     max_attainable, CAST(factors AS TEXT) AS factors";
const REC_COLS: &str = "id, business_id, code, priority, score_impact, title, description, factor, status, \
     created_at, updated_at, status_changed_at";
/// §5 order: priority (high first), impact descending, code; then newest first.
const REC_ORDER: &str = "CASE priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, \
     score_impact DESC, code, created_at DESC, id";
const DEAD_LETTER_SELECT: &str =
    "id, kind, key, CAST(payload AS TEXT) AS payload, error, attempts, failed_at";

fn raw_text(raw: &Option<serde_json::Value>) -> Option<String> {
    raw.as_ref().map(serde_json::Value::to_string)
}

// The `where` clause lists what the statements below bind and read (see `dialect.rs`);
// each `pub(crate)` method implements the port's method of the same name.
impl<D: Dialect> SqlStore<'_, D>
where
    for<'c> &'c mut Conn<D>: Executor<'c, Database = Db<D>>,
    Args<D>: IntoArguments<Db<D>>,
    for<'a> &'a str: ColumnIndex<RowOf<D>> + Bind<'a, Db<D>> + Get<'a, Db<D>>,
    usize: ColumnIndex<RowOf<D>>,
    for<'a> Option<&'a str>: Bind<'a, Db<D>>,
    for<'q> Uuid: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> Option<Uuid>: Bind<'q, Db<D>>,
    for<'q> String: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> Option<String>: Bind<'q, Db<D>>,
    for<'q> i64: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> Option<i64>: Bind<'q, Db<D>>,
    for<'q> i32: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> bool: Bind<'q, Db<D>>,
    for<'q> Option<D::Ts>: Bind<'q, Db<D>>,
{
    fn user_from(row: &RowOf<D>) -> Result<User> {
        let get = map_err("user");
        Ok(User {
            id: row.try_get("id").map_err(&get)?,
            email: row.try_get("email").map_err(&get)?,
            name: row.try_get("name").map_err(&get)?,
            avatar_url: row.try_get("avatar_url").map_err(&get)?,
            password_hash: row.try_get("password_hash").map_err(&get)?,
            created_at: D::from_ts(row.try_get("created_at").map_err(&get)?)?,
            updated_at: D::from_ts(row.try_get("updated_at").map_err(&get)?)?,
        })
    }

    fn business_from(row: &RowOf<D>) -> Result<Business> {
        let get = map_err("business");
        Ok(Business {
            id: row.try_get("id").map_err(&get)?,
            name: row.try_get("name").map_err(&get)?,
            industry: sql::industry(row.try_get("industry").map_err(&get)?)?,
            revenue_estimate: row.try_get("revenue_estimate").map_err(&get)?,
            currency: sql::opt_currency(row.try_get("currency").map_err(&get)?)?,
            created_at: D::from_ts(row.try_get("created_at").map_err(&get)?)?,
            updated_at: D::from_ts(row.try_get("updated_at").map_err(&get)?)?,
        })
    }

    fn account_from(row: &RowOf<D>) -> Result<IntegrationAccount> {
        let get = map_err("integration account");
        Ok(IntegrationAccount {
            id: row.try_get("id").map_err(&get)?,
            business_id: row.try_get("business_id").map_err(&get)?,
            provider: sql::provider(row.try_get::<&str, _>("provider").map_err(&get)?)?,
            external_id: row.try_get("external_id").map_err(&get)?,
            status: sql::connection_status(row.try_get::<&str, _>("status").map_err(&get)?)?,
            connected_at: D::from_ts(row.try_get("connected_at").map_err(&get)?)?,
            last_synced_at: D::opt_ts(row.try_get("last_synced_at").map_err(&get)?)?,
            last_error: row.try_get("last_error").map_err(&get)?,
        })
    }

    fn snapshot_from(row: &RowOf<D>) -> Result<MetricSnapshot> {
        let get = map_err("snapshot");
        let window_end = D::from_date(row.try_get("window_end").map_err(&get)?)?;
        let history: i32 = row.try_get("history_days").map_err(&get)?;
        Ok(MetricSnapshot {
            id: row.try_get("id").map_err(&get)?,
            business_id: row.try_get("business_id").map_err(&get)?,
            computed_at: D::from_ts(row.try_get("computed_at").map_err(&get)?)?,
            parts: sql::parts(
                window_end,
                row.try_get("window_days").map_err(&get)?,
                row.try_get("currency").map_err(&get)?,
                row.try_get("daily_revenue").map_err(&get)?,
                row.try_get("transaction_count").map_err(&get)?,
                row.try_get("refunded_total").map_err(&get)?,
                row.try_get("chargeback_count").map_err(&get)?,
                row.try_get("payouts_due").map_err(&get)?,
                row.try_get("payouts_on_time").map_err(&get)?,
            )?,
            data_synced_at: D::opt_ts(row.try_get("data_synced_at").map_err(&get)?)?,
            history_days: u32::try_from(history)
                .map_err(|_| sql::corrupt("history_days", history))?,
        })
    }

    fn score_from(row: &RowOf<D>) -> Result<ScoreRecord> {
        let get = map_err("readiness score");
        let factors: String = row.try_get("factors").map_err(&get)?;
        Ok(ScoreRecord {
            id: row.try_get("id").map_err(&get)?,
            business_id: row.try_get("business_id").map_err(&get)?,
            snapshot_id: row.try_get("snapshot_id").map_err(&get)?,
            computed_at: D::from_ts(row.try_get("computed_at").map_err(&get)?)?,
            score: row.try_get("score").map_err(&get)?,
            tier: row.try_get("tier").map_err(&get)?,
            tier_label: row.try_get("tier_label").map_err(&get)?,
            policy: row.try_get("policy").map_err(&get)?,
            max_attainable: row.try_get("max_attainable").map_err(&get)?,
            factors: serde_json::from_str(&factors).map_err(|e| sql::corrupt("factors", e))?,
        })
    }

    fn rec_from(row: &RowOf<D>) -> Result<RecommendationRecord> {
        let get = map_err("recommendation");
        Ok(RecommendationRecord {
            id: row.try_get("id").map_err(&get)?,
            business_id: row.try_get("business_id").map_err(&get)?,
            code: row.try_get("code").map_err(&get)?,
            priority: sql::priority(row.try_get::<&str, _>("priority").map_err(&get)?)?,
            score_impact: row.try_get("score_impact").map_err(&get)?,
            title: row.try_get("title").map_err(&get)?,
            description: row.try_get("description").map_err(&get)?,
            factor: row.try_get("factor").map_err(&get)?,
            status: sql::rec_status(row.try_get::<&str, _>("status").map_err(&get)?)?,
            created_at: D::from_ts(row.try_get("created_at").map_err(&get)?)?,
            updated_at: D::from_ts(row.try_get("updated_at").map_err(&get)?)?,
            status_changed_at: D::opt_ts(row.try_get("status_changed_at").map_err(&get)?)?,
        })
    }

    /// Serializes every write to `business`'s recommendations in this transaction with the
    /// other transactions that do the same (generation runs and status changes), until it
    /// ends. This is what makes the dismissal suppression hold under concurrency: a
    /// suppression check in the insert's own statement is not enough on PostgreSQL, where a
    /// dismissal committing while the insert waits on the one-live index lets the insert go
    /// through once the old live row stopped being live. SQLite needs no statement: a write
    /// transaction (`BEGIN IMMEDIATE`) already holds the database's only write lock.
    async fn lock_recommendations(
        tx: &mut Transaction<'static, Db<D>>,
        business: Uuid,
    ) -> Result<()> {
        if let Some(lock) = D::REC_LOCK {
            sqlx::query(lock)
                .bind(business)
                .execute(&mut **tx)
                .await
                .map_err(map_err("recommendation"))?;
        }
        Ok(())
    }

    fn dead_letter_from(row: &RowOf<D>) -> Result<DeadLetter> {
        let get = map_err("dead letter");
        let payload: String = row.try_get("payload").map_err(&get)?;
        let attempts: i32 = row.try_get("attempts").map_err(&get)?;
        Ok(DeadLetter {
            id: row.try_get("id").map_err(&get)?,
            kind: row.try_get("kind").map_err(&get)?,
            key: row.try_get("key").map_err(&get)?,
            payload: serde_json::from_str(&payload).map_err(|e| sql::corrupt("payload", e))?,
            error: row.try_get("error").map_err(&get)?,
            attempts: u32::try_from(attempts).map_err(|_| sql::corrupt("attempts", attempts))?,
            failed_at: D::from_ts(row.try_get("failed_at").map_err(&get)?)?,
        })
    }

    async fn business_exists(&self, id: Uuid) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM businesses WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool)
            .await
            .map_err(map_err("business"))?
            .is_some())
    }

    // UserStore

    pub(crate) async fn create_user(&self, new: NewUser) -> Result<User> {
        let new = new.validated()?;
        let now = self.now();
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO users (id, email, name, avatar_url, password_hash, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(&new.email)
        .bind(&new.name)
        .bind(&new.avatar_url)
        .bind(&new.password_hash)
        .bind(D::ts(now))
        .bind(D::ts(now))
        .execute(self.pool)
        .await
        .map_err(|e| match map_err("user")(e) {
            e @ Error::Conflict { .. } => {
                Error::conflict(format!("a user with e-mail {} exists", new.email)).with_source(e)
            }
            other => other,
        })?;
        self.get_user(id).await
    }

    pub(crate) async fn get_user(&self, id: Uuid) -> Result<User> {
        let row = sqlx::query(sql!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool)
            .await
            .map_err(map_err("user"))?
            .ok_or_else(|| not_found("user", id))?;
        Self::user_from(&row)
    }

    pub(crate) async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = email.trim().to_lowercase();
        sqlx::query(sql!("SELECT {USER_COLS} FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(self.pool)
            .await
            .map_err(map_err("user"))?
            .map(|r| Self::user_from(&r))
            .transpose()
    }

    pub(crate) async fn update_user(&self, id: Uuid, update: UserUpdate) -> Result<User> {
        let mut user = self.get_user(id).await?;
        if let Some(name) = update.name {
            let name = name.trim().to_owned();
            if name.is_empty() {
                return Err(Error::invalid("name", "must not be empty"));
            }
            user.name = name;
        }
        if let Some(avatar) = update.avatar_url {
            user.avatar_url = avatar;
        }
        sqlx::query("UPDATE users SET name = $1, avatar_url = $2, updated_at = $3 WHERE id = $4")
            .bind(&user.name)
            .bind(&user.avatar_url)
            .bind(D::ts(self.now()))
            .bind(id)
            .execute(self.pool)
            .await
            .map_err(map_err("user"))?;
        self.get_user(id).await
    }

    pub(crate) async fn set_password_hash(&self, id: Uuid, hash: &str) -> Result<()> {
        let done =
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(hash)
                .bind(D::ts(self.now()))
                .bind(id)
                .execute(self.pool)
                .await
                .map_err(map_err("user"))?;
        if done.rows_affected() == 0 {
            return Err(not_found("user", id));
        }
        Ok(())
    }

    // BusinessStore

    pub(crate) async fn create_business(&self, owner: Uuid, new: NewBusiness) -> Result<Business> {
        let new = new.validated()?;
        let now = D::ts(self.now());
        let id = Uuid::new_v4();
        let mut tx = self.write_tx().await.map_err(map_err("business"))?;
        let owner_exists = sqlx::query("SELECT 1 FROM users WHERE id = $1")
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err("user"))?;
        if owner_exists.is_none() {
            return Err(not_found("user", owner));
        }
        sqlx::query(
            "INSERT INTO businesses (id, name, industry, revenue_estimate, currency, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(&new.name)
        .bind(new.industry.map(|i| i.as_str()))
        .bind(new.revenue_estimate)
        .bind(new.currency.map(|c| c.to_string()))
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err("business"))?;
        sqlx::query(
            "INSERT INTO user_business_memberships (user_id, business_id, role, created_at)
             VALUES ($1, $2, 'owner', $3)",
        )
        .bind(owner)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err("membership"))?;
        tx.commit().await.map_err(map_err("business"))?;
        self.get_business(id).await
    }

    pub(crate) async fn get_business(&self, id: Uuid) -> Result<Business> {
        let row = sqlx::query(sql!("SELECT {BUSINESS_COLS} FROM businesses WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool)
            .await
            .map_err(map_err("business"))?
            .ok_or_else(|| not_found("business", id))?;
        Self::business_from(&row)
    }

    pub(crate) async fn update_business(
        &self,
        id: Uuid,
        update: BusinessUpdate,
    ) -> Result<Business> {
        let update = update.validated()?;
        let mut business = self.get_business(id).await?;
        update.apply_to(&mut business);
        sqlx::query(
            "UPDATE businesses SET name = $1, industry = $2, revenue_estimate = $3, currency = $4, updated_at = $5
             WHERE id = $6",
        )
        .bind(&business.name)
        .bind(business.industry.map(|i| i.as_str()))
        .bind(business.revenue_estimate)
        .bind(business.currency.map(|c| c.to_string()))
        .bind(D::ts(self.now()))
        .bind(id)
        .execute(self.pool)
        .await
        .map_err(map_err("business"))?;
        self.get_business(id).await
    }

    pub(crate) async fn list_businesses(&self) -> Result<Vec<Business>> {
        sqlx::query(sql!(
            "SELECT {BUSINESS_COLS} FROM businesses ORDER BY created_at, id"
        ))
        .fetch_all(self.pool)
        .await
        .map_err(map_err("business"))?
        .iter()
        .map(Self::business_from)
        .collect()
    }

    pub(crate) async fn businesses_of(&self, user: Uuid) -> Result<Vec<(Business, Role)>> {
        let rows = sqlx::query(
            "SELECT b.id, b.name, b.industry, b.revenue_estimate, b.currency, b.created_at, b.updated_at, m.role
             FROM businesses b JOIN user_business_memberships m ON m.business_id = b.id
             WHERE m.user_id = $1 ORDER BY b.created_at, b.id",
        )
        .bind(user)
        .fetch_all(self.pool)
        .await
        .map_err(map_err("business"))?;
        rows.iter()
            .map(|r| {
                let role: &str = r.try_get("role").map_err(map_err("membership"))?;
                Ok((Self::business_from(r)?, sql::role(role)?))
            })
            .collect()
    }

    pub(crate) async fn membership(
        &self,
        user: Uuid,
        business: Uuid,
    ) -> Result<Option<Membership>> {
        let row = sqlx::query(
            "SELECT role, created_at FROM user_business_memberships WHERE user_id = $1 AND business_id = $2",
        )
        .bind(user)
        .bind(business)
        .fetch_optional(self.pool)
        .await
        .map_err(map_err("membership"))?;
        row.map(|r| {
            let get = map_err("membership");
            Ok(Membership {
                user_id: user,
                business_id: business,
                role: sql::role(r.try_get::<&str, _>("role").map_err(&get)?)?,
                created_at: D::from_ts(r.try_get("created_at").map_err(&get)?)?,
            })
        })
        .transpose()
    }

    pub(crate) async fn add_member(
        &self,
        business: Uuid,
        user: Uuid,
        role: Role,
    ) -> Result<Membership> {
        self.get_business(business).await?;
        self.get_user(user).await?;
        let now = self.now();
        sqlx::query(
            "INSERT INTO user_business_memberships (user_id, business_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user)
        .bind(business)
        .bind(role.as_str())
        .bind(D::ts(now))
        .execute(self.pool)
        .await
        .map_err(|e| match map_err("membership")(e) {
            e @ Error::Conflict { .. } => {
                Error::conflict("the user is already a member of this business").with_source(e)
            }
            other => other,
        })?;
        self.membership(user, business)
            .await?
            .ok_or_else(|| Error::internal("membership vanished after insert"))
    }

    // IntegrationStore

    pub(crate) async fn link_account(
        &self,
        business: Uuid,
        provider: Provider,
        external_id: &str,
    ) -> Result<IntegrationAccount> {
        let external_id = external_id.trim();
        if external_id.is_empty() {
            return Err(Error::invalid("external_id", "must not be empty"));
        }
        // A conflicting insert starts over: another writer linked it first, so this
        // answers as if it had come second.
        loop {
            if !self.business_exists(business).await? {
                return Err(not_found("business", business));
            }
            if let Some(existing) = self.find_account(provider, external_id).await? {
                if existing.business_id != business {
                    return Err(Error::conflict(format!(
                        "{} account {external_id} is linked to another business",
                        provider.as_str()
                    )));
                }
                return self
                    .set_account_status(existing.id, ConnectionStatus::Connected)
                    .await;
            }
            let id = Uuid::new_v4();
            let inserted = sqlx::query(
                "INSERT INTO integration_accounts (id, business_id, provider, external_id, status, connected_at)
                 VALUES ($1, $2, $3, $4, 'connected', $5)",
            )
            .bind(id)
            .bind(business)
            .bind(provider.as_str())
            .bind(external_id)
            .bind(D::ts(self.now()))
            .execute(self.pool)
            .await;
            match inserted.map_err(map_err("integration account")) {
                Ok(_) => return self.get_account(id).await,
                Err(Error::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) async fn get_account(&self, id: Uuid) -> Result<IntegrationAccount> {
        let row = sqlx::query(sql!(
            "SELECT {ACCOUNT_COLS} FROM integration_accounts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool)
        .await
        .map_err(map_err("integration account"))?
        .ok_or_else(|| not_found("integration account", id))?;
        Self::account_from(&row)
    }

    pub(crate) async fn find_account(
        &self,
        provider: Provider,
        external_id: &str,
    ) -> Result<Option<IntegrationAccount>> {
        sqlx::query(sql!(
            "SELECT {ACCOUNT_COLS} FROM integration_accounts WHERE provider = $1 AND external_id = $2"
        ))
        .bind(provider.as_str())
        .bind(external_id)
        .fetch_optional(self.pool)
        .await
        .map_err(map_err("integration account"))?
        .map(|r| Self::account_from(&r))
        .transpose()
    }

    pub(crate) async fn accounts_of(&self, business: Uuid) -> Result<Vec<IntegrationAccount>> {
        sqlx::query(sql!(
            "SELECT {ACCOUNT_COLS} FROM integration_accounts WHERE business_id = $1 ORDER BY connected_at, id"
        ))
        .bind(business)
        .fetch_all(self.pool)
        .await
        .map_err(map_err("integration account"))?
        .iter()
        .map(Self::account_from)
        .collect()
    }

    pub(crate) async fn connected_accounts(
        &self,
        provider: Provider,
    ) -> Result<Vec<IntegrationAccount>> {
        sqlx::query(sql!(
            "SELECT {ACCOUNT_COLS} FROM integration_accounts WHERE provider = $1 AND status = 'connected'
             ORDER BY connected_at, id"
        ))
        .bind(provider.as_str())
        .fetch_all(self.pool)
        .await
        .map_err(map_err("integration account"))?
        .iter()
        .map(Self::account_from)
        .collect()
    }

    pub(crate) async fn set_account_status(
        &self,
        id: Uuid,
        status: ConnectionStatus,
    ) -> Result<IntegrationAccount> {
        let done = sqlx::query("UPDATE integration_accounts SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(id)
            .execute(self.pool)
            .await
            .map_err(map_err("integration account"))?;
        if done.rows_affected() == 0 {
            return Err(not_found("integration account", id));
        }
        self.get_account(id).await
    }

    pub(crate) async fn record_sync_success(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE integration_accounts SET last_synced_at = $1, last_error = NULL WHERE id = $2",
        )
        .bind(D::ts(at))
        .bind(id)
        .execute(self.pool)
        .await
        .map_err(map_err("integration account"))?;
        if done.rows_affected() == 0 {
            return Err(not_found("integration account", id));
        }
        Ok(())
    }

    pub(crate) async fn record_sync_failure(&self, id: Uuid, error: &str) -> Result<()> {
        let done = sqlx::query("UPDATE integration_accounts SET last_error = $1 WHERE id = $2")
            .bind(error)
            .bind(id)
            .execute(self.pool)
            .await
            .map_err(map_err("integration account"))?;
        if done.rows_affected() == 0 {
            return Err(not_found("integration account", id));
        }
        Ok(())
    }

    pub(crate) async fn cursor(&self, account: Uuid, stream: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM sync_cursors WHERE account_id = $1 AND stream = $2")
            .bind(account)
            .bind(stream)
            .fetch_optional(self.pool)
            .await
            .map_err(map_err("sync cursor"))
    }

    // PaymentStore

    pub(crate) async fn ingest(
        &self,
        business: Uuid,
        account: Option<Uuid>,
        batch: &IngestBatch,
        cursor: Option<&CursorUpdate>,
    ) -> Result<IngestStats> {
        sql::validate_batch(batch)?;
        let now = D::ts(self.now());
        let mut tx = self.write_tx().await.map_err(map_err("payments"))?;
        // Payment rows name their business by `OWNER` (the backend's choice of key).
        let owner: D::Owner = sqlx::query_scalar(D::OWNER_OF)
            .bind(business)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err("business"))?
            .ok_or_else(|| not_found("business", business))?;
        for acct in account.iter().chain(cursor.map(|c| &c.account)) {
            let holder: Option<Uuid> =
                sqlx::query_scalar("SELECT business_id FROM integration_accounts WHERE id = $1")
                    .bind(acct)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err("integration account"))?;
            if holder != Some(business) {
                return Err(not_found("integration account of this business", acct));
            }
        }

        let charges = sql::last_by_id(&batch.charges, |o| o.id.as_str());
        D::insert_charges(&mut tx, owner, account, &charges, now).await?;
        let payouts = sql::last_by_id(&batch.payouts, |o| o.id.as_str());
        for chunk in payouts.chunks(BULK_ROWS) {
            let mut q = QueryBuilder::<Db<D>>::new(format!(
                "INSERT INTO payouts ({OWNER}, stripe_id, account_id, created, arrival_date, amount, \
                 currency, status, raw, updated_at) ",
                OWNER = D::OWNER,
            ));
            q.push_values(chunk, |mut b, p| {
                let o = &p.object;
                b.push_bind(owner)
                    .push_bind(o.id.as_str())
                    .push_bind(account)
                    .push_bind(o.created)
                    .push_bind(o.arrival_date)
                    .push_bind(o.amount)
                    .push_bind(o.currency.to_string())
                    .push_bind(o.status.as_str())
                    .push_bind(raw_text(&p.raw))
                    .push_unseparated(D::RAW)
                    .push_bind(now);
            });
            q.push(format_args!(
                " ON CONFLICT ({OWNER}, stripe_id) DO UPDATE SET account_id = COALESCE(excluded.account_id, payouts.account_id), \
                 created = excluded.created, arrival_date = excluded.arrival_date, amount = excluded.amount, \
                 currency = excluded.currency, status = excluded.status, \
                 raw = COALESCE(excluded.raw, payouts.raw), updated_at = excluded.updated_at", OWNER = D::OWNER,
            ));
            q.build()
                .execute(&mut *tx)
                .await
                .map_err(map_err("payout"))?;
        }
        let disputes = sql::last_by_id(&batch.disputes, |o| o.id.as_str());
        for chunk in disputes.chunks(BULK_ROWS) {
            let mut q = QueryBuilder::<Db<D>>::new(format!(
                "INSERT INTO disputes ({OWNER}, stripe_id, account_id, charge_id, created, amount, \
                 currency, status, raw, updated_at) ",
                OWNER = D::OWNER,
            ));
            q.push_values(chunk, |mut b, d| {
                let o = &d.object;
                b.push_bind(owner)
                    .push_bind(o.id.as_str())
                    .push_bind(account)
                    .push_bind(o.charge.as_str())
                    .push_bind(o.created)
                    .push_bind(o.amount)
                    .push_bind(o.currency.to_string())
                    .push_bind(o.status.as_str())
                    .push_bind(raw_text(&d.raw))
                    .push_unseparated(D::RAW)
                    .push_bind(now);
            });
            q.push(format_args!(
                " ON CONFLICT ({OWNER}, stripe_id) DO UPDATE SET account_id = COALESCE(excluded.account_id, disputes.account_id), \
                 charge_id = excluded.charge_id, created = excluded.created, amount = excluded.amount, \
                 currency = excluded.currency, status = excluded.status, \
                 raw = COALESCE(excluded.raw, disputes.raw), updated_at = excluded.updated_at", OWNER = D::OWNER,
            ));
            q.build()
                .execute(&mut *tx)
                .await
                .map_err(map_err("dispute"))?;
        }
        let payout_paid = sql::last_event_by_id(&batch.payout_paid);
        let mut new_events = 0u64;
        for chunk in payout_paid.chunks(BULK_ROWS) {
            let mut q = QueryBuilder::<Db<D>>::new(format!(
                "INSERT INTO payout_paid_events ({OWNER}, event_id, payout_id, paid_at) ",
                OWNER = D::OWNER,
            ));
            q.push_values(chunk, |mut b, e| {
                b.push_bind(owner)
                    .push_bind(e.event_id.as_str())
                    .push_bind(e.payout_id.as_str())
                    .push_bind(e.paid_at);
            });
            q.push(format_args!(
                " ON CONFLICT ({OWNER}, event_id) DO NOTHING",
                OWNER = D::OWNER
            ));
            new_events += q
                .build()
                .execute(&mut *tx)
                .await
                .map_err(map_err("payout.paid event"))?
                .rows_affected();
        }
        if let Some(c) = cursor {
            sqlx::query(
                "INSERT INTO sync_cursors (account_id, stream, value, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (account_id, stream) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(c.account)
            .bind(&c.stream)
            .bind(&c.value)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_err("sync cursor"))?;
        }
        tx.commit().await.map_err(map_err("payments"))?;
        Ok(IngestStats {
            charges: charges.len() as u64,
            payouts: payouts.len() as u64,
            disputes: disputes.len() as u64,
            payout_paid: new_events,
        })
    }

    pub(crate) async fn payment_data(&self, business: Uuid, window: Window) -> Result<PaymentData> {
        let start = window.start_day() * SECONDS_PER_DAY;
        let end = (window.end_day() + 1) * SECONDS_PER_DAY;
        let Some(owner) = D::payment_owner(self.pool, business).await? else {
            return Ok(PaymentData::new());
        };
        // One round trip: every object the window needs, tagged by kind.
        let rows = sqlx::query(sql!(
            "SELECT CAST(0 AS BIGINT) AS kind, created AS t, amount, amount_refunded AS refunded, \
                    currency, status, CASE WHEN captured THEN 1 ELSE 0 END AS flag, \
                    CAST(NULL AS BIGINT) AS t2, CAST(NULL AS TEXT) AS id, CAST(NULL AS TEXT) AS ref
               FROM charges WHERE {OWNER} = $1 AND created >= $2 AND created < $3
             UNION ALL
             SELECT CAST(1 AS BIGINT), created, amount, CAST(0 AS BIGINT), currency, status, 0, arrival_date, stripe_id, NULL
               FROM payouts WHERE {OWNER} = $1 AND arrival_date >= $2 AND arrival_date < $3
             UNION ALL
             SELECT CAST(2 AS BIGINT), created, amount, CAST(0 AS BIGINT), currency, status, 0, CAST(NULL AS BIGINT), stripe_id, charge_id
               FROM disputes WHERE {OWNER} = $1 AND created >= $2 AND created < $3
             UNION ALL
             SELECT CAST(3 AS BIGINT), MAX(e.paid_at), CAST(0 AS BIGINT), CAST(0 AS BIGINT), '', '', 0, CAST(NULL AS BIGINT), e.payout_id, NULL
               FROM payout_paid_events e JOIN payouts p
                 ON p.{OWNER} = e.{OWNER} AND p.stripe_id = e.payout_id
              WHERE e.{OWNER} = $1 AND p.arrival_date >= $2 AND p.arrival_date < $3
              GROUP BY e.payout_id", OWNER = D::OWNER,
        ))
        .bind(owner)
        .bind(start)
        .bind(end)
        .fetch_all(self.pool)
        .await
        .map_err(map_err("payments"))?;
        let mut data = PaymentData::new();
        for row in &rows {
            let get = map_err("payment row");
            let kind: i64 = row.try_get(0).map_err(&get)?;
            let t: i64 = row.try_get(1).map_err(&get)?;
            let amount: i64 = row.try_get(2).map_err(&get)?;
            match kind {
                0 => {
                    let status = ChargeStatus::parse(row.try_get(5).map_err(&get)?)
                        .map_err(|e| sql::corrupt("charge", e))?;
                    let captured: i32 = row.try_get(6).map_err(&get)?;
                    data.charges.push_fields(
                        t,
                        amount,
                        row.try_get(3).map_err(&get)?,
                        sql::currency(row.try_get(4).map_err(&get)?)?,
                        is_successful(status, captured != 0),
                    )?;
                }
                1 => data.add_payout(vaultra_core::domain::Payout {
                    id: row.try_get(8).map_err(&get)?,
                    created: t,
                    arrival_date: row.try_get(7).map_err(&get)?,
                    amount,
                    currency: sql::currency(row.try_get(4).map_err(&get)?)?,
                    status: PayoutStatus::parse(row.try_get(5).map_err(&get)?)
                        .map_err(|e| sql::corrupt("payout", e))?,
                }),
                2 => data.add_dispute(vaultra_core::domain::Dispute {
                    id: row.try_get(8).map_err(&get)?,
                    charge: row.try_get(9).map_err(&get)?,
                    created: t,
                    amount,
                    currency: sql::currency(row.try_get(4).map_err(&get)?)?,
                    status: row.try_get(5).map_err(&get)?,
                }),
                _ => {
                    let payout: String = row.try_get(8).map_err(&get)?;
                    data.paid_at.insert(payout, t);
                }
            }
        }
        Ok(data)
    }

    pub(crate) async fn coverage(&self, business: Uuid) -> Result<Coverage> {
        let Some(owner) = D::payment_owner(self.pool, business).await? else {
            return Ok(Coverage::default());
        };
        let row = sqlx::query(sql!(
            "SELECT COUNT(*) AS n, MIN(created) AS first, MAX(created) AS last FROM charges WHERE {OWNER} = $1", OWNER = D::OWNER,
        ))
        .bind(owner)
        .fetch_one(self.pool)
        .await
        .map_err(map_err("payments"))?;
        let get = map_err("payments");
        let secs = |v: Option<i64>| v.and_then(|s| DateTime::from_timestamp(s, 0));
        Ok(Coverage {
            charges: sql::count(row.try_get("n").map_err(&get)?)?,
            first_charge_at: secs(row.try_get("first").map_err(&get)?),
            last_charge_at: secs(row.try_get("last").map_err(&get)?),
        })
    }

    pub(crate) async fn raw_object(
        &self,
        business: Uuid,
        kind: ObjectKind,
        stripe_id: &str,
    ) -> Result<Option<serde_json::Value>> {
        let table = match kind {
            ObjectKind::Charge => "charges",
            ObjectKind::Payout => "payouts",
            ObjectKind::Dispute => "disputes",
        };
        let Some(owner) = D::payment_owner(self.pool, business).await? else {
            return Err(not_found(kind.as_str(), stripe_id));
        };
        let raw: Option<String> = sqlx::query_scalar(sql!(
            "SELECT CAST(raw AS TEXT) FROM {table} WHERE {OWNER} = $1 AND stripe_id = $2",
            OWNER = D::OWNER
        ))
        .bind(owner)
        .bind(stripe_id)
        .fetch_optional(self.pool)
        .await
        .map_err(map_err(kind.as_str()))?
        .ok_or_else(|| not_found(kind.as_str(), stripe_id))?;
        raw.map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| sql::corrupt("raw object", e))
    }

    // AnalyticsStore

    pub(crate) async fn insert_snapshot(&self, new: NewSnapshot) -> Result<MetricSnapshot> {
        // Refuse parts that cannot become metrics: a stored snapshot must always read back.
        new.parts.clone().into_metrics()?;
        let id = Uuid::new_v4();
        let daily = serde_json::to_string(&new.parts.daily_revenue)
            .map_err(|e| Error::internal("cannot encode the daily revenue").with_source(e))?;
        sqlx::query(sql!(
            "INSERT INTO financial_metric_snapshots ({SNAPSHOT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7{J}, $8, $9, $10, $11, $12, $13, $14)", J = D::J
        ))
        .bind(id)
        .bind(new.business_id)
        .bind(D::ts(new.computed_at))
        .bind(D::date(new.parts.window.end_date()))
        .bind(i32::from(new.parts.window.days()))
        .bind(new.parts.currency.to_string())
        .bind(daily)
        .bind(sql::u_to_i64(new.parts.transaction_count, "transaction_count")?)
        .bind(sql::to_i64(new.parts.refunded, "refunded_total")?)
        .bind(sql::u_to_i64(new.parts.chargeback_count, "chargeback_count")?)
        .bind(sql::u_to_i64(new.parts.payouts_due, "payouts_due")?)
        .bind(sql::u_to_i64(new.parts.payouts_on_time, "payouts_on_time")?)
        .bind(new.data_synced_at.map(D::ts))
        .bind(i32::try_from(new.history_days).map_err(|_| Error::invalid("history_days", "too large"))?)
        .execute(self.pool)
        .await
        .map_err(super::map_err_id("business", new.business_id))?;
        let row = sqlx::query(sql!(
            "SELECT {SNAPSHOT_SELECT} FROM financial_metric_snapshots WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(self.pool)
        .await
        .map_err(super::map_err_id("snapshot", id))?;
        Self::snapshot_from(&row)
    }

    pub(crate) async fn get_snapshot(&self, id: Uuid) -> Result<MetricSnapshot> {
        let row = sqlx::query(sql!(
            "SELECT {SNAPSHOT_SELECT} FROM financial_metric_snapshots WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool)
        .await
        .map_err(map_err("snapshot"))?
        .ok_or_else(|| not_found("snapshot", id))?;
        Self::snapshot_from(&row)
    }

    pub(crate) async fn latest_snapshot(&self, business: Uuid) -> Result<Option<MetricSnapshot>> {
        sqlx::query(sql!(
            "SELECT {SNAPSHOT_SELECT} FROM financial_metric_snapshots WHERE business_id = $1
             ORDER BY computed_at DESC, window_end DESC, id DESC LIMIT 1"
        ))
        .bind(business)
        .fetch_optional(self.pool)
        .await
        .map_err(map_err("snapshot"))?
        .map(|r| Self::snapshot_from(&r))
        .transpose()
    }

    pub(crate) async fn snapshots_between(
        &self,
        business: Uuid,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<MetricSnapshot>> {
        sqlx::query(sql!(
            "SELECT {SNAPSHOT_SELECT} FROM financial_metric_snapshots
             WHERE business_id = $1 AND window_end >= $2 AND window_end <= $3
             ORDER BY computed_at, id"
        ))
        .bind(business)
        .bind(D::date(start))
        .bind(D::date(end))
        .fetch_all(self.pool)
        .await
        .map_err(map_err("snapshot"))?
        .iter()
        .map(Self::snapshot_from)
        .collect()
    }

    pub(crate) async fn insert_score(&self, new: NewScore) -> Result<ScoreRecord> {
        let id = Uuid::new_v4();
        let r = &new.readiness;
        let factors = serde_json::to_string(&r.factors)
            .map_err(|e| Error::internal("cannot encode the factors").with_source(e))?;
        sqlx::query(sql!(
            "INSERT INTO readiness_scores ({SCORE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10{J})", J = D::J
        ))
        .bind(id)
        .bind(new.business_id)
        .bind(new.snapshot_id)
        .bind(D::ts(new.computed_at))
        .bind(r.score)
        .bind(&r.tier)
        .bind(&r.tier_label)
        .bind(&r.policy)
        .bind(r.max_attainable)
        .bind(factors)
        .execute(self.pool)
        .await
        .map_err(map_err("business or snapshot"))?;
        let row = sqlx::query(sql!(
            "SELECT {SCORE_SELECT} FROM readiness_scores WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(self.pool)
        .await
        .map_err(super::map_err_id("readiness score", id))?;
        Self::score_from(&row)
    }

    pub(crate) async fn latest_score(&self, business: Uuid) -> Result<Option<ScoreRecord>> {
        Ok(self.score_history(business, 1).await?.into_iter().next())
    }

    pub(crate) async fn score_history(
        &self,
        business: Uuid,
        limit: u32,
    ) -> Result<Vec<ScoreRecord>> {
        sqlx::query(sql!(
            "SELECT {SCORE_SELECT} FROM readiness_scores WHERE business_id = $1
             ORDER BY computed_at DESC, id DESC LIMIT $2"
        ))
        .bind(business)
        .bind(sql::limit(limit))
        .fetch_all(self.pool)
        .await
        .map_err(map_err("readiness score"))?
        .iter()
        .map(Self::score_from)
        .collect()
    }

    // RecommendationStore

    pub(crate) async fn store_generation(
        &self,
        business: Uuid,
        recs: &[Recommendation],
        now: DateTime<Utc>,
        suppressed_after: DateTime<Utc>,
    ) -> Result<Vec<RecommendationRecord>> {
        let mut tx = self.write_tx().await.map_err(map_err("recommendation"))?;
        Self::lock_recommendations(&mut tx, business).await?;
        if sqlx::query("SELECT 1 FROM businesses WHERE id = $1")
            .bind(business)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err("business"))?
            .is_none()
        {
            return Err(not_found("business", business));
        }
        let mut stored = Vec::with_capacity(recs.len());
        for rec in recs {
            // Insert a pending one unless the code has no live one and was dismissed
            // recently; a live one turns the insert into its refresh (the partial unique
            // index), whatever dismissals older rows of the code had.
            let row = sqlx::query(sql!(
                "INSERT INTO recommendations ({REC_COLS})
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, NULL
                 WHERE EXISTS (SELECT 1 FROM recommendations
                                WHERE business_id = $2 AND code = $3
                                  AND status IN ('pending', 'accepted'))
                    OR NOT EXISTS (SELECT 1 FROM recommendations
                                    WHERE business_id = $2 AND code = $3
                                      AND status = 'dismissed' AND status_changed_at > $11)
                 ON CONFLICT (business_id, code) WHERE status IN ('pending', 'accepted')
                 DO UPDATE SET priority = excluded.priority, score_impact = excluded.score_impact,
                               title = excluded.title, description = excluded.description,
                               factor = excluded.factor, updated_at = excluded.updated_at
                 RETURNING {REC_COLS}"
            ))
            .bind(Uuid::new_v4())
            .bind(business)
            .bind(&rec.code)
            .bind(rec.priority.as_str())
            .bind(rec.score_impact)
            .bind(&rec.title)
            .bind(&rec.description)
            .bind(&rec.factor)
            .bind(D::ts(now))
            .bind(D::ts(now))
            .bind(D::ts(suppressed_after))
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err("recommendation"))?;
            if let Some(row) = row {
                stored.push(Self::rec_from(&row)?);
            }
        }
        // Retire the pending ones of every code this run did not produce. The codes are
        // this run's own, so a concurrent run's recommendation of a code this run also
        // produces is never resolved by it.
        let mut retire = QueryBuilder::<Db<D>>::new(
            "UPDATE recommendations SET status = 'resolved', status_changed_at = ",
        );
        retire
            .push_bind(D::ts(now))
            .push(", updated_at = ")
            .push_bind(D::ts(now))
            .push(" WHERE business_id = ")
            .push_bind(business)
            .push(" AND status = 'pending'");
        if !recs.is_empty() {
            retire.push(" AND code NOT IN (");
            let mut codes = retire.separated(", ");
            for rec in recs {
                codes.push_bind(rec.code.as_str());
            }
            codes.push_unseparated(")");
        }
        retire
            .build()
            .execute(&mut *tx)
            .await
            .map_err(map_err("recommendation"))?;
        tx.commit().await.map_err(map_err("recommendation"))?;
        Ok(stored)
    }

    pub(crate) async fn upsert_live(
        &self,
        business: Uuid,
        rec: &Recommendation,
        now: DateTime<Utc>,
    ) -> Result<RecommendationRecord> {
        let id = Uuid::new_v4();
        // The partial unique index makes "one live per code" hold under concurrency: the
        // conflict turns the insert into a refresh of the live row.
        let row = sqlx::query(sql!(
            "INSERT INTO recommendations ({REC_COLS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, NULL)
             ON CONFLICT (business_id, code) WHERE status IN ('pending', 'accepted')
             DO UPDATE SET priority = excluded.priority, score_impact = excluded.score_impact,
                           title = excluded.title, description = excluded.description,
                           factor = excluded.factor, updated_at = excluded.updated_at
             RETURNING {REC_COLS}"
        ))
        .bind(id)
        .bind(business)
        .bind(&rec.code)
        .bind(rec.priority.as_str())
        .bind(rec.score_impact)
        .bind(&rec.title)
        .bind(&rec.description)
        .bind(&rec.factor)
        .bind(D::ts(now))
        .bind(D::ts(now))
        .fetch_one(self.pool)
        .await
        .map_err(map_err("business"))?;
        Self::rec_from(&row)
    }

    pub(crate) async fn list_recommendations(
        &self,
        business: Uuid,
        status: Option<RecommendationStatus>,
        priority: Option<Priority>,
    ) -> Result<Vec<RecommendationRecord>> {
        // No status filter: everything but the resolved ones (METRICS.md §5).
        sqlx::query(sql!(
            "SELECT {REC_COLS} FROM recommendations
             WHERE business_id = $1
               AND ((CAST($2 AS TEXT) IS NULL AND status <> 'resolved') OR status = $3)
               AND (CAST($4 AS TEXT) IS NULL OR priority = $5)
             ORDER BY {REC_ORDER}"
        ))
        .bind(business)
        .bind(status.map(|s| s.as_str()))
        .bind(status.map(|s| s.as_str()))
        .bind(priority.map(|p| p.as_str()))
        .bind(priority.map(|p| p.as_str()))
        .fetch_all(self.pool)
        .await
        .map_err(map_err("recommendation"))?
        .iter()
        .map(Self::rec_from)
        .collect()
    }

    pub(crate) async fn get_recommendation(&self, id: Uuid) -> Result<RecommendationRecord> {
        let row = sqlx::query(sql!("SELECT {REC_COLS} FROM recommendations WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool)
            .await
            .map_err(map_err("recommendation"))?
            .ok_or_else(|| not_found("recommendation", id))?;
        Self::rec_from(&row)
    }

    pub(crate) async fn set_recommendation_status(
        &self,
        id: Uuid,
        from: RecommendationStatus,
        to: RecommendationStatus,
        at: DateTime<Utc>,
    ) -> Result<RecommendationRecord> {
        let mut tx = self.write_tx().await.map_err(map_err("recommendation"))?;
        let business: Option<Uuid> =
            sqlx::query_scalar("SELECT business_id FROM recommendations WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err("recommendation"))?;
        let Some(business) = business else {
            return Err(not_found("recommendation", id));
        };
        // Waits for a generation run of the business to finish, so that it never checks
        // the suppression before this change and writes after it.
        Self::lock_recommendations(&mut tx, business).await?;
        let row = sqlx::query(sql!(
            "UPDATE recommendations SET status = $1, status_changed_at = $2, updated_at = $3
             WHERE id = $4 AND status = $5 RETURNING {REC_COLS}"
        ))
        .bind(to.as_str())
        .bind(D::ts(at))
        .bind(D::ts(at))
        .bind(id)
        .bind(from.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| match map_err("recommendation")(e) {
            e @ Error::Conflict { .. } => {
                Error::conflict("another live recommendation with this code exists").with_source(e)
            }
            other => other,
        })?;
        match row {
            Some(row) => {
                let changed = Self::rec_from(&row)?;
                tx.commit().await.map_err(map_err("recommendation"))?;
                Ok(changed)
            }
            None => {
                let current =
                    sqlx::query(sql!("SELECT {REC_COLS} FROM recommendations WHERE id = $1"))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(super::map_err_id("recommendation", id))?;
                Err(Error::conflict(format!(
                    "the recommendation is {}, not {from}",
                    Self::rec_from(&current)?.status
                )))
            }
        }
    }

    pub(crate) async fn last_dismissed_at(
        &self,
        business: Uuid,
        code: &str,
    ) -> Result<Option<DateTime<Utc>>> {
        let v: Option<D::Ts> = sqlx::query_scalar(
            "SELECT MAX(status_changed_at) FROM recommendations
             WHERE business_id = $1 AND code = $2 AND status = 'dismissed'",
        )
        .bind(business)
        .bind(code)
        .fetch_one(self.pool)
        .await
        .map_err(map_err("recommendation"))?;
        D::opt_ts(v)
    }

    // EventStore

    pub(crate) async fn record_event(&self, event: &EventRecord) -> Result<EventOutcome> {
        let done = sqlx::query(
            sql!("INSERT INTO stripe_events (event_id, account_external_id, type, created, payload, received_at)
             VALUES ($1, $2, $3, $4, $5{J}, $6) ON CONFLICT (event_id) DO NOTHING", J = D::J),
        )
        .bind(&event.event_id)
        .bind(&event.account_external_id)
        .bind(&event.event_type)
        .bind(D::ts(event.created))
        .bind(event.payload.to_string())
        .bind(D::ts(self.now()))
        .execute(self.pool)
        .await
        .map_err(map_err("event"))?;
        Ok(if done.rows_affected() == 1 {
            EventOutcome::New
        } else {
            EventOutcome::AlreadyRecorded
        })
    }

    pub(crate) async fn mark_event_processed(
        &self,
        event_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE stripe_events SET processed_at = $1 WHERE event_id = $2")
            .bind(D::ts(at))
            .bind(event_id)
            .execute(self.pool)
            .await
            .map_err(map_err("event"))?;
        if done.rows_affected() == 0 {
            return Err(not_found("event", event_id));
        }
        Ok(())
    }

    pub(crate) async fn event_processed(&self, event_id: &str) -> Result<Option<bool>> {
        let v: Option<Option<D::Ts>> =
            sqlx::query_scalar("SELECT processed_at FROM stripe_events WHERE event_id = $1")
                .bind(event_id)
                .fetch_optional(self.pool)
                .await
                .map_err(map_err("event"))?;
        Ok(v.map(|p| p.is_some()))
    }

    // DeadLetterStore

    pub(crate) async fn dead_letter(&self, letter: NewDeadLetter) -> Result<DeadLetter> {
        let id = Uuid::new_v4();
        let attempts =
            i32::try_from(letter.attempts).map_err(|_| Error::invalid("attempts", "too large"))?;
        let row = sqlx::query(sql!(
            "INSERT INTO dead_letters (id, kind, key, payload, error, attempts, failed_at)
             VALUES ($1, $2, $3, $4{J}, $5, $6, $7) RETURNING {DEAD_LETTER_SELECT}",
            J = D::J
        ))
        .bind(id)
        .bind(&letter.kind)
        .bind(&letter.key)
        .bind(letter.payload.to_string())
        .bind(&letter.error)
        .bind(attempts)
        .bind(D::ts(letter.failed_at))
        .fetch_one(self.pool)
        .await
        .map_err(map_err("dead letter"))?;
        Self::dead_letter_from(&row)
    }

    pub(crate) async fn dead_letters(
        &self,
        kind: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeadLetter>> {
        sqlx::query(sql!(
            "SELECT {DEAD_LETTER_SELECT} FROM dead_letters
             WHERE (CAST($1 AS TEXT) IS NULL OR kind = $2)
             ORDER BY failed_at DESC, id DESC LIMIT $3"
        ))
        .bind(kind)
        .bind(kind)
        .bind(sql::limit(limit))
        .fetch_all(self.pool)
        .await
        .map_err(map_err("dead letter"))?
        .iter()
        .map(Self::dead_letter_from)
        .collect()
    }

    // OAuthStateStore

    pub(crate) async fn save_oauth_state(&self, state: &OAuthState) -> Result<()> {
        sqlx::query(
            "INSERT INTO oauth_states (state_hash, purpose, user_id, business_id, pkce_verifier,
                                       redirect_uri, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&state.state_hash)
        .bind(&state.purpose)
        .bind(state.user_id)
        .bind(state.business_id)
        .bind(&state.pkce_verifier)
        .bind(&state.redirect_uri)
        .bind(D::ts(state.created_at))
        .bind(D::ts(state.expires_at))
        .execute(self.pool)
        .await
        .map_err(map_err("oauth state"))?;
        Ok(())
    }

    pub(crate) async fn take_oauth_state(
        &self,
        state_hash: &str,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OAuthState>> {
        // One conditional update: of two concurrent callbacks, exactly one consumes it.
        let row = sqlx::query(
            "UPDATE oauth_states SET consumed_at = $1
             WHERE state_hash = $2 AND purpose = $3 AND consumed_at IS NULL AND expires_at > $4
             RETURNING state_hash, purpose, user_id, business_id, pkce_verifier, redirect_uri,
                       created_at, expires_at",
        )
        .bind(D::ts(now))
        .bind(state_hash)
        .bind(purpose)
        .bind(D::ts(now))
        .fetch_optional(self.pool)
        .await
        .map_err(map_err("oauth state"))?;
        row.map(|r| {
            let get = map_err("oauth state");
            Ok(OAuthState {
                state_hash: r.try_get("state_hash").map_err(&get)?,
                purpose: r.try_get("purpose").map_err(&get)?,
                user_id: r.try_get("user_id").map_err(&get)?,
                business_id: r.try_get("business_id").map_err(&get)?,
                pkce_verifier: r.try_get("pkce_verifier").map_err(&get)?,
                redirect_uri: r.try_get("redirect_uri").map_err(&get)?,
                created_at: D::from_ts(r.try_get("created_at").map_err(&get)?)?,
                expires_at: D::from_ts(r.try_get("expires_at").map_err(&get)?)?,
            })
        })
        .transpose()
    }
}
