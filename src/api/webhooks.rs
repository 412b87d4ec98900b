//! Parked webhook deliveries, for supervisors and admins: `GET /api/v1/webhooks/parked` lists
//! the deliveries the deliverer gave up on (oldest parked first, paged) and `POST
//! /api/v1/webhooks/parked/{id}/retry` puts one back in the queue. The role is checked before
//! anything is read; store failures are logged and answered in safe words.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use tracing::{error, info};

use crate::domain::Timestamp;
use crate::server::AppState;
use crate::store::{ParkedRow, StoreError};

use super::access::supervisors_only;
use super::caller::Caller;
use super::chats::{DEFAULT_LIMIT, MAX_LIMIT};
use super::error::ApiError;
use super::params::Params;

/// What the role check names.
const WHAT: &str = "parked webhook deliveries";

/// `GET /api/v1/webhooks/parked?limit&cursor`: `{"items":[{id, conversation, channel, payload,
/// attempts, created_at, parked_at, reason}],"next_cursor":string|null}`, oldest parked first.
pub async fn parked(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    supervisors_only(&caller, WHAT)?;
    let params = Params::parse(req.query_string(), &["limit", "cursor"])?;
    let limit =
        usize::try_from(params.number("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT)).unwrap_or(usize::MAX);
    let cursor = params.one("cursor")?.map(str::to_owned);
    let page = state.node.shared.store.parked_outbound(cursor, limit).await.map_err(store_error)?;
    let items: Vec<Value> = page.items.iter().map(item).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": page.next_cursor})))
}

/// `POST /api/v1/webhooks/parked/{id}/retry`: re-queues the parked delivery (no attempts, due
/// now); 200 `{"id","status":"pending"}` once durable, `not_found` for an id that is not parked.
pub async fn retry(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    supervisors_only(&caller, WHAT)?;
    Params::parse(req.query_string(), &[])?;
    let id = id.into_inner();
    let shared = &state.node.shared;
    if !shared.store.requeue_parked(id.clone(), Timestamp::now()).await.map_err(store_error)? {
        return Err(ApiError::not_found(format!("no parked delivery {id:?}")));
    }
    shared.metrics.webhook_parked.dec();
    info!(delivery = ?id, by = %caller.operator, "parked webhook delivery re-queued");
    shared.outbox_written();
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
fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::BadQuery(message) => ApiError::bad_request(message),
        other => {
            error!(error = %other, "reading or re-queueing parked webhook deliveries failed");
            ApiError::new("unavailable", "the store is unavailable; try again later")
        }
    }
}
