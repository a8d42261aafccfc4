//! What a caller asks to be assessed: the window, the currency and the policy.
//!
//! Every host takes these from its own protocol (flags, tool arguments, keyword
//! arguments, query parameters) and hands them over unresolved; the defaults — the 30
//! days ending on the last complete UTC day (METRICS.md §2) — and the bounds are decided
//! here, once.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::domain::Currency;
use crate::error::{Error, Result};
use crate::metrics::{
    CurrencyChoice, DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, MIN_WINDOW_DAYS, Window,
};
use crate::ports::Clock;
use crate::scoring::Policy;

/// A window as a caller describes it; unset parts take the defaults of METRICS.md §2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowSpec {
    /// The last day of the window (inclusive); default: yesterday (UTC) by the clock.
    pub as_of: Option<NaiveDate>,
    /// The window's length in days; default 30, within 2..=366.
    pub days: Option<u16>,
}

impl WindowSpec {
    /// The default window: 30 days ending yesterday.
    pub const DEFAULT: Self = Self {
        as_of: None,
        days: None,
    };

    /// A window ending on `as_of`, default length.
    pub fn ending(as_of: NaiveDate) -> Self {
        Self {
            as_of: Some(as_of),
            days: None,
        }
    }

    /// A window of `days` days; `Invalid` (field `window_days`) for a negative or
    /// out-of-range count, so a host can hand over whatever integer it parsed.
    pub fn with_days(self, days: Option<i64>) -> Result<Self> {
        let days = match days {
            None => None,
            Some(d) => Some(
                u16::try_from(d)
                    .ok()
                    .filter(|d| (MIN_WINDOW_DAYS..=MAX_WINDOW_DAYS).contains(d))
                    .ok_or_else(|| {
                        Error::invalid(
                            "window_days",
                            format!("{d} is outside {MIN_WINDOW_DAYS}..={MAX_WINDOW_DAYS}"),
                        )
                    })?,
            ),
        };
        Ok(Self { days, ..self })
    }

    /// The same window ending on the date `text` (`YYYY-MM-DD`); `Invalid` (field
    /// `as_of`) if it is not one.
    pub fn with_as_of_str(self, text: Option<&str>) -> Result<Self> {
        let as_of = match text {
            None => None,
            Some(t) => Some(
                NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
                    Error::invalid(
                        "as_of",
                        format!("{:?} is not a date (YYYY-MM-DD)", bounded(t)),
                    )
                })?,
            ),
        };
        Ok(Self { as_of, ..self })
    }

    /// The window this describes, by `clock` for the default end.
    pub fn resolve(&self, clock: &dyn Clock) -> Result<Window> {
        let days = self.days.unwrap_or(DEFAULT_WINDOW_DAYS);
        match self.as_of {
            Some(as_of) => Window::new(as_of, days),
            None => Window::ending_yesterday(clock.now(), days),
        }
    }
}

/// What to assess: the window, the reporting currency, and optionally a policy other than
/// the façade's.
#[derive(Debug, Clone, Default)]
pub struct Assessment {
    /// The window.
    pub window: WindowSpec,
    /// A fixed reporting currency, or `None` to pick it from the data (METRICS.md §2).
    pub currency: Option<Currency>,
    /// A policy for this assessment only; `None` uses the façade's.
    pub policy: Option<Arc<Policy>>,
}

impl Assessment {
    /// The default assessment: 30 days ending yesterday, currency from the data, the
    /// façade's policy.
    pub fn new(window: WindowSpec) -> Self {
        Self {
            window,
            ..Self::default()
        }
    }

    /// The same assessment in `currency` (`None`: from the data).
    #[must_use]
    pub fn in_currency(mut self, currency: Option<Currency>) -> Self {
        self.currency = currency;
        self
    }

    /// The same assessment under `policy`.
    #[must_use]
    pub fn under(mut self, policy: Arc<Policy>) -> Self {
        self.policy = Some(policy);
        self
    }

    pub(crate) fn currency_choice(&self) -> CurrencyChoice {
        CurrencyChoice::from(self.currency)
    }
}

/// At most 64 characters of a caller's text, for quoting it back in an error.
fn bounded(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}
