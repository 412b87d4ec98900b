//! The OpenAPI document against the running node: it is served as built, every operation it
//! lists is a route the node serves, and the reference page renders it. (That every answer the
//! other tests receive matches the document is checked in `common::contract`.)

mod common;

use awc::http::{Method, StatusCode};
use common::*;
use serde_json::Value;

/// A value for a path parameter that names something of the demo.
fn sample(parameter: &str) -> &'static str {
    match parameter {
        "{channel}" => "web",
        "{conversation}" => "web:visitor-1",
        "{id}" => "1",
        other => panic!("no sample value for the path parameter {other}"),
    }
}

#[actix_web::test]
async fn the_node_serves_the_document_it_is_built_with() {
    let server = TestServer::start_demo("127.0.0.1:0");
    let raw = send(&server, Method::GET, "/api/v1/openapi.json", "", Body::None).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert!(raw.content_type.starts_with("application/json"), "{}", raw.content_type);
    assert_eq!(raw.body, frontline::api::openapi::document_json());
    let doc = raw.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for required in ["Chat", "Message", "ErrorBody", "ErrorCode", "Report"] {
        assert!(doc["components"]["schemas"].get(required).is_some(), "no schema {required}");
    }
}

#[actix_web::test]
async fn every_documented_operation_is_a_route_the_node_serves() {
    let server = TestServer::start_demo("127.0.0.1:0");
    let doc: Value = serde_json::from_str(frontline::api::openapi::document_json()).unwrap();
    let mut operations = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        let path: Vec<&str> =
            template.split('/').map(|s| if s.starts_with('{') { sample(s) } else { s }).collect();
        let path = path.join("/");
        for method in ["get", "post", "patch", "put", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // Without credentials: the route answers 200 or refuses the caller, never "no route".
            let raw = send(&server, method.clone(), &path, "", Body::None).await;
            let body = raw.json();
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(
                !message.starts_with("no route for"),
                "{method} {path} is in the document but the node has no such route: {}",
                raw.body
            );
        }
    }
    assert!(operations >= 20, "only {operations} operations documented");
}

#[actix_web::test]
async fn an_undocumented_method_on_a_documented_path_is_an_unknown_route() {
    let server = TestServer::start_demo("127.0.0.1:0");
    // The contract check in `send` requires the JSON 404 of an unknown route here.
    let raw = send(&server, Method::DELETE, "/api/v1/chats", "", Body::None).await;
    assert_eq!(raw.status, StatusCode::NOT_FOUND);
    assert_eq!(raw.json()["error"]["code"], "not_found");
}

#[actix_web::test]
async fn the_reference_page_renders_the_document() {
    let server = TestServer::start_demo("127.0.0.1:0");
    let client = awc::Client::new();
    let mut response = client.get(format!("{}/api/v1/docs", server.url)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers().get("content-security-policy").and_then(|v| v.to_str().ok());
    assert!(csp.is_some_and(|csp| csp.contains("default-src 'none'")), "{csp:?}");
    let page = String::from_utf8(response.body().await.unwrap().to_vec()).unwrap();
    assert!(page.contains("Redoc.init("), "not a Redoc page");
    assert!(page.contains("frontline HTTP API"), "the page does not hold the document");
    assert!(page.contains("/api/v1/chats/{id}/messages"), "the page does not hold the routes");
}
