//! `GET /api/v1/operators` and `GET /api/v1/lines`: the configured operators and lines with
//! their live state from the supervisor actor (presence and load; queue length and age). Any
//! authenticated caller may read them: they describe the team, not chats.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::actors::messages::{GetLines, GetOperators};
use crate::domain::routing::Presence;
use crate::server::AppState;

use super::caller::Caller;
use super::error::ApiError;
use super::params::Params;

fn unreachable_supervisor(e: actix::MailboxError) -> ApiError {
    ApiError::unavailable("the supervisor", &e)
}

/// `GET /api/v1/operators`: `{"items":[{id, name, role, lines, capacity, presence, active_chats}]}`
/// in configuration order.
pub async fn operators(
    state: web::Data<AppState>,
    _caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let live = state.node.supervisor.send(GetOperators).await.map_err(unreachable_supervisor)?;
    let items: Vec<Value> = state
        .config
        .settings
        .operators
        .values()
        .map(|op| {
            let status = live.iter().find(|s| s.operator == op.id);
            json!({
                "id": op.id,
                "name": op.name,
                "role": op.role.as_str(),
                "lines": op.lines,
                "capacity": op.capacity,
                "presence": status.map_or(Presence::Offline, |s| s.presence).as_str(),
                "active_chats": status.map_or(0, |s| s.active_chats),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

/// `GET /api/v1/lines`: `{"items":[{id, strategy, waiting, oldest_wait_s, online}]}` in
/// configuration order; `oldest_wait_s` is seconds (millisecond precision) or null.
pub async fn lines(
    state: web::Data<AppState>,
    _caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let live = state.node.supervisor.send(GetLines).await.map_err(unreachable_supervisor)?;
    let items: Vec<Value> = state
        .config
        .settings
        .lines
        .values()
        .map(|line| {
            let stats = live.iter().find(|(id, _)| *id == line.id).map(|(_, s)| s);
            json!({
                "id": line.id,
                "strategy": line.strategy.as_str(),
                "waiting": stats.map_or(0, |s| s.waiting),
                "oldest_wait_s": stats.and_then(|s| s.oldest_wait).map(|w| w.as_secs_f64()),
                "online": stats.map_or(0, |s| s.online),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}
