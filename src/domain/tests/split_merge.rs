//! SPEC 3.1: split, merge with previous, the chain of chats, editable fields.

use super::*;

/// alice answered, finished `pending`; an hour later the client comes back with a new question.
fn reactivated_pending() -> World {
    let mut w = active_open(); // seqs 1 (client), 2 (alice)
    w.advance(60.0);
    w.finish("alice", Status::Pending);
    w.advance(3600.0);
    w.client("different question"); // seq 3 reactivates chat 1
    w
}

#[test]
fn split_moves_the_messages_since_the_reactivation_into_a_new_chat() {
    let mut w = reactivated_pending();
    let finished_at = w.chat(ChatId(1)).split.as_ref().unwrap().prior_metrics.finished_at;
    w.advance(10.0);
    w.client("and another detail"); // seq 4
    let reply = w.ok(Command::Split { by: op("alice"), chat: ChatId(1) });
    assert_eq!(reply, Reply::NewChat(ChatId(2)));
    assert!(w.last_has(|c| matches!(c, Change::SplitOff { chat: ChatId(1), new_chat: ChatId(2) })));

    let new = w.chat(ChatId(2));
    assert_eq!((new.phase, new.status, new.responsible.clone()), (Phase::Active, Status::New, None));
    assert_eq!((new.prev_chat, new.direction), (Some(ChatId(1)), Direction::Incoming));
    assert_eq!(new.metrics.first_client_message_at, Some(T0.after(Span::secs(3660))));
    assert_eq!(new.metrics.last_message_at, Some(T0.after(Span::secs(3670))));
    assert_eq!(w.latest_id(), ChatId(2));

    let old = w.chat(ChatId(1));
    assert_eq!((old.phase, old.status), (Phase::Finished, Status::Pending), "back to the status before");
    assert_eq!(old.next_chat, Some(ChatId(2)));
    assert_eq!(old.metrics.finished_at, finished_at);
    assert_eq!(old.metrics.last_message_at, Some(T0), "its last message is alice's reply");
    assert!(!old.splittable());
}

#[test]
fn a_split_chat_keeps_the_responsible_when_the_chat_had_one() {
    let mut w = finished(Status::Pending);
    w.ok(Command::UpdateChat {
        by: op("alice"),
        chat: ChatId(1),
        fields: FieldsUpdate::default(),
        pinned: Some(true),
    });
    w.available.insert(op("alice"));
    w.client("new topic"); // pinned: straight back to alice
    w.ok(Command::Split { by: op("alice"), chat: ChatId(1) });
    let new = w.chat(ChatId(2));
    assert_eq!(new.responsible, Some(op("alice")), "same responsible");
    assert_eq!(new.detailed_status(), DetailedStatus::ClientWaiting);
    assert!(new.deadlines.inactivity.is_some(), "the inactivity timer moved with it");
    assert_eq!(w.chat(ChatId(1)).deadlines, Deadlines::default());
}

#[test]
fn a_split_after_an_operator_already_answered_the_new_question_starts_open() {
    let mut w = reactivated_pending();
    w.take("bob");
    w.write("bob", "sure, what is it?");
    w.ok(Command::Split { by: op("bob"), chat: ChatId(1) });
    let new = w.chat(ChatId(2));
    assert_eq!((new.status, new.responsible.clone()), (Status::Open, Some(op("bob"))));
    assert_eq!(new.metrics.responses, 1);
}

#[test]
fn messages_after_a_split_go_to_the_new_chat() {
    let mut w = reactivated_pending();
    w.ok(Command::Split { by: op("alice"), chat: ChatId(1) });
    w.client("hello?");
    assert_eq!(w.messages().last(), Some(&(Some(ChatId(2)), "hello?".to_string())));
}

#[test]
fn a_chat_is_split_able_only_until_it_next_finishes() {
    let mut w = reactivated_pending();
    w.take("alice");
    w.finish("alice", Status::Open);
    let err = w.refused(Command::Split { by: op("alice"), chat: ChatId(1) });
    assert_eq!(err.code(), "invalid_transition");
    w.client("again"); // a new reactivation makes it split-able again
    assert!(w.latest().splittable());
}

#[test]
fn a_chat_the_operator_reactivated_is_not_split_able() {
    let mut w = finished(Status::Pending);
    w.write("alice", "any news?");
    assert_eq!(w.refused(Command::Split { by: op("alice"), chat: ChatId(1) }).code(), "invalid_transition");
}

#[test]
fn a_fresh_chat_is_not_split_able() {
    let mut w = active_open();
    assert_eq!(w.refused(Command::Split { by: op("alice"), chat: ChatId(1) }).code(), "invalid_transition");
}

/// Chat 1 was closed by mistake; the client's next message opened chat 2.
fn after_mistaken_close() -> World {
    let mut w = finished(Status::Closed);
    w.advance(30.0);
    w.client("wait, it is not solved"); // chat 2
    w.take("bob");
    w.advance(30.0);
    w.write("bob", "looking into it");
    w
}

