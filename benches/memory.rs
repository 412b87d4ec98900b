//! Memory per live conversation: activates N conversation actors (default 1,000,000), each with
//! an open, assigned chat and so an armed inactivity timer, and reports the process's RSS growth
//! per conversation and how many fit in a GiB.
//!
//! The actors are the real `ConversationActor`s, activated by the real registry and restored by
//! their real start-up path (`started` → `Store::load` → `restore` → timer armed for
//! `next_deadline()`). Only the journal they load is not read from SQLite: the bench's store
//! (`Prebuilt`) builds each conversation's journal on demand through the domain (a client
//! message, a take by alice, another client message) and delegates everything else to a real
//! `SqliteStore`. So the store is not what is measured, and no journal is held in memory beyond
//! the load that restores it.
//!
//! Timers are checked for real: one conversation in `N / PROBES` (a probe) gets a journal whose
//! inactivity deadline is `PROBE_DELAY` after its activation. Each probe's timer must fire (the
//! actor finishes the chat for inactivity and appends that: the store counts it) and not before
//! its deadline.
//!
//! With `--passivated`, no actor is activated up front: the N conversations are open in the
//! store (what a node restarted with them, or one whose actors were passivated, holds), each
//! with its inactivity deadline in the store's deadline index. The node starts over them: the
//! supervisor rebuilds its queues and loads from every open chat, and the deadline scheduler
//! polls the index. The RSS growth from before the node starts to after is what one node holds
//! per open conversation without a live actor. The probes' deadlines are the only ones the
//! index returns as due: the scheduler activates those conversations and their timers fire.
//! The list of open chats the supervisor rebuilds from is transient (freed once the queues are
//! built): the bench builds and frees one such list before its first reading, so that whatever
//! the allocator would keep of it is in the "before" reading too, and prints both.
//!
//! `cargo bench --bench memory [-- --conversations N] [--passivated]` (or
//! FRONTLINE_BENCH_CONVERSATIONS=N)

#![allow(clippy::expect_used, clippy::unwrap_used)] // a bench is a script: a broken step aborts it loudly

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use frontline::clock::SystemClock;
use frontline::config::{Config, Overrides};
use frontline::domain::directory::NobodyAvailable;
use frontline::domain::{
    AuthorView, Change, ChatId, ChatView, Command, Conversation, ConversationId, Ctx, FinishCause,
    MessageView, OperatorId, Settings, Span, Timestamp,
};
use frontline::node::{Node, NodeOptions, NodeParts};
use frontline::presence::MemoryPresence;
use frontline::store::{
    ChatPage, ChatQuery, Commit, ConversationHead, Journal, MessageQuery, OutboundRow, ParkedPage,
    ReportQuery, ReportRow, SqliteStore, Store, StoreFuture,
};

/// How many probe conversations check that timers fire.
const PROBES: usize = 100;
/// A probe's inactivity deadline, after its activation.
const PROBE_DELAY: Span = Span::secs(2);
/// Conversations activated before the "before" RSS reading (allocator and arbiters warm).
const WARM_UP: usize = 1_000;
/// Activations in flight at once.
const IN_FLIGHT: usize = 10_000;
/// Chat ids of the prebuilt journals start here (clear of the store's own numbering).
const FIRST_CHAT: u64 = 1_000_000_000;

fn passivated() -> bool {
    std::env::args().any(|a| a == "--passivated")
}

fn conversations() -> usize {
    let args: Vec<String> = std::env::args().collect();
    let arg = args.iter().position(|a| a == "--conversations").and_then(|i| args.get(i + 1)).cloned();
    arg.or_else(|| std::env::var("FRONTLINE_BENCH_CONVERSATIONS").ok())
        .map_or(1_000_000, |v| v.parse().expect("--conversations takes a number"))
}

/// VmRSS of this process in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

fn conversation(i: usize) -> ConversationId {
    ConversationId::new("web", format!("c{i}"))
}

/// A store serving journals built through the domain, for conversations `web:c<i>`; everything
/// else goes to a real SQLite store. Appends are counted, not written: here they can only be
/// probes' timers finishing their chat.
struct Prebuilt {
    sqlite: SqliteStore,
    settings: Arc<Settings>,
    probe_every: usize,
    loads: AtomicU64,
    /// Inactivity finishes appended (timers that fired).
    fired: AtomicU64,
    /// Probes' inactivity deadlines.
    probes: Mutex<HashMap<ConversationId, Timestamp>>,
    /// Earliest and latest firing relative to the deadline, in ms (negative: too early).
    earliest_ms: AtomicI64,
    latest_ms: AtomicI64,
    /// Passivated mode: the conversations open in the store (`open_chats` lists them, `due`
    /// lists the probes' deadlines) and the time their journals are built at (fixed, so that a
    /// conversation's deadline stays where the index says).
    open: Option<(usize, Timestamp)>,
    /// Probes whose chat was finished.
    finished: Mutex<HashSet<ConversationId>>,
}

