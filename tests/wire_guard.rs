//! The sockets' protections and edges against the real binary (PROTOCOL 3, SPEC 8): bad input
//! answered with the right code and nothing changed, scope and roles, rate limit, oversize frames,
//! heartbeat timeout, slow consumers, several sockets per operator, presence and typing, queue
//! positions, and graceful shutdown with a close code.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::time::Duration;

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// Line 1 broadcast: chats wait in New, every line-1 operator sees them.
fn broadcast(edit: impl FnOnce(&mut toml::Table)) -> String {
    config_with(|t| {
        let lines = t.get_mut("lines").unwrap().as_array_mut().unwrap();
        lines[0].as_table_mut().unwrap().insert("strategy".into(), "broadcast".into());
        edit(t);
    })
}

fn code(frame: &Value) -> &str {
    assert_eq!(frame["type"], "error", "{frame}");
    frame["code"].as_str().unwrap()
}

async fn view(server: &TestServer, id: u64) -> Value {
    get(server, &format!("/api/v1/chats/{id}"), &token("sam", "supervisor")).await.1
}

async fn metric(server: &TestServer, line_start: &str) -> f64 {
    let (_, text) = get_text(server, "/metrics", "").await;
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// A queued chat of client `c1`, seen by alice in New.
async fn queued(server: &TestServer) -> (Ws, Ws, u64) {
    let mut alice = agent(server, "alice").await;
    let mut c = client(server, "c1").await;
    let ack = c.request(json!({"type": "send", "text": "hello"})).await;
    let id = ack["chat"].as_u64().unwrap();
    alice.wait(|f| f["type"] == "chat_new" && f["chat"]["id"] == id).await;
    (c, alice, id)
}

#[actix_web::test]
async fn malformed_frames_get_bad_request_and_the_socket_stays_usable() {
    let server = TestServer::start(&base_config());
    let mut alice = agent(&server, "alice").await;
    alice.send_text("{not json").await;
    assert_eq!(code(&alice.wait_type("error").await), "bad_request");
    alice.send_text("[1, 2]").await;
    assert_eq!(code(&alice.wait_type("error").await), "bad_request");
    let e = alice.request(json!({"type": "no_such_thing"})).await;
    assert_eq!(code(&e), "bad_request");
    assert!(e["message"].as_str().unwrap().contains("no_such_thing"));
    let e = alice.request(json!({"type": "finish", "chat": 1})).await;
    assert!(code(&e) == "bad_request" && e["message"].as_str().unwrap().contains("status"), "{e}");
    let e = alice.request(json!({"type": "send", "text": "to nobody"})).await;
    assert_eq!(code(&e), "bad_request", "send needs chat or conversation");
    let e = alice.request(json!({"type": "send", "conversation": "no-colon", "text": "x"})).await;
    assert_eq!(code(&e), "bad_request");
    let e = alice.request(json!({"type": "send", "conversation": "nochannel:c1", "text": "x"})).await;
    assert_eq!(code(&e), "not_found");
    let e =
        alice.request(json!({"type": "forward", "chat": 1, "to_operator": "bob", "to_line": "line2"})).await;
    assert_eq!(code(&e), "bad_request");
    alice.send(json!({"type": "ping", "ref": 7})).await;
    assert_eq!(alice.wait_type("pong").await["ref"], 7);
}

#[actix_web::test]
async fn oversize_frames_and_texts_get_too_large_and_change_nothing() {
    let server = TestServer::start(&config_with(|t| set(t, "limits.max_text_chars", 10.into())));
    let mut c = client(&server, "c1").await;
    c.send_text(&format!("{{\"type\":\"ping\",\"pad\":\"{}\"}}", "x".repeat(70_000))).await;
    assert_eq!(code(&c.wait_type("error").await), "too_large");
    let e = c.request(json!({"type": "send", "text": "eleven chars"})).await;
    assert_eq!(code(&e), "too_large");
    let ok = c.request(json!({"type": "send", "text": "äöüäöüäöüä"})).await;
    assert_eq!(ok["type"], "ack", "10 characters (20 bytes) fit: {ok}");
    let (_, list) = get(&server, "/api/v1/chats", &token("sam", "supervisor")).await;
    let id = list["items"][0]["id"].as_u64().unwrap();
    let (_, messages) =
        get(&server, &format!("/api/v1/chats/{id}/messages"), &token("sam", "supervisor")).await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 1, "only the accepted message was stored");
}

