//! Properties of the metric pass, the score and the recommendations (METRICS.md §2–5),
//! checked on generated data.
//!
//! - the score is always in 0..=100 and equals clamp(50 + Σ factor points);
//! - the metric pass does not depend on the order of its input;
//! - the metric pass agrees with a naive reference written straight from §2–4;
//! - a factor recommendation exists iff its factor is defined and below its best.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};

use common::*;
use proptest::prelude::*;
use vaultra_core::domain::{
    Charge, ChargeStatus, Currency, Dispute, Payout, PayoutPaid, PayoutStatus,
};
use vaultra_core::metrics::{Exact, Metrics, SECONDS_PER_DAY, Trend, epoch_day};
use vaultra_core::recommend::{Priority, recommend};
use vaultra_core::scoring::{Effect, Indicators, MetricValue, Policy, Readiness, score};

const AS_OF: &str = "2026-11-28";
const CASES: u32 = 128;

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Input {
    charges: Vec<Charge>,
    payouts: Vec<Payout>,
    disputes: Vec<Dispute>,
    events: Vec<PayoutPaid>,
}

impl Input {
    fn data(&self) -> vaultra_core::domain::PaymentData {
        data_of(&self.charges, &self.payouts, &self.disputes, &self.events)
    }
}

/// A timestamp from 50 days before AS_OF to 2 days after, often in the last week and
/// often on a day's first or last second.
fn timestamp() -> impl Strategy<Value = i64> {
    let base = midnight(AS_OF);
    (
        prop_oneof![-50i64..=2, -6i64..=0],
        prop_oneof![Just(0i64), Just(86_399i64), 0i64..86_400],
    )
        .prop_map(move |(day, sec)| base + day * SECONDS_PER_DAY + sec)
}

fn currency() -> impl Strategy<Value = Currency> {
    prop_oneof![Just("usd"), Just("eur"), Just("jpy")].prop_map(cur)
}

fn charge_status() -> impl Strategy<Value = ChargeStatus> {
    prop_oneof![
        6 => Just(ChargeStatus::Succeeded),
        1 => Just(ChargeStatus::Pending),
        1 => Just(ChargeStatus::Failed),
    ]
}

fn payout_status() -> impl Strategy<Value = PayoutStatus> {
    prop_oneof![
        4 => Just(PayoutStatus::Paid),
        1 => Just(PayoutStatus::Pending),
        1 => Just(PayoutStatus::InTransit),
        1 => Just(PayoutStatus::Canceled),
        1 => Just(PayoutStatus::Failed),
    ]
}

fn dispute_status() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("needs_response"),
        Just("under_review"),
        Just("won"),
        Just("lost"),
        Just("warning_needs_response"),
        Just("warning_under_review"),
        Just("warning_closed"),
    ]
}

fn input() -> impl Strategy<Value = Input> {
    let charges = prop::collection::vec(
        (
            timestamp(),
            // Round amounts make ties (currency choice) and exact thresholds likely.
            prop_oneof![1i64..=50_000, (1i64..=5).prop_map(|x| x * 100)],
            0i64..=100,
            currency(),
            charge_status(),
            prop::bool::weighted(0.9),
        ),
        0..120,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (t, amount, pct, c, status, captured))| {
                let refunded = if pct > 70 {
                    amount * (pct - 70) / 30
                } else {
                    0
                };
                charge_full(&format!("ch_{i}"), t, amount, refunded, c, status, captured)
            })
            .collect::<Vec<_>>()
    });
    let payouts = prop::collection::vec((timestamp(), payout_status(), currency()), 0..25)
        .prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (t, status, c))| payout(&format!("po_{i}"), t, status, c))
                .collect::<Vec<_>>()
        });
    let disputes = prop::collection::vec(
        (timestamp(), dispute_status(), currency(), 0..60usize),
        0..15,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (t, status, c, ch))| {
                dispute(&format!("dp_{i}"), &format!("ch_{ch}"), t, status, c)
            })
            .collect::<Vec<_>>()
    });
    let events = prop::collection::vec((0..30usize, timestamp()), 0..30).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (po, t))| paid_event(&format!("evt_{i}"), &format!("po_{po}"), t))
            .collect::<Vec<_>>()
    });
    (charges, payouts, disputes, events).prop_map(|(charges, payouts, disputes, events)| Input {
        charges,
        payouts,
        disputes,
        events,
    })
}

