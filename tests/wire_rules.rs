//! Rules that read the live world, over the wire (SPEC 4.1, seed 003): the README's after-hours
//! and nobody-online auto-replies, run as written there, on a node whose clock the test sets —
//! working hours in the line's time zone, presence (online, away, a dropped socket's grace) and
//! `stop` between the two rules. Routing carries on either way.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// How long a socket must stay silent for "no such frame".
const QUIET: Duration = Duration::from_millis(300);

/// The README's TOML example that has a `within_hours` condition: its line and its rules.
fn readme_example() -> toml::Table {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let block = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block))
        .find(|block| block.contains("within_hours"))
        .expect("the README has a TOML example with within_hours");
    block.parse().unwrap_or_else(|e| panic!("the README example is not TOML: {e}\n{block}"))
}

/// The text of the README example's rule `name`.
fn reply_of(example: &toml::Table, name: &str) -> String {
    let rules = example["rules"].as_array().unwrap();
    let rule = rules.iter().find(|r| r["name"].as_str() == Some(name)).unwrap();
    rule["then"][0]["auto_reply"].as_str().unwrap().to_string()
}

/// The shared test setup with the README example's line in place of line1 and its rules, plus
/// `ada`, an admin of line 2 only: she hears presence changes without counting for line 1.
fn with_readme_rules(example: &toml::Table) -> String {
    config_with(|t| {
        set(t, "rating.enabled", false.into());
        let line = example["lines"][0].clone();
        let lines = t["lines"].as_array_mut().unwrap();
        let at = lines.iter().position(|l| l["id"] == line["id"]).expect("the example's line is line1");
        lines[at] = line;
        for rule in example["rules"].as_array().unwrap() {
            t.entry("rules")
                .or_insert_with(|| toml::Value::Array(Vec::new()))
                .as_array_mut()
                .unwrap()
                .push(rule.clone());
        }
        push(t, "operators", "id = \"ada\"\nlines = [\"line2\"]\ncapacity = 5\nrole = \"admin\"");
    })
}

fn acked(frame: &Value) -> &Value {
    assert_eq!(frame["type"], "ack", "{frame}");
    frame
}

/// A bot message with `text`.
fn bot_says(text: String) -> impl Fn(&Value) -> bool {
    move |f| f["type"] == "message" && f["message"]["author"]["kind"] == "bot" && f["message"]["text"] == text
}

fn any_bot_message(f: &Value) -> bool {
    f["type"] == "message" && f["message"]["author"]["kind"] == "bot"
}

/// `client_id` connects and writes its first message; its socket and the new chat's id.
async fn writes(server: &TestServer, client_id: &str) -> (Ws, u64) {
    let mut c = client(server, client_id).await;
    let ack = acked(&c.request(json!({"type": "send", "text": "hello?"})).await).clone();
    (c, ack["chat"].as_u64().unwrap())
}

// Monday 2024-01-15 in Kyiv (UTC+2 in winter): 17:30 local is 15:30 UTC.
const MONDAY_1730_KYIV: &str = "2024-01-15T15:30:00Z";

#[actix_web::test]
async fn a_client_writing_after_the_lines_hours_in_its_time_zone_is_told_and_the_chat_is_still_routed() {
    let example = readme_example();
    let closed = reply_of(&example, "after hours");
    let server = TestServer::start_with_clock_at(&with_readme_rules(&example), MONDAY_1730_KYIV);
    let mut alice = agent(&server, "alice").await;

    // 17:30 in Kyiv: within mon-fri 09:00-18:00.
    let (mut c1, id1) = writes(&server, "c1").await;
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == id1).await;
    assert!(c1.quiet(any_bot_message, QUIET).await, "no auto-reply within the hours");
    acked(&alice.request(json!({"type": "accept", "chat": id1})).await);

    // 18:30 in Kyiv, 16:30 UTC: after the hours there (in UTC it would still be within them).
    server.advance(3600.0);
    let (mut c2, id2) = writes(&server, "c2").await;
    let reply = c2.wait(bot_says(closed.clone())).await;
    assert_eq!(reply["message"]["author"], json!({"kind": "bot", "id": "auto_reply"}), "{reply}");
    assert_eq!(reply["message"]["chat"], id2, "{reply}");
    // Hours only feed rules: the chat is routed as usual, and the reply is in it for operators.
    alice
        .wait(|f| ["offer", "chat_new"].contains(&f["type"].as_str().unwrap_or("")) && f["chat"]["id"] == id2)
        .await;
    let (_, messages) =
        get(&server, &format!("/api/v1/chats/{id2}/messages"), &server.token_for("alice")).await;
    let texts: Vec<&Value> = messages["items"].as_array().unwrap().iter().map(|m| &m["text"]).collect();
    assert_eq!(texts, [&json!("hello?"), &json!(closed)], "{messages}");
    assert!(c2.quiet(any_bot_message, QUIET).await, "one auto-reply, and `stop` keeps the other rule out");

    // Saturday 10:30 in Kyiv: within the second window (sat 10:00-14:00).
    server.advance(((4 * 24 + 16) * 3600) as f64);
    let (mut c3, _) = writes(&server, "c3").await;
    assert!(c3.quiet(any_bot_message, QUIET).await, "no auto-reply on Saturday morning");

    // Saturday 14:00 in Kyiv: the window has closed (its end is excluded).
    server.advance(3.5 * 3600.0);
    let (mut c4, _) = writes(&server, "c4").await;
    c4.wait(bot_says(closed)).await;
}

