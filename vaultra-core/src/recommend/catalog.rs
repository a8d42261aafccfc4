//! Titles and concrete descriptions of each recommendation code.

use crate::metrics::Metrics;
use crate::scoring::{Effect, Factor, MetricValue, Readiness, format_exact};

/// The words of one recommendation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// A short imperative title.
    pub title: String,
    /// What to do, with this business's own numbers where they are known.
    pub description: String,
}

/// The title and description of recommendation `code`.
///
/// `factor` is the factor it comes from (none for the overall focus rule); `metrics`, when
/// present, supplies counts and amounts so the advice names concrete targets.
pub fn text_for(
    code: &str,
    factor: Option<&Factor>,
    readiness: &Readiness,
    metrics: Option<&Metrics>,
) -> Text {
    let impact = factor.map_or(0, |f| f.best_points - f.points);
    let value = factor.and_then(|f| match &f.value {
        MetricValue::Number(x) => Some(format_exact(f.metric, x)),
        _ => None,
    });
    let gain = format!("{impact} point{}", if impact == 1 { "" } else { "s" });
    let (title, description) = match code {
        "grow_revenue" => {
            let mut d = String::new();
            if let Some(m) = metrics {
                let (r1, r2) = (m.first_half_revenue(), m.second_half_revenue());
                let half = m.window.days() / 2;
                if r1 == 0 {
                    d.push_str(&format!(
                        "There was no revenue in the first {half} days of the window. "
                    ));
                } else {
                    // growth > 5 % ⇔ 20·R2 > 21·R1: the least R2 is ⌊21·R1/20⌋ + 1.
                    let target = (21 * r1).div_euclid(20) + 1;
                    d.push_str(&format!(
                        "Revenue in the last {half} days was {} {cur} against {} {cur} in the {half} days before. \
                         Bringing the recent half to at least {} {cur} (more than 5% growth) makes the trend increasing. ",
                        m.money(r2),
                        m.money(r1),
                        m.money(target),
                        cur = m.currency.as_str().to_uppercase(),
                    ));
                }
            } else if let Some(v) = &value {
                d.push_str(&format!(
                    "Revenue growth is {v}; above 5% makes the trend increasing. "
                ));
            }
            d.push_str(&format!(
                "Worth {gain}. Levers: win back lapsed customers, add a recurring plan or retainer, \
                 raise prices on your best sellers, and push volume in the weeks that lag."
            ));
            ("Grow revenue", d)
        }
        "stabilize_revenue" => {
            let mut d = String::new();
            if let Some(v) = &value {
                d.push_str(&format!(
                    "Your daily revenue has a volatility of {v} (standard deviation over mean); lenders read swings as risk. "
                ));
            }
            if factor.is_some_and(|f| f.effect == Effect::Hurts) {
                d.push_str("Getting volatility to 0.5 or less removes the penalty, and below 0.2 earns the bonus. ");
            } else {
                d.push_str("Getting volatility below 0.2 earns the bonus. ");
            }
            d.push_str(&format!(
                "Worth {gain}. Levers: move customers to subscriptions or retainers, bill large \
                 clients in instalments instead of lump sums, and spread promotions across the month."
            ));
            ("Stabilize revenue streams", d)
        }
        "reduce_chargebacks" => {
            let mut d = String::new();
            if let Some(m) = metrics {
                let n = m.transaction_count;
                // ratio ≤ 2 % ⇔ 50·cb ≤ n; ratio < 0.5 % ⇔ 200·cb < n.
                let within_limit = n / 50;
                let for_bonus = n.saturating_sub(1) / 200;
                d.push_str(&format!(
                    "{} of your {n} successful charges in the last {} days became chargebacks ({}). \
                     At this volume, at most {within_limit} chargeback{} keeps you within the 2% limit and at most \
                     {for_bonus} (under 0.5%) earns the bonus. ",
                    m.chargeback_count,
                    m.window.days(),
                    value.as_deref().unwrap_or("n/a"),
                    if within_limit == 1 { "" } else { "s" },
                ));
            } else if let Some(v) = &value {
                d.push_str(&format!(
                    "Your chargeback ratio is {v}; under 0.5% earns the bonus. "
                ));
            }
            d.push_str(&format!(
                "Worth {gain}. Levers: answer every dispute with evidence before its deadline, use a \
                 statement descriptor customers recognise, refund promptly when asked, and turn on \
                 3-D Secure and fraud rules for risky payments."
            ));
            ("Reduce chargebacks", d)
        }
        "improve_payout_timing" => {
            let mut d = String::new();
            if let Some(m) = metrics {
                let due = m.payouts_due;
                // reliability > 95 % ⇔ 20·on_time > 19·due: the least is ⌊19·due/20⌋ + 1.
                let needed = (19 * due) / 20 + 1;
                d.push_str(&format!(
                    "{} of {due} payouts due in the window arrived on time ({}). Having at least {} of {due} \
                     on time (above 95%) earns the bonus. ",
                    m.payouts_on_time,
                    value.as_deref().unwrap_or("n/a"),
                    needed.min(due),
                ));
            } else if let Some(v) = &value {
                d.push_str(&format!(
                    "Payout reliability is {v}; above 95% earns the bonus. "
                ));
            }
            d.push_str(&format!(
                "Worth {gain}. Levers: keep bank details current and verified, keep a positive balance \
                 so payouts are not held back, and look into every failed or late payout with your bank."
            ));
            ("Improve payout timing", d)
        }
        "focus_on_core_metrics" => {
            let hurting: Vec<&str> = readiness
                .factors
                .iter()
                .filter(|f| f.effect == Effect::Hurts)
                .map(|f| f.code.as_str())
                .collect();
            let mut d = format!(
                "Your score of {} is below the starting point of 50, so lenders will see more risk \
                 than strength. ",
                readiness.score
            );
            if hurting.is_empty() {
                d.push_str("No single factor is to blame; strengthen the weakest ones first.");
            } else {
                d.push_str(&format!(
                    "Fix what costs you points first: {}. Each of the other recommendations says by how much.",
                    hurting.join(", ").replace('_', " ")
                ));
            }
            ("Focus on core metrics", d)
        }
        other => (
            "Improve this factor",
            format!("Recommendation `{other}`: worth {gain}."),
        ),
    };
    Text {
        title: title.to_owned(),
        description,
    }
}
