//! The actors around the domain core: thin shells that feed commands in, persist events, then
//! fan them out. Only the node (`crate::node`) wires them together and talks to them; edges
//! never see them.
//!
//! - [`conversation`]: one actor per conversation, owning its state and timer.
//! - [`registry`]: exactly one live actor per conversation; activation and passivation.
//! - [`supervisor`]: the line queues, offers, presence (around the pure dispatcher).
//! - [`scheduler`]: wakes passivated conversations whose deadlines come due.
//! - [`hub`] (sockets' subscriptions), [`board`] (routing facts), [`keys`] (idempotency),
//!   [`timer`] (one timer per actor), [`messages`] (what actors are told).
//!
//! Each actor holds narrow handles to what it needs (a deps struct of its own, recipients for
//! the actors it tells), never the whole node.

pub mod board;
pub mod conversation;
pub mod hub;
pub mod keys;
pub mod messages;
pub mod registry;
pub mod scheduler;
pub mod supervisor;
pub mod timer;

#[cfg(test)]
mod tests;
