//! Frames rendered as console lines: a row per event with who or what caused it, status codes
//! with plain words, acks per command (replies echoed), `/who` and `/queues`, escaping.

use serde_json::{json, Value};

use crate::agent::command::parse;
use crate::agent::render::{
    ack_lines, chat_line, clean, error_line, event_lines, queue_lines, welcome_lines, when, who_lines,
};
use crate::agent::view::Tabs;
use crate::agent::wire::{self, By, ChatSummary, Lines, Operators, ServerFrame};
use crate::agent::words::{by_words, detailed_words, span, status_words};

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
        "#17  Ann (web:c-42)  line1  open (being worked on), client_waiting (assigned, no reply yet)  last \
         message 2025-01-02 12:03:10"
    );
    let mut other = chat(18, "pending", "operator_answered");
    other["responsible"] = json!("bob");
    other["phase"] = json!("closing");
    other["splittable"] = json!(true);
    other["metrics"]["last_message_at"] = Value::Null;
    other["client"]["name"] = Value::Null;
    assert_eq!(
        chat_line(&summary(other), "alice"),
        "#18  c-42 (web:c-42)  line1  pending (waiting for the client), operator_answered (an operator \
         answered last), closing, @bob, splittable  no messages"
    );
    // Equal codes once; codes the console has no words for as they are.
    assert!(
        chat_line(&summary(chat(19, "new", "new")), "alice").contains("  new (waiting for an operator)  ")
    );
    assert!(chat_line(&summary(chat(19, "frozen", "thawing")), "alice").contains("  frozen, thawing  "));
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
            "  #17  Ann (web:c-42)  line1  open (being worked on), client_waiting (assigned, no reply yet)  \
             last message 2025-01-02 12:03:10",
            "New (1):",
            "  #20  Ann (web:c-42)  line1  new (waiting for an operator)  last message 2025-01-02 12:03:10",
        ]
    );
}

