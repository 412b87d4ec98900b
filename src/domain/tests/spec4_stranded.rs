//! SPEC 4, no stranded client: a client writing into a chat whose responsible is offline sends it
//! back to its line; `reassign_after` takes an unanswered chat back to the queue; nothing is
//! forwarded or assigned by a rule to an offline operator.

use super::*;
use crate::domain::routing::ChatRouting;
use crate::domain::rules::{Action, Conditions, Rule, RuleAuthor, Trigger};

fn with_reassign(secs: i64) -> World {
    let mut s = settings();
    if let Some(l) = s.lines.get_mut(&line("line1")) {
        l.reassign_after = Some(Span::secs(secs));
    }
    World::with(s, "web")
}

fn responsible(w: &World) -> Option<OperatorId> {
    w.latest().responsible.clone()
}

// ---- the client writes into a chat whose responsible is offline ----

#[test]
fn a_client_writing_while_the_responsible_is_offline_sends_the_chat_back_to_its_line() {
    let mut w = active_open();
    w.offline.insert(op("alice"));
    w.advance(60.0);
    w.client("anyone there?");
    let c = w.latest();
    assert_eq!(
        (c.id, c.phase, c.responsible.clone()),
        (ChatId(1), Phase::Active, None),
        "same chat, nobody's"
    );
    assert!(c.needs_routing(), "routed like a new chat");
    assert_eq!(c.deadlines.inactivity, None, "a queued client is never dropped");
    assert!(w.last.iter().any(|e| matches!(e.change, Change::Unassigned { chat: ChatId(1) })));
}

#[test]
fn a_client_writing_while_the_responsible_is_online_or_in_their_grace_keeps_them() {
    let mut w = active_open();
    w.client("thanks");
    assert_eq!(responsible(&w), Some(op("alice")));
}

#[test]
fn a_pinned_chat_of_an_offline_responsible_goes_back_to_its_line_too() {
    let mut w = active_open();
    w.ok(Command::UpdateChat {
        by: op("alice"),
        chat: ChatId(1),
        fields: Default::default(),
        pinned: Some(true),
    });
    w.offline.insert(op("alice"));
    w.client("hello?");
    assert_eq!(responsible(&w), None);
}

#[test]
fn an_operator_writing_for_an_offline_colleague_keeps_the_chat_with_its_responsible() {
    let mut w = active_open();
    w.offline.insert(op("alice"));
    w.write("bob", "alice is out, I can help");
    assert_eq!(responsible(&w), Some(op("alice")), "only the client's message moves it");
}

// ---- forwards and rules never hand a chat to an offline operator ----

#[test]
fn forwarding_to_an_offline_operator_is_a_conflict_and_changes_nothing() {
    let mut w = active_open();
    w.offline.insert(op("bob"));
    let forward =
        Command::Forward { by: op("alice"), chat: ChatId(1), to: ForwardTarget::Operator(op("bob")) };
    let err = w.refused(forward);
    assert_eq!(err.code(), "conflict");
    assert!(err.to_string().contains("offline"), "{err}");
}

#[test]
fn forwarding_to_an_online_or_away_operator_assigns_at_once() {
    let mut w = active_open();
    w.ok(Command::Forward { by: op("alice"), chat: ChatId(1), to: ForwardTarget::Operator(op("bob")) });
    assert_eq!(responsible(&w), Some(op("bob")));
}

#[test]
fn a_rule_assigning_an_offline_operator_is_skipped_and_the_chat_is_routed_in_its_line() {
    let mut s = settings();
    s.rules = vec![Rule {
        name: "vip to bob".into(),
        on: Trigger::Incoming,
        when: Conditions { author: Some(vec![RuleAuthor::Client]), ..Default::default() },
        then: vec![Action::AssignOperator(op("bob"))],
    }];
    let mut w = World::with(s.clone(), "web");
    w.offline.insert(op("bob"));
    w.client("hi");
    assert_eq!(responsible(&w), None);
    assert!(w.latest().needs_routing());
    let mut online = World::with(s, "web");
    online.client("hi");
    assert_eq!(responsible(&online), Some(op("bob")), "the same rule assigns when bob is not offline");
}

