//! Domain core micro benches: how many commands per second the pure state machine decides, how
//! fast a journal replays, and what 10 or 100 rules cost per message.
//!
//! `cargo bench --bench domain`

// A bench is a script: a broken step should abort it loudly.
#![allow(clippy::expect_used)]

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use frontline::config::{Config, Overrides};
use frontline::domain::{
    Action, ChatId, Command, Conditions, Conversation, ConversationId, Ctx, Directory, Event, OperatorId,
    Rule, RuleAuthor, Settings, Status, Timestamp, Trigger,
};

struct Nobody;

impl Directory for Nobody {
    fn can_receive_pinned(&self, _: &OperatorId) -> bool {
        false
    }

    fn online(&self, _: &OperatorId) -> bool {
        false
    }
}

fn demo_settings() -> Settings {
    let config = Config::demo(&Overrides::default()).expect("the demo configuration is valid");
    (*config.settings).clone()
}

/// Runs `command` at `now`, adopting the resulting state; returns the events.
fn run(
    conv: &mut Conversation,
    settings: &Settings,
    now: i64,
    next: &mut u64,
    command: Command,
) -> Vec<Event> {
    let mut alloc = || {
        *next += 1;
        ChatId(*next)
    };
    let mut ctx = Ctx { now: Timestamp(now), settings, directory: &Nobody, next_chat_id: &mut alloc };
    let outcome = conv.handle(command, &mut ctx).expect("the scripted command is valid");
    *conv = outcome.state;
    outcome.events
}

fn client(text: &str) -> Command {
    Command::ClientMessage { text: text.into(), client_msg_id: Some("k".into()), name: None, page_url: None }
}

fn operator(text: &str) -> Command {
    Command::OperatorMessage {
        by: OperatorId::from("alice"),
        chat: None,
        text: text.into(),
        client_msg_id: None,
    }
}

/// A conversation with an active chat alice has answered.
fn active(settings: &Settings) -> (Conversation, u64) {
    let mut conv = Conversation::new(ConversationId::new("web", "c1"));
    let mut next = 0;
    run(&mut conv, settings, 0, &mut next, client("hello"));
    run(&mut conv, settings, 1, &mut next, Command::Take { by: OperatorId::from("alice"), chat: ChatId(1) });
    run(&mut conv, settings, 2, &mut next, operator("hi"));
    (conv, next)
}

fn messages(c: &mut Criterion) {
    let settings = demo_settings();
    let (conv, next) = active(&settings);
    let mut group = c.benchmark_group("domain");
    group.throughput(Throughput::Elements(1));
    group.bench_function("client_message_into_active_chat", |b| {
        b.iter_batched_ref(
            || (conv.clone(), next),
            |(conv, next)| black_box(run(conv, &settings, 10, next, client("where is my order?"))),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("operator_message_into_active_chat", |b| {
        b.iter_batched_ref(
            || (conv.clone(), next),
            |(conv, next)| black_box(run(conv, &settings, 10, next, operator("it ships today"))),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn lifecycle(c: &mut Criterion) {
    let settings = demo_settings();
    let mut group = c.benchmark_group("domain");
    // client writes, alice accepts, 10 exchanges, finish closed, vote: 25 commands
    group.throughput(Throughput::Elements(25));
    group.bench_function("chat_lifecycle_25_commands", |b| {
        b.iter(|| {
            let mut conv = Conversation::new(ConversationId::new("web", "c1"));
            let mut next = 0;
            run(&mut conv, &settings, 0, &mut next, client("hello"));
            run(
                &mut conv,
                &settings,
                1,
                &mut next,
                Command::Accept { by: OperatorId::from("alice"), chat: ChatId(1) },
            );
            for i in 0..10 {
                run(&mut conv, &settings, 2 + i * 2, &mut next, operator("answer"));
                run(&mut conv, &settings, 3 + i * 2, &mut next, client("question"));
            }
            let by = OperatorId::from("alice");
            let finish = Command::Finish {
                by,
                chat: ChatId(1),
                status: Status::Closed,
                operator_rating: None,
                request_vote: None,
            };
            run(&mut conv, &settings, 30, &mut next, finish);
            run(&mut conv, &settings, 31, &mut next, Command::Vote { chat: ChatId(1), score: 3 });
            black_box(conv)
        })
    });
    group.finish();
}

fn replay(c: &mut Criterion) {
    let settings = demo_settings();
    let (mut conv, mut next) = active(&settings);
    let mut journal = Vec::new();
    for i in 0..500 {
        journal.extend(run(&mut conv, &settings, 10 + i, &mut next, client("question")));
        journal.extend(run(&mut conv, &settings, 10 + i, &mut next, operator("answer")));
    }
    let mut group = c.benchmark_group("domain");
    group.throughput(Throughput::Elements(journal.len() as u64));
    group.bench_function("replay_journal", |b| {
        b.iter(|| black_box(Conversation::replay(ConversationId::new("web", "c1"), &journal)))
    });
    let json: Vec<String> = journal.iter().map(|e| serde_json::to_string(e).expect("serialisable")).collect();
    group.bench_function("replay_journal_from_json", |b| {
        b.iter(|| {
            let events = json.iter().map(|j| serde_json::from_str::<Event>(j).expect("valid"));
            let mut conv = Conversation::new(ConversationId::new("web", "c1"));
            for e in events {
                conv.apply(&e);
            }
            black_box(conv)
        })
    });
    group.finish();
}

fn rules(c: &mut Criterion) {
    let mut group = c.benchmark_group("rules");
    group.throughput(Throughput::Elements(1));
    for n in [10usize, 100] {
        let mut settings = demo_settings();
        // Conditions that are checked but do not match, so every rule is evaluated.
        settings.rules = (0..n)
            .map(|i| Rule {
                name: format!("rule {i}"),
                on: Trigger::Changed,
                when: Conditions {
                    author: Some(vec![RuleAuthor::Client]),
                    status_before: Some(vec![Status::Pending, Status::OnHold]),
                    ..Conditions::default()
                },
                then: vec![Action::SetStatus(Status::OnHold)],
            })
            .collect();
        let (conv, next) = active(&settings);
        group.bench_function(format!("client_message_with_{n}_rules"), |b| {
            b.iter_batched_ref(
                || (conv.clone(), next),
                |(conv, next)| black_box(run(conv, &settings, 10, next, client("question"))),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, messages, lifecycle, replay, rules);
criterion_main!(benches);
