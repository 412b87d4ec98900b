//! The dialog list (`GET /api/v1/chats`) and its CSV export end to end: every filter, sort and
//! cursor pagination, strict parameters, scope, CSV header, rows and quoting. State is made over
//! HTTP only: channel inbound messages create chats, bulk actions and PATCH change them.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

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

/// A new chat of `client` through channel `channel`; its id.
async fn chat(server: &TestServer, channel: &str, client: &str, name: &str) -> u64 {
    let ack = inbound(server, channel, json!({"client_id": client, "name": name, "text": "hello"})).await;
    ack["chat"].as_u64().unwrap()
}

async fn act(server: &TestServer, body: Value) {
    let (status, reply) = post_json(server, "/api/v1/chats/actions", &sam(), &body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert!(reply["results"].as_array().unwrap().iter().all(|r| r["ok"] == true), "{reply}");
}

/// Ids of the chats `GET /api/v1/chats?query` lists (one page).
async fn list(server: &TestServer, query: &str) -> Vec<u64> {
    let (status, body) = get(server, &format!("/api/v1/chats?{query}"), &sam()).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["items"].as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect()
}

#[actix_web::test]
async fn the_list_filters_by_status_phase_and_derived_statuses() {
    let server = TestServer::start(&config());
    let fresh = chat(&server, "mail", "c1", "Ann").await;
    let pending = chat(&server, "mail", "c2", "Bob").await;
    let queued = chat(&server, "mail", "c3", "Cid").await;
    act(&server, json!({"ids": [pending], "action": "finish", "status": "pending"})).await;
    act(&server, json!({"ids": [queued], "action": "forward", "to_line": "line2"})).await;

    assert_eq!(list(&server, "status=pending").await, [pending]);
    assert_eq!(list(&server, "status=new&sort=id").await, [fresh, queued]);
    assert_eq!(list(&server, "status=new,pending&sort=id").await, [fresh, pending, queued], "comma = any of");
    assert_eq!(list(&server, "phase=finished").await, [pending]);
    assert_eq!(list(&server, "phase=active&sort=id").await, [fresh, queued]);
    assert_eq!(list(&server, "detailed_status=queued").await, [queued]);
    assert_eq!(list(&server, "detailed_status=new").await, [fresh]);
    assert_eq!(list(&server, "general_status=finished").await, [pending]);
    assert_eq!(list(&server, "general_status=client_waiting&sort=id").await, [fresh, queued]);
    assert_eq!(list(&server, "status=closed").await, Vec::<u64>::new());
}

#[actix_web::test]
async fn the_list_filters_by_line_channel_responsible_and_client_name() {
    let server = TestServer::start(&config());
    let ann = chat(&server, "mail", "c1", "Ann Smith").await;
    let bob = chat(&server, "mail", "c2", "Bob Jones").await;
    let tina = chat(&server, "tg", "t1", "Tina Smithers").await;
    act(&server, json!({"ids": [bob], "action": "forward", "to_operator": "alice"})).await;

    assert_eq!(list(&server, "line=line2").await, [tina]);
    assert_eq!(list(&server, "line=line1&sort=id").await, [ann, bob]);
    assert_eq!(list(&server, "channel=tg").await, [tina]);
    assert_eq!(list(&server, "channel=mail,tg&sort=id").await, [ann, bob, tina]);
    assert_eq!(list(&server, "responsible=alice").await, [bob]);
    assert_eq!(list(&server, "responsible=bob").await, Vec::<u64>::new());
    assert_eq!(list(&server, "client=smith&sort=id").await, [ann, tina], "a case-insensitive substring");
    assert_eq!(list(&server, "client=SMITHERS").await, [tina]);
    assert_eq!(list(&server, "client=smith&line=line1").await, [ann], "filters combine");
}

#[actix_web::test]
async fn the_list_filters_spam_and_the_creation_range() {
    let server = TestServer::start(&config());
    let first = chat(&server, "mail", "c1", "Ann").await;
    std::thread::sleep(Duration::from_millis(5));
    let second = chat(&server, "mail", "c2", "Bob").await;
    std::thread::sleep(Duration::from_millis(5));
    let third = chat(&server, "mail", "c3", "Cid").await;
    act(&server, json!({"ids": [second], "action": "force_finish"})).await;

    assert_eq!(list(&server, "spam=true").await, [second]);
    assert_eq!(list(&server, "spam=false&sort=id").await, [first, third]);

    let created = |id: u64| {
        let server = &server;
        async move {
            let (_, c) = get(server, &format!("/api/v1/chats/{id}"), &sam()).await;
            encode(c["created_at"].as_str().unwrap())
        }
    };
    let (at_first, at_second) = (created(first).await, created(second).await);
    assert_eq!(list(&server, &format!("created_from={at_second}&sort=id")).await, [second, third]);
    assert_eq!(list(&server, &format!("created_to={at_second}&sort=id")).await, [first, second]);
    assert_eq!(list(&server, &format!("created_from={at_first}&created_to={at_first}")).await, [first]);
}

#[actix_web::test]
async fn sort_and_cursor_page_through_every_chat_exactly_once() {
    let server = TestServer::start(&config());
    let names = ["Kim", "Ann", "Kim", "Bob", "Ann", "Kim", "Zoe"];
    let mut created = Vec::new();
    for (i, name) in names.iter().enumerate() {
        created.push(chat(&server, "mail", &format!("c{i}"), name).await);
    }
    // Every sort, pages of 3: the pages together are the whole list, once, in order.
    for sort in ["-created_at", "id", "-id", "client", "-client", "status", "-updated_at", "queued_at"] {
        let (_, whole) = get(&server, &format!("/api/v1/chats?sort={sort}&limit=500"), &sam()).await;
        let whole: Vec<u64> =
            whole["items"].as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect();
        let mut paged = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let mut path = format!("/api/v1/chats?sort={}&limit=3", encode(sort));
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={}", encode(c)));
            }
            let (status, page) = get(&server, &path, &sam()).await;
            assert_eq!(status, StatusCode::OK, "{sort}: {page}");
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 3);
            paged.extend(items.iter().map(|c| c["id"].as_u64().unwrap()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        assert_eq!(paged, whole, "sort {sort}");
        let mut sorted = paged.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), created.len(), "sort {sort}: no skips, no repeats");
    }
    let newest_first: Vec<u64> = created.iter().rev().copied().collect();
    assert_eq!(list(&server, "").await, newest_first, "the default sort is -created_at");
    let clients = list(&server, "sort=client").await;
    let (_, first) = get(&server, &format!("/api/v1/chats/{}", clients[0]), &sam()).await;
    assert_eq!(first["client"]["name"], "Ann");
    let (_, page) = get(&server, "/api/v1/chats?limit=7", &sam()).await;
    assert_eq!(page["next_cursor"], Value::Null, "no cursor after the last page");
}

