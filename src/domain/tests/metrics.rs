//! SPEC 6: detailed and general status, timestamps and durations. A scripted conversation whose
//! every metric was computed by hand, then one test per detailed status.

use super::*;

fn secs(s: i64) -> Option<Span> {
    Some(Span::secs(s))
}

fn at(s: i64) -> Timestamp {
    T0.after(Span::secs(s))
}

fn with_auto_reply() -> World {
    let mut s = settings();
    s.rules.push(Rule {
        name: "greeting".into(),
        on: Trigger::Incoming,
        when: Conditions::default(),
        then: vec![Action::AutoReply {
            text: "An operator will be with you shortly".into(),
            only_first_chat: true,
        }],
    });
    World::with(s, "web")
}

/// t=0 client "hi" (+ auto-reply) · t=30 alice takes · t=50 alice replies · t=80, t=90 client ·
/// t=120, t=130 alice · t=200 client · t=290 alice · t=300 alice finishes closed · t=310 vote 3.
#[test]
fn a_scripted_conversation_has_every_metric_as_computed_by_hand() {
    let mut w = with_auto_reply();
    let mut statuses = Vec::new();
    let mut step = |w: &mut World, t: i64, f: &dyn Fn(&mut World)| {
        w.now = at(t);
        f(w);
        let c = w.latest();
        statuses.push((c.detailed_status(), c.general_status()));
    };
    step(&mut w, 0, &|w| {
        w.client("hi");
    });
    step(&mut w, 30, &|w| {
        w.take("alice");
    });
    step(&mut w, 50, &|w| {
        w.write("alice", "hello, how can I help?");
    });
    step(&mut w, 80, &|w| {
        w.client("my order");
    });
    step(&mut w, 90, &|w| {
        w.client("it is late");
    });
    step(&mut w, 120, &|w| {
        w.write("alice", "let me check");
    });
    step(&mut w, 130, &|w| {
        w.write("alice", "it ships tomorrow");
    });
    step(&mut w, 200, &|w| {
        w.client("thanks, and the refund?");
    });
    step(&mut w, 290, &|w| {
        w.write("alice", "refund is on its way");
    });
    step(&mut w, 300, &|w| {
        w.finish("alice", Status::Closed);
    });
    step(&mut w, 310, &|w| {
        w.ok(Command::Vote { chat: ChatId(1), score: 3 });
    });

    use DetailedStatus as D;
    use GeneralStatus as G;
    assert_eq!(
        statuses,
        vec![
            (D::New, G::ClientWaiting),
            (D::InWork, G::ClientWaiting),
            (D::OperatorAnswered, G::OperatorAnswered),
            (D::ClientWaitingNewQuestion, G::ClientWaiting),
            (D::ClientWaitingNewQuestion, G::ClientWaiting),
            (D::OperatorAnswered, G::OperatorAnswered),
            (D::OperatorAnswered, G::OperatorAnswered),
            (D::ClientWaitingNewQuestion, G::ClientWaiting),
            (D::OperatorAnswered, G::OperatorAnswered),
            (D::Closing, G::Finished),
            (D::Finished, G::Finished),
        ]
    );

    let m = &w.latest().metrics;
    assert_eq!(m.created_at, at(0));
    assert_eq!(m.queued_at, Some(at(0)));
    assert_eq!(m.taken_at, Some(at(30)));
    assert_eq!(m.first_response_at, Some(at(50)));
    assert_eq!(m.last_message_at, Some(at(290)));
    assert_eq!(m.operator_closed_at, Some(at(300)));
    assert_eq!(m.finished_at, Some(at(310)));
    assert_eq!(m.updated_at, at(310));
    let d = m.durations();
    assert_eq!(d.wait_first_response, secs(50));
    assert_eq!(d.time_to_take, secs(30));
    assert_eq!(d.time_to_operator_close, secs(300));
    assert_eq!(d.duration, secs(290));
    assert_eq!(d.first_message_response, secs(50));
    assert_eq!(d.bot_time, secs(50), "the auto-reply at 0 until alice at 50");
    assert_eq!(d.total_response, secs(180), "50 + (120-80) + (290-200)");
    assert_eq!(d.avg_response, secs(60));
    assert_eq!(d.max_response, secs(90));
    assert_eq!(w.latest().client_rating, Some(3));
}

