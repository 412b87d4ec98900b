//! No client is left waiting, over the wire against the real server on a clock the tests move
//! (SPEC 2.2, 4): a client writing into a chat whose operator went offline is routed again once
//! the presence grace is over; `lines[].reassign_after` takes an unanswered chat back to the
//! queue; a forward to an offline operator is refused; a reconnecting client hears its queue
//! position and a pending vote request again; `on_hold` chats and email chats are never
//! auto-finished, `channels[].inactivity` overrides the timeout; away operators hear of no new
//! chats.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

const QUIET: Duration = Duration::from_millis(200);

async fn chat(server: &TestServer, id: u64) -> Value {
    let (status, body) = get(server, &format!("/api/v1/chats/{id}"), &token("sam", "supervisor")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Polls the chat row until `pred` holds (timers act asynchronously after the clock moves).
async fn chat_until(server: &TestServer, id: u64, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let view = chat(server, id).await;
        if pred(&view) {
            return view;
        }
        assert!(Instant::now() < deadline, "chat {id} never got there: {view}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn operator_sockets(server: &TestServer) -> f64 {
    let (_, text) = get_text(server, "/metrics", "").await;
    text.lines()
        .find_map(|l| l.strip_prefix("frontline_connections{kind=\"operator\"} "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Lets the supervisor catch up: what it was sent so far (a socket's close, a timer the clock
/// just released) is handled before this returns (its mailbox is one queue).
async fn settle(server: &TestServer) {
    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    let (status, _) = get(server, "/api/v1/operators", &token("sam", "supervisor")).await;
    assert_eq!(status, StatusCode::OK);
}

/// Closes an operator's only socket and waits until the supervisor knows (the presence grace
/// starts then, on the manual clock).
async fn hang_up(server: &TestServer, op: Ws) {
    let before = operator_sockets(server).await;
    op.close().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while operator_sockets(server).await >= before {
        assert!(Instant::now() < deadline, "the socket never closed");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    settle(server).await;
}

fn acked(frame: &Value) -> &Value {
    assert_eq!(frame["type"], "ack", "{frame}");
    frame
}

fn chat_of(frame: &Value) -> u64 {
    match &frame["chat"] {
        Value::Object(c) => c["id"].as_u64().unwrap(),
        other => other.as_u64().unwrap(),
    }
}

fn is_offer(id: u64) -> impl Fn(&Value) -> bool {
    move |f| f["type"] == "offer" && chat_of(f) == id
}

/// Client `client_id` writes; `op` (connected, alone online in line 1 or first in turn) accepts.
async fn accepted(server: &TestServer, op: &mut Ws, client_id: &str) -> (Ws, u64) {
    let mut c = client(server, client_id).await;
    let id = acked(&c.request(json!({"type": "send", "text": "hello"})).await)["chat"].as_u64().unwrap();
    op.wait(is_offer(id)).await;
    acked(&op.request(json!({"type": "accept", "chat": id})).await);
    op.wait(|f| f["type"] == "chat_assigned" && f["chat"]["id"] == id).await;
    (c, id)
}

#[actix_web::test]
async fn a_client_writing_to_an_operator_gone_offline_is_routed_again_after_the_grace() {
    let server = TestServer::start_with_manual_clock(&base_config());
    let mut alice = agent(&server, "alice").await;
    let (mut c, id) = accepted(&server, &mut alice, "c1").await;
    let mut bob = agent(&server, "bob").await;
    hang_up(&server, alice).await;

    // Within the grace alice may come back: the chat stays hers.
    server.advance(10.0);
    settle(&server).await;
    acked(&c.request(json!({"type": "send", "text": "still there?"})).await);
    assert!(bob.quiet(is_offer(id), QUIET).await, "offered during alice's grace");
    assert_eq!(chat(&server, id).await["responsible"], "alice");

    // After it, the next client message sends the chat back through routing.
    server.advance(21.0);
    settle(&server).await;
    acked(&c.request(json!({"type": "send", "text": "hello??"})).await);
    bob.wait(is_offer(id)).await;
    let view = chat(&server, id).await;
    assert_eq!((&view["phase"], &view["responsible"]), (&json!("active"), &Value::Null), "{view}");
    acked(&bob.request(json!({"type": "accept", "chat": id})).await);
    chat_until(&server, id, |v| v["responsible"] == "bob").await;
}

#[actix_web::test]
async fn a_chat_left_unanswered_for_reassign_after_goes_to_someone_else() {
    let server = TestServer::start_with_manual_clock(&config_with(|t| {
        let lines = t["lines"].as_array_mut().unwrap();
        lines[0].as_table_mut().unwrap().insert("reassign_after".into(), 120.into());
    }));
    let mut alice = agent(&server, "alice").await;
    let (mut c, id) = accepted(&server, &mut alice, "c1").await;
    let mut bob = agent(&server, "bob").await;

    server.advance(119.0);
    assert!(alice.quiet(|f| f["type"] == "chat_removed", QUIET).await, "not a second early");
    server.advance(1.0);
    let gone = alice.wait(|f| f["type"] == "chat_removed" && f["chat"] == id).await;
    assert_eq!(gone["by"], json!({"kind": "timer", "timer": "reassign"}), "{gone}");
    bob.wait(is_offer(id)).await;
    acked(&bob.request(json!({"type": "accept", "chat": id})).await);
    chat_until(&server, id, |v| v["responsible"] == "bob").await;

    // Answered, it stays: only an unanswered client message starts the count again.
    acked(&bob.request(json!({"type": "send", "chat": id, "text": "I am here"})).await);
    server.advance(300.0);
    assert!(bob.quiet(|f| f["type"] == "chat_removed" && f["chat"] == id, QUIET).await);
    acked(&c.request(json!({"type": "send", "text": "thanks, one more thing"})).await);
    server.advance(120.0);
    bob.wait(|f| f["type"] == "chat_removed" && f["chat"] == id).await;
}

#[actix_web::test]
async fn a_forward_to_an_offline_operator_is_refused_and_changes_nothing() {
    let server = TestServer::start_with_manual_clock(&base_config());
    settle(&server).await;
    server.advance(31.0); // bob never connected: offline once the startup grace is over
    settle(&server).await;
    let mut alice = agent(&server, "alice").await;
    let (_c, id) = accepted(&server, &mut alice, "c1").await;
    let mut sam = agent(&server, "sam").await;
    let refused = sam.request(json!({"type": "forward", "chat": id, "to_operator": "bob"})).await;
    assert_eq!((&refused["type"], &refused["code"]), (&json!("error"), &json!("conflict")), "{refused}");
    assert_eq!(chat(&server, id).await["responsible"], "alice");
    assert!(alice.quiet(|f| f["type"] == "chat_removed", QUIET).await);

    let _bob = agent(&server, "bob").await;
    acked(&sam.request(json!({"type": "forward", "chat": id, "to_operator": "bob"})).await);
    chat_until(&server, id, |v| v["responsible"] == "bob").await;
}

#[actix_web::test]
async fn a_reconnecting_client_hears_its_queue_position_again() {
    let server = TestServer::start_with_manual_clock(&base_config());
    let mut first = client(&server, "c1").await;
    acked(&first.request(json!({"type": "send", "text": "first"})).await);
    first.wait(|f| f["type"] == "queue" && f["position"] == 1).await;
    let mut second = client(&server, "c2").await;
    acked(&second.request(json!({"type": "send", "text": "second"})).await);
    second.wait(|f| f["type"] == "queue" && f["position"] == 2).await;
    second.close().await;

    let mut again = client(&server, "c2").await;
    let told = again.wait_type("queue").await;
    assert_eq!(told["position"], 2, "{told}");
}

#[actix_web::test]
async fn a_reconnecting_client_is_asked_to_vote_again_and_can() {
    let server = TestServer::start_with_manual_clock(&base_config());
    let mut alice = agent(&server, "alice").await;
    let (c, id) = accepted(&server, &mut alice, "c1").await;
    c.close().await;
    let finish = json!({"type": "finish", "chat": id, "status": "closed", "request_vote": true});
    acked(&alice.request(finish).await);
    chat_until(&server, id, |v| v["phase"] == "closing").await;

    let mut c = client(&server, "c1").await;
    let asked = c.wait_type("vote_request").await;
    assert_eq!(asked["chat"], id, "{asked}");
    assert_eq!(asked["options"].as_array().map(Vec::len), Some(3), "{asked}");
    acked(&c.request(json!({"type": "vote", "chat": id, "score": 3})).await);
    chat_until(&server, id, |v| v["phase"] == "finished").await;

    // Once voted, a reconnect asks nothing.
    let mut later = client(&server, "c1").await;
    assert!(later.quiet(|f| f["type"] == "vote_request", QUIET).await);
}

#[actix_web::test]
async fn a_chat_on_hold_is_never_auto_finished_and_the_timer_restarts_off_hold() {
    let server = TestServer::start_with_manual_clock(&base_config());
    let mut alice = agent(&server, "alice").await;
    let (_c, id) = accepted(&server, &mut alice, "c1").await;
    acked(&alice.request(json!({"type": "set_status", "chat": id, "status": "on_hold"})).await);
    server.advance(3600.0);
    assert!(alice.quiet(|f| f["type"] == "chat_removed", QUIET).await);
    assert_eq!(chat(&server, id).await["phase"], "active");

    acked(&alice.request(json!({"type": "set_status", "chat": id, "status": "open"})).await);
    server.advance(599.0);
    assert!(alice.quiet(|f| f["type"] == "chat_removed", QUIET).await, "the ten minutes start afresh");
    server.advance(1.0);
    alice.wait(|f| f["type"] == "chat_removed" && f["chat"] == id).await;
}

#[actix_web::test]
async fn a_channels_inactivity_overrides_the_timeout_and_email_waits_forever() {
    let server = TestServer::start_with_manual_clock(&config_with(|t| {
        let channels = t["channels"].as_array_mut().unwrap();
        channels[0].as_table_mut().unwrap().insert("inactivity".into(), 60.into());
    }));
    let mut alice = agent(&server, "alice").await;
    let (_c, web) = accepted(&server, &mut alice, "c1").await;
    let mail = inbound(&server, "mail", json!({"client_id": "ann@example.com", "text": "hello"})).await;
    let mail = mail["chat"].as_u64().unwrap();
    alice.wait(is_offer(mail)).await;
    acked(&alice.request(json!({"type": "accept", "chat": mail})).await);

    server.advance(59.0);
    assert!(alice.quiet(|f| f["type"] == "chat_removed", QUIET).await, "not a second early");
    server.advance(1.0);
    alice.wait(|f| f["type"] == "chat_removed" && f["chat"] == web).await;
    server.advance(30.0 * 86_400.0);
    assert!(alice.quiet(|f| f["type"] == "chat_removed", QUIET).await, "email is never auto-finished");
    assert_eq!(chat(&server, mail).await["phase"], "active");
}

#[actix_web::test]
async fn an_away_operator_hears_of_no_new_chats_until_back_online() {
    let server = TestServer::start_with_manual_clock(&base_config());
    let mut alice = agent(&server, "alice").await;
    acked(&alice.request(json!({"type": "presence", "status": "away"})).await);
    let mut c = client(&server, "c1").await;
    let id = acked(&c.request(json!({"type": "send", "text": "hello"})).await)["chat"].as_u64().unwrap();
    let new =
        |f: &Value| ["chat_new", "offer"].contains(&f["type"].as_str().unwrap_or("")) && chat_of(f) == id;
    assert!(alice.quiet(new, QUIET).await, "an away operator was told of a new chat");
    let (status, tab) = get(&server, "/api/v1/tabs/new", &server.token_for("alice")).await;
    assert_eq!(status, StatusCode::OK, "{tab}");
    assert_eq!(
        (&tab["items"], &tab["total"]),
        (&json!([]), &json!(0)),
        "an away operator's New tab is empty"
    );

    acked(&alice.request(json!({"type": "presence", "status": "online"})).await);
    alice.wait(new).await;
}
