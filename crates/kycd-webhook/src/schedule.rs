//! The retry schedule: delays between attempts, jitter, the back-off floor for overload answers and `Retry-After`.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

/// Minimum wait after a timeout, 429, 502 or 504 (applies only to production-like schedules, see
/// [`RetrySchedule::next_delay`]).
pub const OVERLOAD_FLOOR: Duration = Duration::from_secs(60);

/// Jitter fraction: each delay is scaled by a uniform factor in `[1 - JITTER, 1 + JITTER]`.
pub const JITTER: f64 = 0.2;

/// Delays between attempts: entry `i` is the wait after failed attempt `i + 1`. The first attempt is immediate, so a
/// schedule of `n` delays allows `n + 1` attempts in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<Duration>);

/// A schedule string did not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    /// An entry is not a finite, non-negative number of seconds.
    #[error("retry schedule entry {0:?} is not a non-negative number of seconds")]
    BadEntry(String),
    /// An entry is larger than 30 days.
    #[error("retry schedule entry {0:?} exceeds 30 days")]
    TooLong(String),
}

/// Why an attempt failed, as far as the schedule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The receiver is overloaded or unreachable in a way that deserves a longer pause: request timeout, 429, 502,
    /// 504.
    Overload,
    /// Any other failure (connection refused, 5xx, 3xx, other 4xx).
    Other,
}

impl Default for RetrySchedule {
    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h after the immediate first attempt (about 3.3 days).
    fn default() -> Self {
        const H: u64 = 3600;
        Self(
            [5, 300, 1800, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
        )
    }
}

impl FromStr for RetrySchedule {
    type Err = ScheduleError;

    /// Parses `KYCD_WEBHOOK_RETRY_SCHEDULE`: comma-separated seconds between attempts, fractions allowed
    /// (`1,2,5`, `0.05,0.05`). An empty string means no retries (one attempt only).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Self(Vec::new()));
        }
        s.split(',')
            .map(|e| {
                let e = e.trim();
                let secs: f64 = e
                    .parse()
                    .map_err(|_| ScheduleError::BadEntry(e.to_string()))?;
                if !secs.is_finite() || secs < 0.0 {
                    return Err(ScheduleError::BadEntry(e.to_string()));
                }
                if secs > 30.0 * 86_400.0 {
                    return Err(ScheduleError::TooLong(e.to_string()));
                }
                Ok(Duration::from_secs_f64(secs))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl std::fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", d.as_secs_f64())?;
        }
        Ok(())
    }
}

impl RetrySchedule {
    /// The scheduled (un-jittered) delay after the attempt that had `attempts_before` attempts before it; None when
    /// the schedule is exhausted (the row fails).
    pub fn scheduled(&self, attempts_before: i64) -> Option<Duration> {
        usize::try_from(attempts_before)
            .ok()
            .and_then(|i| self.0.get(i).copied())
    }

    /// The longest delay of the schedule.
    pub fn longest(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }

    /// The actual wait before the next attempt.
    ///
    /// `scheduled` is the delay from [`Self::scheduled`]; `unit` a uniform random number in `[0, 1)` that picks the
    /// jitter. Steps:
    /// 1. jitter: `scheduled × (0.8 + 0.4 × unit)`, so within ±20 %;
    /// 2. overload floor: after a timeout/429/502/504 wait at least [`OVERLOAD_FLOOR`] (60 s) — but only when the
    ///    schedule's longest delay is itself at least 60 s. A schedule made entirely of sub-minute delays (tests,
    ///    `KYCD_WEBHOOK_RETRY_SCHEDULE=1,2,5`) is used as configured, since a 60 s floor would defeat its purpose;
    /// 3. `Retry-After`: when the receiver sent one, it is honoured but clamped into `[d, 2d]` where `d` is the delay
    ///    from steps 1–2 (a receiver can slow us down at most by a factor of two and never speed us up).
    pub fn next_delay(
        &self,
        scheduled: Duration,
        kind: FailureKind,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Duration {
        let mut d = jittered(scheduled, unit);
        if kind == FailureKind::Overload && self.longest() >= OVERLOAD_FLOOR {
            d = d.max(OVERLOAD_FLOOR);
        }
        match retry_after {
            Some(ra) => clamp_retry_after(d, ra),
            None => d,
        }
    }
}

/// `d` scaled by `1 - JITTER + 2 × JITTER × unit` (`unit` clamped into `[0, 1]`).
pub fn jittered(d: Duration, unit: f64) -> Duration {
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.5
    };
    d.mul_f64(1.0 - JITTER + 2.0 * JITTER * unit)
}

