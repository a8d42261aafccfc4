//! Charges, payouts, disputes and the payout-paid event, as Vaultra uses them.
//!
//! These are the normalized forms of Stripe's objects (see [`crate::domain::stripe`]):
//! only the fields the metrics need, already validated.

use serde::{Deserialize, Serialize};

use super::Currency;
use crate::error::Error;

/// Largest accepted amount in minor units (about 1.1 × 10¹², far above Stripe's own limit).
///
/// Bounding amounts lets the metric pass accumulate in 64-bit registers over chunks of
/// [`MAX_CHUNK`](crate::metrics) charges and stay exact.
pub const MAX_AMOUNT: i64 = (1 << 40) - 1;

/// The status of a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    /// The payment went through.
    Succeeded,
    /// Not final yet.
    Pending,
    /// Declined or errored.
    Failed,
}

impl ChargeStatus {
    /// Parses Stripe's status string.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "succeeded" => Ok(Self::Succeeded),
            "pending" => Ok(Self::Pending),
            "failed" => Ok(Self::Failed),
            other => Err(Error::invalid(
                "status",
                format!("unknown charge status `{other}` (expected succeeded, pending or failed)"),
            )),
        }
    }

    /// Stripe's spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Pending => "pending",
            Self::Failed => "failed",
        }
    }
}

/// A card or other payment attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// Stripe id (`ch_…`, `py_…`).
    pub id: String,
    /// Creation time, unix seconds.
    pub created: i64,
    /// Amount in minor units, `0..=MAX_AMOUNT`.
    pub amount: i64,
    /// Amount refunded so far in minor units, `0..=MAX_AMOUNT`.
    pub amount_refunded: i64,
    /// Currency of the charge.
    pub currency: Currency,
    /// Stripe status.
    pub status: ChargeStatus,
    /// Whether the funds were captured (Stripe omits it on old objects: then true).
    pub captured: bool,
}

impl Charge {
    /// A *successful charge* (METRICS.md §1): succeeded and not left uncaptured.
    pub fn is_successful(&self) -> bool {
        self.status == ChargeStatus::Succeeded && self.captured
    }
}

/// The status of a payout to the merchant's bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    /// Arrived.
    Paid,
    /// Not yet sent.
    Pending,
    /// Sent, not yet arrived.
    InTransit,
    /// Canceled before it was sent.
    Canceled,
    /// The bank rejected it.
    Failed,
}

impl PayoutStatus {
    /// Parses Stripe's status string.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "paid" => Ok(Self::Paid),
            "pending" => Ok(Self::Pending),
            "in_transit" => Ok(Self::InTransit),
            "canceled" => Ok(Self::Canceled),
            "failed" => Ok(Self::Failed),
            other => Err(Error::invalid(
                "status",
                format!(
                    "unknown payout status `{other}` (expected paid, pending, in_transit, canceled or failed)"
                ),
            )),
        }
    }

    /// Stripe's spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Paid => "paid",
            Self::Pending => "pending",
            Self::InTransit => "in_transit",
            Self::Canceled => "canceled",
            Self::Failed => "failed",
        }
    }
}

/// A transfer of the merchant's balance to their bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// Stripe id (`po_…`).
    pub id: String,
    /// Creation time, unix seconds.
    pub created: i64,
    /// Expected arrival, unix seconds (Stripe gives midnight UTC of the day).
    pub arrival_date: i64,
    /// Amount in minor units.
    pub amount: i64,
    /// Currency of the payout.
    pub currency: Currency,
    /// Stripe status.
    pub status: PayoutStatus,
}

/// A dispute raised by a cardholder against a charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    /// Stripe id (`dp_…`, `du_…`).
    pub id: String,
    /// The disputed charge's id.
    pub charge: String,
    /// Creation time, unix seconds.
    pub created: i64,
    /// Disputed amount in minor units.
    pub amount: i64,
    /// Currency of the dispute.
    pub currency: Currency,
    /// Stripe status, kept verbatim (`needs_response`, `won`, `warning_closed`, …).
    pub status: String,
}

impl Dispute {
    /// A chargeback is a dispute that is not a mere inquiry (`warning_*`), METRICS.md §1.
    pub fn is_chargeback(&self) -> bool {
        !self.status.starts_with("warning_")
    }
}

/// A `payout.paid` event: when the payout was actually paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutPaid {
    /// The event id (`evt_…`).
    pub event_id: String,
    /// The payout it is about.
    pub payout_id: String,
    /// The event's `created`, taken as the payout's `paid_at`.
    pub paid_at: i64,
}
