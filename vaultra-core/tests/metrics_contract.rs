//! The metric pass against METRICS.md §2–3, boundary by boundary.
//!
//! Every test builds a small data set by hand and asserts exact values: counts, money
//! strings, exact ratios (compared as fractions, never as floats), the JSON numbers
//! rounded half-to-even to 4 decimals, and the points the thresholds give.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;
use vaultra_core::domain::{ChargeStatus, Currency, PaymentData, PayoutStatus};
use vaultra_core::metrics::{
    DEFAULT_WINDOW_DAYS, SECONDS_PER_DAY, Trend, Window, date_of_day, day_of, epoch_day,
};
use vaultra_core::report::Options;

const AS_OF: &str = "2026-11-28";
/// First day of the 30-day window ending on AS_OF.
const START: &str = "2026-10-30";

// ---------------------------------------------------------------------------------------
// §2 Window
// ---------------------------------------------------------------------------------------

#[test]
fn window_is_n_days_ending_on_as_of_inclusive() {
    let w = window(AS_OF, 30);
    assert_eq!(w.start_date(), date(START));
    assert_eq!(w.end_date(), date(AS_OF));
    assert_eq!(w.days(), 30);
    assert_eq!(w.end_day() - w.start_day(), 29);
    assert_eq!(
        json(&w),
        json!({"start_date": "2026-10-30", "end_date": "2026-11-28", "days": 30})
    );
    // Across a leap day.
    let w = window("2024-03-01", 2);
    assert_eq!(w.start_date(), date("2024-02-29"));
}

#[test]
fn window_length_must_be_between_2_and_366() {
    assert!(Window::new(date(AS_OF), 0).is_err());
    assert!(Window::new(date(AS_OF), 1).is_err());
    assert_eq!(Window::new(date(AS_OF), 2).unwrap().days(), 2);
    assert_eq!(Window::new(date(AS_OF), 366).unwrap().days(), 366);
    assert!(Window::new(date(AS_OF), 367).is_err());
    assert_eq!(DEFAULT_WINDOW_DAYS, 30);
    assert_eq!(Options::ending(date(AS_OF)).window_days, 30);
    assert_eq!(Options::ending(date(AS_OF)).currency, None);
}

#[test]
fn default_as_of_is_the_last_complete_utc_day() {
    let now = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let w = Window::ending_yesterday(now("2026-11-29T00:00:00Z"), 30).unwrap();
    assert_eq!(w.end_date(), date(AS_OF));
    let w = Window::ending_yesterday(now("2026-11-29T23:59:59Z"), 30).unwrap();
    assert_eq!(w.end_date(), date(AS_OF));
    // A timestamp with an offset is still read in UTC.
    let w = Window::ending_yesterday(now("2026-11-29T01:00:00+03:00"), 7).unwrap();
    assert_eq!(w.end_date(), date("2026-11-27"));
}

#[test]
fn a_timestamp_belongs_to_utc_day_floor_t_over_86400() {
    assert_eq!(SECONDS_PER_DAY, 86_400);
    assert_eq!(day_of(0), 0);
    assert_eq!(day_of(86_399), 0);
    assert_eq!(day_of(86_400), 1);
    assert_eq!(day_of(-1), -1, "floor, not truncation");
    assert_eq!(day_of(-86_400), -1);
    assert_eq!(day_of(-86_401), -2);
    assert_eq!(epoch_day(date("1970-01-01")), 0);
    assert_eq!(epoch_day(date(AS_OF)), 20_785);
    assert_eq!(date_of_day(20_785), Some(date(AS_OF)));
}

#[test]
fn charges_on_the_first_and_last_second_of_the_window_count() {
    let charges = [
        ok_charge("ch_first", midnight(START), 100, Currency::USD),
        ok_charge("ch_before", midnight(START) - 1, 1_000, Currency::USD),
        ok_charge("ch_last", at(AS_OF, 86_399), 10_000, Currency::USD),
        ok_charge("ch_after", at(AS_OF, 86_400), 100_000, Currency::USD),
    ];
    let m = auto(&charges_only(&charges), AS_OF, 30);
    assert_eq!(m.transaction_count, 2);
    assert_eq!(m.revenue_total.to_string(), "101.00");
    assert_eq!(m.daily_revenue.len(), 30);
    assert_eq!(m.daily_revenue[0], 100);
    assert_eq!(m.daily_revenue[29], 10_000);
    assert_eq!(m.daily_revenue[1..29].iter().sum::<i128>(), 0);
}

#[test]
fn each_charge_lands_on_its_utc_day() {
    // 23:59:59 is still the same day; 00:00:00 is the next one.
    let charges = [
        ok_charge("ch_a", at("2026-11-27", 86_399), 7, Currency::USD),
        ok_charge("ch_b", at("2026-11-28", 0), 11, Currency::USD),
    ];
    let m = auto(&charges_only(&charges), AS_OF, 2);
    assert_eq!(m.daily_revenue, vec![7, 11]);
}

#[test]
fn windows_before_1970_use_floor_days() {
    // The window 1969-12-30..=1969-12-31 is days -2 and -1.
    let charges = [
        ok_charge("ch_in_first", -2 * 86_400, 1, Currency::USD),
        ok_charge("ch_in_last", -1, 10, Currency::USD),
        ok_charge("ch_out_before", -2 * 86_400 - 1, 100, Currency::USD),
        ok_charge("ch_out_after", 0, 1_000, Currency::USD),
    ];
    let m = auto(&charges_only(&charges), "1969-12-31", 2);
    assert_eq!(m.transaction_count, 2);
    assert_eq!(m.daily_revenue, vec![1, 10]);
}

#[test]
fn disputes_on_the_first_and_last_second_of_the_window_count() {
    let disputes = [
        dispute("dp_first", "ch_x", midnight(START), "lost", Currency::USD),
        dispute(
            "dp_before",
            "ch_x",
            midnight(START) - 1,
            "lost",
            Currency::USD,
        ),
        dispute("dp_last", "ch_x", at(AS_OF, 86_399), "lost", Currency::USD),
        dispute("dp_after", "ch_x", at(AS_OF, 86_400), "lost", Currency::USD),
    ];
    let data = data_of(&many_usd("c", AS_OF, 10), &[], &disputes, &[]);
    let m = auto(&data, AS_OF, 30);
    assert_eq!(m.chargeback_count, 2);
    assert_exact(&m.chargeback_ratio, 2, 10);
}

#[test]
fn payouts_arriving_on_the_first_and_last_day_of_the_window_count() {
    let payouts = [
        payout(
            "po_first",
            midnight(START),
            PayoutStatus::Paid,
            Currency::USD,
        ),
        payout(
            "po_before",
            midnight(START) - 1,
            PayoutStatus::Paid,
            Currency::USD,
        ),
        payout(
            "po_last",
            at(AS_OF, 86_399),
            PayoutStatus::Paid,
            Currency::USD,
        ),
        payout(
            "po_after",
            at(AS_OF, 86_400),
            PayoutStatus::Paid,
            Currency::USD,
        ),
    ];
    let m = auto(&data_of(&[], &payouts, &[], &[]), AS_OF, 30);
    assert_eq!(m.payouts_due, 2);
    assert_eq!(m.payouts_on_time, 2);
    assert_exact(&m.payout_reliability, 1, 1);
}

// ---------------------------------------------------------------------------------------
// §3 Successful charges, revenue, refunds, average
// ---------------------------------------------------------------------------------------

