//! `GET /api/v1/operators` and `GET /api/v1/lines`: the configured operators and lines with
//! their live state from the supervisor actor (presence and load; queue length and age). Any
//! authenticated caller may read them: they describe the team, not chats. And
//! `GET /api/v1/tabs/new`: the caller's own New tab, paged.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::domain::routing::Presence;
use crate::domain::{ChatId, Timestamp};
use crate::edge::AppState;

use crate::edge::params::Params;
use crate::edge::Caller;
use crate::edge::EdgeError;

use super::shapes::{LineEntry, LineList, OperatorEntry, OperatorList};

/// `GET /api/v1/operators`: `{"items":[{id, name, role, lines, capacity, presence, active_chats}]}`
/// in configuration order.
#[utoipa::path(get, path = "/api/v1/operators", tag = "team", security(("operator_jwt" = [])),
    responses((status = 200, description = "Operators in configuration order", body = super::shapes::OperatorList)))]
pub async fn operators(
    state: web::Data<AppState>,
    _caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, EdgeError> {
    Params::parse(req.query_string(), &[])?;
    let live = state.node.operators().await?;
    let items = state
        .config
        .settings
        .operators
        .values()
        .map(|op| {
            let status = live.iter().find(|s| s.operator == op.id);
            OperatorEntry {
                id: op.id.clone(),
                name: op.name.clone(),
                role: op.role,
                lines: op.lines.clone(),
                capacity: op.capacity,
                presence: status.map_or(Presence::Offline, |s| s.presence),
                active_chats: status.map_or(0, |s| s.active_chats),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(OperatorList { items }))
}

/// `GET /api/v1/lines`: `{"items":[{id, strategy, waiting, oldest_wait_s, online}]}` in
/// configuration order; `oldest_wait_s` is seconds (millisecond precision) or null.
#[utoipa::path(get, path = "/api/v1/lines", tag = "team", security(("operator_jwt" = [])),
    responses((status = 200, description = "Lines in configuration order", body = super::shapes::LineList)))]
pub async fn lines(
    state: web::Data<AppState>,
    _caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, EdgeError> {
    Params::parse(req.query_string(), &[])?;
    let live = state.node.lines().await?;
    let items = state
        .config
        .settings
        .lines
        .values()
        .map(|line| {
            let stats = live.iter().find(|l| l.line == line.id).map(|l| &l.stats);
            LineEntry {
                id: line.id.clone(),
                strategy: line.strategy.as_str(),
                waiting: stats.map_or(0, |s| s.waiting),
                oldest_wait_s: stats.and_then(|s| s.oldest_wait).map(|w| w.as_secs_f64()),
                online: stats.map_or(0, |s| s.online),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(LineList { items }))
}

/// The most chats one page of `GET /api/v1/tabs/new` lists.
const MAX_NEW_PAGE: u64 = 500;

/// `GET /api/v1/tabs/new?limit&cursor`: the caller's New tab, oldest first, a page at a time
/// (a welcome frame lists only its first chats): `{"items":[chat],"total","next_cursor"}`.
#[utoipa::path(get, path = "/api/v1/tabs/new", tag = "team", security(("operator_jwt" = [])),
    params(
        ("limit" = Option<u64>, Query, description = "Page size, 1-500 (default 100)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses((status = 200, description = "The caller's New tab", body = super::shapes::NewTabPage)))]
pub async fn new_tab(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> Result<HttpResponse, EdgeError> {
    let params = Params::parse(req.query_string(), &["limit", "cursor"])?;
    let limit = params.number("limit", 1, MAX_NEW_PAGE)?.unwrap_or(100) as usize;
    let after = params.one_as("cursor", "a cursor from an earlier page", parse_cursor)?;
    let page = state.node.new_tab(caller.operator, after, limit).await?;
    let next = page.more.map(|(at, chat)| format!("{}.{}", at.millis(), chat));
    Ok(HttpResponse::Ok().json(json!({"items": page.chats, "total": page.total, "next_cursor": next})))
}

/// A New-tab cursor: `<queued_at ms>.<chat>`.
fn parse_cursor(s: &str) -> Option<(Timestamp, ChatId)> {
    let (at, chat) = s.split_once('.')?;
    Some((Timestamp(at.parse().ok()?), ChatId(chat.parse().ok()?)))
}