#[actix_web::test]
async fn unknown_ids_and_illegal_transitions_change_nothing() {
    let server = TestServer::start(&broadcast(|_| {}));
    let (_c, mut alice, id) = queued(&server).await;
    assert_eq!(code(&alice.request(json!({"type": "take", "chat": 999_999})).await), "not_found");
    assert_eq!(code(&alice.request(json!({"type": "split", "chat": id})).await), "invalid_transition");
    assert_eq!(
        code(&alice.request(json!({"type": "vote", "chat": id, "score": 3})).await),
        "bad_request",
        "operators do not vote"
    );
    assert_eq!(alice.request(json!({"type": "force_finish", "chat": id})).await["type"], "ack");
    let before = view(&server, id).await;
    assert_eq!(
        code(&alice.request(json!({"type": "finish", "chat": id, "status": "open"})).await),
        "invalid_transition"
    );
    assert_eq!(
        code(&alice.request(json!({"type": "set_status", "chat": id, "status": "on_hold"})).await),
        "invalid_transition"
    );
    assert_eq!(
        code(&alice.request(json!({"type": "set_status", "chat": id, "status": "closed"})).await),
        "bad_request"
    );
    let after = view(&server, id).await;
    assert_eq!(before, after);
}

#[actix_web::test]
async fn scope_and_role_are_checked_before_state() {
    let server = TestServer::start(&broadcast(|_| {}));
    let (mut c, _alice, id) = queued(&server).await;
    let mut xena = agent(&server, "xena").await; // line 2 only
    assert_eq!(code(&xena.request(json!({"type": "take", "chat": id})).await), "forbidden");
    assert_eq!(
        code(&xena.request(json!({"type": "finish", "chat": id, "status": "open"})).await),
        "forbidden"
    );
    assert_eq!(
        code(&xena.request(json!({"type": "history", "chat": id})).await),
        "not_found",
        "an unseen chat is not leaked"
    );
    assert_eq!(view(&server, id).await["phase"], "active");
    // A client votes only in its own conversation.
    let mut other = client(&server, "c2").await;
    assert_eq!(code(&other.request(json!({"type": "vote", "chat": id, "score": 1})).await), "not_found");
    // A client cannot send operator frames.
    assert_eq!(code(&c.request(json!({"type": "take", "chat": id})).await), "bad_request");
    // Supervisors act on every line.
    let mut sam = agent(&server, "sam").await;
    assert_eq!(sam.request(json!({"type": "take", "chat": id})).await["type"], "ack");
}

#[actix_web::test]
async fn bad_tokens_and_signatures_are_refused_before_the_upgrade() {
    let server = TestServer::start(&config_with(|t| {
        let channels = t.get_mut("channels").unwrap().as_array_mut().unwrap();
        channels[0].as_table_mut().unwrap().insert("secret".into(), "widget-secret".into());
    }));
    let url = format!("{}/ws/agent?token=", server.ws_url);
    assert_eq!(upgrade_status(&url).await, Some(401));
    assert_eq!(upgrade_status(&format!("{url}{}", token("alice", "admin"))).await, Some(401), "wrong role");
    assert_eq!(upgrade_status(&format!("{url}{}", token("nobody", "operator"))).await, Some(401));
    let client_url = format!("{}/ws/client?channel=web&client_id=c9", server.ws_url);
    assert_eq!(upgrade_status(&client_url).await, Some(401));
    assert_eq!(upgrade_status(&format!("{}/ws/client?channel=nope", server.ws_url)).await, Some(404));
    assert_eq!(upgrade_status(&format!("{}/ws/client", server.ws_url)).await, Some(400));
    let sig = frontline::auth::client_signature("widget-secret", "c9");
    let c = client_query(&server, &format!("channel=web&client_id=c9&sig={sig}")).await;
    assert_eq!((&c.welcome["client_id"], &c.welcome["conversation"]), (&json!("c9"), &json!("web:c9")));
    let anonymous = client_query(&server, "channel=mail").await;
    assert_eq!(anonymous.welcome["client_id"].as_str().map(str::len), Some(32), "the server makes an id");
}

#[actix_web::test]
async fn frames_over_the_rate_are_refused_with_rate_limited() {
    let server = TestServer::start(&config_with(|t| set(t, "limits.messages_per_second", 5.into())));
    let mut c = client(&server, "c1").await;
    for i in 0..20 {
        c.send(json!({"type": "ping", "ref": i})).await;
    }
    let limited = c.wait(|f| f["type"] == "error").await;
    assert_eq!((code(&limited), limited["ref"].as_u64().is_some()), ("rate_limited", true));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    c.send(json!({"type": "ping", "ref": "later"})).await;
    c.wait(|f| f["type"] == "pong" && f["ref"] == "later").await;
}