#[actix_web::test]
async fn bad_list_parameters_are_refused_naming_the_parameter() {
    let server = TestServer::start(&config());
    for i in 0..3 {
        chat(&server, "mail", &format!("c{i}"), "Ann").await;
    }
    let (_, page) = get(&server, "/api/v1/chats?limit=1&sort=id", &sam()).await;
    let id_cursor = encode(page["next_cursor"].as_str().unwrap());
    for (query, name) in [
        ("status=bogus", "status"),
        ("phase=done", "phase"),
        ("detailed_status=lost", "detailed_status"),
        ("general_status=new", "general_status"),
        ("spam=maybe", "spam"),
        ("created_from=yesterday", "created_from"),
        ("created_to=2024-02-30", "created_to"),
        ("sort=colour", "sort"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("cursor=zz", "cursor"),
        (&format!("cursor={id_cursor}&sort=-created_at"), "cursor"),
        ("colour=red", "colour"),
    ] {
        let (status, body) = get(&server, &format!("/api/v1/chats?{query}"), &sam()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_request");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(name), "{query}: {message}");
    }
    let (status, _) = get(&server, "/api/v1/chats?limit=500", &sam()).await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn the_csv_export_has_a_header_and_one_quoted_row_per_matching_chat() {
    let server = TestServer::start(&config());
    let ann = chat(&server, "mail", "c1", "Ann").await;
    let bob = chat(&server, "mail", "c2", "Bob, Jr.").await;
    let tina = chat(&server, "tg", "t1", "Tina").await;
    let subject = json!({"subject": "Refund, \"urgent\""});
    let (status, _) = patch_json(&server, &format!("/api/v1/chats/{ann}"), &sam(), &subject).await;
    assert_eq!(status, StatusCode::OK);

    let raw = send(&server, awc::http::Method::GET, "/api/v1/chats.csv?sort=id", &sam(), Body::None).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert!(raw.content_type.starts_with("text/csv"), "{}", raw.content_type);
    let mut reader = csv::Reader::from_reader(raw.body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    for column in
        ["id", "conversation", "client_name", "subject", "status", "spam", "created_at", "max_response"]
    {
        assert!(header.iter().any(|h| h == column), "missing {column}: {header:?}");
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let col =
        |row: &csv::StringRecord, name: &str| row[header.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(
        rows.iter().map(|r| col(r, "id")).collect::<Vec<_>>(),
        [ann, bob, tina].map(|id| id.to_string())
    );
    assert_eq!(col(&rows[0], "subject"), "Refund, \"urgent\"");
    assert_eq!(col(&rows[1], "client_name"), "Bob, Jr.");
    assert!(raw.body.contains(",\"Refund, \"\"urgent\"\"\","), "{}", raw.body);
    assert_eq!(col(&rows[2], "line"), "line2");

    // Same filters and scope as the list.
    let (_, only_tg) = get_text(&server, "/api/v1/chats.csv?channel=tg", &sam()).await;
    assert_eq!(only_tg.lines().count(), 2, "{only_tg}");
    let (_, xena) = get_text(&server, "/api/v1/chats.csv", &token("xena", "operator")).await;
    assert_eq!(xena.lines().count(), 2, "xena sees line2 only: {xena}");
    let (status, _) = get_text(&server, "/api/v1/chats.csv?status=bogus", &sam()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get_text(&server, "/api/v1/chats.csv", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_csv_export_pages_through_more_chats_than_one_store_page() {
    let server = TestServer::start(&config());
    let total = 520;
    for batch in (0..total).collect::<Vec<_>>().chunks(20) {
        let posts = batch.iter().map(|i| {
            let server = &server;
            async move { chat(server, "mail", &format!("c{i}"), "Ann").await }
        });
        futures_util::future::join_all(posts).await;
    }
    let (status, text) = get_text(&server, "/api/v1/chats.csv?sort=id", &sam()).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<u64> =
        csv::Reader::from_reader(text.as_bytes()).records().map(|r| r.unwrap()[0].parse().unwrap()).collect();
    assert_eq!(ids.len(), total);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order, each once");
}
