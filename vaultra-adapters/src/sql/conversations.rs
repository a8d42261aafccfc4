//! The assistant's conversations, shared by the SQLite and PostgreSQL backends the same
//! way as `store.rs`. The invoking module provides `ts`, `from_ts`, `J`, `Result`, the
//! store's `pool` and `now()`; everything lives in a private module so its helpers never
//! collide with the invoking module's.

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

macro_rules! impl_sql_conversations {
    ($store:ident, $row:ty) => {
        mod conversations_impl {
            use super::*;
            use crate::sql::conversations::{json_has_nul, no_nul};

            const CONVERSATION_COLS: &str =
                "id, business_id, user_id, title, created_at, updated_at";
            const MESSAGE_COLS: &str = "id, conversation_id, seq, role, content, \
                                        CAST(tool_call AS TEXT) AS tool_call, \
                                        CAST(citations AS TEXT) AS citations, \
                                        CAST(tools_used AS TEXT) AS tools_used, created_at";

            fn conversation_from(row: &$row) -> Result<Conversation> {
                let get = map_err("conversation");
                Ok(Conversation {
                    id: row.try_get("id").map_err(&get)?,
                    business_id: row.try_get("business_id").map_err(&get)?,
                    user_id: row.try_get("user_id").map_err(&get)?,
                    title: row.try_get("title").map_err(&get)?,
                    created_at: from_ts(row.try_get("created_at").map_err(&get)?)?,
                    updated_at: from_ts(row.try_get("updated_at").map_err(&get)?)?,
                })
            }

            fn message_from(row: &$row) -> Result<AgentMessage> {
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
                    created_at: from_ts(row.try_get("created_at").map_err(&get)?)?,
                })
            }

            impl $store {
                async fn conversation_exists(&self, id: Uuid) -> Result<bool> {
                    Ok(sqlx::query("SELECT 1 FROM conversations WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(map_err("conversation"))?
                        .is_some())
                }
            }

            #[async_trait]
            impl ConversationStore for $store {
                async fn create_conversation(
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
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_err("conversation"))?;
                    let get = map_err("conversation");
                    if found.try_get::<i64, _>("users").map_err(&get)? == 0 {
                        return Err(not_found("user", user));
                    }
                    if found.try_get::<i64, _>("businesses").map_err(&get)? == 0 {
                        return Err(not_found("business", business));
                    }
                    let now = ts(self.now());
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
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_err("user or business of the conversation"))?;
                    conversation_from(&row)
                }

                async fn get_conversation(&self, id: Uuid) -> Result<Conversation> {
                    let row = sqlx::query(sql!(
                        "SELECT {CONVERSATION_COLS} FROM conversations WHERE id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err("conversation"))?
                    .ok_or_else(|| not_found("conversation", id))?;
                    conversation_from(&row)
                }

                async fn conversations_of(
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
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err("conversation"))?
                    .iter()
                    .map(conversation_from)
                    .collect()
                }

                async fn append_message(
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
                    let tool_call = message
                        .tool_call
                        .as_ref()
                        .map(serde_json::Value::to_string);
                    let citations = serde_json::to_string(&message.citations)
                        .map_err(|e| Error::internal("cannot encode citations").with_source(e))?;
                    let tools_used = serde_json::to_string(&message.tools_used)
                        .map_err(|e| Error::internal("cannot encode tools_used").with_source(e))?;
                    let now = ts(self.now());
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
                         RETURNING {MESSAGE_COLS}"
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
                    let stored = message_from(&row)?;
                    tx.commit().await.map_err(map_err("message"))?;
                    Ok(stored)
                }

                async fn messages(&self, conversation: Uuid) -> Result<Vec<AgentMessage>> {
                    let rows = sqlx::query(sql!(
                        "SELECT {MESSAGE_COLS} FROM agent_messages
                         WHERE conversation_id = $1 ORDER BY seq"
                    ))
                    .bind(conversation)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err("message"))?;
                    // No rows may mean an empty conversation or none at all: tell them apart.
                    if rows.is_empty() && !self.conversation_exists(conversation).await? {
                        return Err(not_found("conversation", conversation));
                    }
                    rows.iter().map(message_from).collect()
                }
            }
        }
    };
}

pub(crate) use impl_sql_conversations;
