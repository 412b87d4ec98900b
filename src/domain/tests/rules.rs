//! SPEC 4.1 rules, and the four examples of seed 001: a line-2 operator (or a call-centre
//! manager) who writes to a client hands the conversation back to line 1 when the client answers.

use super::*;

fn rule(name: &str, on: Trigger, when: Conditions, then: Vec<Action>) -> Rule {
    Rule { name: name.into(), on, when, then }
}

fn world_with(rules: Vec<Rule>) -> World {
    let mut s = settings();
    s.rules = rules;
    World::with(s, "web")
}

fn lines(ids: &[&str]) -> Option<Vec<LineId>> {
    Some(ids.iter().map(|l| line(l)).collect())
}

/// Seed 001 example 1 (incoming): a line-2 operator writes into a closed conversation; the new
/// chat is handed to a line-1 operator at once, so the writer can get back to their work.
fn example_1() -> Rule {
    rule(
        "incoming chat written by line 2 goes to alice",
        Trigger::Incoming,
        Conditions {
            author: Some(vec![RuleAuthor::Operator]),
            author_line: lines(&["line2"]),
            ..Default::default()
        },
        vec![Action::AssignOperator(op("alice")), Action::Stop],
    )
}

/// Seed 001 example 2 (changed): a line-2 operator writes into a chat finished `open`/`pending`:
/// finish it `pending` again and hand it to line 1.
fn example_2() -> Rule {
    rule(
        "line 2 wrote into a finished chat",
        Trigger::Changed,
        Conditions {
            author: Some(vec![RuleAuthor::Operator]),
            author_line: lines(&["line2"]),
            phase_before: Some(vec![Phase::Finished]),
            status_before: Some(vec![Status::Open, Status::Pending]),
            ..Default::default()
        },
        vec![Action::Finish(Status::Pending), Action::AssignLine(line("line1")), Action::Stop],
    )
}

/// Seed 001 example 3 (changed): a line-2 operator became responsible of an active chat by
/// writing: finish it `pending` and hand it to line 1.
fn example_3() -> Rule {
    rule(
        "line 2 became responsible of an active chat",
        Trigger::Changed,
        Conditions {
            author: Some(vec![RuleAuthor::Operator]),
            responsible_line: lines(&["line2"]),
            phase_before: Some(vec![Phase::Active]),
            ..Default::default()
        },
        vec![Action::Finish(Status::Pending), Action::AssignLine(line("line1")), Action::Stop],
    )
}

/// Seed 001 example 4 (changed): a chat reactivated by its client stays with its line-1
/// responsible (My tab) instead of landing in New for everyone.
fn example_4() -> Rule {
    rule(
        "keep reactivated chats with their line 1 responsible",
        Trigger::Changed,
        Conditions {
            reactivated: Some(true),
            author: Some(vec![RuleAuthor::Client]),
            responsible_line: lines(&["line1"]),
            ..Default::default()
        },
        vec![Action::Pin],
    )
}

fn seed_001_rules() -> Vec<Rule> {
    vec![example_1(), example_2(), example_3(), example_4()]
}

#[test]
fn seed_001_example_1_an_incoming_chat_written_by_line_2_is_handed_to_line_1_and_the_client_answer_reaches_line_1(
) {
    let mut w = world_with(seed_001_rules());
    w.client("old question");
    w.finish("alice", Status::Closed); // rating on: closing
    w.ok(Command::Vote { chat: ChatId(1), score: 2 });
    w.write("xena", "we could not reach you by phone"); // new outgoing chat 2
    let c = w.latest();
    assert_eq!((c.id, c.responsible.clone(), c.pinned), (ChatId(2), Some(op("alice")), true));
    assert_eq!(c.assigned_via, Some(AssignVia::Rule));
    w.client("here I am");
    let c = w.latest();
    assert_eq!((c.id, c.phase, c.responsible.clone()), (ChatId(2), Phase::Active, Some(op("alice"))));
}

