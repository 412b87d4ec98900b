//! The route table of the HTTP API, the JSON 404 for everything else, and the count of every
//! error answered (`frontline_errors_total{code}`).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, HttpRequest, Resource};

use crate::edge::AppState;

use super::{bulk, chats, demo, directory, edit, export, health, inbound, openapi, reports, webhooks};
use crate::edge::{EdgeError, ErrorCode};

/// Registers every HTTP route, under `/api/v1` except health, readiness and metrics.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz).service(health::metrics);
    cfg.service(
        web::scope("/api/v1")
            .wrap(from_fn(strict_path))
            .wrap(from_fn(count_errors))
            .service(resource("/openapi.json").route(web::get().to(openapi::openapi_json)))
            .service(resource("/docs").route(web::get().to(openapi::docs)))
            .service(resource("/chats").route(web::get().to(chats::list)))
            .service(resource("/chats.csv").route(web::get().to(export::csv)))
            .service(resource("/chats/actions").route(web::post().to(bulk::actions)))
            .service(
                resource("/chats/{id}").route(web::get().to(chats::get)).route(web::patch().to(edit::patch)),
            )
            .service(resource("/chats/{id}/messages").route(web::get().to(chats::messages)))
            .service(resource("/operators").route(web::get().to(directory::operators)))
            .service(resource("/lines").route(web::get().to(directory::lines)))
            .service(resource("/reports").route(web::get().to(reports::reports)))
            .service(resource("/tabs/new").route(web::get().to(directory::new_tab)))
            .service(resource("/demo/operators").route(web::get().to(demo::operators)))
            .service(resource("/channels/{channel}/messages").route(web::post().to(inbound::channel_message)))
            .service(
                resource("/conversations/{conversation}/automated").route(web::post().to(inbound::automated)),
            )
            .service(resource("/webhooks/parked").route(web::get().to(webhooks::parked)))
            // A delivery id is `<channel>:<client_id>/<position>`: its `/` may come raw or as %2F.
            .service(resource("/webhooks/parked/{id:.+}/retry").route(web::post().to(webhooks::retry))),
    );
    cfg.default_service(web::to(no_route));
}

/// A resource whose unsupported methods answer like an unknown route.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(no_route))
}

/// Every request no route takes: `404 {"error":{"code":"not_found",...}}`. A known path with a
/// method it does not support answers the same (the error codes of PROTOCOL have no 405).
async fn no_route(req: HttpRequest) -> Result<actix_web::HttpResponse, EdgeError> {
    let error = EdgeError::not_found(format!("no route for {} {}", req.method(), req.path()));
    let counted = req.extensions().contains::<Counted>();
    if let Some(state) = req.app_data::<web::Data<AppState>>().filter(|_| !counted) {
        state.node.metrics().errors_total.with_label_values(&[error.code.as_str()]).inc();
    }
    Err(error)
}

/// Refuses a path whose percent-decoding is not valid UTF-8 (`bad_request`), before any handler:
/// path parameters (a conversation id) would otherwise reach it decoded lossily, a `%FF` turned
/// into U+FFFD.
async fn strict_path(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if percent_encoding::percent_decode_str(req.path()).decode_utf8().is_err() {
        let error = EdgeError::bad_request("the path is not valid UTF-8 once decoded");
        return Ok(req.error_response(error).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Marks a request whose errors [`count_errors`] counts.
#[derive(Debug, Clone, Copy)]
struct Counted;

/// Counts each error answer by its PROTOCOL code (handler errors, extractor errors, 404s).
async fn count_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    req.extensions_mut().insert(Counted);
    let res = next.call(req).await?;
    if let (Some(state), Some(error)) = (state, res.response().error()) {
        let code =
            error.as_error::<EdgeError>().map_or_else(|| ErrorCode::of_status(res.status()), |e| e.code);
        state.node.metrics().errors_total.with_label_values(&[code.as_str()]).inc();
    }
    Ok(res)
}
