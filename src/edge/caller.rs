//! The `Caller` extractor: the operator an HTTP request or WebSocket upgrade acts as, from
//! `Authorization: Bearer JWT` or `?token=JWT`. Anything else is answered 401 before the handler
//! runs (and before a WebSocket upgrade).

use std::future::{ready, Ready};

use actix_web::{web, FromRequest, HttpRequest};

use super::error::EdgeError;
use super::state::AppState;
use crate::auth::{self, Identity};

/// A verified operator.
#[derive(Debug, Clone)]
pub struct Caller(pub Identity);

/// The bearer token of a request: the `Authorization` header, else the `token` query parameter.
pub fn token_of(req: &HttpRequest) -> Option<String> {
    if let Some(header) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let value = header.to_str().ok()?;
        return value.strip_prefix("Bearer ").map(|t| t.trim().to_string());
    }
    web::Query::<TokenQuery>::from_query(req.query_string()).ok().and_then(|q| q.into_inner().token)
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

impl FromRequest for Caller {
    type Error = EdgeError;
    type Future = Ready<Result<Self, EdgeError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return ready(Err(EdgeError::unavailable("the server", &"no AppState")));
        };
        let token = token_of(req).unwrap_or_default();
        let verified = auth::verify(&state.config.auth, &state.config.settings, &token, auth::now_secs());
        ready(verified.map(Caller).map_err(EdgeError::from))
    }
}
