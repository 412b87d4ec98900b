//! Attacks on who may read and write what, and on the node's memory, end to end against the real
//! binary (SPEC 8; issue 9 items 1, 2, 5-8). Each test makes the hostile request, then proves
//! that nothing changed and nothing leaked:
//! - a guessed client id on a channel without a `secret` reads and writes nothing (conversation
//!   tokens, PROTOCOL 3.3);
//! - an operator stays in scope when writing by conversation id, and typing does not reveal
//!   whether a chat exists;
//! - client ids are 1-128 printable characters on every edge; query strings are never decoded
//!   lossily;
//! - text split across WebSocket fragments is reassembled, and invalid UTF-8 closes with 1007;
//! - one client cannot multiply its limits with sockets, nor one address open sockets without
//!   bound; a client socket that never writes activates nothing; activating a long
//!   conversation replays only what follows its snapshot;
//! - the New tab of a welcome is capped, the rest paged over HTTP.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

fn sam() -> String {
    token("sam", "supervisor")
}

fn acked(frame: &Value) -> &Value {
    assert_eq!(frame["type"], "ack", "{frame}");
    frame
}

fn code(frame: &Value) -> &str {
    assert_eq!(frame["type"], "error", "{frame}");
    frame["code"].as_str().unwrap()
}

/// Every message of the conversation of chat `id`, as a supervisor reads them.
async fn texts(server: &TestServer, id: u64) -> Vec<String> {
    let (status, body) = get(server, &format!("/api/v1/chats/{id}/messages?limit=500"), &sam()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_string()).collect()
}

