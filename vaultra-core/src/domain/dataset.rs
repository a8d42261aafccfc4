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
            return Err(Error::internal(format!(
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

    /// The columns as a borrowed view (already checked when each charge was added).
    pub fn view(&self) -> ChargeColumnsRef<'_, u16> {
        ChargeColumnsRef {
            created: &self.created,
            amount: &self.amount,
            refunded: &self.refunded,
            class: &self.class,
            currencies: &self.currencies,
        }
    }

    /// Appends every charge of a checked view in bulk: the numeric columns are copied
    /// whole, and each class code is mapped once per distinct value onto this table's
    /// currencies.
    pub fn extend_from<C: ClassCode>(
        &mut self,
        other: ChargeColumnsRef<'_, C>,
    ) -> Result<(), Error> {
        // Currencies are interned as counted rows first use them, as `push_fields` does,
        // so `currencies()` keeps its order of first appearance.
        // The classes are mapped first: a failure leaves the columns as they were.
        let mut map: Vec<Option<u16>> = vec![None; other.currencies.len()];
        let mut classes = Vec::with_capacity(other.len());
        for c in other.class {
            let class = match map.get_mut(c.index()) {
                Some(Some(k)) => *k,
                Some(slot) => *slot.insert(self.intern(other.currencies[c.index()])?),
                None => NOT_COUNTED,
            };
            classes.push(class);
        }
        self.class.extend_from_slice(&classes);
        self.created.extend_from_slice(other.created);
        self.amount.extend_from_slice(other.amount);
        self.refunded.extend_from_slice(other.refunded);
        Ok(())
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

/// A per-charge class code: an index into the currencies of successful charges, or any
/// value at or above their count for a charge the metric pass does not count.
///
/// Owned columns use `u16` ([`ChargeColumns`]); borrowed columns may use `u8`, which a
/// binding builds a byte per row from its own string columns (at most 255 currencies).
pub trait ClassCode: Copy + Send + Sync + sealed::Sealed {
    /// The code as an index (counted when below the number of currencies).
    fn index(self) -> usize;
    /// The code meaning "not counted".
    const NOT_COUNTED: Self;
}

impl ClassCode for u8 {
    #[inline(always)]
    fn index(self) -> usize {
        usize::from(self)
    }
    const NOT_COUNTED: Self = u8::MAX;
}

impl ClassCode for u16 {
    #[inline(always)]
    fn index(self) -> usize {
        usize::from(self)
    }
    const NOT_COUNTED: Self = NOT_COUNTED;
}

mod sealed {
    /// Only the widths the pass is written for.
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u16 {}
}

/// A row that failed a check of [`ChargeColumnsRef::new`].
#[derive(Debug, Clone)]
pub struct InvalidRow {
    /// The row (0-based position in the columns).
    pub row: usize,
    /// What is wrong with it (names the field).
    pub error: Error,
}

/// Charges borrowed column by column from memory someone else owns — a binding's NumPy
/// or Arrow buffers — so that the metric pass can read them without a copy.
///
/// It holds what [`ChargeColumns`] holds, borrowed: `created` (unix seconds), `amount`
/// and `refunded` (minor units), and a class code per charge (see [`ClassCode`]) into
/// `currencies`. [`ChargeColumnsRef::new`] checks the same rules as
/// [`ChargeColumns::push_fields`] once over whole columns, so a view always satisfies the
/// pass's exactness bound (every amount within `0..=MAX_AMOUNT`).
#[derive(Debug, Clone, Copy)]
pub struct ChargeColumnsRef<'a, C: ClassCode = u16> {
    pub(crate) created: &'a [i64],
    pub(crate) amount: &'a [i64],
    pub(crate) refunded: &'a [i64],
    pub(crate) class: &'a [C],
    pub(crate) currencies: &'a [Currency],
}

impl<'a, C: ClassCode> ChargeColumnsRef<'a, C> {
    /// Checks and wraps borrowed columns: all four of one length, every `amount` and
    /// `refunded` within `0..=MAX_AMOUNT` (the first bad row is reported, `amount` before
    /// `amount_refunded`), and at most 65 534 currencies. A class code at or above
    /// `currencies.len()` marks a charge that is not counted.
    pub fn new(
        created: &'a [i64],
        amount: &'a [i64],
        refunded: &'a [i64],
        class: &'a [C],
        currencies: &'a [Currency],
    ) -> Result<Self, InvalidRow> {
        let n = created.len();
        for (field, len) in [
            ("amount", amount.len()),
            ("amount_refunded", refunded.len()),
            ("class", class.len()),
        ] {
            if len != n {
                return Err(InvalidRow {
                    row: n.min(len),
                    error: Error::invalid(field, format!("{len} values for {n} charges")),
                });
            }
        }
        if currencies.len() >= NOT_COUNTED as usize {
            return Err(InvalidRow {
                row: 0,
                error: Error::invalid_input("more than 65534 distinct currencies"),
            });
        }
        if let Some(row) = first_out_of_range(amount, refunded) {
            let error = check_amount("amount", amount[row])
                .and_then(|()| check_amount("amount_refunded", refunded[row]))
                .err()
                .unwrap_or_else(|| Error::internal("a bad amount that is not"));
            return Err(InvalidRow { row, error });
        }
        Ok(Self {
            created,
            amount,
            refunded,
            class,
            currencies,
        })
    }

    /// Number of charges, counted or not.
    pub fn len(&self) -> usize {
        self.created.len()
    }

    /// Whether there is no charge.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty()
    }

    /// Currencies the class codes index.
    pub fn currencies(&self) -> &'a [Currency] {
        self.currencies
    }
}

