//! The UTC-day window the metrics look at.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Serialize, Serializer, ser::SerializeStruct};

use crate::error::Error;

/// Seconds in a UTC day: a timestamp `t` falls on day `floor(t / 86400)`.
pub const SECONDS_PER_DAY: i64 = 86_400;
/// Smallest accepted window, in days.
pub const MIN_WINDOW_DAYS: u16 = 2;
/// Largest accepted window, in days.
pub const MAX_WINDOW_DAYS: u16 = 366;
/// Window length used when none is given.
pub const DEFAULT_WINDOW_DAYS: u16 = 30;

const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// N whole UTC days ending on `end` inclusive (METRICS.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    end: NaiveDate,
    days: u16,
}

impl Window {
    /// The `days`-day window ending on `as_of`; `days` must be within 2..=366.
    pub fn new(as_of: NaiveDate, days: u16) -> Result<Self, Error> {
        if !(MIN_WINDOW_DAYS..=MAX_WINDOW_DAYS).contains(&days) {
            return Err(Error::invalid(
                "window_days",
                format!("{days} is outside {MIN_WINDOW_DAYS}..={MAX_WINDOW_DAYS}"),
            ));
        }
        // The start must be a representable date too.
        as_of
            .checked_sub_days(Days::new(u64::from(days) - 1))
            .ok_or_else(|| Error::invalid("as_of", format!("{as_of} is out of range")))?;
        Ok(Self { end: as_of, days })
    }

    /// The window ending on the last complete UTC day before `now` (the default `as_of`).
    pub fn ending_yesterday(now: chrono::DateTime<chrono::Utc>, days: u16) -> Result<Self, Error> {
        let yesterday = now
            .date_naive()
            .pred_opt()
            .ok_or_else(|| Error::invalid("as_of", "the current date is out of range"))?;
        Self::new(yesterday, days)
    }

    /// First day, inclusive.
    pub fn start_date(&self) -> NaiveDate {
        self.end - Days::new(u64::from(self.days) - 1)
    }

    /// Last day, inclusive (`as_of`).
    pub fn end_date(&self) -> NaiveDate {
        self.end
    }

    /// Number of days N.
    pub fn days(&self) -> u16 {
        self.days
    }

    /// The first day as days since 1970-01-01.
    pub fn start_day(&self) -> i64 {
        epoch_day(self.start_date())
    }

    /// The last day as days since 1970-01-01.
    pub fn end_day(&self) -> i64 {
        epoch_day(self.end)
    }

    /// Whether unix-day `day` lies in the window.
    pub fn contains_day(&self, day: i64) -> bool {
        (self.start_day()..=self.end_day()).contains(&day)
    }
}

/// Days since 1970-01-01 of a date.
pub fn epoch_day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE
}

/// The UTC day of a unix timestamp.
pub fn day_of(timestamp: i64) -> i64 {
    timestamp.div_euclid(SECONDS_PER_DAY)
}

/// The date of a unix day number, if representable.
pub fn date_of_day(day: i64) -> Option<NaiveDate> {
    let ce = day.checked_add(UNIX_EPOCH_DAYS_FROM_CE)?;
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(ce).ok()?)
}

impl Serialize for Window {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Window", 3)?;
        s.serialize_field("start_date", &self.start_date())?;
        s.serialize_field("end_date", &self.end)?;
        s.serialize_field("days", &self.days)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn thirty_days_end_inclusive() {
        let w = Window::new(d("2026-11-28"), 30).unwrap();
        assert_eq!(w.start_date(), d("2026-10-30"));
        assert_eq!(w.end_day() - w.start_day(), 29);
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(
            json,
            r#"{"start_date":"2026-10-30","end_date":"2026-11-28","days":30}"#
        );
    }

    #[test]
    fn bounds_are_enforced() {
        assert!(Window::new(d("2026-01-01"), 1).is_err());
        assert!(Window::new(d("2026-01-01"), 2).is_ok());
        assert!(Window::new(d("2026-01-01"), 366).is_ok());
        assert!(Window::new(d("2026-01-01"), 367).is_err());
    }

    #[test]
    fn day_numbers_are_utc_floors() {
        assert_eq!(epoch_day(d("1970-01-01")), 0);
        assert_eq!(day_of(86_399), 0);
        assert_eq!(day_of(86_400), 1);
        assert_eq!(day_of(-1), -1);
        assert_eq!(
            date_of_day(epoch_day(d("2026-11-28"))),
            Some(d("2026-11-28"))
        );
    }

    #[test]
    fn default_as_of_is_yesterday() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T00:00:01Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let w = Window::ending_yesterday(now, 30).unwrap();
        assert_eq!(w.end_date(), d("2026-11-27"));
    }
}
