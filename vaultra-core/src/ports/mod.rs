//! The traits behind which all I/O sits. Adapters implement them; hosts wire them.

pub mod auth;
mod clock;
pub mod jobs;
pub mod payments;
pub mod storage;

pub use auth::{
    AccessClaims, ISSUER, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, PasswordHasher, TokenSigner,
};
pub use clock::{Clock, FixedClock};
pub use jobs::{
    Begin, Digest, DigestItem, EnqueueReport, JobKind, JobLedger, JobQueue, JobRun, JobTask,
    NewDigest, NotificationStore, RunStatus, Takeover,
};
#[cfg(any(test, feature = "testkit"))]
pub use payments::RecordingSleeper;
pub use payments::{
    ConnectedAccount, Page, PageQuery, PaymentSource, Sleeper, SourceError, SourceErrorKind,
    SourceEvent, Stream,
};
pub use storage::{
    AgentMessage, AnalyticsStore, BusinessStore, ChunkHit, Citation, Conversation,
    ConversationStore, Coverage, CursorUpdate, DeadLetter, DeadLetterStore, EventOutcome,
    EventRecord, EventStore, Ingest, IngestBatch, IngestStats, IntegrationStore, KnowledgeChunk,
    KnowledgeDocument, KnowledgeStore, MAX_SEARCH_TERMS, MessageRole, MetricSnapshot, NewChunk,
    NewDeadLetter, NewDocument, NewMessage, NewScore, NewSnapshot, OAuthState, OAuthStateStore,
    ObjectKind, PaymentStore, RecommendationRecord, RecommendationStore, RefreshToken,
    RefreshTokenStore, Rotation, ScoreRecord, Store, UserStore, search_terms,
};