#[test]
fn seed_001_example_2_line_2_writing_into_a_finished_chat_finishes_it_pending_and_the_answer_goes_to_line_1()
{
    let mut w = world_with(seed_001_rules());
    w.client("question");
    w.take("alice");
    w.write("alice", "answer");
    w.finish("alice", Status::Open);
    w.write("xena", "the expert's detailed answer");
    let c = w.latest();
    assert_eq!(
        (c.phase, c.status, c.responsible.clone(), c.line.as_str()),
        (Phase::Finished, Status::Pending, None, "line1")
    );
    w.available.insert(op("xena"));
    w.client("thanks, one more thing");
    let c = w.latest();
    assert_eq!((c.phase, c.status, c.responsible.clone()), (Phase::Active, Status::Open, None));
    assert!(c.needs_routing() && c.line.as_str() == "line1", "routed in line 1: New tab of line-1 operators");
}

#[test]
fn seed_001_example_3_line_2_answering_first_in_an_unassigned_chat_hands_it_back_to_line_1() {
    let mut w = world_with(seed_001_rules());
    w.client("technical question");
    w.write("xena", "expert answer"); // xena becomes responsible by writing
    let c = w.latest();
    assert_eq!((c.phase, c.status, c.responsible.clone()), (Phase::Finished, Status::Pending, None));
    w.client("it worked, thanks");
    let c = w.latest();
    assert_eq!((c.id, c.phase, c.status, c.line.as_str()), (ChatId(1), Phase::Active, Status::Open, "line1"));
    assert!(c.needs_routing());
}

#[test]
fn seed_001_example_4_a_reactivated_chat_goes_straight_to_its_line_1_responsible() {
    let mut w = world_with(seed_001_rules());
    w.client("question");
    w.take("alice");
    w.write("alice", "answer");
    w.finish("alice", Status::Pending);
    w.available.insert(op("alice"));
    w.client("follow-up");
    let c = w.latest();
    assert_eq!(
        (c.phase, c.responsible.clone(), c.assigned_via),
        (Phase::Active, Some(op("alice")), Some(AssignVia::Pinned))
    );
    assert!(!c.needs_routing(), "My tab, not New");
}

#[test]
fn without_example_4_a_reactivated_chat_lands_in_new() {
    let mut w = world_with(vec![example_1(), example_2(), example_3()]);
    w.client("question");
    w.take("alice");
    w.write("alice", "answer");
    w.finish("alice", Status::Pending);
    w.available.insert(op("alice"));
    w.client("follow-up");
    assert!(w.latest().needs_routing());
}

#[test]
fn the_protocol_example_rule_hands_a_line_2_chat_back_to_line_1() {
    let protocol_rule = rule(
        "line 2 hands back to line 1",
        Trigger::Changed,
        Conditions {
            author: Some(vec![RuleAuthor::Operator]),
            responsible_line: lines(&["line2"]),
            status_before: Some(vec![Status::Open, Status::Pending]),
            ..Default::default()
        },
        vec![Action::Finish(Status::Pending), Action::AssignLine(line("line1")), Action::Stop],
    );
    let mut w = world_with(vec![protocol_rule]);
    w.client("hi");
    w.take("xena");
    w.write("xena", "first answer"); // status_before = new: no match
    assert_eq!(w.latest().phase, Phase::Active);
    w.write("xena", "second answer"); // status_before = open: match
    let c = w.latest();
    assert_eq!(
        (c.phase, c.status, c.responsible.clone(), c.line.as_str()),
        (Phase::Finished, Status::Pending, None, "line1")
    );
}

#[test]
fn every_matching_rule_applies_in_list_order_until_one_with_stop() {
    let tag = |name: &str, subject: &str, stop: bool| {
        let mut then = vec![Action::AutoReply { text: subject.into(), only_first_chat: false }];
        if stop {
            then.push(Action::Stop);
        }
        rule(name, Trigger::Incoming, Conditions::default(), then)
    };
    let mut w =
        world_with(vec![tag("a", "first", false), tag("b", "second", true), tag("c", "third", false)]);
    w.client("hi");
    let texts: Vec<_> = w.messages().into_iter().map(|(_, t)| t).collect();
    assert_eq!(texts, vec!["hi", "first", "second"]);
}

