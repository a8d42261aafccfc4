//! The readiness score, its factors and the recommendations against METRICS.md §4–5,
//! and the JSON of a whole report against §6.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};
use vaultra_core::domain::{Currency, PaymentData, PayoutStatus};
use vaultra_core::metrics::{Exact, Trend};
use vaultra_core::recommend::{Priority, Recommendation, recommend};
use vaultra_core::report::{Options, Report, assess};
use vaultra_core::scoring::{Effect, Indicators, MetricValue, Policy, Readiness, score};

const AS_OF: &str = "2026-11-28";

fn ind(
    trend: Trend,
    volatility: Option<Exact>,
    chargebacks: Option<Exact>,
    payouts: Option<Exact>,
) -> Indicators {
    Indicators {
        revenue_trend: trend,
        revenue_growth: match trend {
            Trend::Increasing => Some(ratio(1, 5)),
            Trend::Declining => Some(ratio(-1, 5)),
            Trend::Flat => Some(ratio(0, 1)),
        },
        revenue_volatility: volatility,
        chargeback_ratio: chargebacks,
        payout_reliability: payouts,
    }
}

fn neutral() -> Indicators {
    ind(Trend::Flat, None, None, None)
}

fn spec() -> Policy {
    Policy::spec_v1()
}

fn scored(i: &Indicators) -> Readiness {
    score(&spec(), i)
}

fn recs(i: &Indicators) -> Vec<Recommendation> {
    let p = spec();
    recommend(&p, &score(&p, i), None)
}

/// (code, score_impact, priority) of each recommendation, in order.
fn summary(recs: &[Recommendation]) -> Vec<(String, i32, Priority)> {
    recs.iter()
        .map(|r| (r.code.clone(), r.score_impact, r.priority))
        .collect()
}

fn s(code: &str, impact: i32, priority: Priority) -> (String, i32, Priority) {
    (code.to_owned(), impact, priority)
}

/// spec-v1 with another base score (policies are data).
fn with_base(base: i32) -> Policy {
    let mut p = spec();
    p.base_score = base;
    p
}

fn factor_points(i: &Indicators, code: &str) -> i32 {
    scored(i).factor(code).unwrap().points
}

fn vol(x: Exact) -> Indicators {
    ind(Trend::Flat, Some(x), None, None)
}

fn cb(x: Exact) -> Indicators {
    ind(Trend::Flat, None, Some(x), None)
}

fn pay(x: Exact) -> Indicators {
    ind(Trend::Flat, None, None, Some(x))
}

fn sqrt_ratio(r: i64, d: i64) -> Exact {
    Exact::sqrt_ratio(r, d).unwrap()
}

// ---------------------------------------------------------------------------------------
// §4 Components
// ---------------------------------------------------------------------------------------

#[test]
fn trend_points() {
    assert_eq!(
        factor_points(&ind(Trend::Increasing, None, None, None), "revenue_trend"),
        10
    );
    assert_eq!(
        factor_points(&ind(Trend::Flat, None, None, None), "revenue_trend"),
        0
    );
    assert_eq!(
        factor_points(&ind(Trend::Declining, None, None, None), "revenue_trend"),
        -5
    );
    // Growth undefined with revenue appearing: still +10.
    let mut i = ind(Trend::Increasing, None, None, None);
    i.revenue_growth = None;
    assert_eq!(factor_points(&i, "revenue_trend"), 10);
}

#[test]
fn volatility_points_with_strict_thresholds() {
    let cases = [
        (ratio(1, 2), 0),       // exactly 0.5
        (sqrt_ratio(1, 2), 0),  // sqrt(1)/2 = 0.5
        (sqrt_ratio(6, 12), 0), // sqrt(6)/12 ≈ 0.204
        (ratio(500_001, 1_000_000), -10),
        (sqrt_ratio(1_000_001, 2_000), -10), // 0.50000025
        (ratio(499_999, 1_000_000), 0),
        (ratio(3, 1), -10),
        (ratio(1, 5), 0),      // exactly 0.2
        (sqrt_ratio(1, 5), 0), // sqrt(1)/5 = 0.2
        (sqrt_ratio(4, 10), 0),
        (ratio(199_999, 1_000_000), 5),
        (sqrt_ratio(39_999, 1_000), 5), // 0.19999…
        (ratio(200_001, 1_000_000), 0),
        (ratio(0, 1), 5),
    ];
    for (x, expected) in cases {
        let dbg = format!("{x:?}");
        assert_eq!(
            factor_points(&vol(x), "revenue_volatility"),
            expected,
            "{dbg}"
        );
    }
    assert_eq!(factor_points(&neutral(), "revenue_volatility"), 0);
}

