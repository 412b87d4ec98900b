//! Outbound webhook delivery (PROTOCOL 4, last paragraph; 3.3 for votes): a channel with a
//! `webhook_url` gets each operator, bot and system message, vote request and vote thanks of its
//! conversations as a JSON `POST`, retried with back-off until a 2xx (at-least-once; receivers
//! de-duplicate on `conversation` + `seq`), or until it is given up on and parked for an admin.
//!
//! - [`outbound`]: which deliveries a commit decides, and their payloads: pure.
//! - [`policy`]: where a delivery goes, the back-off, when it is parked: pure.
//! - [`deliverer`]: the actor that POSTs due deliveries and records the outcome in the store.
//!
//! Architecture invariant: a delivery is written to the store's outbox in the same atomic
//! commit as the message it carries, so an acknowledged message is always delivered or parked
//! (kept, with why, until an admin re-queues it), even after a crash; the deliverer only ever
//! reads the outbox, POSTs, and then marks the row delivered, reschedules it or parks it. A crash
//! between the POST and the mark re-sends (hence at-least-once). Redirects are never followed.

pub mod deliverer;
pub mod outbound;
pub mod policy;

pub use deliverer::{DelivererOptions, OutboxWritten, StopDelivering, WebhookDeliverer};
pub use outbound::outbound;
pub use policy::{backoff, RetryPolicy};
