//! Backoff for transient failures: exponential, capped, with full jitter (a uniformly random
//! wait between zero and the exponential bound), so that many files throttled at once do not
//! come back in lockstep. A server's Retry-After is a floor.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// Retries of one request after its first failure; offline waits do not count.
    pub max_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_retries: 6,
        }
    }
}

impl RetryPolicy {
    /// The upper bound of the wait before retry number `retry` (from 1).
    pub fn bound(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1).min(20))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait before retry number `retry`, given a uniform random `unit` in [0, 1).
    pub fn delay(&self, retry: u32, unit: f64, retry_after: Option<Duration>) -> Duration {
        let jittered = self.bound(retry).mul_f64(unit.clamp(0.0, 1.0));
        match retry_after {
            Some(after) => jittered.max(after.min(self.cap * 4)),
            None => jittered,
        }
    }

    pub fn random_delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        self.delay(retry, rand::random::<f64>(), retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_doubles_then_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.bound(1), Duration::from_millis(500));
        assert_eq!(p.bound(2), Duration::from_secs(1));
        assert_eq!(p.bound(4), Duration::from_secs(4));
        assert_eq!(p.bound(10), Duration::from_secs(30));
        assert_eq!(p.bound(1000), Duration::from_secs(30));
    }

    #[test]
    fn full_jitter_spans_zero_to_the_bound() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(3, 0.0, None), Duration::ZERO);
        assert_eq!(p.delay(3, 0.5, None), Duration::from_secs(1));
        assert!(p.delay(3, 0.999, None) < Duration::from_secs(2));
    }

    #[test]
    fn retry_after_is_a_floor() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(1, 0.0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.delay(8, 1.0, Some(Duration::from_secs(3))),
            Duration::from_secs(30)
        );
    }
}
