//! The bad-input matrix against the real binary: every error code of PROTOCOL, triggered over
//! the WebSocket and over HTTP where the code applies there, each answered with its code (and
//! HTTP status) and followed by a check that nothing stored changed: every chat row and every
//! message, as a supervisor reads them.
//!
//! Where a code has no trigger on one side, the table says so. `unavailable` is the one code a
//! healthy standalone node never answers; the cluster tests trigger it (Redis stopped:
//! `tests/cluster.rs`).

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// Line 1 broadcasts (chats wait in New, nobody is offered them); alice holds one chat at most;
/// texts are 50 characters at most.
fn matrix_config() -> String {
    config_with(|t| {
        let lines = t.get_mut("lines").unwrap().as_array_mut().unwrap();
        lines[0].as_table_mut().unwrap().insert("strategy".into(), "broadcast".into());
        let operators = t.get_mut("operators").unwrap().as_array_mut().unwrap();
        operators[0].as_table_mut().unwrap().insert("capacity".into(), 1.into());
        set(t, "limits.max_text_chars", 50.into());
    })
}

fn sam() -> String {
    token("sam", "supervisor")
}

/// Every chat row and every message of every chat, as a supervisor reads them.
async fn stored(server: &TestServer) -> Value {
    let (status, page) = get(server, "/api/v1/chats?limit=200", &sam()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut chats = Vec::new();
    for chat in page["items"].as_array().unwrap() {
        let id = chat["id"].as_u64().unwrap();
        let (_, row) = get(server, &format!("/api/v1/chats/{id}"), &sam()).await;
        let (_, messages) = get(server, &format!("/api/v1/chats/{id}/messages?limit=200"), &sam()).await;
        chats.push(json!({"row": row, "messages": messages}));
    }
    Value::Array(chats)
}

/// The code of an error frame.
fn ws_code(frame: &Value) -> String {
    assert_eq!(frame["type"], "error", "an error frame was expected: {frame}");
    frame["code"].as_str().unwrap().to_string()
}

/// The code of an HTTP error answer, checked against its status.
fn http_code(status: StatusCode, body: &Value, expected_status: u16) -> String {
    assert_eq!(status.as_u16(), expected_status, "{body}");
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}")).to_string()
}

