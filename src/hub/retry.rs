//! The one retry policy every hub request and every transfer follows: how many failures in a
//! row, jittered exponential backoff, the hub's `Retry-After` (seconds or an HTTP date, capped),
//! a fresh start after real progress, and a bound on retries in all.
//!
//! It owns the arithmetic only: it never sends a request and never decides which failures are
//! worth another attempt (the caller asks [`super::HubError::is_transient`]). Each operation
//! (one API request, one file's download, one file's upload) holds one [`RetryBudget`]; a call
//! that already retries is never wrapped in another budget, so a request costs at most
//! `attempts` tries, not `attempts²`.

use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::{Duration, SystemTime};

/// How hard to try before giving up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in a row without progress before giving up (the first try included).
    pub attempts: u32,
    /// The first backoff (before jitter); it doubles with every failure in a row.
    pub base_delay: Duration,
    /// The longest backoff (before jitter).
    pub max_delay: Duration,
    /// A connection that delivers nothing for this long is dropped and retried.
    pub read_timeout: Duration,
    /// The longest wait a hub's `Retry-After` can impose; it asks longer, it gets this.
    pub max_retry_after: Duration,
    /// Bytes of progress (downloaded, or acknowledged by an upload origin) after which the
    /// failures so far are forgiven: a long transfer may survive many dropped connections,
    /// while a dead or trickling one still ends after `attempts`.
    pub progress_credit: u64,
    /// Retries one operation may make in all, progress or not: the bounded total.
    pub max_retries: u32,
    /// The longest one operation sleeps between attempts in all: a hub answering every
    /// attempt with a long `Retry-After` after a little progress is given up on here.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            read_timeout: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(60),
            progress_credit: 8 << 20,
            max_retries: 100,
            max_total_wait: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The backoff after `failures` failures in a row (1 for the first), drawn from
    /// [½, 1] × `base · 2^(failures-1)` (capped at `max_delay`), so clients that failed
    /// together do not retry together. `unit` is the random draw, in [0, 1].
    pub fn backoff(&self, failures: u32, unit: f64) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(16);
        let full = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let half = full / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// A budget for one operation that starts at byte `position` (0, or what a resumed
    /// transfer already holds).
    pub fn budget(&self, position: u64) -> RetryBudget {
        RetryBudget {
            policy: *self,
            failures: 0,
            retries: 0,
            waited: Duration::ZERO,
            position_at_failure: position,
        }
    }
}

/// One operation's retries under a [`RetryPolicy`].
#[derive(Debug, Clone)]
pub struct RetryBudget {
    policy: RetryPolicy,
    /// Failures since the last progress credit.
    failures: u32,
    /// Retries granted in all.
    retries: u32,
    /// Sleeps granted in all.
    waited: Duration,
    position_at_failure: u64,
}

impl RetryBudget {
    /// Records a failed attempt after the operation reached byte `position` (always 0 for
    /// requests without a body to resume), with the hub's `Retry-After` if it sent one.
    /// Returns how long to wait before the next attempt, or `None` once the budget is spent.
    pub fn failed(&mut self, position: u64, retry_after: Option<Duration>) -> Option<Duration> {
        if position
            >= self
                .position_at_failure
                .saturating_add(self.policy.progress_credit)
        {
            self.failures = 0;
        }
        self.position_at_failure = position;
        self.failures += 1;
        if self.failures >= self.policy.attempts || self.retries >= self.policy.max_retries {
            return None;
        }
        let wait = match retry_after {
            Some(wait) => wait.min(self.policy.max_retry_after),
            None => self.policy.backoff(self.failures, jitter()),
        };
        self.waited = self.waited.saturating_add(wait);
        if self.waited > self.policy.max_total_wait {
            return None;
        }
        self.retries += 1;
        Some(wait)
    }