/// The first row whose `amount` or `refunded` is outside `0..=MAX_AMOUNT`, if any.
///
/// `MAX_AMOUNT` is 2⁴⁰ − 1, so a value is in range exactly when its bits above the 40th
/// are clear (a negative value has its sign bit set): OR-ing whole blocks together is a
/// branch-free, vectorized scan, and only a block with a bad value is searched.
fn first_out_of_range(amount: &[i64], refunded: &[i64]) -> Option<usize> {
    const BLOCK: usize = 4096;
    const HIGH: u64 = !(MAX_AMOUNT as u64);
    let bad = |block: &[i64]| block.iter().fold(0u64, |acc, &v| acc | v as u64) & HIGH != 0;
    for (b, (a, r)) in amount.chunks(BLOCK).zip(refunded.chunks(BLOCK)).enumerate() {
        if bad(a) || bad(r) {
            let at = a
                .iter()
                .zip(r)
                .position(|(&a, &r)| (a as u64 | r as u64) & HIGH != 0)?;
            return Some(b * BLOCK + at);
        }
    }
    None
}

/// The payment data the metric pass reads, borrowed: charges as [`ChargeColumnsRef`]
/// (possibly a binding's buffers), the few payouts, disputes and paid times by reference.
#[derive(Debug, Clone, Copy)]
pub struct PaymentDataRef<'a, C: ClassCode = u16> {
    /// The charges.
    pub charges: ChargeColumnsRef<'a, C>,
    /// All payouts.
    pub payouts: &'a [Payout],
    /// All disputes.
    pub disputes: &'a [Dispute],
    /// When each payout was paid (see [`PaymentData::paid_at`]).
    pub paid_at: &'a HashMap<String, i64>,
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

    /// The data as a borrowed view, for the metric pass.
    pub fn view(&self) -> PaymentDataRef<'_, u16> {
        PaymentDataRef {
            charges: self.charges.view(),
            payouts: &self.payouts,
            disputes: &self.disputes,
            paid_at: &self.paid_at,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: &InvalidRow) -> Option<&str> {
        match &e.error {
            Error::Invalid { input: i, .. } => i.field.as_deref(),
            _ => None,
        }
    }

    #[test]
    fn a_view_checks_amounts_once_and_names_the_first_bad_row() {
        let created = vec![0i64; 10_000];
        let mut amount = vec![5i64; 10_000];
        let mut refunded = vec![0i64; 10_000];
        let class = vec![0u8; 10_000];
        let usd = [Currency::USD];
        assert!(ChargeColumnsRef::new(&created, &amount, &refunded, &class, &usd).is_ok());
        amount[9_000] = MAX_AMOUNT + 1;
        refunded[7_000] = -1;
        let e = ChargeColumnsRef::new(&created, &amount, &refunded, &class, &usd).unwrap_err();
        assert_eq!((e.row, field_of(&e)), (7_000, Some("amount_refunded")));
        refunded[7_000] = MAX_AMOUNT; // the largest allowed value
        let e = ChargeColumnsRef::new(&created, &amount, &refunded, &class, &usd).unwrap_err();
        assert_eq!((e.row, field_of(&e)), (9_000, Some("amount")));
        amount[9_000] = i64::MIN;
        let e = ChargeColumnsRef::new(&created, &amount, &refunded, &class, &usd).unwrap_err();
        assert_eq!(e.row, 9_000);
        let e = ChargeColumnsRef::new(&created, &amount[..5], &refunded, &class, &usd).unwrap_err();
        assert_eq!(field_of(&e), Some("amount"));
    }

    #[test]
    fn extend_from_copies_rows_and_interns_counted_currencies() {
        let mut owned = ChargeColumns::default();
        owned
            .push_fields(1, 10, 0, Currency::parse("eur").unwrap(), true)
            .unwrap();
        let currencies = [Currency::USD, Currency::parse("gbp").unwrap()];
        // Row classes: usd, not counted (u8::MAX), gbp, out of range (not counted).
        let view = ChargeColumnsRef::new(
            &[2, 3, 4, 5],
            &[20, 30, 40, 50],
            &[0, 1, 2, 3],
            &[0u8, u8::MAX, 1, 7],
            &currencies,
        )
        .unwrap();
        owned.extend_from(view).unwrap();
        assert_eq!(owned.len(), 5);
        assert_eq!(owned.amount, [10, 20, 30, 40, 50]);
        assert_eq!(owned.class, [0, 1, NOT_COUNTED, 2, NOT_COUNTED]);
        assert_eq!(
            owned
                .currencies()
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
            ["eur", "usd", "gbp"]
        );
    }
}
