//! Frames rendered as console lines: a row per event, acks per command, escaping.

use serde_json::{json, Value};

use crate::agent::command::parse;
use crate::agent::render::{ack_lines, chat_line, clean, error_line, event_lines, welcome_lines, when};
use crate::agent::view::Tabs;
use crate::agent::wire::{self, ChatSummary, ServerFrame};

/// A chat object as the server sends it (PROTOCOL 3.1), with the fields the console shows.
pub(super) fn chat(id: u64, status: &str, detailed: &str) -> Value {
    json!({"id": id, "conversation": "web:c-42", "channel": "web", "line": "line1",
           "client": {"id": "c-42", "name": "Ann"}, "responsible": null, "participants": [],
           "phase": "active", "status": status, "detailed_status": detailed, "splittable": false,
           "metrics": {"last_message_at": "2025-01-02T12:03:10.123Z", "created_at": "2025-01-02T12:00:00.000Z"}})
}

pub(super) fn frame(value: Value) -> ServerFrame {
    wire::parse(&value.to_string()).unwrap()
}

fn summary(value: Value) -> ChatSummary {
    serde_json::from_value(value).unwrap()
}

/// Tabs after a welcome of alice with chat 17 in My.
pub(super) fn tabs() -> Tabs {
    let mut tabs = Tabs::default();
    let mut mine = chat(17, "open", "client_waiting");
    mine["responsible"] = json!("alice");
    tabs.apply(&frame(json!({"type": "welcome",
        "operator": {"id": "alice", "name": "Alice", "role": "operator", "lines": ["line1"], "capacity": 5},
        "my": [mine], "new": []})));
    tabs
}

fn one(value: Value) -> String {
    let lines = event_lines(&frame(value), &tabs());
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines[0].clone()
}

#[test]
fn a_chat_line_shows_id_client_status_and_last_message_time() {
    assert_eq!(
        chat_line(&summary(chat(17, "open", "client_waiting")), "alice"),
        "#17  Ann (web:c-42)  line1  open/client_waiting  last message 2025-01-02 12:03:10"
    );
    let mut other = chat(18, "pending", "operator_answered");
    other["responsible"] = json!("bob");
    other["phase"] = json!("closing");
    other["splittable"] = json!(true);
    other["metrics"]["last_message_at"] = Value::Null;
    other["client"]["name"] = Value::Null;
    assert_eq!(
        chat_line(&summary(other), "alice"),
        "#18  c-42 (web:c-42)  line1  pending/operator_answered, closing, @bob, splittable  no messages"
    );
}

#[test]
fn the_welcome_shows_the_operator_and_both_tabs() {
    let mut tabs = tabs();
    tabs.apply(&frame(json!({"type": "chat_new", "chat": chat(20, "new", "new")})));
    assert_eq!(
        welcome_lines(&tabs),
        vec![
            "connected as Alice (alice), role operator, lines line1, capacity 5",
            "My (1):",
            "  #17  Ann (web:c-42)  line1  open/client_waiting  last message 2025-01-02 12:03:10",
            "New (1):",
            "  #20  Ann (web:c-42)  line1  new/new  last message 2025-01-02 12:03:10",
        ]
    );
}

#[test]
fn every_event_is_one_readable_line() {
    let rows = [
        (json!({"type": "chat_new", "chat": chat(20, "new", "new")}), "new chat #20  Ann (web:c-42)"),
        (
            json!({"type": "offer", "chat": chat(20, "new", "new"), "expires_in_ms": 29_001}),
            "offer #20  Ann (web:c-42)  line1  new/new  last message 2025-01-02 12:03:10, expires in 30 s: /accept 20 or /decline 20",
        ),
        (json!({"type": "offer_withdrawn", "chat": 17}), "offer #17 Ann withdrawn"),
        (json!({"type": "chat_assigned", "chat": chat(20, "open", "new")}), "assigned #20  Ann"),
        (json!({"type": "chat_removed", "chat": 17, "reason": "finished"}), "removed #17 Ann (finished)"),
        (json!({"type": "chat_removed", "chat": 99, "reason": "merged"}), "removed #99 (merged)"),
        (
            json!({"type": "message", "message": {"chat": 17, "seq": 3, "text": "hi",
                   "author": {"kind": "client", "id": "c-42"}, "at": "2025-01-02T12:03:10.123Z"}}),
            "[chat 17] Ann: hi",
        ),
        (
            json!({"type": "message", "message": {"chat": 17, "seq": 4, "text": "hello",
                   "author": {"kind": "operator", "id": "bob"}}}),
            "[chat 17] bob (operator): hello",
        ),
        (
            json!({"type": "message", "message": {"chat": 17, "seq": 5, "text": "vip", "private": true,
                   "author": {"kind": "operator", "id": "bob"}}}),
            "[chat 17] bob (note): vip",
        ),
        (
            json!({"type": "message", "message": {"chat": 17, "seq": 6, "text": "We are closed",
                   "author": {"kind": "bot", "id": "auto_reply"}}}),
            "[chat 17] auto_reply (bot): We are closed",
        ),
        (
            json!({"type": "message", "message": {"chat": 30, "seq": 1, "text": "hey",
                   "author": {"kind": "client", "id": "c-9"}}}),
            "[chat 30] c-9: hey",
        ),
        (json!({"type": "typing", "chat": 17, "author": "c-42"}), "[chat 17] Ann is typing..."),
        (json!({"type": "presence", "operator": "bob", "status": "away"}), "presence: bob is away"),
    ];
    for (value, expected) in rows {
        let line = one(value.clone());
        assert!(line.starts_with(expected), "{value}\n got: {line}\nwant: {expected}");
    }
}

