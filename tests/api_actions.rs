//! Changing chats over HTTP end to end: `PATCH /api/v1/chats/{id}` (fields, status, review;
//! roles; refused requests change nothing) and `POST /api/v1/chats/actions` (per-chat results,
//! requests refused as a whole).

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// The base setup with configured dialog values.
fn config() -> String {
    config_with(|t| {
        set(t, "dialogs.request_types", toml::Value::Array(vec!["support".into(), "refund".into()]));
        set(t, "dialogs.reasons", toml::Value::Array(vec!["late delivery".into(), "broken".into()]));
        push(t, "channels", "id = \"tg\"\nkind = \"realtime\"\nline = \"line2\"\ntoken = \"tg-token\"");
    })
}

fn sam() -> String {
    token("sam", "supervisor")
}

fn alice() -> String {
    token("alice", "operator")
}

async fn chat(server: &TestServer, channel: &str, client: &str) -> u64 {
    let ack = inbound(server, channel, json!({"client_id": client, "name": "Ann", "text": "hello"})).await;
    ack["chat"].as_u64().unwrap()
}

async fn read(server: &TestServer, id: u64) -> Value {
    let (status, chat) = get(server, &format!("/api/v1/chats/{id}"), &sam()).await;
    assert_eq!(status, StatusCode::OK, "{chat}");
    chat
}

async fn bulk(server: &TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    post_json(server, "/api/v1/chats/actions", token, &body).await
}

#[actix_web::test]
async fn patch_changes_fields_and_status_and_answers_the_chat_after() {
    let server = TestServer::start(&config());
    let id = chat(&server, "mail", "c1").await;
    let patch = json!({"subject": "Parcel late", "request_type": "refund", "reasons": ["late delivery"],
                       "components": [], "status": "on_hold"});
    let (status, after) = patch_json(&server, &format!("/api/v1/chats/{id}"), &alice(), &patch).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["subject"], "Parcel late");
    assert_eq!(after["request_type"], "refund");
    assert_eq!(after["reasons"], json!(["late delivery"]));
    assert_eq!(after["status"], "on_hold");
    assert_eq!(read(&server, id).await, after, "the answer is the stored chat");

    let (_, cleared) =
        patch_json(&server, &format!("/api/v1/chats/{id}"), &alice(), &json!({"subject": null})).await;
    assert_eq!((cleared["subject"].clone(), cleared["request_type"].as_str()), (Value::Null, Some("refund")));
}

