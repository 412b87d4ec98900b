//! The actors around the domain core: thin shells that feed commands in, persist events, then
//! fan them out.
//!
//! - [`node`]: wiring; what every actor shares ([`Shared`]) and the running [`Node`].
//! - [`conversation`]: one actor per conversation, owning its state and timer.
//! - [`registry`]: exactly one live actor per conversation; activation and passivation.
//! - [`supervisor`]: the line queues, offers, presence (around the pure dispatcher).
//! - [`scheduler`]: wakes passivated conversations whose deadlines come due.
//! - [`hub`] (sockets' subscriptions), [`board`] (routing facts), [`keys`] (idempotency),
//!   [`messages`] (what actors are told).

pub mod board;
pub mod conversation;
pub mod hub;
pub mod keys;
pub mod messages;
pub mod node;
pub mod registry;
pub mod scheduler;
pub mod supervisor;
pub mod timer;

pub use hub::{Hub, SubscriptionId, ToClient, ToOperator};
pub use messages::{Ack, CommandError, Execute};
pub use node::{Node, NodeOptions, Shared};

#[cfg(test)]
mod tests;