#[test]
fn only_succeeded_and_captured_charges_are_successful() {
    let t = noon_plus(AS_OF, 0);
    let usd = Currency::USD;
    let charges = [
        charge_full("ch_ok", t, 1_000, 100, usd, ChargeStatus::Succeeded, true),
        charge_full("ch_uncap", t, 2_000, 0, usd, ChargeStatus::Succeeded, false),
        charge_full("ch_failed", t, 4_000, 0, usd, ChargeStatus::Failed, true),
        charge_full(
            "ch_pending",
            t,
            8_000,
            300,
            usd,
            ChargeStatus::Pending,
            true,
        ),
        charge_full(
            "ch_failed_unc",
            t,
            16_000,
            0,
            usd,
            ChargeStatus::Failed,
            false,
        ),
    ];
    let m = auto(&charges_only(&charges), AS_OF, 30);
    assert_eq!(m.transaction_count, 1);
    assert_eq!(m.revenue_total.to_string(), "10.00");
    assert_eq!(m.refunded_total.to_string(), "1.00");
    assert_eq!(m.net_revenue.to_string(), "9.00");
    assert_eq!(m.average_transaction_size.unwrap().to_string(), "10.00");
}

#[test]
fn refunds_are_summed_over_successful_charges_in_the_window_only() {
    let t = noon_plus(AS_OF, -3);
    let usd = Currency::USD;
    let charges = [
        charge_full("ch_1", t, 1_000, 0, usd, ChargeStatus::Succeeded, true),
        charge_full("ch_2", t, 2_000, 500, usd, ChargeStatus::Succeeded, true),
        charge_full("ch_3", t, 3_000, 3_000, usd, ChargeStatus::Succeeded, true),
        // Not in S: their refunds do not count.
        charge_full("ch_f", t, 9_000, 999, usd, ChargeStatus::Failed, true),
        charge_full("ch_u", t, 9_000, 777, usd, ChargeStatus::Succeeded, false),
        charge_full(
            "ch_old",
            midnight(START) - 1,
            9_000,
            555,
            usd,
            ChargeStatus::Succeeded,
            true,
        ),
    ];
    let m = auto(&charges_only(&charges), AS_OF, 30);
    assert_eq!(m.transaction_count, 3);
    assert_eq!(
        m.revenue_total.to_string(),
        "60.00",
        "gross, before refunds"
    );
    assert_eq!(m.refunded_total.to_string(), "35.00");
    assert_eq!(m.net_revenue.to_string(), "25.00");
    assert_eq!(m.revenue_total.minor, 6_000);
    assert_eq!(m.refunded_total.minor, 3_500);
    assert_eq!(m.net_revenue.minor, 2_500);
    // Daily revenue is gross too.
    assert_eq!(m.daily_revenue.iter().sum::<i128>(), 6_000);
}

#[test]
fn refunds_are_per_currency_and_window_with_several_currencies() {
    let t = noon_plus(AS_OF, -3);
    let (usd, eur) = (Currency::USD, cur("eur"));
    let ok = ChargeStatus::Succeeded;
    let charges = [
        charge_full("ch_u1", t, 5_000, 1_000, usd, ok, true),
        charge_full("ch_e1", t, 2_000, 700, eur, ok, true),
        // Successful but outside the window, in both currencies.
        charge_full("ch_u_old", midnight(START) - 1, 100, 40, usd, ok, true),
        charge_full("ch_e_new", at(AS_OF, 86_400), 100, 30, eur, ok, true),
        // In the window but not successful.
        charge_full("ch_u_unc", t, 100, 20, usd, ok, false),
    ];
    let data = charges_only(&charges);
    let m = auto(&data, AS_OF, 30);
    assert_eq!(m.currency, usd);
    assert_eq!(m.refunded_total.to_string(), "10.00");
    assert_eq!(m.net_revenue.to_string(), "40.00");
    let m = explicit(&data, AS_OF, 30, eur);
    assert_eq!(m.transaction_count, 1);
    assert_eq!(m.refunded_total.to_string(), "7.00");
    assert_eq!(m.net_revenue.to_string(), "13.00");
}

#[test]
fn fully_refunded_window_has_zero_net_revenue() {
    let usd = Currency::USD;
    let c = charge_full(
        "ch_1",
        noon_plus(AS_OF, 0),
        1_234,
        1_234,
        usd,
        ChargeStatus::Succeeded,
        true,
    );
    let m = auto(&charges_only(&[c]), AS_OF, 30);
    assert_eq!(m.revenue_total.to_string(), "12.34");
    assert_eq!(m.net_revenue.to_string(), "0.00");
}

fn average_of(amounts: &[i64], currency: Currency) -> String {
    let charges: Vec<_> = amounts
        .iter()
        .enumerate()
        .map(|(i, a)| ok_charge(&format!("ch_{i}"), noon_plus(AS_OF, 0), *a, currency))
        .collect();
    let m = auto(&charges_only(&charges), AS_OF, 30);
    assert_eq!(m.transaction_count, amounts.len() as u64);
    m.average_transaction_size.unwrap().to_string()
}

#[test]
fn average_rounds_half_to_even_in_minor_units() {
    let usd = Currency::USD;
    // 2001 / 2 = 1000.5 → 1000 (even), not 1001.
    assert_eq!(average_of(&[1_000, 1_001], usd), "10.00");
    // 2003 / 2 = 1001.5 → 1002 (even).
    assert_eq!(average_of(&[1_001, 1_002], usd), "10.02");
    // 10 / 4 = 2.5 → 2; 14 / 4 = 3.5 → 4.
    assert_eq!(average_of(&[1, 2, 3, 4], usd), "0.02");
    assert_eq!(average_of(&[2, 3, 4, 5], usd), "0.04");
    // Not ties: nearest.
    assert_eq!(average_of(&[1_000, 1_000, 1_001], usd), "10.00"); // 1000.33
    assert_eq!(average_of(&[1_000, 1_001, 1_001], usd), "10.01"); // 1000.67
    assert_eq!(average_of(&[5, 6, 6, 6], usd), "0.06"); // 5.75
    assert_eq!(average_of(&[5, 5, 5, 6], usd), "0.05"); // 5.25
    // Zero-decimal: 203 / 2 = 101.5 yen → 102; 201 / 2 = 100.5 → 100.
    assert_eq!(average_of(&[101, 102], cur("jpy")), "102");
    assert_eq!(average_of(&[100, 101], cur("jpy")), "100");
    // Three decimals: 2469 / 2 = 1234.5 fils → 1234.
    assert_eq!(average_of(&[1_234, 1_235], cur("kwd")), "1.234");
}

#[test]
fn average_is_null_without_successful_charges() {
    let failed = charge_full(
        "ch_f",
        noon_plus(AS_OF, 0),
        500,
        0,
        Currency::USD,
        ChargeStatus::Failed,
        true,
    );
    let m = auto(&charges_only(&[failed]), AS_OF, 30);
    assert_eq!(m.transaction_count, 0);
    assert_eq!(m.average_transaction_size, None);
    assert_eq!(json(&m)["average_transaction_size"], json!(null));
}