impl Prebuilt {
    /// Conversation `i`'s journal: a client writes, alice takes the chat, the client writes again
    /// (the chat is active and assigned: its inactivity deadline is set).
    fn journal(&self, id: &ConversationId) -> Journal {
        let i: usize = id.client.as_str().trim_start_matches('c').parse().expect("a bench conversation");
        let now = self.open.map_or_else(frontline::clock::SystemClock::now, |(_, at)| at);
        let probe = i % self.probe_every == self.probe_every / 2;
        let at = if probe {
            // deadline = at + inactivity = now + PROBE_DELAY
            Timestamp(now.0 - self.settings.timeouts.inactivity.0 + PROBE_DELAY.0)
        } else {
            now
        };
        let mut state = Conversation::new(id.clone());
        let mut events = Vec::new();
        let mut next = || ChatId(FIRST_CHAT + i as u64);
        let client = |text: &str| Command::ClientMessage {
            text: text.into(),
            client_msg_id: None,
            name: None,
            page_url: None,
        };
        let commands = [
            client("hello, where is my order?"),
            Command::Take { by: OperatorId::from("alice"), chat: ChatId(FIRST_CHAT + i as u64) },
            client("it was due yesterday"),
        ];
        for command in commands {
            let mut ctx = Ctx {
                now: at,
                settings: &self.settings,
                directory: &NobodyAvailable,
                next_chat_id: &mut next,
            };
            let outcome = state.handle(command, &mut ctx).expect("the scripted command is valid");
            state = outcome.state;
            events.extend(outcome.events);
        }
        let deadline = state.next_deadline().expect("an active, assigned chat has an inactivity deadline");
        if probe {
            assert_eq!(deadline, now.after(PROBE_DELAY), "the probe's deadline is its inactivity deadline");
            self.probes.lock().unwrap().insert(id.clone(), deadline);
        }
        Journal::of_events(events)
    }
}