#[test]
fn merge_with_previous_appends_the_chat_to_the_closed_one_which_becomes_active_open() {
    let mut w = after_mistaken_close();
    let reply = w.ok(Command::MergePrevious { by: op("bob"), chat: ChatId(2) });
    assert_eq!(reply, Reply::MergedInto(ChatId(1)));
    let prev = w.chat(ChatId(1));
    assert_eq!(
        (prev.phase, prev.status, prev.responsible.clone()),
        (Phase::Active, Status::Open, Some(op("bob")))
    );
    assert_eq!((prev.next_chat, prev.metrics.finished_at), (None, None));
    assert_eq!(prev.metrics.last_message_at, Some(T0.after(Span::secs(60))));
    assert_eq!(prev.metrics.responses, 2, "alice's answer and bob's answer");
    assert!(prev.deadlines.inactivity.is_some());
    let merged = w.chat(ChatId(2));
    assert_eq!((merged.merged_into, merged.phase), (Some(ChatId(1)), Phase::Finished));
    assert_eq!(merged.deadlines, Deadlines::default());
    assert_eq!(w.latest_id(), ChatId(1), "the merged chat disappears");
    w.client("thanks");
    assert_eq!(w.messages().last().unwrap().0, Some(ChatId(1)));
}

#[test]
fn a_merged_chat_refuses_further_commands() {
    let mut w = after_mistaken_close();
    w.ok(Command::MergePrevious { by: op("bob"), chat: ChatId(2) });
    let err = w.refused(Command::SetStatus { by: op("bob"), chat: ChatId(2), status: Status::Pending });
    assert_eq!(err.code(), "invalid_transition");
    assert!(err.to_string().contains("merged into 1"), "{err}");
}

#[test]
fn merge_needs_a_closed_previous_chat() {
    let mut w = active_open();
    assert_eq!(
        w.refused(Command::MergePrevious { by: op("alice"), chat: ChatId(1) }).code(),
        "invalid_transition"
    );
    let mut w = spam();
    w.client("hi again");
    assert_eq!(
        w.refused(Command::MergePrevious { by: op("alice"), chat: ChatId(2) }).code(),
        "invalid_transition"
    );
    let mut w = reactivated_pending();
    w.ok(Command::Split { by: op("alice"), chat: ChatId(1) });
    let err = w.refused(Command::MergePrevious { by: op("alice"), chat: ChatId(2) });
    assert_eq!(err.code(), "invalid_transition", "the split source is pending, not closed");
}

#[test]
fn the_chain_links_every_chat_to_its_previous_and_next() {
    let mut w = finished(Status::Closed);
    w.client("second");
    w.take("alice");
    w.ok(finish("alice", ChatId(2), Status::Closed));
    w.ok(Command::Vote { chat: ChatId(2), score: 2 });
    w.client("third");
    let links: Vec<_> =
        w.conv.chats.iter().map(|c| (c.id.0, c.prev_chat.map(|p| p.0), c.next_chat.map(|n| n.0))).collect();
    assert_eq!(links, vec![(1, None, Some(2)), (2, Some(1), Some(3)), (3, Some(2), None)]);
}

#[test]
fn subject_and_dialog_fields_are_editable_within_the_configured_values() {
    let mut w = finished(Status::Closed);
    let fields = FieldsUpdate {
        subject: Some("Refund for order 42".into()),
        request_type: Some("refund".into()),
        reasons: Some(vec!["feature unclear".into()]),
        components: Some(vec!["funnels".into()]),
    };
    w.ok(Command::UpdateChat { by: op("alice"), chat: ChatId(1), fields, pinned: None });
    let f = &w.latest().fields;
    assert_eq!(f.subject.as_deref(), Some("Refund for order 42"));
    assert_eq!(f.request_type.as_deref(), Some("refund"));
    assert_eq!((f.reasons.len(), f.components.len()), (1, 1));

    let bad = FieldsUpdate { request_type: Some("complaint".into()), ..FieldsUpdate::default() };
    let err = w.refused(Command::UpdateChat { by: op("alice"), chat: ChatId(1), fields: bad, pinned: None });
    assert_eq!(err.code(), "bad_request");
    assert!(err.to_string().contains("request_type"));
    let bad = FieldsUpdate { reasons: Some(vec!["nope".into()]), ..FieldsUpdate::default() };
    assert_eq!(
        w.refused(Command::UpdateChat { by: op("alice"), chat: ChatId(1), fields: bad, pinned: None }).code(),
        "bad_request"
    );
}

#[test]
fn a_subject_over_its_limit_is_too_large_and_one_with_a_line_break_a_bad_request() {
    let mut w = active_open();
    let update = |subject: String| Command::UpdateChat {
        by: op("alice"),
        chat: ChatId(1),
        fields: FieldsUpdate { subject: Some(subject), ..FieldsUpdate::default() },
        pinned: None,
    };
    let long = "s".repeat(crate::domain::text::MAX_SUBJECT_CHARS + 1);
    assert_eq!(w.refused(update(long)).code(), "too_large");
    assert_eq!(w.refused(update("Refund\nX".into())).code(), "bad_request");
    w.ok(update("s".repeat(crate::domain::text::MAX_SUBJECT_CHARS)));
}

#[test]
fn invite_adds_a_participant_once_and_not_to_finished_chats() {
    let mut w = active_open();
    w.ok(Command::Invite { by: op("alice"), chat: ChatId(1), operator: op("xena") });
    w.ok(Command::Invite { by: op("alice"), chat: ChatId(1), operator: op("xena") });
    assert_eq!(w.latest().participants, vec![op("xena")]);
    assert!(w.latest().involves(&op("xena")));
    let mut w = finished(Status::Open);
    assert_eq!(
        w.refused(Command::Invite { by: op("alice"), chat: ChatId(1), operator: op("xena") }).code(),
        "invalid_transition"
    );
    let mut w = active_open();
    assert_eq!(
        w.refused(Command::Invite { by: op("alice"), chat: ChatId(1), operator: op("zed") }).code(),
        "not_found"
    );
}
