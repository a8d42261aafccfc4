//! Deterministic synthetic merchants, written in Stripe's wire format.
//!
//! The same [`Config`] (profile, seed, dates, volume) always yields the same objects, to
//! the id, so demos, tests and benchmarks are reproducible. Objects are complete Stripe
//! objects (every field a real API response carries), so they can be served by a fake
//! Stripe API as well as written to export files.

mod json;
mod source;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{Days, NaiveDate};
use vaultra_core::domain::{
    Charge, ChargeStatus, Currency, Dispute, Payout, PayoutPaid, PayoutStatus,
};
use vaultra_core::metrics::{SECONDS_PER_DAY, epoch_day};

pub use json::{charge_json, dispute_json, payout_json, payout_paid_event_json};
pub use source::SynthSource;

/// The shape of a synthetic merchant's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Even daily volume, few chargebacks, payouts on time.
    Steady,
    /// Strong weekly and monthly cycles.
    Seasonal,
    /// Volume rising about 1.5 % a day.
    Growing,
    /// Volume falling about 1.5 % a day.
    Declining,
    /// Steady volume with about 5 % of charges disputed.
    ChargebackHeavy,
    /// Steady volume; a fifth of payouts late and some failing.
    PayoutTroubled,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 6] = [
        Self::Steady,
        Self::Seasonal,
        Self::Growing,
        Self::Declining,
        Self::ChargebackHeavy,
        Self::PayoutTroubled,
    ];

    /// The kebab-case name used on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Steady => "steady",
            Self::Seasonal => "seasonal",
            Self::Growing => "growing",
            Self::Declining => "declining",
            Self::ChargebackHeavy => "chargeback-heavy",
            Self::PayoutTroubled => "payout-troubled",
        }
    }

    /// Parses the kebab-case name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Business shape.
    pub profile: Profile,
    /// Random seed: same seed, same merchant.
    pub seed: u64,
    /// Last day with data (inclusive); the export is taken at the end of this day.
    pub end: NaiveDate,
    /// Days of history.
    pub days: u32,
    /// Mean number of charge attempts per day at the start.
    pub daily_charges: u32,
    /// Typical charge in minor units.
    pub typical_amount: i64,
    /// Currency of everything.
    pub currency: Currency,
}

impl Config {
    /// A merchant of `profile` with 120 days of history ending on `end`.
    pub fn new(profile: Profile, seed: u64, end: NaiveDate) -> Self {
        Self {
            profile,
            seed,
            end,
            days: 120,
            daily_charges: 40,
            typical_amount: 4_500,
            currency: Currency::USD,
        }
    }
}

/// A generated merchant: its objects, in creation order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merchant {
    /// Charge attempts.
    pub charges: Vec<Charge>,
    /// Payouts.
    pub payouts: Vec<Payout>,
    /// Disputes (chargebacks and inquiries).
    pub disputes: Vec<Dispute>,
    /// `payout.paid` events.
    pub events: Vec<PayoutPaid>,
}

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn stripe_id(rng: &mut fastrand::Rng, prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 25);
    id.push_str(prefix);
    id.push('_');
    for _ in 0..24 {
        id.push(ALPHABET[rng.usize(..ALPHABET.len())] as char);
    }
    id
}

/// Generates the merchant described by `config`.
pub fn generate(config: &Config) -> Merchant {
    let mut rng = fastrand::Rng::with_seed(config.seed);
    let mut m = Merchant::default();
    let end_day = epoch_day(config.end);
    let first_day = end_day - i64::from(config.days) + 1;
    let export_time = (end_day + 1) * SECONDS_PER_DAY;
    let exp = config.currency.exponent();
    // Zero-decimal currencies have no cents to randomise; round amounts to whole units
    // of a sensible size instead.
    let unit = if exp == 0 { 10 } else { 1 };

    let dispute_rate = match config.profile {
        Profile::ChargebackHeavy => 0.05,
        _ => 0.002,
    };

    for (t, day) in (first_day..=end_day).enumerate() {
        let t = t as f64;
        let mult = match config.profile {
            Profile::Seasonal => {
                let weekly = (std::f64::consts::TAU * t / 7.0).sin();
                let monthly = (std::f64::consts::TAU * t / 30.0).sin();
                (1.0 + 0.55 * weekly + 0.35 * monthly).max(0.05)
            }
            Profile::Growing => (0.015 * t).exp(),
            Profile::Declining => (-0.015 * t).exp(),
            _ => 1.0,
        };
        let mean = f64::from(config.daily_charges) * mult;
        let count = (mean * (0.85 + 0.3 * rng.f64())).round() as usize;
        let mut day_net: i64 = 0;
        let mut times: Vec<i64> = (0..count)
            .map(|_| day * SECONDS_PER_DAY + rng.i64(0..SECONDS_PER_DAY))
            .collect();
        times.sort_unstable();
        for created in times {
            let u = rng.f64();
            let amount = ((config.typical_amount as f64) * (0.25 + 1.5 * u * u) / unit as f64)
                .round() as i64
                * unit;
            let amount = amount.max(50);
            let roll = rng.f64();
            let (status, captured) = if roll < 0.03 {
                (ChargeStatus::Failed, true)
            } else if roll < 0.035 {
                (ChargeStatus::Succeeded, false)
            } else {
                (ChargeStatus::Succeeded, true)
            };
            let refunded = if status == ChargeStatus::Succeeded && captured && rng.f64() < 0.04 {
                if rng.bool() {
                    amount
                } else {
                    amount / 2 / unit * unit
                }
            } else {
                0
            };
            let charge = Charge {
                id: stripe_id(&mut rng, "ch"),
                created,
                amount,
                amount_refunded: refunded,
                currency: config.currency,
                status,
                captured,
            };
            if charge.is_successful() {
                day_net += amount - refunded;
                if rng.f64() < dispute_rate {
                    let opened =
                        created + rng.i64(3..40) * SECONDS_PER_DAY + rng.i64(0..SECONDS_PER_DAY);
                    if opened < export_time {
                        let status = match rng.u8(0..10) {
                            0 | 1 => "warning_needs_response",
                            2 => "warning_closed",
                            3 | 4 => "needs_response",
                            5 => "under_review",
                            6 | 7 => "lost",
                            _ => "won",
                        };
                        m.disputes.push(Dispute {
                            id: stripe_id(&mut rng, "dp"),
                            charge: charge.id.clone(),
                            created: opened,
                            amount,
                            currency: config.currency,
                            status: status.to_owned(),
                        });
                    }
                }
            }
            m.charges.push(charge);
        }

        // One automatic payout per day of the day's net volume, due two days later.
        if day_net > 0 {
            let arrival_day = day + 2;
            let created = (day + 1) * SECONDS_PER_DAY + 3_600;
            if created >= export_time {
                continue;
            }
            let arrival = arrival_day * SECONDS_PER_DAY;
            let (failed, late_days) = match config.profile {
                Profile::PayoutTroubled => {
                    let r = rng.f64();
                    (r < 0.08, if r < 0.30 { rng.i64(2..5) } else { 0 })
                }
                _ => (rng.f64() < 0.003, 0),
            };
            let paid_at = arrival + late_days * SECONDS_PER_DAY + rng.i64(0..SECONDS_PER_DAY / 2);
            let (status, event) = if failed && arrival < export_time {
                (PayoutStatus::Failed, false)
            } else if paid_at < export_time {
                (PayoutStatus::Paid, true)
            } else if created + SECONDS_PER_DAY / 2 < export_time {
                (PayoutStatus::InTransit, false)
            } else {
                (PayoutStatus::Pending, false)
            };
            let payout = Payout {
                id: stripe_id(&mut rng, "po"),
                created,
                arrival_date: arrival,
                amount: day_net,
                currency: config.currency,
                status,
            };
            if event {
                m.events.push(PayoutPaid {
                    event_id: stripe_id(&mut rng, "evt"),
                    payout_id: payout.id.clone(),
                    paid_at,
                });
            }
            m.payouts.push(payout);
        }
    }
    m.disputes.sort_by_key(|d| d.created);
    m.events.sort_by_key(|e| e.paid_at);
    m
}

