//! The routing core of the supervisor actor (SPEC 4): line queues, offers, capacity, presence,
//! overflow and New tabs, as a pure state machine. No actix, no IO, no clock reads: the actor
//! feeds in chat routing changes, socket and presence events, operator answers and ticks with
//! the current time, and carries out the returned [`Effect`]s in order.
//!
//! Reading order:
//! - `types.rs`: the words: [`Presence`], [`ChatRouting`] (input), [`Effect`] (output),
//!   [`RouteError`], [`LineStats`].
//! - `state.rs`: [`Dispatcher`]'s state, its queries and the shared derived facts (held,
//!   eligible, audience).
//! - `chats.rs`: `chat_changed`: responsible accounting, entering/leaving/moving queues.
//! - `answers.rs`: `take`, `accept`, `decline`, `resolved`: reservations.
//! - `presence.rs`: sockets, presence frames, grace.
//! - `offers.rs`: the pump (oldest first) and the strategies.
//! - `timers.rs`: `tick` and `next_wakeup`.
//! - `report.rs`: New-tab audiences, queue positions, availability; the end of every call.
//!
//! Architecture invariant: after every call, `held(op)` (responsible open chats + open offers +
//! pending reservations) exceeds `capacity(op)` only through assignments the dispatcher did not
//! make (rules, forwards, operators writing, pinned reactivations), and no waiting chat that
//! could be offered to an eligible operator is left without an offer.

mod answers;
#[cfg(test)]
mod audit;
mod chats;
mod offers;
mod presence;
mod report;
mod state;
mod timers;
mod types;

#[cfg(test)]
mod tests;

pub use state::Dispatcher;
pub use types::{ChatRouting, Effect, LineStats, NewTabPage, Presence, Removal, RouteError, Withdrawal};