/// One bulk action on one chat: the code its result carries (the request itself is answered 200).
async fn bulk_code(server: &TestServer, body: Value) -> String {
    let (status, reply) = post_json(server, "/api/v1/chats/actions", &sam(), &body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let result = &reply["results"][0];
    assert_eq!(result["ok"], false, "{reply}");
    result["error"]["code"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn every_error_code_over_the_socket_and_over_http_changes_nothing() {
    let server = TestServer::start(&matrix_config());
    let mut alice = agent(&server, "alice").await;
    let mut bob = agent(&server, "bob").await;
    let mut xena = agent(&server, "xena").await;
    let mut sam_ws = agent(&server, "sam").await;

    // A chat alice holds (she is at capacity), a queued one, and one finished as spam.
    let mut c1 = client(&server, "c1").await;
    let held = c1.request(json!({"type": "send", "text": "hello"})).await["chat"].as_u64().unwrap();
    assert_eq!(alice.request(json!({"type": "take", "chat": held})).await["type"], "ack");
    let mut c2 = client(&server, "c2").await;
    let queued = c2.request(json!({"type": "send", "text": "anyone?"})).await["chat"].as_u64().unwrap();
    let mut c3 = client(&server, "c3").await;
    let spam = c3.request(json!({"type": "send", "text": "buy now"})).await["chat"].as_u64().unwrap();
    assert_eq!(sam_ws.request(json!({"type": "force_finish", "chat": spam})).await["type"], "ack");
    // bob goes offline: a forward to him conflicts.
    bob.request(json!({"type": "presence", "status": "offline"})).await;
    let long = "x".repeat(51);

    let before = stored(&server).await;
    let mut covered: Vec<(&str, &str)> = Vec::new();

    // bad_request
    alice.send_text("{not json").await;
    assert_eq!(ws_code(&alice.wait_type("error").await), "bad_request");
    let (status, body) =
        post_json(&server, "/api/v1/chats/actions", &sam(), &json!({"ids": [queued], "action": "explode"}))
            .await;
    assert_eq!(http_code(status, &body, 400), "bad_request");
    covered.extend([("bad_request", "ws"), ("bad_request", "http")]);

    // unauthorized: before the upgrade, and on the API.
    let url = format!("{}/ws/agent?token=not-a-token", server.ws_url);
    assert_eq!(upgrade_status(&url).await, Some(401));
    let (status, body) = get(&server, "/api/v1/chats", "not-a-token").await;
    assert_eq!(http_code(status, &body, 401), "unauthorized");
    covered.extend([("unauthorized", "ws"), ("unauthorized", "http")]);

    // forbidden: a line-2 operator takes a line-1 chat; an operator reviews a chat.
    assert_eq!(ws_code(&xena.request(json!({"type": "take", "chat": queued})).await), "forbidden");
    let review = json!({"supervisor_rating": 5});
    let (status, body) =
        patch_json(&server, &format!("/api/v1/chats/{held}"), &token("alice", "operator"), &review).await;
    assert_eq!(http_code(status, &body, 403), "forbidden");
    covered.extend([("forbidden", "ws"), ("forbidden", "http")]);

    // not_found
    assert_eq!(ws_code(&alice.request(json!({"type": "take", "chat": 999_999})).await), "not_found");
    let (status, body) = get(&server, "/api/v1/chats/999999", &sam()).await;
    assert_eq!(http_code(status, &body, 404), "not_found");
    covered.extend([("not_found", "ws"), ("not_found", "http")]);

    // invalid_transition: a fresh chat cannot be split; a spam chat cannot be reopened by status.
    assert_eq!(
        ws_code(&sam_ws.request(json!({"type": "split", "chat": queued})).await),
        "invalid_transition"
    );
    let (status, body) =
        patch_json(&server, &format!("/api/v1/chats/{spam}"), &sam(), &json!({"status": "open"})).await;
    assert_eq!(http_code(status, &body, 409), "invalid_transition");
    covered.extend([("invalid_transition", "ws"), ("invalid_transition", "http")]);

    // already_taken: bob cannot take alice's chat. (HTTP has no take.)
    bob.request(json!({"type": "presence", "status": "online"})).await;
    assert_eq!(ws_code(&bob.request(json!({"type": "take", "chat": held})).await), "already_taken");
    bob.request(json!({"type": "presence", "status": "offline"})).await;
    covered.push(("already_taken", "ws"));

    // over_capacity: alice holds one chat of one. (HTTP has no take.)
    assert_eq!(ws_code(&alice.request(json!({"type": "take", "chat": queued})).await), "over_capacity");
    covered.push(("over_capacity", "ws"));

    // conflict: a forward to an operator who is offline.
    let forward = json!({"type": "forward", "chat": queued, "to_operator": "bob"});
    assert_eq!(ws_code(&sam_ws.request(forward).await), "conflict");
    let code = bulk_code(&server, json!({"ids": [queued], "action": "forward", "to_operator": "bob"})).await;
    assert_eq!(code, "conflict");
    covered.extend([("conflict", "ws"), ("conflict", "http")]);

    // too_large: a client's text, and a channel's inbound message.
    assert_eq!(ws_code(&c2.request(json!({"type": "send", "text": long})).await), "too_large");
    let path = "/api/v1/channels/mail/messages";
    let message = json!({"client_id": "m1", "name": "Ann", "text": long});
    let (status, body) = post_json(&server, path, &server.channel_token("mail"), &message).await;
    assert_eq!(http_code(status, &body, 413), "too_large");
    covered.extend([("too_large", "ws"), ("too_large", "http")]);

    let after = stored(&server).await;
    assert_eq!(after, before, "a refused request changed what is stored");

    // rate_limited, on a node with tight limits: frames over the rate on a socket, and a socket
    // over the per-conversation limit refused before the upgrade.
    let limited = TestServer::start(&config_with(|t| {
        set(t, "limits.messages_per_second", 2.into());
        set(t, "limits.sockets_per_conversation", 1.into());
    }));
    let mut c = client(&limited, "c1").await;
    let first = c.request(json!({"type": "send", "text": "hello"})).await;
    assert_eq!(first["type"], "ack", "{first}");
    let before = stored(&limited).await;
    for n in 0..10 {
        c.send(json!({"type": "ping", "ref": format!("p{n}")})).await;
    }
    let refused = c.wait(|f| f["type"] == "error").await;
    assert_eq!(ws_code(&refused), "rate_limited");
    let token = limited.client_tokens.lock().unwrap()["web:c1"].clone();
    let second = format!("{}/ws/client?channel=web&client_id=c1&token={token}", limited.ws_url);
    assert_eq!(upgrade_status(&second).await, Some(429));
    assert_eq!(stored(&limited).await, before, "a refused request changed what is stored");
    covered.extend([("rate_limited", "ws"), ("rate_limited", "http")]);

    // Every code PROTOCOL lists is in the matrix (`unavailable`: see the module comment).
    let protocol =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/PROTOCOL.md")).unwrap();
    let line = protocol.lines().skip_while(|l| !l.starts_with("Error codes and their HTTP statuses")).take(3);
    let listed: Vec<String> =
        line.collect::<Vec<_>>().join(" ").split('`').skip(1).step_by(2).map(str::to_string).collect();
    assert!(listed.len() >= 11, "the error code list in PROTOCOL.md was not found: {listed:?}");
    for code in &listed {
        assert!(
            code == "unavailable" || covered.iter().any(|(c, _)| c == code),
            "PROTOCOL's error code {code} has no case in the matrix"
        );
    }
}