#[test]
fn chargeback_points_with_strict_thresholds() {
    let cases = [
        (ratio(1, 50), 0),
        (ratio(2, 100), 0),
        (ratio(1, 49), -15),
        (ratio(1_001, 50_000), -15),
        (ratio(999, 50_000), 0),
        (ratio(1, 1), -15),
        (ratio(1, 200), 0),
        (ratio(5, 1_000), 0),
        (ratio(1, 199), 0),
        (ratio(1, 201), 5),
        (ratio(0, 7), 5),
    ];
    for (x, expected) in cases {
        let dbg = format!("{x:?}");
        assert_eq!(factor_points(&cb(x), "chargeback_ratio"), expected, "{dbg}");
    }
    assert_eq!(factor_points(&neutral(), "chargeback_ratio"), 0);
}

#[test]
fn payout_points_with_strict_thresholds() {
    let cases = [
        (ratio(19, 20), 0),
        (ratio(95, 100), 0),
        (ratio(20, 21), 10),
        (ratio(9_501, 10_000), 10),
        (ratio(1, 1), 10),
        (ratio(18, 19), 0),
        (ratio(4, 5), 0),
        (ratio(80, 100), 0),
        (ratio(3, 4), -10),
        (ratio(7_999, 10_000), -10),
        (ratio(8_001, 10_000), 0),
        (ratio(0, 1), -10),
    ];
    for (x, expected) in cases {
        let dbg = format!("{x:?}");
        assert_eq!(
            factor_points(&pay(x), "payout_reliability"),
            expected,
            "{dbg}"
        );
    }
    assert_eq!(factor_points(&neutral(), "payout_reliability"), 0);
}

/// One representative value per scoring case of a banded metric: undefined, the worst
/// band, exactly on each threshold, and the best band.
fn cases_of(worst: Exact, low_edge: Exact, high_edge: Exact, best: Exact) -> Vec<Option<Exact>> {
    vec![
        None,
        Some(worst),
        Some(low_edge),
        Some(high_edge),
        Some(best),
    ]
}

#[test]
fn score_is_50_plus_the_sum_of_the_points() {
    let trends = [
        (Trend::Increasing, 10),
        (Trend::Flat, 0),
        (Trend::Declining, -5),
    ];
    let vols = cases_of(ratio(3, 4), ratio(1, 2), ratio(1, 5), ratio(1, 10));
    let vol_pts = [0, -10, 0, 0, 5];
    let cbs = cases_of(ratio(1, 10), ratio(1, 50), ratio(1, 200), ratio(0, 1));
    let cb_pts = [0, -15, 0, 0, 5];
    let pays = cases_of(ratio(1, 2), ratio(4, 5), ratio(19, 20), ratio(1, 1));
    let pay_pts = [0, -10, 0, 0, 10];
    let mut seen = BTreeSet::new();
    for (trend, tp) in trends {
        for (v, vp) in vols.iter().zip(vol_pts) {
            for (c, cp) in cbs.iter().zip(cb_pts) {
                for (p, pp) in pays.iter().zip(pay_pts) {
                    let r = scored(&ind(trend, v.clone(), c.clone(), p.clone()));
                    let expected = 50 + tp + vp + cp + pp;
                    assert_eq!(r.score, expected, "{trend:?} {v:?} {c:?} {p:?}");
                    let pts: Vec<i32> = r.factors.iter().map(|f| f.points).collect();
                    assert_eq!(pts, vec![tp, vp, cp, pp]);
                    assert_eq!(r.max_attainable, 80);
                    assert_eq!(r.policy, "spec-v1");
                    seen.insert(r.score);
                }
            }
        }
    }
    // spec-v1 reaches exactly 10..=80 in steps of 5: never highly_attractive.
    assert_eq!(seen, (10..=80).step_by(5).collect::<BTreeSet<_>>());
}

