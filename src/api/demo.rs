//! `GET /api/v1/demo/operators`: the built-in demo's operators with a sign-in token each, for the
//! pages' one-click sign-in. It exists only in the demo (no configuration file) listening on
//! loopback: the demo's JWT secret is public anyway, so this tells nothing a visitor on this
//! machine could not compute. Anywhere else (a configured server, or the demo made reachable
//! with `--allow-public-demo`) it answers the JSON 404 of an unknown path.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::auth;
use crate::edge::params::Params;
use crate::edge::{AppState, EdgeError};

/// How long a demo sign-in lasts (shortened to `auth.max_token_ttl` when that is shorter).
const DEMO_TTL_SECS: u64 = 12 * 3600;

/// Whether this server is the built-in demo listening on a loopback address only.
fn is_local_demo(state: &AppState) -> bool {
    state.config.demo
        && state.config.listen.parse::<std::net::SocketAddr>().is_ok_and(|addr| addr.ip().is_loopback())
}

/// `{"items":[{"id","name","role","lines","token"}]}` in configuration order.
#[utoipa::path(get, path = "/api/v1/demo/operators", tag = "team", security(()),
    responses((status = 200, description = "The demo's operators with sign-in tokens (the built-in demo on loopback only; elsewhere 404)", body = super::shapes::DemoOperators),
              (status = 404, description = "Not the local demo", body = super::shapes::ErrorBody)))]
pub async fn operators(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, EdgeError> {
    if !is_local_demo(&state) {
        return Err(EdgeError::not_found(format!("no route for {} {}", req.method(), req.path())));
    }
    Params::parse(req.query_string(), &[])?;
    let ttl = DEMO_TTL_SECS.min(state.config.auth.max_token_ttl);
    let now = auth::now_secs();
    let mut items: Vec<Value> = Vec::new();
    for op in state.config.settings.operators.values() {
        let token = auth::issue(&state.config.auth.jwt_secret, op.id.as_str(), op.role, now, ttl)
            .map_err(|e| EdgeError::unavailable("the demo sign-in", &e))?;
        items.push(json!({
            "id": op.id, "name": op.name, "role": op.role.as_str(), "lines": op.lines, "token": token,
        }));
    }
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
