//! SPEC 3: a new message into a conversation. One test per cell of the table (latest chat ×
//! who writes), then the paragraphs under it: `reopen_closed`, `reopen`, `conflict`, writing to
//! any client, pinned chats and reactivation routing.

use super::*;

/// Phase, status and responsible of a chat, for one-line assertions.
fn shape(c: &Chat) -> (Phase, Status, Option<&str>) {
    (c.phase, c.status, c.responsible.as_ref().map(|o| o.as_str()))
}

fn stored(reply: Reply) -> (ChatId, Seq) {
    match reply {
        Reply::Stored { chat: Some(chat), seq } => (chat, seq),
        other => panic!("expected a stored message, got {other:?}"),
    }
}

// ---- row: no chat yet ----

#[test]
fn client_writing_into_an_empty_conversation_opens_an_incoming_new_chat_routed_to_the_channel_line() {
    let mut w = World::new();
    let (chat, seq) = stored(w.client("hello"));
    let c = w.chat(chat);
    assert_eq!(shape(c), (Phase::Active, Status::New, None));
    assert_eq!((c.direction, c.line.as_str(), c.prev_chat), (Direction::Incoming, "line1", None));
    assert!(c.needs_routing(), "an unassigned active chat goes to the supervisor");
    assert_eq!(c.metrics.queued_at, Some(T0));
    assert_eq!(seq, 1);
}

#[test]
fn operator_writing_into_an_empty_conversation_opens_an_outgoing_open_chat_pinned_to_the_writer() {
    let mut w = World::new();
    let (chat, _) = stored(w.write("xena", "we tried to call you"));
    let c = w.chat(chat);
    assert_eq!(shape(c), (Phase::Active, Status::Open, Some("xena")));
    assert_eq!((c.direction, c.pinned, c.line.as_str()), (Direction::Outgoing, true, "line1"));
    assert_eq!(c.metrics.queued_at, None, "an outgoing chat never waits in a queue");
    assert_eq!(c.detailed_status(), DetailedStatus::OperatorAnswered);
}

// ---- row: latest chat active ----

#[test]
fn client_writing_into_an_active_chat_is_appended_to_it() {
    let mut w = active_open();
    let (chat, seq) = stored(w.client("one more thing"));
    assert_eq!(chat, ChatId(1));
    assert_eq!(seq, 3);
    assert_eq!(shape(w.latest()), (Phase::Active, Status::Open, Some("alice")));
    assert_eq!(w.latest().detailed_status(), DetailedStatus::ClientWaitingNewQuestion);
}

#[test]
fn client_writing_into_an_active_pending_chat_makes_it_open() {
    let mut w = active_open();
    w.set_status(Status::Pending);
    w.client("here is the photo");
    assert_eq!(shape(w.latest()), (Phase::Active, Status::Open, Some("alice")));
}

#[test]
fn client_writing_into_an_active_on_hold_chat_makes_it_open() {
    let mut w = active_open();
    w.set_status(Status::OnHold);
    w.client("any news?");
    assert_eq!(shape(w.latest()), (Phase::Active, Status::Open, Some("alice")));
}

#[test]
fn client_writing_into_an_active_new_chat_keeps_it_new() {
    let mut w = active_new();
    w.client("anyone there?");
    assert_eq!(shape(w.latest()), (Phase::Active, Status::New, None));
}

#[test]
fn operator_first_reply_turns_new_into_open() {
    let mut w = active_taken();
    assert_eq!(w.latest().status, Status::New);
    w.write("alice", "hi!");
    assert_eq!(shape(w.latest()), (Phase::Active, Status::Open, Some("alice")));
}

#[test]
fn operator_writing_into_an_unassigned_active_chat_becomes_its_responsible() {
    let mut w = active_new();
    w.write("bob", "hi, I'm Bob");
    let c = w.latest();
    assert_eq!(shape(c), (Phase::Active, Status::Open, Some("bob")));
    assert_eq!(c.assigned_via, Some(AssignVia::Wrote));
    assert!(!c.needs_routing(), "the supervisor withdraws any offer when the chat leaves the queue");
}

#[test]
fn operator_writing_into_a_chat_someone_else_handles_does_not_change_the_responsible() {
    let mut w = active_open();
    w.write("bob", "let me add something");
    assert_eq!(shape(w.latest()), (Phase::Active, Status::Open, Some("alice")));
}