/// Writes `merchant` as an export folder (`charges.json`, `payouts.json`, `disputes.json`,
/// `events.json`), each a Stripe list object, newest first as the API lists them.
pub fn write_export(dir: &Path, merchant: &Merchant) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    write_list(
        &dir.join("charges.json"),
        "/v1/charges",
        merchant.charges.iter().rev().map(charge_json),
    )?;
    write_list(
        &dir.join("payouts.json"),
        "/v1/payouts",
        merchant.payouts.iter().rev().map(payout_json),
    )?;
    write_list(
        &dir.join("disputes.json"),
        "/v1/disputes",
        merchant.disputes.iter().rev().map(dispute_json),
    )?;
    let payouts: std::collections::HashMap<&str, &Payout> = merchant
        .payouts
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    write_list(
        &dir.join("events.json"),
        "/v1/events",
        merchant.events.iter().rev().filter_map(|e| {
            payouts
                .get(e.payout_id.as_str())
                .map(|p| payout_paid_event_json(e, p))
        }),
    )
}

fn write_list(
    path: &Path,
    url: &str,
    objects: impl Iterator<Item = serde_json::Value>,
) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    write!(
        w,
        "{{\"object\":\"list\",\"url\":\"{url}\",\"has_more\":false,\"data\":["
    )?;
    for (i, object) in objects.enumerate() {
        if i > 0 {
            w.write_all(b",\n")?;
        } else {
            w.write_all(b"\n")?;
        }
        serde_json::to_writer(&mut w, &object)?;
    }
    w.write_all(b"\n]}\n")?;
    w.flush()
}

/// The day after `end`, midnight UTC, as unix seconds: when the export is taken.
pub fn export_time(end: NaiveDate) -> i64 {
    epoch_day(end.checked_add_days(Days::new(1)).unwrap_or(end)) * SECONDS_PER_DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end() -> NaiveDate {
        "2026-11-27".parse().unwrap()
    }

    #[test]
    fn same_seed_same_merchant() {
        let c = Config::new(Profile::Seasonal, 7, end());
        assert_eq!(generate(&c), generate(&c));
        let other = Config {
            seed: 8,
            ..c.clone()
        };
        assert_ne!(generate(&c).charges[0].id, generate(&other).charges[0].id);
    }

    #[test]
    fn nothing_happens_after_the_export() {
        for p in Profile::ALL {
            let m = generate(&Config::new(p, 1, end()));
            let cutoff = export_time(end());
            assert!(m.charges.iter().all(|c| c.created < cutoff), "{p:?}");
            assert!(m.disputes.iter().all(|d| d.created < cutoff), "{p:?}");
            assert!(m.events.iter().all(|e| e.paid_at < cutoff), "{p:?}");
            assert!(m.payouts.iter().all(|po| po.created < cutoff), "{p:?}");
        }
    }

    #[test]
    fn profiles_differ_where_they_should() {
        let heavy = generate(&Config::new(Profile::ChargebackHeavy, 1, end()));
        let steady = generate(&Config::new(Profile::Steady, 1, end()));
        assert!(heavy.disputes.len() > 3 * steady.disputes.len().max(1));
        let troubled = generate(&Config::new(Profile::PayoutTroubled, 1, end()));
        assert!(
            troubled
                .payouts
                .iter()
                .any(|p| p.status == PayoutStatus::Failed)
        );
    }
}