#[test]
fn money_strings_use_the_currency_decimals() {
    let t = noon_plus(AS_OF, 0);
    // Zero-decimal.
    let jpy = cur("JPY");
    let charges = [
        charge_full("ch_1", t, 1_000, 250, jpy, ChargeStatus::Succeeded, true),
        charge_full("ch_2", t, 500, 0, jpy, ChargeStatus::Succeeded, true),
    ];
    let v = json(&auto(&charges_only(&charges), AS_OF, 30));
    assert_eq!(v["revenue_total"], json!("1500"));
    assert_eq!(v["refunded_total"], json!("250"));
    assert_eq!(v["net_revenue"], json!("1250"));
    assert_eq!(v["average_transaction_size"], json!("750"));
    // Three decimals.
    let kwd = cur("kwd");
    let charges = [
        charge_full("ch_1", t, 1_234, 5, kwd, ChargeStatus::Succeeded, true),
        charge_full("ch_2", t, 1_000, 0, kwd, ChargeStatus::Succeeded, true),
    ];
    let v = json(&auto(&charges_only(&charges), AS_OF, 30));
    assert_eq!(v["revenue_total"], json!("2.234"));
    assert_eq!(v["refunded_total"], json!("0.005"));
    assert_eq!(v["net_revenue"], json!("2.229"));
    assert_eq!(v["average_transaction_size"], json!("1.117"));
    let one = [ok_charge("ch_1", t, 1_234, kwd)];
    assert_eq!(
        json(&auto(&charges_only(&one), AS_OF, 30))["revenue_total"],
        json!("1.234")
    );
    // Two decimals, including leading zeros of the fraction.
    let one = [ok_charge("ch_1", t, 5, cur("eur"))];
    let v = json(&auto(&charges_only(&one), AS_OF, 30));
    assert_eq!(v["revenue_total"], json!("0.05"));
    assert_eq!(v["refunded_total"], json!("0.00"));
    // Every zero-decimal and three-decimal currency of the spec.
    for code in [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
        "xaf", "xof", "xpf",
    ] {
        let m = explicit(&PaymentData::new(), AS_OF, 30, cur(code));
        assert_eq!(m.revenue_total.to_string(), "0", "{code}");
    }
    for code in ["bhd", "jod", "kwd", "omr", "tnd"] {
        let m = explicit(&PaymentData::new(), AS_OF, 30, cur(code));
        assert_eq!(m.revenue_total.to_string(), "0.000", "{code}");
    }
    for code in ["usd", "eur", "gbp", "huf", "isk", "inr"] {
        let m = explicit(&PaymentData::new(), AS_OF, 30, cur(code));
        assert_eq!(m.revenue_total.to_string(), "0.00", "{code}");
    }
}

#[test]
fn large_sums_stay_exact() {
    // 3 × (2^40 − 1) minor units: beyond f64's exact integers once summed over many.
    let big = (1_i64 << 40) - 1;
    let charges: Vec<_> = (0..3)
        .map(|i| ok_charge(&format!("ch_{i}"), noon_plus(AS_OF, -i), big, Currency::USD))
        .collect();
    let m = auto(&charges_only(&charges), AS_OF, 30);
    assert_eq!(m.revenue_total.minor, 3 * i128::from(big));
    assert_eq!(m.revenue_total.to_string(), "32985348833.25");
    assert_eq!(
        m.average_transaction_size.unwrap().to_string(),
        "10995116277.75"
    );
}

// ---------------------------------------------------------------------------------------
// §3 Revenue growth and trend; odd windows
// ---------------------------------------------------------------------------------------

/// Metrics of a 30-day USD window with `r1` on its first day and `r2` on its last day.
fn halves(r1: i64, r2: i64) -> vaultra_core::metrics::Metrics {
    let mut amounts = vec![0; 30];
    amounts[0] = r1;
    amounts[29] = r2;
    auto(&charges_only(&daily_usd(AS_OF, &amounts)), AS_OF, 30)
}

#[test]
fn halves_are_the_first_and_last_floor_n_over_2_days() {
    // Even N: day 14 belongs to the first half and day 15 to the second.
    let mut amounts = vec![0; 30];
    amounts[14] = 100;
    amounts[15] = 106;
    let m = auto(&charges_only(&daily_usd(AS_OF, &amounts)), AS_OF, 30);
    assert_eq!(m.first_half_revenue(), 100);
    assert_eq!(m.second_half_revenue(), 106);
    assert_exact(&m.revenue_growth, 6, 100);
    assert_eq!(m.revenue_trend, Trend::Increasing);
}

#[test]
fn growth_of_exactly_plus_5_percent_is_flat() {
    let m = halves(100, 105);
    assert_exact(&m.revenue_growth, 1, 20);
    assert_eq!(m.revenue_trend, Trend::Flat);
    assert_eq!(json(&m)["revenue_growth"], json!(0.05));
    assert_eq!(json(&m)["revenue_trend"], json!("flat"));
    assert_eq!(points(&m, "revenue_trend"), 0);
}

#[test]
fn growth_just_above_plus_5_percent_is_increasing() {
    let m = halves(100, 106);
    assert_exact(&m.revenue_growth, 6, 100);
    assert_eq!(m.revenue_trend, Trend::Increasing);
    assert_eq!(json(&m)["revenue_growth"], json!(0.06));
    assert_eq!(json(&m)["revenue_trend"], json!("increasing"));
    assert_eq!(points(&m, "revenue_trend"), 10);
    // 0.05001 shows as 0.05 but is above the threshold.
    let m = halves(100_000, 105_001);
    assert_exact(&m.revenue_growth, 5_001, 100_000);
    assert_eq!(json(&m)["revenue_growth"], json!(0.05));
    assert_eq!(m.revenue_trend, Trend::Increasing);
    assert_eq!(points(&m, "revenue_trend"), 10);
}

#[test]
fn growth_of_exactly_minus_5_percent_is_flat() {
    let m = halves(100, 95);
    assert_exact(&m.revenue_growth, -1, 20);
    assert_eq!(m.revenue_trend, Trend::Flat);
    assert_eq!(json(&m)["revenue_growth"], json!(-0.05));
    assert_eq!(points(&m, "revenue_trend"), 0);
}

#[test]
fn growth_just_below_minus_5_percent_is_declining() {
    let m = halves(100, 94);
    assert_exact(&m.revenue_growth, -6, 100);
    assert_eq!(m.revenue_trend, Trend::Declining);
    assert_eq!(json(&m)["revenue_growth"], json!(-0.06));
    assert_eq!(json(&m)["revenue_trend"], json!("declining"));
    assert_eq!(points(&m, "revenue_trend"), -5);
    // −0.05001 shows as −0.05 but is below the threshold.
    let m = halves(100_000, 94_999);
    assert_eq!(json(&m)["revenue_growth"], json!(-0.05));
    assert_eq!(m.revenue_trend, Trend::Declining);
    // Revenue vanishing: −100 %.
    let m = halves(100, 0);
    assert_exact(&m.revenue_growth, -1, 1);
    assert_eq!(json(&m)["revenue_growth"], json!(-1.0));
    assert_eq!(m.revenue_trend, Trend::Declining);
}

#[test]
fn revenue_from_nothing_is_increasing_with_null_growth() {
    let m = halves(0, 1);
    assert_eq!(m.first_half_revenue(), 0);
    assert_eq!(m.second_half_revenue(), 1);
    assert_eq!(m.revenue_growth, None);
    assert_eq!(m.revenue_trend, Trend::Increasing);
    assert_eq!(json(&m)["revenue_growth"], json!(null));
    assert_eq!(json(&m)["revenue_trend"], json!("increasing"));
    assert_eq!(points(&m, "revenue_trend"), 10);
}

#[test]
fn no_revenue_is_flat_with_null_growth() {
    let m = halves(0, 0);
    assert_eq!(m.revenue_growth, None);
    assert_eq!(m.revenue_trend, Trend::Flat);
    assert_eq!(points(&m, "revenue_trend"), 0);
}

#[test]
fn large_growth_is_reported_exactly() {
    let m = halves(3, 10);
    assert_exact(&m.revenue_growth, 7, 3);
    assert_eq!(json(&m)["revenue_growth"], json!(2.3333));
}