#[test]
fn a_chat_finished_without_an_operator_reply_measures_first_message_response_to_the_finish() {
    let mut w = World::new();
    w.client("hello?");
    w.now = at(40);
    w.finish("sam", Status::Open);
    let d = w.latest().metrics.durations();
    assert_eq!(d.first_message_response, secs(40));
    assert_eq!(
        (d.wait_first_response, d.total_response, d.avg_response, d.max_response),
        (None, None, None, None)
    );
    assert_eq!(d.time_to_take, None);
    assert_eq!(d.bot_time, None);
    assert_eq!(d.duration, secs(0));
}

#[test]
fn an_outgoing_chat_is_taken_and_answered_at_creation() {
    let mut w = World::new();
    w.write("alice", "hello from the shop");
    w.now = at(100);
    w.client("oh hi");
    let d = w.latest().metrics.durations();
    assert_eq!((d.wait_first_response, d.time_to_take), (secs(0), secs(0)));
    assert_eq!(d.first_message_response, None, "nobody answered the client yet");
    assert_eq!(w.latest().detailed_status(), DetailedStatus::ClientWaitingNewQuestion);
}

#[test]
fn private_notes_change_no_metric() {
    let mut w = active_open();
    let before = w.latest().metrics.clone();
    w.advance(10.0);
    w.ok(Command::Note { by: op("alice"), chat: ChatId(1), text: "VIP client".into() });
    let after = &w.latest().metrics;
    assert_eq!((after.last_message_at, after.responses), (before.last_message_at, before.responses));
    assert_eq!(w.latest().deadlines, active_open().latest().deadlines, "and no timer");
}

// ---- detailed status, one per value (SPEC 6) ----

#[test]
fn detailed_status_is_spam_for_force_finished_chats() {
    assert_eq!(spam().latest().detailed_status(), DetailedStatus::Spam);
}

#[test]
fn detailed_status_is_finished_for_finished_chats() {
    assert_eq!(finished(Status::Pending).latest().detailed_status(), DetailedStatus::Finished);
}

#[test]
fn detailed_status_is_closing_while_voting() {
    assert_eq!(closing().latest().detailed_status(), DetailedStatus::Closing);
}

#[test]
fn detailed_status_is_queued_when_forwarded_to_a_line_until_taken() {
    let mut w = active_open();
    w.ok(Command::Forward { by: op("alice"), chat: ChatId(1), to: ForwardTarget::Line(line("line2")) });
    assert_eq!(w.latest().detailed_status(), DetailedStatus::Queued);
    w.take("xena");
    assert_eq!(w.latest().detailed_status(), DetailedStatus::OperatorAnswered);
}

#[test]
fn detailed_status_is_new_with_no_responsible_and_no_operator_reply() {
    assert_eq!(active_new().latest().detailed_status(), DetailedStatus::New);
}

#[test]
fn detailed_status_is_in_work_after_take_or_accept_before_any_reply() {
    assert_eq!(active_taken().latest().detailed_status(), DetailedStatus::InWork);
    let mut w = active_new();
    w.ok(Command::Accept { by: op("bob"), chat: ChatId(1) });
    assert_eq!(w.latest().detailed_status(), DetailedStatus::InWork);
}

#[test]
fn detailed_status_is_client_waiting_when_the_responsible_got_the_chat_another_way() {
    let mut w = active_new();
    w.ok(Command::Forward { by: op("sam"), chat: ChatId(1), to: ForwardTarget::Operator(op("bob")) });
    assert_eq!(w.latest().detailed_status(), DetailedStatus::ClientWaiting);
}

#[test]
fn detailed_status_is_operator_answered_when_an_operator_wrote_last() {
    assert_eq!(active_open().latest().detailed_status(), DetailedStatus::OperatorAnswered);
}

#[test]
fn detailed_status_is_client_waiting_new_question_when_the_client_wrote_after_a_reply() {
    let mut w = active_open();
    w.client("and another thing");
    assert_eq!(w.latest().detailed_status(), DetailedStatus::ClientWaitingNewQuestion);
}

#[test]
fn general_status_counts_closing_as_finished() {
    assert_eq!(closing().latest().general_status(), GeneralStatus::Finished);
    assert_eq!(active_new().latest().general_status(), GeneralStatus::ClientWaiting);
}

#[test]
fn take_by_a_second_operator_is_already_taken_and_take_by_the_owner_is_a_no_op() {
    let mut w = active_taken();
    let err = w.refused(Command::Take { by: op("bob"), chat: ChatId(1) });
    assert_eq!(err, DomainError::AlreadyTaken { chat: ChatId(1), by: op("alice") });
    w.take("alice");
    assert!(w.last.is_empty());
}
