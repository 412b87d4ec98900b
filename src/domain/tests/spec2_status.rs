//! SPEC 2: chat state. One test per way each status is set (the SPEC 2 table), then 2.0 manual
//! changes, 2.1 finishing, 2.2 inactivity, 2.3 voting, 2.4 auto-close.

use super::*;

fn phase_status(c: &Chat) -> (Phase, Status) {
    (c.phase, c.status)
}

fn with_timeouts(f: impl FnOnce(&mut Timeouts)) -> World {
    let mut s = settings();
    f(&mut s.timeouts);
    World::with(s, "web")
}

// ---- the SPEC 2 table: how each status is set ----

#[test]
fn status_new_is_set_when_a_client_creates_a_chat_and_no_operator_has_replied() {
    let w = active_taken();
    assert_eq!(phase_status(w.latest()), (Phase::Active, Status::New));
}

#[test]
fn status_open_is_set_on_the_first_operator_reply() {
    let w = active_open();
    assert_eq!(phase_status(w.latest()), (Phase::Active, Status::Open));
}

#[test]
fn status_open_is_set_when_the_client_writes_into_a_pending_or_on_hold_chat() {
    for status in [Status::Pending, Status::OnHold] {
        let mut w = active_open();
        w.set_status(status);
        w.client("hi again");
        assert_eq!(w.latest().status, Status::Open, "from {status:?}");
    }
}

#[test]
fn status_open_can_be_set_manually() {
    let mut w = active_open();
    w.set_status(Status::OnHold);
    w.set_status(Status::Open);
    assert_eq!(phase_status(w.latest()), (Phase::Active, Status::Open));
}

#[test]
fn status_pending_can_be_set_manually() {
    let mut w = active_open();
    w.set_status(Status::Pending);
    assert_eq!(phase_status(w.latest()), (Phase::Active, Status::Pending));
}

#[test]
fn status_pending_is_set_by_inactivity_finish_when_an_operator_wrote_last() {
    let mut w = active_open();
    w.fire_next_timer();
    assert_eq!(phase_status(w.latest()), (Phase::Finished, Status::Pending));
}

#[test]
fn status_on_hold_can_be_set_manually() {
    let mut w = active_open();
    w.set_status(Status::OnHold);
    assert_eq!(phase_status(w.latest()), (Phase::Active, Status::OnHold));
}

#[test]
fn status_closed_is_set_by_finishing_with_closed() {
    let w = finished(Status::Closed);
    assert_eq!(phase_status(w.latest()), (Phase::Finished, Status::Closed));
}

#[test]
fn status_closed_is_set_by_the_optional_auto_close_of_a_pending_chat() {
    let mut w = with_timeouts(|t| t.auto_close_pending = Some(Span::secs(86_400)));
    w.client("hi");
    w.take("alice");
    w.write("alice", "please send the invoice number");
    w.finish("alice", Status::Pending);
    let due = w.fire_next_timer();
    assert_eq!(due, Some(w.latest().status_since));
    assert_eq!(phase_status(w.latest()), (Phase::Finished, Status::Closed));
    assert_eq!(w.latest().status_since.since(w.latest().metrics.finished_at.unwrap()), Span::secs(86_400));
}

#[test]
fn status_spam_is_set_by_force_finish_which_never_votes() {
    let w = spam();
    let c = w.latest();
    assert_eq!(phase_status(c), (Phase::Finished, Status::Spam));
    assert_eq!(c.detailed_status(), DetailedStatus::Spam);
    assert_eq!(c.deadlines, Deadlines::default());
}

#[test]
fn force_finish_also_ends_a_closing_chat_as_spam() {
    let mut w = closing();
    w.ok(Command::ForceFinish { by: op("sam"), chat: ChatId(1) });
    assert_eq!(phase_status(w.latest()), (Phase::Finished, Status::Spam));
}

#[test]
fn force_finish_of_a_finished_chat_is_an_invalid_transition() {
    let mut w = finished(Status::Pending);
    let err = w.refused(Command::ForceFinish { by: op("sam"), chat: ChatId(1) });
    assert!(matches!(err, DomainError::InvalidTransition { .. }), "{err:?}");
}

// ---- 2.0 manual status changes ----

#[test]
fn set_status_is_allowed_on_an_active_chat() {
    for status in [Status::Open, Status::Pending, Status::OnHold] {
        let mut w = active_open();
        w.set_status(status);
        assert_eq!(phase_status(w.latest()), (Phase::Active, status));
    }
}

