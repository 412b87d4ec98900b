//! The console's state machine: welcome, one request in flight matched by `ref`, the current
//! chat, the local tabs kept from events, HTTP reads (`/who`, `/queues`) in flight like requests.

use serde_json::{json, Value};

use super::render::chat;
use crate::agent::command::Fetch;
use crate::agent::console::{Console, Step};

fn welcomed() -> Console {
    let mut console = Console::new("k");
    let welcome = json!({"type": "welcome",
        "operator": {"id": "alice", "name": "Alice", "role": "operator", "lines": ["line1"], "capacity": 5},
        "my": [], "new": [chat(3, "new", "new")]});
    let lines = console.welcome(&welcome.to_string()).unwrap();
    assert_eq!(lines[0], "connected as Alice (alice), role operator, lines line1, capacity 5");
    assert!(lines.iter().any(|l| l.contains("/help")), "the help follows the welcome");
    console
}

fn sent(step: Step) -> Value {
    match step {
        Step::Send(frame) => frame,
        other => panic!("expected a request, got {other:?}"),
    }
}

fn printed(step: Step) -> Vec<String> {
    match step {
        Step::Print(lines) => lines,
        other => panic!("expected lines, got {other:?}"),
    }
}

fn out(console: &mut Console, frame: Value) -> Vec<String> {
    console.on_frame(&frame.to_string()).out
}

