//! Store benches: durable appends per second through the embedded store, the journal
//! (`journal_*`: what a node runs; a record synced to the journal is acknowledged, SQLite applies
//! it behind) and SQLite alone (`appenders`, `every_deadline`: the store before the journal, and
//! still the Redis backend's projection). N concurrent
//! appenders (one conversation each, like N conversation actors) each append one-message
//! commits in a loop, awaiting every append before the next (an actor acknowledges only after
//! durability). With one appender every commit pays its own fsync; with many, the writer's
//! group commit shares one transaction and one fsync among everything queued.
//!
//! Commits are real: a conversation driven through the domain (client and operator messages
//! alternating), so each carries the events, the message and the chat row an actor writes.
//! They are decided before the clock starts; only the appends are timed, and a read at the end
//! (which waits until the journal's projection holds everything acknowledged), so the figure is
//! what the store sustains, not what a queue absorbs.
//!
//! `cargo bench --bench store` (the database lives in a temporary directory; set
//! `FRONTLINE_BENCH_DIR` to put it on the disk you want to measure).

// A bench is a script: a broken step should abort it loudly.
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use frontline::config::{Config, Overrides};
use frontline::domain::{
    Command, Conversation, ConversationId, Ctx, NobodyAvailable, OperatorId, Settings, Timestamp,
};
use frontline::store::{Commit, DeadlineRow, JournalStore, SqliteStore, Store};

fn demo_settings() -> Settings {
    let config = Config::demo(&Overrides::default()).expect("the demo configuration is valid");
    (*config.settings).clone()
}

/// One conversation deciding its next commits like its actor would.
struct Appender {
    conv: Conversation,
    position: u64,
    now: i64,
    messages: u64,
    /// A deadline moving later is not written (as the actor does); else every commit writes
    /// the row (as it did before).
    only_earlier: bool,
    /// Its deadline row as written so far (`None`: nothing written yet).
    row: Option<Option<Timestamp>>,
}

impl Appender {
    fn new(i: usize, only_earlier: bool) -> Self {
        let id = ConversationId::new("web", format!("bench-{i}"));
        Self {
            conv: Conversation::new(id),
            position: 0,
            now: 1_700_000_000_000,
            messages: 0,
            only_earlier,
            row: None,
        }
    }

    /// The next `count` commits: client and operator messages alternating.
    fn decide(&mut self, store: &dyn Store, settings: &Settings, count: usize) -> Vec<Commit> {
        (0..count)
            .map(|_| {
                self.messages += 1;
                self.now += 1_000;
                let text = format!(
                    "message number {} of this conversation, a line of ordinary length",
                    self.messages
                );
                let command = if self.messages % 2 == 1 {
                    Command::ClientMessage {
                        text,
                        client_msg_id: Some(format!("k{}", self.messages)),
                        name: None,
                        page_url: None,
                    }
                } else {
                    Command::OperatorMessage {
                        by: OperatorId::from("alice"),
                        chat: None,
                        text,
                        client_msg_id: None,
                    }
                };
                let mut alloc = || store.next_chat_id();
                let mut ctx = Ctx {
                    now: Timestamp(self.now),
                    settings,
                    directory: &NobodyAvailable,
                    next_chat_id: &mut alloc,
                };
                let outcome = self.conv.handle(command, &mut ctx).expect("the scripted command is valid");
                let mut commit = Commit::of(&self.conv, &outcome, self.position);
                if self.only_earlier {
                    commit.deadline = DeadlineRow::change(self.row, outcome.state.next_deadline(), false);
                    self.row = Some(commit.deadline.after(self.row.flatten()));
                }
                self.position += outcome.events.len() as u64;
                self.conv = outcome.state;
                commit
            })
            .collect()
    }
}

fn storage() -> tempfile::TempDir {
    match std::env::var_os("FRONTLINE_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir).expect("FRONTLINE_BENCH_DIR is writable"),
        None => tempfile::tempdir().expect("a temporary directory"),
    }
}

fn appends(c: &mut Criterion) {
    let settings = demo_settings();
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let mut group = c.benchmark_group("store_append");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(10));
    // `appenders`: deadline rows written as the actor writes them (only when the deadline moves
    // earlier); `every_deadline`: each commit rewrites its row, as before.
    for (name, only_earlier, appenders) in [
        ("journal_appenders", true, 1_usize),
        ("journal_appenders", true, 16),
        ("journal_appenders", true, 256),
        ("appenders", true, 1),
        ("appenders", true, 16),
        ("appenders", true, 256),
        ("every_deadline", false, 256),
    ] {
        let dir = storage();
        let store: Arc<dyn Store> = if name.starts_with("journal") {
            Arc::new(JournalStore::open(dir.path()).expect("the store opens"))
        } else {
            Arc::new(SqliteStore::open(dir.path()).expect("the store opens"))
        };
        let mut conversations: Vec<Appender> =
            (0..appenders).map(|i| Appender::new(i, only_earlier)).collect();
        group.bench_with_input(BenchmarkId::new(name, appenders), &appenders, |b, &n| {
            b.iter_custom(|iters| {
                // `iters` commits in all, spread evenly over the appenders.
                let iters = usize::try_from(iters).expect("iteration count fits");
                let work: Vec<Vec<Commit>> = conversations
                    .iter_mut()
                    .enumerate()
                    .map(|(i, a)| a.decide(&*store, &settings, iters / n + usize::from(i < iters % n)))
                    .collect();
                runtime.block_on(async {
                    let start = Instant::now();
                    let tasks: Vec<_> = work
                        .into_iter()
                        .map(|commits| {
                            let store = Arc::clone(&store);
                            tokio::spawn(async move {
                                for commit in commits {
                                    store.append(commit).await.expect("the append is durable");
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.expect("the appender finished");
                    }
                    store.due(Timestamp(0), 1).await.expect("a read after the appends");
                    start.elapsed()
                })
            });
        });
        runtime.block_on(store.flush()).expect("flush");
    }
    group.finish();
}

criterion_group!(benches, appends);
criterion_main!(benches);