#[test]
fn set_status_on_a_finished_open_pending_or_on_hold_chat_keeps_it_finished() {
    for from in [Status::Open, Status::Pending] {
        for to in [Status::Open, Status::Pending, Status::OnHold] {
            let mut w = finished(from);
            w.set_status(to);
            assert_eq!(phase_status(w.latest()), (Phase::Finished, to), "{from:?} -> {to:?}");
        }
    }
}

#[test]
fn set_status_on_a_closing_chat_is_an_invalid_transition() {
    let mut w = closing();
    let err = w.refused(Command::SetStatus { by: op("alice"), chat: ChatId(1), status: Status::Open });
    assert!(matches!(err, DomainError::InvalidTransition { .. }), "{err:?}");
}

#[test]
fn set_status_on_a_closed_chat_is_an_invalid_transition() {
    let mut w = finished(Status::Closed);
    let err = w.refused(Command::SetStatus { by: op("alice"), chat: ChatId(1), status: Status::Pending });
    assert!(matches!(err, DomainError::InvalidTransition { .. }), "{err:?}");
}

#[test]
fn set_status_on_a_spam_chat_is_an_invalid_transition() {
    let mut w = spam();
    let err = w.refused(Command::SetStatus { by: op("alice"), chat: ChatId(1), status: Status::OnHold });
    assert!(matches!(err, DomainError::InvalidTransition { .. }), "{err:?}");
    assert!(err.to_string().contains("spam"), "{err}");
}

#[test]
fn set_status_to_a_status_that_is_not_manual_is_a_bad_request() {
    for status in [Status::New, Status::Closed, Status::Spam] {
        let mut w = active_open();
        let err = w.refused(Command::SetStatus { by: op("alice"), chat: ChatId(1), status });
        assert_eq!(err.code(), "bad_request");
    }
}

#[test]
fn set_status_to_the_current_status_changes_nothing() {
    let mut w = active_open();
    w.set_status(Status::Open);
    assert!(w.last.is_empty());
}

// ---- 2.1 finishing ----

#[test]
fn finishing_an_active_chat_with_open_or_pending_finishes_it_with_that_status() {
    for status in [Status::Open, Status::Pending] {
        let mut w = active_open();
        w.finish("alice", status);
        let c = w.latest();
        assert_eq!(phase_status(c), (Phase::Finished, status));
        assert_eq!(c.detailed_status(), DetailedStatus::Finished);
        assert_eq!((c.metrics.finished_at, c.metrics.operator_closed_at), (Some(w.now), Some(w.now)));
    }
}

#[test]
fn finishing_a_finished_chat_is_an_invalid_transition() {
    let mut w = finished(Status::Pending);
    let err = w.refused(finish("alice", ChatId(1), Status::Closed));
    assert!(matches!(err, DomainError::InvalidTransition { .. }), "{err:?}");
}

#[test]
fn finishing_a_closing_chat_is_an_invalid_transition() {
    let mut w = closing();
    let err = w.refused(finish("alice", ChatId(1), Status::Open));
    assert!(matches!(err, DomainError::InvalidTransition { .. }), "{err:?}");
}

#[test]
fn finishing_with_on_hold_new_or_spam_is_a_bad_request() {
    for status in [Status::OnHold, Status::New, Status::Spam] {
        let mut w = active_open();
        assert_eq!(w.refused(finish("alice", ChatId(1), status)).code(), "bad_request");
    }
}

#[test]
fn finishing_records_the_operator_rating_of_the_client() {
    let mut w = active_open();
    w.ok(Command::Finish {
        by: op("alice"),
        chat: ChatId(1),
        status: Status::Open,
        operator_rating: Some(2),
        request_vote: None,
    });
    assert_eq!(w.latest().operator_rating, Some(2));
}

#[test]
fn an_operator_rating_outside_one_to_three_is_a_bad_request() {
    let mut w = active_open();
    let cmd = Command::Finish {
        by: op("alice"),
        chat: ChatId(1),
        status: Status::Open,
        operator_rating: Some(4),
        request_vote: None,
    };
    assert_eq!(w.refused(cmd).code(), "bad_request");
}

// ---- 2.2 inactivity ----

