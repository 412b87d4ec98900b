//! Properties over random command sequences (proptest): whatever clients, operators, timers and
//! automation do, in any order,
//! - at most one chat of the conversation is unfinished, and it is the latest;
//! - message seqs increase by one and never repeat;
//! - a timer never sets `spam`, and sets `closed` only by the optional auto-close of a finished
//!   `pending` chat (a voting timeout keeps the `closed` the operator chose);
//! - replaying the emitted events from scratch yields an equal state (checked by `World::exec`
//!   after every command), and events survive a JSON round trip;
//! - a refused command changes nothing;
//! - armed deadlines are exactly what each chat's state calls for.

use proptest::prelude::{
    any, prop_assert, prop_assert_eq, prop_assert_ne, prop_oneof, proptest, Just, ProptestConfig,
    TestCaseError,
};
use proptest::strategy::Strategy as Gen;

use super::*;

const OPERATORS: [&str; 5] = ["alice", "bob", "xena", "sam", "ghost"];
const STATUSES: [Status; 6] =
    [Status::New, Status::Open, Status::Pending, Status::OnHold, Status::Closed, Status::Spam];

/// Which chat a step names: mostly the latest or its previous one, sometimes any number.
#[derive(Debug, Clone, Copy)]
enum ChatRef {
    Latest,
    Previous,
    Number(u64),
}

fn chat_ref() -> impl Gen<Value = ChatRef> + Clone {
    prop_oneof![6 => Just(ChatRef::Latest), 2 => Just(ChatRef::Previous), 1 => (1u64..6).prop_map(ChatRef::Number)]
}

fn resolve(r: ChatRef, conv: &Conversation) -> ChatId {
    let latest = conv.latest();
    match r {
        ChatRef::Latest => latest.map_or(ChatId(1), |c| c.id),
        ChatRef::Previous => latest.and_then(|c| c.prev_chat).unwrap_or(ChatId(1)),
        ChatRef::Number(n) => ChatId(n),
    }
}

#[derive(Debug, Clone)]
enum Step {
    Client,
    Write { who: usize, chat: Option<ChatRef> },
    Note { who: usize, chat: ChatRef },
    Take { who: usize, chat: ChatRef, accept: bool },
    SetStatus { chat: ChatRef, status: usize },
    Finish { who: usize, chat: ChatRef, status: usize, rating: Option<u8>, vote: Option<bool> },
    ForceFinish { chat: ChatRef },
    Reopen { who: usize, chat: ChatRef },
    ForwardOperator { chat: ChatRef, who: usize },
    ForwardLine { chat: ChatRef, line2: bool },
    Invite { chat: ChatRef, who: usize },
    Split { chat: ChatRef },
    Merge { chat: ChatRef },
    Pin { chat: ChatRef, pinned: bool },
    Vote { chat: ChatRef, score: u8 },
    Automated { campaign: bool },
    Advance { secs: u32 },
    Timer,
    Availability { who: usize, on: bool },
}

fn step() -> impl Gen<Value = Step> {
    let who = 0..OPERATORS.len();
    let chat = chat_ref();
    prop_oneof![
        4 => Just(Step::Client),
        3 => (who.clone(), proptest::option::of(chat.clone())).prop_map(|(who, chat)| Step::Write { who, chat }),
        1 => (who.clone(), chat.clone()).prop_map(|(who, chat)| Step::Note { who, chat }),
        2 => (who.clone(), chat.clone(), any::<bool>()).prop_map(|(who, chat, accept)| Step::Take { who, chat, accept }),
        2 => (chat.clone(), 0..STATUSES.len()).prop_map(|(chat, status)| Step::SetStatus { chat, status }),
        3 => (who.clone(), chat.clone(), prop_oneof![Just(1usize), Just(2), Just(4), Just(4), 0..STATUSES.len()], proptest::option::of(0u8..5), proptest::option::of(any::<bool>()))
            .prop_map(|(who, chat, status, rating, vote)| Step::Finish { who, chat, status, rating, vote }),
        1 => chat.clone().prop_map(|chat| Step::ForceFinish { chat }),
        1 => (who.clone(), chat.clone()).prop_map(|(who, chat)| Step::Reopen { who, chat }),
        1 => (chat.clone(), who.clone()).prop_map(|(chat, who)| Step::ForwardOperator { chat, who }),
        1 => (chat.clone(), any::<bool>()).prop_map(|(chat, line2)| Step::ForwardLine { chat, line2 }),
        1 => (chat.clone(), who.clone()).prop_map(|(chat, who)| Step::Invite { chat, who }),
        1 => chat.clone().prop_map(|chat| Step::Split { chat }),
        1 => chat.clone().prop_map(|chat| Step::Merge { chat }),
        1 => (chat.clone(), any::<bool>()).prop_map(|(chat, pinned)| Step::Pin { chat, pinned }),
        2 => (chat.clone(), prop_oneof![4 => 1u8..4, 1 => 0u8..6]).prop_map(|(chat, score)| Step::Vote { chat, score }),
        1 => any::<bool>().prop_map(|campaign| Step::Automated { campaign }),
        3 => (0u32..1500).prop_map(|secs| Step::Advance { secs }),
        3 => Just(Step::Timer),
        1 => (who, any::<bool>()).prop_map(|(who, on)| Step::Availability { who, on }),
    ]
}