/// An input, the same objects in another order, and a window length.
fn input_and_shuffled() -> impl Strategy<Value = (Input, Input, u16)> {
    (input(), 2u16..=45).prop_flat_map(|(inp, days)| {
        (
            Just(inp.clone()),
            Just(inp.charges).prop_shuffle(),
            Just(inp.payouts).prop_shuffle(),
            Just(inp.disputes).prop_shuffle(),
            Just(inp.events).prop_shuffle(),
            Just(days),
        )
            .prop_map(|(orig, charges, payouts, disputes, events, days)| {
                let shuffled = Input {
                    charges,
                    payouts,
                    disputes,
                    events,
                };
                (orig, shuffled, days)
            })
    })
}

/// An optional non-negative exact value, a fraction or a square root over an integer,
/// small enough to land on the thresholds often.
fn exact_opt() -> impl Strategy<Value = Option<Exact>> {
    prop_oneof![
        1 => Just(None),
        3 => (0i64..=120, 1i64..=600).prop_map(|(a, b)| Some(ratio(a, b))),
        2 => (0i64..=400, 1i64..=60).prop_map(|(r, d)| Some(Exact::sqrt_ratio(r, d).unwrap())),
    ]
}

fn trend() -> impl Strategy<Value = Trend> {
    prop_oneof![
        Just(Trend::Increasing),
        Just(Trend::Flat),
        Just(Trend::Declining)
    ]
}

fn indicators() -> impl Strategy<Value = Indicators> {
    (
        trend(),
        prop::option::of((-300i64..=300, 1i64..=300)),
        exact_opt(),
        exact_opt(),
        exact_opt(),
    )
        .prop_map(|(t, g, v, c, p)| Indicators {
            revenue_trend: t,
            revenue_growth: g.map(|(a, b)| ratio(a, b)),
            revenue_volatility: v,
            chargeback_ratio: c,
            payout_reliability: p,
        })
}

// ---------------------------------------------------------------------------------------
// Checks shared by several properties
// ---------------------------------------------------------------------------------------

fn recommendation_code(factor: &str) -> &'static str {
    match factor {
        "revenue_trend" => "grow_revenue",
        "revenue_volatility" => "stabilize_revenue",
        "chargeback_ratio" => "reduce_chargebacks",
        "payout_reliability" => "improve_payout_timing",
        other => panic!("unknown factor {other}"),
    }
}

fn priority_of(impact: i32) -> Priority {
    if impact > 10 {
        Priority::High
    } else if impact >= 5 {
        Priority::Medium
    } else {
        Priority::Low
    }
}

/// The score rules of §4 on a readiness, whatever produced it.
fn check_readiness(policy: &Policy, r: &Readiness) -> Result<(), TestCaseError> {
    let sum: i32 = r.factors.iter().map(|f| f.points).sum();
    prop_assert!((0..=100).contains(&r.score));
    prop_assert_eq!(r.score, (policy.base_score + sum).clamp(0, 100));
    prop_assert_eq!(r.max_attainable, policy.max_attainable());
    let tier = policy.tier_of(r.score).unwrap();
    prop_assert_eq!(&r.tier, &tier.code);
    prop_assert_eq!(&r.tier_label, &tier.label);
    for f in &r.factors {
        prop_assert!(f.worst_points <= f.points && f.points <= f.best_points);
        let effect = match f.points.signum() {
            1 => Effect::Helps,
            -1 => Effect::Hurts,
            _ => Effect::Neutral,
        };
        prop_assert_eq!(f.effect, effect);
        prop_assert!(!f.explanation.trim().is_empty());
    }
    Ok(())
}