#[test]
fn inactivity_finishes_with_open_when_the_client_wrote_last() {
    let mut w = active_open();
    w.client("are you there?");
    let due = w.fire_next_timer().unwrap();
    assert_eq!(due, T0.after(Span::secs(600)));
    assert_eq!(phase_status(w.latest()), (Phase::Finished, Status::Open));
    assert_eq!(w.latest().metrics.operator_closed_at, None, "a timer is not an operator");
}

#[test]
fn inactivity_timer_restarts_on_every_client_or_operator_message() {
    let mut w = active_open();
    w.advance(500.0);
    w.client("still there?");
    assert_eq!(w.latest().deadlines.inactivity, Some(T0.after(Span::secs(1100))));
    w.advance(500.0);
    w.write("alice", "yes");
    assert_eq!(w.latest().deadlines.inactivity, Some(T0.after(Span::secs(1600))));
}

#[test]
fn inactivity_timer_is_not_restarted_by_automated_messages() {
    let mut w = active_open();
    w.set_status(Status::OnHold); // on hold: automated messages are delivered into the chat
    w.advance(100.0);
    w.set_status(Status::Open);
    w.advance(300.0);
    w.set_status(Status::OnHold);
    assert_eq!(w.automated(AutomatedKind::Bot, "tip of the day"), AutomatedOutcome::Delivered);
    assert_eq!(w.latest().last_activity_at, T0.after(Span::secs(100)), "the bot's message is not activity");
}

#[test]
fn an_on_hold_chat_is_never_auto_finished_and_its_timer_starts_afresh_when_it_leaves_on_hold() {
    let mut w = active_open();
    w.advance(500.0);
    w.set_status(Status::OnHold);
    assert_eq!(w.latest().deadlines.inactivity, None, "the timer stops while on hold");
    w.advance(86_400.0);
    w.ok(Command::TimerFired);
    assert_eq!(phase_status(w.latest()), (Phase::Active, Status::OnHold));
    w.set_status(Status::Pending);
    let left = T0.after(Span::secs(500 + 86_400));
    assert_eq!(w.latest().deadlines.inactivity, Some(left.after(Span::secs(600))), "a full 10 minutes");
}

#[test]
fn a_client_writing_into_an_on_hold_chat_reopens_it_and_restarts_the_timer() {
    let mut w = active_open();
    w.set_status(Status::OnHold);
    w.advance(3_600.0);
    w.client("any news?");
    assert_eq!(w.latest().status, Status::Open);
    assert_eq!(w.latest().deadlines.inactivity, Some(T0.after(Span::secs(3_600 + 600))));
}

#[test]
fn a_deadline_armed_before_the_chat_went_on_hold_finishes_nothing() {
    let mut w = active_open();
    let armed = w.latest().deadlines.inactivity;
    let mut on_hold = w.latest().clone();
    on_hold.status = Status::OnHold;
    // A deadline that is due, on a chat its state no longer times out: stale.
    assert_eq!(
        on_hold.due_deadlines(&w.settings.timers_for(&w.conv.id.channel, &on_hold.line)).inactivity,
        None
    );
    w.set_status(Status::OnHold);
    w.advance(700.0);
    assert!(armed.is_some_and(|a| a <= w.now));
    w.ok(Command::TimerFired);
    assert_eq!(phase_status(w.latest()), (Phase::Active, Status::OnHold));
}

/// A conversation in `channel` whose settings `f` changed.
fn in_channel_with(channel: &str, f: impl FnOnce(&mut Channel)) -> World {
    let mut s = settings();
    if let Some(c) = s.channels.get_mut(&ChannelId::from(channel)) {
        f(c);
    }
    World::with(s, channel)
}

fn taken(mut w: World) -> World {
    w.client("hello");
    w.take("alice");
    w
}

#[test]
fn a_channel_may_set_its_own_inactivity() {
    let w = taken(in_channel_with("web", |c| c.inactivity = Some(Span::secs(120))));
    assert_eq!(w.latest().deadlines.inactivity, Some(T0.after(Span::secs(120))));
}

#[test]
fn a_channel_inactivity_of_zero_means_never() {
    let mut w = taken(in_channel_with("web", |c| c.inactivity = Some(Span(0))));
    assert_eq!(w.latest().deadlines.inactivity, None);
    w.advance(86_400.0 * 30.0);
    w.ok(Command::TimerFired);
    assert_eq!(w.latest().phase, Phase::Active);
}

