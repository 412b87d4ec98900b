//! Actor tests against a real node: the SQLite store in a temporary directory, in-memory
//! presence, worker arbiters, and probe actors standing in for sockets. Timeouts are configured
//! in fractions of a second; waits are bounded and end as soon as the awaited notice arrives.

// Test helpers panic on a broken environment; that is a test failure, as it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod durability;
mod routing;
mod timers;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::domain::{
    ChatId, ChatView, ClientNotice, Command, ConversationId, OperatorNotice, Reply, Settings, Span,
};
use crate::node::{CommandError, Node, NodeOptions, NodeParts, NotifyClient, NotifyOperator, SubscriptionId};
use crate::presence::MemoryPresence;
use crate::store::sqlite::SqliteStore;
use crate::store::Store;

pub(crate) use crate::domain::tests::{line, op, settings};

/// How long any awaited notice may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// A running node on a fresh data directory.
pub(crate) struct Rig {
    pub node: Arc<Node>,
    /// The node's clock, when the test moves it ([`Rig::start_manual`]).
    pub clock: Option<Arc<ManualClock>>,
    pub store: Arc<SqliteStore>,
    /// Keeps the data directory alive as long as the node.
    _dir: Arc<tempfile::TempDir>,
}

/// Standard test settings with `f` applied.
pub(crate) fn settings_with(f: impl FnOnce(&mut Settings)) -> Settings {
    let mut s = settings();
    f(&mut s);
    s
}

pub(crate) fn secs(s: f64) -> Span {
    Span((s * 1000.0) as i64)
}

pub(crate) fn options() -> NodeOptions {
    NodeOptions {
        passivate_after: Duration::from_secs(60),
        deadline_poll: Duration::from_millis(50),
        workers: 2,
        node_id: "test".into(),
        webhook_poll: Duration::from_millis(20),
        webhook_backoff: Duration::from_millis(20),
        webhook_timeout: Duration::from_secs(2),
        // Actor tests script bursts of client messages; the limit has its own test.
        conversation_messages_per_second: 100_000,
        webhook_max_attempts: 50,
        webhook_max_age: Duration::from_secs(3600),
    }
}

impl Rig {
    pub async fn start(settings: Settings) -> Rig {
        Self::start_in(settings, options(), Arc::new(tempfile::tempdir().unwrap())).await
    }

    /// A node on a manual clock: timers fire only when the test calls [`Rig::advance`].
    pub async fn start_manual(settings: Settings) -> Rig {
        let clock = Arc::new(ManualClock::new(crate::domain::tests::T0));
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let mut rig = Self::start_on(settings, options(), dir, clock.clone()).await;
        rig.clock = Some(clock);
        rig
    }

    /// Moves the manual clock forward by `secs` seconds.
    pub fn advance(&self, secs: f64) {
        self.clock.as_ref().expect("a rig started with start_manual").advance(super::tests::secs(secs));
    }

    pub async fn start_in(settings: Settings, options: NodeOptions, dir: Arc<tempfile::TempDir>) -> Rig {
        Self::start_on(settings, options, dir, Arc::new(SystemClock)).await
    }

    /// A node on `clock`, its store in `dir`.
    pub async fn start_on(
        settings: Settings,
        options: NodeOptions,
        dir: Arc<tempfile::TempDir>,
        clock: Arc<dyn Clock>,
    ) -> Rig {
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let parts = NodeParts {
            settings: Arc::new(settings),
            store: store.clone(),
            presence: Arc::new(MemoryPresence::default()),
            metrics: Arc::new(crate::metrics::Metrics::new()),
            clock,
        };
        let node = Arc::new(Node::start(parts, options).await.unwrap());
        Rig { node, clock: None, store, _dir: dir }
    }

    /// A client's conversation on `web`.
    pub fn conv(client: &str) -> ConversationId {
        ConversationId::new("web", client)
    }

    pub async fn run(&self, conversation: &ConversationId, command: Command) -> Result<Reply, CommandError> {
        self.node.execute(conversation, command).await
    }

    /// The client writes; returns (chat, seq).
    pub async fn client_says(&self, client: &str, text: &str) -> (ChatId, u64) {
        let cmd =
            Command::ClientMessage { text: text.into(), client_msg_id: None, name: None, page_url: None };
        stored(self.run(&Self::conv(client), cmd).await.unwrap())
    }

    /// `operator` writes into the client's conversation; returns (chat, seq).
    pub async fn operator_says(&self, operator: &str, client: &str, text: &str) -> (ChatId, u64) {
        let cmd =
            Command::OperatorMessage { by: op(operator), chat: None, text: text.into(), client_msg_id: None };
        stored(self.run(&Self::conv(client), cmd).await.unwrap())
    }

    /// `operator` accepts the offer of `chat` (`accept`), or takes it from New.
    pub async fn take(
        &self,
        operator: &str,
        _client: &str,
        chat: ChatId,
        accept: bool,
    ) -> Result<Reply, CommandError> {
        if accept {
            self.node.accept(op(operator), chat).await
        } else {
            self.node.take(op(operator), chat).await
        }
    }