#[test]
fn a_rule_sees_what_the_rules_before_it_did() {
    let mut w = world_with(vec![
        rule("to line 2", Trigger::Incoming, Conditions::default(), vec![Action::AssignLine(line("line2"))]),
        rule(
            "line 2 chats to xena",
            Trigger::Incoming,
            Conditions { line: lines(&["line2"]), ..Default::default() },
            vec![Action::AssignOperator(op("xena"))],
        ),
    ]);
    w.client("hi");
    assert_eq!((w.latest().line.as_str(), w.latest().responsible.clone()), ("line2", Some(op("xena"))));
}

#[test]
fn actions_of_rules_do_not_trigger_rules_again() {
    let mut w = world_with(vec![
        rule(
            "pend",
            Trigger::Changed,
            Conditions { author: Some(vec![RuleAuthor::Client]), ..Default::default() },
            vec![Action::SetStatus(Status::Pending)],
        ),
        rule(
            "would react to pending",
            Trigger::Changed,
            Conditions { status_before: Some(vec![Status::Pending]), ..Default::default() },
            vec![Action::AssignOperator(op("bob"))],
        ),
    ]);
    w.client("hi");
    w.take("alice");
    w.write("alice", "hello");
    w.client("question"); // rule "pend" sets pending; that change triggers nothing
    assert_eq!((w.latest().status, w.latest().responsible.clone()), (Status::Pending, Some(op("alice"))));
}

#[test]
fn auto_reply_is_sent_only_on_the_first_chat_of_the_client_by_default() {
    let greet = |only_first_chat| {
        rule(
            "greet",
            Trigger::Incoming,
            Conditions::default(),
            vec![Action::AutoReply { text: "Hi! Leave your email".into(), only_first_chat }],
        )
    };
    let count = |w: &World| w.messages().iter().filter(|(_, t)| t == "Hi! Leave your email").count();
    for (only_first_chat, expected) in [(true, 1), (false, 2)] {
        let mut w = world_with(vec![greet(only_first_chat)]);
        w.client("hi");
        w.ok(Command::Finish {
            by: op("alice"),
            chat: ChatId(1),
            status: Status::Closed,
            operator_rating: None,
            request_vote: Some(false),
        });
        w.client("hi again"); // chat 2
        assert_eq!(count(&w), expected, "only_first_chat = {only_first_chat}");
    }
}

#[test]
fn an_event_without_a_message_never_matches_an_author_condition() {
    let mut w = world_with(vec![rule(
        "operator acted",
        Trigger::Changed,
        Conditions { author: Some(vec![RuleAuthor::Operator]), ..Default::default() },
        vec![Action::SetStatus(Status::OnHold)],
    )]);
    w.client("hi");
    w.take("alice"); // a change with no message
    assert_eq!(w.latest().status, Status::New);
}

#[test]
fn conditions_on_channel_status_and_phase_accept_any_of_a_list() {
    let when = Conditions {
        channel: Some(vec![ChannelId::from("mail"), ChannelId::from("web")]),
        status_before: Some(vec![Status::Pending, Status::OnHold]),
        phase_before: Some(vec![Phase::Active]),
        ..Default::default()
    };
    let mut w =
        world_with(vec![rule("flag", Trigger::Changed, when, vec![Action::AssignOperator(op("sam"))])]);
    w.client("hi");
    w.take("alice");
    w.write("alice", "hello");
    w.client("x"); // status_before open: no match
    assert_eq!(w.latest().responsible, Some(op("alice")));
    w.set_status(Status::OnHold); // status_before open: no match
    w.client("y"); // status_before on_hold, active: match
    assert_eq!(w.latest().responsible, Some(op("sam")));
}

#[test]
fn first_chat_and_reactivated_conditions_follow_the_chat() {
    let when = Conditions { first_chat: Some(false), reactivated: Some(false), ..Default::default() };
    let mut w = world_with(vec![rule(
        "repeat client",
        Trigger::Incoming,
        when,
        vec![Action::AssignOperator(op("bob"))],
    )]);
    w.client("hi");
    assert_eq!(w.latest().responsible, None, "first chat: no match");
    w.ok(Command::Finish {
        by: op("alice"),
        chat: ChatId(1),
        status: Status::Closed,
        operator_rating: None,
        request_vote: Some(false),
    });
    w.client("hi again");
    assert_eq!(w.latest().responsible, Some(op("bob")));
}