#[actix_web::test]
async fn a_returning_client_is_told_on_every_new_chat_after_hours() {
    let example = readme_example();
    let closed = reply_of(&example, "after hours");
    // Monday 20:00 in Kyiv.
    let server = TestServer::start_with_clock_at(&with_readme_rules(&example), "2024-01-15T18:00:00Z");
    let mut alice = agent(&server, "alice").await;
    let (mut c, id) = writes(&server, "c1").await;
    c.wait(bot_says(closed.clone())).await;
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == id).await;
    acked(&alice.request(json!({"type": "accept", "chat": id})).await);
    acked(&alice.request(json!({"type": "finish", "chat": id, "status": "closed"})).await);

    // A new chat of the same client (the last one is closed): not the first chat, told again.
    let next = acked(&c.request(json!({"type": "send", "text": "me again"})).await)["chat"].as_u64().unwrap();
    assert_ne!(next, id, "a new chat");
    let again = c.wait(bot_says(closed)).await;
    assert_eq!(again["message"]["chat"], next, "{again}");
}

#[actix_web::test]
async fn a_client_is_told_nobody_is_online_until_an_operator_of_the_line_is_online() {
    let example = readme_example();
    let nobody = reply_of(&example, "nobody online");
    let server = TestServer::start_with_clock_at(&with_readme_rules(&example), MONDAY_1730_KYIV);
    let mut ada = agent(&server, "ada").await;

    // Nobody at all: told. The chat waits in line 1's queue all the same.
    let (mut c1, _) = writes(&server, "c1").await;
    let reply = c1.wait(bot_says(nobody.clone())).await;
    assert_eq!(reply["message"]["author"], json!({"kind": "bot", "id": "auto_reply"}), "{reply}");
    assert!(c1.quiet(any_bot_message, QUIET).await, "one auto-reply");

    // Online operators of another line do not count (xena and ada are in line 2 only).
    let _xena = agent(&server, "xena").await;
    let (mut c2, _) = writes(&server, "c2").await;
    c2.wait(bot_says(nobody.clone())).await;

    // alice (line 1) comes online: the queued chats are offered to her, new clients are not told.
    let mut alice = agent(&server, "alice").await;
    let (mut c3, id3) = writes(&server, "c3").await;
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == id3).await;
    assert!(c3.quiet(any_bot_message, QUIET).await, "alice is online");

    // Away is not online.
    acked(&alice.request(json!({"type": "presence", "status": "away"})).await);
    let (mut c4, _) = writes(&server, "c4").await;
    c4.wait(bot_says(nobody.clone())).await;
    acked(&alice.request(json!({"type": "presence", "status": "online"})).await);
    let (mut c5, _) = writes(&server, "c5").await;
    assert!(c5.quiet(any_bot_message, QUIET).await, "alice is back online");

    // Her socket drops: she counts as online for the presence grace (30 s), then not.
    alice.close().await;
    disconnect_seen(&server, 2).await;
    let presence = presence_of(&server, "alice").await;
    assert_eq!(presence, "online", "alice's grace runs");
    let (mut c6, _) = writes(&server, "c6").await;
    assert!(c6.quiet(any_bot_message, QUIET).await, "within the grace alice still counts");
    server.advance(31.0);
    ada.wait(|f| f["type"] == "presence" && f["operator"] == "alice" && f["status"] == "offline").await;
    let (mut c7, _) = writes(&server, "c7").await;
    c7.wait(bot_says(nobody)).await;
}