async fn all_chats(server: &TestServer) -> Vec<Value> {
    let (status, body) = get(server, "/api/v1/chats?limit=500", &sam()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn metric(server: &TestServer, name: &str) -> f64 {
    let (_, text) = get_text(server, "/metrics", "").await;
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[actix_web::test]
async fn a_guessed_client_id_reads_and_writes_nothing_without_the_conversation_token() {
    let server = TestServer::start(&base_config());
    let mut victim = client(&server, "c1").await;
    let token = victim.welcome["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 64, "a new conversation gets its token in the welcome");
    let id = acked(&victim.request(json!({"type": "send", "text": "my card is 4111 1111 1111 1111"})).await)
        ["chat"]
        .as_u64()
        .unwrap();

    // The attacker knows the id: without the token, or with a wrong or foreign one, no socket.
    let other = {
        let c = client(&server, "c2").await;
        c.welcome["token"].as_str().unwrap().to_string()
    };
    for query in [
        "channel=web&client_id=c1".to_string(),
        "channel=web&client_id=c1&token=".to_string(),
        format!("channel=web&client_id=c1&token={}", "0".repeat(64)),
        format!("channel=web&client_id=c1&token={other}"),
        format!("channel=web&client_id=c1&token={}", &token[..63]),
    ] {
        let status = upgrade_status(&format!("{}/ws/client?{query}", server.ws_url)).await;
        assert_eq!(status, Some(401), "{query}");
    }
    // A wrong token is refused even for a conversation that does not exist yet, so a refusal
    // says nothing about which ids exist.
    let status =
        upgrade_status(&format!("{}/ws/client?channel=web&client_id=nobody&token={other}", server.ws_url))
            .await;
    assert_eq!(status, Some(401));
    assert_eq!(texts(&server, id).await, vec!["my card is 4111 1111 1111 1111"], "nothing written");

    // The real client comes back with its token: same token, its history.
    let back = client_query(&server, &format!("channel=web&client_id=c1&token={token}")).await;
    assert_eq!(back.welcome["token"], json!(token), "stable for the conversation");
    assert_eq!(back.welcome["messages"][0]["text"], "my card is 4111 1111 1111 1111");
}

#[actix_web::test]
async fn a_signed_channel_proves_clients_by_signature_and_issues_no_token() {
    let server = TestServer::start(&config_with(|t| {
        push(t, "channels", "id = \"site\"\nkind = \"realtime\"\nline = \"line1\"\nsecret = \"site-secret\"");
    }));
    let sig = frontline::auth::client_signature("site-secret", "c1");
    let mut c = client_query(&server, &format!("channel=site&client_id=c1&sig={sig}")).await;
    assert_eq!(c.welcome.get("token"), None);
    acked(&c.request(json!({"type": "send", "text": "hello"})).await);
    let again = client_query(&server, &format!("channel=site&client_id=c1&sig={sig}")).await;
    assert_eq!(again.welcome["messages"][0]["text"], "hello", "the signature alone proves it");
}

#[actix_web::test]
async fn an_operator_cannot_write_by_conversation_into_a_chat_outside_their_scope() {
    let server = TestServer::start(&base_config());
    let mut alice = agent(&server, "alice").await;
    let mut c = client(&server, "c1").await;
    let id =
        acked(&c.request(json!({"type": "send", "text": "my card is 4111"})).await)["chat"].as_u64().unwrap();
    alice.wait(|f| f["type"] == "offer").await;
    acked(&alice.request(json!({"type": "accept", "chat": id})).await);
    let before = get(&server, &format!("/api/v1/chats/{id}"), &sam()).await.1;

    // xena (line 2) writes by the conversation id into alice's active line-1 chat.
    let mut xena = agent(&server, "xena").await;
    let refused =
        xena.request(json!({"type": "send", "conversation": "web:c1", "text": "Hi, I am your bank"})).await;
    assert_eq!(code(&refused), "forbidden", "{refused}");
    let after = get(&server, &format!("/api/v1/chats/{id}"), &sam()).await.1;
    assert_eq!(after["responsible"], "alice");
    assert_eq!(after["updated_at"], before["updated_at"], "nothing changed");
    assert_eq!(texts(&server, id).await, vec!["my card is 4111"]);
    assert!(c.quiet(|f| f["type"] == "message", Duration::from_millis(200)).await, "the client got nothing");
    assert!(xena.quiet(|f| f["type"] == "message", Duration::from_millis(100)).await, "xena read nothing");

    // Typing into it is refused exactly like typing into a chat that does not exist.
    let typing = xena.request(json!({"type": "typing", "chat": id})).await;
    let missing = xena.request(json!({"type": "typing", "chat": 999_999})).await;
    assert_eq!((code(&typing), code(&missing)), ("not_found", "not_found"));
    assert_eq!(
        typing["message"].as_str().unwrap().replace(&id.to_string(), "N"),
        missing["message"].as_str().unwrap().replace("999999", "N")
    );
    assert!(
        c.quiet(|f| f["type"] == "typing", Duration::from_millis(200)).await,
        "no typing reached the client"
    );
    // alice, in scope, types and the client sees it.
    acked(&alice.request(json!({"type": "typing", "chat": id})).await);
    c.wait_type("typing").await;

    // Once the chat is finished (closed), anyone may start a new outgoing chat (SPEC 3, seed 001).
    acked(
        &alice
            .request(json!({"type": "finish", "chat": id, "status": "closed", "request_vote": false}))
            .await,
    );
    let started = acked(
        &xena
            .request(json!({"type": "send", "conversation": "web:c1", "text": "Follow-up from line 2"}))
            .await,
    )
    .clone();
    assert_ne!(started["chat"].as_u64(), Some(id), "a new chat, not the finished one");
}

#[actix_web::test]
async fn client_ids_are_1_to_128_printable_characters_on_every_edge() {
    let server = TestServer::start(&base_config());
    let long = "x".repeat(129);
    for (query, why) in [
        ("channel=web&client_id=a%0D%0Ab".to_string(), "CR/LF"),
        ("channel=web&client_id=a%00b".to_string(), "NUL"),
        ("channel=web&client_id=a%E2%80%AEb".to_string(), "a bidi override"),
        (format!("channel=web&client_id={long}"), "129 characters"),
        ("channel=web&client_id=caf%C3".to_string(), "a truncated UTF-8 sequence"),
        ("channel=web&client_id=%FF%FE".to_string(), "bytes that are not UTF-8"),
        ("channel=web&client_id=c1&bogus=1".to_string(), "an unknown parameter"),
    ] {
        let status = upgrade_status(&format!("{}/ws/client?{query}", server.ws_url)).await;
        assert_eq!(status, Some(400), "{why}: {query}");
    }
    // 128 characters of two bytes each are fine: counted in characters.
    let wide = "é".repeat(128);
    let mut ok = client_query(&server, &format!("channel=web&client_id={}", encode(&wide))).await;
    acked(&ok.request(json!({"type": "send", "text": "hi"})).await);

    // HTTP inbound.
    let path = "/api/v1/channels/mail/messages";
    for bad in ["a\r\nb", "", &long] {
        let (status, body) =
            post_json(&server, path, "mail-token", &json!({"client_id": bad, "text": "x"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
    }
    // An operator writing by conversation id.
    let mut sam_ws = agent(&server, "sam").await;
    for bad in ["web:a\nb".to_string(), format!("web:{}", "y".repeat(2000)), "web:".to_string()] {
        let e = sam_ws.request(json!({"type": "send", "conversation": bad, "text": "x"})).await;
        assert_eq!(code(&e), "bad_request", "{e}");
    }
    // Automated messages by conversation id in the path.
    for bad in ["web:a%0Ab", "web:%FF"] {
        let (status, body) = post_json(
            &server,
            &format!("/api/v1/conversations/{bad}/automated"),
            &sam(),
            &json!({"kind": "bot", "text": "x"}),
        )
        .await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{bad}: {status} {body}"
        );
    }
    let chats = all_chats(&server).await;
    assert_eq!(chats.len(), 1, "only the 128-character client got a chat: {chats:?}");
    assert_eq!(chats[0]["client"]["id"], json!(wide));
}

#[actix_web::test]
async fn text_split_across_fragments_is_stored_whole_and_invalid_utf8_closes_1007() {
    let server = TestServer::start(&base_config());
    let mut c = client(&server, "c1").await;
    let frame = r#"{"type":"send","text":"café au lait","ref":"f1"}"#.as_bytes();
    let split = frame.iter().position(|&b| b == 0xC3).unwrap() + 1; // inside "é"
    c.send_fragments(&[&frame[..split], &frame[split..]]).await;
    let ack = c.wait(|f| f["ref"] == "f1").await;
    let id = acked(&ack)["chat"].as_u64().unwrap();
    assert_eq!(texts(&server, id).await, vec!["café au lait"]);

    // Fragments whose whole is not UTF-8: closed with 1007, nothing stored.
    let mut c = client(&server, "c1").await;
    c.send_fragments(&[br#"{"type":"send","text":"caf"#, b"\xC3\"}"]).await;
    assert_eq!(c.closed_within(Duration::from_secs(5)).await, Some(1007));
    // One unfragmented frame that is not UTF-8: the same.
    let close = raw_text_frame(
        &server,
        "/ws/client?channel=web&client_id=raw",
        b"{\"type\":\"send\",\"text\":\"\xFF\xFE\"}",
    );
    assert_eq!(close, Some(1007));
    assert_eq!(texts(&server, id).await, vec!["café au lait"], "nothing else stored");
    assert_eq!(all_chats(&server).await.len(), 1);
    assert!(metric(&server, "frontline_disconnects_total{reason=\"invalid_utf8\"}").await >= 2.0);
}

/// Upgrades `path` over a plain TCP socket, sends one masked text frame carrying `payload` as
/// it is, and returns the close code the server answers with.
fn raw_text_frame(server: &TestServer, path: &str, payload: &[u8]) -> Option<u16> {
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut frame = vec![0x81, 0x80 | u8::try_from(payload.len()).unwrap()];
    let mask = [1_u8, 2, 3, 4];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).unwrap();
    // Read the handshake answer and frames until a close frame (0x88) shows its code.
    let mut seen = Vec::new();
    let mut buf = [0_u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
        let body = seen.windows(4).position(|w| w == b"\r\n\r\n").map(|i| &seen[i + 4..]);
        if let Some(code) = body.and_then(close_code) {
            return Some(code);
        }
    }
    None
}

/// The code of the first close frame among server frames (unmasked), skipping the others.
fn close_code(mut frames: &[u8]) -> Option<u16> {
    while frames.len() >= 2 {
        let (op, len) = (frames[0] & 0x0F, usize::from(frames[1] & 0x7F));
        let (head, len) = match len {
            126 if frames.len() >= 4 => (4, usize::from(u16::from_be_bytes([frames[2], frames[3]]))),
            127 => return None,
            126 => return None,
            n => (2, n),
        };
        if frames.len() < head + len {
            return None;
        }
        if op == 0x8 && len >= 2 {
            return Some(u16::from_be_bytes([frames[head], frames[head + 1]]));
        }
        frames = &frames[head + len..];
    }
    None
}

#[actix_web::test]
async fn one_client_cannot_multiply_its_limits_with_sockets() {
    let server = TestServer::start(&config_with(|t| {
        set(t, "limits.sockets_per_conversation", 3.into());
        set(t, "limits.messages_per_second", 5.into());
    }));
    let mut first = client(&server, "c1").await;
    acked(&first.request(json!({"type": "send", "text": "hello"})).await);
    let mut tabs = vec![first, client(&server, "c1").await, client(&server, "c1").await];
    let token = server.client_tokens.lock().unwrap()["web:c1"].clone();
    let fourth =
        upgrade_status(&format!("{}/ws/client?channel=web&client_id=c1&token={token}", server.ws_url)).await;
    assert_eq!(fourth, Some(429), "a fourth socket on one conversation is refused");

    // Three sockets at 5/s each (bursts of 10) cannot write 3 × 10 at once: the conversation
    // takes bursts of 10 in all.
    for (i, tab) in tabs.iter_mut().enumerate() {
        for n in 0..10 {
            tab.send(json!({"type": "send", "text": format!("{i}-{n}"), "ref": format!("{i}-{n}")})).await;
        }
    }
    let mut limited = 0;
    for (i, tab) in tabs.iter_mut().enumerate() {
        for n in 0..10 {
            let answer = tab.wait(|f| f["ref"] == format!("{i}-{n}")).await;
            if answer["type"] == "error" {
                assert_eq!(answer["code"], "rate_limited", "{answer}");
                limited += 1;
            }
        }
    }
    let id = all_chats(&server).await[0]["id"].as_u64().unwrap();
    let stored = texts(&server, id).await.len();
    assert!(limited >= 15, "at most a burst (10) and what refilled got through; refused {limited}");
    assert_eq!(stored + limited, 31, "each message is either stored or refused");

    // A closed socket gives its place back.
    tabs.pop().unwrap().close().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    client(&server, "c1").await;
}

#[actix_web::test]
async fn one_address_cannot_open_sockets_without_bound() {
    let server = TestServer::start(&config_with(|t| set(t, "limits.connections_per_address", 4.into())));
    let mut open = Vec::new();
    for i in 0..3 {
        open.push(client(&server, &format!("c{i}")).await);
    }
    open.push(agent(&server, "alice").await);
    let refused = upgrade_status(&format!("{}/ws/client?channel=web&client_id=c9", server.ws_url)).await;
    assert_eq!(refused, Some(429), "operator and client sockets count alike");
    let refused =
        upgrade_status(&format!("{}/ws/agent?token={}", server.ws_url, server.token_for("bob"))).await;
    assert_eq!(refused, Some(429));
    open.pop().unwrap().close().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    agent(&server, "bob").await;
}

#[actix_web::test]
async fn a_client_socket_that_never_writes_activates_nothing_and_a_long_journal_is_not_replayed_whole() {
    let server = TestServer::start(&config_with(|t| set(t, "limits.messages_per_second", 100_000.into())));
    // Sockets that only connect and type: no conversation actor.
    let mut idle = Vec::new();
    for i in 0..20 {
        let mut c = client(&server, &format!("idle{i}")).await;
        acked(&c.request(json!({"type": "typing"})).await);
        idle.push(c);
    }
    assert_eq!(metric(&server, "frontline_conversations_active").await, 0.0);
    assert!(all_chats(&server).await.is_empty());

    // A long conversation: about 1,500 journal events.
    let mut c = client(&server, "talker").await;
    for n in 0..500 {
        c.send(json!({"type": "send", "text": format!("message {n}"), "ref": n})).await;
    }
    // A socket's requests run concurrently: acks may come in any order.
    let mut seqs = Vec::new();
    for n in 0..500 {
        seqs.push(acked(&c.wait(|f| f["ref"] == n).await)["seq"].as_u64().unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=500).collect::<Vec<_>>(), "every message stored once");
    drop(c);
    drop(idle);

    let mut server = server;
    server.restart();
    let mut c = client(&server, "talker").await;
    assert_eq!(c.welcome["messages"].as_array().unwrap().len(), 50, "the welcome is read from the store");
    assert_eq!(metric(&server, "frontline_conversations_active").await, 0.0, "connecting activated nothing");
    acked(&c.request(json!({"type": "typing"})).await);
    let ack = acked(&c.request(json!({"type": "send", "text": "one more"})).await).clone();
    assert_eq!(ack["seq"], 501, "the state after the snapshot is exact");
    let replayed = metric(&server, "frontline_replayed_events_total").await;
    assert!(replayed <= 256.0, "replayed {replayed} events, not the whole journal (over 500)");
}

#[actix_web::test]
async fn the_new_tab_of_a_welcome_is_capped_and_the_rest_is_paged_over_http() {
    let server = TestServer::start(&config_with(|t| {
        let lines = t.get_mut("lines").unwrap().as_array_mut().unwrap();
        lines[0].as_table_mut().unwrap().insert("strategy".into(), "broadcast".into());
    }));
    let mut alice = agent(&server, "alice").await;
    for i in 0..150 {
        inbound(&server, "mail", json!({"client_id": format!("m{i}"), "text": "hello"})).await;
    }
    for _ in 0..150 {
        alice.wait_type("chat_new").await;
    }
    let fresh = agent(&server, "alice").await;
    let listed = fresh.welcome["new"].as_array().unwrap();
    assert_eq!((listed.len(), fresh.welcome["new_total"].as_u64()), (100, Some(150)));

    let tok = server.token_for("alice");
    let (status, page) = get(&server, "/api/v1/tabs/new?limit=100", &tok).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!((page["items"].as_array().unwrap().len(), page["total"].as_u64()), (100, Some(150)));
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = get(&server, &format!("/api/v1/tabs/new?limit=100&cursor={cursor}"), &tok).await;
    let rest = rest["items"].as_array().unwrap().clone();
    assert_eq!(rest.len(), 50);
    let mut ids: Vec<u64> =
        page["items"].as_array().unwrap().iter().chain(&rest).map(|c| c["id"].as_u64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 150, "every chat once, oldest first");
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    // xena (line 2) has none of them.
    let (_, other) = get(&server, "/api/v1/tabs/new", &server.token_for("xena")).await;
    assert_eq!(other["total"], 0);
    let (status, _) = get(&server, "/api/v1/tabs/new?cursor=nonsense", &tok).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