// ---- row: latest chat closing ----

#[test]
fn client_message_other_than_a_vote_during_closing_finishes_without_rating_and_opens_a_chained_chat() {
    let mut w = closing();
    let (chat, _) = stored(w.client("actually, one more question"));
    let old = w.chat(ChatId(1));
    assert_eq!(shape(old), (Phase::Finished, Status::Closed, Some("alice")));
    assert_eq!(old.client_rating, None);
    assert_eq!(old.next_chat, Some(chat));
    let new = w.chat(chat);
    assert_eq!(shape(new), (Phase::Active, Status::New, None));
    assert_eq!(new.prev_chat, Some(ChatId(1)));
}

#[test]
fn operator_message_during_closing_is_appended_without_state_change() {
    let mut w = closing();
    let before = w.latest().clone();
    let (chat, _) = stored(w.write("alice", "thanks for waiting"));
    assert_eq!(chat, before.id);
    let after = w.latest();
    assert_eq!((after.phase, after.status, after.deadlines), (before.phase, before.status, before.deadlines));
}

// ---- row: latest chat finished open / pending / on_hold ----

fn client_reactivates(status: Status) {
    let mut w = if status == Status::OnHold {
        let mut w = finished(Status::Pending);
        w.set_status(Status::OnHold);
        w
    } else {
        finished(status)
    };
    let (chat, seq) = stored(w.client("I'm back"));
    assert_eq!(chat, ChatId(1), "the same chat is reactivated");
    let c = w.chat(chat);
    assert_eq!((c.phase, c.status), (Phase::Active, Status::Open));
    assert!(c.splittable());
    assert_eq!(c.split.as_ref().map(|s| s.from_seq), Some(seq), "split-able from this message");
}

#[test]
fn client_writing_after_a_chat_finished_open_reactivates_it_as_open_and_splittable() {
    client_reactivates(Status::Open);
}

#[test]
fn client_writing_after_a_chat_finished_pending_reactivates_it_as_open_and_splittable() {
    client_reactivates(Status::Pending);
}

#[test]
fn client_writing_after_a_chat_finished_on_hold_reactivates_it_as_open_and_splittable() {
    client_reactivates(Status::OnHold);
}

#[test]
fn operator_writing_after_a_chat_finished_pending_reactivates_it_keeping_its_status() {
    let mut w = finished(Status::Pending);
    let (chat, _) = stored(w.write("alice", "did the photo arrive?"));
    assert_eq!(chat, ChatId(1));
    let c = w.chat(chat);
    assert_eq!(shape(c), (Phase::Active, Status::Pending, Some("alice")));
    assert!(!c.splittable(), "only a client's reactivation is split-able");
}

#[test]
fn operator_writing_into_a_finished_chat_without_responsible_becomes_its_responsible() {
    // a supervisor finished the chat before anyone took it: it has no responsible
    let mut w = World::new();
    w.client("hi");
    let chat = w.latest_id();
    w.ok(Command::Finish {
        by: op("sam"),
        chat,
        status: Status::Open,
        operator_rating: None,
        request_vote: None,
    });
    assert_eq!(w.latest().responsible, None);
    w.write("bob", "getting back to you");
    assert_eq!(shape(w.latest()), (Phase::Active, Status::Open, Some("bob")));
    assert_eq!(w.latest().assigned_via, Some(AssignVia::Wrote));
}

// ---- row: latest chat finished closed / spam ----

#[test]
fn client_writing_after_a_closed_chat_opens_a_new_chained_incoming_chat() {
    let mut w = finished(Status::Closed);
    let (chat, _) = stored(w.client("new question"));
    assert_eq!(chat, ChatId(2));
    assert_eq!(shape(w.chat(chat)), (Phase::Active, Status::New, None));
    assert_eq!(w.chat(chat).prev_chat, Some(ChatId(1)));
    assert_eq!(w.chat(ChatId(1)).next_chat, Some(chat));
    assert_eq!(shape(w.chat(ChatId(1))), (Phase::Finished, Status::Closed, Some("alice")));
}

#[test]
fn client_writing_after_a_spam_chat_opens_a_new_chained_incoming_chat() {
    let mut w = spam();
    let (chat, _) = stored(w.client("hello again"));
    assert_eq!(chat, ChatId(2));
    assert_eq!(shape(w.chat(chat)), (Phase::Active, Status::New, None));
    assert_eq!(w.chat(chat).prev_chat, Some(ChatId(1)));
}