#[test]
fn every_event_is_one_readable_line() {
    let rows = [
        (json!({"type": "chat_new", "chat": chat(20, "new", "new")}), "new chat #20  Ann (web:c-42)"),
        (
            json!({"type": "offer", "chat": chat(20, "new", "new"), "expires_in_ms": 29_001}),
            "offer #20  Ann (web:c-42)  line1  new (waiting for an operator)  last message 2025-01-02 12:03:10, \
             expires in 30 s: /accept 20 or /decline 20",
        ),
        (json!({"type": "offer_withdrawn", "chat": 17}), "offer #17 Ann withdrawn"),
        (json!({"type": "chat_assigned", "chat": chat(20, "open", "new")}), "assigned #20  Ann"),
        (json!({"type": "chat_removed", "chat": 17, "reason": "finished"}), "removed #17 Ann (finished)"),
        (json!({"type": "chat_removed", "chat": 99, "reason": "merged"}), "removed #99 (merged)"),
        (json!({"type": "client_voted", "chat": 17, "score": 3, "label": "Excellent"}), "client voted 3 (Excellent) on #17 Ann"),
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
        "updated #17 Ann: status open -> pending (waiting for the client), detailed client_waiting -> \
         operator_answered (an operator answered last), participants none -> bob"
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
    // The server does not echo a socket's own message: the ack does.
    assert_eq!(
        ack("/reply 17 hi", json!({"chat": 17, "seq": 5})),
        vec!["ok reply 17: seq 5", "[chat 17] you: hi"]
    );
    assert_eq!(
        ack("one moment\u{1b}[2J", json!({"chat": 17, "seq": 6})),
        vec!["ok reply 17: seq 6", "[chat 17] you: one moment\\u{1b}[2J"]
    );
    assert_eq!(
        ack("/note 17 vip", json!({"chat": 17, "seq": 7})),
        vec!["ok note 17: seq 7", "[chat 17] you (note): vip"]
    );
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

fn by(value: Value) -> By {
    serde_json::from_value(value).unwrap()
}

#[test]
fn every_cause_has_words() {
    let rows = [
        (json!({"kind": "operator", "id": "sam"}), Some("by sam")),
        (json!({"kind": "operator", "id": "alice"}), Some("by you")),
        (json!({"kind": "client"}), Some("by the client")),
        (
            json!({"kind": "rule", "rule": "line 2 hands back to line 1"}),
            Some("by rule \"line 2 hands back to line 1\""),
        ),
        (json!({"kind": "timer", "timer": "inactivity"}), Some("by the inactivity timer")),
        (json!({"kind": "timer", "timer": "voting"}), Some("by the voting timer")),
        (json!({"kind": "timer", "timer": "auto_close"}), Some("by auto-close")),
        (json!({"kind": "timer", "timer": "offer"}), Some("by the offer timer")),
        (json!({"kind": "timer", "timer": "presence_grace"}), Some("by the end of the presence grace")),
        (json!({"kind": "timer", "timer": "overflow"}), Some("by overflow")),
        (
            json!({"kind": "timer", "timer": "reassign"}),
            Some("because the client waited too long for an answer"),
        ),
        (json!({"kind": "timer", "timer": "lunar"}), Some("by the lunar timer")),
        (json!({"kind": "system"}), None),
        (json!({"kind": "martian"}), None),
    ];
    for (value, words) in rows {
        assert_eq!(by_words(&by(value.clone()), "alice").as_deref(), words, "{value}");
    }
    // A rule name is client-proof text too.
    let sneaky = by(json!({"kind": "rule", "rule": "x\u{1b}[2J"}));
    assert_eq!(by_words(&sneaky, "alice").as_deref(), Some("by rule \"x\\u{1b}[2J\""));
}

#[test]
fn changes_name_who_or_what_made_them() {
    let rule = json!({"kind": "rule", "rule": "line 2 hands back to line 1"});
    let rows = [
        (
            json!({"type": "chat_removed", "chat": 17, "reason": "finished", "by": rule}),
            "removed #17 Ann (finished by rule \"line 2 hands back to line 1\")",
        ),
        (
            json!({"type": "chat_removed", "chat": 17, "reason": "finished", "by": {"kind": "timer", "timer": "inactivity"}}),
            "removed #17 Ann (finished by the inactivity timer)",
        ),
        (
            json!({"type": "chat_removed", "chat": 17, "reason": "reassigned", "by": {"kind": "operator", "id": "sam"}}),
            "removed #17 Ann (reassigned by sam)",
        ),
        (
            json!({"type": "chat_removed", "chat": 17, "reason": "finished", "by": {"kind": "operator", "id": "alice"}}),
            "removed #17 Ann (finished by you)",
        ),
        (
            json!({"type": "chat_removed", "chat": 17, "reason": "finished", "by": {"kind": "system"}}),
            "removed #17 Ann (finished)",
        ),
        (
            json!({"type": "offer_withdrawn", "chat": 17, "reason": "taken", "by": {"kind": "operator", "id": "bob"}}),
            "offer #17 Ann withdrawn (taken by bob)",
        ),
        (
            json!({"type": "offer_withdrawn", "chat": 17, "reason": "timeout", "by": {"kind": "timer", "timer": "offer"}}),
            "offer #17 Ann withdrawn (expired)",
        ),
        (
            json!({"type": "offer_withdrawn", "chat": 17, "reason": "declined", "by": {"kind": "operator", "id": "alice"}}),
            "offer #17 Ann withdrawn (declined by you)",
        ),
        (
            json!({"type": "offer_withdrawn", "chat": 17, "reason": "unavailable", "by": {"kind": "operator", "id": "alice"}}),
            "offer #17 Ann withdrawn (you are away or offline)",
        ),
        (
            json!({"type": "offer_withdrawn", "chat": 17, "reason": "unavailable",
                   "by": {"kind": "timer", "timer": "presence_grace"}}),
            "offer #17 Ann withdrawn (you went offline)",
        ),
        (
            json!({"type": "offer_withdrawn", "chat": 17, "reason": "gone", "by": rule}),
            "offer #17 Ann withdrawn (no longer waiting, by rule \"line 2 hands back to line 1\")",
        ),
        (
            json!({"type": "offer_withdrawn", "chat": 17, "reason": "gone", "by": {"kind": "system"}}),
            "offer #17 Ann withdrawn (no longer waiting)",
        ),
        (
            json!({"type": "chat_assigned", "chat": chat(20, "open", "client_waiting"), "by": {"kind": "operator", "id": "sam"}}),
            "assigned by sam: #20  Ann (web:c-42)",
        ),
    ];
    for (value, expected) in rows {
        let line = one(value.clone());
        assert!(line.starts_with(expected), "{value}\n got: {line}\nwant: {expected}");
    }
    let mut held = chat(17, "on_hold", "client_waiting");
    held["responsible"] = json!("alice");
    assert_eq!(
        one(json!({"type": "chat_updated", "chat": held, "by": {"kind": "operator", "id": "sam"}})),
        "updated #17 Ann by sam: status open -> on_hold (waiting on someone else)"
    );
    let by_rule =
        json!({"type": "chat_updated", "chat": chat(40, "open", "new"), "by": {"kind": "rule", "rule": "r"}});
    assert!(one(by_rule).starts_with("updated by rule \"r\": #40  Ann"));
}

#[test]
fn every_status_code_has_plain_words() {
    for status in ["new", "open", "pending", "on_hold", "closed", "spam"] {
        assert!(status_words(status).is_some(), "{status}");
    }
    for detailed in [
        "spam",
        "finished",
        "closing",
        "queued",
        "new",
        "in_work",
        "client_waiting",
        "operator_answered",
        "client_waiting_new_question",
    ] {
        assert!(detailed_words(detailed).is_some(), "{detailed}");
    }
    assert_eq!(status_words("pending"), Some("waiting for the client"));
    assert_eq!(detailed_words("client_waiting_new_question"), Some("the client wrote again"));
    assert_eq!(status_words("thawing"), None);
}

#[test]
fn who_lists_operators_with_presence_and_load() {
    let operators: Operators = serde_json::from_value(json!({"items": [
        {"id": "alice", "name": "Alice", "role": "operator", "lines": ["line1"], "capacity": 5,
         "presence": "online", "active_chats": 2},
        {"id": "sam", "name": "Sam", "role": "supervisor", "lines": ["line1", "line2"], "capacity": 50,
         "presence": "away", "active_chats": 0, "future": true},
        {"id": "xena", "role": "operator", "lines": ["line2"], "capacity": 5, "presence": "offline", "active_chats": 0}
    ]}))
    .unwrap();
    assert_eq!(
        who_lines(&operators, "sam"),
        vec![
            "who: 1 of 3 operators online",
            "  alice (Alice)  online  2 of 5 chats  lines line1  operator",
            "  sam (Sam)  away  0 of 50 chats  lines line1, line2  supervisor, you",
            "  xena  offline  0 of 5 chats  lines line2  operator",
        ]
    );
}

#[test]
fn queues_list_waiting_chats_the_oldest_wait_and_who_is_online() {
    let lines: Lines = serde_json::from_value(json!({"items": [
        {"id": "line1", "strategy": "round_robin", "waiting": 3, "oldest_wait_s": 72.4, "online": 2},
        {"id": "line2", "strategy": "broadcast", "waiting": 0, "oldest_wait_s": null, "online": 0}
    ]}))
    .unwrap();
    assert_eq!(
        queue_lines(&lines),
        vec![
            "queues: 3 waiting in 2 lines",
            "  line1 (round_robin)  3 waiting, oldest 1 min 12 s, 2 online",
            "  line2 (broadcast)  nobody waiting, 0 online",
        ]
    );
    assert_eq!((span(0.4), span(42.0), span(3_725.0)), ("0 s".into(), "42 s".into(), "1 h 2 min".into()));
}