/// The recommendation rules of §5 against the factors.
fn check_recommendations(policy: &Policy, r: &Readiness) -> Result<(), TestCaseError> {
    let recs = recommend(policy, r, None);
    let by_code: BTreeMap<&str, _> = recs.iter().map(|x| (x.code.as_str(), x)).collect();
    prop_assert_eq!(by_code.len(), recs.len(), "a code appears twice");
    let mut expected = 0;
    for f in &r.factors {
        let code = recommendation_code(&f.code);
        let defined = f.value != MetricValue::Undefined;
        if f.code == "revenue_trend" {
            prop_assert!(defined, "the trend is always defined");
        }
        match by_code.get(code) {
            Some(rec) => {
                prop_assert!(
                    defined && f.points < f.best_points,
                    "{} raised for {:?}",
                    code,
                    f
                );
                prop_assert_eq!(rec.score_impact, f.best_points - f.points);
                prop_assert_eq!(rec.priority, priority_of(rec.score_impact));
                prop_assert_eq!(rec.factor.as_deref(), Some(f.code.as_str()));
                expected += 1;
            }
            None => prop_assert!(!defined || f.points >= f.best_points, "{} missing", code),
        }
    }
    match by_code.get("focus_on_core_metrics") {
        Some(rec) => {
            prop_assert!(r.score < 50);
            prop_assert_eq!(rec.score_impact, 50 - r.score);
            prop_assert_eq!(rec.priority, priority_of(50 - r.score));
            expected += 1;
        }
        None => prop_assert!(r.score >= 50),
    }
    prop_assert_eq!(
        recs.len(),
        expected,
        "unexpected codes: {:?}",
        by_code.keys()
    );
    for pair in recs.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let key = |x: &vaultra_core::recommend::Recommendation| {
            (x.priority, -x.score_impact, x.code.clone())
        };
        prop_assert!(key(a) < key(b), "{:?} before {:?}", key(a), key(b));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// A naive reference of §2–4, from the text only
// ---------------------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
struct Reference {
    currency: Currency,
    count: u64,
    revenue: i128,
    refunded: i128,
    chargebacks: u64,
    due: u64,
    on_time: u64,
    daily: Vec<i128>,
    trend: Trend,
    points: [i32; 4],
    /// Average transaction size in minor units.
    average: Option<i128>,
    /// Volatility, chargeback ratio, payout reliability and growth.
    exact: [Option<ExactKey>; 4],
}

/// An exact value, compared exactly (`Exact`'s own `PartialEq` is structural).
#[derive(Debug, Clone)]
struct ExactKey(Exact);

impl PartialEq for ExactKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.cmp_exact(&other.0) == std::cmp::Ordering::Equal
    }
}

