//! frontline: a real-time chat router for contact centres.
//!
//! Crate map, in reading order:
//! - [`domain`]: the pure state machine of conversations and chats, rules and metrics.
//! - [`config`]: the TOML configuration, validated into domain settings.
//! - [`store`]: durable storage: the journal, message index, chat rows, deadlines.
//! - [`metrics`]: Prometheus metrics.
//! - [`presence`]: operator presence records (in-memory; Redis later).
//! - [`rate`]: the token bucket behind the per-socket and per-conversation rate limits.
//! - [`actors`]: conversation actors, the supervisor, the registry, the deadline scheduler.
//! - [`auth`]: operator JWTs and client identity signatures.
//! - [`webhook`]: outbound webhook delivery: deliveries decided with each commit, sent from the
//!   store's outbox with retries (never following redirects), parked when they keep failing.
//! - [`server`], [`api`], [`ws`]: the HTTP API and WebSocket sessions around the node;
//!   [`access_log`]: one line per request and per socket, credentials masked.
//! - [`cli`]: the command line; [`tour`]: the guided tour the demo prints.
//! - [`agent`]: `frontline agent`, an operator's terminal console over the operator WebSocket.

pub mod access_log;
pub mod actors;
pub mod agent;
pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod domain;
pub mod metrics;
pub mod presence;
pub mod rate;
pub mod server;
pub mod store;
pub mod tour;
pub mod webhook;
pub mod ws;