#[test]
fn score_is_clamped_to_0_100() {
    let p = spec();
    assert_eq!(p.clamp(-35), 0);
    assert_eq!(p.clamp(-1), 0);
    assert_eq!(p.clamp(0), 0);
    assert_eq!(p.clamp(100), 100);
    assert_eq!(p.clamp(101), 100);
    assert_eq!(p.clamp(130), 100);

    let all_best = ind(
        Trend::Increasing,
        Some(ratio(0, 1)),
        Some(ratio(0, 1)),
        Some(ratio(1, 1)),
    );
    let all_worst = ind(
        Trend::Declining,
        Some(ratio(1, 1)),
        Some(ratio(1, 1)),
        Some(ratio(0, 1)),
    );
    assert_eq!(scored(&all_best).score, 80);
    assert_eq!(scored(&all_worst).score, 10);
    // With another base the same sums leave 0..=100 and are clamped.
    let high = with_base(95);
    let r = score(&high, &all_best);
    assert_eq!(r.score, 100);
    assert_eq!(r.tier, "highly_attractive");
    assert_eq!(r.max_attainable, 100);
    let low = with_base(5);
    let r = score(&low, &all_worst);
    assert_eq!(r.score, 0);
    assert_eq!(r.tier, "not_ready");
    // Points are reported unclamped even when the score is clamped.
    assert_eq!(r.factors.iter().map(|f| f.points).sum::<i32>(), -40);
}

// ---------------------------------------------------------------------------------------
// §4 Tiers
// ---------------------------------------------------------------------------------------

#[test]
fn tiers_at_every_boundary() {
    let p = spec();
    let cases = [
        (0, "not_ready", "Not ready"),
        (40, "not_ready", "Not ready"),
        (41, "improving", "Improving"),
        (50, "improving", "Improving"),
        (70, "improving", "Improving"),
        (71, "funding_ready", "Funding-ready"),
        (80, "funding_ready", "Funding-ready"),
        (85, "funding_ready", "Funding-ready"),
        (86, "highly_attractive", "Highly attractive"),
        (100, "highly_attractive", "Highly attractive"),
    ];
    for (score_value, code, label) in cases {
        let t = p.tier_of(score_value).unwrap();
        assert_eq!(
            (t.code.as_str(), t.label.as_str()),
            (code, label),
            "{score_value}"
        );
        // The same through the score, with a base that lands on the value.
        let r = score(&with_base(score_value), &neutral());
        assert_eq!(r.score, score_value);
        assert_eq!((r.tier.as_str(), r.tier_label.as_str()), (code, label));
    }
    assert!(p.tier_of(-1).is_none());
    assert!(p.tier_of(101).is_none());
}

#[test]
fn tiers_of_reachable_spec_v1_scores() {
    let cases = [
        // 50 − 10 = 40
        (vol(ratio(1, 1)), 40, "not_ready"),
        // 50 − 5 = 45
        (ind(Trend::Declining, None, None, None), 45, "improving"),
        (neutral(), 50, "improving"),
        // 50 + 10 + 5 + 5 = 70
        (
            ind(
                Trend::Increasing,
                Some(ratio(0, 1)),
                Some(ratio(0, 1)),
                None,
            ),
            70,
            "improving",
        ),
        // 50 + 10 + 5 + 10 = 75
        (
            ind(
                Trend::Increasing,
                Some(ratio(0, 1)),
                None,
                Some(ratio(1, 1)),
            ),
            75,
            "funding_ready",
        ),
        (
            ind(
                Trend::Increasing,
                Some(ratio(0, 1)),
                Some(ratio(0, 1)),
                Some(ratio(1, 1)),
            ),
            80,
            "funding_ready",
        ),
        (
            ind(
                Trend::Declining,
                Some(ratio(1, 1)),
                Some(ratio(1, 1)),
                Some(ratio(0, 1)),
            ),
            10,
            "not_ready",
        ),
    ];
    for (i, expected_score, tier) in cases {
        let r = scored(&i);
        assert_eq!(r.score, expected_score);
        assert_eq!(r.tier, tier, "{expected_score}");
    }
}

