//! What protects the server from one socket: the frame size limit, a token-bucket rate limit on
//! frames read, the heartbeat deadline, and a bound on bytes queued for sending (a slow
//! consumer is disconnected with a close code instead of growing memory). The queued bytes are
//! measured by wrapping the response body stream: bytes written by the session minus bytes the
//! connection has taken.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use futures_util::Stream;

use crate::config::Limits;

/// Close code of a socket closed by the server for a policy reason (slow consumer, silence).
pub const POLICY: u16 = 1008;
/// Close code of a socket closed because the server shuts down.
pub const GOING_AWAY: u16 = 1001;

/// Per-socket protection state.
pub struct Guard {
    limits: Limits,
    tokens: f64,
    refilled: Instant,
    written: usize,
    drained: Arc<AtomicUsize>,
    last_heard: Instant,
}

impl Guard {
    /// A guard for a new socket; `drained` is shared with its [`Metered`] body.
    pub fn new(limits: Limits, drained: Arc<AtomicUsize>) -> Self {
        let now = Instant::now();
        Self {
            tokens: f64::from(limits.messages_per_second) * 2.0,
            limits,
            refilled: now,
            written: 0,
            drained,
            last_heard: now,
        }
    }

    /// Something arrived from the peer.
    pub fn heard(&mut self) {
        self.last_heard = Instant::now();
    }

    /// The peer has been silent longer than the heartbeat timeout.
    pub fn silent(&self) -> bool {
        self.last_heard.elapsed() >= self.limits.heartbeat_timeout.to_std()
    }

    /// How often to ping the peer.
    pub fn ping_every(&self) -> Duration {
        (self.limits.heartbeat_timeout.to_std() / 3).max(Duration::from_millis(50))
    }

    /// Counts one frame read; false when the socket is over its rate (burst up to 2x).
    pub fn admit(&mut self) -> bool {
        let rate = f64::from(self.limits.messages_per_second);
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        self.tokens = (self.tokens + elapsed * rate).min(rate * 2.0);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The frame is larger than `limits.max_frame_bytes`.
    pub fn too_large(&self, bytes: usize) -> bool {
        bytes > self.limits.max_frame_bytes
    }

    /// Records `bytes` queued for sending; false when the socket's queue is over its bound.
    pub fn queued(&mut self, bytes: usize) -> bool {
        // A frame header is at most 10 bytes.
        self.written += bytes + 10;
        self.backlog() <= self.limits.max_outbound_bytes
    }

    /// Bytes queued for sending that the connection has not taken yet.
    pub fn backlog(&self) -> usize {
        self.written.saturating_sub(self.drained.load(Ordering::Relaxed))
    }

    /// The largest frame the codec accepts before failing the connection: frames above
    /// `max_frame_bytes` but below this are answered `too_large` and the socket stays usable.
    pub fn codec_limit(limits: &Limits) -> usize {
        limits.max_frame_bytes.saturating_mul(16).max(1 << 20)
    }
}

/// A response body that counts the bytes the connection takes from it.
pub struct Metered<S> {
    inner: Pin<Box<S>>,
    drained: Arc<AtomicUsize>,
}

impl<S> Metered<S> {
    /// Wraps `inner`, adding every chunk taken to `drained`.
    pub fn new(inner: S, drained: Arc<AtomicUsize>) -> Self {
        Self { inner: Box::pin(inner), drained }
    }
}

impl<S, E> Stream for Metered<S>
where
    S: Stream<Item = Result<Bytes, E>>,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            self.drained.fetch_add(chunk.len(), Ordering::Relaxed);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rate: u32) -> Limits {
        Limits { messages_per_second: rate, max_outbound_bytes: 100, ..Limits::default() }
    }

    #[test]
    fn the_rate_limit_allows_a_burst_of_twice_the_rate_then_refuses() {
        let mut g = Guard::new(limits(5), Arc::default());
        let admitted = (0..20).filter(|_| g.admit()).count();
        assert_eq!(admitted, 10);
    }

    #[test]
    fn the_rate_limit_refills_over_time() {
        let mut g = Guard::new(limits(100), Arc::default());
        while g.admit() {}
        std::thread::sleep(Duration::from_millis(50));
        assert!(g.admit(), "about 5 tokens came back");
    }

    #[test]
    fn the_outbound_bound_counts_bytes_not_yet_taken_by_the_connection() {
        let drained = Arc::new(AtomicUsize::new(0));
        let mut g = Guard::new(limits(5), drained.clone());
        assert!(g.queued(50));
        assert!(!g.queued(50), "120 queued > 100");
        drained.store(100, Ordering::Relaxed);
        assert!(g.queued(0), "taken by the connection");
    }
}
