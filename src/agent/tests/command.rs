//! Command parsing (a row per command and per kind of bad argument) and the frames commands send,
//! checked against the server's own request parser.

use serde_json::json;

use crate::agent::command::{parse, Command, Fetch, Status, Target};
use crate::ws::frames::{parse as parse_request, OperatorRequest, OPERATOR_TYPES};

/// Parses `line` with current chat 7.
fn ok(line: &str) -> Command {
    match parse(line, Some(7)) {
        Ok(Some(command)) => command,
        other => panic!("{line:?} → {other:?}"),
    }
}

/// The usage line `line` gets.
fn usage(line: &str) -> String {
    match parse(line, Some(7)) {
        Err(usage) => usage.0,
        other => panic!("{line:?} should be refused, got {other:?}"),
    }
}

#[test]
fn every_command_parses() {
    let rows = [
        ("/help", Command::Help),
        ("/my", Command::My),
        ("/new", Command::New),
        ("/quit", Command::Quit),
        ("/away", Command::Presence("away")),
        ("/online", Command::Presence("online")),
        ("/who", Command::Who),
        ("/queues", Command::Queues),
        ("/take 5", Command::Take(5)),
        ("/accept #5", Command::Accept(5)),
        ("/decline 5", Command::Decline(5)),
        ("/reply 5 hello  there ", Command::Reply { chat: 5, text: "hello  there".into() }),
        ("/note 5 call back", Command::Note { chat: 5, text: "call back".into() }),
        ("/status 5 open", Command::SetStatus { chat: 5, status: Status::Open }),
        ("/status 5 on_hold", Command::SetStatus { chat: 5, status: Status::OnHold }),
        (
            "/finish 5 pending",
            Command::Finish { chat: 5, status: Status::Pending, no_vote: false, rating: None },
        ),
        (
            "/finish 5 closed novote rate 3",
            Command::Finish { chat: 5, status: Status::Closed, no_vote: true, rating: Some(3) },
        ),
        (
            "/finish 5 closed rate 1 novote",
            Command::Finish { chat: 5, status: Status::Closed, no_vote: true, rating: Some(1) },
        ),
        ("/spam 5", Command::Spam(5)),
        ("/reopen 5", Command::Reopen(5)),
        ("/forward 5 @bob", Command::Forward { chat: 5, to: Target::Operator("bob".into()) }),
        ("/forward 5 #line2", Command::Forward { chat: 5, to: Target::Line("line2".into()) }),
        ("/invite 5 bob", Command::Invite { chat: 5, operator: "bob".into() }),
        ("/invite 5 @bob", Command::Invite { chat: 5, operator: "bob".into() }),
        ("/history 5", Command::History { chat: 5, before_seq: None }),
        ("/history 5 40", Command::History { chat: 5, before_seq: Some(40) }),
        ("/split 5", Command::Split(5)),
        ("/merge 5", Command::Merge(5)),
        ("  /TAKE 5  ", Command::Take(5)),
    ];
    for (line, expected) in rows {
        assert_eq!(ok(line), expected, "{line}");
    }
}

#[test]
fn a_plain_line_replies_to_the_current_chat() {
    assert_eq!(ok("thanks, one moment"), Command::Reply { chat: 7, text: "thanks, one moment".into() });
    assert_eq!(ok("//slash at the start"), Command::Reply { chat: 7, text: "/slash at the start".into() });
    let refused = parse("hello", None).unwrap_err();
    assert!(refused.0.starts_with("no current chat"), "{refused}");
}

#[test]
fn blank_lines_are_nothing() {
    assert_eq!(parse("", None), Ok(None));
    assert_eq!(parse("   \r\n", Some(1)), Ok(None));
}

