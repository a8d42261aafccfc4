//! Recommendation texts follow the policy in force: every threshold they name is the
//! policy's own, and every concrete target (a count of chargebacks or on-time payouts, an
//! amount of revenue) sits exactly on the edge of the policy's band — the stated number
//! reaches the goal and one step further does not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{cur, date};
use vaultra_core::metrics::{Exact, MetricParts, Metrics, Trend, Window};
use vaultra_core::recommend::{Recommendation, recommend};
use vaultra_core::scoring::{Indicators, MetricValue, Policy, Readiness, Rule, score};

/// A policy unlike spec-v1 in every number the advice names, using all four comparisons:
/// growth < −10 % costs 8 and > 8 % adds 12 (scored on growth, not on the trend);
/// volatility >= 0.7 costs 10 and <= 0.3 adds 5; chargebacks >= 4 % cost 15 and <= 1 %
/// add 5; payouts >= 90 % on time add 10 and < 70 % cost 10; focus below 45.
const CUSTOM: &str = r#"{
  "name": "custom-advice",
  "base_score": 50, "min_score": 0, "max_score": 100,
  "components": [
    {"code": "revenue_growth", "metric": "revenue_growth", "recommendation": "grow_revenue",
     "rule": {"kind": "bands", "otherwise": 0, "undefined": 0, "bands": [
       {"op": "lt", "threshold": "-0.1", "points": -8},
       {"op": "gt", "threshold": "0.08", "points": 12}]}},
    {"code": "revenue_volatility", "metric": "revenue_volatility", "recommendation": "stabilize_revenue",
     "rule": {"kind": "bands", "otherwise": 0, "undefined": 0, "bands": [
       {"op": "ge", "threshold": "0.7", "points": -10},
       {"op": "le", "threshold": "0.3", "points": 5}]}},
    {"code": "chargeback_ratio", "metric": "chargeback_ratio", "recommendation": "reduce_chargebacks",
     "rule": {"kind": "bands", "otherwise": 0, "undefined": 0, "bands": [
       {"op": "ge", "threshold": "0.04", "points": -15},
       {"op": "le", "threshold": "0.01", "points": 5}]}},
    {"code": "payout_reliability", "metric": "payout_reliability", "recommendation": "improve_payout_timing",
     "rule": {"kind": "bands", "otherwise": 0, "undefined": 0, "bands": [
       {"op": "ge", "threshold": "0.9", "points": 10},
       {"op": "lt", "threshold": "0.7", "points": -10}]}}
  ],
  "tiers": [
    {"code": "not_ready", "label": "Not ready", "min": 0, "max": 40},
    {"code": "ready", "label": "Ready", "min": 41, "max": 100}
  ],
  "recommendations": {"focus": {"code": "focus_on_core_metrics", "below": 45},
                      "high_above": 10, "medium_from": 5}
}"#;

fn custom() -> Policy {
    Policy::from_json(CUSTOM).unwrap()
}

/// Metrics from counts: `daily` minor units of USD per day (the window is as long).
fn metrics(daily: &[i128], charges: u64, chargebacks: u64, due: u64, on_time: u64) -> Metrics {
    MetricParts {
        window: Window::new(date("2026-11-28"), daily.len() as u16).unwrap(),
        currency: cur("usd"),
        daily_revenue: daily.to_vec(),
        transaction_count: charges,
        refunded: 0,
        chargeback_count: chargebacks,
        payouts_due: due,
        payouts_on_time: on_time,
    }
    .into_metrics()
    .unwrap()
}

fn assess(policy: &Policy, m: &Metrics) -> (Readiness, Vec<Recommendation>) {
    let r = score(policy, &Indicators::from(m));
    let recs = recommend(policy, &r, Some(m));
    (r, recs)
}

fn description<'a>(recs: &'a [Recommendation], code: &str) -> &'a str {
    &recs
        .iter()
        .find(|r| r.code == code)
        .unwrap_or_else(|| panic!("no {code} in {recs:#?}"))
        .description
}

fn rule<'a>(policy: &'a Policy, code: &str) -> &'a Rule {
    &policy
        .components
        .iter()
        .find(|c| c.code == code)
        .unwrap()
        .rule
}

/// The points `rule` gives the exact value `num / den`.
fn points_at(rule: &Rule, num: i128, den: i128) -> i32 {
    rule.evaluate(&MetricValue::Number(Exact::ratio(num, den).unwrap()))
        .0
}

