//! The conversation: one client through one channel, a chain of chats (SPEC 1-3). One actor
//! owns each conversation; this module is the pure state machine that actor drives.
//!
//! - `state.rs`: the state and `apply` (fold of events; used by replay).
//! - `handle.rs`: `handle` (command → events on a draft), settling of timers and held messages.
//! - `messages.rs`, `lifecycle.rs`, `routing.rs`, `edits.rs`: one family of commands each.
//! - `rule_actions.rs`: running rules after a triggering change.

mod edits;
mod handle;
mod lifecycle;
mod messages;
mod routing;
mod rule_actions;
mod state;

pub use handle::{Ctx, Outcome};
pub use state::Conversation;