#[test]
fn email_channels_are_never_auto_finished_by_default_but_may_set_an_inactivity() {
    let w = taken(World::in_channel("mail"));
    assert_eq!(w.latest().deadlines.inactivity, None);
    let w = taken(in_channel_with("mail", |c| c.inactivity = Some(Span::secs(86_400))));
    assert_eq!(w.latest().deadlines.inactivity, Some(T0.after(Span::secs(86_400))));
}

#[test]
fn a_deadline_the_configuration_no_longer_calls_for_finishes_nothing() {
    let mut w = active_open();
    if let Some(c) = w.settings.channels.get_mut(&ChannelId::from("web")) {
        c.inactivity = Some(Span(0));
    }
    w.advance(700.0);
    w.ok(Command::TimerFired);
    assert_eq!(w.latest().phase, Phase::Active);
    assert_eq!(w.latest().deadlines.inactivity, None, "settle clears it");
}

#[test]
fn inactivity_timer_does_not_run_while_the_chat_waits_in_a_queue() {
    let mut w = active_new();
    assert_eq!(w.latest().deadlines.inactivity, None);
    assert_eq!(w.conv.next_deadline(), None);
    w.advance(3600.0);
    w.ok(Command::TimerFired);
    assert_eq!(phase_status(w.latest()), (Phase::Active, Status::New), "a queued client is never dropped");
}

#[test]
fn inactivity_timer_starts_when_an_operator_is_assigned() {
    let mut w = active_new();
    w.advance(120.0);
    w.take("alice");
    assert_eq!(w.latest().deadlines.inactivity, Some(T0.after(Span::secs(720))));
}

#[test]
fn a_forward_to_a_line_stops_the_inactivity_timer_until_taken() {
    let mut w = active_open();
    w.ok(Command::Forward { by: op("alice"), chat: ChatId(1), to: ForwardTarget::Line(line("line2")) });
    let c = w.latest();
    assert_eq!(
        (c.responsible.clone(), c.deadlines.inactivity, c.detailed_status()),
        (None, None, DetailedStatus::Queued)
    );
}

#[test]
fn a_stale_timer_does_nothing() {
    let mut w = active_open();
    w.advance(599.0);
    w.ok(Command::TimerFired);
    assert_eq!(w.latest().phase, Phase::Active);
    assert!(w.last.is_empty());
}

// ---- 2.3 voting ----

#[test]
fn finishing_with_closed_when_rating_is_enabled_starts_voting() {
    let w = closing();
    let c = w.latest();
    assert_eq!(phase_status(c), (Phase::Closing, Status::Closed));
    assert_eq!((c.detailed_status(), c.general_status()), (DetailedStatus::Closing, GeneralStatus::Finished));
    assert_eq!(c.deadlines.voting, Some(w.now.after(Span::secs(600))));
    assert_eq!(c.deadlines.inactivity, None);
}

#[test]
fn a_vote_records_the_client_rating_and_finishes_the_chat() {
    let mut w = closing();
    w.ok(Command::Vote { chat: ChatId(1), score: 3 });
    let c = w.latest();
    assert_eq!((phase_status(c), c.client_rating), ((Phase::Finished, Status::Closed), Some(3)));
    assert_eq!(c.deadlines, Deadlines::default());
}

#[test]
fn voting_twice_is_an_invalid_transition() {
    let mut w = closing();
    w.ok(Command::Vote { chat: ChatId(1), score: 1 });
    assert_eq!(w.refused(Command::Vote { chat: ChatId(1), score: 2 }).code(), "invalid_transition");
    assert_eq!(w.latest().client_rating, Some(1));
}

#[test]
fn a_vote_outside_closing_is_an_invalid_transition() {
    let mut w = active_open();
    assert_eq!(w.refused(Command::Vote { chat: ChatId(1), score: 2 }).code(), "invalid_transition");
}

#[test]
fn a_score_outside_one_to_three_is_a_bad_request() {
    for score in [0, 4] {
        let mut w = closing();
        assert_eq!(w.refused(Command::Vote { chat: ChatId(1), score }).code(), "bad_request");
    }
}

#[test]
fn without_a_vote_the_voting_timer_finishes_the_chat_without_rating() {
    let mut w = closing();
    let closed_at = w.now;
    assert_eq!(w.fire_next_timer(), Some(closed_at.after(Span::secs(600))));
    let c = w.latest();
    assert_eq!((phase_status(c), c.client_rating), ((Phase::Finished, Status::Closed), None));
    assert_eq!(c.metrics.operator_closed_at, Some(closed_at));
}

