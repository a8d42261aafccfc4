//! The port impls of a SQL store: each method delegates to the shared code on
//! [`SqlStore`](super::dialect::SqlStore). The store type provides
//! `fn sql(&self) -> SqlStore<'_, Its dialect>`; nothing else happens here.

/// Implements the storage ports for `$store` by delegation to `self.sql()`.
macro_rules! impl_ports {
    ($store:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, NaiveDate, Utc};
            use uuid::Uuid;
            use vaultra_core::Result;
            use vaultra_core::domain::{
                Business, BusinessUpdate, ConnectionStatus, IntegrationAccount, Membership,
                NewBusiness, NewUser, PaymentData, Provider, Role, User, UserUpdate,
            };
            use vaultra_core::metrics::Window;
            use vaultra_core::ports::jobs::*;
            use vaultra_core::ports::storage::*;
            use vaultra_core::recommend::{Priority, Recommendation, RecommendationStatus};

            #[async_trait]
            impl UserStore for $store {
                async fn create_user(&self, new: NewUser) -> Result<User> {
                    self.sql().create_user(new).await
                }

                async fn get_user(&self, id: Uuid) -> Result<User> {
                    self.sql().get_user(id).await
                }

                async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
                    self.sql().find_user_by_email(email).await
                }

                async fn update_user(&self, id: Uuid, update: UserUpdate) -> Result<User> {
                    self.sql().update_user(id, update).await
                }

                async fn set_password_hash(&self, id: Uuid, hash: &str) -> Result<()> {
                    self.sql().set_password_hash(id, hash).await
                }
            }

            #[async_trait]
            impl BusinessStore for $store {
                async fn create_business(&self, owner: Uuid, new: NewBusiness) -> Result<Business> {
                    self.sql().create_business(owner, new).await
                }

                async fn get_business(&self, id: Uuid) -> Result<Business> {
                    self.sql().get_business(id).await
                }

                async fn update_business(
                    &self,
                    id: Uuid,
                    update: BusinessUpdate,
                ) -> Result<Business> {
                    self.sql().update_business(id, update).await
                }

                async fn list_businesses(&self) -> Result<Vec<Business>> {
                    self.sql().list_businesses().await
                }

                async fn businesses_of(&self, user: Uuid) -> Result<Vec<(Business, Role)>> {
                    self.sql().businesses_of(user).await
                }

                async fn membership(
                    &self,
                    user: Uuid,
                    business: Uuid,
                ) -> Result<Option<Membership>> {
                    self.sql().membership(user, business).await
                }

                async fn add_member(
                    &self,
                    business: Uuid,
                    user: Uuid,
                    role: Role,
                ) -> Result<Membership> {
                    self.sql().add_member(business, user, role).await
                }
            }

            #[async_trait]
            impl IntegrationStore for $store {
                async fn link_account(
                    &self,
                    business: Uuid,
                    provider: Provider,
                    external_id: &str,
                ) -> Result<IntegrationAccount> {
                    self.sql()
                        .link_account(business, provider, external_id)
                        .await
                }

                async fn get_account(&self, id: Uuid) -> Result<IntegrationAccount> {
                    self.sql().get_account(id).await
                }

                async fn find_account(
                    &self,
                    provider: Provider,
                    external_id: &str,
                ) -> Result<Option<IntegrationAccount>> {
                    self.sql().find_account(provider, external_id).await
                }

                async fn accounts_of(&self, business: Uuid) -> Result<Vec<IntegrationAccount>> {
                    self.sql().accounts_of(business).await
                }

                async fn connected_accounts(
                    &self,
                    provider: Provider,
                ) -> Result<Vec<IntegrationAccount>> {
                    self.sql().connected_accounts(provider).await
                }

                async fn set_account_status(
                    &self,
                    id: Uuid,
                    status: ConnectionStatus,
                ) -> Result<IntegrationAccount> {
                    self.sql().set_account_status(id, status).await
                }

                async fn record_sync_success(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
                    self.sql().record_sync_success(id, at).await
                }

                async fn record_sync_failure(&self, id: Uuid, error: &str) -> Result<()> {
                    self.sql().record_sync_failure(id, error).await
                }

                async fn cursor(&self, account: Uuid, stream: &str) -> Result<Option<String>> {
                    self.sql().cursor(account, stream).await
                }
            }

            #[async_trait]
            impl PaymentStore for $store {
                async fn ingest(
                    &self,
                    business: Uuid,
                    account: Option<Uuid>,
                    batch: &IngestBatch,
                    cursor: Option<&CursorUpdate>,
                ) -> Result<IngestStats> {
                    self.sql().ingest(business, account, batch, cursor).await
                }

                async fn payment_data(
                    &self,
                    business: Uuid,
                    window: Window,
                ) -> Result<PaymentData> {
                    self.sql().payment_data(business, window).await
                }

                async fn coverage(&self, business: Uuid) -> Result<Coverage> {
                    self.sql().coverage(business).await
                }

                async fn raw_object(
                    &self,
                    business: Uuid,
                    kind: ObjectKind,
                    stripe_id: &str,
                ) -> Result<Option<serde_json::Value>> {
                    self.sql().raw_object(business, kind, stripe_id).await
                }
            }

            #[async_trait]
            impl AnalyticsStore for $store {
                async fn insert_snapshot(&self, new: NewSnapshot) -> Result<MetricSnapshot> {
                    self.sql().insert_snapshot(new).await
                }

                async fn get_snapshot(&self, id: Uuid) -> Result<MetricSnapshot> {
                    self.sql().get_snapshot(id).await
                }

                async fn latest_snapshot(&self, business: Uuid) -> Result<Option<MetricSnapshot>> {
                    self.sql().latest_snapshot(business).await
                }

                async fn snapshots_between(
                    &self,
                    business: Uuid,
                    start: NaiveDate,
                    end: NaiveDate,
                ) -> Result<Vec<MetricSnapshot>> {
                    self.sql().snapshots_between(business, start, end).await
                }

                async fn insert_score(&self, new: NewScore) -> Result<ScoreRecord> {
                    self.sql().insert_score(new).await
                }

                async fn latest_score(&self, business: Uuid) -> Result<Option<ScoreRecord>> {
                    self.sql().latest_score(business).await
                }

                async fn score_history(
                    &self,
                    business: Uuid,
                    limit: u32,
                ) -> Result<Vec<ScoreRecord>> {
                    self.sql().score_history(business, limit).await
                }
            }

            #[async_trait]
            impl RecommendationStore for $store {
                async fn store_generation(
                    &self,
                    business: Uuid,
                    recs: &[Recommendation],
                    now: DateTime<Utc>,
                    suppressed_after: DateTime<Utc>,
                ) -> Result<Vec<RecommendationRecord>> {
                    self.sql()
                        .store_generation(business, recs, now, suppressed_after)
                        .await
                }

                async fn upsert_live(
                    &self,
                    business: Uuid,
                    rec: &Recommendation,
                    now: DateTime<Utc>,
                ) -> Result<RecommendationRecord> {
                    self.sql().upsert_live(business, rec, now).await
                }

                async fn list_recommendations(
                    &self,
                    business: Uuid,
                    status: Option<RecommendationStatus>,
                    priority: Option<Priority>,
                ) -> Result<Vec<RecommendationRecord>> {
                    self.sql()
                        .list_recommendations(business, status, priority)
                        .await
                }

                async fn get_recommendation(&self, id: Uuid) -> Result<RecommendationRecord> {
                    self.sql().get_recommendation(id).await
                }

                async fn set_recommendation_status(
                    &self,
                    id: Uuid,
                    from: RecommendationStatus,
                    to: RecommendationStatus,
                    at: DateTime<Utc>,
                ) -> Result<RecommendationRecord> {
                    self.sql().set_recommendation_status(id, from, to, at).await
                }

                async fn last_dismissed_at(
                    &self,
                    business: Uuid,
                    code: &str,
                ) -> Result<Option<DateTime<Utc>>> {
                    self.sql().last_dismissed_at(business, code).await
                }
            }

            #[async_trait]
            impl EventStore for $store {
                async fn record_event(&self, event: &EventRecord) -> Result<EventOutcome> {
                    self.sql().record_event(event).await
                }

                async fn mark_event_processed(
                    &self,
                    event_id: &str,
                    at: DateTime<Utc>,
                ) -> Result<()> {
                    self.sql().mark_event_processed(event_id, at).await
                }

                async fn event_processed(&self, event_id: &str) -> Result<Option<bool>> {
                    self.sql().event_processed(event_id).await
                }
            }

            #[async_trait]
            impl DeadLetterStore for $store {
                async fn dead_letter(&self, letter: NewDeadLetter) -> Result<DeadLetter> {
                    self.sql().dead_letter(letter).await
                }

                async fn dead_letters(
                    &self,
                    kind: Option<&str>,
                    limit: u32,
                ) -> Result<Vec<DeadLetter>> {
                    self.sql().dead_letters(kind, limit).await
                }
            }

            #[async_trait]
            impl OAuthStateStore for $store {
                async fn save_oauth_state(&self, state: &OAuthState) -> Result<()> {
                    self.sql().save_oauth_state(state).await
                }

                async fn take_oauth_state(
                    &self,
                    state_hash: &str,
                    purpose: &str,
                    now: DateTime<Utc>,
                ) -> Result<Option<OAuthState>> {
                    self.sql().take_oauth_state(state_hash, purpose, now).await
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
                    grace: chrono::Duration,
                ) -> Result<Rotation> {
                    self.sql()
                        .rotate_refresh_token(presented_hash, new_hash, new_expires_at, now, grace)
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
