//! Stripe webhook deliveries: verified, recorded once, applied to the store.
//!
//! [`StripeWebhooks::handle_webhook`] takes a delivery exactly as received (the raw
//! body and the `Stripe-Signature` header) and:
//!
//! 1. verifies it through the [`PaymentSource`] (signature with any configured secret,
//!    so secrets can be rotated; timestamp tolerance). Nothing unverified is recorded;
//! 2. records the event in `stripe_events` by its id ([`EventStore::record_event`]). A
//!    delivery of an event already *processed* is acknowledged and does nothing
//!    (Stripe delivers at least once and retries); an event recorded but never marked
//!    processed (the handler failed half-way) is processed again, which is safe because
//!    every write below is an upsert by id;
//! 3. applies it:
//!    - `charge.*` (`charge.dispute.*` included) and `payout.*`: the event's object is
//!      stored as the newest state of that object, through the same conversion the
//!      incremental sync uses for events (`stripe_sync::events_batch`), so a webhook
//!      and a sync can never disagree about what an event means; `payout.paid` also
//!      records the payout's paid time;
//!    - `account.application.deauthorized`: the account is marked disconnected;
//!    - anything else, and events of accounts Vaultra does not know (or no longer has
//!      access to), are recorded and ignored — they are not errors, or Stripe would
//!      retry them for days;
//! 4. marks the event processed.
//!
//! A delivery that fails verification is an [`Error::Invalid`] whose field is
//! [`SIGNATURE_FIELD`] (an HTTP host answers 400, as Stripe expects); a signed body
//! that is not an event is an [`Error::Invalid`] about the payload.
//!
//! Stripe does not guarantee delivery order. Like the incremental sync, a webhook
//! applies its event's object as the newest state; an older event delivered late can
//! therefore overwrite a newer state until the next sync (every 15 minutes) reads the
//! object's events again in order.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{ConnectionStatus, IntegrationAccount, Provider};
use crate::error::{Error, Result, ResultExt};
use crate::ports::{
    Clock, EventOutcome, EventRecord, EventStore, IngestStats, IntegrationStore, PaymentSource,
    PaymentStore, SourceErrorKind, SourceEvent, Store,
};

use super::stripe_sync::events_batch;

/// The event type Stripe sends when a connected account removes the platform's access.
pub const DEAUTHORIZED: &str = "account.application.deauthorized";

/// The field an [`Error::Invalid`] names when a delivery's signature is refused.
pub const SIGNATURE_FIELD: &str = "Stripe-Signature";

/// Why a verified event changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoredReason {
    /// The event is the platform's own (no `account`): Vaultra reads connected
    /// accounts only.
    PlatformEvent,
    /// No business has linked this account.
    UnknownAccount,
    /// The account is linked but disconnected: its data is no longer read.
    AccountDisconnected,
    /// An event type that does not change what Vaultra stores (or whose object is not
    /// a charge, payout or dispute, e.g. `charge.refund.updated` carries a refund).
    UnhandledType,
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WebhookOutcome {
    /// The event's object was stored as the newest state.
    Applied {
        /// The event id (`evt_…`).
        event_id: String,
        /// The event type.
        event_type: String,
        /// The business the account belongs to.
        business_id: Uuid,
        /// The integration account (ours).
        account_id: Uuid,
        /// What was written.
        stored: IngestStats,
    },
    /// The account was marked disconnected.
    Deauthorized {
        /// The event id.
        event_id: String,
        /// The business the account belongs to.
        business_id: Uuid,
        /// The integration account (ours).
        account_id: Uuid,
    },
    /// Recorded; nothing else to do.
    Ignored {
        /// The event id.
        event_id: String,
        /// The event type.
        event_type: String,
        /// Why nothing was done.
        reason: IgnoredReason,
    },
    /// Processed before: acknowledged, nothing done.
    Duplicate {
        /// The event id.
        event_id: String,
    },
}

/// The storage the webhook service works on.
#[derive(Debug, Clone)]
pub struct WebhookPorts {
    /// Which events were recorded and processed.
    pub events: Arc<dyn EventStore>,
    /// The account an event belongs to, and its connection status.
    pub integrations: Arc<dyn IntegrationStore>,
    /// Where an event's object is stored.
    pub payments: Arc<dyn PaymentStore>,
}

impl From<Arc<dyn Store>> for WebhookPorts {
    fn from(store: Arc<dyn Store>) -> Self {
        Self {
            events: store.clone(),
            integrations: store.clone(),
            payments: store,
        }
    }
}

