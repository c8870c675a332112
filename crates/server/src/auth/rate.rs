//! Rate limits (GCRA, from `governor`), keyed per client or per address.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// A keyed limiter that may be switched off (rate 0).
pub struct Limiter<K: Hash + Eq + Clone> {
    inner: Option<DefaultKeyedRateLimiter<K>>,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub fn new(per_second: u32, burst: u32) -> Self {
        let inner = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
            DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Self { inner }
    }

    /// `Ok` when allowed, or the whole seconds to wait (for `Retry-After`).
    pub fn check(&self, key: &K) -> Result<(), u64> {
        let Some(limiter) = &self.inner else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| {
            whole_seconds(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }

    /// Drops the state of keys that have been idle long enough to be back at a full burst.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.inner {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// A budget of failures per key (an address at the token endpoint). Once a key has spent it,
/// the key is barred until the budget refills by one: every attempt in that window is refused
/// before any credential work, whether it would have succeeded or not. Refusing only further
/// failures would still let a guesser learn which guess was right at full speed, and would
/// still cost a digest per guess.
pub struct FailureBudget<K: Hash + Eq + Clone> {
    failures: Limiter<K>,
    barred: quick_cache::sync::Cache<K, Instant>,
}

impl<K: Hash + Eq + Clone> FailureBudget<K> {
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            failures: Limiter::new(per_second, burst),
            // Bounded: an attacker spraying addresses evicts old entries, it does not grow memory.
            barred: quick_cache::sync::Cache::new(100_000),
        }
    }

    /// `Err(seconds to wait)` while `key` is barred.
    pub fn check_barred(&self, key: &K) -> Result<(), u64> {
        let Some(until) = self.barred.get(key) else {
            return Ok(());
        };
        let now = Instant::now();
        if until <= now {
            self.barred.remove(key);
            return Ok(());
        }
        Err(whole_seconds(until - now))
    }

    /// Counts a failure; `Err(seconds to wait)` when that spent the budget, barring the key.
    pub fn record_failure(&self, key: &K) -> Result<(), u64> {
        let Some(limiter) = &self.failures.inner else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            self.barred.insert(key.clone(), Instant::now() + wait);
            whole_seconds(wait)
        })
    }

    pub fn forget_idle(&self) {
        self.failures.forget_idle();
    }
}

fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refused_then_off() {
        let l = Limiter::new(1, 2);
        assert!(l.check(&1).is_ok());
        assert!(l.check(&1).is_ok());
        let wait = l.check(&1).expect_err("over the burst");
        assert!(wait >= 1);
        assert!(l.check(&2).is_ok(), "keys are independent");
        let off = Limiter::new(0, 0);
        for _ in 0..1000 {
            assert!(off.check(&1).is_ok());
        }
    }

    #[test]
    fn a_spent_failure_budget_bars_the_key() {
        let budget = FailureBudget::new(1, 2);
        assert!(budget.check_barred(&1).is_ok());
        assert!(budget.record_failure(&1).is_ok());
        assert!(budget.record_failure(&1).is_ok());
        assert!(
            budget.record_failure(&1).is_err(),
            "the third failure spends it"
        );
        assert!(budget.check_barred(&1).is_err(), "barred until it refills");
        assert!(budget.check_barred(&2).is_ok(), "keys are independent");
        let off = FailureBudget::new(0, 0);
        for _ in 0..100 {
            assert!(off.record_failure(&1).is_ok());
        }
        assert!(off.check_barred(&1).is_ok());
    }
}