#[test]
fn bad_arguments_print_the_usage_line() {
    let rows = [
        ("/take", "usage: /take N"),
        ("/take x", "usage: /take N"),
        ("/take 0", "usage: /take N"),
        ("/take -3", "usage: /take N"),
        ("/take 5 6", "usage: /take N"),
        ("/accept", "usage: /accept N"),
        ("/reply 5", "usage: /reply N text..."),
        ("/reply hello there", "usage: /reply N text..."),
        ("/note 5", "usage: /note N text..."),
        ("/status 5", "usage: /status N open|pending|on_hold"),
        ("/status 5 closed", "usage: /status N open|pending|on_hold"),
        ("/finish 5", "usage: /finish N open|pending|closed [novote] [rate 1-3]"),
        ("/finish 5 on_hold", "usage: /finish N open|pending|closed [novote] [rate 1-3]"),
        ("/finish 5 closed rate 4", "usage: /finish N open|pending|closed [novote] [rate 1-3]"),
        ("/finish 5 closed rate", "usage: /finish N open|pending|closed [novote] [rate 1-3]"),
        ("/finish 5 closed novote novote", "usage: /finish N open|pending|closed [novote] [rate 1-3]"),
        ("/finish 5 closed please", "usage: /finish N open|pending|closed [novote] [rate 1-3]"),
        ("/forward 5 bob", "usage: /forward N @operator | /forward N #line"),
        ("/forward 5 @", "usage: /forward N @operator | /forward N #line"),
        ("/forward 5 @bob sam", "usage: /forward N @operator | /forward N #line"),
        ("/invite 5", "usage: /invite N operator"),
        ("/invite 5 bob sam", "usage: /invite N operator"),
        ("/history 5 x", "usage: /history N [before_seq]"),
        ("/away now", "usage: /away"),
        ("/my tab", "usage: /my"),
        ("/who alice", "usage: /who"),
    ];
    for (line, expected) in rows {
        assert_eq!(usage(line), expected, "{line}");
    }
}

#[test]
fn an_unknown_command_points_to_help() {
    assert_eq!(usage("/bogus 5"), "unknown command /bogus (/help lists the commands)");
}

#[test]
fn commands_become_request_frames_with_their_ref() {
    let rows = [
        ("/take 5", json!({"type": "take", "chat": 5, "ref": 9})),
        ("/accept 5", json!({"type": "accept", "chat": 5, "ref": 9})),
        ("/decline 5", json!({"type": "decline", "chat": 5, "ref": 9})),
        ("/reply 5 hi", json!({"type": "send", "chat": 5, "text": "hi", "ref": 9})),
        ("hi", json!({"type": "send", "chat": 7, "text": "hi", "ref": 9})),
        ("/note 5 vip", json!({"type": "note", "chat": 5, "text": "vip", "ref": 9})),
        ("/status 5 on_hold", json!({"type": "set_status", "chat": 5, "status": "on_hold", "ref": 9})),
        ("/finish 5 open", json!({"type": "finish", "chat": 5, "status": "open", "ref": 9})),
        (
            "/finish 5 closed novote rate 2",
            json!({"type": "finish", "chat": 5, "status": "closed", "request_vote": false,
                   "operator_rating": 2, "ref": 9}),
        ),
        ("/spam 5", json!({"type": "force_finish", "chat": 5, "ref": 9})),
        ("/reopen 5", json!({"type": "reopen", "chat": 5, "ref": 9})),
        ("/forward 5 @bob", json!({"type": "forward", "chat": 5, "to_operator": "bob", "ref": 9})),
        ("/forward 5 #line2", json!({"type": "forward", "chat": 5, "to_line": "line2", "ref": 9})),
        ("/invite 5 bob", json!({"type": "invite", "chat": 5, "operator": "bob", "ref": 9})),
        ("/history 5", json!({"type": "history", "chat": 5, "ref": 9})),
        ("/history 5 12", json!({"type": "history", "chat": 5, "before_seq": 12, "ref": 9})),
        ("/split 5", json!({"type": "split", "chat": 5, "ref": 9})),
        ("/merge 5", json!({"type": "merge_previous", "chat": 5, "ref": 9})),
        ("/away", json!({"type": "presence", "status": "away", "ref": 9})),
        ("/online", json!({"type": "presence", "status": "online", "ref": 9})),
    ];
    for (line, expected) in rows {
        let frame = ok(line).frame(9);
        assert_eq!(frame, Some(expected), "{line}");
        // And the server reads it as the request meant (its own parser, PROTOCOL 3.2).
        let text = frame.map(|f| f.to_string()).unwrap_or_default();
        let read = parse_request::<OperatorRequest>(&text, &OPERATOR_TYPES);
        assert!(read.is_ok(), "{line}: {read:?}");
    }
}

#[test]
fn local_commands_send_nothing() {
    for line in ["/help", "/my", "/new", "/quit", "/who", "/queues"] {
        assert_eq!(ok(line).frame(1), None, "{line}");
    }
}

#[test]
fn who_and_queues_read_the_http_api() {
    assert_eq!(ok("/who").fetch().map(Fetch::path), Some("/api/v1/operators"));
    assert_eq!(ok("/queues").fetch().map(Fetch::path), Some("/api/v1/lines"));
    assert_eq!(ok("/take 5").fetch(), None);
}