    /// Attempts that failed since the last progress credit (for [`super::HubError::RetriesExhausted`]).
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// A uniform draw in [0, 1]: not cryptographic, only to spread retries.
fn jitter() -> f64 {
    use rand_core::RngCore as _;
    f64::from(rand_core::OsRng.next_u32()) / f64::from(u32::MAX)
}

/// The wait an answer's `Retry-After` asks for: delay-seconds, or an HTTP date (a date in the
/// past asks for none). Unparseable values are ignored (the backoff applies).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::{RetryPolicy, retry_after};
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
    use std::time::{Duration, SystemTime};

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(retry_after(&headers("7"), now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:50:07 GMT"), now),
            Some(Duration::from_secs(30))
        );
        // A date already past asks for no wait; garbage and absence ask for nothing.
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), SystemTime::now()), None);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = RetryPolicy::default();
        let mut budget = policy.budget(0);
        // Far above any backoff (8 s at most): only Retry-After can make the wait 30 s.
        assert_eq!(
            budget.failed(0, Some(Duration::from_secs(30))),
            Some(Duration::from_secs(30))
        );
        assert_eq!(budget.failed(0, Some(Duration::ZERO)), Some(Duration::ZERO));
        assert_eq!(
            budget.failed(0, Some(Duration::from_secs(86_400))),
            Some(policy.max_retry_after)
        );
    }

    #[test]
    fn the_budget_runs_out_after_attempts_in_a_row() {
        let policy = RetryPolicy {
            attempts: 3,
            ..RetryPolicy::default()
        };
        let mut budget = policy.budget(0);
        assert!(budget.failed(0, None).is_some());
        assert!(budget.failed(0, None).is_some());
        assert_eq!(budget.failed(0, None), None);
        assert_eq!(budget.failures(), 3);
        // Progress below the credit does not reset it.
        let mut budget = policy.budget(0);
        assert!(budget.failed(100, None).is_some());
        assert!(budget.failed(200, None).is_some());
        assert_eq!(budget.failed(policy.progress_credit, None), None);
    }

    #[test]
    fn progress_earns_a_fresh_start_within_a_bounded_total() {
        let policy = RetryPolicy {
            attempts: 2,
            max_retries: 5,
            ..RetryPolicy::default()
        };
        let credit = policy.progress_credit;
        // A resumed transfer: the kept bytes are no progress of this budget's.
        let mut budget = policy.budget(3 * credit);
        let mut position = 3 * credit;
        for _ in 0..5 {
            position += credit;
            assert!(budget.failed(position, None).is_some(), "progress forgives");
            assert_eq!(budget.failures(), 1);
        }
        // Progress or not, the sixth retry is refused.
        position += credit;
        assert_eq!(budget.failed(position, None), None);
        // Without progress, the second failure in a row ends it.
        let mut budget = policy.budget(0);
        assert!(budget.failed(credit, None).is_some());
        assert_eq!(budget.failed(credit + 1, None), None);
    }

    #[test]
    fn backoff_doubles_within_jitter_bounds() {
        let policy = RetryPolicy::default();
        for failures in 1..=10 {
            let full = (policy.base_delay * (1 << (failures - 1))).min(policy.max_delay);
            assert_eq!(policy.backoff(failures, 0.0), full / 2);
            assert_eq!(policy.backoff(failures, 1.0), full);
            let drawn = policy.budget(0).failed(0, None).unwrap();
            assert!(
                drawn >= policy.base_delay / 2 && drawn <= policy.base_delay,
                "{drawn:?}"
            );
        }
        assert_eq!(policy.backoff(40, 1.0), policy.max_delay);
        // The draws spread: not every retry of a crowd waits the same.
        let draws: std::collections::BTreeSet<Duration> = (0..32)
            .map(|_| policy.budget(0).failed(0, None).unwrap())
            .collect();
        assert!(draws.len() > 1);
    }

    #[test]
    fn the_total_wait_of_one_operation_is_bounded() {
        let policy = RetryPolicy {
            max_retry_after: Duration::from_secs(60),
            max_total_wait: Duration::from_secs(150),
            ..RetryPolicy::default()
        };
        let mut budget = policy.budget(0);
        // Progress before every failure keeps the failures in a row at one; only the total
        // sleep ends it: 60 + 60, then a third minute would pass 150 s.
        let mut position = 0;
        let mut waits = Vec::new();
        while let Some(w) = budget.failed(position, Some(Duration::from_secs(60))) {
            waits.push(w);
            position += policy.progress_credit;
        }
        assert_eq!(waits, [Duration::from_secs(60), Duration::from_secs(60)]);
    }
}