#[test]
fn max_attainable_is_80_under_spec_v1() {
    let p = spec();
    assert_eq!(p.name, "spec-v1");
    assert_eq!(p.max_attainable(), 80);
    assert_eq!(scored(&neutral()).max_attainable, 80);
    assert_eq!(json(&scored(&neutral()))["max_attainable"], json!(80));
    assert_eq!(Policy::builtin("spec-v1").unwrap(), p);
}

// ---------------------------------------------------------------------------------------
// §4 Factors
// ---------------------------------------------------------------------------------------

#[test]
fn factors_carry_code_value_points_bounds_effect_and_explanation() {
    let r = scored(&ind(
        Trend::Declining,
        Some(ratio(1, 10)),
        Some(ratio(1, 40)),
        None,
    ));
    let codes: Vec<&str> = r.factors.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "revenue_trend",
            "revenue_volatility",
            "chargeback_ratio",
            "payout_reliability"
        ]
    );
    let table: Vec<(i32, i32, i32, Effect)> = r
        .factors
        .iter()
        .map(|f| (f.points, f.best_points, f.worst_points, f.effect))
        .collect();
    assert_eq!(
        table,
        vec![
            (-5, 10, -5, Effect::Hurts),
            (5, 5, -10, Effect::Helps),
            (-15, 5, -15, Effect::Hurts),
            (0, 10, -10, Effect::Neutral),
        ]
    );
    assert_eq!(r.factors[0].value, MetricValue::Trend(Trend::Declining));
    assert_eq!(r.factors[1].value, MetricValue::Number(ratio(1, 10)));
    assert_eq!(r.factors[2].value, MetricValue::Number(ratio(1, 40)));
    assert_eq!(r.factors[3].value, MetricValue::Undefined);
    for f in &r.factors {
        assert!(!f.explanation.trim().is_empty(), "{}", f.code);
        assert!(f.explanation.ends_with('.'), "{}", f.explanation);
        assert!(!f.explanation.contains('\n'), "{}", f.explanation);
    }

    let v = json(&r);
    assert_eq!(
        v["factors"][0],
        json!({"code": "revenue_trend", "value": "declining", "points": -5, "best_points": 10,
               "worst_points": -5, "effect": "hurts", "explanation": r.factors[0].explanation})
    );
    assert_eq!(
        v["factors"][1],
        json!({"code": "revenue_volatility", "value": 0.1, "points": 5, "best_points": 5,
               "worst_points": -10, "effect": "helps", "explanation": r.factors[1].explanation})
    );
    assert_eq!(
        v["factors"][2],
        json!({"code": "chargeback_ratio", "value": 0.025, "points": -15, "best_points": 5,
               "worst_points": -15, "effect": "hurts", "explanation": r.factors[2].explanation})
    );
    assert_eq!(
        v["factors"][3],
        json!({"code": "payout_reliability", "value": null, "points": 0, "best_points": 10,
               "worst_points": -10, "effect": "neutral", "explanation": r.factors[3].explanation})
    );
}

#[test]
fn effect_follows_the_sign_of_the_points() {
    assert_eq!(Effect::of(10), Effect::Helps);
    assert_eq!(Effect::of(1), Effect::Helps);
    assert_eq!(Effect::of(0), Effect::Neutral);
    assert_eq!(Effect::of(-1), Effect::Hurts);
    // A defined value exactly on a threshold is neutral, like an undefined one.
    let r = scored(&ind(
        Trend::Flat,
        Some(ratio(1, 2)),
        Some(ratio(1, 50)),
        Some(ratio(4, 5)),
    ));
    assert!(r.factors.iter().all(|f| f.effect == Effect::Neutral));
    assert!(r.factors.iter().all(|f| f.points == 0));
    assert_eq!(r.score, 50);
}

#[test]
fn factor_values_in_json_are_rounded_half_to_even() {
    let r = scored(&ind(
        Trend::Flat,
        Some(ratio(1, 32)),
        Some(ratio(3, 32)),
        Some(ratio(2, 3)),
    ));
    let v = json(&r);
    assert_eq!(v["factors"][0]["value"], json!("flat"));
    assert_eq!(v["factors"][1]["value"], json!(0.0312));
    assert_eq!(v["factors"][2]["value"], json!(0.0938));
    assert_eq!(v["factors"][3]["value"], json!(0.6667));
}

