//! Who is told what after each kind of change (PROTOCOL 3.2-3.3).

use super::*;

/// Runs `command` on `w` and returns the deliveries, with `watchers` for queued chats.
fn deliveries(w: &mut World, command: Command, watchers: &[&str]) -> Vec<Delivery> {
    let before = w.conv.clone();
    w.ok(command);
    let list: Vec<OperatorId> = watchers.iter().map(|o| op(o)).collect();
    fanout(&before, &w.conv, &w.last, &w.last_causes, &w.settings.rating, &|_| list.clone())
}

fn client_msg(text: &str) -> Command {
    Command::ClientMessage { text: text.into(), client_msg_id: None, name: None, page_url: None }
}

/// A compact picture of the deliveries: ("alice,bob", "message"), ("client", "vote_request").
fn summary(ds: &[Delivery]) -> Vec<(String, &'static str)> {
    ds.iter()
        .map(|d| match d {
            Delivery::Operators(ops, n) => {
                let who = ops.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(",");
                let what = match n {
                    OperatorNotice::ChatNew(_) => "chat_new",
                    OperatorNotice::Offer { .. } => "offer",
                    OperatorNotice::OfferWithdrawn { .. } => "offer_withdrawn",
                    OperatorNotice::ChatAssigned { .. } => "chat_assigned",
                    OperatorNotice::ChatUpdated { .. } => "chat_updated",
                    OperatorNotice::ClientVoted { .. } => "client_voted",
                    OperatorNotice::ChatRemoved { reason, .. } => reason.as_str(),
                    OperatorNotice::Message(_) => "message",
                    OperatorNotice::Typing { .. } => "typing",
                    OperatorNotice::Presence { .. } => "presence",
                    OperatorNotice::Closing => "closing",
                    OperatorNotice::Resync => "resync",
                };
                (who, what)
            }
            Delivery::Client(n) => (
                "client".to_string(),
                match n {
                    ClientNotice::Message(_) => "message",
                    ClientNotice::Typing => "typing",
                    ClientNotice::Queue { .. } => "queue",
                    ClientNotice::VoteRequest { .. } => "vote_request",
                    ClientNotice::VoteThanks { .. } => "vote_thanks",
                    ClientNotice::ChatFinished { .. } => "chat_finished",
                    ClientNotice::Closing => "closing",
                    ClientNotice::Resync => "resync",
                },
            ),
        })
        .collect()
}

fn s(who: &str, what: &'static str) -> (String, &'static str) {
    (who.to_string(), what)
}

#[test]
fn a_client_message_in_a_queued_chat_reaches_its_watchers_and_the_clients_other_tabs() {
    let mut w = active_new();
    let ds = deliveries(&mut w, client_msg("anyone?"), &["alice", "bob"]);
    assert_eq!(
        summary(&ds),
        vec![s("alice,bob", "chat_updated"), s("alice,bob", "message"), s("client", "message")]
    );
}

#[test]
fn a_new_chat_is_announced_by_the_supervisor_not_by_the_conversation() {
    let mut w = World::new();
    let ds = deliveries(&mut w, client_msg("hello"), &[]);
    assert_eq!(summary(&ds), vec![s("client", "message")]);
}

#[test]
fn a_take_puts_the_chat_in_the_takers_my_tab() {
    let mut w = active_new();
    let ds = deliveries(&mut w, Command::Take { by: op("alice"), chat: ChatId(1) }, &["alice", "bob"]);
    assert_eq!(summary(&ds), vec![s("alice", "chat_assigned")]);
}

#[test]
fn an_operator_reply_reaches_the_my_tab_and_the_client() {
    let mut w = active_taken();
    let ds = deliveries(
        &mut w,
        Command::OperatorMessage { by: op("alice"), chat: None, text: "hi".into(), client_msg_id: None },
        &[],
    );
    assert_eq!(summary(&ds), vec![s("alice", "chat_updated"), s("alice", "message"), s("client", "message")]);
}

