//! Causes (`by`): every event of a command carries who or what made it — the command's author,
//! the rule acting on its behalf, or the timer — and every tab notice names the cause of the
//! change it reports, so a rule never acts silently.

use serde_json::json;

use super::*;
use crate::domain::cause::{cause_of, Explaining};

/// The PROTOCOL example rule: an operator of line 2 answering an open or pending chat hands it
/// back to line 1.
fn handback() -> Rule {
    Rule {
        name: "line 2 hands back to line 1".into(),
        on: Trigger::Changed,
        when: Conditions {
            author: Some(vec![RuleAuthor::Operator]),
            responsible_line: Some(vec![line("line2")]),
            status_before: Some(vec![Status::Open, Status::Pending]),
            ..Default::default()
        },
        then: vec![Action::Finish(Status::Pending), Action::AssignLine(line("line1")), Action::Stop],
    }
}

fn with_rules(rules: Vec<Rule>) -> World {
    let mut s = settings();
    s.rules = rules;
    World::with(s, "web")
}

/// Runs `command` and returns its deliveries (no New-tab watchers).
fn deliveries(w: &mut World, command: Command) -> Vec<Delivery> {
    let before = w.conv.clone();
    w.ok(command);
    fanout(&before, &w.conv, &w.last, &w.last_causes, &w.settings.rating, &|_| Vec::new())
}

/// `(who, wire type, by)` of every tab notice.
fn tab_notices(ds: &[Delivery]) -> Vec<(String, &'static str, Cause)> {
    ds.iter()
        .filter_map(|d| match d {
            Delivery::Operators(ops, n) => {
                let who = ops.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(",");
                let (what, by) = match n {
                    OperatorNotice::ChatAssigned { by, .. } => ("chat_assigned", by),
                    OperatorNotice::ChatUpdated { by, .. } => ("chat_updated", by),
                    OperatorNotice::ChatRemoved { by, .. } => ("chat_removed", by),
                    OperatorNotice::OfferWithdrawn { by, .. } => ("offer_withdrawn", by),
                    _ => return None,
                };
                Some((who, what, by.clone()))
            }
            Delivery::Client(_) => None,
        })
        .collect()
}

fn n(who: &str, what: &'static str, by: Cause) -> (String, &'static str, Cause) {
    (who.to_string(), what, by)
}

fn sam() -> Cause {
    Cause::operator(&op("sam"))
}

fn rule_cause() -> Cause {
    Cause::rule("line 2 hands back to line 1")
}

#[test]
fn each_event_carries_its_cause_and_a_rules_events_name_the_rule() {
    let mut w = with_rules(vec![handback()]);
    w.client("hello");
    w.take("sam");
    assert!(w.last_causes.iter().all(|c| *c == sam()), "the take and its timer: {:?}", w.last_causes);
    w.write("sam", "hi"); // new -> open: the rule wants open or pending before
    w.write("sam", "anything else?");
    let causes: Vec<(&str, Cause)> = w
        .last
        .iter()
        .zip(&w.last_causes)
        .filter(|(e, _)| !matches!(e.change, Change::DeadlineSet { .. }))
        .map(|(e, c)| {
            let kind = match &e.change {
                Change::MessageAppended(_) => "message",
                Change::Finished { .. } => "finished",
                Change::Unassigned { .. } => "unassigned",
                Change::LineSet { .. } => "line_set",
                other => panic!("unexpected {other:?}"),
            };
            (kind, c.clone())
        })
        .collect();
    assert_eq!(
        causes,
        vec![
            ("message", sam()),
            ("finished", rule_cause()),
            ("unassigned", rule_cause()),
            ("line_set", rule_cause()),
        ]
    );
}

#[test]
fn a_chat_a_rule_finishes_after_a_supervisors_answer_is_removed_by_the_rule() {
    let mut w = with_rules(vec![handback()]);
    w.client("hello");
    w.take("sam");
    w.write("sam", "hi");
    let ds = deliveries(
        &mut w,
        Command::OperatorMessage { by: op("sam"), chat: None, text: "done?".into(), client_msg_id: None },
    );
    assert_eq!(tab_notices(&ds), vec![n("sam", "chat_removed", rule_cause())]);
    let removed = ds.iter().find_map(|d| match d {
        Delivery::Operators(_, OperatorNotice::ChatRemoved { reason, .. }) => Some(*reason),
        _ => None,
    });
    assert_eq!(removed, Some(RemovedReason::Finished));
}

#[test]
fn the_inactivity_timer_names_itself() {
    let mut w = active_open();
    w.advance(600.0);
    let ds = deliveries(&mut w, Command::TimerFired);
    assert_eq!(tab_notices(&ds), vec![n("alice", "chat_removed", Cause::timer(TimerKind::Inactivity))]);
}

#[test]
fn the_voting_timer_names_itself() {
    let mut w = closing();
    w.advance(600.0);
    let ds = deliveries(&mut w, Command::TimerFired);
    assert_eq!(tab_notices(&ds), vec![n("alice", "chat_removed", Cause::timer(TimerKind::Voting))]);
}