#[test]
fn an_update_shows_what_changed_and_nothing_when_only_times_changed() {
    let mut changed = chat(17, "pending", "operator_answered");
    changed["responsible"] = json!("alice");
    changed["participants"] = json!(["bob"]);
    assert_eq!(
        one(json!({"type": "chat_updated", "chat": changed})),
        "updated #17 Ann: status open -> pending, detailed client_waiting -> operator_answered, participants none -> bob"
    );
    let mut same = chat(17, "open", "client_waiting");
    same["responsible"] = json!("alice");
    same["metrics"]["last_message_at"] = json!("2025-01-02T12:09:00.000Z");
    assert!(event_lines(&frame(json!({"type": "chat_updated", "chat": same})), &tabs()).is_empty());
    // A chat the tabs did not show is printed whole.
    assert!(
        one(json!({"type": "chat_updated", "chat": chat(40, "open", "new")})).starts_with("updated #40  Ann")
    );
}

#[test]
fn acks_print_ok_with_their_result_fields() {
    let ack = |line: &str, fields: Value| {
        let command = parse(line, Some(17)).unwrap().unwrap();
        ack_lines(&command, fields.as_object().unwrap(), &tabs())
    };
    assert_eq!(ack("/take 17", json!({})), vec!["ok take 17"]);
    assert_eq!(ack("/away", json!({})), vec!["ok away"]);
    assert_eq!(ack("/reply 17 hi", json!({"chat": 17, "seq": 5})), vec!["ok reply 17: seq 5"]);
    assert_eq!(ack("hi", json!({"chat": 17, "seq": 6})), vec!["ok reply 17: seq 6"]);
    assert_eq!(ack("/note 17 vip", json!({"chat": 17, "seq": 7})), vec!["ok note 17: seq 7"]);
    assert_eq!(ack("/split 17", json!({"new_chat": 18})), vec!["ok split 17: new chat 18"]);
    assert_eq!(ack("/merge 17", json!({"into": 12})), vec!["ok merge 17: into chat 12"]);
    assert_eq!(ack("/invite 17 bob", json!({"extra": 1})), vec!["ok invite 17: extra=1"]);
    let history = json!({"prev_chat": 12, "messages": [
        {"chat": 17, "seq": 1, "text": "hello", "author": {"kind": "client", "id": "c-42"}, "at": "2025-01-02T12:03:10.123Z"},
        {"chat": 17, "seq": 2, "text": "hi", "author": {"kind": "operator", "id": "alice"}, "at": "2025-01-02T12:04:00.000Z"}]});
    assert_eq!(
        ack("/history 17", history),
        vec![
            "ok history 17: 2 messages, previous chat 12",
            "  2025-01-02 12:03:10 seq 1  Ann: hello",
            "  2025-01-02 12:04:00 seq 2  alice (operator): hi",
        ]
    );
    assert_eq!(
        ack("/history 17", json!({"messages": []})),
        vec!["ok history 17: 0 messages, no previous chat"]
    );
}

#[test]
fn errors_print_code_and_message() {
    assert_eq!(error_line("invalid_transition", "cannot split"), "error invalid_transition: cannot split");
}

#[test]
fn untrusted_text_cannot_drive_the_terminal() {
    assert_eq!(clean("a\u{1b}[2Jb\rc"), "a\\u{1b}[2Jb\\rc");
    assert_eq!(clean("one\ntwo"), "one\n    two");
    assert_eq!(when("2025-01-02T12:03:10.123Z"), "2025-01-02 12:03:10");
    assert_eq!(when("yesterday"), "yesterday");
}
