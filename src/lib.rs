//! frontline: a real-time chat router for contact centres.
//!
//! Crate map, in reading order:
//! - [`domain`]: the pure state machine of conversations and chats, rules and metrics.
//! - [`config`]: the TOML configuration, validated into domain settings.
//! - [`store`]: durable storage: the journal, message index, chat rows, deadlines.
//! - [`cli`]: the command line.

pub mod cli;
pub mod config;
pub mod domain;
pub mod store;
