//! Scope over the wire against the real server (SPEC 3.1, 8): whoever may see a chat may read the
//! earlier chats of its chain, whatever line they were on (socket `history` and the HTTP
//! messages route); scope comes before state (`take` of another line's chat is `forbidden` even
//! for an operator at capacity); `typing` on a chat out of scope is refused exactly like one on a
//! chat that does not exist.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

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

fn texts(messages: &Value) -> Vec<&str> {
    messages.as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect()
}

/// A second channel, `web2`, served by line 2; xena (line 2) has room for one chat.
fn two_lines() -> String {
    config_with(|t| {
        push(t, "channels", "id = \"web2\"\nkind = \"realtime\"\nline = \"line2\"");
        let operators = t["operators"].as_array_mut().unwrap();
        let xena = operators.iter_mut().find(|o| o["id"].as_str() == Some("xena")).unwrap();
        xena.as_table_mut().unwrap().insert("capacity".into(), 1.into());
    })
}

#[actix_web::test]
async fn an_operator_who_sees_a_chat_reads_its_earlier_chats_on_another_line() {
    let server = TestServer::start(&base_config());
    let mut alice = agent(&server, "alice").await;
    let mut sam = agent(&server, "sam").await;
    let mut xena = agent(&server, "xena").await;
    let mut c = client(&server, "c1").await;
    let first = acked(&c.request(json!({"type": "send", "text": "my card is blocked"})).await)["chat"]
        .as_u64()
        .unwrap();
    acked(&alice.request(json!({"type": "take", "chat": first})).await);
    acked(&alice.request(json!({"type": "send", "chat": first, "text": "unblocked, bye"})).await);
    acked(&alice.request(json!({"type": "finish", "chat": first, "status": "closed"})).await);

    // Line 1's chat is out of xena's scope.
    let xena_token = server.token_for("xena");
    let path = format!("/api/v1/chats/{first}/messages");
    assert_eq!(get(&server, &path, &xena_token).await.0, StatusCode::NOT_FOUND);
    let refused = xena.request(json!({"type": "history", "chat": first})).await;
    assert_eq!(refused["code"], "not_found", "{refused}");

    // The client comes back; the new chat goes to line 2.
    let second =
        acked(&c.request(json!({"type": "send", "text": "blocked again"})).await)["chat"].as_u64().unwrap();
    assert_ne!(second, first);
    acked(&sam.request(json!({"type": "forward", "chat": second, "to_line": "line2"})).await);
    xena.wait(|f| ["offer", "chat_new"].contains(&f["type"].as_str().unwrap_or("")) && chat_of(f) == second)
        .await;
    let history = acked(&xena.request(json!({"type": "history", "chat": second})).await).clone();
    assert_eq!(history["prev_chat"], first, "{history}");

    let earlier = acked(&xena.request(json!({"type": "history", "chat": first})).await).clone();
    assert_eq!(texts(&earlier["messages"]), ["my card is blocked", "unblocked, bye"], "{earlier}");
    let (status, body) = get(&server, &path, &xena_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(texts(&body["items"]), ["my card is blocked", "unblocked, bye"]);

    // Reading the chain is not acting on it.
    let (status, _) = get(&server, &format!("/api/v1/chats/{first}"), &xena_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let refused = xena.request(json!({"type": "reopen", "chat": first})).await;
    assert_eq!(refused["type"], "error", "{refused}");
}

#[actix_web::test]
async fn a_later_chat_grants_nothing_to_an_operator_who_sees_only_an_earlier_one() {
    let server = TestServer::start(&base_config());
    let mut alice = agent(&server, "alice").await;
    let mut sam = agent(&server, "sam").await;
    let mut c = client(&server, "c1").await;
    let first = acked(&c.request(json!({"type": "send", "text": "one"})).await)["chat"].as_u64().unwrap();
    acked(&alice.request(json!({"type": "take", "chat": first})).await);
    acked(&alice.request(json!({"type": "finish", "chat": first, "status": "closed"})).await);
    let second = acked(&c.request(json!({"type": "send", "text": "two"})).await)["chat"].as_u64().unwrap();
    acked(&sam.request(json!({"type": "forward", "chat": second, "to_line": "line2"})).await);
    // xena has never seen the first chat's line and alice does not see line 2: neither reads the
    // other's chat (the chain reads backwards only).
    let mut xena = agent(&server, "xena").await;
    acked(&xena.request(json!({"type": "history", "chat": second})).await);
    let refused = alice.request(json!({"type": "history", "chat": second})).await;
    assert_eq!(refused["code"], "not_found", "{refused}");
}

#[actix_web::test]
async fn take_of_another_lines_chat_is_forbidden_even_at_capacity() {
    let server = TestServer::start(&two_lines());
    let mut xena = agent(&server, "xena").await;
    // xena fills her only slot with a line-2 chat.
    let mut c2 = client_query(&server, "channel=web2&client_id=c2&name=c2").await;
    let own = acked(&c2.request(json!({"type": "send", "text": "hi"})).await)["chat"].as_u64().unwrap();
    acked(&xena.request(json!({"type": "take", "chat": own})).await);

    let mut c1 = client(&server, "c1").await;
    let other = acked(&c1.request(json!({"type": "send", "text": "hi"})).await)["chat"].as_u64().unwrap();
    let refused = xena.request(json!({"type": "take", "chat": other})).await;
    assert_eq!((&refused["type"], &refused["code"]), (&json!("error"), &json!("forbidden")), "{refused}");

    // In scope and at capacity, the answer is about capacity.
    let mut c3 = client_query(&server, "channel=web2&client_id=c3&name=c3").await;
    let more = acked(&c3.request(json!({"type": "send", "text": "hi"})).await)["chat"].as_u64().unwrap();
    let full = xena.request(json!({"type": "take", "chat": more})).await;
    assert_eq!(full["code"], "over_capacity", "{full}");
}

#[actix_web::test]
async fn typing_on_a_chat_out_of_scope_is_refused_like_one_that_does_not_exist() {
    let server = TestServer::start(&base_config());
    let mut xena = agent(&server, "xena").await;
    let mut c = client(&server, "c1").await;
    let id = acked(&c.request(json!({"type": "send", "text": "hi"})).await)["chat"].as_u64().unwrap();
    let out_of_scope = xena.request(json!({"type": "typing", "chat": id})).await;
    let missing = xena.request(json!({"type": "typing", "chat": 999_999})).await;
    assert_eq!((&out_of_scope["type"], &out_of_scope["code"]), (&json!("error"), &json!("not_found")));
    assert_eq!(out_of_scope["code"], missing["code"]);
    assert!(
        c.quiet(|f| f["type"] == "typing", std::time::Duration::from_millis(200)).await,
        "the client heard typing from outside the chat's scope"
    );
}
