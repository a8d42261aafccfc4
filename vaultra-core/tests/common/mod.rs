//! Builders shared by the contract tests of METRICS.md.
//!
//! Every helper builds plain domain values; nothing here re-implements the metric pass.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use vaultra_core::domain::{
    Charge, ChargeStatus, Currency, Dispute, PaymentData, Payout, PayoutPaid, PayoutStatus,
};
use vaultra_core::metrics::{
    self, CurrencyChoice, Exact, Metrics, SECONDS_PER_DAY, Window, epoch_day,
};
use vaultra_core::scoring::{self, Indicators, Policy, Readiness};

/// A date from `YYYY-MM-DD`.
pub fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A currency from its code, in any case.
pub fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

/// The unix time `secs` seconds after midnight UTC of `day`.
pub fn at(day: &str, secs: i64) -> i64 {
    epoch_day(date(day)) * SECONDS_PER_DAY + secs
}

/// Midnight UTC of `day`.
pub fn midnight(day: &str) -> i64 {
    at(day, 0)
}

/// Noon UTC of the day `offset` days after `day` (negative: before).
pub fn noon_plus(day: &str, offset: i64) -> i64 {
    at(day, offset * SECONDS_PER_DAY + 43_200)
}

/// The `days`-day window ending on `as_of`.
pub fn window(as_of: &str, days: u16) -> Window {
    Window::new(date(as_of), days).unwrap()
}

/// A charge with every field given.
pub fn charge_full(
    id: &str,
    created: i64,
    amount: i64,
    refunded: i64,
    currency: Currency,
    status: ChargeStatus,
    captured: bool,
) -> Charge {
    Charge {
        id: id.to_owned(),
        created,
        amount,
        amount_refunded: refunded,
        currency,
        status,
        captured,
    }
}

/// A successful (succeeded, captured) charge without refunds.
pub fn ok_charge(id: &str, created: i64, amount: i64, currency: Currency) -> Charge {
    charge_full(
        id,
        created,
        amount,
        0,
        currency,
        ChargeStatus::Succeeded,
        true,
    )
}

/// A payout.
pub fn payout(id: &str, arrival: i64, status: PayoutStatus, currency: Currency) -> Payout {
    Payout {
        id: id.to_owned(),
        created: arrival - 2 * SECONDS_PER_DAY,
        arrival_date: arrival,
        amount: 10_000,
        currency,
        status,
    }
}

/// A dispute with a Stripe status string.
pub fn dispute(id: &str, charge: &str, created: i64, status: &str, currency: Currency) -> Dispute {
    Dispute {
        id: id.to_owned(),
        charge: charge.to_owned(),
        created,
        amount: 1_000,
        currency,
        status: status.to_owned(),
    }
}

/// A `payout.paid` event.
pub fn paid_event(event_id: &str, payout_id: &str, paid_at: i64) -> PayoutPaid {
    PayoutPaid {
        event_id: event_id.to_owned(),
        payout_id: payout_id.to_owned(),
        paid_at,
    }
}

/// Builds data from charges, payouts, disputes and payout.paid events.
pub fn data_of(
    charges: &[Charge],
    payouts: &[Payout],
    disputes: &[Dispute],
    events: &[PayoutPaid],
) -> PaymentData {
    let mut data = PaymentData::new();
    for c in charges {
        data.add_charge(c).unwrap();
    }
    for p in payouts {
        data.add_payout(p.clone());
    }
    for d in disputes {
        data.add_dispute(d.clone());
    }
    for e in events {
        data.add_payout_paid(e);
    }
    data
}

/// Data with charges only.
pub fn charges_only(charges: &[Charge]) -> PaymentData {
    data_of(charges, &[], &[], &[])
}

/// Successful USD charges with the given amounts on consecutive days of the window, one a
/// day at noon, the first on the window's first day (a zero amount leaves the day empty).
pub fn daily_usd(as_of: &str, amounts: &[i64]) -> Vec<Charge> {
    let n = amounts.len() as i64;
    amounts
        .iter()
        .enumerate()
        .filter(|(_, a)| **a > 0)
        .map(|(i, a)| {
            ok_charge(
                &format!("ch_day{i}"),
                noon_plus(as_of, i as i64 - (n - 1)),
                *a,
                Currency::USD,
            )
        })
        .collect()
}

/// `n` successful USD charges of 1.00 at noon of `as_of`, ids `ch_{prefix}{i}`.
pub fn many_usd(prefix: &str, as_of: &str, n: usize) -> Vec<Charge> {
    (0..n)
        .map(|i| {
            ok_charge(
                &format!("ch_{prefix}{i}"),
                at(as_of, 43_200),
                100,
                Currency::USD,
            )
        })
        .collect()
}

/// The metrics of `data` over the `days`-day window ending on `as_of`, currency chosen
/// from the data.
pub fn auto(data: &PaymentData, as_of: &str, days: u16) -> Metrics {
    metrics::compute(data, window(as_of, days), CurrencyChoice::Auto)
}

/// The metrics in an explicit currency.
pub fn explicit(data: &PaymentData, as_of: &str, days: u16, currency: Currency) -> Metrics {
    metrics::compute(
        data,
        window(as_of, days),
        CurrencyChoice::Explicit(currency),
    )
}

/// The readiness of `metrics` under `spec-v1`.
pub fn readiness(m: &Metrics) -> Readiness {
    scoring::score(&Policy::spec_v1(), &Indicators::from(m))
}

/// The points `spec-v1` gives factor `code` for `metrics`.
pub fn points(m: &Metrics, code: &str) -> i32 {
    readiness(m).factor(code).unwrap().points
}

/// The fraction `num / den`, exactly.
pub fn ratio(num: i64, den: i64) -> Exact {
    Exact::ratio(num, den).unwrap()
}

/// Asserts that `actual` is exactly `num / den`.
pub fn assert_exact(actual: &Option<Exact>, num: i64, den: i64) {
    let actual = actual.as_ref().expect("value should be defined");
    assert_eq!(
        actual.cmp_exact(&ratio(num, den)),
        std::cmp::Ordering::Equal,
        "expected exactly {num}/{den}, got {actual:?}"
    );
}

/// Asserts that `actual` is exactly `sqrt(radicand) / den`.
pub fn assert_exact_sqrt(actual: &Option<Exact>, radicand: i64, den: i64) {
    let actual = actual.as_ref().expect("value should be defined");
    let expected = Exact::sqrt_ratio(radicand, den).unwrap();
    assert_eq!(
        actual.cmp_exact(&expected),
        std::cmp::Ordering::Equal,
        "expected exactly sqrt({radicand})/{den}, got {actual:?}"
    );
}

/// The JSON of a serializable value.
pub fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap()
}
