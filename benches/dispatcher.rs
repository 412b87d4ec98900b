//! Supervisor assignment at contact-centre scale: the pure routing `Dispatcher` with 10,000
//! operators, all connected and online, in one line, for each strategy. Each iteration routes a
//! new waiting chat (`chat_changed` → an `Offer`, or for broadcast a `ChatNew` to the line),
//! gets it accepted (or taken), confirmed, made the operator's responsible chat, and finished,
//! so capacity frees and the state is the same after every iteration (no ever-growing queue).
//!
//! - `route_new_chat/<strategy>`: only the `chat_changed` of the new chat is timed (the rest of
//!   the cycle runs untimed, via `iter_custom`).
//! - `assignment_cycle/<strategy>`: the whole cycle, 5 dispatcher calls, per assignment.
//!
//! Throughput is in assignments (elements) per second.
//!
//! `cargo bench --bench dispatcher` (knob: FRONTLINE_BENCH_OPERATORS, default 10000)

// A bench is a script: a broken step should abort it loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, Criterion, Throughput};

use frontline::domain::{
    AssignVia, Cause, ChatId, ChatRouting, ConversationId, Dispatcher, Effect, Line, LineId, Operator,
    OperatorId, Role, Settings, Span, Strategy, Timestamp,
};

const STRATEGIES: [Strategy; 4] =
    [Strategy::Broadcast, Strategy::RoundRobin, Strategy::LeastLoaded, Strategy::LongestIdle];

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One line `l1` with `strategy`, and `operators` members (capacity 3 each, a usual agent's
/// concurrent-chat limit).
fn settings(strategy: Strategy, operators: usize) -> Settings {
    let mut s = Settings::default();
    s.timeouts.offer = Span::secs(30);
    s.timeouts.presence_grace = Span::secs(30);
    let line = LineId::from("l1");
    s.lines.insert(
        line.clone(),
        Line {
            id: line.clone(),
            strategy,
            overflow_after: None,
            overflow_to: None,
            reassign_after: None,
            hours: None,
        },
    );
    for i in 0..operators {
        let id = OperatorId::from(format!("op{i}"));
        let o = Operator {
            id: id.clone(),
            name: format!("Operator {i}"),
            lines: vec![line.clone()],
            capacity: 3,
            role: Role::Operator,
        };
        s.operators.insert(id, o);
    }
    s
}

/// A dispatcher with every operator connected (online), and the clock and ids of a bench.
struct Floor {
    d: Dispatcher,
    strategy: Strategy,
    operators: Vec<OperatorId>,
    now: Timestamp,
    next_chat: u64,
    /// Broadcast: who takes the next chat (the operators take turns).
    next_taker: usize,
}

impl Floor {
    fn new(strategy: Strategy, operators: usize) -> Self {
        let settings = Arc::new(settings(strategy, operators));
        let operators: Vec<OperatorId> = settings.operators.keys().cloned().collect();
        let mut d = Dispatcher::new(settings);
        let mut now = Timestamp(1_700_000_000_000);
        for op in &operators {
            d.connected(op, now);
            now = now.after(Span::millis(1));
        }
        Self { d, strategy, operators, now, next_chat: 0, next_taker: 0 }
    }

    fn tick(&mut self) -> Timestamp {
        self.now = self.now.after(Span::millis(1));
        self.now
    }

    fn routing(&self, chat: ChatId, responsible: Option<&OperatorId>, open: bool) -> ChatRouting {
        ChatRouting {
            chat,
            conversation: ConversationId::new("web", format!("c{}", chat.0)),
            line: LineId::from("l1"),
            queued_at: None,
            needs_routing: open && responsible.is_none(),
            responsible: responsible.cloned(),
            open,
            via: responsible.map(|_| {
                if self.strategy == Strategy::Broadcast {
                    AssignVia::Take
                } else {
                    AssignVia::Accept
                }
            }),
            returned_from: None,
            by: responsible.map_or(Cause::System, Cause::operator),
        }
    }

    /// A new chat waits in the line: returns it and the `chat_changed` effects.
    fn route(&mut self) -> (ChatId, Vec<Effect>) {
        self.next_chat += 1;
        let chat = ChatId(self.next_chat);
        let now = self.tick();
        let effects = self.d.chat_changed(self.routing(chat, None, true), now);
        (chat, effects)
    }

    /// Who gets the chat routed with `effects`: the operator offered it, or (broadcast) the
    /// next operator in turn, who takes it from the New tab.
    fn assignee(&mut self, chat: ChatId, effects: &[Effect]) -> OperatorId {
        if self.strategy == Strategy::Broadcast {
            assert!(
                effects.iter().any(|e| matches!(e, Effect::ChatNew { chat: c, .. } if *c == chat)),
                "a broadcast chat enters the New tab"
            );
            self.next_taker = (self.next_taker + 1) % self.operators.len();
            return self.operators[self.next_taker].clone();
        }
        effects
            .iter()
            .find_map(|e| match e {
                Effect::Offer { operator, chat: c, .. } if *c == chat => Some(operator.clone()),
                _ => None,
            })
            .expect("the new chat is offered to someone")
    }

    /// The operator answers (accept or take), the conversation confirms, the routing of the
    /// assignment arrives.
    fn assign(&mut self, chat: ChatId, op: &OperatorId) {
        let now = self.tick();
        if self.strategy == Strategy::Broadcast {
            self.d.take(op, chat, now).expect("the take is within capacity");
        } else {
            self.d.accept(op, chat, now).expect("the offer is open");
        }
        let now = self.tick();
        self.d.resolved(op, chat, true, now);
        let now = self.tick();
        self.d.chat_changed(self.routing(chat, Some(op), true), now);
    }

    /// The chat is finished: the operator's unit of capacity frees, the dispatcher forgets it.
    fn finish(&mut self, chat: ChatId, op: &OperatorId) {
        let now = self.tick();
        self.d.chat_changed(self.routing(chat, Some(op), false), now);
    }

    /// One whole assignment.
    fn cycle(&mut self) {
        let (chat, effects) = self.route();
        let op = self.assignee(chat, &effects);
        self.assign(chat, &op);
        self.finish(chat, &op);
    }
}

fn assignment(c: &mut Criterion) {
    let operators = knob("FRONTLINE_BENCH_OPERATORS", 10_000);
    let mut group = c.benchmark_group("dispatcher");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    for strategy in STRATEGIES {
        let started = Instant::now();
        let mut floor = Floor::new(strategy, operators);
        let setup = started.elapsed();
        floor.cycle();
        assert_eq!(floor.d.known_chats(), 0, "a finished chat is forgotten: the state is steady");
        println!(
            "{}: {operators} operators connected in {setup:.2?} ({:.1} µs per connect)",
            strategy.as_str(),
            setup.as_secs_f64() * 1e6 / operators as f64
        );
        group.bench_function(format!("route_new_chat/{}/{operators}_operators", strategy.as_str()), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let (chat, effects) = floor.route();
                    timed += t.elapsed();
                    let op = floor.assignee(chat, black_box(&effects));
                    floor.assign(chat, &op);
                    floor.finish(chat, &op);
                }
                timed
            })
        });
        group.bench_function(format!("assignment_cycle/{}/{operators}_operators", strategy.as_str()), |b| {
            b.iter(|| floor.cycle())
        });
        assert_eq!(floor.d.known_chats(), 0, "the state stayed steady");
    }
    group.finish();
}

criterion_group!(benches, assignment);

fn main() {
    // `cargo test --benches` runs benches with --bench absent: keep that quick (the set-up alone
    // connects 10,000 operators per strategy).
    if std::env::args().all(|a| a != "--bench") {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
