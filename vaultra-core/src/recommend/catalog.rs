//! Titles and concrete descriptions of each recommendation code.
//!
//! Every threshold a description names is read from the policy in force: the bands of the
//! factor's own component and the level of the focus rule. Concrete targets (how many
//! chargebacks, how many on-time payouts, how much revenue) are whole numbers derived from
//! those thresholds exactly, so the advice never contradicts the factor's explanation.

use num_bigint::BigInt;
use num_traits::ToPrimitive;
use rust_decimal::Decimal;

use crate::metrics::{Exact, Metrics, Trend};
use crate::scoring::{
    Bound, Component, Effect, Factor, Interval, MetricKey, MetricValue, Policy, Readiness, Rule,
    format_exact, format_number,
};

/// The words of one recommendation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// A short imperative title.
    pub title: String,
    /// What to do, with this business's own numbers where they are known.
    pub description: String,
}

/// The title and description of recommendation `code` under `policy`.
///
/// `factor` is the factor it comes from (none for the overall focus rule); its component
/// in `policy` supplies the thresholds the advice names. `metrics`, when present,
/// supplies counts and amounts so the advice names concrete targets.
pub fn text_for(
    policy: &Policy,
    code: &str,
    factor: Option<&Factor>,
    readiness: &Readiness,
    metrics: Option<&Metrics>,
) -> Text {
    let Some(factor) = factor else {
        return focus_text(policy, readiness);
    };
    let impact = factor.best_points - factor.points;
    let mut description = policy
        .components
        .iter()
        .find(|c| c.code == factor.code)
        .map(|c| situation(c, factor, metrics))
        .unwrap_or_default();
    description.push_str(&format!("Worth {}.", points(impact)));
    let title = match levers(code) {
        Some((title, levers)) => {
            description.push_str(" Levers: ");
            description.push_str(levers);
            title.to_owned()
        }
        None => format!("Improve {}", factor.code.replace('_', " ")),
    };
    Text { title, description }
}

/// The title and the levers of each known code.
fn levers(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code {
        "grow_revenue" => (
            "Grow revenue",
            "win back lapsed customers, add a recurring plan or retainer, raise prices on your \
             best sellers, and push volume in the weeks that lag.",
        ),
        "stabilize_revenue" => (
            "Stabilize revenue streams",
            "move customers to subscriptions or retainers, bill large clients in instalments \
             instead of lump sums, and spread promotions across the month.",
        ),
        "reduce_chargebacks" => (
            "Reduce chargebacks",
            "answer every dispute with evidence before its deadline, use a statement descriptor \
             customers recognise, refund promptly when asked, and turn on 3-D Secure and fraud \
             rules for risky payments.",
        ),
        "improve_payout_timing" => (
            "Improve payout timing",
            "keep bank details current and verified, keep a positive balance so payouts are not \
             held back, and look into every failed or late payout with your bank.",
        ),
        _ => return None,
    })
}

/// The focus rule's text: the score against the policy's focus level.
fn focus_text(policy: &Policy, readiness: &Readiness) -> Text {
    let below = policy
        .recommendations
        .focus
        .as_ref()
        .map_or(policy.base_score, |f| f.below);
    let level = if below == policy.base_score {
        format!("the starting point of {below}")
    } else {
        below.to_string()
    };
    let mut d = format!(
        "Your score of {} is below {level}, so lenders will see more risk than strength. ",
        readiness.score
    );
    let hurting: Vec<&Factor> = readiness
        .factors
        .iter()
        .filter(|f| f.effect == Effect::Hurts)
        .collect();
    if hurting.is_empty() {
        d.push_str("No single factor is to blame; strengthen the weakest ones first.");
    } else {
        let names: Vec<String> = hurting.iter().map(|f| f.code.replace('_', " ")).collect();
        d.push_str(&format!(
            "Fix what costs you points first: {}.",
            names.join(", ")
        ));
        // Only promise a recommendation per factor when each of them raised one.
        let raised = |f: &Factor| {
            !matches!(f.value, MetricValue::Undefined)
                && f.points < f.best_points
                && policy
                    .components
                    .iter()
                    .any(|c| c.code == f.code && c.recommendation.is_some())
        };
        if hurting.iter().all(|f| raised(f)) {
            d.push_str(if hurting.len() == 1 {
                " Its own recommendation says by how much."
            } else {
                " Each of the other recommendations says by how much."
            });
        }
    }
    Text {
        title: "Focus on core metrics".to_owned(),
        description: d,
    }
}

