//! Per-partner request rate limit: a token bucket per partner in this process (`KYCD_RATE_LIMIT_RPS`,
//! `KYCD_RATE_LIMIT_BURST`; 0 disables). Over the limit → `429 TOO_MANY_REQUESTS` with `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Token buckets keyed by partner id.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<i64, (f64, Instant)>>,
}

impl RateLimiter {
    /// `rate` requests per second with bursts of `burst`; a rate of 0 disables the limit.
    pub fn new(rate: f64, burst: f64) -> Self {
        Self {
            rate: rate.max(0.0),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the partner's bucket; `Err(seconds)` says when to retry.
    pub fn check(&self, partner: i64) -> Result<(), u64> {
        self.check_at(partner, Instant::now())
    }

    fn check_at(&self, partner: i64, now: Instant) -> Result<(), u64> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let Ok(mut b) = self.buckets.lock() else {
            return Ok(());
        };
        let (tokens, last) = b.entry(partner).or_insert((self.burst, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * self.rate).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bursts_then_refills_per_partner() {
        let l = RateLimiter::new(2.0, 3.0);
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at(1, t).is_ok());
        }
        assert_eq!(l.check_at(1, t), Err(1));
        // Another partner has its own bucket.
        assert!(l.check_at(2, t).is_ok());
        // Half a second later one request is available again.
        assert!(l.check_at(1, t + Duration::from_millis(500)).is_ok());
        assert!(l.check_at(1, t + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn zero_rate_disables() {
        let l = RateLimiter::new(0.0, 1.0);
        for _ in 0..1000 {
            assert!(l.check(1).is_ok());
        }
    }
}