#[test]
fn odd_window_of_3_days_leaves_the_middle_day_out_of_both_halves() {
    // Days: 11-26 (first half), 11-27 (middle), 11-28 (second half).
    let only_middle = auto(&charges_only(&daily_usd(AS_OF, &[0, 500, 0])), AS_OF, 3);
    assert_eq!(only_middle.daily_revenue, vec![0, 500, 0]);
    assert_eq!(only_middle.revenue_total.to_string(), "5.00");
    assert_eq!(only_middle.first_half_revenue(), 0);
    assert_eq!(only_middle.second_half_revenue(), 0);
    assert_eq!(only_middle.revenue_growth, None);
    assert_eq!(only_middle.revenue_trend, Trend::Flat);
    // The middle day still counts for volatility: r = (0, x, 0) gives sqrt(2).
    assert_exact_sqrt(&only_middle.revenue_volatility, 2, 1);

    let a = auto(
        &charges_only(&daily_usd(AS_OF, &[100, 1_000_000, 106])),
        AS_OF,
        3,
    );
    let b = auto(&charges_only(&daily_usd(AS_OF, &[100, 0, 106])), AS_OF, 3);
    for m in [&a, &b] {
        assert_eq!(m.first_half_revenue(), 100);
        assert_eq!(m.second_half_revenue(), 106);
        assert_exact(&m.revenue_growth, 6, 100);
        assert_eq!(m.revenue_trend, Trend::Increasing);
    }
}

#[test]
fn odd_window_of_31_days_has_halves_of_15_days() {
    // Index 14 is the last day of the first half, 15 the middle, 16 the first of the second.
    let mut amounts = vec![0; 31];
    amounts[14] = 100;
    amounts[15] = 1_000_000;
    amounts[16] = 94;
    let m = auto(&charges_only(&daily_usd(AS_OF, &amounts)), AS_OF, 31);
    assert_eq!(m.window.start_date(), date("2026-10-29"));
    assert_eq!(m.daily_revenue[15], 1_000_000);
    assert_eq!(m.first_half_revenue(), 100);
    assert_eq!(m.second_half_revenue(), 94);
    assert_exact(&m.revenue_growth, -6, 100);
    assert_eq!(m.revenue_trend, Trend::Declining);

    // Every day but the middle one: equal halves, flat.
    let mut amounts = vec![100; 31];
    amounts[15] = 0;
    let m = auto(&charges_only(&daily_usd(AS_OF, &amounts)), AS_OF, 31);
    assert_eq!(m.first_half_revenue(), 1_500);
    assert_eq!(m.second_half_revenue(), 1_500);
    assert_exact(&m.revenue_growth, 0, 1);
    assert_eq!(json(&m)["revenue_growth"], json!(0.0));
    assert_eq!(m.revenue_trend, Trend::Flat);
}

#[test]
fn window_of_2_days_compares_the_two_days() {
    let m = auto(&charges_only(&daily_usd(AS_OF, &[20, 21])), AS_OF, 2);
    assert_exact(&m.revenue_growth, 1, 20);
    assert_eq!(m.revenue_trend, Trend::Flat);
    let m = auto(&charges_only(&daily_usd(AS_OF, &[20, 22])), AS_OF, 2);
    assert_eq!(m.revenue_trend, Trend::Increasing);
}

// ---------------------------------------------------------------------------------------
// §3 Revenue volatility
// ---------------------------------------------------------------------------------------

fn two_days(a: i64, b: i64) -> vaultra_core::metrics::Metrics {
    auto(&charges_only(&daily_usd(AS_OF, &[a, b])), AS_OF, 2)
}

#[test]
fn volatility_is_population_std_over_mean() {
    // r = (0, 0, 0, 400): mean 100, population std sqrt(30000): cv = sqrt(3).
    let m = auto(&charges_only(&daily_usd(AS_OF, &[0, 0, 0, 400])), AS_OF, 4);
    assert_exact_sqrt(&m.revenue_volatility, 3, 1);
    assert_eq!(json(&m)["revenue_volatility"], json!(1.7321));
    // r = (1, 3) over 2 days: mean 2, std 1: cv = 0.5.
    let m = two_days(1, 3);
    assert_exact(&m.revenue_volatility, 1, 2);
    // Constant revenue: 0.
    let m = auto(&charges_only(&daily_usd(AS_OF, &[7; 30])), AS_OF, 30);
    assert_exact(&m.revenue_volatility, 0, 1);
    assert_eq!(json(&m)["revenue_volatility"], json!(0.0));
    assert_eq!(points(&m, "revenue_volatility"), 5);
}

#[test]
fn volatility_of_exactly_0_5_scores_0() {
    // N = 2, r = (300, 100): cv = |a − b| / (a + b) = 0.5; 4(N·Σr² − (Σr)²) = (Σr)².
    let m = two_days(300, 100);
    assert_exact(&m.revenue_volatility, 1, 2);
    assert_eq!(json(&m)["revenue_volatility"], json!(0.5));
    assert_eq!(points(&m, "revenue_volatility"), 0);
    // N = 30 with 24 equal days: cv = sqrt((N − k) / k) = sqrt(6/24) = 0.5.
    let mut amounts = vec![250; 30];
    amounts[..6].fill(0);
    let m = auto(&charges_only(&daily_usd(AS_OF, &amounts)), AS_OF, 30);
    assert_exact(&m.revenue_volatility, 1, 2);
    assert_eq!(points(&m, "revenue_volatility"), 0);
}

#[test]
fn volatility_just_above_0_5_scores_minus_10() {
    let m = two_days(301, 99);
    assert_exact(&m.revenue_volatility, 202, 400);
    assert_eq!(points(&m, "revenue_volatility"), -10);
    // 0.500001 is shown as 0.5 but is above the threshold.
    let m = two_days(1_500_001, 499_999);
    assert_exact(&m.revenue_volatility, 1_000_002, 2_000_000);
    assert_eq!(json(&m)["revenue_volatility"], json!(0.5));
    assert_eq!(points(&m, "revenue_volatility"), -10);
    // N = 30 with 23 equal days: sqrt(7/23) ≈ 0.5517.
    let mut amounts = vec![250; 30];
    amounts[..7].fill(0);
    let m = auto(&charges_only(&daily_usd(AS_OF, &amounts)), AS_OF, 30);
    assert_exact_sqrt(&m.revenue_volatility, 7 * 23, 23);
    assert_eq!(points(&m, "revenue_volatility"), -10);
}

#[test]
fn volatility_just_below_0_5_scores_0() {
    let m = two_days(299, 101);
    assert_exact(&m.revenue_volatility, 198, 400);
    assert_eq!(points(&m, "revenue_volatility"), 0);
}

#[test]
fn volatility_of_exactly_0_2_scores_0() {
    // N = 2, r = (300, 200): cv = 100 / 500 = 0.2.
    let m = two_days(300, 200);
    assert_exact(&m.revenue_volatility, 1, 5);
    assert_eq!(json(&m)["revenue_volatility"], json!(0.2));
    assert_eq!(points(&m, "revenue_volatility"), 0);
    // N = 26 with 25 equal days: sqrt(1/25) = 0.2.
    let mut amounts = vec![40; 26];
    amounts[0] = 0;
    let m = auto(&charges_only(&daily_usd(AS_OF, &amounts)), AS_OF, 26);
    assert_exact(&m.revenue_volatility, 1, 5);
    assert_eq!(points(&m, "revenue_volatility"), 0);
}

#[test]
fn volatility_just_below_0_2_scores_plus_5() {
    let m = two_days(1_199_999, 800_001);
    assert_exact(&m.revenue_volatility, 399_998, 2_000_000);
    assert_eq!(json(&m)["revenue_volatility"], json!(0.2));
    assert_eq!(points(&m, "revenue_volatility"), 5);
    // N = 27 with 26 equal days: sqrt(1/26) ≈ 0.196.
    let mut amounts = vec![40; 27];
    amounts[0] = 0;
    let m = auto(&charges_only(&daily_usd(AS_OF, &amounts)), AS_OF, 27);
    assert_exact_sqrt(&m.revenue_volatility, 26, 26);
    assert_eq!(points(&m, "revenue_volatility"), 5);
}

