//! A whole assessment — metrics, score, recommendations — and its text rendering.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{Currency, PaymentData};
use crate::error::Error;
use crate::metrics::{self, CurrencyChoice, DEFAULT_WINDOW_DAYS, Metrics, Window};
use crate::recommend::{Recommendation, recommend};
use crate::scoring::{Effect, Indicators, MetricValue, Policy, Readiness, format_exact, score};

/// What to assess: the window and the reporting currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Last day of the window (inclusive).
    pub as_of: NaiveDate,
    /// Window length in days (2..=366).
    pub window_days: u16,
    /// A fixed reporting currency, or `None` to pick it from the data.
    pub currency: Option<Currency>,
}

impl Options {
    /// The default window (30 days) ending on `as_of`, currency from the data.
    pub fn ending(as_of: NaiveDate) -> Self {
        Self {
            as_of,
            window_days: DEFAULT_WINDOW_DAYS,
            currency: None,
        }
    }
}

/// The result of scoring one business: the JSON contract of METRICS.md §6.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The window measured.
    pub window: Window,
    /// The reporting currency.
    pub currency: Currency,
    /// The metrics.
    pub metrics: Metrics,
    /// The readiness score and its factors.
    pub readiness: Readiness,
    /// Ranked recommendations.
    pub recommendations: Vec<Recommendation>,
}

impl Report {
    /// Scores already computed metrics under `policy`.
    pub fn from_metrics(metrics: Metrics, policy: &Policy) -> Self {
        let readiness = score(policy, &Indicators::from(&metrics));
        let recommendations = recommend(policy, &readiness, Some(&metrics));
        Self {
            window: metrics.window,
            currency: metrics.currency,
            metrics,
            readiness,
            recommendations,
        }
    }

    /// The report as a JSON value (the §6 contract).
    pub fn to_json(&self) -> serde_json::Value {
        // Serializing plain structs into a Value cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// A readable report for a person.
    pub fn to_text(&self) -> String {
        render_text(self)
    }
}

/// Runs the metric pass, the score and the recommendations over `data`.
pub fn assess(data: &PaymentData, options: &Options, policy: &Policy) -> Result<Report, Error> {
    let window = Window::new(options.as_of, options.window_days)?;
    let metrics = metrics::compute(data, window, CurrencyChoice::from(options.currency));
    Ok(Report::from_metrics(metrics, policy))
}

const WIDTH: usize = 88;

/// Renders `report` as plain text: score and tier, factors, metrics, daily revenue,
/// recommendations.
pub fn render_text(report: &Report) -> String {
    let m = &report.metrics;
    let r = &report.readiness;
    let cur = report.currency.as_str().to_uppercase();
    let money = |x: &crate::domain::Money| format!("{} {cur}", group(&x.to_string()));
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };

    line("VAULTRA · FUNDING READINESS REPORT");
    line(&format!(
        "{} to {} ({} days) · amounts in {cur}",
        report.window.start_date(),
        report.window.end_date(),
        report.window.days()
    ));
    line("");
    line(&format!(
        "  Score {:>3} / 100   {}   (policy {}; highest reachable {})",
        r.score, r.tier_label, r.policy, r.max_attainable
    ));
    line(&format!("  {}", gauge(r.score)));
    line("");

    line("WHAT HELPS AND WHAT HURTS");
    for f in &r.factors {
        let mark = match f.effect {
            Effect::Helps => '+',
            Effect::Hurts => '-',
            Effect::Neutral => '=',
        };
        let head = format!(
            "  {mark} {:<20} {:>+4}  ",
            f.code.replace('_', " "),
            f.points
        );
        for (i, text) in wrap(&f.explanation, WIDTH - head.chars().count())
            .iter()
            .enumerate()
        {
            if i == 0 {
                line(&format!("{head}{text}"));
            } else {
                line(&format!(
                    "{:width$}{text}",
                    "",
                    width = head.chars().count()
                ));
            }
        }
    }
    line("");

    line("METRICS");
    let ratio = |v: &Option<crate::metrics::Exact>, k| {
        v.as_ref().map_or("n/a".to_owned(), |x| format_exact(k, x))
    };
    use crate::scoring::MetricKey as K;
    let rows = [
        ("Revenue (gross)", money(&m.revenue_total)),
        ("Refunded", money(&m.refunded_total)),
        ("Net revenue", money(&m.net_revenue)),
        (
            "Successful charges",
            group(&m.transaction_count.to_string()),
        ),
        (
            "Average charge",
            m.average_transaction_size
                .as_ref()
                .map_or("n/a".to_owned(), money),
        ),
        (
            "Revenue growth",
            format!(
                "{} ({})",
                ratio(&m.revenue_growth, K::RevenueGrowth),
                m.revenue_trend
            ),
        ),
        (
            "Volatility",
            ratio(&m.revenue_volatility, K::RevenueVolatility),
        ),
        (
            "Chargebacks",
            format!(
                "{} ({})",
                m.chargeback_count,
                ratio(&m.chargeback_ratio, K::ChargebackRatio)
            ),
        ),
        (
            "Payouts on time",
            format!(
                "{} of {} ({})",
                m.payouts_on_time,
                m.payouts_due,
                ratio(&m.payout_reliability, K::PayoutReliability)
            ),
        ),
    ];
    for (label, value) in rows {
        line(&format!("  {label:<20} {value}"));
    }
    line(&format!(
        "  {:<20} {}",
        "Daily revenue",
        sparkline(&m.daily_revenue)
    ));
    line("");

    line("RECOMMENDATIONS");
    if report.recommendations.is_empty() {
        line("  Nothing to improve under this policy: every factor is at its best.");
    }
    for (i, rec) in report.recommendations.iter().enumerate() {
        line(&format!(
            "  {}. {} [{}, +{} points]",
            i + 1,
            rec.title,
            rec.priority,
            rec.score_impact
        ));
        for text in wrap(&rec.description, WIDTH - 5) {
            line(&format!("     {text}"));
        }
    }
    if r.factors
        .iter()
        .all(|f| f.value == MetricValue::Undefined || f.points == 0)
        && m.transaction_count == 0
    {
        line("");
        line("  Note: no successful charges in this window; check --as-of and the data folder.");
    }
    out
}

/// A 50-cell bar of the score with the tier boundaries under it.
fn gauge(score: i32) -> String {
    let filled = (score.clamp(0, 100) as usize).div_ceil(2);
    format!("[{}{}]", "█".repeat(filled), "·".repeat(50 - filled))
}

/// One block character per day, scaled to the busiest day.
fn sparkline(daily: &[i128]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = daily.iter().copied().max().unwrap_or(0);
    if max <= 0 {
        return "(no revenue)".to_owned();
    }
    daily
        .iter()
        .map(|&v| {
            if v <= 0 {
                ' '
            } else {
                BARS[((v * 7) / max).clamp(0, 7) as usize]
            }
        })
        .collect()
}

/// Inserts thousands separators into a plain decimal string (`1234567.50` → `1,234,567.50`).
fn group(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Greedy word wrap.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(group("0.00"), "0.00");
        assert_eq!(group("999"), "999");
        assert_eq!(group("1234567.50"), "1,234,567.50");
        assert_eq!(group("-1234.5"), "-1,234.5");
    }

    #[test]
    fn wraps_words() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
    }

    #[test]
    fn sparkline_scales() {
        assert_eq!(sparkline(&[0, 0]), "(no revenue)");
        assert_eq!(sparkline(&[1, 7, 0]), "▂█ ");
    }
}