/// The sentences naming where the factor stands and what would move it, each ending with
/// ". "; empty when there is nothing concrete to say.
fn situation(c: &Component, f: &Factor, metrics: Option<&Metrics>) -> String {
    let x = match &f.value {
        MetricValue::Number(x) => Some(x),
        _ => None,
    };
    let value = x.map(|x| format_exact(f.metric, x));
    if let Rule::Categorical { points: table } = &c.rule {
        return trend_situation(table, f, metrics);
    }
    let goals = goals(&c.rule, x, f.points);
    match c.metric {
        MetricKey::RevenueVolatility => {
            let mut d = String::new();
            if let Some(v) = &value {
                d.push_str(&format!(
                    "Your daily revenue has a volatility of {v} (standard deviation over mean); \
                     lenders read swings as risk. "
                ));
            }
            for (i, g) in goals.iter().enumerate() {
                if i == 0 {
                    let target = getting_to(f.metric, &g.interval);
                    d.push_str(&format!("Getting volatility {target} {}", g.outcome));
                } else {
                    d.push_str(&format!(
                        ", and {} {}",
                        range_words(f.metric, &g.interval, Style::Plain),
                        g.outcome
                    ));
                }
            }
            if !goals.is_empty() {
                d.push_str(". ");
            }
            d
        }
        MetricKey::ChargebackRatio => match metrics.filter(|m| m.transaction_count > 0) {
            Some(m) => chargeback_counts(c, f, x, m, value.as_deref()),
            None => ratio_only(
                "Your chargeback ratio",
                value,
                &goals,
                f.metric,
                Style::Under,
            ),
        },
        MetricKey::PayoutReliability => match metrics.filter(|m| m.payouts_due > 0) {
            Some(m) => payout_counts(&goals, f.metric, m, value.as_deref()),
            None => ratio_only("Payout reliability", value, &goals, f.metric, Style::Plain),
        },
        MetricKey::RevenueGrowth => match metrics.filter(|m| m.first_half_revenue() > 0) {
            Some(m) => revenue_targets(m, &goals),
            None => ratio_only("Revenue growth", value, &goals, f.metric, Style::Plain),
        },
        MetricKey::RevenueTrend => String::new(),
    }
}

/// The first volatility target, after "Getting volatility": "to 0.5 or less", "below 0.2".
fn getting_to(metric: MetricKey, interval: &Interval) -> String {
    match (interval.lower, interval.upper) {
        (None, Some(u)) if u.closed => format!("to {} or less", format_number(metric, u.value)),
        (Some(l), None) if l.closed => format!("to {} or more", format_number(metric, l.value)),
        _ => range_words(metric, interval, Style::Plain),
    }
}

/// One thing to reach: the values, and what reaching them does.
struct Goal {
    interval: Interval,
    outcome: String,
}

/// What would improve a band factor now earning `now` points, nearest to its value `x`.
///
/// "Removes the penalty" is reaching the values that score at least 0; "earns the bonus"
/// is reaching the values that score the most any value can. When both are one and the
/// same interval it is one goal; a policy without a bonus gets no bonus goal, and one
/// whose best is still negative says how far the cost can shrink.
fn goals(rule: &Rule, x: Option<&Exact>, now: i32) -> Vec<Goal> {
    let Some(top) = rule.best_defined().filter(|top| *top > now) else {
        return Vec::new();
    };
    let Some(best) = rule.nearest_where(x, |p| p == top) else {
        return Vec::new();
    };
    let goal = |interval, outcome: &str| Goal {
        interval,
        outcome: outcome.to_owned(),
    };
    if top < 0 {
        return vec![goal(best, &format!("limits the cost to {}", points(-top)))];
    }
    if top == 0 {
        return vec![goal(best, "removes the penalty")];
    }
    if now > 0 {
        return vec![goal(best, "earns the full bonus")];
    }
    if now == 0 {
        return vec![goal(best, "earns the bonus")];
    }
    match rule.nearest_where(x, |p| p >= 0) {
        Some(clear) if clear != best => vec![
            goal(clear, "removes the penalty"),
            goal(best, "earns the bonus"),
        ],
        _ => vec![goal(best, "removes the penalty and earns the bonus")],
    }
}

