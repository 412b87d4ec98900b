//! The pages over HTTP: each is served with its content type, `Cache-Control`, `ETag` and a
//! strict `Content-Security-Policy`; unknown paths keep the JSON 404; the demo's one-click
//! sign-in (`GET /api/v1/demo/operators`) exists only in the built-in demo on loopback.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use awc::http::StatusCode;
use common::*;

async fn fetch(url: &str, if_none_match: Option<&str>) -> (StatusCode, awc::http::header::HeaderMap, String) {
    let mut req = awc::Client::default().get(url);
    if let Some(etag) = if_none_match {
        req = req.insert_header(("If-None-Match", etag));
    }
    let mut res = req.send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let body = res.body().limit(1 << 22).await.unwrap();
    (res.status(), res.headers().clone(), String::from_utf8_lossy(&body).into_owned())
}

fn header<'a>(headers: &'a awc::http::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
}

#[actix_web::test]
async fn the_pages_and_their_assets_are_served_with_content_type_cache_and_csp() {
    let server = TestServer::start(&base_config());
    for (path, kind, script) in [
        ("/", "text/html; charset=utf-8", "/assets/agent.js"),
        ("/widget", "text/html; charset=utf-8", "/assets/widget.js"),
        ("/supervisor", "text/html; charset=utf-8", "/assets/supervisor.js"),
        ("/widget.js", "text/javascript; charset=utf-8", "/widget?channel="),
        ("/assets/agent.js", "text/javascript; charset=utf-8", "./common.js"),
        ("/assets/common.js", "text/javascript; charset=utf-8", "./i18n/uk.js"),
        ("/assets/i18n/ru.js", "text/javascript; charset=utf-8", "export default"),
        ("/assets/app.css", "text/css; charset=utf-8", "body"),
    ] {
        let (status, headers, body) = fetch(&format!("{}{path}", server.url), None).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(header(&headers, "content-type"), kind, "{path}");
        assert_eq!(header(&headers, "cache-control"), "no-cache", "{path}");
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff", "{path}");
        let csp = header(&headers, "content-security-policy");
        assert!(csp.contains("script-src 'self';") && csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(body.contains(script), "{path} does not name {script}");
        if kind.starts_with("text/html") {
            // No inline script: every <script> has a src.
            assert_eq!(
                body.matches("<script").count(),
                body.matches("<script type=\"module\" src=").count(),
                "{path}"
            );
        }
    }
    // Only the widget may be framed by other sites.
    let (_, widget, _) = fetch(&format!("{}/widget", server.url), None).await;
    assert!(header(&widget, "content-security-policy").contains("frame-ancestors *"));
    let (_, console, _) = fetch(&format!("{}/", server.url), None).await;
    assert!(header(&console, "content-security-policy").contains("frame-ancestors 'none'"));
}

#[actix_web::test]
async fn head_answers_the_headers_of_get_without_the_body() {
    let server = TestServer::start(&base_config());
    for path in ["/", "/assets/widget.js"] {
        let mut res = awc::Client::default().head(format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.body().await.unwrap().is_empty(), "{path}");
        assert!(res.headers().get("content-security-policy").is_some(), "{path}");
        assert!(res.headers().get("etag").is_some(), "{path}");
    }
    let res = awc::Client::default().head(format!("{}/assets/nope.js", server.url)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // Other methods are not pages: the JSON 404 of an unknown route.
    let (status, body) = post_json(&server, "/", "", &serde_json::json!({})).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
}

#[actix_web::test]
async fn a_page_the_browser_already_holds_is_answered_304() {
    let server = TestServer::start(&base_config());
    let url = format!("{}/assets/agent.js", server.url);
    let (_, headers, _) = fetch(&url, None).await;
    let etag = header(&headers, "etag").to_string();
    let (status, _, body) = fetch(&url, Some(&etag)).await;
    assert_eq!(status, 304);
    assert!(body.is_empty());
    let (status, _, _) = fetch(&url, Some("\"something-else\"")).await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn unknown_pages_and_assets_keep_the_json_404() {
    let server = TestServer::start(&base_config());
    for path in
        ["/nope", "/assets/nope.js", "/assets/agent.html", "/assets/", "/widget/x", "/supervisor.html"]
    {
        let (status, headers, body) = fetch(&format!("{}{path}", server.url), None).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(header(&headers, "content-type"), "application/json", "{path}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"]["code"], "not_found", "{path}: {body}");
    }
    let (_, metrics) = get_text(&server, "/metrics", "").await;
    assert!(metrics.contains("frontline_errors_total{code=\"not_found\"} 6"), "{metrics}");
}

#[actix_web::test]
async fn the_demo_sign_in_lists_the_demo_operators_with_tokens_that_work() {
    let server = TestServer::start_demo("127.0.0.1:0");
    let (status, body) = get(&server, "/api/v1/demo/operators", "").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["alice", "bob", "xena", "sam"]);
    let sam = items.iter().find(|o| o["id"] == "sam").unwrap();
    assert_eq!(sam["role"], "supervisor");
    // Each token signs its operator in.
    let (status, reports) = get(
        &server,
        "/api/v1/reports?group=line&from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z",
        sam["token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{reports}");
    let alice = items.iter().find(|o| o["id"] == "alice").unwrap();
    let (status, _) = get(&server, "/api/v1/chats", alice["token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    // A stray parameter is refused like anywhere else in the API.
    let (status, body) = get(&server, "/api/v1/demo/operators?x=1", "").await;
    assert_eq!(status, 400, "{body}");
}

#[actix_web::test]
async fn the_demo_sign_in_does_not_exist_outside_the_local_demo() {
    // A configured server.
    let server = TestServer::start(&base_config());
    let (status, body) = get(&server, "/api/v1/demo/operators", "").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, _) = get(&server, "/api/v1/demo/operators", &token("sam", "supervisor")).await;
    assert_eq!(status, 404);
    // The demo made reachable from other machines (`--allow-public-demo`).
    let public = TestServer::start_demo("0.0.0.0:0");
    let (status, body) = get(&public, "/api/v1/demo/operators", "").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
}
