//! A token bucket: `rate` events per second, bursts up to twice that. Time comes in as an
//! [`Instant`], so callers (a socket's guard, a conversation actor) decide what "now" is and
//! tests need no sleeping.

use std::time::Instant;

/// Admits at most `rate` events per second on average, `2 × rate` at once after a quiet spell.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    tokens: f64,
    refilled: Instant,
}

impl TokenBucket {
    /// A full bucket of `rate` per second, starting at `now`.
    pub fn new(rate: u32, now: Instant) -> Self {
        let rate = f64::from(rate);
        Self { rate, tokens: rate * 2.0, refilled: now }
    }

    /// Counts one event at `now`; false when over the rate (the event is not counted).
    pub fn admit(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.refilled = self.refilled.max(now);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate * 2.0);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_of_twice_the_rate_is_admitted_then_refused() {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(5, t0);
        assert_eq!((0..20).filter(|_| bucket.admit(t0)).count(), 10);
    }

    #[test]
    fn tokens_come_back_at_the_rate_and_never_above_the_burst() {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(100, t0);
        while bucket.admit(t0) {}
        let later = t0 + Duration::from_millis(50);
        assert_eq!((0..100).filter(|_| bucket.admit(later)).count(), 5, "50 ms at 100/s");
        let much_later = later + Duration::from_secs(60);
        assert_eq!((0..1000).filter(|_| bucket.admit(much_later)).count(), 200, "capped at the burst");
    }

    #[test]
    fn a_clock_going_backwards_adds_nothing() {
        let t0 = Instant::now() + Duration::from_secs(1);
        let mut bucket = TokenBucket::new(1, t0);
        assert!(bucket.admit(t0) && bucket.admit(t0));
        assert!(!bucket.admit(t0 - Duration::from_millis(900)));
    }
}