#[test]
fn a_forward_by_a_supervisor_names_the_supervisor_to_both_operators() {
    let mut w = active_open();
    let to = ForwardTarget::Operator(op("bob"));
    let ds = deliveries(&mut w, Command::Forward { by: op("sam"), chat: ChatId(1), to });
    assert_eq!(tab_notices(&ds), vec![n("bob", "chat_assigned", sam()), n("alice", "chat_removed", sam())]);
}

#[test]
fn a_status_set_by_a_supervisor_names_the_supervisor() {
    let mut w = active_open();
    let ds =
        deliveries(&mut w, Command::SetStatus { by: op("sam"), chat: ChatId(1), status: Status::OnHold });
    assert_eq!(tab_notices(&ds), vec![n("alice", "chat_updated", sam())]);
}

#[test]
fn a_client_message_names_the_client() {
    let mut w = active_open();
    let ds = deliveries(
        &mut w,
        Command::ClientMessage {
            text: "still there?".into(),
            client_msg_id: None,
            name: None,
            page_url: None,
        },
    );
    assert_eq!(tab_notices(&ds), vec![n("alice", "chat_updated", Cause::Client)]);
}

#[test]
fn a_rule_acting_on_a_client_message_is_named_not_the_client() {
    let put_on_hold = Rule {
        name: "hold what the client reopens".into(),
        on: Trigger::Changed,
        when: Conditions { author: Some(vec![RuleAuthor::Client]), ..Default::default() },
        then: vec![Action::SetStatus(Status::OnHold)],
    };
    let mut w = with_rules(vec![put_on_hold]);
    w.client("hello");
    w.take("alice");
    let ds = deliveries(
        &mut w,
        Command::ClientMessage { text: "hello?".into(), client_msg_id: None, name: None, page_url: None },
    );
    assert_eq!(
        tab_notices(&ds),
        vec![n("alice", "chat_updated", Cause::rule("hold what the client reopens"))]
    );
}

#[test]
fn a_vote_is_told_to_the_my_tab_before_the_chat_leaves_it_by_the_client() {
    let mut w = closing();
    let ds = deliveries(&mut w, Command::Vote { chat: ChatId(1), score: 3 });
    let Some(Delivery::Operators(to, OperatorNotice::ClientVoted { chat, score, label })) = ds.first() else {
        panic!("the vote first: {ds:?}")
    };
    assert_eq!((to.clone(), *chat, *score, label.as_str()), (vec![op("alice")], ChatId(1), 3, "Excellent"));
    assert_eq!(tab_notices(&ds), vec![n("alice", "chat_removed", Cause::Client)]);
}

#[test]
fn cause_of_prefers_the_change_that_moved_the_chat_for_membership() {
    let chat = ChatId(1);
    let at = T0;
    let events = vec![
        Event::new(at, Change::LineSet { chat, line: line("line2"), forwarded: true }),
        Event::new(at, Change::StatusSet { chat, status: Status::OnHold }),
        Event::new(at, Change::DeadlineSet { chat, timer: Timer::Inactivity, at: None }),
    ];
    let causes = vec![sam(), Cause::rule("hold"), Cause::System];
    assert_eq!(cause_of(chat, &events, &causes, Explaining::Membership), sam());
    assert_eq!(cause_of(chat, &events, &causes, Explaining::Update), Cause::rule("hold"));
    // No change of this chat: the command's author.
    assert_eq!(cause_of(ChatId(2), &events, &causes, Explaining::Update), sam());
    assert_eq!(cause_of(chat, &[], &[], Explaining::Update), Cause::System);
}

#[test]
fn a_split_off_chat_is_explained_by_the_split() {
    let chat = ChatId(1);
    let events = vec![Event::new(T0, Change::SplitOff { chat, new_chat: ChatId(2) })];
    let causes = vec![Cause::operator(&op("bob"))];
    assert_eq!(cause_of(ChatId(2), &events, &causes, Explaining::Membership), Cause::operator(&op("bob")));
}

#[test]
fn causes_on_the_wire_name_their_kind() {
    let rows = [
        (sam(), json!({"kind": "operator", "id": "sam"})),
        (Cause::Client, json!({"kind": "client"})),
        (rule_cause(), json!({"kind": "rule", "rule": "line 2 hands back to line 1"})),
        (Cause::timer(TimerKind::Inactivity), json!({"kind": "timer", "timer": "inactivity"})),
        (Cause::timer(TimerKind::Offer), json!({"kind": "timer", "timer": "offer"})),
        (Cause::timer(TimerKind::PresenceGrace), json!({"kind": "timer", "timer": "presence_grace"})),
        (Cause::System, json!({"kind": "system"})),
    ];
    for (cause, wire) in rows {
        assert_eq!(serde_json::to_value(&cause).unwrap(), wire);
        assert_eq!(serde_json::from_value::<Cause>(wire).unwrap(), cause);
    }
    for timer in [
        TimerKind::Inactivity,
        TimerKind::Voting,
        TimerKind::AutoClose,
        TimerKind::Offer,
        TimerKind::PresenceGrace,
        TimerKind::Overflow,
    ] {
        assert_eq!(serde_json::to_value(timer).unwrap(), timer.as_str());
    }
}
