//! The HTTP API (PROTOCOL 4): handlers are thin, resolving the caller and scope, then asking the
//! node (actors, store) and answering JSON. Errors are [`ApiError`]s.
//!
//! Reading order: [`routes`] (the route table), `caller` and `access` (who asks, what they may
//! see), `params` and `filters` (strict reading of queries and bodies), then one file per area:
//! `chats` (list, one chat, messages), `export` (CSV), `edit` (PATCH), `bulk` (bulk actions),
//! `directory` (operators, lines), `inbound` (channel messages, automated messages), `webhooks`
//! (parked deliveries), `health`.

mod access;
mod bulk;
mod caller;
mod chats;
mod directory;
mod edit;
mod error;
mod export;
mod filters;
mod health;
mod inbound;
mod params;
pub mod routes;
mod webhooks;

pub use caller::{token_of, Caller};
pub use error::{status_of, ApiError};
pub use params::Params;
pub use routes::configure;