#[test]
fn explanations_exist_for_every_case() {
    let values = [
        None,
        Some(ratio(0, 1)),
        Some(ratio(1, 2)),
        Some(ratio(1, 1)),
    ];
    for trend in [Trend::Increasing, Trend::Flat, Trend::Declining] {
        for growth in [None, Some(ratio(1, 3))] {
            for x in &values {
                let mut i = ind(trend, x.clone(), x.clone(), x.clone());
                i.revenue_growth = growth.clone();
                for f in scored(&i).factors {
                    assert!(f.explanation.len() > 20, "{}: {}", f.code, f.explanation);
                    assert!(f.explanation.ends_with('.'), "{}", f.explanation);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// §5 Recommendations
// ---------------------------------------------------------------------------------------

#[test]
fn priority_bands() {
    let p = spec();
    assert_eq!(Priority::of(40, &p), Priority::High);
    assert_eq!(Priority::of(11, &p), Priority::High);
    assert_eq!(Priority::of(10, &p), Priority::Medium);
    assert_eq!(Priority::of(5, &p), Priority::Medium);
    assert_eq!(Priority::of(4, &p), Priority::Low);
    assert_eq!(Priority::of(1, &p), Priority::Low);
    assert_eq!(json(&Priority::High), json!("high"));
    assert_eq!(json(&Priority::Medium), json!("medium"));
    assert_eq!(json(&Priority::Low), json!("low"));
}

#[test]
fn no_recommendation_when_every_factor_is_at_its_best() {
    let i = ind(
        Trend::Increasing,
        Some(ratio(1, 10)),
        Some(ratio(1, 1_000)),
        Some(ratio(99, 100)),
    );
    assert_eq!(scored(&i).score, 80);
    assert!(recs(&i).is_empty());
}

#[test]
fn flat_trend_recommends_growing_revenue_even_without_data() {
    assert_eq!(
        summary(&recs(&neutral())),
        vec![s("grow_revenue", 10, Priority::Medium)]
    );
    // Declining: 10 − (−5) = 15.
    let i = ind(Trend::Declining, None, None, None);
    assert_eq!(
        summary(&recs(&i)),
        vec![
            s("grow_revenue", 15, Priority::High),
            s("focus_on_core_metrics", 5, Priority::Medium),
        ]
    );
}

#[test]
fn undefined_factors_raise_no_recommendation() {
    // Points 0 < best for the three banded factors, but their metrics are undefined.
    let r = recs(&ind(Trend::Increasing, None, None, None));
    assert!(r.is_empty(), "{:?}", summary(&r));
}

#[test]
fn each_factor_maps_to_its_code_with_impact_best_minus_points() {
    let cases = [
        (
            vol(ratio(1, 2)),
            "revenue_volatility",
            "stabilize_revenue",
            5,
        ),
        (
            vol(ratio(2, 3)),
            "revenue_volatility",
            "stabilize_revenue",
            15,
        ),
        (
            cb(ratio(1, 50)),
            "chargeback_ratio",
            "reduce_chargebacks",
            5,
        ),
        (
            cb(ratio(1, 10)),
            "chargeback_ratio",
            "reduce_chargebacks",
            20,
        ),
        (
            pay(ratio(4, 5)),
            "payout_reliability",
            "improve_payout_timing",
            10,
        ),
        (
            pay(ratio(1, 2)),
            "payout_reliability",
            "improve_payout_timing",
            20,
        ),
    ];
    for (mut i, factor, code, impact) in cases {
        // An increasing trend keeps grow_revenue out of the way.
        i.revenue_trend = Trend::Increasing;
        let r = scored(&i);
        let f = r.factor(factor).unwrap();
        assert_eq!(f.best_points - f.points, impact, "{factor}");
        let got = recs(&i);
        let factor_recs: Vec<_> = got.iter().filter(|x| x.factor.is_some()).collect();
        assert_eq!(factor_recs.len(), 1, "{code}: {:?}", summary(&got));
        let rec = factor_recs[0];
        assert_eq!(rec.code, code);
        assert_eq!(rec.score_impact, impact);
        assert_eq!(rec.priority, Priority::of(impact, &spec()));
        assert_eq!(rec.factor.as_deref(), Some(factor));
        assert!(!rec.title.trim().is_empty());
        assert!(!rec.description.trim().is_empty());
    }
    // The trend: flat 10, declining 15.
    let got = recs(&ind(Trend::Flat, None, None, None));
    assert_eq!(got[0].code, "grow_revenue");
    assert_eq!(got[0].factor.as_deref(), Some("revenue_trend"));
}

#[test]
fn focus_on_core_metrics_below_50() {
    // 50: none.
    assert!(
        recs(&neutral())
            .iter()
            .all(|r| r.code != "focus_on_core_metrics")
    );
    // 40: impact 10, medium; ties with grow_revenue (10) are broken by code.
    let i = vol(ratio(1, 1));
    assert_eq!(scored(&i).score, 40);
    assert_eq!(
        summary(&recs(&i)),
        vec![
            s("stabilize_revenue", 15, Priority::High),
            s("focus_on_core_metrics", 10, Priority::Medium),
            s("grow_revenue", 10, Priority::Medium),
        ]
    );
    // 35: impact 15, high.
    let i = ind(Trend::Declining, Some(ratio(1, 1)), None, None);
    assert_eq!(scored(&i).score, 35);
    assert_eq!(
        summary(&recs(&i)),
        vec![
            s("focus_on_core_metrics", 15, Priority::High),
            s("grow_revenue", 15, Priority::High),
            s("stabilize_revenue", 15, Priority::High),
        ]
    );
    // 49 (another base): impact 1, low, after the medium one.
    let p = with_base(49);
    let r = score(&p, &neutral());
    assert_eq!(r.score, 49);
    assert_eq!(
        summary(&recommend(&p, &r, None)),
        vec![
            s("grow_revenue", 10, Priority::Medium),
            s("focus_on_core_metrics", 1, Priority::Low),
        ]
    );
    let focus = recommend(&p, &r, None)
        .into_iter()
        .find(|x| x.code == "focus_on_core_metrics")
        .unwrap();
    assert_eq!(focus.factor, None);
    assert!(!focus.title.is_empty() && !focus.description.is_empty());
}

#[test]
fn ordering_is_priority_then_impact_then_code() {
    // Everything at its worst: score 10.
    let worst = ind(
        Trend::Declining,
        Some(ratio(1, 1)),
        Some(ratio(1, 1)),
        Some(ratio(0, 1)),
    );
    assert_eq!(scored(&worst).score, 10);
    assert_eq!(
        summary(&recs(&worst)),
        vec![
            s("focus_on_core_metrics", 40, Priority::High),
            s("improve_payout_timing", 20, Priority::High),
            s("reduce_chargebacks", 20, Priority::High),
            s("grow_revenue", 15, Priority::High),
            s("stabilize_revenue", 15, Priority::High),
        ]
    );
    // Every factor neutral and defined: all medium, impact then code.
    let middle = ind(
        Trend::Flat,
        Some(ratio(3, 10)),
        Some(ratio(1, 100)),
        Some(ratio(9, 10)),
    );
    assert_eq!(scored(&middle).score, 50);
    assert_eq!(
        summary(&recs(&middle)),
        vec![
            s("grow_revenue", 10, Priority::Medium),
            s("improve_payout_timing", 10, Priority::Medium),
            s("reduce_chargebacks", 5, Priority::Medium),
            s("stabilize_revenue", 5, Priority::Medium),
        ]
    );
    // Mixed.
    let mixed = ind(
        Trend::Flat,
        Some(ratio(3, 4)),
        Some(ratio(1, 100)),
        Some(ratio(1, 1)),
    );
    assert_eq!(scored(&mixed).score, 50);
    assert_eq!(
        summary(&recs(&mixed)),
        vec![
            s("stabilize_revenue", 15, Priority::High),
            s("grow_revenue", 10, Priority::Medium),
            s("reduce_chargebacks", 5, Priority::Medium),
        ]
    );
}

#[test]
fn recommendations_from_real_metrics_name_concrete_numbers() {
    // 50 charges of 1.00, 1 chargeback (exactly 2 %), one failed payout.
    let data = data_of(
        &many_usd("c", AS_OF, 50),
        &[payout(
            "po_1",
            midnight("2026-11-20"),
            PayoutStatus::Failed,
            Currency::USD,
        )],
        &[dispute(
            "dp_1",
            "ch_c0",
            noon_plus(AS_OF, 0),
            "lost",
            Currency::USD,
        )],
        &[],
    );
    let report = assess(&data, &Options::ending(date(AS_OF)), &spec()).unwrap();
    // 50 + 10 (all revenue in the second half) − 10 (one busy day) + 0 − 10 = 40.
    assert_eq!(report.readiness.score, 40);
    assert_eq!(
        summary(&report.recommendations),
        vec![
            s("improve_payout_timing", 20, Priority::High),
            s("stabilize_revenue", 15, Priority::High),
            s("focus_on_core_metrics", 10, Priority::Medium),
            s("reduce_chargebacks", 5, Priority::Medium),
        ]
    );
    for r in &report.recommendations {
        assert!(!r.title.trim().is_empty());
        assert!(!r.description.trim().is_empty());
    }
}

// ---------------------------------------------------------------------------------------
// §6 The report's JSON
// ---------------------------------------------------------------------------------------

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn set<'a>(items: &[&'a str]) -> BTreeSet<&'a str> {
    items.iter().copied().collect()
}

/// Checks the field names of every object of a report's JSON against §6.
fn assert_contract_shape(v: &Value) {
    assert_eq!(
        keys(v),
        set(&[
            "window",
            "currency",
            "metrics",
            "readiness",
            "recommendations"
        ])
    );
    assert_eq!(keys(&v["window"]), set(&["start_date", "end_date", "days"]));
    assert_eq!(
        keys(&v["metrics"]),
        set(&[
            "transaction_count",
            "revenue_total",
            "refunded_total",
            "net_revenue",
            "average_transaction_size",
            "revenue_volatility",
            "chargeback_count",
            "chargeback_ratio",
            "payouts_due",
            "payouts_on_time",
            "payout_reliability",
            "revenue_growth",
            "revenue_trend"
        ])
    );
    assert_eq!(
        keys(&v["readiness"]),
        set(&[
            "score",
            "tier",
            "tier_label",
            "policy",
            "max_attainable",
            "factors"
        ])
    );
    for f in v["readiness"]["factors"].as_array().unwrap() {
        assert_eq!(
            keys(f),
            set(&[
                "code",
                "value",
                "points",
                "best_points",
                "worst_points",
                "effect",
                "explanation"
            ])
        );
        assert!(f["explanation"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let required = set(&["code", "priority", "score_impact", "title", "description"]);
    for r in v["recommendations"].as_array().unwrap() {
        let k = keys(r);
        assert!(k.is_superset(&required), "{k:?}");
        // §6 allows added fields; the only one today is the factor a recommendation
        // comes from.
        assert!(k.is_subset(&set(&[
            "code",
            "priority",
            "score_impact",
            "title",
            "description",
            "factor"
        ])));
        assert!(r["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(r["description"].as_str().is_some_and(|t| !t.is_empty()));
    }
}

/// The report's JSON without the free texts (titles, descriptions, explanations,
/// recommendation factors), which are checked for presence only.
fn without_texts(mut v: Value) -> Value {
    for f in v["readiness"]["factors"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("explanation");
    }
    for r in v["recommendations"].as_array_mut().unwrap() {
        let o = r.as_object_mut().unwrap();
        o.remove("title");
        o.remove("description");
        o.remove("factor");
    }
    v
}

#[test]
fn empty_data_gives_the_example_of_section_6() {
    let report = assess(&PaymentData::new(), &Options::ending(date(AS_OF)), &spec()).unwrap();
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v, report.to_json());
    assert_contract_shape(&v);
    assert_eq!(
        without_texts(v),
        json!({
            "window": {"start_date": "2026-10-30", "end_date": "2026-11-28", "days": 30},
            "currency": "usd",
            "metrics": {"transaction_count": 0, "revenue_total": "0.00", "refunded_total": "0.00",
                        "net_revenue": "0.00", "average_transaction_size": null,
                        "revenue_volatility": null, "chargeback_count": 0, "chargeback_ratio": null,
                        "payouts_due": 0, "payouts_on_time": 0, "payout_reliability": null,
                        "revenue_growth": null, "revenue_trend": "flat"},
            "readiness": {"score": 50, "tier": "improving", "tier_label": "Improving",
                          "policy": "spec-v1", "max_attainable": 80, "factors": [
                {"code": "revenue_trend", "value": "flat", "points": 0, "best_points": 10,
                 "worst_points": -5, "effect": "neutral"},
                {"code": "revenue_volatility", "value": null, "points": 0, "best_points": 5,
                 "worst_points": -10, "effect": "neutral"},
                {"code": "chargeback_ratio", "value": null, "points": 0, "best_points": 5,
                 "worst_points": -15, "effect": "neutral"},
                {"code": "payout_reliability", "value": null, "points": 0, "best_points": 10,
                 "worst_points": -10, "effect": "neutral"}
            ]},
            "recommendations": [{"code": "grow_revenue", "priority": "medium", "score_impact": 10}]
        })
    );
}

#[test]
fn a_full_report_has_exact_values_and_formats() {
    let usd = Currency::USD;
    // Two 30-day halves: 10.00 a day in the first, 11.00 a day in the second (+10 %).
    let mut amounts = vec![1_000; 15];
    amounts.extend(vec![1_100; 15]);
    let mut charges = daily_usd(AS_OF, &amounts);
    // 200 extra tiny charges on as_of make |S| = 230; 1 chargeback: 1/230 < 0.5 %.
    charges.extend((0..200).map(|i| ok_charge(&format!("ch_tiny{i}"), at(AS_OF, 60), 1, usd)));
    let payouts: Vec<_> = (0..21)
        .map(|i| {
            payout(
                &format!("po_{i}"),
                midnight("2026-11-10") + i64::from(i) * 86_400 / 2,
                PayoutStatus::Paid,
                usd,
            )
        })
        .collect();
    // One payout of 21 paid 3 days late: 20/21 > 95 %.
    let events = [paid_event("evt_late", "po_0", midnight("2026-11-13"))];
    let disputes = [dispute(
        "dp_1",
        "ch_day3",
        noon_plus(AS_OF, -1),
        "under_review",
        usd,
    )];
    let data = data_of(&charges, &payouts, &disputes, &events);
    let report: Report = assess(&data, &Options::ending(date(AS_OF)), &spec()).unwrap();
    let v = report.to_json();
    assert_contract_shape(&v);
    assert_eq!(
        without_texts(v),
        json!({
            "window": {"start_date": "2026-10-30", "end_date": "2026-11-28", "days": 30},
            "currency": "usd",
            "metrics": {"transaction_count": 230, "revenue_total": "317.00",
                        "refunded_total": "0.00", "net_revenue": "317.00",
                        "average_transaction_size": "1.38",
                        "revenue_volatility": 0.0632, "chargeback_count": 1,
                        "chargeback_ratio": 0.0043, "payouts_due": 21, "payouts_on_time": 20,
                        "payout_reliability": 0.9524, "revenue_growth": 0.1133,
                        "revenue_trend": "increasing"},
            "readiness": {"score": 80, "tier": "funding_ready", "tier_label": "Funding-ready",
                          "policy": "spec-v1", "max_attainable": 80, "factors": [
                {"code": "revenue_trend", "value": "increasing", "points": 10, "best_points": 10,
                 "worst_points": -5, "effect": "helps"},
                {"code": "revenue_volatility", "value": 0.0632, "points": 5, "best_points": 5,
                 "worst_points": -10, "effect": "helps"},
                {"code": "chargeback_ratio", "value": 0.0043, "points": 5, "best_points": 5,
                 "worst_points": -15, "effect": "helps"},
                {"code": "payout_reliability", "value": 0.9524, "points": 10, "best_points": 10,
                 "worst_points": -10, "effect": "helps"}
            ]},
            "recommendations": []
        })
    );
}