#[test]
fn operator_writing_after_a_closed_chat_opens_a_new_outgoing_chat_pinned_to_the_writer() {
    let mut w = finished(Status::Closed);
    let (chat, _) = stored(w.write("xena", "following up"));
    let c = w.chat(chat);
    assert_eq!(shape(c), (Phase::Active, Status::Open, Some("xena")));
    assert_eq!((c.direction, c.pinned, c.prev_chat), (Direction::Outgoing, true, Some(ChatId(1))));
}

#[test]
fn operator_writing_after_a_spam_chat_opens_a_new_outgoing_chat() {
    let mut w = spam();
    let (chat, _) = stored(w.write("alice", "hello"));
    assert_eq!(chat, ChatId(2));
    assert_eq!(w.chat(chat).direction, Direction::Outgoing);
}

// ---- the paragraphs under the table ----

#[test]
fn with_reopen_closed_a_client_message_after_closed_reactivates_that_chat() {
    let mut w = World::in_channel("widget");
    w.client("hi");
    w.take("alice");
    w.write("alice", "hello");
    let chat = w.latest_id();
    w.ok(Command::Finish {
        by: op("alice"),
        chat,
        status: Status::Closed,
        operator_rating: None,
        request_vote: Some(false),
    });
    let (again, _) = stored(w.client("it broke again"));
    assert_eq!(again, chat);
    assert_eq!(
        (w.latest().phase, w.latest().status, w.latest().splittable()),
        (Phase::Active, Status::Open, true)
    );
}

#[test]
fn with_reopen_closed_a_message_during_closing_reactivates_the_same_chat() {
    let mut w = World::in_channel("widget");
    w.client("hi");
    w.take("alice");
    w.write("alice", "hello");
    w.finish("alice", Status::Closed);
    assert_eq!(w.latest().phase, Phase::Closing);
    let (again, _) = stored(w.client("wait"));
    assert_eq!(again, ChatId(1));
    assert_eq!(
        (w.latest().phase, w.latest().status, w.latest().client_rating),
        (Phase::Active, Status::Open, None)
    );
}

#[test]
fn an_operator_can_reopen_the_latest_chat_when_it_is_closed() {
    let mut w = finished(Status::Closed);
    w.ok(Command::Reopen { by: op("bob"), chat: ChatId(1) });
    assert_eq!(shape(w.latest()), (Phase::Active, Status::Open, Some("bob")));
}

#[test]
fn reopening_an_older_closed_chat_is_a_conflict_naming_the_latest() {
    let mut w = finished(Status::Closed);
    w.client("new question");
    let err = w.refused(Command::Reopen { by: op("alice"), chat: ChatId(1) });
    assert_eq!(err, DomainError::Conflict { chat: ChatId(1), latest: ChatId(2) });
    assert_eq!(err.code(), "conflict");
}

#[test]
fn reopening_a_chat_that_is_not_closed_is_an_invalid_transition() {
    for mut w in [finished(Status::Pending), active_open(), spam(), closing()] {
        let err = w.refused(Command::Reopen { by: op("alice"), chat: ChatId(1) });
        assert_eq!(err.code(), "invalid_transition", "{err}");
    }
}

#[test]
fn writing_into_a_chat_that_is_not_the_latest_fails_with_conflict_naming_the_latest() {
    let mut w = finished(Status::Closed);
    w.client("new question");
    let err = w.refused(Command::OperatorMessage {
        by: op("alice"),
        chat: Some(ChatId(1)),
        text: "reply to the old one".into(),
        client_msg_id: None,
    });
    assert_eq!(err, DomainError::Conflict { chat: ChatId(1), latest: ChatId(2) });
    assert!(err.to_string().contains("the latest is 2"));
}

#[test]
fn writing_into_an_unknown_chat_is_not_found() {
    let mut w = active_open();
    let err = w.refused(Command::OperatorMessage {
        by: op("alice"),
        chat: Some(ChatId(99)),
        text: "hi".into(),
        client_msg_id: None,
    });
    assert_eq!(err.code(), "not_found");
}

#[test]
fn any_operator_may_write_to_any_client_and_the_chat_takes_the_channel_line() {
    let mut w = World::new();
    w.write("xena", "line 2 here"); // xena is only in line2; web's line is line1
    assert_eq!(w.latest().line.as_str(), "line1");
}

