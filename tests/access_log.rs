//! The access log against the real binary: one line per HTTP request and per WebSocket open and
//! close on stderr (target `frontline::access`), with no credential in it (query tokens masked,
//! headers never logged), and none at all with `--no-access-log` or `FRONTLINE_ACCESS_LOG=0`.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use common::*;

/// Waits until the server's stderr has a line containing every one of `parts`; that line.
async fn log_line(server: &TestServer, parts: &[&str]) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let log = server.log();
        if let Some(line) = log.lines().find(|l| parts.iter().all(|p| l.contains(p))) {
            return line.to_owned();
        }
        assert!(Instant::now() < deadline, "no log line with {parts:?}; stderr:\n{log}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn requests_and_sockets_are_logged_without_credentials() {
    let server = TestServer::start_process(&base_config());
    let sam = server.token_for("sam");
    let (status, _) = get(&server, "/api/v1/chats?phase=active", &sam).await;
    assert_eq!(status, StatusCode::OK);
    let line =
        log_line(&server, &["frontline::access", "request", "path=\"/api/v1/chats?phase=active\""]).await;
    assert!(
        line.contains("method=\"GET\"") && line.contains("status=200") && line.contains("duration="),
        "{line}"
    );
    assert!(line.contains("remote=Some(127.0.0.1:"), "{line}");
    let (status, _) = get(&server, "/api/v1/nothing-here", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    log_line(&server, &["request", "path=\"/api/v1/nothing-here\"", "status=404"]).await;

    // A client comes back with its conversation token in the query; an operator signs in with
    // a JWT in the query.
    let first = client(&server, "c1").await;
    let conversation_token = first.welcome["token"].as_str().unwrap().to_owned();
    first.close().await;
    let back = client(&server, "c1").await;
    let alice = server.token_for("alice");
    let operator = Ws::connect(&format!("{}/ws/agent?token={alice}", server.ws_url)).await;
    log_line(&server, &["websocket opened", "kind=\"client\"", "who=\"web:c1\""]).await;
    log_line(&server, &["websocket opened", "kind=\"operator\"", "who=\"alice\""]).await;
    // The client sent its close frame (1000) and hung up: depending on which the server reads
    // first, that is a close by the peer with its code or a lost connection.
    let closed = log_line(&server, &["websocket closed", "kind=\"client\"", "who=\"web:c1\""]).await;
    assert!(
        closed.contains("by=\"peer\"")
            && (closed.contains("code=Some(1000)") || closed.contains("reason=\"connection lost\"")),
        "{closed}"
    );
    log_line(
        &server,
        &["request", "path=\"/ws/client?channel=web&client_id=c1&name=c1&token=***\"", "status=101"],
    )
    .await;
    log_line(&server, &["request", "path=\"/ws/agent?token=***\"", "status=101"]).await;

    // The server closing every socket is logged with its code and reason.
    let mut server = server;
    server.terminate();
    drop((back, operator));
    let log = server.log();
    assert!(
        log.lines().any(|l| l.contains("websocket closed")
            && l.contains("by=\"server\"")
            && l.contains("code=Some(1001)")
            && l.contains("reason=\"server shutting down\"")),
        "{log}"
    );
    for secret in [conversation_token.as_str(), sam.as_str(), alice.as_str()] {
        assert!(!log.contains(secret), "a credential reached the log:\n{log}");
    }
}

#[actix_web::test]
async fn the_access_log_is_off_with_the_flag_or_the_environment() {
    for (args, env) in [(&["--no-access-log"][..], &[][..]), (&[], &[("FRONTLINE_ACCESS_LOG", "0")])] {
        let server = TestServer::start_with(&base_config(), args, env);
        let (status, _) = get(&server, "/api/v1/chats", &server.token_for("sam")).await;
        assert_eq!(status, StatusCode::OK);
        let c = client(&server, "c1").await;
        c.close().await;
        // The server logs a request before it answers: had it logged this one, it would be there.
        let (status, _) = get(&server, "/healthz", "").await;
        assert_eq!(status, StatusCode::OK);
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        let log = server.log();
        assert!(log.contains("frontline is ready"), "{log}");
        assert!(!log.contains("frontline::access"), "{args:?} {env:?}: access lines were logged:\n{log}");
    }
}
