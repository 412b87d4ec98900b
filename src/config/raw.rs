//! The configuration file as written (PROTOCOL 2): serde structs that mirror the TOML key for key,
//! with the documented defaults. Every struct denies unknown keys, so a typo is an error, never a
//! silently ignored setting.
//!
//! This file owns shape and defaults only. Values stay as written (strings, seconds, integers);
//! turning them into domain types and checking them is `build`'s and `rules`' job, which is what
//! lets every error name its key with a path.

use std::path::PathBuf;

use serde::Deserialize;

/// Default `listen` address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default `data_dir`.
pub const DEFAULT_DATA_DIR: &str = "./frontline-data";
/// Default `limits.max_frame_bytes`.
pub const DEFAULT_MAX_FRAME_BYTES: i64 = 65_536;
/// Default `limits.max_text_chars`.
pub const DEFAULT_MAX_TEXT_CHARS: i64 = 8_000;
/// Default `limits.messages_per_second`.
pub const DEFAULT_MESSAGES_PER_SECOND: i64 = 20;
/// Default `limits.max_outbound_frames`.
pub const DEFAULT_MAX_OUTBOUND_FRAMES: i64 = 1024;
/// Default `limits.heartbeat_timeout`, seconds.
pub const DEFAULT_HEARTBEAT_TIMEOUT: f64 = 30.0;
/// Default `limits.connections_per_address`.
pub const DEFAULT_CONNECTIONS_PER_ADDRESS: i64 = 500;
/// Default `limits.sockets_per_conversation`.
pub const DEFAULT_SOCKETS_PER_CONVERSATION: i64 = 10;
/// Default `auth.max_token_ttl`, seconds (7 days).
pub const DEFAULT_MAX_TOKEN_TTL: f64 = 604_800.0;
/// Default `webhooks.max_attempts`.
pub const DEFAULT_WEBHOOK_MAX_ATTEMPTS: i64 = 50;
/// Default `webhooks.max_age`, seconds.
pub const DEFAULT_WEBHOOK_MAX_AGE: f64 = 86_400.0;
/// Default `webhooks.retry_backoff`, seconds.
pub const DEFAULT_WEBHOOK_RETRY_BACKOFF: f64 = 1.0;

/// A value given either once or as a list, read as "any of" (rule conditions).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "expected one value or a list of values")]
pub enum OneOrMany<T> {
    /// `key = value`.
    One(T),
    /// `key = [value, ...]`.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values as a list (a single value is a list of one).
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(vs) => vs,
        }
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Address to bind, `HOST:PORT` (port 0 binds a free port).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Directory of the embedded store.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Redis URL (`redis://`, `rediss://` or `unix://`): set, the node joins the cluster on that
    /// Redis (see `crate::cluster`); unset, it runs standalone on the embedded store.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// This node's id within a cluster.
    #[serde(default)]
    pub node_id: Option<String>,
    /// Timer lengths, in seconds.
    #[serde(default)]
    pub timeouts: RawTimeouts,
    /// Client rating.
    #[serde(default)]
    pub rating: RawRating,
    /// Allowed values of chat fields.
    #[serde(default)]
    pub dialogs: RawDialogs,
    /// Authentication.
    #[serde(default)]
    pub auth: RawAuth,
    /// Protective limits.
    #[serde(default)]
    pub limits: RawLimits,
    /// Outbound webhook retries and parking.
    #[serde(default)]
    pub webhooks: RawWebhooks,
    /// `[[channels]]` entries.
    #[serde(default)]
    pub channels: Vec<RawChannel>,
    /// `[[lines]]` entries.
    #[serde(default)]
    pub lines: Vec<RawLine>,
    /// `[[operators]]` entries.
    #[serde(default)]
    pub operators: Vec<RawOperator>,
    /// `[[rules]]` entries, in evaluation order.
    #[serde(default)]
    pub rules: Vec<RawRule>,
}

fn default_listen() -> String {
    DEFAULT_LISTEN.to_owned()
}

fn default_data_dir() -> PathBuf {
    PathBuf::from(DEFAULT_DATA_DIR)
}

/// `[timeouts]`: seconds, integers or fractions (`0.5`), all positive.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeouts {
    /// Auto-finish of an active chat without messages (default 600).
    #[serde(default = "default_600")]
    pub inactivity: f64,
    /// Closing -> finished without a vote (default 600).
    #[serde(default = "default_600")]
    pub voting: f64,
    /// How long an offer waits for accept/decline (default 30).
    #[serde(default = "default_30")]
    pub offer: f64,
    /// Dropped socket -> offline (default 30).
    #[serde(default = "default_30")]
    pub presence_grace: f64,
    /// Finished `pending` chats become `closed` after this long (default off).
    #[serde(default)]
    pub auto_close_pending: Option<f64>,
}

