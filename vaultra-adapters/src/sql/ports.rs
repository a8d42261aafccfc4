//! The port impls of a SQL store: each method delegates to the shared code on
//! [`SqlStore`](super::dialect::SqlStore). The store type provides
//! `fn sql(&self) -> SqlStore<'_, Its dialect>`; nothing else happens here.

/// Implements the storage ports for `$store` by delegation to `self.sql()`.
macro_rules! impl_ports {
    ($store:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use uuid::Uuid;
            use vaultra_core::Result;
            use vaultra_core::ports::jobs::*;
            use vaultra_core::ports::storage::*;

            #[async_trait]
            impl ConversationStore for $store {
                async fn create_conversation(
                    &self,
                    user: Uuid,
                    business: Uuid,
                    title: Option<&str>,
                ) -> Result<Conversation> {
                    self.sql().create_conversation(user, business, title).await
                }

                async fn get_conversation(&self, id: Uuid) -> Result<Conversation> {
                    self.sql().get_conversation(id).await
                }

                async fn conversations_of(
                    &self,
                    user: Uuid,
                    business: Uuid,
                    limit: u32,
                ) -> Result<Vec<Conversation>> {
                    self.sql().conversations_of(user, business, limit).await
                }

                async fn append_message(
                    &self,
                    conversation: Uuid,
                    message: &NewMessage,
                ) -> Result<AgentMessage> {
                    self.sql().append_message(conversation, message).await
                }

                async fn messages(&self, conversation: Uuid) -> Result<Vec<AgentMessage>> {
                    self.sql().messages(conversation).await
                }
            }

            #[async_trait]
            impl JobLedger for $store {
                async fn begin_run(
                    &self,
                    task: &JobTask,
                    now: DateTime<Utc>,
                    takeover: Takeover,
                ) -> Result<Begin> {
                    self.sql().begin_run(task, now, takeover).await
                }

                async fn finish_run(
                    &self,
                    key: &str,
                    status: RunStatus,
                    error: Option<&str>,
                    now: DateTime<Utc>,
                ) -> Result<()> {
                    self.sql().finish_run(key, status, error, now).await
                }

                async fn job_run(&self, key: &str) -> Result<Option<JobRun>> {
                    self.sql().job_run(key).await
                }

                async fn job_runs(&self, kind: Option<JobKind>, limit: u32) -> Result<Vec<JobRun>> {
                    self.sql().job_runs(kind, limit).await
                }
            }

            #[async_trait]
            impl NotificationStore for $store {
                async fn digest_recipients(
                    &self,
                    since: DateTime<Utc>,
                    until: DateTime<Utc>,
                ) -> Result<Vec<Uuid>> {
                    self.sql().digest_recipients(since, until).await
                }

                async fn new_recommendations_for(
                    &self,
                    user: Uuid,
                    since: DateTime<Utc>,
                    until: DateTime<Utc>,
                ) -> Result<Vec<DigestItem>> {
                    self.sql().new_recommendations_for(user, since, until).await
                }

                async fn insert_digest(&self, digest: NewDigest) -> Result<Option<Digest>> {
                    self.sql().insert_digest(digest).await
                }

                async fn digests(&self, user: Option<Uuid>, limit: u32) -> Result<Vec<Digest>> {
                    self.sql().digests(user, limit).await
                }
            }

            #[async_trait]
            impl KnowledgeStore for $store {
                async fn upsert_document(&self, doc: &NewDocument) -> Result<KnowledgeDocument> {
                    self.sql().upsert_document(doc).await
                }

                async fn find_document(&self, source: &str) -> Result<Option<KnowledgeDocument>> {
                    self.sql().find_document(source).await
                }

                async fn document_chunks(&self, document: Uuid) -> Result<Vec<KnowledgeChunk>> {
                    self.sql().document_chunks(document).await
                }

                async fn delete_document(&self, source: &str) -> Result<bool> {
                    self.sql().delete_document(source).await
                }

                async fn search_chunks(&self, query: &str, limit: u32) -> Result<Vec<ChunkHit>> {
                    self.sql().search_chunks(query, limit).await
                }
            }

            #[async_trait]
            impl RefreshTokenStore for $store {
                async fn issue_refresh_token(
                    &self,
                    user: Uuid,
                    token_hash: &str,
                    expires_at: DateTime<Utc>,
                    now: DateTime<Utc>,
                ) -> Result<RefreshToken> {
                    self.sql()
                        .issue_refresh_token(user, token_hash, expires_at, now)
                        .await
                }

                async fn rotate_refresh_token(
                    &self,
                    presented_hash: &str,
                    new_hash: &str,
                    new_expires_at: DateTime<Utc>,
                    now: DateTime<Utc>,
                ) -> Result<Rotation> {
                    self.sql()
                        .rotate_refresh_token(presented_hash, new_hash, new_expires_at, now)
                        .await
                }

                async fn find_refresh_token(
                    &self,
                    token_hash: &str,
                ) -> Result<Option<RefreshToken>> {
                    self.sql().find_refresh_token(token_hash).await
                }

                async fn revoke_refresh_family(
                    &self,
                    family: Uuid,
                    now: DateTime<Utc>,
                ) -> Result<u64> {
                    self.sql().revoke_refresh_family(family, now).await
                }

                async fn revoke_user_refresh_tokens(
                    &self,
                    user: Uuid,
                    now: DateTime<Utc>,
                ) -> Result<u64> {
                    self.sql().revoke_user_refresh_tokens(user, now).await
                }
            }
        };
    };
}

pub(crate) use impl_ports;
