//! frontline: a real-time chat router for contact centres.
//!
//! Crate map, in reading order:
//! - [`domain`]: the pure state machine of conversations and chats, rules and metrics.
//! - [`config`]: the TOML configuration, validated into domain settings.
//! - [`store`]: durable storage: the journal, message index, chat rows, deadlines.
//! - [`metrics`]: Prometheus metrics; [`clock`]: where actors get "now" (a manual one in tests);
//!   [`rate`]: the token bucket behind the rate limits.
//! - [`presence`]: operator presence records (in-memory; Redis later).
//! - [`actors`]: conversation actors, the supervisor, the registry, the deadline scheduler.
//! - [`webhook`]: outbound webhook delivery: deliveries decided with each commit, sent from the
//!   store's outbox with retries (never following redirects), parked when they keep failing.
//! - [`node`]: the door: everything an edge may ask of the node, as typed methods.
//! - [`auth`]: operator JWTs, client identity signatures and conversation tokens.
//! - [`edge`]: what both edges share: the app state, the caller, the scope rule, one error
//!   vocabulary, strict query reading, socket admission.
//! - [`api`], [`ws`]: the HTTP API and the WebSocket sessions; [`access_log`]: one line per
//!   request and per socket, credentials masked; [`server`]: binds and runs them.
//! - [`cli`]: the command line; [`tour`]: the guided tour the demo prints.
//! - [`agent`]: `frontline agent`, an operator's terminal console over the operator WebSocket.

pub mod access_log;
pub mod actors;
pub mod agent;
pub mod api;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod domain;
pub mod edge;
pub mod metrics;
pub mod node;
pub mod presence;
pub mod rate;
pub mod server;
pub mod store;
pub mod tour;
pub mod web;
pub mod webhook;
pub mod ws;