fn default_600() -> f64 {
    600.0
}

fn default_30() -> f64 {
    30.0
}

impl Default for RawTimeouts {
    fn default() -> Self {
        Self {
            inactivity: default_600(),
            voting: default_600(),
            offer: default_30(),
            presence_grace: default_30(),
            auto_close_pending: None,
        }
    }
}

/// `[rating]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRating {
    /// Default of `request_vote` for `finish(closed)` on non-email channels (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Labels of scores 1, 2, 3 (default Bad, Normal, Excellent).
    #[serde(default = "default_labels")]
    pub labels: Vec<String>,
    /// Sent to the client after a vote (default "Thank you for your feedback!").
    #[serde(default = "default_thanks")]
    pub thanks_text: String,
}

fn default_true() -> bool {
    true
}

fn default_labels() -> Vec<String> {
    vec!["Bad".into(), "Normal".into(), "Excellent".into()]
}

fn default_thanks() -> String {
    "Thank you for your feedback!".into()
}

impl Default for RawRating {
    fn default() -> Self {
        Self { enabled: true, labels: default_labels(), thanks_text: default_thanks() }
    }
}

/// `[dialogs]`: allowed values of chat fields.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDialogs {
    /// Allowed `request_type` values (default support, refund).
    #[serde(default = "default_request_types")]
    pub request_types: Vec<String>,
    /// Allowed `reasons` values (default none).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Allowed `components` values (default none).
    #[serde(default)]
    pub components: Vec<String>,
}

fn default_request_types() -> Vec<String> {
    vec!["support".into(), "refund".into()]
}

impl Default for RawDialogs {
    fn default() -> Self {
        Self { request_types: default_request_types(), reasons: Vec::new(), components: Vec::new() }
    }
}

/// `[auth]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    /// HS256 secret of operator JWTs, at least 32 bytes. Required: there is no insecure default.
    #[serde(default)]
    pub jwt_secret: Option<String>,
    /// Secret the conversation tokens of clients are derived from (PROTOCOL 3.3); default: the
    /// `jwt_secret` (the derived key differs from it either way).
    #[serde(default)]
    pub client_token_secret: Option<String>,
    /// Earlier `client_token_secret`s whose tokens are still accepted (key rotation).
    #[serde(default)]
    pub client_token_previous: Vec<String>,
    /// Longest validity, in seconds, a token may claim from now (default 604800, 7 days).
    #[serde(default = "default_max_token_ttl")]
    pub max_token_ttl: f64,
}

fn default_max_token_ttl() -> f64 {
    DEFAULT_MAX_TOKEN_TTL
}

impl Default for RawAuth {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            client_token_secret: None,
            client_token_previous: Vec::new(),
            max_token_ttl: DEFAULT_MAX_TOKEN_TTL,
        }
    }
}

/// `[limits]`: all positive integers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Largest accepted WebSocket frame, in bytes (default 65536).
    #[serde(default = "default_max_frame_bytes")]
    pub max_frame_bytes: i64,
    /// Longest accepted message text, in characters (default 8000).
    #[serde(default = "default_max_text_chars")]
    pub max_text_chars: i64,
    /// Frames per second per socket, burst up to twice that (default 20).
    #[serde(default = "default_messages_per_second")]
    pub messages_per_second: i64,
    /// Notices a socket may have queued, not yet handed to its connection, before it is closed
    /// as a slow consumer (default 1024).
    #[serde(default = "default_max_outbound_frames")]
    pub max_outbound_frames: i64,
    /// Seconds without any frame from a socket before it is closed (default 30).
    #[serde(default = "default_heartbeat_timeout")]
    pub heartbeat_timeout: f64,
    /// WebSocket connections open at once from one remote address, both kinds (default 500;
    /// 0 = no limit, e.g. behind a proxy that limits them itself).
    #[serde(default = "default_connections_per_address")]
    pub connections_per_address: i64,
    /// Client sockets open at once on one conversation (tabs; default 10).
    #[serde(default = "default_sockets_per_conversation")]
    pub sockets_per_conversation: i64,
    /// Client messages per second into one conversation, whatever socket or route they come
    /// by, burst up to twice that (default: `messages_per_second`, so sockets cannot multiply
    /// it).
    #[serde(default)]
    pub conversation_messages_per_second: Option<i64>,
}