/// The whole number right after `prefix` in `text`.
fn number_after(text: &str, prefix: &str) -> Option<i128> {
    let rest = &text[text.find(prefix)? + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The USD amount right after `prefix`, in cents.
fn cents_after(text: &str, prefix: &str) -> Option<i128> {
    let rest = &text[text.find(prefix)? + prefix.len()..];
    let amount: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let (units, cents) = amount.split_once('.')?;
    assert_eq!(cents.len(), 2, "{text}");
    Some(units.parse::<i128>().ok()? * 100 + cents.parse::<i128>().ok()?)
}

const LEVERS_GROW: &str = "Levers: win back lapsed customers, add a recurring plan or retainer, \
    raise prices on your best sellers, and push volume in the weeks that lag.";
const LEVERS_STABLE: &str = "Levers: move customers to subscriptions or retainers, bill large \
    clients in instalments instead of lump sums, and spread promotions across the month.";
const LEVERS_CB: &str = "Levers: answer every dispute with evidence before its deadline, use a \
    statement descriptor customers recognise, refund promptly when asked, and turn on 3-D \
    Secure and fraud rules for risky payments.";
const LEVERS_PAYOUT: &str = "Levers: keep bank details current and verified, keep a positive \
    balance so payouts are not held back, and look into every failed or late payout with your \
    bank.";

#[test]
fn every_text_names_the_custom_policy_numbers() {
    let p = custom();
    // Growth −90 %, volatility ≈ 1.53, chargebacks 20 / 355, payouts 15 / 30: all hurt.
    let m = metrics(&[10_000, 0, 1_000, 0], 355, 20, 30, 15);
    let (r, recs) = assess(&p, &m);
    assert_eq!(r.score, 50 - 8 - 10 - 15 - 10);
    let vol = match &r.factor("revenue_volatility").unwrap().value {
        MetricValue::Number(x) => x.round4().to_string(),
        v => panic!("{v:?}"),
    };

    // R2 ≥ 0.9·R1 = 90.00 removes the penalty; R2 > 1.08·R1 = 108.00 earns the bonus.
    assert_eq!(
        description(&recs, "grow_revenue"),
        format!(
            "Revenue in the last 2 days was 10.00 USD against 100.00 USD in the 2 days before. \
             Bringing the recent half to at least 90.00 USD (at least -10% growth) removes the \
             penalty, and to at least 108.01 USD (more than 8% growth) earns the bonus. \
             Worth 20 points. {LEVERS_GROW}"
        )
    );
    assert_eq!(
        description(&recs, "stabilize_revenue"),
        format!(
            "Your daily revenue has a volatility of {vol} (standard deviation over mean); lenders \
             read swings as risk. Getting volatility below 0.7 removes the penalty, and at most \
             0.3 earns the bonus. Worth 15 points. {LEVERS_STABLE}"
        )
    );
    // cb / 355 < 4 % ⇔ cb < 14.2; cb / 355 ≤ 1 % ⇔ cb ≤ 3.55.
    assert_eq!(
        description(&recs, "reduce_chargebacks"),
        format!(
            "20 of your 355 successful charges in the last 4 days became chargebacks (5.63%). \
             At this volume, at most 14 chargebacks keeps you under the 4% limit and at most 3 \
             (at most 1%) earns the bonus. Worth 20 points. {LEVERS_CB}"
        )
    );
    // k / 30 ≥ 70 % ⇔ k ≥ 21; k / 30 ≥ 90 % ⇔ k ≥ 27.
    assert_eq!(
        description(&recs, "improve_payout_timing"),
        format!(
            "15 of 30 payouts due in the window arrived on time (50.00%). Having at least 21 of \
             30 on time (at least 70%) removes the penalty, and at least 27 (at least 90%) earns \
             the bonus. Worth 20 points. {LEVERS_PAYOUT}"
        )
    );
    assert_eq!(
        description(&recs, "focus_on_core_metrics"),
        "Your score of 7 is below 45, so lenders will see more risk than strength. Fix what \
         costs you points first: revenue growth, revenue volatility, chargeback ratio, payout \
         reliability. Each of the other recommendations says by how much."
    );

    // The advice and the factor explanations speak of the same thresholds.
    assert_eq!(
        r.factor("chargeback_ratio").unwrap().explanation,
        "Chargebacks are 5.63% of your successful charges, at least 4%, which costs 15 points; \
         at most 1% would add 5 points."
    );
    assert_eq!(
        r.factor("payout_reliability").unwrap().explanation,
        "50.00% of your due payouts arrived on time, below 70%, which costs 10 points; at least \
         90% would add 10 points."
    );
    // Nothing of spec-v1's numbers leaks into the advice.
    for rec in &recs {
        for spec in ["2%", "0.5%", "95%", "80%", "0.5 ", "0.2 ", " 5%", " 50,"] {
            assert!(
                !rec.description.contains(spec),
                "{spec} in {}",
                rec.description
            );
        }
    }
}

#[test]
fn chargeback_targets_sit_exactly_on_the_custom_edges() {
    let p = custom();
    let cb_rule = rule(&p, "chargeback_ratio");
    for n in 1..=1_000u64 {
        // Every charge a chargeback: the penalty applies, so both targets are stated.
        let (_, recs) = assess(&p, &metrics(&[100, 100], n, n, 0, 0));
        let d = description(&recs, "reduce_chargebacks");
        let limit = if d.contains("no chargeback at all keeps you under the 4% limit") {
            0
        } else {
            number_after(d, "At this volume, at most ").unwrap()
        };
        assert!(
            d.contains(&format!(
                "at most {limit} chargeback{} keeps you under the 4% limit",
                if limit == 1 { "" } else { "s" }
            )) || limit == 0,
            "{d}"
        );
        let bonus = if d.contains("under the 4% limit and earns the bonus") {
            limit
        } else if d.contains("and none at all (at most 1%) earns the bonus") {
            0
        } else {
            number_after(d, "and at most ").unwrap()
        };
        let n = i128::from(n);
        assert!(points_at(cb_rule, limit, n) > -15, "n={n}: {d}");
        assert_eq!(points_at(cb_rule, limit + 1, n), -15, "n={n}: {d}");
        assert_eq!(points_at(cb_rule, bonus, n), 5, "n={n}: {d}");
        assert_ne!(points_at(cb_rule, bonus + 1, n), 5, "n={n}: {d}");
    }
}

#[test]
fn payout_targets_sit_exactly_on_the_custom_edges() {
    let p = custom();
    let payout_rule = rule(&p, "payout_reliability");
    for due in 1..=300u64 {
        let (_, recs) = assess(&p, &metrics(&[100, 100], 10, 0, due, 0));
        let d = description(&recs, "improve_payout_timing");
        let all = i128::from(due);
        let count = |text: &str| -> i128 {
            if text.starts_with("it ") || text.starts_with(&format!("all {due} ")) {
                all
            } else {
                number_after(text, "at least ").unwrap()
            }
        };
        let having = &d[d.find("Having ").unwrap() + "Having ".len()..];
        let clear = count(having);
        let bonus = if having.contains("removes the penalty and earns the bonus") {
            clear
        } else {
            count(&having[having.find(", and ").unwrap() + ", and ".len()..])
        };
        assert!(points_at(payout_rule, clear, all) >= 0, "due={due}: {d}");
        assert_eq!(
            points_at(payout_rule, clear - 1, all),
            -10,
            "due={due}: {d}"
        );
        assert_eq!(points_at(payout_rule, bonus, all), 10, "due={due}: {d}");
        assert_ne!(points_at(payout_rule, bonus - 1, all), 10, "due={due}: {d}");
    }
}

#[test]
fn revenue_targets_sit_exactly_on_the_custom_edges() {
    let p = custom();
    let growth_rule = rule(&p, "revenue_growth");
    for r1 in (1..=3_000i128).chain([99_999, 100_000, 123_456_789]) {
        // Nothing in the recent half: growth −100 %, the penalty applies.
        let (_, recs) = assess(&p, &metrics(&[r1, 0], 1, 0, 0, 0));
        let d = description(&recs, "grow_revenue");
        let clear = cents_after(d, "Bringing the recent half to at least ").unwrap();
        let bonus = cents_after(d, "and to at least ").unwrap();
        assert!(points_at(growth_rule, clear - r1, r1) >= 0, "r1={r1}: {d}");
        assert_eq!(
            points_at(growth_rule, clear - 1 - r1, r1),
            -8,
            "r1={r1}: {d}"
        );
        assert_eq!(points_at(growth_rule, bonus - r1, r1), 12, "r1={r1}: {d}");
        assert_ne!(
            points_at(growth_rule, bonus - 1 - r1, r1),
            12,
            "r1={r1}: {d}"
        );
    }
}

#[test]
fn spec_v1_targets_keep_their_exact_integer_rules() {
    let p = Policy::spec_v1();
    for n in 1..=1_000u64 {
        let (_, recs) = assess(&p, &metrics(&[100, 100], n, n, 0, 0));
        let d = description(&recs, "reduce_chargebacks");
        // ratio ≤ 2 % ⇔ 50·cb ≤ n; ratio < 0.5 % ⇔ 200·cb < n.
        let (limit, bonus) = (n / 50, (n - 1) / 200);
        let expected = match (limit, bonus) {
            (0, 0) => {
                "no chargeback at all keeps you within the 2% limit and earns the bonus.".to_owned()
            }
            (l, 0) => format!(
                "at most {l} chargeback{} keeps you within the 2% limit and none at all (under \
                 0.5%) earns the bonus.",
                if l == 1 { "" } else { "s" }
            ),
            (l, b) => format!(
                "at most {l} chargeback{} keeps you within the 2% limit and at most {b} (under \
                 0.5%) earns the bonus.",
                if l == 1 { "" } else { "s" }
            ),
        };
        assert!(d.contains(&expected), "n={n}: {d}");
    }
    for r1 in 1..=3_000i128 {
        let (_, recs) = assess(&p, &metrics(&[r1, r1], 1, 0, 0, 0));
        let d = description(&recs, "grow_revenue");
        let target = cents_after(d, "Bringing the recent half to at least ").unwrap();
        assert!(
            d.contains("(more than 5% growth) makes the trend increasing."),
            "{d}"
        );
        assert_eq!(Trend::of_halves(r1, target), Trend::Increasing, "r1={r1}");
        assert_ne!(
            Trend::of_halves(r1, target - 1),
            Trend::Increasing,
            "r1={r1}"
        );
    }
}

/// A copy of the custom policy with the chargeback bands replaced; `otherwise` also
/// stands for an undefined ratio, so the factor's best is what a ratio can earn.
fn with_chargeback_bands(bands: &str, otherwise: i32) -> Policy {
    let mut p = custom();
    let c = p
        .components
        .iter_mut()
        .find(|c| c.code == "chargeback_ratio")
        .unwrap();
    c.rule = serde_json::from_str(&format!(
        r#"{{"kind": "bands", "otherwise": {otherwise}, "undefined": {otherwise}, "bands": {bands}}}"#
    ))
    .unwrap();
    p.validate().unwrap();
    p
}

#[test]
fn a_factor_without_a_bonus_or_without_a_penalty_says_only_what_exists() {
    let m = metrics(&[100, 100], 300, 15, 0, 0); // 5 %
    let start = "15 of your 300 successful charges in the last 2 days became chargebacks (5.00%). ";

    // Only a penalty above 3 %: stay within the limit, no bonus to speak of.
    let p = with_chargeback_bands(r#"[{"op": "gt", "threshold": "0.03", "points": -15}]"#, 0);
    let (r, recs) = assess(&p, &m);
    assert_eq!(
        description(&recs, "reduce_chargebacks"),
        format!(
            "{start}At this volume, at most 9 chargebacks keeps you within the 3% limit. Worth 15 points. {LEVERS_CB}"
        )
    );
    assert_eq!(
        r.factor("chargeback_ratio").unwrap().explanation,
        "Chargebacks are 5.00% of your successful charges, above 3%, which costs 15 points; at \
         most 3% would cost nothing."
    );

    // Only a bonus below 1 %: no limit, just the bonus.
    let p = with_chargeback_bands(r#"[{"op": "lt", "threshold": "0.01", "points": 5}]"#, 0);
    let (r, recs) = assess(&p, &m);
    assert_eq!(
        description(&recs, "reduce_chargebacks"),
        format!(
            "{start}At this volume, at most 2 chargebacks (under 1%) earns the bonus. Worth 5 points. {LEVERS_CB}"
        )
    );
    assert_eq!(
        r.factor("chargeback_ratio").unwrap().explanation,
        "Chargebacks are 5.00% of your successful charges, not below 1%, which neither adds nor \
         costs points; below 1% would add 5 points."
    );

    // Every outcome costs points: the best there is, is a smaller cost.
    let p = with_chargeback_bands(r#"[{"op": "gt", "threshold": "0.03", "points": -15}]"#, -5);
    let (r, recs) = assess(&p, &m);
    assert_eq!(
        description(&recs, "reduce_chargebacks"),
        format!(
            "{start}At this volume, at most 9 chargebacks (at most 3%) limits the cost to 5 points. Worth 10 points. {LEVERS_CB}"
        )
    );
    assert_eq!(
        r.factor("chargeback_ratio").unwrap().explanation,
        "Chargebacks are 5.00% of your successful charges, above 3%, which costs 15 points; at \
         most 3% would cost only 5 points."
    );

    // Penalty and bonus on the same edge: one target does both.
    let p = with_chargeback_bands(r#"[{"op": "gt", "threshold": "0.03", "points": -15}]"#, 5);
    let (_, recs) = assess(&p, &m);
    assert_eq!(
        description(&recs, "reduce_chargebacks"),
        format!(
            "{start}At this volume, at most 9 chargebacks keeps you within the 3% limit and earns the bonus. Worth 20 points. {LEVERS_CB}"
        )
    );
}

#[test]
fn an_unreachable_bonus_is_said_to_be_out_of_reach() {
    let mut p = custom();
    let c = p
        .components
        .iter_mut()
        .find(|c| c.code == "payout_reliability")
        .unwrap();
    c.rule = serde_json::from_str(
        r#"{"kind": "bands", "otherwise": 0, "undefined": 0,
            "bands": [{"op": "gt", "threshold": "1", "points": 10}]}"#,
    )
    .unwrap();
    let (_, recs) = assess(&p, &metrics(&[100, 100], 10, 0, 30, 30));
    assert_eq!(
        description(&recs, "improve_payout_timing"),
        format!(
            "30 of 30 payouts due in the window arrived on time (100.00%). No number of on-time \
             payouts out of 30 gives a reliability above 100%. Worth 10 points. {LEVERS_PAYOUT}"
        )
    );
}

#[test]
fn a_trend_policy_that_rewards_flat_names_the_flat_range() {
    let mut p = Policy::spec_v1();
    p.components[0].rule = serde_json::from_str(
        r#"{"kind": "categorical", "points": {"increasing": 0, "flat": 5, "declining": -5}}"#,
    )
    .unwrap();
    // 100.00 then 150.00: increasing, 5 points short of flat.
    let (_, recs) = assess(&p, &metrics(&[10_000, 15_000], 1, 0, 0, 0));
    let d = description(&recs, "grow_revenue");
    assert!(
        d.starts_with(
            "Revenue in the last day was 150.00 USD against 100.00 USD in the day before. \
             Bringing the recent half to between 95.00 USD and 105.00 USD (at least -5% and at \
             most 5% growth) makes the trend flat. Worth 5 points."
        ),
        "{d}"
    );
    assert_eq!(Trend::of_halves(10_000, 9_500), Trend::Flat);
    assert_eq!(Trend::of_halves(10_000, 9_499), Trend::Declining);
    assert_eq!(Trend::of_halves(10_000, 10_500), Trend::Flat);
    assert_eq!(Trend::of_halves(10_000, 10_501), Trend::Increasing);
}

#[test]
fn an_unknown_code_is_titled_by_its_factor_and_still_concrete() {
    let mut p = custom();
    p.components[3].recommendation = Some("watch_payouts".to_owned());
    let (_, recs) = assess(&p, &metrics(&[100, 100], 10, 0, 30, 15));
    let rec = recs.iter().find(|r| r.code == "watch_payouts").unwrap();
    assert_eq!(rec.title, "Improve payout reliability");
    assert_eq!(
        rec.description,
        "15 of 30 payouts due in the window arrived on time (50.00%). Having at least 21 of 30 on \
         time (at least 70%) removes the penalty, and at least 27 (at least 90%) earns the bonus. \
         Worth 20 points."
    );
}

#[test]
fn small_counts_read_in_the_singular() {
    let p = Policy::spec_v1();
    // One charge, which became a chargeback; one payout due, late.
    let (_, recs) = assess(&p, &metrics(&[100, 100], 1, 1, 1, 0));
    let cb = description(&recs, "reduce_chargebacks");
    assert!(
        cb.starts_with(
            "1 of your 1 successful charge in the last 2 days became a chargeback (100.00%). At \
             this volume, no chargeback at all keeps you within the 2% limit and earns the bonus."
        ),
        "{cb}"
    );
    let payout = description(&recs, "improve_payout_timing");
    assert!(
        payout.starts_with(
            "0 of 1 payout due in the window arrived on time (0.00%). Having it on time (above \
             95%) removes the penalty and earns the bonus. Worth 20 points."
        ),
        "{payout}"
    );
    let grow = description(&recs, "grow_revenue");
    assert!(
        grow.starts_with(
            "Revenue in the last day was 1.00 USD against 1.00 USD in the day before. Bringing \
             the recent half to at least 1.06 USD (more than 5% growth) makes the trend \
             increasing. Worth 10 points."
        ),
        "{grow}"
    );
}