fn command(step: &Step, conv: &Conversation) -> Option<Command> {
    let o = |i: usize| op(OPERATORS[i]);
    let id = |r: ChatRef| resolve(r, conv);
    Some(match step.clone() {
        Step::Client => Command::ClientMessage {
            text: "c".into(),
            client_msg_id: None,
            name: Some("Ann".into()),
            page_url: None,
        },
        Step::Write { who, chat } => {
            Command::OperatorMessage { by: o(who), chat: chat.map(id), text: "o".into(), client_msg_id: None }
        }
        Step::Note { who, chat } => Command::Note { by: o(who), chat: id(chat), text: "n".into() },
        Step::Take { who, chat, accept: false } => Command::Take { by: o(who), chat: id(chat) },
        Step::Take { who, chat, accept: true } => Command::Accept { by: o(who), chat: id(chat) },
        Step::SetStatus { chat, status } => {
            Command::SetStatus { by: o(0), chat: id(chat), status: STATUSES[status] }
        }
        Step::Finish { who, chat, status, rating, vote } => Command::Finish {
            by: o(who),
            chat: id(chat),
            status: STATUSES[status],
            operator_rating: rating,
            request_vote: vote,
        },
        Step::ForceFinish { chat } => Command::ForceFinish { by: o(3), chat: id(chat) },
        Step::Reopen { who, chat } => Command::Reopen { by: o(who), chat: id(chat) },
        Step::ForwardOperator { chat, who } => {
            Command::Forward { by: o(3), chat: id(chat), to: ForwardTarget::Operator(o(who)) }
        }
        Step::ForwardLine { chat, line2 } => Command::Forward {
            by: o(3),
            chat: id(chat),
            to: ForwardTarget::Line(line(if line2 { "line2" } else { "line1" })),
        },
        Step::Invite { chat, who } => Command::Invite { by: o(0), chat: id(chat), operator: o(who) },
        Step::Split { chat } => Command::Split { by: o(0), chat: id(chat) },
        Step::Merge { chat } => Command::MergePrevious { by: o(0), chat: id(chat) },
        Step::Pin { chat, pinned } => Command::UpdateChat {
            by: o(0),
            chat: id(chat),
            fields: FieldsUpdate::default(),
            pinned: Some(pinned),
        },
        Step::Vote { chat, score } => Command::Vote { chat: id(chat), score },
        Step::Automated { campaign } => Command::Automated {
            kind: if campaign { AutomatedKind::Campaign } else { AutomatedKind::Bot },
            text: "a".into(),
        },
        Step::Timer => Command::TimerFired,
        Step::Advance { .. } | Step::Availability { .. } => return None,
    })
}

#[derive(Debug, Clone)]
struct Setup {
    channel: usize,
    auto_close: bool,
    rating: bool,
    rules: bool,
}

fn setup() -> impl Gen<Value = Setup> {
    (0usize..3, any::<bool>(), any::<bool>(), any::<bool>())
        .prop_map(|(channel, auto_close, rating, rules)| Setup { channel, auto_close, rating, rules })
}

fn world(setup: &Setup) -> World {
    let mut s = settings();
    s.timeouts.auto_close_pending = setup.auto_close.then_some(Span::secs(900));
    s.rating.enabled = setup.rating;
    if setup.rules {
        s.rules = vec![
            Rule {
                name: "handback".into(),
                on: Trigger::Changed,
                when: Conditions {
                    author: Some(vec![RuleAuthor::Operator]),
                    responsible_line: Some(vec![line("line2")]),
                    ..Default::default()
                },
                then: vec![Action::Finish(Status::Pending), Action::AssignLine(line("line1")), Action::Stop],
            },
            Rule {
                name: "pin reactivated".into(),
                on: Trigger::Changed,
                when: Conditions { reactivated: Some(true), ..Default::default() },
                then: vec![
                    Action::Pin,
                    Action::AutoReply { text: "welcome back".into(), only_first_chat: false },
                ],
            },
            Rule {
                name: "greet".into(),
                on: Trigger::Incoming,
                when: Conditions::default(),
                then: vec![
                    Action::AutoReply { text: "hi".into(), only_first_chat: true },
                    Action::SetStatus(Status::OnHold),
                ],
            },
        ];
    }
    World::with(s, ["web", "mail", "widget"][setup.channel])
}

