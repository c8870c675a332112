//! Rate limits (GCRA, from `governor`), keyed per client or per address.

use std::hash::Hash;
use std::num::NonZeroU32;

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
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
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
}