#[test]
fn a_rule_action_the_state_does_not_allow_is_skipped() {
    let mut w = world_with(vec![rule(
        "finish again",
        Trigger::Changed,
        Conditions { phase_before: Some(vec![Phase::Active]), ..Default::default() },
        vec![Action::Finish(Status::Open), Action::SetStatus(Status::OnHold), Action::Pin],
    )]);
    w.client("hi");
    w.ok(Command::ForceFinish { by: op("sam"), chat: ChatId(1) }); // triggers the rule on a spam chat
    let c = w.latest();
    assert_eq!((c.phase, c.status, c.pinned), (Phase::Finished, Status::Spam, false));
}

#[test]
fn assign_line_on_a_finished_chat_routes_it_in_that_line_on_its_next_reactivation() {
    let mut w = world_with(vec![rule(
        "pending goes to line 2",
        Trigger::Changed,
        Conditions { author: None, status_before: Some(vec![Status::Open]), ..Default::default() },
        vec![Action::AssignLine(line("line2"))],
    )]);
    w.client("hi");
    w.take("alice");
    w.write("alice", "hello");
    w.finish("alice", Status::Pending);
    assert_eq!((w.latest().line.as_str(), w.latest().responsible.clone()), ("line2", None));
    w.client("back");
    assert!(w.latest().needs_routing() && w.latest().line.as_str() == "line2");
}

#[test]
fn timer_finishes_trigger_changed_rules() {
    let mut w = World::new();
    w.client("hi");
    w.take("alice");
    w.settings.rules = vec![rule(
        "escalate stale chats",
        Trigger::Changed,
        Conditions { phase_before: Some(vec![Phase::Active]), ..Default::default() },
        vec![Action::AssignLine(line("line2"))],
    )];
    w.fire_next_timer();
    assert_eq!((w.latest().phase, w.latest().line.as_str()), (Phase::Finished, "line2"));
}

#[test]
fn a_rule_describes_its_conditions_and_actions_in_words() {
    let handback = rule(
        "line 2 hands back to line 1",
        Trigger::Changed,
        Conditions {
            author: Some(vec![RuleAuthor::Operator]),
            responsible_line: lines(&["line2"]),
            status_before: Some(vec![Status::Open, Status::Pending]),
            ..Default::default()
        },
        vec![Action::Finish(Status::Pending), Action::AssignLine(line("line1")), Action::Stop],
    );
    assert_eq!(
        handback.describe(),
        "rule \"line 2 hands back to line 1\": when a changed chat, author operator, responsible line \
         line2, status before open or pending → finish pending, assign line line1, stop"
    );
}

#[test]
fn every_condition_and_action_has_words() {
    let everything = rule(
        "all",
        Trigger::Incoming,
        Conditions {
            channel: Some(vec![ChannelId::from("web"), ChannelId::from("mail"), ChannelId::from("tg")]),
            line: lines(&["line1"]),
            responsible_line: lines(&["line1", "line2"]),
            status_before: Some(vec![Status::OnHold]),
            phase_before: Some(vec![Phase::Finished]),
            author: Some(vec![RuleAuthor::Client]),
            author_line: lines(&["line2"]),
            first_chat: Some(false),
            reactivated: Some(true),
            operators_online: Some(vec![Count::Exactly(0), Count::AtLeast(3)]),
            within_hours: Some(false),
        },
        vec![
            Action::AssignOperator(op("alice")),
            Action::SetStatus(Status::OnHold),
            Action::Pin,
            Action::Unpin,
            Action::AutoReply { text: "We are closed\nback at 9".into(), only_first_chat: true },
            Action::AutoReply { text: "Hi".into(), only_first_chat: false },
        ],
    );
    assert_eq!(
        everything.describe(),
        "rule \"all\": when a new chat, channel web, mail or tg, line line1, author client, author line \
         line2, responsible line line1 or line2, status before on_hold, phase before finished, not the \
         client's first chat, reactivated, outside the line's hours, 0 or at least 3 of the line's \
         operators online → assign operator alice, set status on_hold, pin, unpin, \
         auto-reply \"We are closed\\nback at 9\" (on the client's first chat only), auto-reply \"Hi\""
    );
    // A count that admits only zero reads as nobody.
    for zero in [Count::Exactly(0), Count::AtMost(0), Count::Between(0, 0)] {
        let nobody = Conditions { operators_online: Some(vec![zero]), ..Default::default() };
        assert_eq!(nobody.describe(), ["no operator of the line online"], "{zero:?}");
    }
    let one = Conditions { operators_online: Some(vec![Count::AtMost(1)]), ..Default::default() };
    assert_eq!(one.describe(), ["at most 1 of the line's operators online"]);
    let bare = rule(
        "any",
        Trigger::Changed,
        Conditions { first_chat: Some(true), ..Default::default() },
        vec![Action::Stop],
    );
    assert_eq!(bare.describe(), "rule \"any\": when a changed chat, the client's first chat → stop");
}