fn default_connections_per_address() -> i64 {
    DEFAULT_CONNECTIONS_PER_ADDRESS
}

fn default_sockets_per_conversation() -> i64 {
    DEFAULT_SOCKETS_PER_CONVERSATION
}

fn default_max_outbound_frames() -> i64 {
    DEFAULT_MAX_OUTBOUND_FRAMES
}

fn default_heartbeat_timeout() -> f64 {
    DEFAULT_HEARTBEAT_TIMEOUT
}

fn default_max_frame_bytes() -> i64 {
    DEFAULT_MAX_FRAME_BYTES
}

fn default_max_text_chars() -> i64 {
    DEFAULT_MAX_TEXT_CHARS
}

fn default_messages_per_second() -> i64 {
    DEFAULT_MESSAGES_PER_SECOND
}

impl Default for RawLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            max_text_chars: DEFAULT_MAX_TEXT_CHARS,
            messages_per_second: DEFAULT_MESSAGES_PER_SECOND,
            max_outbound_frames: DEFAULT_MAX_OUTBOUND_FRAMES,
            heartbeat_timeout: DEFAULT_HEARTBEAT_TIMEOUT,
            connections_per_address: DEFAULT_CONNECTIONS_PER_ADDRESS,
            sockets_per_conversation: DEFAULT_SOCKETS_PER_CONVERSATION,
            conversation_messages_per_second: None,
        }
    }
}

/// `[webhooks]`: how failing deliveries are retried and when they are given up on (parked).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhooks {
    /// A delivery that failed this many attempts is parked (default 50).
    #[serde(default = "default_webhook_max_attempts")]
    pub max_attempts: i64,
    /// Seconds: a delivery still failing this long after it was queued is parked at its next
    /// failure (default 86400, a day).
    #[serde(default = "default_webhook_max_age")]
    pub max_age: f64,
    /// Seconds: the wait after a first failed attempt; it doubles per further failure, capped at
    /// 5 minutes (default 1).
    #[serde(default = "default_webhook_retry_backoff")]
    pub retry_backoff: f64,
}

fn default_webhook_max_attempts() -> i64 {
    DEFAULT_WEBHOOK_MAX_ATTEMPTS
}

fn default_webhook_max_age() -> f64 {
    DEFAULT_WEBHOOK_MAX_AGE
}

fn default_webhook_retry_backoff() -> f64 {
    DEFAULT_WEBHOOK_RETRY_BACKOFF
}

impl Default for RawWebhooks {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_WEBHOOK_MAX_ATTEMPTS,
            max_age: DEFAULT_WEBHOOK_MAX_AGE,
            retry_backoff: DEFAULT_WEBHOOK_RETRY_BACKOFF,
        }
    }
}

/// A `[[channels]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    /// Channel id, `[a-z0-9_-]{1,32}`.
    pub id: String,
    /// `realtime` or `email` (email never votes).
    pub kind: String,
    /// The line new chats of this channel go to.
    pub line: String,
    /// Identity validation secret: `sig = hex(hmac_sha256(secret, client_id))`.
    #[serde(default)]
    pub secret: Option<String>,
    /// Bearer token of the channel's HTTP inbound endpoint.
    #[serde(default)]
    pub token: Option<String>,
    /// Outbound delivery of operator, bot and system messages (`http://` or `https://`).
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// A client message after a `closed` chat reactivates it (default false).
    #[serde(default)]
    pub reopen_closed: bool,
    /// This channel's inactivity auto-finish in seconds; 0 = never (default: `timeouts.inactivity`,
    /// never for email).
    #[serde(default)]
    pub inactivity: Option<f64>,
}

/// A `[[lines]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLine {
    /// Line id, `[A-Za-z0-9_.-]{1,64}`.
    pub id: String,
    /// `broadcast`, `round_robin`, `least_loaded` or `longest_idle`.
    pub strategy: String,
    /// Seconds a chat waits before it is also offered to `overflow_to` (given together with it).
    #[serde(default)]
    pub overflow_after: Option<f64>,
    /// The line that takes overflow (another configured line).
    #[serde(default)]
    pub overflow_to: Option<String>,
    /// Seconds an assigned chat's client may wait for an answer before the chat goes back to
    /// the queue (off by default).
    #[serde(default)]
    pub reassign_after: Option<f64>,
    /// Working hours for the rule condition `within_hours`: weekly windows such as
    /// `"mon-fri 09:00-18:00"` (default: always within hours).
    #[serde(default)]
    pub hours: Option<Vec<String>>,
    /// IANA name of the time zone `hours` are read in (default `UTC`).
    #[serde(default)]
    pub timezone: Option<String>,
}

