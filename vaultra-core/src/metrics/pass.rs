//! The charge pass: one streaming sweep over the charge columns.

use crate::domain::ChargeColumns;

use super::window::SECONDS_PER_DAY;

/// Charges summed in 64-bit accumulators before being flushed to 128 bits.
///
/// With every amount at most 2⁴⁰ − 1 minor units, 2²⁰ of them sum to less than 2⁶⁰:
/// the hot loop stays in 64-bit registers and the result stays exact.
pub(crate) const MAX_CHUNK: usize = 1 << 20;

/// Per-currency sums over the successful charges that fall in a window.
#[derive(Debug, Clone)]
pub(crate) struct ChargeTotals {
    /// Window length N.
    pub days: usize,
    /// `daily[c * days + d]`: revenue of currency `c` on day `d` of the window, minor units.
    pub daily: Vec<i128>,
    /// Successful charges per currency.
    pub count: Vec<u64>,
    /// Refunded amount per currency, minor units.
    pub refunded: Vec<i128>,
}

impl ChargeTotals {
    /// The daily revenue series of currency index `c`.
    pub fn daily_of(&self, c: usize) -> &[i128] {
        &self.daily[c * self.days..(c + 1) * self.days]
    }
}

/// Sums the successful charges created in `[start_sec, start_sec + days·86400)`.
///
/// Branch-free: a charge outside the window or not successful is added to a spill slot
/// that is thrown away, so the loop's speed does not depend on the data.
pub(crate) fn charge_totals(cols: &ChargeColumns, start_sec: i64, days: usize) -> ChargeTotals {
    let ncur = cols.currencies.len();
    let span = days as u64 * SECONDS_PER_DAY as u64;
    let spill = ncur * days;

    let mut daily = vec![0i128; spill];
    let mut count = vec![0u64; ncur];
    let mut refunded = vec![0i128; ncur];

    let mut daily64 = vec![0i64; spill + 1];
    let mut count64 = vec![0u64; ncur + 1];
    let mut refunded64 = vec![0i64; ncur + 1];

    let mut start = 0;
    while start < cols.len() {
        let end = (start + MAX_CHUNK).min(cols.len());
        let rows = cols.created[start..end]
            .iter()
            .zip(&cols.amount[start..end])
            .zip(&cols.refunded[start..end])
            .zip(&cols.class[start..end]);
        if ncur == 1 {
            // The common case: one currency, so count and refunds live in registers.
            let (mut n, mut r) = (0u64, 0i64);
            for (((&t, &a), &rf), &c) in rows {
                let off = t.wrapping_sub(start_sec) as u64;
                let ok = (off < span) & (c == 0);
                let slot = if ok {
                    (off / SECONDS_PER_DAY as u64) as usize
                } else {
                    spill
                };
                daily64[slot] += a;
                n += u64::from(ok);
                r += rf & -i64::from(ok);
            }
            count64[0] += n;
            refunded64[0] += r;
        } else {
            for (((&t, &a), &rf), &c) in rows {
                let off = t.wrapping_sub(start_sec) as u64;
                let c = usize::from(c);
                let ok = (off < span) & (c < ncur);
                let (slot, cslot) = if ok {
                    (c * days + (off / SECONDS_PER_DAY as u64) as usize, c)
                } else {
                    (spill, ncur)
                };
                daily64[slot] += a;
                count64[cslot] += 1;
                refunded64[cslot] += rf;
            }
        }
        for (total, part) in daily.iter_mut().zip(&mut daily64) {
            *total += i128::from(std::mem::take(part));
        }
        for (total, part) in count.iter_mut().zip(&mut count64) {
            *total += std::mem::take(part);
        }
        for (total, part) in refunded.iter_mut().zip(&mut refunded64) {
            *total += i128::from(std::mem::take(part));
        }
        daily64[spill] = 0;
        count64[ncur] = 0;
        refunded64[ncur] = 0;
        start = end;
    }

    ChargeTotals {
        days,
        daily,
        count,
        refunded,
    }
}
