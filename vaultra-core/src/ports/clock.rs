//! Time, injected so that "now" is testable.

use std::fmt::Debug;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
///
/// Everything that depends on "now" (the default window, dismissal suppression, token
/// expiry) asks a `Clock`, so tests can move time instead of waiting for it.
pub trait Clock: Send + Sync + Debug + 'static {
    /// The current instant, UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// A clock that reads a settable instant (for tests and simulations).
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        // A poisoned lock still holds a valid instant.
        match self.0.lock() {
            Ok(t) => *t,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}
