//! What becomes of a delivery, decided purely: where it goes (the channel's `webhook_url` as
//! configured now, never the URL stored with the row), how long to wait after a failed attempt,
//! and when to give up and park it. No IO and no clock reads: the deliverer passes the row's age
//! and a jitter in.

use std::time::Duration;

use crate::domain::{ChannelId, Settings};

/// The longest wait between two attempts of one delivery.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The longest `reason` kept with a parked delivery, in characters.
const MAX_REASON_CHARS: usize = 500;

/// When a failing delivery is retried and when it is given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; it doubles per further failure (see [`backoff`]).
    pub backoff: Duration,
    /// A delivery that failed this many attempts is parked.
    pub max_attempts: u32,
    /// A delivery still failing this long after it was queued is parked at its next failure.
    pub max_age: Duration,
}

impl Default for RetryPolicy {
    /// The documented defaults: 1 s, 50 attempts, a day.
    fn default() -> Self {
        Self { backoff: Duration::from_secs(1), max_attempts: 50, max_age: Duration::from_secs(86_400) }
    }
}

/// What follows a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this wait.
    RetryIn(Duration),
    /// Give up: park it, with this reason.
    Park(String),
}

impl RetryPolicy {
    /// After a failed attempt whose error (in words safe to show an admin) is `error`:
    /// `attempts` failed attempts so far, this one included, the delivery queued `age` ago, and
    /// `jitter` in `[0, 1)`. Parks once `max_attempts` attempts failed or `max_age` has passed;
    /// retries after [`backoff`] otherwise.
    pub fn after_failure(&self, attempts: u32, age: Duration, jitter: f64, error: &str) -> AfterFailure {
        if attempts >= self.max_attempts {
            return AfterFailure::Park(reason(&format!("{error}; gave up after {attempts} failed attempts")));
        }
        if age >= self.max_age {
            return AfterFailure::Park(reason(&format!(
                "{error}; gave up after {attempts} failed attempts over {age:.0?} (max_age {:.0?})",
                self.max_age
            )));
        }
        AfterFailure::RetryIn(backoff(self.backoff, attempts, jitter))
    }
}

/// The wait before the next attempt after `attempts` failed ones (at least 1): `base`, then
/// doubling, capped at [`MAX_BACKOFF`], plus up to 10% jitter (`jitter` in `[0, 1)`) so that
/// deliveries that failed together do not all come back at the same instant.
pub fn backoff(base: Duration, attempts: u32, jitter: f64) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    let delay = base.saturating_mul(1 << doublings).min(MAX_BACKOFF);
    delay.mul_f64(1.0 + jitter.clamp(0.0, 1.0) / 10.0)
}

/// The URL a delivery of `channel` goes to: the channel's `webhook_url` as configured now (a
/// changed address applies to deliveries still pending). A channel without one, or no longer
/// configured, gets nothing: the error is the reason to park the delivery with, rather than
/// sending it on to an address the configuration no longer names.
pub fn destination<'a>(settings: &'a Settings, channel: &ChannelId) -> Result<&'a str, String> {
    match settings.channel(channel) {
        None => Err(format!("channel {channel} is not configured")),
        Some(c) => c.webhook_url.as_deref().ok_or_else(|| format!("channel {channel} has no webhook_url")),
    }
}

/// `text` cut to [`MAX_REASON_CHARS`].
fn reason(text: &str) -> String {
    match text.char_indices().nth(MAX_REASON_CHARS) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::settings;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn policy(max_attempts: u32, max_age: u64) -> RetryPolicy {
        RetryPolicy { backoff: S(1), max_attempts, max_age: S(max_age) }
    }

    #[test]
    fn backoff_doubles_from_the_base_and_is_capped_at_five_minutes() {
        let waits: Vec<Duration> = (1..=10).map(|n| backoff(S(1), n, 0.0)).collect();
        assert_eq!(waits, vec![S(1), S(2), S(4), S(8), S(16), S(32), S(64), S(128), S(256), S(300)]);
        assert_eq!(backoff(S(1), 1_000, 0.0), MAX_BACKOFF, "no overflow");
        assert_eq!(backoff(Duration::from_millis(20), 3, 0.0), Duration::from_millis(80));
        assert_eq!(backoff(S(10), 1, 0.5), Duration::from_millis(10_500), "jitter adds at most a tenth");
    }

    #[test]
    fn a_failure_below_both_limits_is_retried_after_the_backoff() {
        let p = policy(3, 60);
        assert_eq!(p.after_failure(1, S(0), 0.0, "HTTP 500"), AfterFailure::RetryIn(S(1)));
        assert_eq!(p.after_failure(2, S(59), 0.0, "HTTP 500"), AfterFailure::RetryIn(S(2)));
    }

    #[test]
    fn the_last_allowed_attempt_failing_parks_with_the_error_and_the_count() {
        let p = policy(3, 60);
        let AfterFailure::Park(why) = p.after_failure(3, S(5), 0.0, "HTTP 503 Service Unavailable") else {
            panic!("not parked")
        };
        assert_eq!(why, "HTTP 503 Service Unavailable; gave up after 3 failed attempts");
        assert!(matches!(p.after_failure(4, S(5), 0.0, "x"), AfterFailure::Park(_)), "beyond too");
        assert!(matches!(policy(1, 60).after_failure(1, S(0), 0.0, "x"), AfterFailure::Park(_)));
    }

    #[test]
    fn a_delivery_failing_at_its_maximum_age_parks_whatever_its_attempts() {
        let p = policy(50, 60);
        let AfterFailure::Park(why) = p.after_failure(2, S(60), 0.0, "cannot connect") else {
            panic!("not parked")
        };
        assert!(why.starts_with("cannot connect; gave up after 2 failed attempts over 60s"), "{why}");
        assert!(why.contains("max_age 60s"), "{why}");
        assert_eq!(p.after_failure(2, S(59), 0.0, "x"), AfterFailure::RetryIn(S(2)));
    }

    #[test]
    fn a_long_error_is_cut_in_the_reason() {
        let AfterFailure::Park(why) = policy(1, 60).after_failure(1, S(0), 0.0, &"é".repeat(2000)) else {
            panic!("not parked")
        };
        assert_eq!(why.chars().count(), MAX_REASON_CHARS + 3);
        assert!(why.ends_with("..."));
    }

    #[test]
    fn deliveries_go_to_the_configured_url_and_nowhere_without_one() {
        let mut s = settings();
        let web = ChannelId::from("web");
        assert_eq!(destination(&s, &web), Err("channel web has no webhook_url".to_owned()));
        if let Some(c) = s.channels.get_mut(&web) {
            c.webhook_url = Some("http://127.0.0.1:9/new".into());
        }
        assert_eq!(destination(&s, &web), Ok("http://127.0.0.1:9/new"));
        let gone = ChannelId::from("fax");
        assert_eq!(destination(&s, &gone), Err("channel fax is not configured".to_owned()));
    }
}