#[test]
fn the_first_frame_must_be_a_welcome() {
    let mut console = Console::new("k");
    let refused =
        console.welcome(r#"{"type":"error","code":"unavailable","message":"cannot load the tabs"}"#);
    assert_eq!(refused, Err("error unavailable: cannot load the tabs".to_string()));
    assert!(console.welcome(r#"{"type":"pong"}"#).is_err());
}

#[test]
fn a_request_is_in_flight_until_its_ack_and_then_its_chat_is_current() {
    let mut console = welcomed();
    assert_eq!(console.current(), None);
    let frame = sent(console.on_line("/take 3\n"));
    assert_eq!(frame, json!({"type": "take", "chat": 3, "ref": 1}));
    assert!(console.busy());
    // Events in between print and leave the request waiting.
    let lines = out(&mut console, json!({"type": "chat_assigned", "chat": chat(3, "open", "new")}));
    assert!(lines[0].starts_with("assigned #3"), "{lines:?}");
    assert!(console.busy());
    // An ack of another ref does not answer it.
    let stray = out(&mut console, json!({"type": "ack", "ref": 99}));
    assert!(stray[0].starts_with("ok (an answer to no pending request"), "{stray:?}");
    assert!(console.busy());
    assert_eq!(out(&mut console, json!({"type": "ack", "ref": 1})), vec!["ok take 3"]);
    assert!(!console.busy());
    assert_eq!(console.current(), Some(3));
    // A plain line now goes to chat 3, with the next ref and an idempotency key of its own.
    assert_eq!(
        sent(console.on_line("hello")),
        json!({"type": "send", "chat": 3, "text": "hello", "ref": 2, "client_msg_id": "k-2"})
    );
}

#[test]
fn an_error_answers_the_request_and_leaves_the_current_chat() {
    let mut console = welcomed();
    sent(console.on_line("/split 3"));
    let lines = out(
        &mut console,
        json!({"type": "error", "ref": 1, "code": "invalid_transition", "message": "chat 3 is not split-able"}),
    );
    assert_eq!(lines, vec!["error invalid_transition: chat 3 is not split-able"]);
    assert!(!console.busy());
    assert_eq!(console.current(), None, "a failed command acted on nothing");
    assert!(printed(console.on_line("hi"))[0].starts_with("no current chat"));
}

#[test]
fn an_assigned_chat_becomes_current_only_when_there_is_none() {
    let mut console = welcomed();
    out(&mut console, json!({"type": "chat_assigned", "chat": chat(8, "open", "new")}));
    assert_eq!(console.current(), Some(8));
    // A chat routed in later does not redirect the next plain line.
    out(&mut console, json!({"type": "chat_assigned", "chat": chat(9, "open", "new")}));
    assert_eq!(console.current(), Some(8));
    assert_eq!(sent(console.on_line("still you")).get("chat"), Some(&json!(8)));
    out(&mut console, json!({"type": "ack", "ref": 1}));
    // Declining another chat leaves the current one.
    sent(console.on_line("/decline 10"));
    out(&mut console, json!({"type": "ack", "ref": 2}));
    assert_eq!(console.current(), Some(8));
}

#[test]
fn a_chat_given_away_or_removed_stops_being_current() {
    let rows = [
        "/finish 8 pending",
        "/finish 8 closed",
        "/spam 8",
        "/forward 8 @bob",
        "/forward 8 #line2",
        "/decline 8",
    ];
    for line in rows {
        let mut console = welcomed();
        out(&mut console, json!({"type": "chat_assigned", "chat": chat(8, "open", "new")}));
        sent(console.on_line(line));
        out(&mut console, json!({"type": "ack", "ref": 1}));
        assert_eq!(console.current(), None, "{line}");
        assert!(printed(console.on_line("hi"))[0].starts_with("no current chat"), "{line}");
    }
    // The server's removal does it too, whatever caused it.
    let mut console = welcomed();
    out(&mut console, json!({"type": "chat_assigned", "chat": chat(8, "open", "new")}));
    out(&mut console, json!({"type": "chat_removed", "chat": 8, "reason": "reassigned"}));
    assert_eq!(console.current(), None);
    // Removing another chat leaves the current one.
    sent(console.on_line("/take 3"));
    out(&mut console, json!({"type": "ack", "ref": 1}));
    out(&mut console, json!({"type": "chat_removed", "chat": 8, "reason": "finished"}));
    assert_eq!(console.current(), Some(3));
}

#[test]
fn local_commands_and_usage_send_nothing() {
    let mut console = welcomed();
    assert_eq!(printed(console.on_line("/my")), vec!["My (0):"]);
    let new = printed(console.on_line("/new"));
    assert_eq!(new[0], "New (1):");
    assert!(new[1].starts_with("  #3  Ann"), "{new:?}");
    assert_eq!(printed(console.on_line("/take x")), vec!["usage: /take N"]);
    assert_eq!(printed(console.on_line("")), Vec::<String>::new());
    assert!(printed(console.on_line("/help")).len() > 3);
    assert!(!console.busy());
    assert_eq!(console.on_line("/quit"), Step::Quit);
}

#[test]
fn the_tabs_follow_the_events() {
    let mut console = welcomed();
    out(&mut console, json!({"type": "offer", "chat": chat(5, "new", "new"), "expires_in_ms": 30_000}));
    let new = printed(console.on_line("/new"));
    assert!(new.contains(&"Offers (1):".to_string()), "{new:?}");
    out(&mut console, json!({"type": "chat_assigned", "chat": chat(5, "open", "new")}));
    out(&mut console, json!({"type": "chat_removed", "chat": 3, "reason": "taken"}));
    let tabs = console.tabs();
    assert_eq!(tabs.my.keys().copied().collect::<Vec<_>>(), vec![5]);
    assert!(tabs.new.is_empty() && tabs.offers.is_empty());
    // A change to a chat that is now mine adds it to My.
    let mut joined = chat(6, "open", "client_waiting");
    joined["participants"] = json!(["alice"]);
    out(&mut console, json!({"type": "chat_updated", "chat": joined}));
    out(&mut console, json!({"type": "chat_removed", "chat": 5, "reason": "finished"}));
    assert_eq!(console.tabs().my.keys().copied().collect::<Vec<_>>(), vec![6]);
}

#[test]
fn an_unanswered_request_expires() {
    let mut console = welcomed();
    sent(console.on_line("/take 3"));
    assert_eq!(console.expire().as_deref(), Some("no answer to /take (ref 1) in time; going on"));
    assert!(!console.busy());
    assert_eq!(console.expire(), None);
}

#[test]
fn unreadable_frames_are_diagnostics_and_pongs_are_silent() {
    let mut console = welcomed();
    let printed = console.on_frame(r#"{"type":"surprise"}"#);
    assert!(printed.out.is_empty());
    assert!(printed.err[0].starts_with("unreadable frame"), "{:?}", printed.err);
    assert!(console.on_frame(r#"{"type":"pong","ref":1}"#).out.is_empty());
}

#[test]
fn who_and_queues_are_http_reads_in_flight_like_requests() {
    let mut console = welcomed();
    assert_eq!(console.on_line("/who"), Step::Fetch(Fetch::Operators));
    assert!(console.busy(), "the next line waits for the answer");
    // An answer to something else is not this one.
    assert!(console.on_fetched(Fetch::Lines, Ok((200, r#"{"items":[]}"#.into()))).is_empty());
    assert!(console.busy());
    let body = json!({"items": [{"id": "alice", "name": "Alice", "role": "operator", "lines": ["line1"],
        "capacity": 5, "presence": "online", "active_chats": 1}]});
    let lines = console.on_fetched(Fetch::Operators, Ok((200, body.to_string())));
    assert_eq!(
        lines,
        vec![
            "who: 1 of 1 operators online",
            "  alice (Alice)  online  1 of 5 chats  lines line1  operator, you"
        ]
    );
    assert!(!console.busy());

    assert_eq!(console.on_line("/queues"), Step::Fetch(Fetch::Lines));
    let refused = json!({"error": {"code": "forbidden", "message": "supervisors only"}});
    assert_eq!(
        console.on_fetched(Fetch::Lines, Ok((403, refused.to_string()))),
        vec!["error forbidden: supervisors only"]
    );
    assert_eq!(console.on_line("/queues"), Step::Fetch(Fetch::Lines));
    assert_eq!(
        console.on_fetched(Fetch::Lines, Err("connection refused".into())),
        vec!["error: GET /api/v1/lines failed: connection refused"]
    );
    assert_eq!(console.on_line("/queues"), Step::Fetch(Fetch::Lines));
    assert_eq!(
        console.expire().as_deref(),
        Some("no answer to /queues (GET /api/v1/lines) in time; going on")
    );
    assert!(console.on_fetched(Fetch::Lines, Ok((200, r#"{"items":[]}"#.into()))).is_empty(), "given up");
}

#[test]
fn a_reply_is_echoed_when_acknowledged_and_a_vote_is_printed() {
    let mut console = welcomed();
    sent(console.on_line("/take 3"));
    out(&mut console, json!({"type": "ack", "ref": 1}));
    sent(console.on_line("your refund is on its way"));
    assert_eq!(
        out(&mut console, json!({"type": "ack", "ref": 2, "chat": 3, "seq": 4})),
        vec!["ok reply 3: seq 4", "[chat 3] you: your refund is on its way"]
    );
    assert_eq!(
        out(&mut console, json!({"type": "client_voted", "chat": 3, "score": 2, "label": "Normal"})),
        vec!["client voted 2 (Normal) on #3 Ann"]
    );
}

#[test]
fn a_removal_by_a_rule_says_so_and_ends_the_current_chat() {
    let mut console = welcomed();
    out(
        &mut console,
        json!({"type": "chat_assigned", "chat": chat(8, "open", "new"),
        "by": {"kind": "operator", "id": "alice"}}),
    );
    assert_eq!(console.current(), Some(8));
    let lines = out(
        &mut console,
        json!({"type": "chat_removed", "chat": 8, "reason": "finished",
               "by": {"kind": "rule", "rule": "line 2 hands back to line 1"}}),
    );
    assert_eq!(lines, vec!["removed #8 Ann (finished by rule \"line 2 hands back to line 1\")"]);
    assert_eq!(console.current(), None);
}

#[test]
fn a_chat_removed_before_the_ack_of_a_reply_does_not_become_current_again() {
    let mut console = welcomed();
    out(&mut console, json!({"type": "chat_assigned", "chat": chat(8, "open", "new")}));
    sent(console.on_line("anything else?"));
    // A rule acting on the reply finishes the chat; its removal overtakes the ack.
    out(
        &mut console,
        json!({"type": "chat_removed", "chat": 8, "reason": "finished",
        "by": {"kind": "rule", "rule": "line 2 hands back to line 1"}}),
    );
    assert_eq!(
        out(&mut console, json!({"type": "ack", "ref": 1, "chat": 8, "seq": 3}))[0],
        "ok reply 8: seq 3"
    );
    assert_eq!(console.current(), None);
    assert!(printed(console.on_line("hello?"))[0].starts_with("no current chat"));
    // The removal of another chat while a request is in flight changes nothing.
    sent(console.on_line("/take 3"));
    out(&mut console, json!({"type": "chat_removed", "chat": 9, "reason": "finished"}));
    out(&mut console, json!({"type": "ack", "ref": 2}));
    assert_eq!(console.current(), Some(3));
}