#[actix_web::test]
async fn a_supervisor_reviews_a_chat_and_an_operator_may_not() {
    let server = TestServer::start(&config());
    let id = chat(&server, "mail", "c1").await;
    let path = format!("/api/v1/chats/{id}");
    let review = json!({"supervisor_rating": 5, "supervisor_comment": "textbook"});
    let (status, body) = patch_json(&server, &path, &alice(), &review).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, _) =
        patch_json(&server, &path, &alice(), &json!({"supervisor_comment": "x", "colour": 1})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the role is checked before anything else");
    let (status, _) = patch_json(&server, "/api/v1/chats/999999", &alice(), &review).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "before scope and existence too");
    assert_eq!(read(&server, id).await["supervisor_rating"], Value::Null);

    let (status, after) = patch_json(&server, &path, &sam(), &review).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(
        (after["supervisor_rating"].as_u64(), after["supervisor_comment"].as_str()),
        (Some(5), Some("textbook"))
    );
    let (status, _) = patch_json(&server, &path, &sam(), &json!({"supervisor_rating": 6})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn a_refused_patch_changes_nothing() {
    let server = TestServer::start(&config());
    let id = chat(&server, "mail", "c1").await;
    let path = format!("/api/v1/chats/{id}");
    let before = read(&server, id).await;
    for (patch, expected) in [
        (json!({"subject": "new", "colour": "red"}), StatusCode::BAD_REQUEST),
        (json!({"subject": "new", "request_type": "complaint"}), StatusCode::BAD_REQUEST),
        (json!({"subject": "new", "reasons": ["unknown reason"]}), StatusCode::BAD_REQUEST),
        (json!({"subject": "new", "status": "closed"}), StatusCode::BAD_REQUEST),
        (json!({"subject": "new", "status": "nonsense"}), StatusCode::BAD_REQUEST),
        (json!({"subject": "new", "supervisor_rating": 0}), StatusCode::BAD_REQUEST),
        (json!({}), StatusCode::BAD_REQUEST),
        (json!(["subject"]), StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = patch_json(&server, &path, &sam(), &patch).await;
        assert_eq!(status, expected, "{patch}: {body}");
        assert_eq!(read(&server, id).await, before, "{patch} changed the chat");
    }
    let raw = send(&server, awc::http::Method::PATCH, &path, &sam(), Body::Text("{\"subject\":")).await;
    assert_eq!(raw.status, StatusCode::BAD_REQUEST);

    // A status the chat's state does not allow fails before the fields are touched.
    let (status, _) = bulk(&server, &sam(), json!({"ids": [id], "action": "force_finish"})).await;
    assert_eq!(status, StatusCode::OK);
    let spam = read(&server, id).await;
    let (status, body) =
        patch_json(&server, &path, &sam(), &json!({"subject": "new", "status": "open"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_transition")));
    assert_eq!(read(&server, id).await, spam);
}

#[actix_web::test]
async fn bulk_actions_answer_each_chat_on_its_own() {
    let server = TestServer::start(&config());
    let active = chat(&server, "mail", "c1").await;
    let spam = chat(&server, "mail", "c2").await;
    let line2 = chat(&server, "tg", "t1").await;
    bulk(&server, &sam(), json!({"ids": [spam], "action": "force_finish"})).await;

    let request = json!({"ids": [active, spam, 999999, line2], "action": "finish", "status": "pending"});
    let (status, reply) = bulk(&server, &alice(), request).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let results = reply["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0], json!({"id": active, "ok": true}));
    assert_eq!((results[1]["id"].as_u64(), results[1]["ok"].as_bool()), (Some(spam), Some(false)));
    assert_eq!(results[1]["error"]["code"], "invalid_transition", "{reply}");
    assert_eq!(results[2]["error"]["code"], "not_found");
    assert_eq!(results[3]["error"]["code"], "not_found", "alice (line1) may not touch a line2 chat");
    assert_eq!(results[3]["error"]["message"], format!("chat {line2} not found"));

    let after = read(&server, active).await;
    assert_eq!((after["phase"].as_str(), after["status"].as_str()), (Some("finished"), Some("pending")));
    assert_eq!(read(&server, spam).await["status"], "spam");
    assert_eq!(read(&server, line2).await["phase"], "active");
}

#[actix_web::test]
async fn bulk_actions_forward_set_status_and_force_finish() {
    let server = TestServer::start(&config());
    let one = chat(&server, "mail", "c1").await;
    let two = chat(&server, "mail", "c2").await;
    let ok = |reply: &Value| reply["results"].as_array().unwrap().iter().all(|r| r["ok"] == true);

    let (_, reply) =
        bulk(&server, &sam(), json!({"ids": [one, two], "action": "forward", "to_line": "line2"})).await;
    assert!(ok(&reply), "{reply}");
    assert_eq!(read(&server, one).await["line"], "line2");
    assert_eq!(read(&server, two).await["detailed_status"], "queued");

    let (_, reply) =
        bulk(&server, &sam(), json!({"ids": [one], "action": "forward", "to_operator": "bob"})).await;
    assert!(ok(&reply), "{reply}");
    assert_eq!(read(&server, one).await["responsible"], "bob");

    let (_, reply) =
        bulk(&server, &sam(), json!({"ids": [one], "action": "set_status", "status": "on_hold"})).await;
    assert!(ok(&reply), "{reply}");
    assert_eq!(read(&server, one).await["status"], "on_hold");

    let (_, reply) = bulk(&server, &sam(), json!({"ids": [two], "action": "force_finish"})).await;
    assert!(ok(&reply), "{reply}");
    let spam = read(&server, two).await;
    assert_eq!((spam["phase"].as_str(), spam["status"].as_str()), (Some("finished"), Some("spam")));

    let (_, reply) =
        bulk(&server, &sam(), json!({"ids": [one], "action": "finish", "status": "closed"})).await;
    assert!(ok(&reply), "{reply}");
    let closed = read(&server, one).await;
    assert_eq!(
        (closed["phase"].as_str(), closed["status"].as_str()),
        (Some("finished"), Some("closed")),
        "email: no vote"
    );
}

#[actix_web::test]
async fn malformed_bulk_requests_are_refused_as_a_whole_and_change_nothing() {
    let server = TestServer::start(&config());
    let id = chat(&server, "mail", "c1").await;
    let before = read(&server, id).await;
    for body in [
        json!({"ids": [id], "action": "explode"}),
        json!({"ids": [id], "action": "finish"}),
        json!({"ids": [id], "action": "finish", "status": "spam"}),
        json!({"ids": [id], "action": "set_status"}),
        json!({"ids": [id], "action": "forward"}),
        json!({"ids": [id], "action": "forward", "to_line": "line9"}),
        json!({"ids": [id], "action": "forward", "to_operator": "nobody"}),
        json!({"ids": [], "action": "force_finish"}),
        json!({"ids": id, "action": "force_finish"}),
        json!({"ids": [id], "action": "force_finish", "reason": "spam"}),
        json!({"action": "force_finish"}),
    ] {
        let (status, reply) = bulk(&server, &sam(), body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {reply}");
        assert_eq!(reply["error"]["code"], "bad_request");
    }
    assert_eq!(read(&server, id).await, before);
}
