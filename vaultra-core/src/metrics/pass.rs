//! The charge pass: one streaming sweep over the charge columns.

use crate::domain::{ChargeColumnsRef, ClassCode};

use super::window::SECONDS_PER_DAY;

/// Charges summed in 64-bit accumulators before being flushed to 128 bits.
///
/// With every amount at most 2⁴⁰ − 1 minor units, 2²⁰ of them sum to less than 2⁶⁰:
/// the hot loop stays in 64-bit registers and the result stays exact.
pub(crate) const MAX_CHUNK: usize = 1 << 20;

/// Copies of the accumulators, used by consecutive charges in turn.
///
/// Charges usually arrive sorted by time, so neighbours land on the same day: with one
/// accumulator each add would wait for the previous one's store (a chain of
/// load-add-store on one address). Four independent copies let the adds overlap; they
/// are summed at the end of each chunk, so the totals are the same integers.
const LANES: usize = 4;

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

/// One copy of the 64-bit accumulators: daily sums, counts and refunds, each with its
/// spill slot last.
struct Lane {
    daily: Vec<i64>,
    count: Vec<u64>,
    refunded: Vec<i64>,
}

impl Lane {
    fn new(spill: usize, ncur: usize) -> Self {
        Self {
            daily: vec![0; spill + 1],
            count: vec![0; ncur + 1],
            refunded: vec![0; ncur + 1],
        }
    }
}

/// Sums the successful charges created in `[start_sec, start_sec + days·86400)`.
///
/// Branch-free: a charge outside the window or not successful is added to a spill slot
/// that is thrown away, so the loop's speed does not depend on the data.
pub(crate) fn charge_totals<C: ClassCode>(
    cols: ChargeColumnsRef<'_, C>,
    start_sec: i64,
    days: usize,
) -> ChargeTotals {
    let ncur = cols.currencies.len();
    let span = days as u64 * SECONDS_PER_DAY as u64;
    let spill = ncur * days;

    let mut daily = vec![0i128; spill];
    let mut count = vec![0u64; ncur];
    let mut refunded = vec![0i128; ncur];
    let mut lanes: [Lane; LANES] = std::array::from_fn(|_| Lane::new(spill, ncur));

    let day_of = |t: i64| -> (bool, usize) {
        let off = t.wrapping_sub(start_sec) as u64;
        (off < span, (off / SECONDS_PER_DAY as u64) as usize)
    };
    // Adds one charge into one lane.
    let add = |lane: &mut Lane, t: i64, a: i64, rf: i64, c: C| {
        let (inside, day) = day_of(t);
        let c = c.index();
        if ncur == 1 {
            // One currency (the common case): no multiply, and count and refunds add
            // zero instead of moving to a spill slot.
            let ok = inside & (c == 0);
            let slot = if ok { day } else { spill };
            lane.daily[slot] += a;
            lane.count[0] += u64::from(ok);
            lane.refunded[0] += rf & -i64::from(ok);
        } else {
            let ok = inside & (c < ncur);
            let (slot, cslot) = if ok {
                (c * days + day, c)
            } else {
                (spill, ncur)
            };
            lane.daily[slot] += a;
            lane.count[cslot] += 1;
            lane.refunded[cslot] += rf;
        }
    };

    let mut start = 0;
    while start < cols.len() {
        let end = (start + MAX_CHUNK).min(cols.len());
        let created = &cols.created[start..end];
        let amount = &cols.amount[start..end];
        let refunded_col = &cols.refunded[start..end];
        let class = &cols.class[start..end];
        let n = created.len();
        let (amount, refunded_col, class) = (&amount[..n], &refunded_col[..n], &class[..n]);
        let quads = n / LANES * LANES;
        let [l0, l1, l2, l3] = &mut lanes;
        for i in (0..quads).step_by(LANES) {
            add(l0, created[i], amount[i], refunded_col[i], class[i]);
            add(
                l1,
                created[i + 1],
                amount[i + 1],
                refunded_col[i + 1],
                class[i + 1],
            );
            add(
                l2,
                created[i + 2],
                amount[i + 2],
                refunded_col[i + 2],
                class[i + 2],
            );
            add(
                l3,
                created[i + 3],
                amount[i + 3],
                refunded_col[i + 3],
                class[i + 3],
            );
        }
        for i in quads..n {
            add(l0, created[i], amount[i], refunded_col[i], class[i]);
        }
        // Flush every lane into the exact totals; spill slots are dropped.
        for lane in &mut lanes {
            for (total, part) in daily.iter_mut().zip(&mut lane.daily) {
                *total += i128::from(std::mem::take(part));
            }
            for (total, part) in count.iter_mut().zip(&mut lane.count) {
                *total += std::mem::take(part);
            }
            for (total, part) in refunded.iter_mut().zip(&mut lane.refunded) {
                *total += i128::from(std::mem::take(part));
            }
            lane.daily[spill] = 0;
            lane.count[ncur] = 0;
            lane.refunded[ncur] = 0;
        }
        start = end;
    }

    ChargeTotals {
        days,
        daily,
        count,
        refunded,
    }
}