/// Waits until the node has let go of every operator socket but `left` (a closed socket is
/// reported to the routing before it stops counting here).
async fn disconnect_seen(server: &TestServer, left: u32) {
    let line = format!("frontline_connections{{kind=\"operator\"}} {left}");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (_, text) = get_text(server, "/metrics", "").await;
        if text.lines().any(|l| l == line) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "no {line:?} in\n{text}");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `operator`'s presence as `GET /api/v1/operators` reports it (asked of the routing, after
/// everything reported to it before).
async fn presence_of(server: &TestServer, operator: &str) -> String {
    let (status, body) = get(server, "/api/v1/operators", &server.token_for("ada")).await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    let entry = items.iter().find(|o| o["id"] == operator).unwrap_or_else(|| panic!("{body}"));
    entry["presence"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn after_hours_with_nobody_online_the_client_hears_only_the_after_hours_text() {
    let example = readme_example();
    let (closed, nobody) = (reply_of(&example, "after hours"), reply_of(&example, "nobody online"));
    // Sunday 2024-01-14 12:00 in Kyiv: no window on Sundays.
    let server = TestServer::start_with_clock_at(&with_readme_rules(&example), "2024-01-14T10:00:00Z");
    let (mut c, _) = writes(&server, "c1").await;
    c.wait(bot_says(closed)).await;
    assert!(c.quiet(bot_says(nobody), QUIET).await, "`stop` after the after-hours reply");
}

#[actix_web::test]
async fn an_operator_reaching_out_after_hours_sets_off_neither_reply() {
    // The README rules are keyed on a client's message: an outgoing chat is not a client's.
    let example = readme_example();
    let config = with_readme_rules(&example).replace(
        "id = \"web\"\nkind = \"realtime\"\nline = \"line1\"",
        "id = \"web\"\nkind = \"realtime\"\nline = \"line1\"\nsecret = \"site-secret\"",
    );
    assert!(config.contains("site-secret"), "the test config names channel web as expected");
    // Monday 20:00 in Kyiv.
    let server = TestServer::start_with_clock_at(&config, "2024-01-15T18:00:00Z");
    let mut alice = agent(&server, "alice").await;
    let sig = frontline::auth::client_signature("site-secret", "c9");
    let mut c = client_query(&server, &format!("channel=web&client_id=c9&sig={sig}")).await;
    acked(
        &alice
            .request(json!({"type": "send", "conversation": "web:c9", "text": "Your order is ready"}))
            .await,
    );
    c.wait(|f| f["type"] == "message" && f["message"]["text"] == "Your order is ready").await;
    assert!(c.quiet(any_bot_message, QUIET).await, "no auto-reply to an operator's message");
}

#[actix_web::test]
async fn the_after_hours_rule_on_changed_with_reactivated_tells_a_client_who_brings_a_chat_back() {
    let example = readme_example();
    let closed = reply_of(&example, "after hours");
    let config = with_readme_rules(&example);
    let mut table: toml::Table = config.parse().unwrap();
    let mut again = example["rules"][0].clone();
    let rule = again.as_table_mut().unwrap();
    rule.insert("name".into(), "after hours, back again".into());
    rule.insert("on".into(), "changed".into());
    rule["when"].as_table_mut().unwrap().insert("reactivated".into(), true.into());
    table["rules"].as_array_mut().unwrap().push(again);
    let server = TestServer::start_with_clock_at(&toml::to_string(&table).unwrap(), MONDAY_1730_KYIV);

    let mut alice = agent(&server, "alice").await;
    let (mut c, id) = writes(&server, "c1").await;
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == id).await;
    acked(&alice.request(json!({"type": "accept", "chat": id})).await);
    acked(&alice.request(json!({"type": "send", "chat": id, "text": "Please send a photo"})).await);
    acked(&alice.request(json!({"type": "finish", "chat": id, "status": "pending"})).await);
    assert!(c.quiet(any_bot_message, QUIET).await, "within the hours: nothing");

    // 19:00 in Kyiv: the client brings the same chat back (a change, not a new chat).
    server.advance(1.5 * 3600.0);
    let back = acked(&c.request(json!({"type": "send", "text": "Here it is"})).await)["chat"].clone();
    assert_eq!(back, id, "the same chat, reactivated");
    let reply = c.wait(bot_says(closed)).await;
    assert_eq!(reply["message"]["chat"], id, "{reply}");
    assert!(c.quiet(any_bot_message, QUIET).await, "one auto-reply");
}
