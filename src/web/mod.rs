//! The browser pages, served by the binary itself: the agent console at `/`, the client widget at
//! `/widget` (and `/widget.js`, which embeds it in another site), the supervisor's dialog list at
//! `/supervisor`, and their files under `/assets/`. Every file is embedded at build time from
//! `src/web/assets/` (so the binary is the whole setup) and answered with its content type, a
//! `Cache-Control` (revalidated by `ETag`) and a strict `Content-Security-Policy`: scripts only
//! from this origin, no inline script or style. Unknown paths keep the API's JSON 404.

use actix_web::http::header;
use actix_web::{guard, web, HttpRequest, HttpResponse};

use crate::edge::{AppState, EdgeError};

/// Every file under `src/web/assets/`, embedded in the binary.
#[derive(rust_embed::Embed)]
#[folder = "src/web/assets/"]
struct Assets;

/// The policy of every page: nothing but this origin's own files and sockets.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; media-src 'self' data:; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// The widget's policy: the same, but any site may frame it (that is what `/widget.js` does).
const WIDGET_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                          connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *";

/// Registers the pages and `/assets/{path}`, for GET and HEAD.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let read = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    cfg.route("/", read().to(|req: HttpRequest| async move { page(&req, "agent.html", CSP) }))
        .route("/supervisor", read().to(|req: HttpRequest| async move { page(&req, "supervisor.html", CSP) }))
        .route("/widget", read().to(|req: HttpRequest| async move { page(&req, "widget.html", WIDGET_CSP) }))
        .route("/widget.js", read().to(|req: HttpRequest| async move { page(&req, "embed.js", CSP) }))
        .route("/assets/{path:.+}", read().to(asset));
}

/// `GET /assets/{path}` (or HEAD): an embedded file, or the JSON 404 of every unknown path.
async fn asset(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    if path.ends_with(".html") {
        return not_found(&req);
    }
    page(&req, &path, CSP)
}

/// The embedded file `name` with its headers; `304` when the browser already holds this version.
fn page(req: &HttpRequest, name: &str, csp: &str) -> HttpResponse {
    let Some(file) = Assets::get(name) else { return not_found(req) };
    let Some(content_type) = content_type(name) else { return not_found(req) };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut answer = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    answer
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if fresh {
        return answer.finish();
    }
    answer.insert_header((header::CONTENT_TYPE, content_type)).body(file.data.into_owned())
}

/// The content type of a file by its extension; `None` for a kind this server does not serve.
fn content_type(name: &str) -> Option<&'static str> {
    Some(match name.rsplit_once('.')?.1 {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "wav" => "audio/wav",
        _ => return None,
    })
}

/// The same JSON 404 the API answers for a path no route takes, counted the same way
/// (`frontline_errors_total{code="not_found"}`).
fn not_found(req: &HttpRequest) -> HttpResponse {
    let error = EdgeError::not_found(format!("no route for {} {}", req.method(), req.path()));
    if let Some(state) = req.app_data::<web::Data<AppState>>() {
        state.node.metrics().errors_total.with_label_values(&[error.code.as_str()]).inc();
    }
    actix_web::ResponseError::error_response(&error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_has_a_content_type() {
        for name in Assets::iter() {
            assert!(content_type(&name).is_some(), "{name} has no content type");
        }
    }

    #[test]
    fn the_pages_and_the_languages_are_embedded() {
        for name in [
            "agent.html",
            "widget.html",
            "supervisor.html",
            "embed.js",
            "i18n/en.js",
            "i18n/uk.js",
            "i18n/ru.js",
        ] {
            assert!(Assets::get(name).is_some(), "{name} is missing");
        }
    }
}