#[test]
fn empty_text_is_a_bad_request_and_changes_nothing() {
    let mut w = active_open();
    let err = w.refused(Command::ClientMessage {
        text: "  ".into(),
        client_msg_id: None,
        name: None,
        page_url: None,
    });
    assert_eq!(err.code(), "bad_request");
}

#[test]
fn a_client_name_or_page_url_over_its_limit_or_with_control_characters_changes_nothing() {
    let mut w = active_open();
    let message = |name: Option<String>, page_url: Option<String>| Command::ClientMessage {
        text: "hello".into(),
        client_msg_id: None,
        name,
        page_url,
    };
    let long_name = "n".repeat(crate::domain::text::MAX_NAME_CHARS + 1);
    assert_eq!(w.refused(message(Some(long_name), None)).code(), "too_large");
    assert_eq!(w.refused(message(Some("Ann\r\nX".into()), None)).code(), "bad_request");
    let long_url = format!("https://x/{}", "a".repeat(crate::domain::text::MAX_PAGE_URL_CHARS));
    assert_eq!(w.refused(message(None, Some(long_url))).code(), "too_large");
    assert_eq!(w.refused(message(None, Some("https://x/\u{1b}[2J".into()))).code(), "bad_request");
    w.ok(message(Some("Ann".into()), Some("https://shop.example/cart".into())));
}

#[test]
fn an_unknown_operator_cannot_write() {
    let mut w = active_open();
    let err = w.refused(Command::OperatorMessage {
        by: op("nobody"),
        chat: None,
        text: "x".into(),
        client_msg_id: None,
    });
    assert_eq!(err.code(), "not_found");
}

// ---- pinning and reactivation routing ----

#[test]
fn a_pinned_chat_reactivated_by_its_client_goes_straight_to_its_available_responsible() {
    let mut w = finished(Status::Pending);
    w.ok(Command::UpdateChat {
        by: op("alice"),
        chat: ChatId(1),
        fields: FieldsUpdate::default(),
        pinned: Some(true),
    });
    w.available.insert(op("alice"));
    w.client("here it is");
    let c = w.latest();
    assert_eq!(shape(c), (Phase::Active, Status::Open, Some("alice")));
    assert_eq!(c.assigned_via, Some(AssignVia::Pinned));
    assert!(!c.needs_routing());
}

#[test]
fn a_pinned_chat_whose_responsible_cannot_take_it_goes_back_through_the_supervisor() {
    let mut w = finished(Status::Pending);
    w.ok(Command::UpdateChat {
        by: op("alice"),
        chat: ChatId(1),
        fields: FieldsUpdate::default(),
        pinned: Some(true),
    });
    w.client("here it is");
    let c = w.latest();
    assert_eq!(shape(c), (Phase::Active, Status::Open, None));
    assert!(c.needs_routing());
    assert_eq!(c.metrics.queued_at, Some(w.now));
}

#[test]
fn an_unpinned_chat_reactivated_by_its_client_loses_its_responsible_and_lands_in_new() {
    let mut w = finished(Status::Open);
    w.available.insert(op("alice"));
    w.client("hello?");
    assert_eq!(shape(w.latest()), (Phase::Active, Status::Open, None));
    assert!(w.latest().needs_routing());
}

#[test]
fn an_operator_who_writes_into_a_finished_chat_keeps_handling_it() {
    let mut w = finished(Status::Open);
    w.write("alice", "I have an update");
    assert_eq!(shape(w.latest()), (Phase::Active, Status::Open, Some("alice")));
    assert!(!w.latest().needs_routing());
}

#[test]
fn forward_unpins_and_assign_line_rule_unpins() {
    let mut w = World::new();
    w.write("alice", "hello"); // outgoing: pinned to alice
    assert!(w.latest().pinned);
    w.ok(Command::Forward { by: op("alice"), chat: ChatId(1), to: ForwardTarget::Operator(op("bob")) });
    assert_eq!((w.latest().pinned, w.latest().responsible.clone()), (false, Some(op("bob"))));
}

#[test]
fn pinning_needs_a_responsible() {
    let mut w = active_new();
    let err = w.refused(Command::UpdateChat {
        by: op("sam"),
        chat: ChatId(1),
        fields: FieldsUpdate::default(),
        pinned: Some(true),
    });
    assert_eq!(err.code(), "invalid_transition");
}