/// `{subject} is {value}; {range} {outcome}, and …` — a ratio without counts behind it.
fn ratio_only(
    subject: &str,
    value: Option<String>,
    goals: &[Goal],
    metric: MetricKey,
    style: Style,
) -> String {
    let Some(v) = value else {
        return String::new();
    };
    if goals.is_empty() {
        return format!("{subject} is {v}. ");
    }
    let clauses: Vec<String> = goals
        .iter()
        .map(|g| format!("{} {}", range_words(metric, &g.interval, style), g.outcome))
        .collect();
    format!("{subject} is {v}; {}. ", clauses.join(", and "))
}

/// How open ends are said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// "above" / "below".
    Plain,
    /// "above" / "under".
    Under,
    /// "more than" / "less than".
    MoreThan,
}

/// The values of `interval` in words: "at most 2%", "below 0.2", "above 95%",
/// "at least 1% and below 4%".
fn range_words(metric: MetricKey, interval: &Interval, style: Style) -> String {
    let n = |b: Bound| format_number(metric, b.value);
    let low = |b: Bound| {
        if b.closed {
            format!("at least {}", n(b))
        } else if style == Style::MoreThan {
            format!("more than {}", n(b))
        } else {
            format!("above {}", n(b))
        }
    };
    let high = |b: Bound| {
        if b.closed {
            format!("at most {}", n(b))
        } else {
            let word = match style {
                Style::Plain => "below",
                Style::Under => "under",
                Style::MoreThan => "less than",
            };
            format!("{word} {}", n(b))
        }
    };
    match (interval.lower, interval.upper) {
        (None, None) => "any value".to_owned(),
        (None, Some(u)) => high(u),
        (Some(l), None) => low(l),
        (Some(l), Some(u)) if l.value == u.value => format!("exactly {}", n(l)),
        (Some(l), Some(u)) => format!("{} and {}", low(l), high(u)),
    }
}

/// The whole numbers a count may take to reach a goal, within what the count can be.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Count {
    /// Only the smallest possible count (usually none at all).
    Least,
    /// At most this many.
    AtMost(BigInt),
    /// At least this many.
    AtLeast(BigInt),
    /// Every one of them (the count's ceiling).
    All,
    /// Exactly this many.
    Exactly(BigInt),
    /// From the first to the second, both included.
    Between(BigInt, BigInt),
    /// Any count does.
    Any,
    /// No count does.
    Unreachable,
}

/// The counts `k` in `floor..=ceiling` (no ceiling: unbounded) for which `(k − shift) / n`
/// lies in `interval`; `n > 0`.
fn count_in(
    interval: &Interval,
    n: &BigInt,
    shift: &BigInt,
    floor: &BigInt,
    ceiling: Option<&BigInt>,
) -> Count {
    let (least, greatest) = interval.numerators(n);
    let lo = least.map_or(floor.clone(), |k| (k + shift).max(floor.clone()));
    let hi = match (greatest.map(|k| k + shift), ceiling) {
        (Some(k), Some(c)) => Some(k.min(c.clone())),
        (k, c) => k.or_else(|| c.cloned()),
    };
    if hi.as_ref().is_some_and(|h| *h < lo) {
        return Count::Unreachable;
    }
    let to_top = hi.is_none() || hi.as_ref() == ceiling;
    match (lo == *floor, to_top, hi) {
        (true, true, _) => Count::Any,
        (false, true, _) if ceiling == Some(&lo) => Count::All,
        (false, true, _) => Count::AtLeast(lo),
        (true, false, Some(h)) if h == *floor => Count::Least,
        (true, false, Some(h)) => Count::AtMost(h),
        (false, false, Some(h)) if h == lo => Count::Exactly(lo),
        (false, false, Some(h)) => Count::Between(lo, h),
        (_, false, None) => Count::Any,
    }
}