#[test]
fn a_message_by_an_operator_outside_the_tabs_also_reaches_the_authors_other_sockets() {
    let mut w = active_open();
    let ds = deliveries(
        &mut w,
        Command::OperatorMessage { by: op("bob"), chat: None, text: "fyi".into(), client_msg_id: None },
        &[],
    );
    assert!(summary(&ds).contains(&s("alice,bob", "message")), "{:?}", summary(&ds));
}

#[test]
fn a_private_note_never_reaches_the_client() {
    let mut w = active_open();
    let ds = deliveries(&mut w, Command::Note { by: op("alice"), chat: ChatId(1), text: "vip".into() }, &[]);
    assert_eq!(summary(&ds), vec![s("alice", "chat_updated"), s("alice", "message")]);
}

#[test]
fn finishing_removes_the_chat_from_my_and_tells_the_client() {
    let mut w = active_open();
    let ds = deliveries(&mut w, finish("alice", ChatId(1), Status::Pending), &[]);
    assert_eq!(summary(&ds), vec![s("alice", "finished"), s("client", "chat_finished")]);
}

#[test]
fn closing_keeps_the_chat_in_my_and_asks_the_client_to_vote_then_the_vote_finishes_it() {
    let mut w = active_open();
    let ds = deliveries(&mut w, finish("alice", ChatId(1), Status::Closed), &[]);
    assert_eq!(summary(&ds), vec![s("alice", "chat_updated"), s("client", "vote_request")]);
    let ds = deliveries(&mut w, Command::Vote { chat: ChatId(1), score: 3 }, &[]);
    assert_eq!(
        summary(&ds),
        vec![
            s("alice", "client_voted"),
            s("alice", "finished"),
            s("client", "vote_thanks"),
            s("client", "chat_finished")
        ]
    );
    let Delivery::Client(ClientNotice::VoteThanks { text, .. }) = &ds[2] else { panic!() };
    assert_eq!(text, "Thank you for your feedback!");
}

#[test]
fn a_vote_request_offers_the_three_configured_labels() {
    let mut w = active_open();
    let ds = deliveries(&mut w, finish("alice", ChatId(1), Status::Closed), &[]);
    let Some(Delivery::Client(ClientNotice::VoteRequest { options, .. })) = ds.last() else {
        panic!("{ds:?}")
    };
    assert_eq!(**options, [(1, "Bad".to_string()), (2, "Normal".to_string()), (3, "Excellent".to_string())]);
}

#[test]
fn a_forward_to_an_operator_moves_the_chat_between_my_tabs() {
    let mut w = active_open();
    let to = ForwardTarget::Operator(op("bob"));
    let ds = deliveries(&mut w, Command::Forward { by: op("alice"), chat: ChatId(1), to }, &[]);
    assert_eq!(summary(&ds), vec![s("bob", "chat_assigned"), s("alice", "reassigned")]);
}

#[test]
fn a_forward_to_a_line_removes_the_chat_as_moved() {
    let mut w = active_open();
    let to = ForwardTarget::Line(line("line2"));
    let ds = deliveries(&mut w, Command::Forward { by: op("alice"), chat: ChatId(1), to }, &[]);
    assert_eq!(summary(&ds), vec![s("alice", "moved")]);
}

#[test]
fn an_invited_operator_gets_the_chat_in_my() {
    let mut w = active_open();
    let ds =
        deliveries(&mut w, Command::Invite { by: op("alice"), chat: ChatId(1), operator: op("xena") }, &[]);
    assert_eq!(summary(&ds), vec![s("xena", "chat_assigned"), s("alice", "chat_updated")]);
}

#[test]
fn a_merge_removes_the_merged_chat_and_brings_back_the_previous_one() {
    let mut w = finished(Status::Closed);
    w.client("not solved");
    w.take("bob");
    let ds = deliveries(&mut w, Command::MergePrevious { by: op("bob"), chat: ChatId(2) }, &[]);
    assert_eq!(summary(&ds), vec![s("bob", "chat_assigned"), s("bob", "merged")]);
}
