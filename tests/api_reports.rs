//! `GET /api/v1/reports` end to end (PROTOCOL 4, SPEC 7): per line and per operator over the
//! chats created in a range, on a manual clock so that waits are exact; the role check and
//! strict parameters.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// The base setup plus a channel `tg` on line2 (token `tg-token`).
fn config() -> String {
    config_with(|t| {
        push(t, "channels", "id = \"tg\"\nkind = \"realtime\"\nline = \"line2\"\ntoken = \"tg-token\"")
    })
}

fn sam() -> String {
    token("sam", "supervisor")
}

fn acked(frame: &Value) -> &Value {
    assert_eq!(frame["type"], "ack", "{frame}");
    frame
}

async fn chat(server: &TestServer, channel: &str, client: &str) -> u64 {
    inbound(server, channel, json!({"client_id": client, "text": "hello"})).await["chat"].as_u64().unwrap()
}

async fn report(server: &TestServer, query: &str) -> Vec<Value> {
    let (status, body) = get(server, &format!("/api/v1/reports?{query}"), &sam()).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["items"].as_array().unwrap().clone()
}

/// Three chats created at one instant: `a` (line1) answered by sam after 30 s and finished,
/// `b` (line2) answered by sam after 90 s, `c` (line1) forwarded to alice, never answered.
/// Returns the server and that instant (RFC 3339).
async fn three_chats() -> (TestServer, String) {
    let server = TestServer::start_with_manual_clock(&config());
    let mut sam_ws = agent(&server, "sam").await;
    let a = chat(&server, "mail", "c1").await;
    let b = chat(&server, "tg", "t1").await;
    let c = chat(&server, "mail", "c2").await;
    let (status, reply) = post_json(
        &server,
        "/api/v1/chats/actions",
        &sam(),
        &json!({"ids": [c], "action": "forward", "to_operator": "alice"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    server.advance(30.0);
    acked(&sam_ws.request(json!({"type": "take", "chat": a})).await);
    acked(&sam_ws.request(json!({"type": "send", "chat": a, "text": "Hi"})).await);
    acked(&sam_ws.request(json!({"type": "finish", "chat": a, "status": "closed"})).await);
    server.advance(60.0);
    acked(&sam_ws.request(json!({"type": "take", "chat": b})).await);
    acked(&sam_ws.request(json!({"type": "send", "chat": b, "text": "Hi"})).await);
    let (_, view) = get(&server, &format!("/api/v1/chats/{a}"), &sam()).await;
    let created = view["created_at"].as_str().unwrap().to_string();
    let (_, view) = get(&server, &format!("/api/v1/chats/{c}"), &sam()).await;
    assert_eq!(view["created_at"].as_str(), Some(created.as_str()), "one instant on the manual clock");
    (server, created)
}

fn row<'a>(items: &'a [Value], key: &str) -> &'a Value {
    items.iter().find(|r| r["key"] == key).unwrap_or_else(|| panic!("no row {key}: {items:?}"))
}

#[actix_web::test]
async fn a_line_report_counts_chats_finished_waits_and_the_sla_share() {
    let (server, at) = three_chats().await;
    let range = format!("from={0}&to={0}", encode(&at));
    let items = report(&server, &format!("group=line&{range}")).await;
    assert_eq!(items.iter().map(|r| r["key"].as_str().unwrap()).collect::<Vec<_>>(), ["line1", "line2"]);
    let line1 = row(&items, "line1");
    assert_eq!((&line1["chats"], &line1["finished"]), (&json!(2), &json!(1)));
    assert_eq!(line1["avg_wait_first_response"].as_f64(), Some(30.0), "c is not answered: not averaged");
    assert_eq!(line1["within_sla"].as_f64(), Some(0.5), "a within 60 s, c never answered");
    assert_eq!((&line1["avg_client_rating"], &line1["votes"]), (&Value::Null, &json!(0)));
    let line2 = row(&items, "line2");
    assert_eq!((&line2["chats"], &line2["finished"]), (&json!(1), &json!(0)));
    assert_eq!(line2["avg_wait_first_response"].as_f64(), Some(90.0));
    assert_eq!(line2["within_sla"].as_f64(), Some(0.0), "90 s is over the default 60 s");
    // b: the client wrote at the start, sam replied 90 s later (its first and last messages).
    assert_eq!(line2["avg_first_message_response"].as_f64(), Some(90.0));
    assert_eq!(line2["avg_duration"].as_f64(), Some(90.0));

    let items = report(&server, &format!("group=line&{range}&sla=90")).await;
    assert_eq!(row(&items, "line2")["within_sla"].as_f64(), Some(1.0), "the bound is inclusive");
    let items = report(&server, &format!("group=line&{range}&sla=29")).await;
    assert_eq!(row(&items, "line1")["within_sla"].as_f64(), Some(0.0));
}

#[actix_web::test]
async fn an_operator_report_counts_each_chat_for_its_responsible_in_the_range_only() {
    let (server, at) = three_chats().await;
    let range = format!("from={0}&to={0}", encode(&at));
    let items = report(&server, &format!("group=operator&{range}")).await;
    assert_eq!(items.iter().map(|r| r["key"].as_str().unwrap()).collect::<Vec<_>>(), ["alice", "sam"]);
    let sam_row = row(&items, "sam");
    assert_eq!((&sam_row["chats"], &sam_row["finished"]), (&json!(2), &json!(1)));
    assert_eq!(sam_row["avg_wait_first_response"].as_f64(), Some(60.0));
    assert_eq!(sam_row["within_sla"].as_f64(), Some(0.5));
    let alice = row(&items, "alice");
    assert_eq!((&alice["chats"], &alice["avg_wait_first_response"]), (&json!(1), &Value::Null));

    // The range is of creation times, both ends inclusive.
    let created = frontline::domain::Timestamp::parse_rfc3339(&at).unwrap();
    let shifted = |ms: i64| encode(&frontline::domain::Timestamp(created.millis() + ms).to_rfc3339());
    assert_eq!(
        report(&server, &format!("group=operator&from={}&to={}", shifted(1), shifted(60_000))).await,
        Vec::<Value>::new()
    );
    assert_eq!(
        report(&server, &format!("group=operator&from={}&to={}", shifted(-5_000), shifted(-1))).await,
        Vec::<Value>::new()
    );
    assert_eq!(
        report(&server, &format!("group=operator&from={}&to={}", shifted(-1), shifted(1))).await,
        items
    );
}

#[actix_web::test]
async fn reports_are_for_supervisors_and_bad_parameters_are_refused() {
    let server = TestServer::start(&config());
    let range = "from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z";
    let (status, body) =
        get(&server, &format!("/api/v1/reports?group=line&{range}"), &token("alice", "operator")).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::FORBIDDEN, &json!("forbidden")), "{body}");
    let (status, _) = get(&server, "/api/v1/reports?group=bogus", &token("alice", "operator")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the role before the parameters");
    let (status, _) = get(&server, &format!("/api/v1/reports?group=line&{range}"), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    for (query, name) in [
        (range.to_string(), "group"),
        (format!("group=team&{range}"), "group"),
        ("group=line&to=2024-02-01T00:00:00Z".to_string(), "from"),
        ("group=line&from=2024-01-01T00:00:00Z".to_string(), "to"),
        ("group=line&from=yesterday&to=2024-02-01T00:00:00Z".to_string(), "from"),
        ("group=line&from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z".to_string(), "from"),
        (format!("group=line&{range}&sla=-1"), "sla"),
        (format!("group=line&{range}&sla=ten"), "sla"),
        (format!("group=line&{range}&sla=86401"), "sla"),
        (format!("group=line&{range}&line=line1"), "line"),
    ] {
        let (status, body) = get(&server, &format!("/api/v1/reports?{query}"), &sam()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(body["error"]["message"].as_str().unwrap().contains(name), "{query}: {body}");
    }
    assert_eq!(report(&server, &format!("group=line&{range}")).await, Vec::<Value>::new());
}
