//! The HTTP API (PROTOCOL 4): handlers are thin, resolving the caller and scope, then asking the
//! node (actors, store) and answering JSON. Errors are [`ApiError`]s.

mod caller;
mod error;
mod health;

use actix_web::web;

pub use caller::{token_of, Caller};
pub use error::{status_of, ApiError};

/// Registers every HTTP route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz).service(health::metrics);
}
