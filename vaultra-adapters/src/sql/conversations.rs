//! The assistant's conversations, shared by the SQLite and PostgreSQL backends.

use sqlx::{ColumnIndex, Executor, IntoArguments, Row};
use uuid::Uuid;
use vaultra_core::ports::storage::{AgentMessage, Conversation, MessageRole, NewMessage};
use vaultra_core::{Error, Result};

use super::dialect::{Args, Bind, Conn, Db, Dialect, Get, RowOf, RowsAffected, SqlStore};
use crate::sql::{self, map_err, not_found};

/// Checks text bound for storage: PostgreSQL cannot hold NUL characters, and SQLite must
/// refuse what PostgreSQL refuses so both stores behave the same.
pub(crate) fn no_nul(field: &str, value: &str) -> Result<(), vaultra_core::Error> {
    if value.contains('\0') {
        return Err(vaultra_core::Error::invalid(
            field.to_owned(),
            "contains a NUL character",
        ));
    }
    Ok(())
}

/// Whether any string (key or value) of a JSON document holds a NUL character, which
/// JSONB refuses (checked on the value, not its text, where a backslash-u0000 may be literal text).
pub(crate) fn json_has_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(a) => a.iter().any(json_has_nul),
        serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        _ => false,
    }
}

const CONVERSATION_COLS: &str = "id, business_id, user_id, title, created_at, updated_at";
const MESSAGE_COLS: &str = "id, conversation_id, seq, role, content, \
                            CAST(tool_call AS TEXT) AS tool_call, \
                            CAST(citations AS TEXT) AS citations, \
                            CAST(tools_used AS TEXT) AS tools_used, created_at";