// ---- reassign_after: an unanswered client goes back to the queue ----

#[test]
fn without_reassign_after_an_unanswered_chat_stays_with_its_responsible() {
    let mut w = active_taken();
    assert_eq!(w.latest().deadlines.reassign, None);
    w.advance(3_000.0);
    w.ok(Command::TimerFired);
    assert_eq!(responsible(&w), Some(op("alice")));
}

#[test]
fn the_reassign_clock_runs_from_the_later_of_the_oldest_unanswered_message_and_the_assignment() {
    let mut w = with_reassign(120);
    w.client("hello");
    assert_eq!(w.latest().deadlines.reassign, None, "nobody responsible: the queue has it");
    w.advance(300.0);
    w.take("alice");
    assert_eq!(w.latest().deadlines.reassign, Some(T0.after(Span::secs(300 + 120))), "from the take");
    w.advance(60.0);
    w.client("are you there?");
    assert_eq!(
        w.latest().deadlines.reassign,
        Some(T0.after(Span::secs(420))),
        "the oldest unanswered counts"
    );
    w.write("alice", "yes!");
    assert_eq!(w.latest().deadlines.reassign, None, "answered");
    w.advance(10.0);
    w.ok(Command::Note { by: op("alice"), chat: ChatId(1), text: "note to self".into() });
    w.advance(10.0);
    w.client("one more thing");
    w.ok(Command::Note { by: op("alice"), chat: ChatId(1), text: "a note answers nothing".into() });
    assert_eq!(w.latest().deadlines.reassign, Some(T0.after(Span::secs(380 + 120))));
}

#[test]
fn an_unanswered_chat_goes_back_to_the_queue_with_its_responsible_tried_last() {
    let mut w = with_reassign(120);
    w.client("hello");
    w.take("alice");
    w.ok(Command::UpdateChat {
        by: op("alice"),
        chat: ChatId(1),
        fields: Default::default(),
        pinned: Some(true),
    });
    w.advance(119.0);
    w.ok(Command::TimerFired);
    assert_eq!(responsible(&w), Some(op("alice")), "not yet");
    w.advance(1.0);
    w.ok(Command::TimerFired);
    let c = w.latest().clone();
    assert_eq!((c.phase, c.responsible.clone(), c.pinned), (Phase::Active, None, false));
    assert_eq!(c.returned_from, Some(op("alice")));
    let returned = w.last.iter().position(|e| matches!(e.change, Change::Returned { .. }));
    assert_eq!(returned.map(|i| w.last_causes[i].clone()), Some(Cause::timer(Timer::Reassign)));
    let routing = ChatRouting::of(&w.conv.id, &c, Cause::timer(Timer::Reassign));
    assert_eq!((routing.needs_routing, routing.returned_from), (true, Some(op("alice"))));
    w.take("bob");
    assert_eq!((responsible(&w), w.latest().returned_from.clone()), (Some(op("bob")), None));
    assert_eq!(w.latest().deadlines.reassign, Some(T0.after(Span::secs(240))), "bob has his own 120 s");
}

#[test]
fn an_on_hold_chat_is_never_taken_back() {
    let mut w = with_reassign(120);
    w.client("hello");
    w.take("alice");
    w.set_status(Status::OnHold);
    assert_eq!(w.latest().deadlines.reassign, None);
    w.advance(1_000.0);
    w.ok(Command::TimerFired);
    assert_eq!(responsible(&w), Some(op("alice")));
}

#[test]
fn reassign_applies_to_the_line_the_chat_is_in() {
    let mut w = with_reassign(120);
    w.client("hello");
    w.ok(Command::Forward { by: op("sam"), chat: ChatId(1), to: ForwardTarget::Line(line("line2")) });
    w.take("xena");
    assert_eq!(w.latest().deadlines.reassign, None, "line2 has no reassign_after");
}