/// The webhook service: one [`PaymentSource`] (which holds the signing secrets), its
/// [`WebhookPorts`], time injected.
#[derive(Debug, Clone)]
pub struct StripeWebhooks {
    source: Arc<dyn PaymentSource>,
    events: Arc<dyn EventStore>,
    integrations: Arc<dyn IntegrationStore>,
    payments: Arc<dyn PaymentStore>,
    clock: Arc<dyn Clock>,
}

impl StripeWebhooks {
    /// A webhook service over these ports.
    pub fn new(source: Arc<dyn PaymentSource>, ports: WebhookPorts, clock: Arc<dyn Clock>) -> Self {
        let WebhookPorts {
            events,
            integrations,
            payments,
        } = ports;
        Self {
            source,
            events,
            integrations,
            payments,
            clock,
        }
    }

    /// Verifies, records and applies one delivery, as the module documentation says.
    /// `payload` is the request body byte for byte, `signature` the `Stripe-Signature`
    /// header.
    pub async fn handle_webhook(&self, payload: &[u8], signature: &str) -> Result<WebhookOutcome> {
        let now = self.clock.now();
        let event = self
            .source
            .verify_webhook(payload, signature, now.timestamp())
            .map_err(|e| match e.kind {
                SourceErrorKind::Unauthorized => Error::invalid(SIGNATURE_FIELD, e.message),
                SourceErrorKind::Invalid => {
                    Error::invalid("payload", e.message).in_context("webhook")
                }
                _ => e.into(),
            })?;
        let record = EventRecord {
            event_id: event.id.clone(),
            account_external_id: event.account.clone(),
            event_type: event.kind.clone(),
            created: DateTime::<Utc>::from_timestamp(event.created, 0).ok_or_else(|| {
                Error::invalid("created", format!("{} is not a time", event.created))
                    .in_context(format!("event {}", event.id))
            })?,
            payload: event.event.clone(),
        };
        if self.events.record_event(&record).await? == EventOutcome::AlreadyRecorded
            && self.events.event_processed(&event.id).await? == Some(true)
        {
            return Ok(WebhookOutcome::Duplicate { event_id: event.id });
        }
        let outcome = self.apply(&event).await?;
        self.events.mark_event_processed(&event.id, now).await?;
        Ok(outcome)
    }

    async fn apply(&self, event: &SourceEvent) -> Result<WebhookOutcome> {
        let ignored = |reason| {
            Ok(WebhookOutcome::Ignored {
                event_id: event.id.clone(),
                event_type: event.kind.clone(),
                reason,
            })
        };
        let deauthorized = event.kind == DEAUTHORIZED;
        let data = event.kind.starts_with("charge.") || event.kind.starts_with("payout.");
        if !deauthorized && !data {
            return ignored(IgnoredReason::UnhandledType);
        }
        let Some(external) = event.account.as_deref() else {
            return ignored(IgnoredReason::PlatformEvent);
        };
        let Some(account) = self
            .integrations
            .find_account(Provider::Stripe, external)
            .await?
        else {
            return ignored(IgnoredReason::UnknownAccount);
        };
        if deauthorized {
            // Already disconnected is fine: the delivery is then a no-op.
            self.integrations
                .set_account_status(account.id, ConnectionStatus::Disconnected)
                .await?;
            return Ok(WebhookOutcome::Deauthorized {
                event_id: event.id.clone(),
                business_id: account.business_id,
                account_id: account.id,
            });
        }
        if account.status != ConnectionStatus::Connected {
            return ignored(IgnoredReason::AccountDisconnected);
        }
        self.apply_object(event, &account).await
    }

    /// Stores the event's object the way the incremental sync stores an event.
    async fn apply_object(
        &self,
        event: &SourceEvent,
        account: &IntegrationAccount,
    ) -> Result<WebhookOutcome> {
        let batch = events_batch(std::iter::once(&event.event), true)
            .map_err(|e| e.in_context(format!("webhook event {}", event.id)))?;
        if batch.is_empty() {
            return Ok(WebhookOutcome::Ignored {
                event_id: event.id.clone(),
                event_type: event.kind.clone(),
                reason: IgnoredReason::UnhandledType,
            });
        }
        // No cursor: a webhook does not move the sync's position, so the next sync
        // still reads every event after its own last one (this one included).
        let stored = self
            .payments
            .ingest(account.business_id, Some(account.id), &batch, None)
            .await
            .with_context(|| {
                format!(
                    "ingest of event {} for business {}",
                    event.id, account.business_id
                )
            })?;
        Ok(WebhookOutcome::Applied {
            event_id: event.id.clone(),
            event_type: event.kind.clone(),
            business_id: account.business_id,
            account_id: account.id,
            stored,
        })
    }
}
