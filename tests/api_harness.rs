//! Self-test of the shared harness (`tests/common`): its WebSocket peer against a small
//! in-process echo server (so the helpers are known to work before the real sessions exist),
//! and the server process helpers (start, restart on the same data, terminate, kill).

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use actix::{Actor, StreamHandler};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use actix_web_actors::ws;
use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// Sends a welcome and a ping on connect; answers each frame with an unrelated `event` first,
/// then (when it has a `ref`) an `ack`.
struct Echo;

impl Actor for Echo {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.text(json!({"type": "welcome"}).to_string());
        ctx.ping(b"are you there");
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Echo {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        match msg {
            Ok(ws::Message::Text(text)) => {
                let frame: Value = serde_json::from_str(&text).unwrap();
                ctx.text(json!({"type": "event", "n": frame["n"]}).to_string());
                if !frame["ref"].is_null() {
                    ctx.text(json!({"type": "ack", "ref": frame["ref"], "n": frame["n"]}).to_string());
                }
            }
            Ok(ws::Message::Close(reason)) => ctx.close(reason),
            _ => {}
        }
    }
}

async fn upgrade(req: HttpRequest, stream: web::Payload) -> Result<HttpResponse, actix_web::Error> {
    ws::start(Echo, &req, stream)
}

/// An echo server on a free port: its `ws://` base URL.
fn echo_server() -> String {
    let server = HttpServer::new(|| {
        App::new()
            .route("/echo", web::get().to(upgrade))
            .route("/refused", web::get().to(|| async { HttpResponse::Unauthorized().finish() }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    format!("ws://{address}")
}

#[actix_web::test]
async fn a_ws_peer_keeps_frames_and_waits_for_them_by_predicate() {
    let base = echo_server();
    let mut peer = Ws::connect(&format!("{base}/echo")).await;
    assert_eq!(peer.welcome, json!({"type": "welcome"}));

    let ack = peer.request(json!({"type": "hello", "n": 1})).await;
    assert_eq!((ack["type"].as_str(), ack["n"].as_u64()), (Some("ack"), Some(1)));
    assert_eq!(peer.frames, [json!({"type": "event", "n": 1})], "the frame before the ack is kept");

    peer.send(json!({"type": "hello", "n": 2})).await;
    let event = peer.wait(|f| f["n"] == 2).await;
    assert_eq!(event["type"], "event");
    assert_eq!(peer.wait_type("event").await["n"], 1, "kept frames are matched first, oldest first");
    assert!(peer.quiet(|f| f["type"] == "event", Duration::from_millis(100)).await);

    let second = peer.request(json!({"type": "hello", "n": 3})).await;
    assert_eq!(second["n"], 3, "each request gets its own ref");
    assert!(!peer.is_closed());
    peer.close().await;
}

#[actix_web::test]
async fn a_refused_upgrade_reports_its_status() {
    let base = echo_server();
    assert_eq!(upgrade_status(&format!("{base}/refused")).await, Some(401));
    assert_eq!(upgrade_status(&format!("{base}/echo")).await, None);
}

#[actix_web::test]
async fn a_test_server_restarts_on_its_data_and_stops_on_sigterm() {
    let mut server = TestServer::start_process(&base_config());
    let ack = inbound(&server, "mail", json!({"client_id": "c1", "text": "kept"})).await;
    server.kill();
    server.restart();
    let path = format!("/api/v1/chats/{}/messages", ack["chat"]);
    let (status, messages) = get(&server, &path, &server.token_for("sam")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(messages["items"][0]["text"], "kept", "acknowledged before the kill, so durable");
    let status = server.terminate().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status}");
    assert!(server.log().contains("stopped"), "{}", server.log_tail());
    assert_eq!(server.pid(), None);
}

#[test]
fn configs_are_edited_as_toml_tables() {
    let text = config_with(|t| {
        set(t, "timeouts.inactivity", 0.5.into());
        set(t, "limits.max_text_chars", 10.into());
        push(t, "channels", "id = \"tg\"\nkind = \"realtime\"\nline = \"line2\"");
    });
    let parsed = frontline::config::Config::from_toml_str(&text, &Default::default()).unwrap();
    assert_eq!(parsed.limits.max_text_chars, 10);
    assert_eq!(parsed.settings.channels.len(), 3);
    assert_eq!(parsed.settings.timeouts.inactivity, frontline::domain::Span::millis(500));
    assert!(token("sam", "supervisor").starts_with("ey"));
    assert_eq!(encode("web:c 1/ä"), "web%3Ac%201%2F%C3%A4");
}