#[test]
fn volatility_just_above_0_2_scores_0() {
    let m = two_days(301, 199);
    assert_exact(&m.revenue_volatility, 102, 500);
    assert_eq!(points(&m, "revenue_volatility"), 0);
}

#[test]
fn volatility_is_null_without_revenue() {
    let failed = charge_full(
        "ch_f",
        noon_plus(AS_OF, 0),
        500,
        0,
        Currency::USD,
        ChargeStatus::Failed,
        true,
    );
    let m = auto(&charges_only(&[failed]), AS_OF, 30);
    assert_eq!(m.revenue_volatility, None);
    assert_eq!(json(&m)["revenue_volatility"], json!(null));
    assert_eq!(points(&m, "revenue_volatility"), 0);
    // Zero-amount successful charges: Σr = 0, still undefined.
    let zero = ok_charge("ch_0", noon_plus(AS_OF, 0), 0, Currency::USD);
    let m = auto(&charges_only(&[zero]), AS_OF, 30);
    assert_eq!(m.transaction_count, 1);
    assert_eq!(m.revenue_volatility, None);
}

#[test]
fn volatility_counts_days_without_charges_as_zero() {
    // One charge in a 30-day window: r has 29 zeros: cv = sqrt(29).
    let c = ok_charge("ch_1", noon_plus(AS_OF, -10), 12_345, Currency::USD);
    let m = auto(&charges_only(&[c]), AS_OF, 30);
    assert_exact_sqrt(&m.revenue_volatility, 29, 1);
    assert_eq!(json(&m)["revenue_volatility"], json!(5.3852));
}

// ---------------------------------------------------------------------------------------
// §3 Chargebacks
// ---------------------------------------------------------------------------------------

fn with_chargebacks(charges: usize, chargebacks: usize) -> vaultra_core::metrics::Metrics {
    let disputes: Vec<_> = (0..chargebacks)
        .map(|i| {
            dispute(
                &format!("dp_{i}"),
                &format!("ch_c{i}"),
                noon_plus(AS_OF, -1),
                "needs_response",
                Currency::USD,
            )
        })
        .collect();
    let data = data_of(&many_usd("c", AS_OF, charges), &[], &disputes, &[]);
    auto(&data, AS_OF, 30)
}

#[test]
fn chargeback_ratio_of_exactly_2_percent_scores_0() {
    let m = with_chargebacks(50, 1);
    assert_eq!(m.chargeback_count, 1);
    assert_eq!(m.transaction_count, 50);
    assert_exact(&m.chargeback_ratio, 1, 50);
    assert_eq!(json(&m)["chargeback_ratio"], json!(0.02));
    assert_eq!(points(&m, "chargeback_ratio"), 0);
}

#[test]
fn chargeback_ratio_just_above_2_percent_scores_minus_15() {
    let m = with_chargebacks(49, 1);
    assert_exact(&m.chargeback_ratio, 1, 49);
    assert_eq!(json(&m)["chargeback_ratio"], json!(0.0204));
    assert_eq!(points(&m, "chargeback_ratio"), -15);
    let m = with_chargebacks(100, 3);
    assert_eq!(points(&m, "chargeback_ratio"), -15);
}

#[test]
fn chargeback_ratio_rounding_to_2_percent_but_above_it_scores_minus_15() {
    // 1001 / 50000 = 0.02002: shown as 0.02, compared exactly.
    let m = with_chargebacks(50_000, 1_001);
    assert_exact(&m.chargeback_ratio, 1_001, 50_000);
    assert_eq!(json(&m)["chargeback_ratio"], json!(0.02));
    assert_eq!(points(&m, "chargeback_ratio"), -15);
}

#[test]
fn chargeback_ratio_of_exactly_half_a_percent_scores_0() {
    let m = with_chargebacks(200, 1);
    assert_exact(&m.chargeback_ratio, 1, 200);
    assert_eq!(json(&m)["chargeback_ratio"], json!(0.005));
    assert_eq!(points(&m, "chargeback_ratio"), 0);
}

#[test]
fn chargeback_ratio_just_below_half_a_percent_scores_plus_5() {
    // 1/201 = 0.004975… is shown as 0.005 but is below the threshold.
    let m = with_chargebacks(201, 1);
    assert_exact(&m.chargeback_ratio, 1, 201);
    assert_eq!(json(&m)["chargeback_ratio"], json!(0.005));
    assert_eq!(points(&m, "chargeback_ratio"), 5);
    let m = with_chargebacks(10, 0);
    assert_exact(&m.chargeback_ratio, 0, 1);
    assert_eq!(json(&m)["chargeback_ratio"], json!(0.0));
    assert_eq!(points(&m, "chargeback_ratio"), 5);
}

#[test]
fn chargeback_ratio_just_above_half_a_percent_scores_0() {
    let m = with_chargebacks(199, 1);
    assert_exact(&m.chargeback_ratio, 1, 199);
    assert_eq!(points(&m, "chargeback_ratio"), 0);
}

#[test]
fn inquiries_are_not_chargebacks() {
    let statuses_counted = [
        "needs_response",
        "under_review",
        "won",
        "lost",
        "charge_refunded",
    ];
    let inquiries = [
        "warning_needs_response",
        "warning_under_review",
        "warning_closed",
    ];
    let disputes: Vec<_> = statuses_counted
        .iter()
        .chain(&inquiries)
        .enumerate()
        .map(|(i, s)| {
            dispute(
                &format!("dp_{i}"),
                "ch_c0",
                noon_plus(AS_OF, 0),
                s,
                Currency::USD,
            )
        })
        .collect();
    let data = data_of(&many_usd("c", AS_OF, 100), &[], &disputes, &[]);
    let m = auto(&data, AS_OF, 30);
    assert_eq!(m.chargeback_count, 5);
    assert_exact(&m.chargeback_ratio, 5, 100);

    let only_inquiries: Vec<_> = disputes[5..].to_vec();
    let data = data_of(&many_usd("c", AS_OF, 100), &[], &only_inquiries, &[]);
    let m = auto(&data, AS_OF, 30);
    assert_eq!(m.chargeback_count, 0);
    assert_exact(&m.chargeback_ratio, 0, 1);
}

#[test]
fn chargebacks_count_by_their_own_date_not_their_charge_date() {
    // The disputed charge was made 100 days before the window: the chargeback still counts.
    let old = ok_charge("ch_old", noon_plus(START, -100), 5_000, Currency::USD);
    let mut charges = many_usd("c", AS_OF, 10);
    charges.push(old);
    let in_window = dispute(
        "dp_1",
        "ch_old",
        noon_plus(AS_OF, -2),
        "lost",
        Currency::USD,
    );
    // A dispute created before the window about a charge inside it does not count.
    let before = dispute("dp_2", "ch_c0", midnight(START) - 1, "lost", Currency::USD);
    // Nor one created after as_of.
    let after = dispute("dp_3", "ch_c1", at(AS_OF, 86_400), "lost", Currency::USD);
    // A dispute about a charge that is nowhere in the data still counts.
    let unknown = dispute("dp_4", "ch_gone", noon_plus(AS_OF, 0), "won", Currency::USD);
    let data = data_of(&charges, &[], &[in_window, before, after, unknown], &[]);
    let m = auto(&data, AS_OF, 30);
    assert_eq!(m.transaction_count, 10, "the old charge is not in S");
    assert_eq!(m.chargeback_count, 2);
    assert_exact(&m.chargeback_ratio, 2, 10);
}

#[test]
fn chargeback_ratio_is_null_without_successful_charges() {
    let d = dispute("dp_1", "ch_x", noon_plus(AS_OF, 0), "lost", Currency::USD);
    let m = auto(&data_of(&[], &[], &[d], &[]), AS_OF, 30);
    assert_eq!(m.chargeback_count, 1);
    assert_eq!(m.chargeback_ratio, None);
    assert_eq!(json(&m)["chargeback_count"], json!(1));
    assert_eq!(json(&m)["chargeback_ratio"], json!(null));
    assert_eq!(points(&m, "chargeback_ratio"), 0);
}

