//! In-memory payment data laid out for the metric pass.

use std::collections::HashMap;

use super::{Charge, ChargeStatus, Currency, Dispute, MAX_AMOUNT, Payout, PayoutPaid};
use crate::error::Error;

/// Marks a charge that is not a successful charge; the metric pass skips it.
pub(crate) const NOT_COUNTED: u16 = u16::MAX;

/// Charges stored column by column.
///
/// The metric pass reads millions of charges per call; keeping each field in its own
/// contiguous vector lets it stream through memory without branches on the status.
/// Currencies are interned: `class[i]` is an index into `currencies` for a successful
/// charge and [`NOT_COUNTED`] for any other.
#[derive(Debug, Clone, Default)]
pub struct ChargeColumns {
    pub(crate) created: Vec<i64>,
    pub(crate) amount: Vec<i64>,
    pub(crate) refunded: Vec<i64>,
    pub(crate) class: Vec<u16>,
    pub(crate) currencies: Vec<Currency>,
}

impl ChargeColumns {
    /// Empty columns with room for `n` charges.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            created: Vec::with_capacity(n),
            amount: Vec::with_capacity(n),
            refunded: Vec::with_capacity(n),
            class: Vec::with_capacity(n),
            currencies: Vec::new(),
        }
    }

    /// Number of charges held, successful or not.
    pub fn len(&self) -> usize {
        self.created.len()
    }

    /// Whether no charge is held.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty()
    }

    /// Appends a charge.
    pub fn push(&mut self, charge: &Charge) -> Result<(), Error> {
        self.push_fields(
            charge.created,
            charge.amount,
            charge.amount_refunded,
            charge.currency,
            charge.is_successful(),
        )
    }

    /// Appends a charge given field by field (the fast path for columnar sources).
    ///
    /// `successful` is METRICS.md's *successful charge*: `status == succeeded` and captured.
    pub fn push_fields(
        &mut self,
        created: i64,
        amount: i64,
        refunded: i64,
        currency: Currency,
        successful: bool,
    ) -> Result<(), Error> {
        check_amount("amount", amount)?;
        check_amount("amount_refunded", refunded)?;
        let class = if successful {
            self.intern(currency)?
        } else {
            NOT_COUNTED
        };
        self.created.push(created);
        self.amount.push(amount);
        self.refunded.push(refunded);
        self.class.push(class);
        Ok(())
    }

    /// Replaces the charge at `index` (a newer state of the same Stripe object).
    pub fn replace(&mut self, index: usize, charge: &Charge) -> Result<(), Error> {
        if index >= self.len() {
            return Err(Error::Internal(format!(
                "charge index {index} out of range ({} charges)",
                self.len()
            )));
        }
        check_amount("amount", charge.amount)?;
        check_amount("amount_refunded", charge.amount_refunded)?;
        let class = if charge.is_successful() {
            self.intern(charge.currency)?
        } else {
            NOT_COUNTED
        };
        self.created[index] = charge.created;
        self.amount[index] = charge.amount;
        self.refunded[index] = charge.amount_refunded;
        self.class[index] = class;
        Ok(())
    }

    /// Currencies seen on successful charges, in order of first appearance.
    pub fn currencies(&self) -> &[Currency] {
        &self.currencies
    }

    fn intern(&mut self, currency: Currency) -> Result<u16, Error> {
        if let Some(i) = self.currencies.iter().position(|c| *c == currency) {
            return Ok(i as u16);
        }
        let i = self.currencies.len();
        if i >= NOT_COUNTED as usize {
            return Err(Error::invalid_input("more than 65534 distinct currencies"));
        }
        self.currencies.push(currency);
        Ok(i as u16)
    }
}

fn check_amount(field: &str, value: i64) -> Result<(), Error> {
    if (0..=MAX_AMOUNT).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{value} is outside 0..={MAX_AMOUNT} minor units"),
        ))
    }
}

/// Everything the metric pass reads about one business.
///
/// Objects are taken as given: a source that may repeat an object (a re-sync, an export
/// with overlapping pages) de-duplicates by Stripe id before adding it here.
#[derive(Debug, Clone, Default)]
pub struct PaymentData {
    /// All charges.
    pub charges: ChargeColumns,
    /// All payouts.
    pub payouts: Vec<Payout>,
    /// All disputes.
    pub disputes: Vec<Dispute>,
    /// When each payout was paid, from the latest `payout.paid` event for it.
    pub paid_at: HashMap<String, i64>,
}

impl PaymentData {
    /// Empty data.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a charge.
    pub fn add_charge(&mut self, charge: &Charge) -> Result<(), Error> {
        self.charges
            .push(charge)
            .map_err(|e| e.in_context(format!("charge {}", charge.id)))
    }

    /// Adds a payout.
    pub fn add_payout(&mut self, payout: Payout) {
        self.payouts.push(payout);
    }

    /// Adds a dispute.
    pub fn add_dispute(&mut self, dispute: Dispute) {
        self.disputes.push(dispute);
    }

    /// Records a `payout.paid` event; the latest event for a payout wins.
    pub fn add_payout_paid(&mut self, event: &PayoutPaid) {
        self.paid_at
            .entry(event.payout_id.clone())
            .and_modify(|t| *t = (*t).max(event.paid_at))
            .or_insert(event.paid_at);
    }

    /// Builds data from normalized objects in any order.
    pub fn from_objects(
        objects: impl IntoIterator<Item = super::stripe::Normalized>,
    ) -> Result<Self, Error> {
        use super::stripe::Normalized;
        let mut data = Self::new();
        for object in objects {
            match object {
                Normalized::Charge(c) => data.add_charge(&c)?,
                Normalized::Payout(p) => data.add_payout(p),
                Normalized::Dispute(d) => data.add_dispute(d),
                Normalized::PayoutPaid(e) => data.add_payout_paid(&e),
            }
        }
        Ok(data)
    }
}

/// Whether Stripe would call a charge with these fields successful.
pub fn is_successful(status: ChargeStatus, captured: bool) -> bool {
    status == ChargeStatus::Succeeded && captured
}
