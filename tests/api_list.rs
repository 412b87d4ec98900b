//! The dialog list (`GET /api/v1/chats`) and its CSV export end to end: every filter (the word
//! search `q` and a range on every timestamp included), sort and cursor pagination, strict
//! parameters, scope, CSV header, chosen columns, rows and quoting. State is made over HTTP and
//! the operators' WebSocket: channel inbound messages create chats, bulk actions, PATCH and
//! operator frames change them.

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

/// [`config`] with the dialog values chats may carry (`[dialogs]`).
fn dialog_config() -> String {
    config_with(|t| {
        push(t, "channels", "id = \"tg\"\nkind = \"realtime\"\nline = \"line2\"\ntoken = \"tg-token\"");
        let list = |items: &[&str]| toml::Value::Array(items.iter().map(|s| toml::Value::from(*s)).collect());
        set(t, "dialogs.reasons", list(&["late", "broken"]));
        set(t, "dialogs.components", list(&["app", "site"]));
    })
}

fn acked(frame: &Value) -> &Value {
    assert_eq!(frame["type"], "ack", "{frame}");
    frame
}

async fn patch(server: &TestServer, id: u64, body: Value) {
    let (status, reply) = patch_json(server, &format!("/api/v1/chats/{id}"), &sam(), &body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

#[actix_web::test]
async fn the_list_filters_by_direction_participant_client_id_and_pinned() {
    let server = TestServer::start(&config());
    let first = chat(&server, "mail", "c1", "Ann").await;
    let other = chat(&server, "mail", "c10", "Ben").await;
    let invited = chat(&server, "mail", "c2", "Cid").await;
    act(&server, json!({"ids": [first], "action": "finish", "status": "closed"})).await;
    let mut sam_ws = agent(&server, "sam").await;
    // Writing into a closed conversation opens an outgoing chat, pinned to its writer.
    let ack = sam_ws.request(json!({"type": "send", "conversation": "mail:c1", "text": "A follow-up"})).await;
    let outgoing = acked(&ack)["chat"].as_u64().unwrap();
    assert_ne!(outgoing, first);
    acked(&sam_ws.request(json!({"type": "invite", "chat": invited, "operator": "xena"})).await);

    assert_eq!(list(&server, "direction=outgoing").await, [outgoing]);
    assert_eq!(list(&server, "direction=incoming&sort=id").await, [first, other, invited]);
    assert_eq!(list(&server, "direction=incoming,outgoing").await.len(), 4);
    assert_eq!(list(&server, "participant=xena").await, [invited]);
    assert_eq!(list(&server, "participant=alice,xena").await, [invited]);
    assert_eq!(list(&server, "participant=bob").await, Vec::<u64>::new());
    assert_eq!(list(&server, "client_id=c1&sort=id").await, [first, outgoing], "exactly c1, not c10");
    assert_eq!(list(&server, "client=c1&sort=id").await, [first, other, outgoing], "a substring of the id");
    assert_eq!(list(&server, "pinned=true").await, [outgoing]);
    assert_eq!(list(&server, "pinned=false&sort=id").await, [first, other, invited]);
    act(&server, json!({"ids": [other], "action": "forward", "to_operator": "alice"})).await;
    acked(&sam_ws.request(json!({"type": "update_chat", "chat": other, "pinned": true})).await);
    assert_eq!(list(&server, "pinned=true&sort=id").await, [other, outgoing]);
    assert_eq!(list(&server, "pinned=true&direction=incoming").await, [other], "filters combine");
}

#[actix_web::test]
async fn the_list_filters_by_request_type_reasons_components_and_ratings() {
    let server = TestServer::start(&dialog_config());
    let a = chat(&server, "mail", "c1", "Ann").await;
    let b = chat(&server, "mail", "c2", "Bob").await;
    let c = chat(&server, "mail", "c3", "Cid").await;
    patch(&server, a, json!({"request_type": "refund", "reasons": ["late"], "components": ["app"]})).await;
    patch(
        &server,
        b,
        json!({"request_type": "support", "reasons": ["late", "broken"], "supervisor_rating": 5}),
    )
    .await;
    patch(&server, c, json!({"components": ["site", "app"], "supervisor_rating": 2})).await;
    // A client rating: a web client votes when its chat is finished.
    let mut sam_ws = agent(&server, "sam").await;
    let mut client_ws = client(&server, "w1").await;
    let voted =
        acked(&client_ws.request(json!({"type": "send", "text": "hello"})).await)["chat"].as_u64().unwrap();
    acked(&sam_ws.request(json!({"type": "take", "chat": voted})).await);
    acked(&sam_ws.request(json!({"type": "send", "chat": voted, "text": "Done"})).await);
    acked(
        &sam_ws
            .request(json!({"type": "finish", "chat": voted, "status": "closed", "request_vote": true}))
            .await,
    );
    client_ws.wait_type("vote_request").await;
    acked(&client_ws.request(json!({"type": "vote", "chat": voted, "score": 3})).await);
    client_ws.wait_type("vote_thanks").await;

    assert_eq!(list(&server, "request_type=refund").await, [a]);
    assert_eq!(list(&server, "request_type=refund,support&sort=id").await, [a, b]);
    assert_eq!(list(&server, "reasons=late&sort=id").await, [a, b]);
    assert_eq!(list(&server, "reasons=broken").await, [b]);
    assert_eq!(list(&server, "components=app&sort=id").await, [a, c], "chats having any of them");
    assert_eq!(list(&server, "components=site,app&sort=id").await, [a, c], "each chat once");
    assert_eq!(list(&server, "reasons=late&components=app").await, [a]);
    assert_eq!(list(&server, "supervisor_rating=5").await, [b]);
    assert_eq!(list(&server, "supervisor_rating=2,5&sort=id").await, [b, c]);
    assert_eq!(list(&server, "client_rating=3").await, [voted]);
    assert_eq!(list(&server, "client_rating=1,2").await, Vec::<u64>::new());
    // A changed list is found by its new values only.
    patch(&server, a, json!({"reasons": ["broken"]})).await;
    assert_eq!(list(&server, "reasons=late").await, [b]);
    assert_eq!(list(&server, "reasons=broken&sort=id").await, [a, b]);
}

#[actix_web::test]
async fn every_timestamp_has_an_inclusive_range_filter() {
    let server = TestServer::start_with_manual_clock(&config());
    let mut sam_ws = agent(&server, "sam").await;
    // Chats at different stages, one second apart: new; queued; taken and answered; finished.
    let fresh = chat(&server, "mail", "c1", "Ann").await;
    server.advance(1.0);
    let queued = chat(&server, "mail", "c2", "Bob").await;
    act(&server, json!({"ids": [queued], "action": "forward", "to_line": "line2"})).await;
    server.advance(1.0);
    let answered = chat(&server, "mail", "c3", "Cid").await;
    server.advance(1.0);
    acked(&sam_ws.request(json!({"type": "take", "chat": answered})).await);
    server.advance(1.0);
    acked(&sam_ws.request(json!({"type": "send", "chat": answered, "text": "Hi"})).await);
    server.advance(1.0);
    let finished = chat(&server, "mail", "c4", "Dan").await;
    server.advance(1.0);
    acked(&sam_ws.request(json!({"type": "take", "chat": finished})).await);
    acked(&sam_ws.request(json!({"type": "send", "chat": finished, "text": "Bye"})).await);
    server.advance(1.0);
    acked(&sam_ws.request(json!({"type": "finish", "chat": finished, "status": "closed"})).await);

    let all = [fresh, queued, answered, finished];
    let mut views = Vec::new();
    for id in all {
        let (_, view) = get(&server, &format!("/api/v1/chats/{id}"), &sam()).await;
        views.push(view);
    }
    for t in [
        "created",
        "queued",
        "taken",
        "first_response",
        "last_message",
        "operator_closed",
        "finished",
        "updated",
    ] {
        let at = |view: &Value| view["metrics"][format!("{t}_at")].as_str().map(str::to_string);
        let times: Vec<Option<String>> = views.iter().map(at).collect();
        let parsed = |s: &str| frontline::domain::Timestamp::parse_rfc3339(s).unwrap();
        let some: Vec<&String> = times.iter().flatten().collect();
        assert!(!some.is_empty(), "{t}: some chat has it");
        // From the latest value on; up to the earliest; exactly the latest.
        let latest = some.iter().max_by_key(|s| parsed(s)).unwrap();
        let earliest = some.iter().min_by_key(|s| parsed(s)).unwrap();
        let within = |from: Option<&str>, to: Option<&str>| -> Vec<u64> {
            all.iter()
                .zip(&times)
                .filter(|(_, at)| {
                    at.as_deref().is_some_and(|at| {
                        from.is_none_or(|f| parsed(at) >= parsed(f))
                            && to.is_none_or(|x| parsed(at) <= parsed(x))
                    })
                })
                .map(|(id, _)| *id)
                .collect()
        };
        let from = format!("{t}_from={}&sort=id", encode(latest));
        assert_eq!(list(&server, &from).await, within(Some(latest), None), "{from}");
        let to = format!("{t}_to={}&sort=id", encode(earliest));
        assert_eq!(list(&server, &to).await, within(None, Some(earliest)), "{to}");
        let both = format!("{t}_from={0}&{t}_to={0}&sort=id", encode(latest));
        let exact = list(&server, &both).await;
        assert!(!exact.is_empty(), "{both}");
        assert_eq!(exact, within(Some(latest), Some(latest)), "{both}");
        if times.iter().any(Option::is_none) {
            let everything = format!("{t}_from=2000-01-01T00:00:00Z&sort=id");
            assert_eq!(
                list(&server, &everything).await,
                within(None, None),
                "{t}: chats without it are outside"
            );
            assert!(list(&server, &everything).await.len() < all.len());
        }
    }
}

#[actix_web::test]
async fn q_finds_chats_by_every_word_of_their_messages_or_subject() {
    let server = TestServer::start(&config());
    let parcel = chat(&server, "mail", "c1", "Ann").await;
    inbound(&server, "mail", json!({"client_id": "c1", "text": "My PARCEL is late"})).await;
    let kettle = chat(&server, "mail", "c2", "Bob").await;
    patch(&server, kettle, json!({"subject": "Broken kettle"})).await;
    let refund = inbound(&server, "tg", json!({"client_id": "t1", "text": "Где мой возврат? Ёлка"})).await
        ["chat"]
        .as_u64()
        .unwrap();

    assert_eq!(list(&server, "q=parcel").await, [parcel], "case-insensitive");
    assert_eq!(list(&server, "q=hello&sort=id").await, [parcel, kettle]);
    assert_eq!(list(&server, "q=hello+late").await, [parcel], "every word");
    assert_eq!(list(&server, "q=kettle").await, [kettle], "the subject");
    assert_eq!(list(&server, "q=hello+kettle").await, [kettle], "messages and subject together");
    assert_eq!(list(&server, &format!("q={}", encode("возврат"))).await, [refund]);
    assert_eq!(list(&server, &format!("q={}", encode("елка"))).await, [refund], "ё is е");
    assert_eq!(list(&server, "q=par").await, Vec::<u64>::new(), "whole words");
    assert_eq!(list(&server, "q=parcel&channel=tg").await, Vec::<u64>::new(), "with the other filters");
    assert_eq!(
        list(&server, &format!("q={}", encode("\"parcel\" OR"))).await,
        Vec::<u64>::new(),
        "no syntax"
    );
    let (_, xena) = get(&server, "/api/v1/chats?q=hello", &token("xena", "operator")).await;
    assert_eq!(xena["items"].as_array().unwrap().len(), 0, "the scope still holds: {xena}");
    let (_, text) = get_text(&server, "/api/v1/chats.csv?q=kettle&columns=id", &sam()).await;
    assert_eq!(text, format!("id\n{kettle}\n"), "the export searches too");
}

#[actix_web::test]
async fn the_csv_export_has_the_chosen_columns_in_the_given_order() {
    let server = TestServer::start(&config());
    let ann = chat(&server, "mail", "c1", "Ann").await;
    let tina = chat(&server, "tg", "t1", "=Tina").await;
    let (status, text) =
        get_text(&server, "/api/v1/chats.csv?columns=client_name,id,line&sort=id", &sam()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(text, format!("client_name,id,line\nAnn,{ann},line1\n'=Tina,{tina},line2\n"));
    let (_, text) = get_text(&server, "/api/v1/chats.csv?columns=id&channel=tg", &sam()).await;
    assert_eq!(text, format!("id\n{tina}\n"));
    let (_, all) = get_text(&server, "/api/v1/chats.csv", &sam()).await;
    assert_eq!(all.lines().next().unwrap().split(',').count(), 43, "every column without a choice");

    for (columns, says) in
        [("id,colour", "colour"), ("id,,line", "columns"), ("id,id", "twice"), ("", "columns")]
    {
        let (status, body) =
            get(&server, &format!("/api/v1/chats.csv?columns={}", encode(columns)), &sam()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{columns}: {body}");
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(body["error"]["message"].as_str().unwrap().contains(says), "{columns}: {body}");
    }
    let (status, body) = get(&server, "/api/v1/chats?columns=id", &sam()).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("bad_request")),
        "the list has no columns"
    );
}

#[actix_web::test]
async fn bad_values_of_the_new_filters_are_refused_naming_the_parameter() {
    let server = TestServer::start(&config());
    let id = chat(&server, "mail", "c1", "Ann").await;
    for (query, name) in [
        ("direction=sideways", "direction"),
        ("participant=", "participant"),
        ("client_id=", "client_id"),
        ("pinned=yes", "pinned"),
        ("request_type=", "request_type"),
        ("reasons=late,", "reasons"),
        ("components=%07", "components"),
        ("client_rating=4", "client_rating"),
        ("supervisor_rating=0", "supervisor_rating"),
        ("q=%21%3F", "q"),
        ("q=+", "q"),
        ("queued_from=yesterday", "queued_from"),
        ("first_response_to=2024-02-30T00:00:00Z", "first_response_to"),
        ("updated_from=1&updated_from=2", "updated_from"),
        ("finished_at=2024-01-01T00:00:00Z", "finished_at"),
    ] {
        for path in ["/api/v1/chats", "/api/v1/chats.csv"] {
            let (status, body) = get(&server, &format!("{path}?{query}"), &sam()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}?{query}: {body}");
            assert_eq!(body["error"]["code"], "bad_request");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(name), "{query}: {message}");
        }
    }
    let (_, view) = get(&server, &format!("/api/v1/chats/{id}"), &sam()).await;
    assert_eq!((&view["status"], &view["phase"]), (&json!("new"), &json!("active")), "nothing changed");
}
