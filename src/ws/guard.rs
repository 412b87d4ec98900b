//! What protects the server from one socket: the frame size limit, a token-bucket rate limit on
//! frames read, and the heartbeat deadline. (Slow consumers are bounded by the hub and the
//! session's bounded mailbox, and dropped by the kernel via `TCP_USER_TIMEOUT`: while a peer
//! does not read, its session is not polled at all.)

use std::time::{Duration, Instant};

use crate::config::Limits;
use crate::rate::TokenBucket;

/// Close code of a socket closed by the server for a policy reason (slow consumer, silence).
pub const POLICY: u16 = 1008;
/// Close code of a socket closed because the server shuts down.
pub const GOING_AWAY: u16 = 1001;

/// Per-socket protection state. It keeps only the two limits it reads after the start (not a
/// copy of all of `Limits`): every idle socket holds one.
pub struct Guard {
    rate: TokenBucket,
    last_heard: Instant,
    heartbeat_timeout: Duration,
    max_frame_bytes: usize,
}

impl Guard {
    /// A guard for a new socket.
    pub fn new(limits: Limits) -> Self {
        let now = Instant::now();
        Self {
            rate: TokenBucket::new(limits.messages_per_second, now),
            last_heard: now,
            heartbeat_timeout: limits.heartbeat_timeout.to_std(),
            max_frame_bytes: limits.max_frame_bytes,
        }
    }

    /// Something arrived from the peer.
    pub fn heard(&mut self) {
        self.last_heard = Instant::now();
    }

    /// The peer has been silent longer than the heartbeat timeout.
    pub fn silent(&self) -> bool {
        self.last_heard.elapsed() >= self.heartbeat_timeout
    }

    /// How often to ping the peer.
    pub fn ping_every(&self) -> Duration {
        (self.heartbeat_timeout / 3).max(Duration::from_millis(50))
    }

    /// Counts one frame read; false when the socket is over its rate (burst up to 2x).
    pub fn admit(&mut self) -> bool {
        self.rate.admit(Instant::now())
    }

    /// The frame is larger than `limits.max_frame_bytes`.
    pub fn too_large(&self, bytes: usize) -> bool {
        bytes > self.max_frame_bytes
    }

    /// The largest frame the codec accepts before failing the connection: frames above
    /// `max_frame_bytes` but below this are answered `too_large` and the socket stays usable.
    pub fn codec_limit(limits: &Limits) -> usize {
        limits.max_frame_bytes.saturating_mul(16).max(1 << 20)
    }
}
