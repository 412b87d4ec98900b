//! The validated configuration and its entry points: parse a TOML string, load a file, or take
//! the built-in demo, each with command-line/environment overrides applied on top.
//!
//! Precedence is file < environment < flags; the CLI merges the last two into [`Overrides`], so
//! this module only layers overrides over the file. No global state: callers pass `Config` on.

use std::path::PathBuf;
use std::sync::Arc;

pub use crate::auth::{Auth, MIN_JWT_SECRET_BYTES};
use crate::domain::{Settings, Span};

/// A validated configuration: every id known, every value in range.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind: a [`std::net::SocketAddr`]'s text (port 0 allowed; `localhost:PORT` in
    /// the file or an override becomes `127.0.0.1:PORT`).
    pub listen: String,
    /// Directory of the embedded store.
    pub data_dir: PathBuf,
    /// Redis URL (`redis://`, `rediss://` or `unix://`): set, the node joins the cluster on that
    /// Redis (see `crate::cluster`); unset, it runs standalone on the embedded store.
    pub redis_url: Option<String>,
    /// This node's id within a cluster.
    pub node_id: Option<String>,
    /// Authentication.
    pub auth: Auth,
    /// Protective limits.
    pub limits: Limits,
    /// Outbound webhook retries and parking.
    pub webhooks: Webhooks,
    /// What the domain reads: timeouts, rating, dialogs, channels, lines, operators, rules.
    pub settings: Arc<Settings>,
    /// Built from the built-in demo configuration.
    pub demo: bool,
    /// One log line per HTTP request and per WebSocket open and close (target
    /// `frontline::access`); off with `--no-access-log` / `FRONTLINE_ACCESS_LOG=0`.
    pub access_log: bool,
}

/// `[limits]`, all positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted WebSocket frame, in bytes.
    pub max_frame_bytes: usize,
    /// Longest accepted message text, in characters.
    pub max_text_chars: usize,
    /// Frames per second per socket (bursts up to twice that).
    pub messages_per_second: u32,
    /// Notices a socket may have queued before it is closed as a slow consumer.
    pub max_outbound_frames: usize,
    /// Silence from a socket this long closes it.
    pub heartbeat_timeout: crate::domain::Span,
    /// WebSocket connections open at once from one remote address (0 = no limit).
    pub connections_per_address: usize,
    /// Client sockets open at once on one conversation.
    pub sockets_per_conversation: usize,
    /// Client messages per second into one conversation (bursts up to twice that).
    pub conversation_messages_per_second: u32,
}

impl Default for Limits {
    /// The documented defaults: 65536 bytes, 8000 characters, 20 per second.
    fn default() -> Self {
        // Same numbers as the file defaults in `raw`; a test keeps them in step.
        Self {
            max_frame_bytes: 65_536,
            max_text_chars: 8_000,
            messages_per_second: 20,
            max_outbound_frames: 1024,
            heartbeat_timeout: crate::domain::Span::secs(30),
            connections_per_address: 500,
            sockets_per_conversation: 10,
            conversation_messages_per_second: 20,
        }
    }
}

/// `[webhooks]`, all positive: when a failing delivery is retried and when it is parked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Webhooks {
    /// A delivery that failed this many attempts is parked.
    pub max_attempts: u32,
    /// A delivery still failing this long after it was queued is parked.
    pub max_age: Span,
    /// The wait after a first failed attempt; it doubles per further failure, capped at 5 minutes.
    pub retry_backoff: Span,
}

impl Default for Webhooks {
    /// The documented defaults: 50 attempts, a day, 1 s.
    fn default() -> Self {
        // Same numbers as the file defaults in `raw`; a test keeps them in step.
        Self { max_attempts: 50, max_age: Span::secs(86_400), retry_backoff: Span::secs(1) }
    }
}

/// Values from the environment and command-line flags, already merged by the CLI (flags win);
/// each one set replaces the file's value and is validated like it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--listen` / `FRONTLINE_LISTEN`.
    pub listen: Option<String>,
    /// `--data-dir` / `FRONTLINE_DATA_DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--redis` / `FRONTLINE_REDIS_URL`.
    pub redis_url: Option<String>,
    /// `--node-id` / `FRONTLINE_NODE_ID`.
    pub node_id: Option<String>,
    /// `--allow-public-demo` / `FRONTLINE_ALLOW_PUBLIC_DEMO`: the built-in demo (whose JWT secret
    /// is public) may listen on a non-loopback address.
    pub allow_public_demo: bool,
    /// `--no-access-log` / `FRONTLINE_ACCESS_LOG=0`: no access log lines.
    pub no_access_log: bool,
}