fn reference(inp: &Input, days: u16, choice: Option<Currency>) -> Reference {
    let end = epoch_day(date(AS_OF));
    let n = i64::from(days);
    let start = end - n + 1;
    let day = |t: i64| t.div_euclid(86_400);
    let in_w = |t: i64| (start..=end).contains(&day(t));
    let successful = |c: &Charge| c.status == ChargeStatus::Succeeded && c.captured;

    let currency = choice.unwrap_or_else(|| {
        let mut volume: BTreeMap<Currency, i128> = BTreeMap::new();
        for c in inp
            .charges
            .iter()
            .filter(|c| successful(c) && in_w(c.created))
        {
            *volume.entry(c.currency).or_default() += i128::from(c.amount);
        }
        // BTreeMap iterates alphabetically: keep the first of the largest.
        let mut best: Option<(Currency, i128)> = None;
        for (c, v) in volume {
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((c, v));
            }
        }
        best.map_or(Currency::USD, |(c, _)| c)
    });

    let s: Vec<&Charge> = inp
        .charges
        .iter()
        .filter(|c| successful(c) && in_w(c.created) && c.currency == currency)
        .collect();
    let mut daily = vec![0i128; usize::from(days)];
    for c in &s {
        daily[(day(c.created) - start) as usize] += i128::from(c.amount);
    }
    let count = s.len() as u64;
    let revenue: i128 = s.iter().map(|c| i128::from(c.amount)).sum();
    let refunded: i128 = s.iter().map(|c| i128::from(c.amount_refunded)).sum();
    let chargebacks = inp
        .disputes
        .iter()
        .filter(|d| d.currency == currency && in_w(d.created) && !d.status.starts_with("warning_"))
        .count() as u64;

    let mut paid_at: HashMap<&str, i64> = HashMap::new();
    for e in &inp.events {
        let t = paid_at.entry(e.payout_id.as_str()).or_insert(e.paid_at);
        *t = (*t).max(e.paid_at);
    }
    let (mut due, mut on_time) = (0u64, 0u64);
    for p in inp.payouts.iter().filter(|p| p.currency == currency) {
        let arrival = day(p.arrival_date);
        if !(start..=end).contains(&arrival) {
            continue;
        }
        let is_due = match p.status {
            PayoutStatus::Paid | PayoutStatus::Failed => true,
            PayoutStatus::Pending | PayoutStatus::InTransit => arrival < end,
            PayoutStatus::Canceled => false,
        };
        if is_due {
            due += 1;
            let timely = paid_at
                .get(p.id.as_str())
                .is_none_or(|t| day(*t) <= arrival + 1);
            if p.status == PayoutStatus::Paid && timely {
                on_time += 1;
            }
        }
    }

    let half = usize::from(days) / 2;
    let r1: i128 = daily[..half].iter().sum();
    let r2: i128 = daily[daily.len() - half..].iter().sum();
    let trend = if r1 == 0 {
        if r2 > 0 {
            Trend::Increasing
        } else {
            Trend::Flat
        }
    } else if 20 * r2 > 21 * r1 {
        Trend::Increasing
    } else if 20 * r2 < 19 * r1 {
        Trend::Declining
    } else {
        Trend::Flat
    };
    let trend_points = match trend {
        Trend::Increasing => 10,
        Trend::Flat => 0,
        Trend::Declining => -5,
    };
    let sum: i128 = daily.iter().sum();
    let sum_sq: i128 = daily.iter().map(|r| r * r).sum();
    let d = i128::from(days) * sum_sq - sum * sum;
    let vol_points = if sum == 0 {
        0
    } else if 4 * d > sum * sum {
        -10
    } else if 25 * d < sum * sum {
        5
    } else {
        0
    };
    let (c, k) = (i128::from(chargebacks), i128::from(count));
    let cb_points = if k == 0 {
        0
    } else if 50 * c > k {
        -15
    } else if 200 * c < k {
        5
    } else {
        0
    };
    let (o, u) = (i128::from(on_time), i128::from(due));
    let pay_points = if u == 0 {
        0
    } else if 20 * o > 19 * u {
        10
    } else if 5 * o < 4 * u {
        -10
    } else {
        0
    };
    // Half-to-even average in minor units.
    let average = (k > 0).then(|| {
        let (q, rem) = (revenue / k, revenue % k);
        match (2 * rem).cmp(&k) {
            std::cmp::Ordering::Less => q,
            std::cmp::Ordering::Greater => q + 1,
            std::cmp::Ordering::Equal => q + q % 2,
        }
    });
    let key = |x: Option<Exact>| x.map(ExactKey);
    let exact = [
        key((sum > 0).then(|| Exact::sqrt_ratio(d, sum).unwrap())),
        key((k > 0).then(|| Exact::ratio(c, k).unwrap())),
        key((u > 0).then(|| Exact::ratio(o, u).unwrap())),
        key((r1 > 0).then(|| Exact::ratio(r2 - r1, r1).unwrap())),
    ];
    Reference {
        currency,
        count,
        revenue,
        refunded,
        chargebacks,
        due,
        on_time,
        daily,
        trend,
        points: [trend_points, vol_points, cb_points, pay_points],
        average,
        exact,
    }
}

