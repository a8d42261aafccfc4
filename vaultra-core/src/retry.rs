//! One retry policy for everything that retries: the jobs and the payment sync.
//!
//! A wait grows exponentially from a base, is capped, and is spread with "equal jitter"
//! (uniform in its upper half) so that many workers failing together do not retry
//! together; it is never shorter than what the other side asked for (`Retry-After`).
//! The jitter is drawn from a caller's seed, so a caller with an injected clock stays
//! deterministic in tests.

use std::time::Duration;

use crate::error::Result;
use crate::ports::Sleeper;

/// Exponential backoff with a cap and equal jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry (before jitter); it doubles for each further one.
    pub base: Duration,
    /// The longest wait (before jitter), a provider's `Retry-After` aside.
    pub max: Duration,
}

impl Backoff {
    /// The wait before retry number `retry` (1-based): `base · 2^(retry−1)` capped at
    /// `max`, then a point of its upper half chosen by `seed`, and never less than
    /// `floor`.
    pub fn delay(&self, retry: u32, seed: u64, floor: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20))
            .min(self.max);
        let mut x =
            seed ^ u64::from(retry).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let half = exp / 2;
        let fraction = (x % 1_000) as u32;
        (half + half * fraction / 1_000).max(floor.unwrap_or_default())
    }
}

/// Runs `op` until it succeeds, fails with an error that is not retryable, or has been
/// tried `max_attempts` times (at least once), sleeping [`Backoff::delay`] between tries
/// with a seed from `seed` and the error's [`retry_after`](crate::Error::retry_after) as
/// the floor; returns the last result and the number of tries.
pub async fn retrying<T, F, Fut>(
    backoff: &Backoff,
    max_attempts: u32,
    sleeper: &dyn Sleeper,
    mut seed: impl FnMut() -> u64,
    mut op: F,
) -> (Result<T>, u32)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match op().await {
            Err(e) if e.is_retryable() && attempt < max_attempts.max(1) => {
                sleeper
                    .sleep(backoff.delay(attempt, seed(), e.retry_after()))
                    .await;
            }
            other => return (other, attempt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff {
        base: Duration::from_secs(2),
        max: Duration::from_secs(10),
    };

    #[test]
    fn delays_double_are_capped_and_jittered_in_the_upper_half() {
        for seed in [0, 1, 42, u64::MAX] {
            let first = B.delay(1, seed, None);
            assert!(first >= Duration::from_secs(1) && first <= Duration::from_secs(2));
            let second = B.delay(2, seed, None);
            assert!(second >= Duration::from_secs(2) && second <= Duration::from_secs(4));
            for retry in 3..40 {
                let d = B.delay(retry, seed, None);
                assert!(
                    d >= Duration::from_secs(5) && d <= Duration::from_secs(10),
                    "{d:?}"
                );
            }
        }
        // Different seeds spread the waits.
        let spread: std::collections::HashSet<_> =
            (0..50u64).map(|s| B.delay(3, s, None)).collect();
        assert!(spread.len() > 10);
    }

    #[test]
    fn a_floor_is_never_undercut() {
        let floor = Some(Duration::from_secs(45));
        assert_eq!(B.delay(1, 7, floor), Duration::from_secs(45));
        assert!(B.delay(5, 7, Some(Duration::from_millis(1))) >= Duration::from_secs(5));
    }

    #[tokio::test]
    async fn retrying_waits_at_least_what_the_error_asked() {
        use crate::Error;
        use crate::ports::RecordingSleeper;
        let sleeper = RecordingSleeper::default();
        let mut calls = 0;
        let (result, tries) = retrying(
            &B,
            3,
            &sleeper,
            || 1,
            || {
                calls += 1;
                let wait = (calls == 1).then_some(Duration::from_secs(45));
                async move {
                    Err::<(), _>(
                        Error::unavailable("rate limited", true)
                            .with_retry_after(wait)
                            .context("a page"),
                    )
                }
            },
        )
        .await;
        assert_eq!(tries, 3);
        assert!(result.is_err_and(|e| e.retry_after().is_none()));
        let slept = sleeper.slept();
        assert_eq!(slept.len(), 2);
        // The first error asked for 45 s (more than the backoff's 1–2 s); the second
        // asked for nothing, so the backoff decides (2–4 s).
        assert_eq!(slept[0], Duration::from_secs(45));
        assert!(slept[1] >= Duration::from_secs(2) && slept[1] <= Duration::from_secs(4));
    }
}