// ---------------------------------------------------------------------------------------
// §3 Payouts
// ---------------------------------------------------------------------------------------

/// `on_time` payouts paid on their arrival day and `late` ones paid two days after,
/// all arriving 5 days before AS_OF.
fn with_payouts(on_time: usize, late: usize) -> vaultra_core::metrics::Metrics {
    let arrival = midnight("2026-11-23");
    let mut payouts = Vec::new();
    let mut events = Vec::new();
    for i in 0..on_time + late {
        let id = format!("po_{i}");
        payouts.push(payout(&id, arrival, PayoutStatus::Paid, Currency::USD));
        let paid_at = if i < on_time {
            arrival + 3_600
        } else {
            arrival + 2 * SECONDS_PER_DAY
        };
        events.push(paid_event(&format!("evt_{i}"), &id, paid_at));
    }
    auto(&data_of(&[], &payouts, &[], &events), AS_OF, 30)
}

#[test]
fn payout_reliability_of_exactly_95_percent_scores_0() {
    let m = with_payouts(19, 1);
    assert_eq!(m.payouts_due, 20);
    assert_eq!(m.payouts_on_time, 19);
    assert_exact(&m.payout_reliability, 19, 20);
    assert_eq!(json(&m)["payout_reliability"], json!(0.95));
    assert_eq!(points(&m, "payout_reliability"), 0);
}

#[test]
fn payout_reliability_just_above_95_percent_scores_plus_10() {
    let m = with_payouts(20, 1);
    assert_exact(&m.payout_reliability, 20, 21);
    assert_eq!(json(&m)["payout_reliability"], json!(0.9524));
    assert_eq!(points(&m, "payout_reliability"), 10);
    let m = with_payouts(3, 0);
    assert_exact(&m.payout_reliability, 1, 1);
    assert_eq!(json(&m)["payout_reliability"], json!(1.0));
    assert_eq!(points(&m, "payout_reliability"), 10);
}

#[test]
fn payout_reliability_just_below_95_percent_scores_0() {
    let m = with_payouts(18, 1);
    assert_exact(&m.payout_reliability, 18, 19);
    assert_eq!(points(&m, "payout_reliability"), 0);
}

#[test]
fn payout_reliability_of_exactly_80_percent_scores_0() {
    let m = with_payouts(4, 1);
    assert_exact(&m.payout_reliability, 4, 5);
    assert_eq!(json(&m)["payout_reliability"], json!(0.8));
    assert_eq!(points(&m, "payout_reliability"), 0);
}

#[test]
fn payout_reliability_just_below_80_percent_scores_minus_10() {
    let m = with_payouts(3, 1);
    assert_exact(&m.payout_reliability, 3, 4);
    assert_eq!(json(&m)["payout_reliability"], json!(0.75));
    assert_eq!(points(&m, "payout_reliability"), -10);
    let m = with_payouts(0, 2);
    assert_exact(&m.payout_reliability, 0, 1);
    assert_eq!(points(&m, "payout_reliability"), -10);
}

#[test]
fn payout_reliability_just_above_80_percent_scores_0() {
    let m = with_payouts(81, 19);
    assert_exact(&m.payout_reliability, 81, 100);
    assert_eq!(points(&m, "payout_reliability"), 0);
}

#[test]
fn payout_reliability_is_null_when_nothing_is_due() {
    let m = with_payouts(0, 0);
    assert_eq!(m.payouts_due, 0);
    assert_eq!(m.payout_reliability, None);
    assert_eq!(json(&m)["payout_reliability"], json!(null));
    assert_eq!(points(&m, "payout_reliability"), 0);
}

#[test]
fn payout_statuses_decide_what_is_due() {
    let usd = Currency::USD;
    let past = midnight("2026-11-20");
    let today = at(AS_OF, 3_600);
    let payouts = [
        // Due and on time.
        payout("po_paid", past, PayoutStatus::Paid, usd),
        payout("po_paid_today", today, PayoutStatus::Paid, usd),
        // Due, never on time.
        payout("po_failed", past, PayoutStatus::Failed, usd),
        payout("po_failed_today", today, PayoutStatus::Failed, usd),
        payout("po_pending_overdue", past, PayoutStatus::Pending, usd),
        payout("po_transit_overdue", past, PayoutStatus::InTransit, usd),
        // Overdue by one day only: arrival the day before as_of.
        payout(
            "po_transit_yesterday",
            at("2026-11-27", 86_399),
            PayoutStatus::InTransit,
            usd,
        ),
        // Not due.
        payout("po_pending_today", today, PayoutStatus::Pending, usd),
        payout("po_transit_today", today, PayoutStatus::InTransit, usd),
        payout("po_canceled", past, PayoutStatus::Canceled, usd),
        payout("po_canceled_today", today, PayoutStatus::Canceled, usd),
        payout(
            "po_pending_future",
            midnight("2026-12-02"),
            PayoutStatus::Pending,
            usd,
        ),
        payout(
            "po_paid_before_window",
            midnight(START) - 1,
            PayoutStatus::Paid,
            usd,
        ),
    ];
    // A payout.paid event for a failed payout does not make it on time.
    let events = [paid_event("evt_f", "po_failed", past + 60)];
    let m = auto(&data_of(&[], &payouts, &[], &events), AS_OF, 30);
    assert_eq!(m.payouts_due, 7);
    assert_eq!(m.payouts_on_time, 2);
    assert_exact(&m.payout_reliability, 2, 7);
    assert_eq!(json(&m)["payout_reliability"], json!(0.2857));
}

#[test]
fn canceled_payouts_never_count() {
    let usd = Currency::USD;
    let past = midnight("2026-11-20");
    let mut payouts: Vec<_> = (0..5)
        .map(|i| payout(&format!("po_c{i}"), past, PayoutStatus::Canceled, usd))
        .collect();
    let events = [paid_event("evt_c0", "po_c0", past)];
    let m = auto(&data_of(&[], &payouts, &[], &events), AS_OF, 30);
    assert_eq!(m.payouts_due, 0);
    assert_eq!(m.payout_reliability, None);
    payouts.push(payout("po_p", past, PayoutStatus::Paid, usd));
    let m = auto(&data_of(&[], &payouts, &[], &events), AS_OF, 30);
    assert_eq!(m.payouts_due, 1);
    assert_eq!(m.payouts_on_time, 1);
}

/// Reliability of one paid payout arriving on 2026-11-20 with `paid_at` events.
fn one_paid(events_at: &[i64]) -> (u64, u64) {
    let p = payout(
        "po_1",
        midnight("2026-11-20"),
        PayoutStatus::Paid,
        Currency::USD,
    );
    let events: Vec<_> = events_at
        .iter()
        .enumerate()
        .map(|(i, t)| paid_event(&format!("evt_{i}"), "po_1", *t))
        .collect();
    let m = auto(&data_of(&[], &[p], &[], &events), AS_OF, 30);
    (m.payouts_due, m.payouts_on_time)
}

#[test]
fn paid_up_to_the_day_after_arrival_is_on_time() {
    // Unknown paid_at: on time.
    assert_eq!(one_paid(&[]), (1, 1));
    // Same day, the next day up to its last second: on time.
    assert_eq!(one_paid(&[at("2026-11-20", 0)]), (1, 1));
    assert_eq!(one_paid(&[at("2026-11-21", 0)]), (1, 1));
    assert_eq!(one_paid(&[at("2026-11-21", 86_399)]), (1, 1));
    // Paid before the arrival date: on time.
    assert_eq!(one_paid(&[at("2026-11-18", 0)]), (1, 1));
    // Two days late, from the first second of that day: not on time.
    assert_eq!(one_paid(&[at("2026-11-22", 0)]), (1, 0));
    assert_eq!(one_paid(&[at("2026-11-25", 0)]), (1, 0));
    // Paid after as_of (the event came later): still judged by its day.
    assert_eq!(one_paid(&[at("2026-12-05", 0)]), (1, 0));
}