fn observed(m: &Metrics) -> Reference {
    let r = readiness(m);
    Reference {
        currency: m.currency,
        count: m.transaction_count,
        revenue: m.revenue_total.minor,
        refunded: m.refunded_total.minor,
        chargebacks: m.chargeback_count,
        due: m.payouts_due,
        on_time: m.payouts_on_time,
        daily: m.daily_revenue.clone(),
        trend: m.revenue_trend,
        points: [
            r.factors[0].points,
            r.factors[1].points,
            r.factors[2].points,
            r.factors[3].points,
        ],
        average: m.average_transaction_size.map(|a| a.minor),
        exact: [
            m.revenue_volatility.clone().map(ExactKey),
            m.chargeback_ratio.clone().map(ExactKey),
            m.payout_reliability.clone().map(ExactKey),
            m.revenue_growth.clone().map(ExactKey),
        ],
    }
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn score_is_clamped_sum_of_points(i in indicators()) {
        let policy = Policy::spec_v1();
        let r = score(&policy, &i);
        check_readiness(&policy, &r)?;
        // Under spec-v1 the sum never needs the clamp: 10..=80.
        prop_assert!((10..=80).contains(&r.score));
        prop_assert_eq!(r.max_attainable, 80);
        prop_assert_eq!(r.factors.len(), 4);
        // A factor's value is null exactly when its metric is undefined.
        let defined = [
            true,
            i.revenue_volatility.is_some(),
            i.chargeback_ratio.is_some(),
            i.payout_reliability.is_some(),
        ];
        for (f, d) in r.factors.iter().zip(defined) {
            prop_assert_eq!(f.value != MetricValue::Undefined, d);
            let v = json(f);
            prop_assert_eq!(v["value"].is_null(), !d);
        }
    }

    #[test]
    fn score_clamps_under_any_base(i in indicators(), base in -60i32..=160) {
        let mut policy = Policy::spec_v1();
        policy.base_score = base;
        let r = score(&policy, &i);
        check_readiness(&policy, &r)?;
    }

    #[test]
    fn banded_points_follow_exact_integer_comparisons(
        a in 0i64..=60, b in 1i64..=400, r in 0i64..=400, d in 1i64..=60,
    ) {
        let policy = Policy::spec_v1();
        let pts = |i: Indicators, k: usize| score(&policy, &i).factors[k].points;
        let with = |v: Option<Exact>, c: Option<Exact>, p: Option<Exact>| Indicators {
            revenue_trend: Trend::Flat,
            revenue_growth: None,
            revenue_volatility: v,
            chargeback_ratio: c,
            payout_reliability: p,
        };
        // Volatility a/b: > 1/2 ⇔ 2a > b; < 1/5 ⇔ 5a < b.
        let expected = if 2 * a > b { -10 } else if 5 * a < b { 5 } else { 0 };
        prop_assert_eq!(pts(with(Some(ratio(a, b)), None, None), 1), expected);
        // Volatility sqrt(r)/d: > 1/2 ⇔ 4r > d²; < 1/5 ⇔ 25r < d².
        let expected = if 4 * r > d * d { -10 } else if 25 * r < d * d { 5 } else { 0 };
        let v = Exact::sqrt_ratio(r, d).unwrap();
        prop_assert_eq!(pts(with(Some(v), None, None), 1), expected);
        // Chargebacks a/b: > 2 % ⇔ 50a > b; < 0.5 % ⇔ 200a < b.
        let expected = if 50 * a > b { -15 } else if 200 * a < b { 5 } else { 0 };
        prop_assert_eq!(pts(with(None, Some(ratio(a, b)), None), 2), expected);
        // Payouts a/b (any fraction): > 95 % ⇔ 20a > 19b; < 80 % ⇔ 5a < 4b.
        let expected = if 20 * a > 19 * b { 10 } else if 5 * a < 4 * b { -10 } else { 0 };
        prop_assert_eq!(pts(with(None, None, Some(ratio(a, b))), 3), expected);
    }

    #[test]
    fn values_next_to_a_threshold_score_by_the_strict_rules(
        k in 10i64..=400, delta in -1i64..=1, sqrt in any::<bool>(),
    ) {
        let policy = Policy::spec_v1();
        let pts = |i: Indicators, f: usize| score(&policy, &i).factors[f].points;
        let one = |f: usize, x: Exact| {
            let mut i = Indicators {
                revenue_trend: Trend::Flat,
                revenue_growth: None,
                revenue_volatility: None,
                chargeback_ratio: None,
                payout_reliability: None,
            };
            match f {
                1 => i.revenue_volatility = Some(x),
                2 => i.chargeback_ratio = Some(x),
                _ => i.payout_reliability = Some(x),
            }
            i
        };
        let sign = |x: i64| x.signum() as i32;
        // With k ≥ 10 a step of ±1 never reaches the other band of the same metric.
        // (k + δ) / (2k) vs 1/2 and (k + δ) / (5k) vs 1/5, as a fraction or a square root.
        for (den, above, below) in [(2, -10, 0), (5, 0, 5)] {
            let x = if sqrt {
                Exact::sqrt_ratio((k + delta) * (k + delta), den * k).unwrap()
            } else {
                ratio(k + delta, den * k)
            };
            let expected = match sign(delta) { 1 => above, -1 => below, _ => 0 };
            prop_assert_eq!(pts(one(1, x), 1), expected, "vol {}/{}", k + delta, den * k);
        }
        // Chargebacks k / (50k + δ) and k / (200k + δ).
        for (den, above, below) in [(50, -15, 0), (200, 0, 5)] {
            let x = ratio(k, den * k + delta);
            let expected = match sign(delta) { -1 => above, 1 => below, _ => 0 };
            prop_assert_eq!(pts(one(2, x), 2), expected, "cb {}/{}", k, den * k + delta);
        }
        // Payouts (19k + δ) / 20k and (4k + δ) / 5k.
        for (num, den, above, below) in [(19, 20, 10, 0), (4, 5, 0, -10)] {
            let x = ratio(num * k + delta, den * k);
            let expected = match sign(delta) { 1 => above, -1 => below, _ => 0 };
            prop_assert_eq!(pts(one(3, x), 3), expected, "pay {}/{}", num * k + delta, den * k);
        }
    }

    #[test]
    fn recommendations_match_the_factors(i in indicators()) {
        let policy = Policy::spec_v1();
        let r = score(&policy, &i);
        check_recommendations(&policy, &r)?;
    }

    #[test]
    fn metric_pass_does_not_depend_on_input_order((orig, shuffled, days) in input_and_shuffled()) {
        let a = auto(&orig.data(), AS_OF, days);
        let b = auto(&shuffled.data(), AS_OF, days);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(json(&a), json(&b));
        for code in ["usd", "eur", "jpy"] {
            let a = explicit(&orig.data(), AS_OF, days, cur(code));
            let b = explicit(&shuffled.data(), AS_OF, days, cur(code));
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn metric_pass_matches_a_naive_reference((inp, _, days) in input_and_shuffled()) {
        let data = inp.data();
        let m = auto(&data, AS_OF, days);
        prop_assert_eq!(observed(&m), reference(&inp, days, None));
        prop_assert_eq!(m.net_revenue.minor, m.revenue_total.minor - m.refunded_total.minor);
        prop_assert_eq!(m.daily_revenue.iter().sum::<i128>(), m.revenue_total.minor);
        for code in ["usd", "eur", "jpy"] {
            let m = explicit(&data, AS_OF, days, cur(code));
            prop_assert_eq!(observed(&m), reference(&inp, days, Some(cur(code))));
        }
    }

    #[test]
    fn reports_from_data_keep_every_rule((inp, _, days) in input_and_shuffled()) {
        let policy = Policy::spec_v1();
        let m = auto(&inp.data(), AS_OF, days);
        let r = readiness(&m);
        check_readiness(&policy, &r)?;
        check_recommendations(&policy, &r)?;
        // Undefined metrics are exactly the ones §3 says.
        prop_assert_eq!(m.average_transaction_size.is_none(), m.transaction_count == 0);
        prop_assert_eq!(m.chargeback_ratio.is_none(), m.transaction_count == 0);
        prop_assert_eq!(m.payout_reliability.is_none(), m.payouts_due == 0);
        prop_assert_eq!(m.revenue_volatility.is_none(), m.revenue_total.minor == 0);
        prop_assert_eq!(m.revenue_growth.is_none(), m.first_half_revenue() == 0);
        prop_assert!(m.payouts_on_time <= m.payouts_due);
    }
}