/// A receiver's `Retry-After` clamped into `[d, 2d]`.
pub fn clamp_retry_after(d: Duration, retry_after: Duration) -> Duration {
    retry_after.clamp(d, d.saturating_mul(2))
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date (a date in the past gives zero).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// A uniform random number in `[0, 1)` from the OS generator (0.5 if it fails).
pub fn random_unit() -> f64 {
    let mut b = [0u8; 8];
    match getrandom::fill(&mut b) {
        Ok(()) => (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_schedule_spans_about_three_days() {
        let s = RetrySchedule::default();
        assert_eq!(s.0.len(), 9);
        assert_eq!(s.scheduled(0), Some(Duration::from_secs(5)));
        assert_eq!(s.scheduled(8), Some(Duration::from_secs(24 * 3600)));
        assert_eq!(s.scheduled(9), None);
        assert_eq!(s.scheduled(-1), None);
        let total: Duration = s.0.iter().sum();
        assert!(total > Duration::from_secs(3 * 86_400) && total < Duration::from_secs(4 * 86_400));
    }

    #[test]
    fn parses_env_values() {
        let s: RetrySchedule = "1,2,5".parse().unwrap();
        assert_eq!(
            s.0,
            vec![
                Duration::from_secs(1),
                Duration::from_secs(2),
                Duration::from_secs(5)
            ]
        );
        let s: RetrySchedule = " 0.05 , 0.25".parse().unwrap();
        assert_eq!(
            s.0,
            vec![Duration::from_millis(50), Duration::from_millis(250)]
        );
        assert_eq!(
            "".parse::<RetrySchedule>().unwrap().0,
            Vec::<Duration>::new()
        );
        assert!(matches!(
            "1,,2".parse::<RetrySchedule>(),
            Err(ScheduleError::BadEntry(_))
        ));
        assert!(matches!(
            "-1".parse::<RetrySchedule>(),
            Err(ScheduleError::BadEntry(_))
        ));
        assert!(matches!(
            "NaN".parse::<RetrySchedule>(),
            Err(ScheduleError::BadEntry(_))
        ));
        assert!(matches!(
            "inf".parse::<RetrySchedule>(),
            Err(ScheduleError::BadEntry(_))
        ));
        assert!(matches!(
            "1e9".parse::<RetrySchedule>(),
            Err(ScheduleError::TooLong(_))
        ));
    }

    #[test]
    fn overload_floor_only_for_production_like_schedules() {
        let prod = RetrySchedule::default();
        let d = prod.next_delay(Duration::from_secs(5), FailureKind::Overload, None, 0.5);
        assert_eq!(d, OVERLOAD_FLOOR);
        let d = prod.next_delay(Duration::from_secs(5), FailureKind::Other, None, 0.5);
        assert_eq!(d, Duration::from_secs(5));
        let test: RetrySchedule = "1,2,5".parse().unwrap();
        let d = test.next_delay(Duration::from_secs(1), FailureKind::Overload, None, 0.5);
        assert_eq!(d, Duration::from_secs(1));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        // RFC 9110's example date is 784111777; 60 s later:
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:48:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn random_unit_in_range() {
        for _ in 0..100 {
            let u = random_unit();
            assert!((0.0..1.0).contains(&u));
        }
    }

    proptest! {
        #[test]
        fn jitter_within_twenty_percent(ms in 0u64..200_000_000, unit in 0.0f64..1.0) {
            let d = Duration::from_millis(ms);
            let j = jittered(d, unit);
            // Allow one nanosecond of float rounding either side.
            prop_assert!(j + Duration::from_nanos(1) >= d.mul_f64(0.8));
            prop_assert!(j <= d.mul_f64(1.2) + Duration::from_nanos(1));
        }

        #[test]
        fn retry_after_clamped_to_d_2d(
            ms in 0u64..200_000_000,
            ra in 0u64..1_000_000_000,
            unit in 0.0f64..1.0,
            overload in any::<bool>(),
            prod in any::<bool>(),
        ) {
            let s = if prod { RetrySchedule::default() } else { "0.05,1,2".parse().unwrap() };
            let kind = if overload { FailureKind::Overload } else { FailureKind::Other };
            let scheduled = Duration::from_millis(ms);
            let d = s.next_delay(scheduled, kind, None, unit);
            let with = s.next_delay(scheduled, kind, Some(Duration::from_millis(ra)), unit);
            prop_assert!(with >= d && with <= d * 2);
            if (d..=d * 2).contains(&Duration::from_millis(ra)) {
                prop_assert_eq!(with, Duration::from_millis(ra));
            }
            if overload && prod {
                prop_assert!(d >= OVERLOAD_FLOOR);
            }
        }

        #[test]
        fn schedule_parse_round_trips(ms in proptest::collection::vec(0u64..10_000_000, 0..12)) {
            let s = RetrySchedule(ms.iter().map(|&m| Duration::from_millis(m)).collect());
            let back: RetrySchedule = s.to_string().parse().unwrap();
            prop_assert_eq!(back, s);
        }

        #[test]
        fn schedule_parser_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<RetrySchedule>();
            let _ = parse_retry_after(&s, SystemTime::UNIX_EPOCH);
        }
    }
}