#[test]
fn an_email_channel_never_votes() {
    let mut w = World::in_channel("mail");
    w.client("hello by mail");
    w.take("alice");
    w.write("alice", "answer");
    w.ok(Command::Finish {
        by: op("alice"),
        chat: ChatId(1),
        status: Status::Closed,
        operator_rating: None,
        request_vote: Some(true),
    });
    assert_eq!(phase_status(w.latest()), (Phase::Finished, Status::Closed));
}

#[test]
fn a_finish_with_request_vote_false_closes_without_voting() {
    let w = finished(Status::Closed);
    assert_eq!(phase_status(w.latest()), (Phase::Finished, Status::Closed));
}

#[test]
fn a_finish_with_request_vote_true_votes_even_when_rating_is_disabled() {
    let mut s = settings();
    s.rating.enabled = false;
    let mut w = World::with(s, "web");
    w.client("hi");
    w.finish("alice", Status::Closed);
    assert_eq!(w.latest().phase, Phase::Finished, "default follows rating.enabled");
    let mut s = settings();
    s.rating.enabled = false;
    let mut w = World::with(s, "web");
    w.client("hi");
    w.ok(Command::Finish {
        by: op("alice"),
        chat: ChatId(1),
        status: Status::Closed,
        operator_rating: None,
        request_vote: Some(true),
    });
    assert_eq!(w.latest().phase, Phase::Closing);
}

#[test]
fn finishing_with_open_or_pending_never_votes() {
    let mut w = active_open();
    w.ok(Command::Finish {
        by: op("alice"),
        chat: ChatId(1),
        status: Status::Pending,
        operator_rating: None,
        request_vote: Some(true),
    });
    assert_eq!(w.latest().phase, Phase::Finished);
}

#[test]
fn a_supervisor_may_rate_and_comment_at_any_time() {
    for mut w in [active_open(), closing(), finished(Status::Closed), spam()] {
        w.ok(Command::Review {
            by: op("sam"),
            chat: ChatId(1),
            rating: Some(5),
            comment: Some("great".into()),
        });
        let c = w.latest();
        assert_eq!((c.supervisor_rating, c.supervisor_comment.as_deref()), (Some(5), Some("great")));
    }
    let mut w = active_open();
    let err = w.refused(Command::Review { by: op("sam"), chat: ChatId(1), rating: Some(6), comment: None });
    assert_eq!(err.code(), "bad_request");
}

#[test]
fn a_supervisor_comment_keeps_line_breaks_but_not_other_control_characters_or_excess_length() {
    let mut w = active_open();
    let review = |comment: String| Command::Review {
        by: op("sam"),
        chat: ChatId(1),
        rating: None,
        comment: Some(comment),
    };
    let long = "c".repeat(crate::domain::text::MAX_COMMENT_CHARS + 1);
    assert_eq!(w.refused(review(long)).code(), "too_large");
    assert_eq!(w.refused(review("fine\u{7}".into())).code(), "bad_request");
    w.ok(review("Polite.\n\tFast.".into()));
    assert_eq!(w.latest().supervisor_comment.as_deref(), Some("Polite.\n\tFast."));
}

// ---- 2.4 optional auto-close ----

#[test]
fn auto_close_is_off_by_default() {
    let w = finished(Status::Pending);
    assert_eq!(w.latest().deadlines.auto_close, None);
    assert_eq!(w.conv.next_deadline(), None);
}

#[test]
fn auto_close_applies_only_to_finished_pending_chats() {
    let mut w = with_timeouts(|t| t.auto_close_pending = Some(Span::secs(60)));
    w.client("hi");
    w.take("alice");
    w.write("alice", "hello");
    w.set_status(Status::Pending);
    assert_eq!(w.latest().deadlines.auto_close, None, "an active pending chat is not auto-closed");
    w.finish("alice", Status::Open);
    assert_eq!(w.latest().deadlines.auto_close, None);
    w.set_status(Status::Pending);
    assert_eq!(w.latest().deadlines.auto_close, Some(w.now.after(Span::secs(60))));
    w.client("back");
    assert_eq!(w.latest().deadlines.auto_close, None, "reactivation disarms it");
}
