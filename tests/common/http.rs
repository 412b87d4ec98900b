//! HTTP helpers: requests with an optional bearer token, answering `(StatusCode, Value)`, or
//! the raw status, content type and text.

use std::time::Duration;

use awc::http::{Method, StatusCode};
use serde_json::Value;

use super::server::TestServer;

/// A raw HTTP answer.
#[derive(Debug)]
pub struct Raw {
    /// Status.
    pub status: StatusCode,
    /// `Content-Type`, or empty.
    pub content_type: String,
    /// The body as text.
    pub body: String,
}

impl Raw {
    /// The body as JSON (`null` when empty, a JSON string when it is not JSON).
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&self.body).unwrap_or_else(|_| Value::String(self.body.clone()))
    }
}

/// Sends `method path` with `Authorization: Bearer token` (none when `token` is empty) and an
/// optional JSON body; `body_text` sends text as it is (for malformed JSON).
pub async fn send(server: &TestServer, method: Method, path: &str, token: &str, body: Body<'_>) -> Raw {
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let mut request = client.request(method.clone(), format!("{}{path}", server.url));
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    let sent = match body {
        Body::None => request.send().await,
        Body::Json(value) => request.send_json(value).await,
        Body::Text(text) => request.content_type("application/json").send_body(text.to_string()).await,
    };
    let mut response = sent.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let bytes = response.body().limit(64 << 20).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let content_type = response
        .headers()
        .get(awc::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let raw =
        Raw { status: response.status(), content_type, body: String::from_utf8_lossy(&bytes).into_owned() };
    super::contract::check_http(method.as_str(), path, raw.status.as_u16(), &raw.content_type, &raw.body);
    raw
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// No body.
    None,
    /// JSON.
    Json(&'a Value),
    /// Text sent as `application/json` (to send malformed JSON).
    Text(&'a str),
}

/// `GET path` → (status, JSON body).
pub async fn get(server: &TestServer, path: &str, token: &str) -> (StatusCode, Value) {
    let raw = send(server, Method::GET, path, token, Body::None).await;
    (raw.status, raw.json())
}

/// `GET path` → (status, body text), e.g. for CSV.
pub async fn get_text(server: &TestServer, path: &str, token: &str) -> (StatusCode, String) {
    let raw = send(server, Method::GET, path, token, Body::None).await;
    (raw.status, raw.body)
}

/// `POST path` with a JSON body → (status, JSON body).
pub async fn post_json(server: &TestServer, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let raw = send(server, Method::POST, path, token, Body::Json(body)).await;
    (raw.status, raw.json())
}

/// `PATCH path` with a JSON body → (status, JSON body).
pub async fn patch_json(server: &TestServer, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let raw = send(server, Method::PATCH, path, token, Body::Json(body)).await;
    (raw.status, raw.json())
}

/// A client message through a channel's HTTP inbound endpoint (with the channel's configured
/// token); asserts the 202 and returns its `{"conversation","chat","seq"}`.
pub async fn inbound(server: &TestServer, channel: &str, body: Value) -> Value {
    let path = format!("/api/v1/channels/{channel}/messages");
    let (status, ack) = post_json(server, &path, &server.channel_token(channel), &body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ack}");
    ack
}
