//! Outbound webhook delivery (PROTOCOL 4, last paragraph; 3.3 for votes): a channel with a
//! `webhook_url` gets each operator, bot and system message, vote request and vote thanks of its
//! conversations as a JSON `POST`, retried with back-off until a 2xx (at-least-once; receivers
//! de-duplicate on `conversation` + `seq`).
//!
//! - [`outbound`]: which deliveries a commit decides, and their payloads: pure.

pub mod outbound;

pub use outbound::outbound;
