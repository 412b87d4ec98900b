//! Parked webhook deliveries, for supervisors and admins: `GET /api/v1/webhooks/parked` lists
//! the deliveries the deliverer gave up on (oldest parked first, paged) and `POST
//! /api/v1/webhooks/parked/{id}/retry` puts one back in the queue. The role is checked before
//! anything is read; store failures are logged and answered in safe words.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use tracing::{error, info};

use crate::edge::AppState;
use crate::store::{ParkedRow, StoreError};

use super::chats::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::edge::params::Params;
use crate::edge::scope::supervisors_only;
use crate::edge::Caller;
use crate::edge::EdgeError;
use crate::edge::ErrorCode;

/// What the role check names.
const WHAT: &str = "parked webhook deliveries";

/// `GET /api/v1/webhooks/parked?limit&cursor`: `{"items":[{id, conversation, channel, payload,
/// attempts, created_at, parked_at, reason}],"next_cursor":string|null}`, oldest parked first.
#[utoipa::path(get, path = "/api/v1/webhooks/parked", tag = "webhooks", security(("operator_jwt" = [])),
    params(
        ("limit" = Option<u64>, Query, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses((status = 200, description = "Parked deliveries, oldest parked first", body = super::shapes::ParkedPage)))]
pub async fn parked(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> Result<HttpResponse, EdgeError> {
    supervisors_only(&state.config.settings, &caller, WHAT)?;
    let params = Params::parse(req.query_string(), &["limit", "cursor"])?;
    let limit =
        usize::try_from(params.number("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT)).unwrap_or(usize::MAX);
    let cursor = params.one("cursor")?.map(str::to_owned);
    let page = state.node.parked_webhooks(cursor, limit).await.map_err(store_error)?;
    let items: Vec<Value> = page.items.iter().map(item).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": page.next_cursor})))
}

/// `POST /api/v1/webhooks/parked/{id}/retry`: re-queues the parked delivery (no attempts, due
/// now); 200 `{"id","status":"pending"}` once durable, `not_found` for an id that is not parked.
#[utoipa::path(post, path = "/api/v1/webhooks/parked/{id}/retry", tag = "webhooks", security(("operator_jwt" = [])),
    params(("id" = String, Path, description = "`<channel>:<client_id>/<position>`")),
    responses((status = 200, description = "Queued again", body = super::shapes::Requeued)))]
pub async fn retry(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, EdgeError> {
    supervisors_only(&state.config.settings, &caller, WHAT)?;
    Params::parse(req.query_string(), &[])?;
    let id = id.into_inner();
    if !state.node.requeue_webhook(id.clone()).await.map_err(store_error)? {
        return Err(EdgeError::not_found(format!("no parked delivery {id:?}")));
    }
    info!(delivery = ?id, by = %caller.operator, "parked webhook delivery re-queued");
    Ok(HttpResponse::Ok().json(json!({"id": id, "status": "pending"})))
}

/// A parked row as listed.
fn item(row: &ParkedRow) -> Value {
    json!({
        "id": row.id,
        "conversation": row.conversation,
        "channel": row.channel,
        "payload": row.payload,
        "attempts": row.attempts,
        "created_at": row.created_at.to_rfc3339(),
        "parked_at": row.parked_at.to_rfc3339(),
        "reason": row.reason,
    })
}

/// A malformed cursor is the caller's mistake (in our words); anything else is logged and
/// answered without the store's own.
fn store_error(e: StoreError) -> EdgeError {
    match e {
        StoreError::BadQuery(message) => EdgeError::bad_request(message),
        other => {
            error!(error = %other, "reading or re-queueing parked webhook deliveries failed");
            EdgeError::new(ErrorCode::Unavailable, "the store is unavailable; try again later")
        }
    }
}