// The `where` clause lists what the statements below bind and read (see `dialect.rs`);
// each `pub(crate)` method implements the port's method of the same name.
impl<D: Dialect> SqlStore<'_, D>
where
    for<'c> &'c mut Conn<D>: Executor<'c, Database = Db<D>>,
    Args<D>: IntoArguments<Db<D>>,
    for<'a> &'a str: ColumnIndex<RowOf<D>> + Bind<'a, Db<D>> + Get<'a, Db<D>>,
    for<'a> Option<&'a str>: Bind<'a, Db<D>>,
    for<'q> Uuid: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> String: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> Option<String>: Bind<'q, Db<D>>,
    for<'q> i64: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'r> i32: Get<'r, Db<D>>,
{
    fn conversation_from(row: &RowOf<D>) -> Result<Conversation> {
        let get = map_err("conversation");
        Ok(Conversation {
            id: row.try_get("id").map_err(&get)?,
            business_id: row.try_get("business_id").map_err(&get)?,
            user_id: row.try_get("user_id").map_err(&get)?,
            title: row.try_get("title").map_err(&get)?,
            created_at: D::from_ts(row.try_get("created_at").map_err(&get)?)?,
            updated_at: D::from_ts(row.try_get("updated_at").map_err(&get)?)?,
        })
    }

    fn message_from(row: &RowOf<D>) -> Result<AgentMessage> {
        let get = map_err("message");
        let seq: i32 = row.try_get("seq").map_err(&get)?;
        let tool_call: Option<String> = row.try_get("tool_call").map_err(&get)?;
        let citations: String = row.try_get("citations").map_err(&get)?;
        let tools_used: String = row.try_get("tools_used").map_err(&get)?;
        Ok(AgentMessage {
            id: row.try_get("id").map_err(&get)?,
            conversation_id: row.try_get("conversation_id").map_err(&get)?,
            seq: u32::try_from(seq).map_err(|_| sql::corrupt("message seq", seq))?,
            role: MessageRole::parse(row.try_get::<&str, _>("role").map_err(&get)?)
                .map_err(|e| sql::corrupt("message role", e))?,
            content: row.try_get("content").map_err(&get)?,
            tool_call: tool_call
                .map(|t| serde_json::from_str(&t))
                .transpose()
                .map_err(|e| sql::corrupt("tool call", e))?,
            citations: serde_json::from_str(&citations)
                .map_err(|e| sql::corrupt("message citations", e))?,
            tools_used: serde_json::from_str(&tools_used)
                .map_err(|e| sql::corrupt("message tools_used", e))?,
            created_at: D::from_ts(row.try_get("created_at").map_err(&get)?)?,
        })
    }

    async fn conversation_exists(&self, id: Uuid) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool)
            .await
            .map_err(map_err("conversation"))?
            .is_some())
    }

    pub(crate) async fn create_conversation(
        &self,
        user: Uuid,
        business: Uuid,
        title: Option<&str>,
    ) -> Result<Conversation> {
        if let Some(title) = title {
            no_nul("title", title)?;
        }
        // Checked first for a message naming what is missing; the foreign keys
        // still hold if either is deleted in between.
        let found = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM users WHERE id = $1) AS users,
                    (SELECT COUNT(*) FROM businesses WHERE id = $2) AS businesses",
        )
        .bind(user)
        .bind(business)
        .fetch_one(self.pool)
        .await
        .map_err(map_err("conversation"))?;
        let get = map_err("conversation");
        if found.try_get::<i64, _>("users").map_err(&get)? == 0 {
            return Err(not_found("user", user));
        }
        if found.try_get::<i64, _>("businesses").map_err(&get)? == 0 {
            return Err(not_found("business", business));
        }
        let now = D::ts(self.now());
        let row = sqlx::query(sql!(
            "INSERT INTO conversations ({CONVERSATION_COLS})
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING {CONVERSATION_COLS}"
        ))
        .bind(Uuid::new_v4())
        .bind(business)
        .bind(user)
        .bind(title)
        .bind(now)
        .bind(now)
        .fetch_one(self.pool)
        .await
        .map_err(map_err("user or business of the conversation"))?;
        Self::conversation_from(&row)
    }

    pub(crate) async fn get_conversation(&self, id: Uuid) -> Result<Conversation> {
        let row = sqlx::query(sql!(
            "SELECT {CONVERSATION_COLS} FROM conversations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool)
        .await
        .map_err(map_err("conversation"))?
        .ok_or_else(|| not_found("conversation", id))?;
        Self::conversation_from(&row)
    }

    pub(crate) async fn conversations_of(
        &self,
        user: Uuid,
        business: Uuid,
        limit: u32,
    ) -> Result<Vec<Conversation>> {
        sqlx::query(sql!(
            "SELECT {CONVERSATION_COLS} FROM conversations
             WHERE user_id = $1 AND business_id = $2
             ORDER BY updated_at DESC, id LIMIT $3"
        ))
        .bind(user)
        .bind(business)
        .bind(sql::limit(limit))
        .fetch_all(self.pool)
        .await
        .map_err(map_err("conversation"))?
        .iter()
        .map(Self::conversation_from)
        .collect()
    }

    pub(crate) async fn append_message(
        &self,
        conversation: Uuid,
        message: &NewMessage,
    ) -> Result<AgentMessage> {
        no_nul("content", &message.content)?;
        if message.tool_call.as_ref().is_some_and(json_has_nul) {
            return Err(Error::invalid("tool_call", "contains a NUL character"));
        }
        for (i, c) in message.citations.iter().enumerate() {
            no_nul(&format!("citations[{i}].source"), &c.source)?;
            no_nul(&format!("citations[{i}].title"), &c.title)?;
        }
        for (i, tool) in message.tools_used.iter().enumerate() {
            no_nul(&format!("tools_used[{i}]"), tool)?;
            if tool.trim().is_empty() {
                return Err(Error::invalid(format!("tools_used[{i}]"), "is empty"));
            }
        }
        let tool_call = message.tool_call.as_ref().map(serde_json::Value::to_string);
        let citations = serde_json::to_string(&message.citations)
            .map_err(|e| Error::internal("cannot encode citations").with_source(e))?;
        let tools_used = serde_json::to_string(&message.tools_used)
            .map_err(|e| Error::internal("cannot encode tools_used").with_source(e))?;
        let now = D::ts(self.now());
        let mut tx = self.write_tx().await.map_err(map_err("message"))?;
        // Writing the conversation first takes its row lock (PostgreSQL) or the
        // write lock (SQLite), so concurrent appends number one after another.
        let touched = sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(conversation)
            .execute(&mut *tx)
            .await
            .map_err(map_err("conversation"))?;
        if touched.rows_affected() == 0 {
            return Err(not_found("conversation", conversation));
        }
        let row = sqlx::query(sql!(
            "INSERT INTO agent_messages
                (id, conversation_id, seq, role, content, tool_call, citations,
                 tools_used, created_at)
             SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5{J}, $6{J}, $7{J}, $8
               FROM agent_messages WHERE conversation_id = $2
             RETURNING {MESSAGE_COLS}",
            J = D::J
        ))
        .bind(Uuid::new_v4())
        .bind(conversation)
        .bind(message.role.as_str())
        .bind(&message.content)
        .bind(tool_call)
        .bind(citations)
        .bind(tools_used)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err("message"))?;
        let stored = Self::message_from(&row)?;
        tx.commit().await.map_err(map_err("message"))?;
        Ok(stored)
    }

    pub(crate) async fn messages(&self, conversation: Uuid) -> Result<Vec<AgentMessage>> {
        let rows = sqlx::query(sql!(
            "SELECT {MESSAGE_COLS} FROM agent_messages
             WHERE conversation_id = $1 ORDER BY seq"
        ))
        .bind(conversation)
        .fetch_all(self.pool)
        .await
        .map_err(map_err("message"))?;
        // No rows may mean an empty conversation or none at all: tell them apart.
        if rows.is_empty() && !self.conversation_exists(conversation).await? {
            return Err(not_found("conversation", conversation));
        }
        rows.iter().map(Self::message_from).collect()
    }
}
