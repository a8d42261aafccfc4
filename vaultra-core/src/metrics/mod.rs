//! The metric pass of METRICS.md §2–3.
//!
//! [`compute`] turns [`PaymentData`] into [`Metrics`] for one window and one reporting
//! currency. Money stays in integer minor units; ratios are [`Exact`] values, rounded
//! only when shown.

mod exact;
mod pass;
mod window;

use std::fmt;

use num_bigint::BigInt;
use serde::{Deserialize, Serialize};

pub use exact::{Exact, RATIO_DECIMALS};
pub use window::{
    DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, MIN_WINDOW_DAYS, SECONDS_PER_DAY, Window, date_of_day,
    day_of, epoch_day,
};

use crate::domain::{ClassCode, Currency, Money, PaymentData, PaymentDataRef, PayoutStatus};

/// Direction of revenue between the two halves of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Growth above +5 %, or revenue appearing from nothing.
    Increasing,
    /// Growth below −5 %.
    Declining,
    /// Anything in between, or no revenue at all.
    Flat,
}

impl Trend {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Increasing => "increasing",
            Self::Declining => "declining",
            Self::Flat => "flat",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "increasing" => Some(Self::Increasing),
            "declining" => Some(Self::Declining),
            "flat" => Some(Self::Flat),
            _ => None,
        }
    }

    /// The trend of first-half revenue `r1` and second-half revenue `r2` (METRICS.md §3),
    /// decided with integers: growth > 0.05 ⇔ 20·r2 > 21·r1, growth < −0.05 ⇔ 20·r2 < 19·r1.
    pub fn of_halves(r1: i128, r2: i128) -> Self {
        if r1 == 0 {
            return if r2 > 0 { Self::Increasing } else { Self::Flat };
        }
        let (r1, r2) = (BigInt::from(r1), BigInt::from(r2));
        if &r2 * 20 > &r1 * 21 {
            Self::Increasing
        } else if &r2 * 20 < &r1 * 19 {
            Self::Declining
        } else {
            Self::Flat
        }
    }
}

impl fmt::Display for Trend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the reporting currency is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CurrencyChoice {
    /// The currency with the largest successful volume in the window (ties: alphabetical),
    /// or `usd` when there is none.
    #[default]
    Auto,
    /// This currency, whatever the data holds.
    Explicit(Currency),
}

impl From<Option<Currency>> for CurrencyChoice {
    fn from(c: Option<Currency>) -> Self {
        c.map_or(Self::Auto, Self::Explicit)
    }
}

/// The metrics of one business over one window in one currency (METRICS.md §3).
///
/// Serializes to the `metrics` object of the contract (§6): money as exact decimal
/// strings, ratios as numbers rounded half-to-even to 4 decimals, undefined as `null`.
/// `window`, `currency` and `daily_revenue` are carried alongside but not serialized here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// The window measured.
    #[serde(skip)]
    pub window: Window,
    /// The reporting currency.
    #[serde(skip)]
    pub currency: Currency,
    /// |S|: successful charges in the window.
    pub transaction_count: u64,
    /// Σ amount over S (gross).
    pub revenue_total: Money,
    /// Σ amount_refunded over S.
    pub refunded_total: Money,
    /// revenue_total − refunded_total.
    pub net_revenue: Money,
    /// revenue_total / |S| rounded half-to-even to the minor unit; `None` if |S| = 0.
    pub average_transaction_size: Option<Money>,
    /// Coefficient of variation of daily revenue; `None` if there was no revenue.
    pub revenue_volatility: Option<Exact>,
    /// Chargebacks (disputes that are not inquiries) created in the window.
    pub chargeback_count: u64,
    /// chargeback_count / |S|; `None` if |S| = 0.
    pub chargeback_ratio: Option<Exact>,
    /// Payouts that were due in the window.
    pub payouts_due: u64,
    /// Due payouts paid no later than the day after their arrival date.
    pub payouts_on_time: u64,
    /// payouts_on_time / payouts_due; `None` if nothing was due.
    pub payout_reliability: Option<Exact>,
    /// (R2 − R1) / R1 between the window's halves; `None` if R1 = 0.
    pub revenue_growth: Option<Exact>,
    /// The trend the growth implies.
    pub revenue_trend: Trend,
    /// Revenue per day of the window, oldest first, minor units.
    #[serde(skip)]
    pub daily_revenue: Vec<i128>,
}