/// The chargeback sentences: the counts behind the ratio, the count that keeps the factor
/// clear of its penalty, and the count that earns its bonus.
fn chargeback_counts(
    c: &Component,
    f: &Factor,
    x: Option<&Exact>,
    m: &Metrics,
    value: Option<&str>,
) -> String {
    let n = m.transaction_count;
    let cb = m.chargeback_count;
    let mut d = format!(
        "{cb} of your {n} successful charge{} in the last {} became {} ({}). ",
        plural(n),
        days(u64::from(m.window.days())),
        if cb == 1 {
            "a chargeback"
        } else {
            "chargebacks"
        },
        value.unwrap_or("n/a"),
    );
    let count = |i: &Interval| {
        count_in(
            i,
            &BigInt::from(n),
            &BigInt::from(0),
            &BigInt::from(0),
            None,
        )
    };
    let has_penalty = !c.rule.intervals_where(|p| p < 0).is_empty();
    let limit = has_penalty
        .then(|| c.rule.nearest_where(x, |p| p >= 0))
        .flatten();
    let bonus = c
        .rule
        .best_defined()
        .filter(|top| *top > f.points.max(0))
        .and_then(|top| c.rule.nearest_where(x, |p| p == top));
    let reward = if f.points > 0 {
        "earns the full bonus"
    } else {
        "earns the bonus"
    };
    let mut clauses = Vec::new();
    let mut unreachable = Vec::new();
    // One count for both (e.g. none at all at a low volume): say it once.
    let both = match (limit, bonus) {
        (Some(l), Some(b)) => l == b || (count(&l) == count(&b) && count(&l) != Count::Unreachable),
        _ => false,
    };
    if let Some(limit) = limit {
        let tail = if both {
            format!(" and {reward}")
        } else {
            String::new()
        };
        match (limit.lower, limit.upper, count(&limit)) {
            (_, _, Count::Unreachable) => {
                unreachable.push(range_words(f.metric, &limit, Style::Under))
            }
            (None, Some(u), k) => {
                let within = format!(
                    "{} the {} limit",
                    if u.closed { "within" } else { "under" },
                    format_number(f.metric, u.value)
                );
                clauses.push(match k {
                    Count::Least => format!("no chargeback at all keeps you {within}{tail}"),
                    Count::AtMost(k) => format!(
                        "at most {k} chargeback{} keeps you {within}{tail}",
                        if k == BigInt::from(1) { "" } else { "s" }
                    ),
                    k => format!("{} keeps you {within}{tail}", count_words(&k, true)),
                });
            }
            (_, _, k) => clauses.push(format!(
                "{} ({}) keeps you clear of the penalty{tail}",
                count_words(&k, true),
                range_words(f.metric, &limit, Style::Under)
            )),
        }
    }
    if let Some(bonus) = bonus.filter(|_| !both) {
        let k = count(&bonus);
        if k == Count::Unreachable {
            unreachable.push(range_words(f.metric, &bonus, Style::Under));
        } else {
            clauses.push(format!(
                "{} ({}) {reward}",
                count_words(&k, clauses.is_empty()),
                range_words(f.metric, &bonus, Style::Under)
            ));
        }
    } else if limit.is_none() {
        // No penalty to stay clear of and no bonus: the best is a smaller cost.
        for g in goals(&c.rule, x, f.points) {
            match count(&g.interval) {
                Count::Unreachable => {
                    unreachable.push(range_words(f.metric, &g.interval, Style::Under))
                }
                k => clauses.push(format!(
                    "{} ({}) {}",
                    count_words(&k, true),
                    range_words(f.metric, &g.interval, Style::Under),
                    g.outcome
                )),
            }
        }
    }
    if !clauses.is_empty() {
        d.push_str(&format!("At this volume, {}. ", clauses.join(" and ")));
    }
    for range in unreachable {
        d.push_str(&format!(
            "No number of chargebacks gives a ratio {range} at this volume. "
        ));
    }
    d
}

/// A chargeback count in words, with the noun when `noun` (it starts the clause).
fn count_words(k: &Count, noun: bool) -> String {
    let s = |k: &BigInt| if *k == BigInt::from(1) { "" } else { "s" };
    match (k, noun) {
        (Count::Least, true) => "no chargeback at all".to_owned(),
        (Count::Least, false) => "none at all".to_owned(),
        (Count::AtMost(k), true) => format!("at most {k} chargeback{}", s(k)),
        (Count::AtMost(k), false) => format!("at most {k}"),
        (Count::AtLeast(k), true) => format!("at least {k} chargeback{}", s(k)),
        (Count::AtLeast(k), false) => format!("at least {k}"),
        (Count::Exactly(k), true) => format!("exactly {k} chargeback{}", s(k)),
        (Count::Exactly(k), false) => format!("exactly {k}"),
        (Count::Between(a, b), true) => format!("between {a} and {b} chargebacks"),
        (Count::Between(a, b), false) => format!("between {a} and {b}"),
        (Count::All | Count::Any | Count::Unreachable, true) => {
            "any number of chargebacks".to_owned()
        }
        (Count::All | Count::Any | Count::Unreachable, false) => "any number".to_owned(),
    }
}