#[actix_web::test]
async fn a_silent_socket_is_closed_after_the_heartbeat_timeout() {
    let server = TestServer::start(&config_with(|t| set(t, "limits.heartbeat_timeout", 0.6.into())));
    // A raw socket that completes the handshake and then never answers anything.
    let _raw = raw_upgrade(&server, "/ws/client?channel=web&client_id=mute");
    let started = std::time::Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(10) {
        if metric(&server, "frontline_disconnects_total{reason=\"heartbeat\"}").await >= 1.0 {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(closed, "the silent socket was not closed");
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "closed before the timeout: {:?}",
        started.elapsed()
    );
    // A socket that answers pings (as every WebSocket client does) stays open.
    let mut c = client(&server, "talker").await;
    assert!(
        c.quiet(|_| false, Duration::from_millis(1500)).await,
        "reading (and so answering pings) for 1.5 s"
    );
    c.send(json!({"type": "ping", "ref": 1})).await;
    c.wait_type("pong").await;
}

#[actix_web::test]
async fn a_slow_consumer_is_disconnected_instead_of_growing_memory() {
    let server = TestServer::start(&broadcast(|t| {
        set(t, "limits.max_outbound_frames", 64.into());
        // Long enough that the kernel's TCP_USER_TIMEOUT does not drop the stalled connection
        // before its mailbox fills, however slow the machine; short enough to see it dropped.
        set(t, "limits.heartbeat_timeout", 4.0.into());
        set(t, "limits.messages_per_second", 100_000.into());
    }));
    // alice's socket never reads; her New tab gets every message of the queued chat.
    let _raw = raw_upgrade(&server, &format!("/ws/agent?token={}", token("alice", "operator")));
    // She must be online (a watcher of the chat) before it is created, however slow the machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, operators) = get(&server, "/api/v1/operators", &token("sam", "supervisor")).await;
        let alice = operators["items"].as_array().unwrap().iter().find(|o| o["id"] == "alice").cloned();
        if alice.is_some_and(|a| a["presence"] == "online") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "alice never came online");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut c = client(&server, "c1").await;
    let text = "x".repeat(7_900);
    let mut disconnected = false;
    for i in 0..2_000 {
        c.send(json!({"type": "send", "text": text, "ref": i})).await;
        if i % 100 == 99 {
            c.wait(|f| f["ref"] == i).await;
            if metric(&server, "frontline_disconnects_total{reason=\"slow_consumer\"}").await >= 1.0 {
                disconnected = true;
                break;
            }
        }
    }
    assert!(disconnected, "the slow consumer was never disconnected");
    // Its connection is dropped too (the kernel's TCP_USER_TIMEOUT: its session cannot run).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while metric(&server, "frontline_connections{kind=\"operator\"}").await > 0.0 {
        assert!(std::time::Instant::now() < deadline, "the stalled connection was never dropped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn an_operator_with_several_sockets_gets_every_event_on_each_and_its_own_message_on_the_others() {
    let server = TestServer::start(&broadcast(|_| {}));
    let mut tab1 = agent(&server, "alice").await;
    let mut tab2 = agent(&server, "alice").await;
    let mut c = client(&server, "c1").await;
    let id = c.request(json!({"type": "send", "text": "hi"})).await["chat"].as_u64().unwrap();
    tab1.wait(|f| f["type"] == "chat_new" && f["chat"]["id"] == id).await;
    tab2.wait(|f| f["type"] == "chat_new" && f["chat"]["id"] == id).await;
    assert_eq!(tab1.request(json!({"type": "take", "chat": id})).await["type"], "ack");
    tab2.wait(|f| f["type"] == "chat_assigned" && f["chat"]["id"] == id).await;
    assert_eq!(tab1.request(json!({"type": "send", "chat": id, "text": "from tab 1"})).await["type"], "ack");
    tab2.wait(|f| f["type"] == "message" && f["message"]["text"] == "from tab 1").await;
    assert!(
        tab1.quiet(
            |f| f["type"] == "message" && f["message"]["text"] == "from tab 1",
            Duration::from_millis(200)
        )
        .await
    );
    // Closing one tab keeps the operator online.
    tab2.close().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, ops) = get(&server, "/api/v1/operators", &token("sam", "supervisor")).await;
    let alice = ops["items"].as_array().unwrap().iter().find(|o| o["id"] == "alice").unwrap().clone();
    assert_eq!((&alice["presence"], &alice["active_chats"]), (&json!("online"), &json!(1)));
}