impl Metrics {
    /// R1: revenue of the first ⌊N/2⌋ days.
    pub fn first_half_revenue(&self) -> i128 {
        let half = self.daily_revenue.len() / 2;
        self.daily_revenue[..half].iter().sum()
    }

    /// R2: revenue of the last ⌊N/2⌋ days (for odd N the middle day is in neither half).
    pub fn second_half_revenue(&self) -> i128 {
        let n = self.daily_revenue.len();
        self.daily_revenue[n - n / 2..].iter().sum()
    }

    /// Money in the reporting currency.
    pub fn money(&self, minor: i128) -> Money {
        Money::new(minor, self.currency)
    }
}

/// Computes every metric of METRICS.md §3 for `window` in the chosen currency.
pub fn compute(data: &PaymentData, window: Window, currency: CurrencyChoice) -> Metrics {
    compute_view(data.view(), window, currency)
}

/// [`compute`] over borrowed data: the same pass, for charges held in someone else's
/// buffers (a binding's DataFrame columns), read in place.
pub fn compute_view<C: ClassCode>(
    data: PaymentDataRef<'_, C>,
    window: Window,
    currency: CurrencyChoice,
) -> Metrics {
    let days = usize::from(window.days());
    let start_sec = window.start_day() * SECONDS_PER_DAY;
    let totals = pass::charge_totals(data.charges, start_sec, days);
    let currencies = data.charges.currencies();

    let currency = match currency {
        CurrencyChoice::Explicit(c) => c,
        CurrencyChoice::Auto => select_currency(currencies, &totals),
    };
    let index = currencies.iter().position(|c| *c == currency);

    let daily_revenue: Vec<i128> = match index {
        Some(i) => totals.daily_of(i).to_vec(),
        None => vec![0; days],
    };
    let transaction_count = index.map_or(0, |i| totals.count[i]);
    let refunded = index.map_or(0, |i| totals.refunded[i]);

    let chargeback_count = data
        .disputes
        .iter()
        .filter(|d| {
            d.currency == currency && window.contains_day(day_of(d.created)) && d.is_chargeback()
        })
        .count() as u64;

    let (payouts_due, payouts_on_time) = payout_counts(&data, window, currency);

    MetricParts {
        window,
        currency,
        daily_revenue,
        transaction_count,
        refunded,
        chargeback_count,
        payouts_due,
        payouts_on_time,
    }
    // The parts come from the pass itself, so they are consistent by construction.
    .into_metrics_unchecked()
}

/// The counts and sums every metric derives from — what a store keeps of a snapshot.
///
/// [`MetricParts::into_metrics`] recomputes every ratio exactly, so a stored snapshot
/// scores exactly as the pass that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricParts {
    /// The window.
    pub window: Window,
    /// The reporting currency.
    pub currency: Currency,
    /// Revenue per day of the window, oldest first, minor units.
    pub daily_revenue: Vec<i128>,
    /// |S|.
    pub transaction_count: u64,
    /// Σ amount_refunded over S, minor units.
    pub refunded: i128,
    /// Chargebacks created in the window.
    pub chargeback_count: u64,
    /// Payouts due in the window.
    pub payouts_due: u64,
    /// Due payouts paid on time.
    pub payouts_on_time: u64,
}

impl MetricParts {
    /// The metrics these parts define; the daily series must have one value per day of
    /// the window and counts must be coherent.
    pub fn into_metrics(self) -> Result<Metrics, crate::Error> {
        if self.daily_revenue.len() != usize::from(self.window.days()) {
            return Err(crate::Error::invalid(
                "daily_revenue",
                format!(
                    "{} values for a {}-day window",
                    self.daily_revenue.len(),
                    self.window.days()
                ),
            ));
        }
        if self.payouts_on_time > self.payouts_due {
            return Err(crate::Error::invalid(
                "payouts_on_time",
                "more payouts on time than due",
            ));
        }
        if self.daily_revenue.iter().any(|r| *r < 0) || self.refunded < 0 {
            return Err(crate::Error::invalid("daily_revenue", "negative revenue"));
        }
        Ok(self.into_metrics_unchecked())
    }