/// The payout sentences: how many were on time, and how many on time would reach each goal.
fn payout_counts(goals: &[Goal], metric: MetricKey, m: &Metrics, value: Option<&str>) -> String {
    let due = m.payouts_due;
    let mut d = format!(
        "{} of {due} payout{} due in the window arrived on time ({}). ",
        m.payouts_on_time,
        plural(due),
        value.unwrap_or("n/a"),
    );
    let big_due = BigInt::from(due);
    let zero = BigInt::from(0);
    let steps = merge(goals.iter().map(|g| Step {
        count: count_in(&g.interval, &big_due, &zero, &zero, Some(&big_due)),
        range: range_words(metric, &g.interval, Style::Plain),
        outcome: g.outcome.clone(),
    }));
    let mut clauses = Vec::new();
    for step in steps {
        let first = clauses.is_empty();
        let of_due = if first {
            format!(" of {due}")
        } else {
            String::new()
        };
        let k = match step.count {
            Count::Unreachable => {
                d.push_str(&format!(
                    "No number of on-time payouts out of {due} gives a reliability {}. ",
                    step.range
                ));
                continue;
            }
            Count::All if due == 1 => "it".to_owned(),
            Count::All => format!("all {due}"),
            Count::Any => "any number".to_owned(),
            Count::Least => format!("none of the {due}"),
            Count::AtMost(k) => format!("at most {k}{of_due}"),
            Count::AtLeast(k) => format!("at least {k}{of_due}"),
            Count::Exactly(k) => format!("exactly {k}{of_due}"),
            Count::Between(a, b) => format!("between {a} and {b}{of_due}"),
        };
        clauses.push(if first {
            format!("Having {k} on time ({}) {}", step.range, step.outcome)
        } else {
            format!("{k} ({}) {}", step.range, step.outcome)
        });
    }
    if !clauses.is_empty() {
        d.push_str(&format!("{}. ", clauses.join(", and ")));
    }
    d
}

/// One goal as a count: the whole numbers that reach it, the values in words, the outcome.
struct Step {
    count: Count,
    range: String,
    outcome: String,
}

/// Joins neighbouring goals reached by the very same counts: at a low volume removing the
/// penalty and earning the bonus can take the same count, which is then said once, with
/// the more demanding (later) range.
fn merge(steps: impl Iterator<Item = Step>) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for step in steps {
        match out.last_mut() {
            Some(last) if last.count == step.count && step.count != Count::Unreachable => {
                last.outcome = format!("{} and {}", last.outcome, step.outcome);
                last.range = step.range;
            }
            _ => out.push(step),
        }
    }
    out
}

/// Growth above which the trend is increasing, and below whose negative it is declining
/// (METRICS.md §3; [`Trend::of_halves`] decides it with the same 20·R2 vs 21·R1).
const TREND_GROWTH: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

/// The growth values that give `trend` (for a first half with revenue).
fn growth_of_trend(trend: Trend) -> Interval {
    let at = |value, closed| Some(Bound { value, closed });
    match trend {
        Trend::Increasing => Interval {
            lower: at(TREND_GROWTH, false),
            upper: None,
        },
        Trend::Flat => Interval {
            lower: at(-TREND_GROWTH, true),
            upper: at(TREND_GROWTH, true),
        },
        Trend::Declining => Interval {
            lower: None,
            upper: at(-TREND_GROWTH, false),
        },
    }
}