impl Store for Prebuilt {
    fn append(&self, commit: Commit) -> StoreFuture<()> {
        for event in &commit.events {
            if let Change::Finished { cause: FinishCause::Inactivity, .. } = &event.change {
                self.fired.fetch_add(1, Ordering::Relaxed);
                self.finished.lock().unwrap().insert(commit.conversation.clone());
                let deadline = self.probes.lock().unwrap().get(&commit.conversation).copied();
                // A non-probe firing would have no deadline here: count it as infinitely early.
                let late = deadline.map_or(i64::MIN, |d| event.at.0 - d.0);
                self.earliest_ms.fetch_min(late, Ordering::Relaxed);
                self.latest_ms.fetch_max(late, Ordering::Relaxed);
            }
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn load(&self, conversation: ConversationId) -> StoreFuture<Journal> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        let journal = self.journal(&conversation);
        Box::pin(std::future::ready(Ok(journal)))
    }

    fn conversation_head(&self, conversation: ConversationId) -> StoreFuture<Option<ConversationHead>> {
        self.sqlite.conversation_head(conversation)
    }

    fn find_message(
        &self,
        conversation: ConversationId,
        author: AuthorView,
        client_msg_id: String,
    ) -> StoreFuture<Option<MessageView>> {
        self.sqlite.find_message(conversation, author, client_msg_id)
    }

    fn chat(&self, id: ChatId) -> StoreFuture<Option<ChatView>> {
        self.sqlite.chat(id)
    }

    fn chats(&self, query: ChatQuery) -> StoreFuture<ChatPage> {
        self.sqlite.chats(query)
    }

    fn report(&self, query: ReportQuery) -> StoreFuture<Vec<ReportRow>> {
        self.sqlite.report(query)
    }

    fn open_chats(&self) -> StoreFuture<Vec<ChatView>> {
        let Some((n, _)) = self.open else { return self.sqlite.open_chats() };
        let views = (0..n)
            .map(|i| {
                let id = conversation(i);
                let (state, _) = self.journal(&id).replay(id);
                let chat = state.chat(ChatId(FIRST_CHAT + i as u64)).expect("the scripted chat");
                ChatView::of(&state, chat)
            })
            .collect();
        Box::pin(std::future::ready(Ok(views)))
    }

    fn messages(&self, query: MessageQuery) -> StoreFuture<Vec<MessageView>> {
        self.sqlite.messages(query)
    }

    fn due(&self, until: Timestamp, limit: usize) -> StoreFuture<Vec<(ConversationId, Timestamp)>> {
        if self.open.is_none() {
            return self.sqlite.due(until, limit);
        }
        // The deadline index: the probes' deadlines are the only ones within the run.
        let finished = self.finished.lock().unwrap().clone();
        let mut due: Vec<(ConversationId, Timestamp)> = self
            .probes
            .lock()
            .unwrap()
            .iter()
            .filter(|(id, at)| **at <= until && !finished.contains(*id))
            .map(|(id, at)| (id.clone(), *at))
            .collect();
        due.sort_by_key(|(id, at)| (*at, id.to_string()));
        due.truncate(limit);
        Box::pin(std::future::ready(Ok(due)))
    }

    fn due_outbound(&self, now: Timestamp, limit: usize) -> StoreFuture<Vec<OutboundRow>> {
        self.sqlite.due_outbound(now, limit)
    }

    fn delivered(&self, id: String) -> StoreFuture<()> {
        self.sqlite.delivered(id)
    }

    fn retry_later(&self, id: String, attempts: u32, next_at: Timestamp) -> StoreFuture<()> {
        self.sqlite.retry_later(id, attempts, next_at)
    }

    fn park(&self, id: String, attempts: u32, at: Timestamp, reason: String) -> StoreFuture<()> {
        self.sqlite.park(id, attempts, at, reason)
    }

    fn parked_outbound(&self, cursor: Option<String>, limit: usize) -> StoreFuture<ParkedPage> {
        self.sqlite.parked_outbound(cursor, limit)
    }

    fn requeue_parked(&self, id: String, now: Timestamp) -> StoreFuture<bool> {
        self.sqlite.requeue_parked(id, now)
    }

    fn parked_count(&self) -> StoreFuture<u64> {
        self.sqlite.parked_count()
    }

    fn next_chat_id(&self) -> ChatId {
        self.sqlite.next_chat_id()
    }

    fn check(&self) -> StoreFuture<()> {
        self.sqlite.check()
    }

    fn flush(&self) -> StoreFuture<()> {
        self.sqlite.flush()
    }
}

/// A node over `store` with the demo's settings as `config` changed them.
async fn start_node(config: &Config, store: &Arc<Prebuilt>, options: NodeOptions) -> Node {
    Node::start(
        NodeParts {
            settings: config.settings.clone(),
            store: store.clone(),
            presence: Arc::new(MemoryPresence::default()),
            metrics: Arc::new(frontline::metrics::Metrics::new()),
            clock: Arc::new(SystemClock),
        },
        options,
    )
    .await
    .unwrap()
}

/// Activates `range` of the conversations, `IN_FLIGHT` at a time, each answering a timer check
/// once restored (its timer is then armed; nothing is due yet, so nothing changes); returns how
/// many answered.
async fn activate(node: &Node, range: std::ops::Range<usize>) -> usize {
    let mut restored = 0;
    let mut start = range.start;
    while start < range.end {
        let end = (start + IN_FLIGHT).min(range.end);
        let answers = join_all(
            (start..end)
                .map(|i| async move { node.execute(&conversation(i), Command::TimerFired).await.is_ok() }),
        )
        .await;
        restored += answers.into_iter().filter(|ok| *ok).count();
        start = end;
    }
    restored
}

fn gib(bytes: f64) -> f64 {
    bytes / (1u64 << 30) as f64
}

async fn measure(n: usize, passivated: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::demo(&Overrides::default()).unwrap();
    let settings = Arc::get_mut(&mut config.settings).unwrap();
    // Long enough that no non-probe deadline comes due during the run.
    settings.timeouts.inactivity = Span::secs(4 * 3600);
    let store = Arc::new(Prebuilt {
        sqlite: SqliteStore::open(dir.path()).unwrap(),
        settings: config.settings.clone(),
        probe_every: (n / PROBES).max(1),
        loads: AtomicU64::new(0),
        fired: AtomicU64::new(0),
        probes: Mutex::new(HashMap::new()),
        earliest_ms: AtomicI64::new(i64::MAX),
        latest_ms: AtomicI64::new(i64::MIN),
        open: passivated.then(|| (n, SystemClock::now())),
        finished: Mutex::new(HashSet::new()),
    });
    if passivated {
        return measure_passivated(n, &config, store).await;
    }
    // Passivation would stop idle actors during a long run: not what is measured.
    let options =
        NodeOptions { workers: 2, passivate_after: Duration::from_secs(4 * 3600), ..NodeOptions::default() };
    let node = start_node(&config, &store, options).await;

    let warm = WARM_UP.min(n / 10);
    let mut restored = activate(&node, 0..warm).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss();
    let started = Instant::now();
    restored += activate(&node, warm..n).await;
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = rss();
    let live = node.live_conversations();
    let fired_during = store.fired.load(Ordering::Relaxed);

    let measured = (n - warm) as f64;
    let per = after.saturating_sub(before) as f64 / measured;
    println!(
        "activated {} conversation actors (each an open, assigned chat with an armed inactivity timer) in {:.2}s: \
         {:.0} activations/s; {} restored with their chat, {} loads, {} live in the registry",
        n - warm,
        took.as_secs_f64(),
        measured / took.as_secs_f64(),
        restored,
        store.loads.load(Ordering::Relaxed),
        live,
    );
    println!(
        "RSS {:.1} MiB before ({warm} warm-up actors live), {:.1} MiB after: {:.0} bytes per conversation, \
         {:.0} conversations per GiB",
        before as f64 / (1 << 20) as f64,
        after as f64 / (1 << 20) as f64,
        per,
        (1u64 << 30) as f64 / per,
    );
    println!(
        "RSS growth in total: {:.2} GiB for {} conversations",
        gib(after.saturating_sub(before) as f64),
        n - warm
    );

    // The probes' timers: each must fire, not before its deadline.
    let wait = Instant::now();
    let probes = store.probes.lock().unwrap().len() as u64;
    while store.fired.load(Ordering::Relaxed) < probes
        && wait.elapsed() < PROBE_DELAY.to_std() + Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fired = store.fired.load(Ordering::Relaxed);
    let (earliest, latest) =
        (store.earliest_ms.load(Ordering::Relaxed), store.latest_ms.load(Ordering::Relaxed));
    println!(
        "timers: {fired} of {probes} probe conversations (1 in {}, deadline {}s after activation) finished their \
         chat for inactivity ({fired_during} of them while the rest were activating); fired {earliest}..{latest} ms \
         after the deadline",
        store.probe_every,
        PROBE_DELAY.as_secs_f64(),
    );
    assert_eq!(restored, n, "every conversation restored its chat");
    assert_eq!(fired, probes, "every probe's timer fired");
    assert!(earliest >= 0, "no timer fired before its deadline");
    node.shutdown().await.unwrap();
}

/// The passivated mode (see the module comment).
async fn measure_passivated(n: usize, config: &Config, store: Arc<Prebuilt>) {
    // The list of open chats the node rebuilds from is transient; building (and freeing) one
    // first puts whatever the allocator keeps of it in the first reading, so the growth is what
    // the node keeps.
    let transient = store.open_chats().await.unwrap();
    let listed = rss();
    drop(transient);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss();
    let started = Instant::now();
    let options = NodeOptions { workers: 2, ..NodeOptions::default() };
    let node = start_node(config, &store, options).await;
    let took = started.elapsed();
    // The probes come due as the node starts: wait for their timers, then read the RSS.
    let probes = store.probes.lock().unwrap().len() as u64;
    let wait = Instant::now();
    while store.fired.load(Ordering::Relaxed) < probes && wait.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss();
    let per = after.saturating_sub(before) as f64 / n as f64;
    let live = node.live_conversations();
    println!(
        "started a node over {n} open conversations (each an open, assigned chat with an inactivity deadline in \
         the store's index, no live actor) in {:.2}s; {live} live actors after the probes fired",
        took.as_secs_f64(),
    );
    println!(
        "RSS {:.1} MiB with the list of open chats built, {:.1} MiB once it is freed",
        listed as f64 / (1 << 20) as f64,
        before as f64 / (1 << 20) as f64,
    );
    println!(
        "RSS {:.1} MiB before the node, {:.1} MiB after: {:.0} bytes per open conversation, \
         {:.0} open conversations per GiB",
        before as f64 / (1 << 20) as f64,
        after as f64 / (1 << 20) as f64,
        per,
        (1u64 << 30) as f64 / per,
    );
    let fired = store.fired.load(Ordering::Relaxed);
    let earliest = store.earliest_ms.load(Ordering::Relaxed);
    println!(
        "timers: {fired} of {probes} probe conversations (1 in {}) were woken by the deadline index and finished \
         their chat for inactivity, {earliest} ms or more after the deadline",
        store.probe_every,
    );
    assert_eq!(fired, probes, "every probe's timer fired");
    assert!(earliest >= 0, "no timer fired before its deadline");
    assert!(live as u64 <= probes, "only the woken probes are live");
    node.shutdown().await.unwrap();
}

fn main() {
    // `cargo test --benches` runs benches with --bench absent: keep that quick.
    if std::env::args().all(|a| a != "--bench") {
        return;
    }
    let n = conversations();
    actix::System::new().block_on(measure(n, passivated()));
}