    fn into_metrics_unchecked(self) -> Metrics {
        let days = self.daily_revenue.len();
        let currency = self.currency;
        let revenue: i128 = self.daily_revenue.iter().sum();
        let half = days / 2;
        let r1: i128 = self.daily_revenue[..half].iter().sum();
        let r2: i128 = self.daily_revenue[days - half..].iter().sum();
        Metrics {
            window: self.window,
            currency,
            transaction_count: self.transaction_count,
            revenue_total: Money::new(revenue, currency),
            refunded_total: Money::new(self.refunded, currency),
            net_revenue: Money::new(revenue - self.refunded, currency),
            average_transaction_size: average(revenue, self.transaction_count)
                .map(|m| Money::new(m, currency)),
            revenue_volatility: volatility(&self.daily_revenue),
            chargeback_count: self.chargeback_count,
            chargeback_ratio: Exact::ratio(self.chargeback_count, self.transaction_count),
            payouts_due: self.payouts_due,
            payouts_on_time: self.payouts_on_time,
            payout_reliability: Exact::ratio(self.payouts_on_time, self.payouts_due),
            revenue_growth: Exact::ratio(r2 - r1, r1),
            revenue_trend: Trend::of_halves(r1, r2),
            daily_revenue: self.daily_revenue,
        }
    }
}

impl Metrics {
    /// The counts and sums behind these metrics.
    pub fn parts(&self) -> MetricParts {
        MetricParts {
            window: self.window,
            currency: self.currency,
            daily_revenue: self.daily_revenue.clone(),
            transaction_count: self.transaction_count,
            refunded: self.refunded_total.minor,
            chargeback_count: self.chargeback_count,
            payouts_due: self.payouts_due,
            payouts_on_time: self.payouts_on_time,
        }
    }
}

fn select_currency(currencies: &[Currency], totals: &pass::ChargeTotals) -> Currency {
    let mut best: Option<(i128, Currency)> = None;
    for (i, c) in currencies.iter().enumerate() {
        if totals.count[i] == 0 {
            continue;
        }
        let sum: i128 = totals.daily_of(i).iter().sum();
        best = match best {
            Some((s, b)) if s > sum || (s == sum && b < *c) => Some((s, b)),
            _ => Some((sum, *c)),
        };
    }
    best.map_or(Currency::USD, |(_, c)| c)
}

fn payout_counts<C: ClassCode>(
    data: &PaymentDataRef<'_, C>,
    window: Window,
    currency: Currency,
) -> (u64, u64) {
    let as_of = window.end_day();
    let (mut due, mut on_time) = (0u64, 0u64);
    for p in data.payouts.iter().filter(|p| p.currency == currency) {
        let arrival = day_of(p.arrival_date);
        if !window.contains_day(arrival) {
            continue;
        }
        let is_due = match p.status {
            PayoutStatus::Paid | PayoutStatus::Failed => true,
            PayoutStatus::Pending | PayoutStatus::InTransit => arrival < as_of,
            PayoutStatus::Canceled => false,
        };
        if !is_due {
            continue;
        }
        due += 1;
        if p.status == PayoutStatus::Paid
            && data
                .paid_at
                .get(&p.id)
                .is_none_or(|t| day_of(*t) <= arrival + 1)
        {
            on_time += 1;
        }
    }
    (due, on_time)
}

/// total / n rounded half-to-even; `None` when n = 0. Amounts are non-negative.
fn average(total: i128, n: u64) -> Option<i128> {
    if n == 0 {
        return None;
    }
    let n = i128::from(n);
    let (q, r) = (total.div_euclid(n), total.rem_euclid(n));
    Some(match (2 * r).cmp(&n) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Equal => q + (q & 1),
    })
}