/// Checks what a timer's events did, event by event, against the state each one met.
fn check_timer_events(
    before: &Conversation,
    events: &[Event],
    auto_close: bool,
) -> Result<(), TestCaseError> {
    let mut state = before.clone();
    for event in events {
        match &event.change {
            Change::Finished { chat, status, .. } => {
                prop_assert_ne!(*status, Status::Spam, "a timer set spam");
                if *status == Status::Closed {
                    let was = state.chat(*chat).map(|c| (c.phase, c.status));
                    prop_assert_eq!(
                        was,
                        Some((Phase::Closing, Status::Closed)),
                        "a timer closed a chat that was not closing"
                    );
                }
            }
            Change::StatusSet { chat, status: Status::Closed } => {
                let was = state.chat(*chat).map(|c| (c.phase, c.status));
                prop_assert!(auto_close, "closed by a timer without auto-close");
                prop_assert_eq!(was, Some((Phase::Finished, Status::Pending)));
            }
            Change::StatusSet { status: Status::Spam, .. } => prop_assert!(false, "a timer set spam"),
            _ => {}
        }
        state.apply(event);
    }
    Ok(())
}

fn check_state(w: &World) -> Result<(), TestCaseError> {
    let unfinished: Vec<_> =
        w.conv.chats.iter().filter(|c| c.phase != Phase::Finished).map(|c| c.id).collect();
    prop_assert!(unfinished.len() <= 1, "more than one unfinished chat: {:?}", unfinished);
    if let Some(id) = unfinished.first() {
        prop_assert_eq!(Some(*id), w.conv.latest().map(|c| c.id), "the unfinished chat is not the latest");
    }
    let mut ids: Vec<_> = w.conv.chats.iter().map(|c| c.id).collect();
    ids.dedup();
    prop_assert_eq!(ids.len(), w.conv.chats.len(), "chat numbers repeat");
    for c in &w.conv.chats {
        prop_assert_eq!(
            c.deadlines,
            c.due_deadlines(&w.settings.timers_for(&w.conv.id.channel, &c.line)),
            "chat {} deadlines out of step",
            c.id
        );
        if c.merged_into.is_some() {
            prop_assert_eq!(c.phase, Phase::Finished);
        }
    }
    let seqs: Vec<Seq> = w
        .journal
        .iter()
        .filter_map(|e| match &e.change {
            Change::MessageAppended(m) => Some(m.seq),
            _ => None,
        })
        .collect();
    prop_assert!(
        seqs.iter().enumerate().all(|(i, s)| *s == i as Seq + 1),
        "seqs not 1, 2, 3, ...: {:?}",
        seqs
    );
    prop_assert_eq!(w.conv.last_seq, seqs.len() as Seq);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_command_sequences_keep_every_invariant(setup in setup(), steps in proptest::collection::vec(step(), 1..60)) {
        let mut w = world(&setup);
        for step in &steps {
            match step {
                Step::Advance { secs } => w.advance(f64::from(*secs)),
                Step::Availability { who, on } => {
                    if *on { w.available.insert(op(OPERATORS[*who])); } else { w.available.remove(&op(OPERATORS[*who])); }
                }
                _ => {}
            }
            let Some(cmd) = command(step, &w.conv) else { continue };
            let before = w.conv.clone();
            let journal_len = w.journal.len();
            let is_timer = matches!(cmd, Command::TimerFired);
            match w.exec(cmd) {
                Ok(_) => {
                    if is_timer {
                        check_timer_events(&before, &w.last, setup.auto_close)?;
                    }
                }
                Err(_) => {
                    prop_assert_eq!(&w.conv, &before, "a refused command changed the state");
                    prop_assert_eq!(w.journal.len(), journal_len);
                }
            }
            check_state(&w)?;
        }
        let json = serde_json::to_string(&w.journal).unwrap();
        let back: Vec<Event> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &w.journal);
        prop_assert_eq!(Conversation::replay(w.conv.id.clone(), &back), w.conv.clone());
    }
}

#[test]
fn an_event_of_an_unknown_version_is_refused() {
    let json = r#"{"v":2,"at":0,"change":{"type":"client_named","name":"Ann"}}"#;
    let err = serde_json::from_str::<Event>(json).unwrap_err();
    assert!(err.to_string().contains("unsupported event version 2"), "{err}");
    let json = r#"{"v":1,"at":0,"change":{"type":"client_named","name":"Ann"}}"#;
    assert!(serde_json::from_str::<Event>(json).is_ok());
}
