//! Scoring a business from inside a Rust application with `vaultra-core` alone.
//!
//! Your app already holds payments (from Stripe webhooks, its own database, ...). Turn
//! them into `Charge`s — or hand Stripe's JSON to `StripeObject` — and ask for a report.
//!
//! Run: `cargo run -p vaultra-examples --bin score-in-rust`

use chrono::NaiveDate;
use vaultra_core::domain::stripe::{Kind, Normalized, StripeObject};
use vaultra_core::domain::{Charge, ChargeStatus, Currency, PaymentData};
use vaultra_core::report::{Options, assess};
use vaultra_core::scoring::{Changes, Indicators, Policy, simulate};

fn main() -> Result<(), vaultra_core::Error> {
    let as_of =
        NaiveDate::from_ymd_opt(2026, 11, 27).ok_or(vaultra_core::Error::invalid_input("date"))?;
    let day = 86_400;
    let start = 1_792_540_800; // 2026-10-21 00:00 UTC

    // 1. Charges your app knows about: five weeks of a café taking ~120 USD a day,
    //    a little more each week.
    let mut data = PaymentData::new();
    for d in 0..37 {
        data.add_charge(&Charge {
            id: format!("ch_{d}"),
            created: start + d * day + 9 * 3_600,
            amount: 11_000 + d * 150,
            amount_refunded: 0,
            currency: Currency::USD,
            status: ChargeStatus::Succeeded,
            captured: true,
        })?;
    }

    // 2. Or Stripe's own JSON, exactly as the API or a webhook delivers it.
    let dispute = r#"{"id": "dp_1", "object": "dispute", "charge": "ch_30", "amount": 15500,
                      "currency": "usd", "created": 1795400000, "status": "needs_response"}"#;
    let object: StripeObject = serde_json::from_str(dispute)
        .map_err(|e| vaultra_core::Error::invalid_input(e.to_string()))?;
    if let Some(Normalized::Dispute(d)) = object.normalize(Kind::Dispute)? {
        data.add_dispute(d);
    }

    // 3. Score it: metrics, readiness, recommendations.
    let policy = Policy::spec_v1();
    let report = assess(&data, &Options::ending(as_of), &policy)?;
    println!("{}", report.to_text());

    // 4. What if the chargeback had been avoided?
    let changes: Changes = serde_json::from_str(r#"{"chargeback_ratio": 0}"#)
        .map_err(|e| vaultra_core::Error::invalid_input(e.to_string()))?;
    let what_if = simulate(&policy, &Indicators::from(&report.metrics), &changes)?;
    println!(
        "Without the chargeback the score would be {} ({:+}).",
        what_if.simulated.score, what_if.score_change
    );
    Ok(())
}