/// The trend factor's sentences: the halves' revenue and the amount that moves the trend to
/// the category the policy rewards most (the nearest one when several tie).
fn trend_situation(
    table: &std::collections::BTreeMap<String, i32>,
    f: &Factor,
    metrics: Option<&Metrics>,
) -> String {
    let MetricValue::Trend(now) = f.value else {
        return String::new();
    };
    let rank = |t: Trend| match t {
        Trend::Declining => 0i32,
        Trend::Flat => 1,
        Trend::Increasing => 2,
    };
    let pts = |t: Trend| table.get(t.as_str()).copied();
    let top = [Trend::Declining, Trend::Flat, Trend::Increasing]
        .into_iter()
        .filter_map(pts)
        .max();
    let target = [Trend::Increasing, Trend::Flat, Trend::Declining]
        .into_iter()
        .filter(|t| top.is_some_and(|top| pts(*t) == Some(top) && top > f.points))
        .min_by_key(|t| (rank(*t) - rank(now)).abs());
    let goal = target.map(|t| Goal {
        interval: growth_of_trend(t),
        outcome: format!("makes the trend {t}"),
    });
    let Some(m) = metrics else {
        // No amounts to name: the growth that gives the trend is still known.
        return goal.map_or_else(String::new, |g| {
            let growth = range_words(MetricKey::RevenueGrowth, &g.interval, Style::MoreThan);
            let mut chars = growth.chars();
            let growth: String = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            format!(
                "{growth} growth from the first half of the window to the second {}. ",
                g.outcome
            )
        });
    };
    let r1 = m.first_half_revenue();
    if r1 == 0 {
        let half = days(u64::from(m.window.days()) / 2);
        let mut d = format!("There was no revenue in the first {half} of the window. ");
        // With nothing in the first half, any revenue in the second makes it increasing.
        if target == Some(Trend::Increasing) {
            d.push_str(&format!(
                "Any revenue in the last {half} makes the trend increasing. "
            ));
        }
        return d;
    }
    revenue_targets(m, goal.as_slice())
}

/// The halves' revenue, then the amounts of second-half revenue that reach each goal.
fn revenue_targets(m: &Metrics, goals: &[Goal]) -> String {
    let (r1, r2) = (m.first_half_revenue(), m.second_half_revenue());
    let half = days(u64::from(m.window.days()) / 2);
    let cur = m.currency.as_str().to_uppercase();
    let mut d = format!(
        "Revenue in the last {half} was {} {cur} against {} {cur} in the {half} before. ",
        m.money(r2),
        m.money(r1),
    );
    d.push_str(&revenue_targets_only(m, goals, r1));
    d
}

/// "Bringing the recent half to at least X (more than 5% growth) …" for each goal: the
/// second-half revenue `R2` with `(R2 − R1) / R1` in the goal's growth interval.
fn revenue_targets_only(m: &Metrics, goals: &[Goal], r1: i128) -> String {
    let cur = m.currency.as_str().to_uppercase();
    let amount = |k: &BigInt| k.to_i128().map(|k| format!("{} {cur}", m.money(k)));
    let big_r1 = BigInt::from(r1);
    let zero = BigInt::from(0);
    let steps = merge(goals.iter().map(|g| Step {
        count: count_in(&g.interval, &big_r1, &big_r1, &zero, None),
        range: format!(
            "{} growth",
            range_words(MetricKey::RevenueGrowth, &g.interval, Style::MoreThan)
        ),
        outcome: g.outcome.clone(),
    }));
    let mut d = String::new();
    let mut clauses = Vec::new();
    for step in steps {
        let to = match &step.count {
            Count::Unreachable => {
                d.push_str(&format!(
                    "No revenue in the recent half gives {}. ",
                    step.range
                ));
                continue;
            }
            Count::AtLeast(k) => amount(k).map(|a| format!("at least {a}")),
            Count::AtMost(k) => amount(k).map(|a| format!("at most {a}")),
            Count::Exactly(k) => amount(k).map(|a| format!("exactly {a}")),
            Count::Between(a, b) => amount(a)
                .zip(amount(b))
                .map(|(a, b)| format!("between {a} and {b}")),
            Count::Least => Some("nothing".to_owned()),
            Count::All | Count::Any => None,
        };
        let Some(to) = to else { continue };
        clauses.push(if clauses.is_empty() {
            format!(
                "Bringing the recent half to {to} ({}) {}",
                step.range, step.outcome
            )
        } else {
            format!("to {to} ({}) {}", step.range, step.outcome)
        });
    }
    if !clauses.is_empty() {
        // Sentences about unreachable growth come after the reachable targets.
        let unreachable = std::mem::take(&mut d);
        d = format!("{}. {unreachable}", clauses.join(", and "));
    }
    d
}

/// "1 point", "15 points".
fn points(n: i32) -> String {
    format!("{n} point{}", if n.abs() == 1 { "" } else { "s" })
}

/// "day" for one, "15 days" otherwise: reads as "the last day", "the last 15 days".
fn days(n: u64) -> String {
    if n == 1 {
        "day".to_owned()
    } else {
        format!("{n} days")
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
