//! The HTTP API (PROTOCOL 4): handlers are thin, resolving the caller and scope (from
//! `crate::edge`), then asking the node's door (`crate::node::Node`) and answering JSON. Errors
//! are `crate::edge::EdgeError`s.
//!
//! Reading order: [`routes`] (the route table), `filters` (strict reading of list queries),
//! then one file per area:
//! `chats` (list, one chat, messages), `export` (CSV), `edit` (PATCH), `bulk` (bulk actions),
//! `directory` (operators, lines), `demo` (the demo's sign-in), `inbound` (channel messages, automated messages), `reports`
//! (per operator or line), `webhooks` (parked deliveries), `health`; `openapi` (the OpenAPI
//! document) with `shapes` (the answers' schemas).

mod bulk;
mod chats;
mod demo;
mod directory;
mod edit;
mod export;
pub mod filters;
mod health;
mod inbound;
pub mod openapi;
mod reports;
pub mod routes;
pub mod shapes;
mod webhooks;

pub use routes::configure;