#[actix_web::test]
async fn supervisors_see_presence_and_typing_is_relayed_both_ways() {
    let server = TestServer::start(&broadcast(|_| {}));
    let mut sam = agent(&server, "sam").await;
    let mut alice = agent(&server, "alice").await;
    sam.wait(|f| f["type"] == "presence" && f["operator"] == "alice" && f["status"] == "online").await;
    assert_eq!(alice.request(json!({"type": "presence", "status": "away"})).await["type"], "ack");
    sam.wait(|f| f["type"] == "presence" && f["operator"] == "alice" && f["status"] == "away").await;
    assert!(
        alice.quiet(|f| f["type"] == "presence", Duration::from_millis(100)).await,
        "operators get no presence feed"
    );

    let mut c = client(&server, "c1").await;
    let id = c.request(json!({"type": "send", "text": "hi"})).await["chat"].as_u64().unwrap();
    assert_eq!(alice.request(json!({"type": "take", "chat": id})).await["type"], "ack");
    c.send(json!({"type": "typing"})).await;
    let typing = alice.wait_type("typing").await;
    assert_eq!((&typing["chat"], &typing["author"]), (&json!(id), &json!("c1")));
    alice.send(json!({"type": "typing", "chat": id})).await;
    c.wait_type("typing").await;
}

#[actix_web::test]
async fn waiting_clients_learn_their_queue_position() {
    let server = TestServer::start(&broadcast(|_| {}));
    let mut first = client(&server, "c1").await;
    let mut second = client(&server, "c2").await;
    let id = first.request(json!({"type": "send", "text": "first"})).await["chat"].as_u64().unwrap();
    first.wait(|f| f["type"] == "queue" && f["position"] == 1).await;
    second.request(json!({"type": "send", "text": "second"})).await;
    second.wait(|f| f["type"] == "queue" && f["position"] == 2).await;
    let mut alice = agent(&server, "alice").await;
    assert_eq!(alice.request(json!({"type": "take", "chat": id})).await["type"], "ack");
    second.wait(|f| f["type"] == "queue" && f["position"] == 1).await;
}

#[actix_web::test]
async fn welcome_frames_resynchronise_a_reconnecting_socket() {
    let server = TestServer::start(&broadcast(|_| {}));
    let (mut c, mut alice, id) = queued(&server).await;
    assert_eq!(alice.request(json!({"type": "take", "chat": id})).await["type"], "ack");
    alice.request(json!({"type": "send", "chat": id, "text": "hello back", "client_msg_id": "n1"})).await;
    alice.request(json!({"type": "note", "chat": id, "text": "private note"})).await;
    c.wait(|f| f["type"] == "message" && f["message"]["text"] == "hello back").await;
    let again = agent(&server, "alice").await;
    let my: Vec<_> = again.welcome["my"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect();
    assert_eq!(my, vec![json!(id)]);
    assert_eq!(again.welcome["operator"]["lines"], json!(["line1"]));
    let c2 = client(&server, "c1").await;
    let texts: Vec<_> =
        c2.welcome["messages"].as_array().unwrap().iter().map(|m| m["text"].clone()).collect();
    assert_eq!(texts, vec![json!("hello"), json!("hello back")], "no private note for the client");
    assert_eq!(c2.welcome["chat"], id);
}

#[actix_web::test]
async fn sigterm_closes_sockets_with_going_away_flushes_and_exits_cleanly() {
    let mut server = TestServer::start_process(&broadcast(|_| {}));
    let mut alice = agent(&server, "alice").await;
    let mut c = client(&server, "c1").await;
    let id = c.request(json!({"type": "send", "text": "before shutdown", "client_msg_id": "k1"})).await
        ["chat"]
        .as_u64()
        .unwrap();
    let exit = server.terminate();
    assert_eq!(alice.closed_within(Duration::from_secs(5)).await, Some(1001));
    assert_eq!(c.closed_within(Duration::from_secs(5)).await, Some(1001));
    assert!(exit.is_some_and(|s| s.success()), "exit status {exit:?}; log: {}", server.log_tail());
    server.restart();
    let (status, messages) =
        get(&server, &format!("/api/v1/chats/{id}/messages"), &token("sam", "supervisor")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(messages["items"][0]["text"], "before shutdown");
}

/// Opens a WebSocket by hand on a plain TCP connection and never reads from it. Its receive
/// buffer is pinned small (no autotuning), so the server meets backpressure after a few hundred
/// kilobytes rather than after the tens of megabytes the kernel would otherwise absorb.
fn raw_upgrade(server: &TestServer, path_and_query: &str) -> std::net::TcpStream {
    let addr = server.url.trim_start_matches("http://").to_string();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    let target: std::net::SocketAddr = addr.parse().unwrap();
    socket.connect(&target.into()).unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    stream.set_nodelay(true).unwrap();
    let request = format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream
}
