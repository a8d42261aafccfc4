//! The recommendation lifecycle: pending → accepted | dismissed by the owner, pending →
//! resolved by the system, and dismissal memory.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A code dismissed less than this many days ago is not generated again.
pub const DISMISSAL_SUPPRESSION_DAYS: i64 = 30;

/// Where a stored recommendation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationStatus {
    /// New, awaiting the owner's decision.
    Pending,
    /// The owner will act on it.
    Accepted,
    /// The owner does not want it.
    Dismissed,
    /// Its rule stopped firing while it was still pending (METRICS.md §5 "Retiring"). Set
    /// only by a generation run, never by a user, and never reopened: if the rule fires
    /// again, a new pending one is made.
    Resolved,
}

impl RecommendationStatus {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Dismissed => "dismissed",
            Self::Resolved => "resolved",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "dismissed" => Some(Self::Dismissed),
            "resolved" => Some(Self::Resolved),
            _ => None,
        }
    }

    /// Whether a recommendation in this status is live: shown to the owner and refreshed
    /// by each generation run (at most one live per business and code).
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Pending | Self::Accepted)
    }

    /// Checks a move by a user; only pending → accepted and pending → dismissed are
    /// allowed (pending → resolved is the system's, see
    /// [`RecommendationStore::store_generation`](crate::ports::storage::RecommendationStore::store_generation)).
    pub fn transition(self, to: Self) -> Result<Self, Error> {
        match (self, to) {
            (Self::Pending, Self::Accepted | Self::Dismissed) => Ok(to),
            (from, to) => Err(Error::conflict(format!(
                "a {from} recommendation cannot become {to}; only pending ones can be accepted or dismissed"
            ))),
        }
    }
}

impl fmt::Display for RecommendationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a code dismissed at `dismissed_at` is still suppressed at `now`.
pub fn is_suppressed(dismissed_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - dismissed_at < Duration::days(DISMISSAL_SUPPRESSION_DAYS)
}

/// The instant after which a dismissal still suppresses its code at `now`: a code
/// dismissed at `t` is suppressed exactly when `t > suppressed_after(now)` (the same
/// rule as [`is_suppressed`], in the form a store can compare against).
pub fn suppressed_after(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(DISMISSAL_SUPPRESSION_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RecommendationStatus::*;

    #[test]
    fn only_pending_moves() {
        assert_eq!(Pending.transition(Accepted).unwrap(), Accepted);
        assert_eq!(Pending.transition(Dismissed).unwrap(), Dismissed);
        for (from, to) in [
            (Accepted, Dismissed),
            (Dismissed, Accepted),
            (Accepted, Pending),
            (Dismissed, Pending),
            (Pending, Pending),
            (Pending, Resolved),
            (Resolved, Pending),
            (Resolved, Accepted),
            (Resolved, Dismissed),
            (Accepted, Resolved),
        ] {
            assert!(matches!(from.transition(to), Err(Error::Conflict { .. })));
        }
    }

    #[test]
    fn suppression_lasts_thirty_days() {
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        assert!(is_suppressed(t0, t0 + Duration::days(29)));
        assert!(is_suppressed(
            t0,
            t0 + Duration::days(30) - Duration::seconds(1)
        ));
        assert!(!is_suppressed(t0, t0 + Duration::days(30)));
    }

    #[test]
    fn suppressed_after_agrees_with_is_suppressed() {
        let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 123_456_000).unwrap();
        let edge = suppressed_after(now);
        for offset in [-86_400_000_000i64, -1, 0, 1, 86_400_000_000] {
            let t = edge + Duration::microseconds(offset);
            assert_eq!(t > edge, is_suppressed(t, now), "offset {offset} µs");
        }
    }

    #[test]
    fn names_round_trip() {
        for s in [Pending, Accepted, Dismissed, Resolved] {
            assert_eq!(RecommendationStatus::parse(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(Resolved.as_str(), "resolved");
        assert!(!Resolved.is_live());
        assert_eq!(RecommendationStatus::parse("Resolved"), None);
    }
}