#[test]
fn the_latest_payout_paid_event_wins() {
    let early = at("2026-11-20", 100);
    let late = at("2026-11-22", 100);
    assert_eq!(one_paid(&[early, late]), (1, 0));
    assert_eq!(one_paid(&[late, early]), (1, 0));
    let on_time = at("2026-11-21", 100);
    assert_eq!(one_paid(&[at("2026-11-19", 0), on_time]), (1, 1));
    assert_eq!(one_paid(&[on_time, at("2026-11-19", 0)]), (1, 1));
}

#[test]
fn the_arrival_day_is_the_utc_day_of_arrival_date() {
    // Arrival late in the day: the day after is still within one day.
    let arrival = at("2026-11-20", 86_399);
    let p = payout("po_1", arrival, PayoutStatus::Paid, Currency::USD);
    let ok = [paid_event("evt_1", "po_1", at("2026-11-21", 86_399))];
    let m = auto(&data_of(&[], std::slice::from_ref(&p), &[], &ok), AS_OF, 30);
    assert_eq!((m.payouts_due, m.payouts_on_time), (1, 1));
    let late = [paid_event("evt_1", "po_1", at("2026-11-22", 0))];
    let m = auto(&data_of(&[], &[p], &[], &late), AS_OF, 30);
    assert_eq!((m.payouts_due, m.payouts_on_time), (1, 0));
}

#[test]
fn payout_reliability_rounds_half_to_even_in_json() {
    // 1/32 = 0.03125 → 0.0312 (half-to-even; half-up would give 0.0313).
    let m = with_payouts(1, 31);
    assert_exact(&m.payout_reliability, 1, 32);
    assert_eq!(json(&m)["payout_reliability"], json!(0.0312));
    // 3/32 = 0.09375 → 0.0938.
    let m = with_payouts(3, 29);
    assert_eq!(json(&m)["payout_reliability"], json!(0.0938));
    // 2/3 → 0.6667, 1/3 → 0.3333.
    assert_eq!(
        json(&with_payouts(2, 1))["payout_reliability"],
        json!(0.6667)
    );
    assert_eq!(
        json(&with_payouts(1, 2))["payout_reliability"],
        json!(0.3333)
    );
}

// ---------------------------------------------------------------------------------------
// §2 Reporting currency
// ---------------------------------------------------------------------------------------

#[test]
fn auto_currency_is_the_largest_successful_volume_in_the_window() {
    let eur = cur("eur");
    let t = noon_plus(AS_OF, -1);
    let charges = [
        ok_charge("ch_u1", t, 10_000, Currency::USD),
        ok_charge("ch_e1", t, 5_000, eur),
        ok_charge("ch_e2", t, 4_000, eur),
        // Outside the window: ignored for the choice.
        ok_charge("ch_e_old", midnight(START) - 1, 1_000_000, eur),
        ok_charge("ch_e_new", at(AS_OF, 86_400), 1_000_000, eur),
        // Not successful: ignored for the choice.
        charge_full("ch_e_f", t, 1_000_000, 0, eur, ChargeStatus::Failed, true),
        charge_full(
            "ch_e_u",
            t,
            1_000_000,
            0,
            eur,
            ChargeStatus::Succeeded,
            false,
        ),
    ];
    let m = auto(&charges_only(&charges), AS_OF, 30);
    assert_eq!(m.currency, Currency::USD);
    assert_eq!(m.revenue_total.to_string(), "100.00");
    assert_eq!(m.transaction_count, 1);

    // One more euro cent in the window tips it.
    let mut more = charges.to_vec();
    more.push(ok_charge("ch_e3", t, 1_001, eur));
    let m = auto(&charges_only(&more), AS_OF, 30);
    assert_eq!(m.currency, eur);
    assert_eq!(m.revenue_total.to_string(), "100.01");
    assert_eq!(m.transaction_count, 3);
}

#[test]
fn auto_currency_is_by_volume_not_by_count() {
    let t = noon_plus(AS_OF, 0);
    let mut charges: Vec<_> = (0..10)
        .map(|i| ok_charge(&format!("ch_e{i}"), t, 100, cur("eur")))
        .collect();
    charges.push(ok_charge("ch_g", t, 1_001, cur("gbp")));
    assert_eq!(
        auto(&charges_only(&charges), AS_OF, 30).currency,
        cur("gbp")
    );
}

#[test]
fn auto_currency_ties_go_to_the_alphabetically_first() {
    let t = noon_plus(AS_OF, 0);
    for order in [
        ["usd", "eur", "gbp"],
        ["gbp", "usd", "eur"],
        ["eur", "gbp", "usd"],
    ] {
        let charges: Vec<_> = order
            .iter()
            .map(|c| ok_charge(&format!("ch_{c}"), t, 5_000, cur(c)))
            .collect();
        let m = auto(&charges_only(&charges), AS_OF, 30);
        assert_eq!(m.currency, cur("eur"), "{order:?}");
    }
    // A tie on sums made of different amounts.
    let charges = [
        ok_charge("ch_1", t, 3_000, cur("usd")),
        ok_charge("ch_2", t, 2_000, cur("usd")),
        ok_charge("ch_3", t, 5_000, cur("cad")),
    ];
    assert_eq!(
        auto(&charges_only(&charges), AS_OF, 30).currency,
        cur("cad")
    );
}

#[test]
fn auto_currency_defaults_to_usd_without_successful_charges_in_the_window() {
    let eur = cur("eur");
    let m = auto(&PaymentData::new(), AS_OF, 30);
    assert_eq!(m.currency, Currency::USD);
    assert_eq!(m.revenue_total.to_string(), "0.00");

    // Euro objects everywhere, but no successful euro charge in the window.
    let past = midnight("2026-11-20");
    let data = data_of(
        &[
            ok_charge("ch_old", midnight(START) - 1, 50_000, eur),
            charge_full("ch_f", past, 50_000, 0, eur, ChargeStatus::Failed, true),
        ],
        &[payout("po_1", past, PayoutStatus::Paid, eur)],
        &[dispute("dp_1", "ch_old", past, "lost", eur)],
        &[],
    );
    let m = auto(&data, AS_OF, 30);
    assert_eq!(m.currency, Currency::USD);
    assert_eq!(m.transaction_count, 0);
    assert_eq!(m.payouts_due, 0, "euro payouts are not counted in usd");
    assert_eq!(
        m.chargeback_count, 0,
        "euro disputes are not counted in usd"
    );
}

