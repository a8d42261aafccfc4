//! Embedded defaults that need no server.

use chrono::{DateTime, Utc};
use vaultra_core::ports::Clock;

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
