//! Health, readiness and metrics (no authentication).

use actix_web::{get, web, HttpResponse};
use serde_json::json;

use crate::edge::AppState;

/// `GET /healthz`: the process is up; this node's id and the cluster leader it sees (itself when
/// standalone; `null` while none is known).
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "The process is up", body = super::shapes::Health)))]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let node = &state.node;
    HttpResponse::Ok().json(json!({"status": "ok", "node": node.node_id(), "leader": node.leader()}))
}

/// `GET /readyz`: 200 when the store answers, else 503.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()), responses(
    (status = 200, description = "The store (and Redis, if configured) answer", body = super::shapes::Readiness),
    (status = 503, description = "Not ready", body = super::shapes::Readiness),
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.node.ready().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(e) => {
            // No authentication here: the cause goes to the log only.
            tracing::warn!(error = ?e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "error": "the store is not answering"}))
        }
    }
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text", content_type = "text/plain", body = String)))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.node.metrics_text())
}