    pub async fn chat(&self, id: ChatId) -> ChatView {
        self.store.chat(id).await.unwrap().expect("chat row exists")
    }

    /// Connects a socket of `operator`.
    pub async fn operator(&self, operator: &str) -> Socket<OperatorNotice> {
        let (tx, rx) = unbounded_channel();
        let sink = OperatorSink(tx).start();
        let sub = self.node.connect_operator(op(operator), sink.recipient(), Default::default());
        // The supervisor has handled the connect once it answers a later question.
        self.node.operators().await.unwrap();
        Socket { sub, rx, kept: Vec::new() }
    }

    /// Closes a socket of `operator`.
    pub async fn disconnect(&self, operator: &str, socket: Socket<OperatorNotice>) {
        self.node.disconnect_operator(&op(operator), socket.sub);
        self.node.operators().await.unwrap();
    }

    /// Connects a socket of a `web` client.
    pub fn client(&self, client: &str) -> Socket<ClientNotice> {
        let (tx, rx) = unbounded_channel();
        let sink = ClientSink(tx).start();
        let sub = self.node.connect_client(Self::conv(client), sink.recipient(), Default::default());
        Socket { sub, rx, kept: Vec::new() }
    }
}

pub(crate) fn stored(reply: Reply) -> (ChatId, u64) {
    match reply {
        Reply::Stored { chat: Some(chat), seq } => (chat, seq),
        other => panic!("expected a stored message, got {other:?}"),
    }
}

/// A probe socket: every notice it got, in order.
pub(crate) struct Socket<T> {
    pub sub: SubscriptionId,
    rx: UnboundedReceiver<T>,
    kept: Vec<T>,
}

impl<T: std::fmt::Debug> Socket<T> {
    /// The first notice (oldest first, including earlier unmatched ones) matching `pred`.
    pub async fn wait(&mut self, pred: impl Fn(&T) -> bool) -> T {
        if let Some(i) = self.kept.iter().position(&pred) {
            return self.kept.remove(i);
        }
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(n)) if pred(&n) => return n,
                Ok(Some(n)) => self.kept.push(n),
                Ok(None) => panic!("socket closed; got {:?}", self.kept),
                Err(_) => panic!("no matching notice within {PATIENCE:?}; got {:?}", self.kept),
            }
        }
    }

    /// True when nothing matching `pred` arrives within `for_`.
    pub async fn quiet(&mut self, pred: impl Fn(&T) -> bool, for_: Duration) -> bool {
        if self.kept.iter().any(&pred) {
            return false;
        }
        let deadline = tokio::time::Instant::now() + for_;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(n)) if pred(&n) => return false,
                Ok(Some(n)) => self.kept.push(n),
                Ok(None) | Err(_) => return true,
            }
        }
    }
}

struct OperatorSink(UnboundedSender<OperatorNotice>);

impl Actor for OperatorSink {
    type Context = Context<Self>;
}

impl Handler<NotifyOperator> for OperatorSink {
    type Result = ();
    fn handle(&mut self, msg: NotifyOperator, _: &mut Self::Context) {
        let _ = self.0.send(msg.notice);
    }
}

struct ClientSink(UnboundedSender<ClientNotice>);

impl Actor for ClientSink {
    type Context = Context<Self>;
}

impl Handler<NotifyClient> for ClientSink {
    type Result = ();
    fn handle(&mut self, msg: NotifyClient, _: &mut Self::Context) {
        let _ = self.0.send(msg.notice);
    }
}

// ---- notice predicates ----

pub(crate) fn is_offer(chat: ChatId) -> impl Fn(&OperatorNotice) -> bool {
    move |n| matches!(n, OperatorNotice::Offer { chat: c, .. } if c.id == chat)
}

pub(crate) fn any_offer(n: &OperatorNotice) -> bool {
    matches!(n, OperatorNotice::Offer { .. })
}

pub(crate) fn offered_chat(n: &OperatorNotice) -> ChatId {
    match n {
        OperatorNotice::Offer { chat, .. } => chat.id,
        other => panic!("not an offer: {other:?}"),
    }
}

pub(crate) fn is_withdrawn(chat: ChatId) -> impl Fn(&OperatorNotice) -> bool {
    move |n| matches!(n, OperatorNotice::OfferWithdrawn { chat: c, .. } if *c == chat)
}

pub(crate) fn is_assigned(chat: ChatId) -> impl Fn(&OperatorNotice) -> bool {
    move |n| matches!(n, OperatorNotice::ChatAssigned { chat: c, .. } if c.id == chat)
}

pub(crate) fn is_new(chat: ChatId) -> impl Fn(&OperatorNotice) -> bool {
    move |n| matches!(n, OperatorNotice::ChatNew(c) if c.id == chat)
}

pub(crate) fn is_removed(chat: ChatId) -> impl Fn(&OperatorNotice) -> bool {
    move |n| matches!(n, OperatorNotice::ChatRemoved { chat: c, .. } if *c == chat)
}
