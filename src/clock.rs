//! Time as the node's actors see it: [`Clock`] gives "now" and waits for a moment to come.
//! Production runs on [`SystemClock`]; tests run on a [`ManualClock`] they move forward, so a
//! ten-minute inactivity timer fires the instant the test advances the clock ten minutes, with
//! no sleeping. The domain never reads a clock: actors pass `now` in.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::watch;

use crate::domain::{Span, Timestamp};

/// A wait for a moment to come.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where time comes from.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;

    /// Resolves once [`Clock::now`] is at or past `at`.
    fn sleep_until(&self, at: Timestamp) -> Sleep;
}

/// The wall clock, with tokio's timers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The wall clock's time now (milliseconds since the epoch).
    pub fn now() -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp(ms)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        SystemClock::now()
    }

    fn sleep_until(&self, at: Timestamp) -> Sleep {
        let delay = at.since(SystemClock::now()).to_std();
        Box::pin(tokio::time::sleep(delay))
    }
}

/// A clock that only moves when told to ([`ManualClock::advance`]); every wait whose moment
/// has come then resolves at once.
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
    moved: watch::Sender<i64>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self { now: AtomicI64::new(start.millis()), moved: watch::Sender::new(start.millis()) }
    }

    /// Moves the clock forward by `span` (never backwards).
    pub fn advance(&self, span: Span) {
        let now = self.now.fetch_add(span.0.max(0), Ordering::SeqCst) + span.0.max(0);
        self.moved.send_replace(now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now.load(Ordering::SeqCst))
    }

    fn sleep_until(&self, at: Timestamp) -> Sleep {
        let mut moved = self.moved.subscribe();
        Box::pin(async move {
            // The sender lives as long as the clock; if it is gone, nothing will ever move it.
            while *moved.borrow_and_update() < at.millis() {
                if moved.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_manual_clock_wakes_what_waits_only_when_it_is_moved_far_enough() {
        let clock = ManualClock::new(Timestamp(1_000));
        let wait = tokio::spawn(clock.sleep_until(Timestamp(61_000)));
        clock.advance(Span::secs(30));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!wait.is_finished(), "half way there");
        clock.advance(Span::secs(30));
        tokio::time::timeout(Duration::from_secs(1), wait).await.unwrap().unwrap();
        assert_eq!(clock.now(), Timestamp(61_000));
        clock.sleep_until(Timestamp(5)).await; // in the past: at once
    }

    #[tokio::test]
    async fn the_system_clock_sleeps_until_the_moment() {
        let at = SystemClock::now().after(Span::millis(30));
        SystemClock.sleep_until(at).await;
        assert!(Clock::now(&SystemClock) >= at);
    }
}
