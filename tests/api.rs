//! The HTTP API end to end (PROTOCOL 4) against the real binary: authentication, unknown
//! routes, reading chats and messages, scope, the channel inbound endpoint, automated messages,
//! operators and lines. The dialog list and CSV are in `api_list.rs`, PATCH and bulk actions in
//! `api_actions.rs`.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// The base setup plus a channel `tg` on line2 (token `tg-token`) and short texts.
fn config() -> String {
    config_with(|t| {
        push(t, "channels", "id = \"tg\"\nkind = \"realtime\"\nline = \"line2\"\ntoken = \"tg-token\"");
        set(t, "limits.max_text_chars", 100.into());
    })
}

async fn mail(server: &TestServer, client: &str, text: &str) -> Value {
    inbound(server, "mail", json!({"client_id": client, "name": "Ann", "text": text})).await
}

fn ids(list: &Value) -> Vec<u64> {
    list["items"].as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect()
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[actix_web::test]
async fn requests_without_a_valid_operator_token_are_refused_with_401() {
    let server = TestServer::start(&config());
    let other_secret = {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        frontline::auth::issue(
            "another-secret-0123456789",
            "alice",
            frontline::domain::Role::Operator,
            now,
            60,
        )
        .unwrap()
    };
    for bad in ["", "garbage", &other_secret, &token("nobody", "operator"), &token("alice", "admin")] {
        let (status, body) = get(&server, "/api/v1/chats", bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}: {body}");
        assert_eq!(code(&body), "unauthorized");
    }
    let (status, _) = get(&server, &format!("/api/v1/chats?token={}", token("alice", "operator")), "").await;
    assert_eq!(status, StatusCode::OK, "?token= works as well as the header");
    let (status, _) = post_json(&server, "/api/v1/chats/actions", "", &json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "authentication comes before the body");
}

#[actix_web::test]
async fn unknown_routes_and_methods_answer_a_json_404() {
    let server = TestServer::start(&config());
    let sam = token("sam", "supervisor");
    for path in ["/api/v1/nope", "/nope", "/api/v2/chats"] {
        let (status, body) = get(&server, path, &sam).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(code(&body), "not_found", "{path}: {body}");
    }
    let raw = send(&server, awc::http::Method::DELETE, "/api/v1/chats", &sam, Body::None).await;
    assert_eq!(raw.status, StatusCode::NOT_FOUND);
    assert!(raw.content_type.starts_with("application/json"));
    assert_eq!(code(&raw.json()), "not_found");
    let (_, metrics) = get_text(&server, "/metrics", "").await;
    assert!(metrics.contains("frontline_errors_total{code=\"not_found\"} 4"), "{metrics}");
}

#[actix_web::test]
async fn a_chat_is_read_by_id_and_an_unknown_one_is_not_found() {
    let server = TestServer::start(&config());
    let sam = token("sam", "supervisor");
    let ack = mail(&server, "c1", "my parcel is late").await;
    let (status, chat) = get(&server, &format!("/api/v1/chats/{}", ack["chat"]), &sam).await;
    assert_eq!(status, StatusCode::OK, "{chat}");
    assert_eq!(chat["id"], ack["chat"]);
    assert_eq!(chat["conversation"], "mail:c1");
    assert_eq!(chat["client"], json!({"id": "c1", "name": "Ann"}));
    assert_eq!((chat["phase"].as_str(), chat["status"].as_str()), (Some("active"), Some("new")));
    assert!(chat["metrics"]["created_at"].is_string());
    let (status, body) = get(&server, "/api/v1/chats/999999", &sam).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, _) = get(&server, "/api/v1/chats/abc", &sam).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn messages_are_the_latest_before_before_seq_oldest_first() {
    let server = TestServer::start(&config());
    let sam = token("sam", "supervisor");
    let mut chat = Value::Null;
    for i in 1..=5 {
        chat = mail(&server, "c1", &format!("m{i}")).await["chat"].clone();
    }
    let path = format!("/api/v1/chats/{chat}/messages");
    let texts = |body: &Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_string()).collect()
    };
    let (status, all) = get(&server, &path, &sam).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&all), ["m1", "m2", "m3", "m4", "m5"]);
    assert_eq!(all["items"][0]["author"], json!({"kind": "client", "id": "c1"}));
    assert_eq!(all["items"][0]["seq"], 1);
    let (_, latest) = get(&server, &format!("{path}?limit=2"), &sam).await;
    assert_eq!(texts(&latest), ["m4", "m5"]);
    let (_, earlier) = get(&server, &format!("{path}?before_seq=4&limit=2"), &sam).await;
    assert_eq!(texts(&earlier), ["m2", "m3"]);
    for bad in ["limit=0", "limit=501", "before_seq=x", "after=3"] {
        let (status, body) = get(&server, &format!("{path}?{bad}"), &sam).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, _) = get(&server, "/api/v1/chats/999999/messages", &sam).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn an_operator_sees_chats_of_their_lines_and_chats_they_handle_and_nothing_else() {
    let server = TestServer::start(&config());
    let (sam, alice, xena) =
        (token("sam", "supervisor"), token("alice", "operator"), token("xena", "operator"));
    let line1 = mail(&server, "c1", "hello").await["chat"].as_u64().unwrap();
    let line2 =
        inbound(&server, "tg", json!({"client_id": "t1", "text": "hi"})).await["chat"].as_u64().unwrap();

    let (_, all) = get(&server, "/api/v1/chats?sort=id", &sam).await;
    assert_eq!(ids(&all), [line1, line2], "a supervisor sees every chat");
    let (_, mine) = get(&server, "/api/v1/chats", &alice).await;
    assert_eq!(ids(&mine), [line1]);
    let (_, mine) = get(&server, "/api/v1/chats", &xena).await;
    assert_eq!(ids(&mine), [line2], "xena (line2) does not see the line1 chat");

    // Out of scope is indistinguishable from not existing.
    for path in [format!("/api/v1/chats/{line1}"), format!("/api/v1/chats/{line1}/messages")] {
        let (status, body) = get(&server, &path, &xena).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"), "{path}");
        assert_eq!(body["error"]["message"], format!("chat {line1} not found"));
    }
    let (status, _) =
        patch_json(&server, &format!("/api/v1/chats/{line1}"), &xena, &json!({"subject": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, chat) = get(&server, &format!("/api/v1/chats/{line1}"), &sam).await;
    assert_eq!(
        (status, chat["subject"].clone()),
        (StatusCode::OK, Value::Null),
        "the 404 PATCH changed nothing"
    );

    // Forwarded to her, the line1 chat is hers to see.
    let forward = json!({"ids": [line1], "action": "forward", "to_operator": "xena"});
    let (_, results) = post_json(&server, "/api/v1/chats/actions", &sam, &forward).await;
    assert_eq!(results["results"][0]["ok"], true, "{results}");
    let (_, mine) = get(&server, "/api/v1/chats?sort=id", &xena).await;
    assert_eq!(ids(&mine), [line1, line2]);
    let (status, chat) = get(&server, &format!("/api/v1/chats/{line1}"), &xena).await;
    assert_eq!((status, chat["responsible"].as_str()), (StatusCode::OK, Some("xena")));
}

#[actix_web::test]
async fn an_inbound_message_opens_a_conversation_and_is_acknowledged_with_its_place() {
    let server = TestServer::start(&config());
    let ack = inbound(
        &server,
        "mail",
        json!({"client_id": "c1", "name": "Ann", "text": "hello", "external_id": "e1"}),
    )
    .await;
    assert_eq!(ack["conversation"], "mail:c1");
    assert_eq!(ack["seq"], 1);
    let (_, chat) =
        get(&server, &format!("/api/v1/chats/{}", ack["chat"]), &token("sam", "supervisor")).await;
    assert_eq!((chat["direction"].as_str(), chat["channel"].as_str()), (Some("incoming"), Some("mail")));
    let next = inbound(&server, "mail", json!({"client_id": "c1", "text": "anyone?"})).await;
    assert_eq!((next["chat"].clone(), next["seq"].clone()), (ack["chat"].clone(), json!(2)));
}

#[actix_web::test]
async fn a_repeated_external_id_returns_the_first_ack_and_stores_nothing() {
    let server = TestServer::start(&config());
    let body = json!({"client_id": "c1", "text": "once", "external_id": "mail-42"});
    let first = inbound(&server, "mail", body.clone()).await;
    let again = inbound(&server, "mail", body).await;
    assert_eq!(first, again);
    let path = format!("/api/v1/chats/{}/messages", first["chat"]);
    let (_, messages) = get(&server, &path, &token("sam", "supervisor")).await;
    let items = messages["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{messages}");
    assert_eq!(items[0]["client_msg_id"], "mail-42");
}

#[actix_web::test]
async fn the_inbound_endpoint_needs_the_channel_token() {
    let server = TestServer::start(&config());
    let body = json!({"client_id": "c1", "text": "hello"});
    for (path, bearer, expected) in [
        ("/api/v1/channels/mail/messages", "", StatusCode::UNAUTHORIZED),
        ("/api/v1/channels/mail/messages", "wrong-token", StatusCode::UNAUTHORIZED),
        ("/api/v1/channels/mail/messages", "tg-token", StatusCode::UNAUTHORIZED),
        ("/api/v1/channels/mail/messages?token=mail-token", "", StatusCode::UNAUTHORIZED),
        ("/api/v1/channels/mail/messages", &token("sam", "supervisor"), StatusCode::UNAUTHORIZED),
        ("/api/v1/channels/web/messages", "mail-token", StatusCode::UNAUTHORIZED),
        ("/api/v1/channels/fax/messages", "mail-token", StatusCode::NOT_FOUND),
    ] {
        let (status, reply) = post_json(&server, path, bearer, &body).await;
        assert_eq!(status, expected, "{path} with {bearer:?}: {reply}");
    }
    let (_, list) = get(&server, "/api/v1/chats", &token("sam", "supervisor")).await;
    assert_eq!(ids(&list), Vec::<u64>::new(), "nothing was stored");
}

#[actix_web::test]
async fn inbound_bodies_are_checked_and_long_texts_are_too_large() {
    let server = TestServer::start(&config());
    let path = "/api/v1/channels/mail/messages";
    let long = "x".repeat(101);
    for (body, expected) in [
        (json!({"client_id": "c1", "text": long}), StatusCode::PAYLOAD_TOO_LARGE),
        (json!({"client_id": "c1", "text": "x".repeat(100)}), StatusCode::ACCEPTED),
        (json!({"client_id": "c1", "text": "  "}), StatusCode::BAD_REQUEST),
        (json!({"text": "hello"}), StatusCode::BAD_REQUEST),
        (json!({"client_id": "", "text": "hello"}), StatusCode::BAD_REQUEST),
        (json!({"client_id": "c1", "text": "hello", "colour": "red"}), StatusCode::BAD_REQUEST),
    ] {
        let (status, reply) = post_json(&server, path, "mail-token", &body).await;
        assert_eq!(status, expected, "{body}: {reply}");
    }
    let raw = send(&server, awc::http::Method::POST, path, "mail-token", Body::Text("{not json")).await;
    assert_eq!((raw.status, code(&raw.json())), (StatusCode::BAD_REQUEST, "bad_request"));
}

#[actix_web::test]
async fn automated_messages_are_held_dropped_or_delivered_and_only_supervisors_send_them() {
    let server = TestServer::start(&config());
    let sam = token("sam", "supervisor");
    mail(&server, "c1", "hello").await;
    let path = |conversation: &str| format!("/api/v1/conversations/{}/automated", encode(conversation));
    let send = |kind: &str| json!({"kind": kind, "text": "our summer sale"});

    let (status, reply) = post_json(&server, &path("mail:c1"), &sam, &send("campaign")).await;
    assert_eq!((status, reply), (StatusCode::OK, json!({"outcome": "queued"})), "a chat is in progress");
    let (_, reply) = post_json(&server, &path("mail:c1"), &sam, &send("bot")).await;
    assert_eq!(reply, json!({"outcome": "dropped"}));
    let (_, reply) = post_json(&server, &path("mail:c2"), &sam, &send("bot")).await;
    assert_eq!(reply, json!({"outcome": "delivered"}), "no chat in progress");

    let (status, body) =
        post_json(&server, &path("mail:c1"), &token("alice", "operator"), &send("bot")).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, _) = post_json(&server, &path("fax:c1"), &sam, &send("bot")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post_json(&server, &path("no-colon"), &sam, &send("bot")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post_json(&server, &path("mail:c1"), &sam, &json!({"kind": "spam", "text": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        post_json(&server, &path("mail:c1"), &sam, &json!({"kind": "bot", "text": "x".repeat(101)})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[actix_web::test]
async fn operators_are_listed_with_presence_and_load() {
    let server = TestServer::start(&config());
    let sam = token("sam", "supervisor");
    let chat = mail(&server, "c1", "hello").await["chat"].clone();
    let forward = json!({"ids": [chat], "action": "forward", "to_operator": "alice"});
    post_json(&server, "/api/v1/chats/actions", &sam, &forward).await;

    let (status, body) = get(&server, "/api/v1/operators", &token("bob", "operator")).await;
    assert_eq!(status, StatusCode::OK, "operators may read the team list");
    let items = body["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "bob", "xena", "sam"]);
    assert_eq!(
        items[0],
        json!({"id": "alice", "name": "Alice", "role": "operator", "lines": ["line1"], "capacity": 5,
               "presence": "offline", "active_chats": 1})
    );
    assert_eq!(items[3]["role"], "supervisor");
    assert_eq!(items[1]["active_chats"], 0);
}

#[actix_web::test]
async fn lines_count_the_chats_waiting_in_their_queues() {
    let server = TestServer::start(&config());
    mail(&server, "c1", "first").await;
    mail(&server, "c2", "second").await;
    inbound(&server, "tg", json!({"client_id": "t1", "text": "hi"})).await;
    let (status, body) = get(&server, "/api/v1/lines", &token("alice", "operator")).await;
    assert_eq!(status, StatusCode::OK);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0]["id"].as_str(), items[0]["strategy"].as_str()),
        (Some("line1"), Some("round_robin"))
    );
    assert_eq!((items[0]["waiting"].as_u64(), items[0]["online"].as_u64()), (Some(2), Some(0)));
    assert!(items[0]["oldest_wait_s"].as_f64().is_some_and(|s| s >= 0.0), "{body}");
    assert_eq!((items[1]["id"].as_str(), items[1]["strategy"].as_str()), (Some("line2"), Some("broadcast")));
    assert_eq!(items[1]["waiting"], 1);

    // Once forwarded to an operator, a chat no longer waits.
    let (_, list) = get(&server, "/api/v1/chats?line=line2", &token("sam", "supervisor")).await;
    let forward = json!({"ids": ids(&list), "action": "forward", "to_operator": "xena"});
    post_json(&server, "/api/v1/chats/actions", &token("sam", "supervisor"), &forward).await;
    let (_, body) = get(&server, "/api/v1/lines", &token("alice", "operator")).await;
    assert_eq!(
        (body["items"][1]["waiting"].as_u64(), body["items"][1]["oldest_wait_s"].clone()),
        (Some(0), Value::Null)
    );
}