/// Population standard deviation over mean of `daily`, exactly: with S = Σr and
/// D = N·Σr² − S², the coefficient of variation is sqrt(D) / S.
fn volatility(daily: &[i128]) -> Option<Exact> {
    let sum: BigInt = daily.iter().copied().map(BigInt::from).sum();
    let sum_sq: BigInt = daily
        .iter()
        .map(|&r| BigInt::from(r) * BigInt::from(r))
        .sum();
    let d = sum_sq * BigInt::from(daily.len()) - &sum * &sum;
    Exact::sqrt_ratio(d, sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_rounds_half_even() {
        assert_eq!(average(10, 4), Some(2)); // 2.5 → 2
        assert_eq!(average(14, 4), Some(4)); // 3.5 → 4
        assert_eq!(average(11, 4), Some(3)); // 2.75 → 3
        assert_eq!(average(9, 4), Some(2)); // 2.25 → 2
        assert_eq!(average(0, 0), None);
    }

    #[test]
    fn trend_thresholds_are_strict() {
        assert_eq!(Trend::of_halves(100, 105), Trend::Flat);
        assert_eq!(Trend::of_halves(100, 106), Trend::Increasing);
        assert_eq!(Trend::of_halves(100, 95), Trend::Flat);
        assert_eq!(Trend::of_halves(100, 94), Trend::Declining);
        assert_eq!(Trend::of_halves(0, 1), Trend::Increasing);
        assert_eq!(Trend::of_halves(0, 0), Trend::Flat);
    }

    #[test]
    fn parts_round_trip_and_are_checked() {
        let window = Window::new("2026-11-27".parse().unwrap(), 4).unwrap();
        let parts = MetricParts {
            window,
            currency: Currency::USD,
            daily_revenue: vec![100, 0, 300, 500],
            transaction_count: 4,
            refunded: 50,
            chargeback_count: 1,
            payouts_due: 2,
            payouts_on_time: 1,
        };
        let m = parts.clone().into_metrics().unwrap();
        assert_eq!(m.revenue_total.to_string(), "9.00");
        assert_eq!(m.revenue_trend, Trend::Increasing);
        assert_eq!(m.parts(), parts);
        let short = MetricParts {
            daily_revenue: vec![1, 2, 3],
            ..parts.clone()
        };
        assert!(short.into_metrics().is_err());
        let odd = MetricParts {
            payouts_on_time: 3,
            ..parts
        };
        assert!(odd.into_metrics().is_err());
    }

    #[test]
    fn a_borrowed_view_computes_what_owned_columns_compute() {
        use crate::domain::ChargeColumnsRef;
        // More than one chunk and not a multiple of the lane count, three currencies,
        // charges in and out of the window, unsorted.
        let n = pass::MAX_CHUNK + 7;
        let window = Window::new("2026-11-27".parse().unwrap(), 30).unwrap();
        let start = window.start_day() * SECONDS_PER_DAY;
        let currencies = [
            Currency::USD,
            Currency::parse("eur").unwrap(),
            Currency::parse("jpy").unwrap(),
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut created, mut amount, mut refunded, mut class) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let mut owned = PaymentData::new();
        for _ in 0..n {
            let t = start - 20 * SECONDS_PER_DAY + (next() % (60 * SECONDS_PER_DAY as u64)) as i64;
            let a = (next() % 1_000_000) as i64;
            let r = a / (1 + (next() % 4) as i64);
            let k = (next() % 4) as u8; // 3 = not successful
            owned
                .charges
                .push_fields(t, a, r, currencies[usize::from(k % 3)], k < 3)
                .unwrap();
            created.push(t);
            amount.push(a);
            refunded.push(r);
            class.push(if k < 3 { k } else { u8::MAX });
        }
        let charges =
            ChargeColumnsRef::new(&created, &amount, &refunded, &class, &currencies).unwrap();
        let view = PaymentDataRef {
            charges,
            payouts: &[],
            disputes: &[],
            paid_at: &owned.paid_at,
        };
        for choice in [
            CurrencyChoice::Auto,
            CurrencyChoice::Explicit(currencies[1]),
            CurrencyChoice::Explicit(currencies[2]),
            CurrencyChoice::Explicit(Currency::parse("gbp").unwrap()),
        ] {
            let borrowed = compute_view(view, window, choice);
            assert_eq!(borrowed, compute(&owned, window, choice));
            // And against a plain sum over the rows.
            let c = currencies.iter().position(|x| *x == borrowed.currency);
            let counted = (0..n).filter(|&i| {
                Some(usize::from(class[i])) == c
                    && (start..start + 30 * SECONDS_PER_DAY).contains(&created[i])
            });
            let (count, total) = counted.fold((0u64, 0i128), |(k, s), i| {
                (k + 1, s + i128::from(amount[i]))
            });
            assert_eq!(borrowed.transaction_count, count);
            assert_eq!(borrowed.revenue_total.minor, total);
        }
    }

    #[test]
    fn constant_revenue_has_zero_volatility() {
        let v = volatility(&[5, 5, 5, 5]).unwrap();
        assert!(v.is_zero());
        assert_eq!(volatility(&[0, 0]), None);
    }
}
