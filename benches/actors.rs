//! Routed client messages per second through the actors, without the network: clients' messages
//! go through conversation actors, are made durable by the SQLite writer (group commit), fanned
//! out to the responsible operator's socket, and acknowledged. Also: how long a conversation
//! with a long journal takes to activate.
//!
//! `cargo bench --bench actors` (knobs: FRONTLINE_BENCH_CONVERSATIONS, _MESSAGES)

#![allow(clippy::expect_used, clippy::unwrap_used)] // a bench is a script: a broken step aborts it loudly

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use futures_util::future::join_all;

use frontline::clock::SystemClock;
use frontline::config::{Config, Overrides};
use frontline::domain::{Command, ConversationId, OperatorId, Reply};
use frontline::node::{Node, NodeOptions, NodeParts, NotifyOperator};
use frontline::presence::MemoryPresence;
use frontline::store::SqliteStore;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Counts what reaches an operator's socket. The hub only `try_send`s and cuts a full mailbox
/// off (slow consumer), so the counter's mailbox is large: a bench burst must not look like a
/// stalled socket (actix's default mailbox holds 16).
struct Counter(Arc<AtomicU64>);

impl Actor for Counter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(1 << 20);
    }
}

impl Handler<NotifyOperator> for Counter {
    type Result = ();
    fn handle(&mut self, _: NotifyOperator, _: &mut Self::Context) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn client(text: String) -> Command {
    Command::ClientMessage { text, client_msg_id: None, name: None, page_url: None }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

async fn routed_messages(conversations: usize, messages: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::demo(&Overrides::default()).unwrap();
    let settings = Arc::get_mut(&mut config.settings).unwrap();
    settings.rules.clear();
    for o in settings.operators.values_mut() {
        o.capacity = 100_000;
    }
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let options = NodeOptions { workers: 2, ..NodeOptions::default() };
    let node = Node::start(
        NodeParts {
            settings: config.settings.clone(),
            store,
            presence: Arc::new(MemoryPresence::default()),
            metrics: Arc::new(frontline::metrics::Metrics::new()),
            clock: Arc::new(SystemClock),
        },
        options,
    )
    .await
    .unwrap();
    let delivered = Arc::new(AtomicU64::new(0));
    let alice = OperatorId::from("alice");
    node.connect_operator(alice.clone(), Counter(delivered.clone()).start().recipient(), Default::default());

    // Every conversation gets a chat that alice took, so messages go straight to her.
    let convs: Vec<ConversationId> =
        (0..conversations).map(|i| ConversationId::new("web", format!("c{i}"))).collect();
    let node = &node;
    join_all(convs.iter().map(|conv| async {
        let reply = node.execute(conv, client("hello".into())).await.unwrap();
        let Reply::Stored { chat: Some(chat), .. } = reply else { panic!("not stored") };
        node.execute(conv, Command::Take { by: alice.clone(), chat }).await.unwrap();
    }))
    .await;

    let before = delivered.load(Ordering::Relaxed);
    let started = Instant::now();
    let latencies: Vec<Vec<Duration>> = join_all(convs.iter().map(|conv| async move {
        let mut own = Vec::with_capacity(messages);
        for i in 0..messages {
            let t = Instant::now();
            node.execute(conv, client(format!("message {i}"))).await.unwrap();
            own.push(t.elapsed());
        }
        own
    }))
    .await;
    let elapsed = started.elapsed();
    let mut all: Vec<Duration> = latencies.into_iter().flatten().collect();
    all.sort_unstable();
    let total = all.len() as f64;
    // let the last deliveries land
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = delivered.load(Ordering::Relaxed) - before;
    assert!(got >= all.len() as u64, "only {got} deliveries for {} messages", all.len());
    println!(
        "routed client messages: {conversations} conversations x {messages} messages = {total} in {:.2}s: {:.0} msg/s; \
         ack latency p50 {:?} p99 {:?} p99.9 {:?}; operator deliveries {got}",
        elapsed.as_secs_f64(),
        total / elapsed.as_secs_f64(),
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        percentile(&all, 0.999),
    );
}

async fn activation(events: usize) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::demo(&Overrides::default()).unwrap();
    let conv = ConversationId::new("web", "long");
    {
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let node = Node::start(
            NodeParts {
                settings: config.settings.clone(),
                store,
                presence: Arc::new(MemoryPresence::default()),
                metrics: Arc::new(frontline::metrics::Metrics::new()),
                clock: Arc::new(SystemClock),
            },
            NodeOptions::default(),
        )
        .await
        .unwrap();
        let reply = node.execute(&conv, client("hello".into())).await.unwrap();
        let Reply::Stored { chat: Some(chat), .. } = reply else { panic!("not stored") };
        node.execute(&conv, Command::Take { by: OperatorId::from("alice"), chat }).await.unwrap();
        // each client message is 2 events (the message, the inactivity deadline)
        for i in 0..events / 2 {
            node.execute(&conv, client(format!("m{i}"))).await.unwrap();
        }
        node.shutdown().await.unwrap();
    }
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let node = Node::start(
        NodeParts {
            settings: config.settings.clone(),
            store,
            presence: Arc::new(MemoryPresence::default()),
            metrics: Arc::new(frontline::metrics::Metrics::new()),
            clock: Arc::new(SystemClock),
        },
        NodeOptions::default(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    node.execute(&conv, client("after restart".into())).await.unwrap();
    println!("activation of a conversation with ~{events} events, then one message: {:?}", started.elapsed());
}

fn main() {
    // `cargo test --benches` runs benches with --bench absent: keep that quick.
    if std::env::args().all(|a| a != "--bench") {
        return;
    }
    let conversations = knob("FRONTLINE_BENCH_CONVERSATIONS", 1000);
    let messages = knob("FRONTLINE_BENCH_MESSAGES", 20);
    actix::System::new().block_on(async move {
        routed_messages(conversations, messages).await;
        routed_messages(1, 200).await;
        activation(10_000).await;
    });
}
