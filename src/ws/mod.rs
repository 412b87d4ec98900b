//! WebSocket sessions (PROTOCOL 3): the only place that knows actix-web-actors.

pub mod frames;

use actix_web::web;

/// Registers the WebSocket endpoints.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