#[test]
fn explicit_currency_is_used_whatever_the_data_holds() {
    let t = noon_plus(AS_OF, -1);
    let past = midnight("2026-11-20");
    let data = data_of(
        &[
            ok_charge("ch_u", t, 1_000_000, Currency::USD),
            ok_charge("ch_e", t, 700, cur("eur")),
        ],
        &[
            payout("po_u", past, PayoutStatus::Failed, Currency::USD),
            payout("po_e", past, PayoutStatus::Paid, cur("eur")),
        ],
        &[
            dispute("dp_u", "ch_u", t, "lost", Currency::USD),
            dispute("dp_u2", "ch_u", t, "lost", Currency::USD),
        ],
        &[],
    );
    // Given in upper case: written lowercase.
    let m = explicit(&data, AS_OF, 30, cur("EUR"));
    assert_eq!(m.currency, cur("eur"));
    assert_eq!(m.currency.as_str(), "eur");
    assert_eq!(m.transaction_count, 1);
    assert_eq!(m.revenue_total.to_string(), "7.00");
    assert_eq!(m.chargeback_count, 0);
    assert_exact(&m.chargeback_ratio, 0, 1);
    assert_eq!((m.payouts_due, m.payouts_on_time), (1, 1));

    // A currency absent from the data: everything zero, formatted in that currency.
    let m = explicit(&data, AS_OF, 30, cur("Jpy"));
    assert_eq!(m.currency.as_str(), "jpy");
    assert_eq!(m.transaction_count, 0);
    assert_eq!(json(&m)["revenue_total"], json!("0"));
    assert_eq!(m.payouts_due, 0);
    assert_eq!(m.chargeback_count, 0);

    // Through the report options too.
    let options = Options {
        as_of: date(AS_OF),
        window_days: 30,
        currency: Some(cur("eUr")),
    };
    let report =
        vaultra_core::report::assess(&data, &options, &vaultra_core::scoring::Policy::spec_v1())
            .unwrap();
    assert_eq!(report.to_json()["currency"], json!("eur"));
}

#[test]
fn currency_codes_are_accepted_in_any_case_and_written_lowercase() {
    assert_eq!(cur("USD"), Currency::USD);
    assert_eq!(cur("uSd"), Currency::USD);
    assert_eq!(json(&cur("EUR")), json!("eur"));
    let t = noon_plus(AS_OF, 0);
    let charges = [
        ok_charge("ch_1", t, 100, cur("USD")),
        ok_charge("ch_2", t, 200, cur("usd")),
        ok_charge("ch_3", t, 250, cur("EUR")),
    ];
    let m = auto(&charges_only(&charges), AS_OF, 30);
    assert_eq!(m.currency, Currency::USD);
    assert_eq!(m.transaction_count, 2);
    assert_eq!(m.revenue_total.to_string(), "3.00");
}

#[test]
fn other_currencies_are_never_mixed_in() {
    let eur = cur("eur");
    let t = noon_plus(AS_OF, -2);
    let past = midnight("2026-11-20");
    let usd_charges = many_usd("u", AS_OF, 4);
    let mut charges = usd_charges.clone();
    charges.push(charge_full(
        "ch_e",
        t,
        300,
        300,
        eur,
        ChargeStatus::Succeeded,
        true,
    ));
    let data = data_of(
        &charges,
        &[
            payout("po_u", past, PayoutStatus::Paid, Currency::USD),
            payout("po_e1", past, PayoutStatus::Failed, eur),
            payout("po_e2", past, PayoutStatus::Pending, eur),
        ],
        &[
            dispute("dp_e1", "ch_e", t, "lost", eur),
            dispute("dp_e2", "ch_u0", t, "lost", eur),
        ],
        &[],
    );
    let mixed = auto(&data, AS_OF, 30);
    let pure = auto(
        &data_of(
            &usd_charges,
            &[payout("po_u", past, PayoutStatus::Paid, Currency::USD)],
            &[],
            &[],
        ),
        AS_OF,
        30,
    );
    assert_eq!(mixed.currency, Currency::USD);
    assert_eq!(mixed, pure);
    assert_eq!(mixed.transaction_count, 4);
    assert_eq!(mixed.revenue_total.to_string(), "4.00");
    assert_eq!(mixed.refunded_total.to_string(), "0.00");
    assert_eq!(mixed.chargeback_count, 0);
    assert_eq!((mixed.payouts_due, mixed.payouts_on_time), (1, 1));
}

// ---------------------------------------------------------------------------------------
// §3 Ratios in JSON: half-to-even to 4 decimals
// ---------------------------------------------------------------------------------------

#[test]
fn growth_rounds_half_to_even_in_json() {
    // (R2 − R1) / R1 with R1 = 20000.
    let cases = [
        (20_001, json!(0.0)),     // 0.00005 → 0.0000
        (20_003, json!(0.0002)),  // 0.00015 → 0.0002
        (20_005, json!(0.0002)),  // 0.00025 → 0.0002 (half-up: 0.0003)
        (20_007, json!(0.0004)),  // 0.00035 → 0.0004
        (19_995, json!(-0.0002)), // −0.00025 → −0.0002
        (19_997, json!(-0.0002)), // −0.00015 → −0.0002
    ];
    for (r2, expected) in cases {
        let m = halves(20_000, r2);
        assert_eq!(json(&m)["revenue_growth"], expected, "R2 = {r2}");
    }
}

#[test]
fn volatility_rounds_half_to_even_in_json() {
    // N = 2: cv = |a − b| / (a + b) with a + b = 40000.
    let cases = [
        (2, json!(0.0)),     // 0.00005 → 0.0000
        (6, json!(0.0002)),  // 0.00015 → 0.0002
        (10, json!(0.0002)), // 0.00025 → 0.0002
        (14, json!(0.0004)), // 0.00035 → 0.0004
    ];
    for (diff, expected) in cases {
        let m = two_days(20_000 + diff / 2, 20_000 - diff / 2);
        assert_exact(&m.revenue_volatility, diff, 40_000);
        assert_eq!(json(&m)["revenue_volatility"], expected, "diff {diff}");
    }
}

#[test]
fn chargeback_ratio_rounds_half_to_even_in_json() {
    // 1/32 = 0.03125 → 0.0312; 3/32 = 0.09375 → 0.0938; 5/16 = 0.3125 (exact).
    assert_eq!(
        json(&with_chargebacks(32, 1))["chargeback_ratio"],
        json!(0.0312)
    );
    assert_eq!(
        json(&with_chargebacks(32, 3))["chargeback_ratio"],
        json!(0.0938)
    );
    assert_eq!(
        json(&with_chargebacks(16, 5))["chargeback_ratio"],
        json!(0.3125)
    );
    assert_eq!(
        json(&with_chargebacks(3, 2))["chargeback_ratio"],
        json!(0.6667)
    );
    // More chargebacks than charges is possible (old charges): ratio above 1.
    assert_eq!(
        json(&with_chargebacks(3, 4))["chargeback_ratio"],
        json!(1.3333)
    );
}

#[test]
fn metrics_json_has_the_contract_fields_and_formats() {
    let usd = Currency::USD;
    let charges = [
        charge_full(
            "ch_1",
            noon_plus(AS_OF, -20),
            1_000,
            100,
            usd,
            ChargeStatus::Succeeded,
            true,
        ),
        ok_charge("ch_2", noon_plus(AS_OF, -1), 3_001, usd),
    ];
    let data = data_of(
        &charges,
        &[payout(
            "po_1",
            midnight("2026-11-20"),
            PayoutStatus::Paid,
            usd,
        )],
        &[dispute("dp_1", "ch_1", noon_plus(AS_OF, 0), "lost", usd)],
        &[],
    );
    let m = auto(&data, AS_OF, 30);
    assert_eq!(
        json(&m),
        json!({
            "transaction_count": 2,
            "revenue_total": "40.01",
            "refunded_total": "1.00",
            "net_revenue": "39.01",
            "average_transaction_size": "20.00",
            "revenue_volatility": 4.2133,
            "chargeback_count": 1,
            "chargeback_ratio": 0.5,
            "payouts_due": 1,
            "payouts_on_time": 1,
            "payout_reliability": 1.0,
            "revenue_growth": 2.001,
            "revenue_trend": "increasing"
        })
    );
    // Volatility check by hand: r has 1000 and 3001 on two days, 28 zeros:
    // sqrt(30·(1000² + 3001²) − 4001²) / 4001.
    assert_exact_sqrt(
        &m.revenue_volatility,
        30 * (1_000 * 1_000 + 3_001 * 3_001) - 4_001 * 4_001,
        4_001,
    );
}