/// `line`'s hours: `windows` in UTC.
fn set_hours(s: &mut Settings, line_id: &str, windows: &[(Days, u16, u16)]) {
    let windows = windows.iter().map(|(d, from, to)| Window::new(*d, *from, *to).unwrap()).collect();
    s.lines[&line(line_id)].hours = Some(Hours { zone: jiff::tz::TimeZone::UTC, windows });
}

/// Monday to Friday, 09:00 to 18:00.
fn office() -> (Days, u16, u16) {
    (Days::range(Weekday::Mon, Weekday::Fri), 9 * 60, 18 * 60)
}

fn reply_when(name: &str, when: Conditions, text: &str) -> Rule {
    rule(name, Trigger::Incoming, when, vec![Action::AutoReply { text: text.into(), only_first_chat: false }])
}

fn replied(w: &World, text: &str) -> bool {
    w.messages().iter().any(|(_, t)| t == text)
}

#[test]
fn an_after_hours_auto_reply_goes_out_only_outside_the_line_hours_at_the_command_time() {
    let closed = "We are closed; we answer from 9:00 Mon-Fri.";
    // T0 is Tuesday 2023-11-14 22:13:20 UTC.
    let rows = [
        (0.0, true),                                 // Tuesday 22:13:20: closed
        (10.0 * 3600.0 + 46.0 * 60.0 + 39.0, true),  // Wednesday 08:59:59: closed
        (10.0 * 3600.0 + 46.0 * 60.0 + 40.0, false), // Wednesday 09:00: open
        (19.0 * 3600.0, false),                      // Wednesday 17:13:20: open
        (4.0 * 86_400.0, true),                      // Saturday 22:13:20: closed
    ];
    for (after, expect_reply) in rows {
        let mut s = settings();
        set_hours(&mut s, "line1", &[office()]);
        s.rules = vec![reply_when(
            "after hours",
            Conditions { within_hours: Some(false), ..Default::default() },
            closed,
        )];
        let mut w = World::with(s, "web");
        w.advance(after);
        w.client("hello?");
        assert_eq!(replied(&w, closed), expect_reply, "{after} s after T0");
    }
}

#[test]
fn a_line_without_hours_is_always_within_them() {
    let mut w = world_with(vec![
        reply_when("closed", Conditions { within_hours: Some(false), ..Default::default() }, "closed"),
        reply_when("open", Conditions { within_hours: Some(true), ..Default::default() }, "open"),
    ]);
    w.client("hi");
    assert!(replied(&w, "open") && !replied(&w, "closed"));
}

#[test]
fn operators_online_counts_the_online_members_of_the_chat_line() {
    let nobody = "Nobody is online right now; we will answer as soon as someone is back.";
    // alice and bob are in line1, xena in line2, sam in both.
    let rows: [(&[&str], Count, bool); 10] = [
        (&[], Count::Exactly(0), true),
        (&["alice"], Count::Exactly(0), false),
        (&["xena"], Count::Exactly(0), true), // line 2 does not count
        (&["sam"], Count::Exactly(0), false), // a member of both lines counts
        (&[], Count::AtMost(0), true),
        (&["bob"], Count::AtMost(1), true),
        (&["alice", "bob"], Count::AtMost(1), false),
        (&["alice", "bob", "sam"], Count::AtLeast(3), true),
        (&["alice", "bob", "xena"], Count::AtLeast(3), false),
        (&["alice", "bob"], Count::Between(1, 2), true),
    ];
    for (online, count, expect_reply) in rows {
        let when = Conditions { operators_online: Some(vec![count]), ..Default::default() };
        let mut w = world_with(vec![reply_when("nobody in", when, nobody)]);
        w.online = online.iter().map(|o| op(o)).collect();
        w.client("anyone?");
        assert_eq!(replied(&w, nobody), expect_reply, "{online:?} online, {count:?}");
    }
}