/// An `[[operators]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOperator {
    /// Operator id (the JWT `sub`), `[A-Za-z0-9_.-]{1,64}`.
    pub id: String,
    /// Display name (default: the id).
    #[serde(default)]
    pub name: Option<String>,
    /// Lines the operator belongs to: at least one, each configured.
    pub lines: Vec<String>,
    /// Maximum active chats, at least 1.
    pub capacity: i64,
    /// `operator`, `supervisor` or `admin` (default `operator`).
    #[serde(default)]
    pub role: Option<String>,
}

/// A `[[rules]]` entry (SPEC 4.1).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Name for logs and errors (default `rule #N`, N counted from 1).
    #[serde(default)]
    pub name: Option<String>,
    /// `incoming` or `changed`.
    pub on: String,
    /// Conditions, all of which must hold (default: none, always matches).
    #[serde(default)]
    pub when: RawWhen,
    /// Actions applied in order: a non-empty list of one-key tables.
    pub then: Vec<RawAction>,
}

/// A rule's `when` table. Each value may be one value or a list ("any of").
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    /// The chat's channel.
    #[serde(default)]
    pub channel: Option<OneOrMany<String>>,
    /// The chat's line.
    #[serde(default)]
    pub line: Option<OneOrMany<String>>,
    /// The responsible operator is a member of this line.
    #[serde(default)]
    pub responsible_line: Option<OneOrMany<String>>,
    /// Status before the change: new, open, pending, on_hold, closed, spam.
    #[serde(default)]
    pub status_before: Option<OneOrMany<String>>,
    /// Phase before the change: active, closing, finished.
    #[serde(default)]
    pub phase_before: Option<OneOrMany<String>>,
    /// Author of the triggering message: client or operator.
    #[serde(default)]
    pub author: Option<OneOrMany<String>>,
    /// The writing operator is a member of this line.
    #[serde(default)]
    pub author_line: Option<OneOrMany<String>>,
    /// The chat is (true) or is not (false) the client's first in the channel.
    #[serde(default)]
    pub first_chat: Option<bool>,
    /// The change reactivated a finished chat (true) or did not (false).
    #[serde(default)]
    pub reactivated: Option<bool>,
    /// How many operators of the chat's line are online now: `N`, `{ max = N }`, `{ min = N }`
    /// (or both bounds).
    #[serde(default)]
    pub operators_online: Option<OneOrMany<RawCount>>,
    /// Now is (true) or is not (false) inside the working hours of the chat's line.
    #[serde(default)]
    pub within_hours: Option<bool>,
}

/// A number a condition accepts: exactly `N`, or bounds `{ min = N, max = M }` (either or both,
/// both included; other keys are refused when the rule is built).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "expected a number, or a table with min and/or max")]
pub enum RawCount {
    /// `operators_online = 0`.
    Exactly(i64),
    /// `operators_online = { max = 0 }`: bound names to bounds.
    Bounds(std::collections::BTreeMap<String, i64>),
}

/// One table of a rule's `then` list: exactly one action key (plus `only_first_chat` beside
/// `auto_reply`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAction {
    /// Make this operator responsible.
    #[serde(default)]
    pub assign_operator: Option<String>,
    /// Move the chat to this line.
    #[serde(default)]
    pub assign_line: Option<String>,
    /// Set a manual status: open, pending or on_hold.
    #[serde(default)]
    pub set_status: Option<String>,
    /// Finish the chat with this status: open, pending or closed.
    #[serde(default)]
    pub finish: Option<String>,
    /// `pin = true`: pin the chat to its responsible.
    #[serde(default)]
    pub pin: Option<bool>,
    /// `unpin = true`: unpin the chat.
    #[serde(default)]
    pub unpin: Option<bool>,
    /// Send the client this text.
    #[serde(default)]
    pub auto_reply: Option<String>,
    /// Beside `auto_reply`: only on the client's first chat in the channel (default true).
    #[serde(default)]
    pub only_first_chat: Option<bool>,
    /// `stop = true`: evaluate no further rules.
    #[serde(default)]
    pub stop: Option<bool>,
}