#[test]
fn operators_online_accepts_any_of_a_list() {
    let when = Conditions {
        operators_online: Some(vec![Count::Exactly(0), Count::AtLeast(2)]),
        ..Default::default()
    };
    for (online, expect_reply) in [(&[][..], true), (&["alice"][..], false), (&["alice", "bob"][..], true)] {
        let mut w = world_with(vec![reply_when("zero or many", when.clone(), "r")]);
        w.online = online.iter().map(|o| op(o)).collect();
        w.client("hi");
        assert_eq!(replied(&w, "r"), expect_reply, "{online:?}");
    }
}

#[test]
fn counts_admit_what_they_say() {
    let rows = [
        (Count::Exactly(0), [true, false, false, false]),
        (Count::Exactly(2), [false, false, true, false]),
        (Count::AtMost(1), [true, true, false, false]),
        (Count::AtLeast(2), [false, false, true, true]),
        (Count::Between(1, 2), [false, true, true, false]),
    ];
    for (count, admits) in rows {
        let got: Vec<bool> = (0..4).map(|n| count.admits(n)).collect();
        assert_eq!(got, admits, "{count:?}");
    }
    let words: Vec<String> = [Count::Exactly(0), Count::AtMost(1), Count::AtLeast(2), Count::Between(1, 3)]
        .map(Count::describe)
        .into();
    assert_eq!(words, ["0", "at most 1", "at least 2", "1 to 3"]);
}

#[test]
fn the_line_a_rule_reads_is_the_chat_line_when_the_rule_is_evaluated() {
    // Line 2 is never open; rule 1 moves every new chat there, so rule 2 sees line 2's hours and
    // line 2's operators.
    let rules = || {
        vec![
            rule(
                "to line 2",
                Trigger::Incoming,
                Conditions::default(),
                vec![Action::AssignLine(line("line2"))],
            ),
            reply_when(
                "line 2 closed",
                Conditions { within_hours: Some(false), ..Default::default() },
                "line 2 is closed",
            ),
            reply_when(
                "nobody in line 2",
                Conditions { operators_online: Some(vec![Count::AtMost(0)]), ..Default::default() },
                "nobody in line 2",
            ),
        ]
    };
    let mut s = settings();
    set_hours(&mut s, "line2", &[(Days::NONE.with(Weekday::Sun), 0, 1)]);
    s.rules = rules();
    let mut w = World::with(s.clone(), "web");
    w.online = [op("alice"), op("bob")].into();
    w.client("hi");
    assert!(replied(&w, "line 2 is closed") && replied(&w, "nobody in line 2"));
    assert_eq!(w.latest().line.as_str(), "line2");

    let mut w = World::with(s, "web");
    w.online = [op("xena")].into();
    w.client("hi");
    assert!(!replied(&w, "nobody in line 2"), "xena is in line 2");
}

#[test]
fn hours_and_presence_are_not_asked_when_another_condition_fails() {
    struct Panicking;
    impl LineNow for Panicking {
        fn operators_online(&self, _: &LineId) -> u32 {
            panic!("asked for operators online")
        }
        fn within_hours(&self, _: &LineId) -> bool {
            panic!("asked for hours")
        }
    }
    let when = Conditions {
        channel: Some(vec![ChannelId::from("mail")]),
        within_hours: Some(false),
        operators_online: Some(vec![Count::Exactly(0)]),
        ..Default::default()
    };
    let facts = Facts {
        channel: &ChannelId::from("web"),
        line: &line("line1"),
        responsible: None,
        status_before: None,
        phase_before: None,
        author: None,
        first_chat: true,
        reactivated: false,
    };
    assert!(!when.hold(&facts, &settings(), &Panicking));
}
