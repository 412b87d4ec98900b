//! The node: everything one process runs, wired together — the store, presence, the hub and
//! board, the registry of conversation actors on worker arbiters, the supervisor, the deadline
//! scheduler and (when a channel has a webhook) the webhook deliverer — behind one door.
//!
//! [`Node`] is the only way in: the edges (sockets, HTTP) call its typed methods and never see
//! an actor, a mailbox or the store behind it. This is the seam where "this node" can become
//! "some node of a cluster": a second node changes what is behind these methods, not their
//! callers. The types the methods speak in (besides domain and store types) are re-exported
//! here, so edges import nothing from `crate::actors`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix::prelude::*;

use crate::actors::board::Board;
use crate::actors::conversation::{ConversationDeps, LiveConversations};
use crate::actors::hub::Hub;
use crate::actors::messages::{
    AcceptOffer, DeclineOffer, GetLines, GetNewTab, GetOperators, OperatorConnected, OperatorDisconnected,
    RelayOperatorTyping, SetPresence, StopScheduler, TakeChat,
};
use crate::actors::registry::Registry;
use crate::actors::scheduler::DeadlineScheduler;
use crate::actors::supervisor::{SupervisorActor, SupervisorDeps};
use crate::clock::Clock;
use crate::domain::routing::Presence;
use crate::domain::{
    ChatId, ChatView, Command, ConversationId, DomainError, MessageView, OperatorId, Reply, Settings,
    Timestamp,
};
use crate::metrics::Metrics;
use crate::presence::PresenceStore;
use crate::store::{
    ChatPage, ChatQuery, ConversationHead, MessageQuery, ParkedPage, ReportQuery, ReportRow, Store,
    StoreError,
};
use crate::webhook::{DelivererOptions, OutboxWritten, RetryPolicy, StopDelivering, WebhookDeliverer};

pub use crate::actors::hub::{CutOff, SubscriptionId};
pub use crate::actors::messages::{
    CommandError, LineStatus, NewTab, NotifyClient, NotifyOperator, OpenOffer, OperatorStatus,
};

/// Tunables of a node.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// A conversation actor idle this long is stopped (its state stays in the store).
    pub passivate_after: Duration,
    /// How often the deadline index is polled for passivated conversations.
    pub deadline_poll: Duration,
    /// Worker threads for conversation actors.
    pub workers: usize,
    /// This node's name (presence records, logs).
    pub node_id: String,
    /// How often the webhook outbox is polled (commits that write deliveries also wake it).
    pub webhook_poll: Duration,
    /// The wait after a first failed webhook attempt; it doubles per further failure.
    pub webhook_backoff: Duration,
    /// How long one webhook attempt may take before it counts as failed.
    pub webhook_timeout: Duration,
    /// Client messages per second into one conversation, bursts up to twice that
    /// (`limits.conversation_messages_per_second`).
    pub conversation_messages_per_second: u32,
    /// A webhook delivery that failed this many attempts is parked.
    pub webhook_max_attempts: u32,
    /// A webhook delivery still failing this long after it was queued is parked.
    pub webhook_max_age: Duration,
}

impl Default for NodeOptions {
    fn default() -> Self {
        Self {
            passivate_after: Duration::from_secs(300),
            deadline_poll: Duration::from_secs(1),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            node_id: "n1".into(),
            webhook_poll: Duration::from_millis(200),
            webhook_backoff: RetryPolicy::default().backoff,
            webhook_timeout: Duration::from_secs(10),
            conversation_messages_per_second: 20,
            webhook_max_attempts: RetryPolicy::default().max_attempts,
            webhook_max_age: RetryPolicy::default().max_age,
        }
    }
}

impl NodeOptions {
    /// The webhook deliverer's tunables.
    fn deliverer(&self) -> DelivererOptions {
        DelivererOptions {
            poll: self.webhook_poll,
            retry: RetryPolicy {
                backoff: self.webhook_backoff,
                max_attempts: self.webhook_max_attempts,
                max_age: self.webhook_max_age,
            },
            timeout: self.webhook_timeout,
            ..DelivererOptions::default()
        }
    }
}

/// What the node runs on: its configuration, storage, presence backend, metrics and clock.
pub struct NodeParts {
    /// Configuration.
    pub settings: Arc<Settings>,
    /// Durable storage.
    pub store: Arc<dyn Store>,
    /// Where presence is recorded.
    pub presence: Arc<dyn PresenceStore>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
}

/// A running node.
pub struct Node {
    settings: Arc<Settings>,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    hub: Arc<Hub>,
    board: Arc<Board>,
    registry: Arc<Registry>,
    supervisor: Addr<SupervisorActor>,
    scheduler: Addr<DeadlineScheduler>,
    deliverer: Option<Addr<WebhookDeliverer>>,
    workers: Vec<Arbiter>,
}

impl Node {
    /// Starts a node: restores the supervisor's queues from the store, then starts the deadline
    /// scheduler (which wakes conversations whose timers came due while the node was down) and,
    /// when a channel has a `webhook_url` or the outbox still holds deliveries (pending or
    /// parked), the webhook deliverer (which sends what was pending before a crash, and what an
    /// admin re-queues). Must be called inside an actix system.
    pub async fn start(parts: NodeParts, options: NodeOptions) -> Result<Node, StoreError> {
        let NodeParts { settings, store, presence, metrics, clock } = parts;
        let workers: Vec<Arbiter> = (0..options.workers.max(1)).map(|_| Arbiter::new()).collect();
        let open_chats = store.open_chats().await?;
        let parked = store.parked_count().await?;
        metrics.webhook_parked.set(i64::try_from(parked).unwrap_or(i64::MAX));
        let webhooks = settings.channels.values().any(|c| c.webhook_url.is_some())
            || parked > 0
            || !store.due_outbound(Timestamp(i64::MAX), 1).await?.is_empty();
        let hub = Arc::new(Hub::new(metrics.clone()));
        let board = Arc::new(Board::default());
        let deps = Arc::new(ConversationDeps {
            settings: settings.clone(),
            store: store.clone(),
            hub: hub.clone(),
            board: board.clone(),
            metrics: metrics.clone(),
            clock: clock.clone(),
            live: Arc::new(LiveConversations::new()),
            routing: OnceLock::new(),
            deliveries: OnceLock::new(),
            passivate_after: options.passivate_after,
            client_rate: options.conversation_messages_per_second,
        });
        let registry = Arc::new(Registry::new(deps.clone(), workers.iter().map(Arbiter::handle).collect()));
        let supervisor = SupervisorActor::new(
            SupervisorDeps {
                settings: settings.clone(),
                hub: hub.clone(),
                board: board.clone(),
                metrics: metrics.clone(),
                presence,
                registry: registry.clone(),
                clock: clock.clone(),
                node_id: options.node_id.clone(),
            },
            open_chats,
        )
        .start();
        let _ = deps.routing.set(supervisor.clone().recipient());
        let scheduler =
            DeadlineScheduler::new(store.clone(), registry.clone(), clock.clone(), options.deadline_poll)
                .start();
        let deliverer = webhooks.then(|| {
            WebhookDeliverer::new(
                store.clone(),
                settings.clone(),
                metrics.clone(),
                clock.clone(),
                options.deliverer(),
            )
            .start()
        });
        if let Some(deliverer) = &deliverer {
            let _ = deps.deliveries.set(deliverer.clone().recipient());
        }
        Ok(Node {
            settings,
            store,
            metrics,
            clock,
            hub,
            board,
            registry,
            supervisor,
            scheduler,
            deliverer,
            workers,
        })
    }

    /// The configuration the node runs.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The node's metrics (edges count their errors and sockets there).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The current time, as the node sees it.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    // ---- commands ----

    /// Runs `command` on a conversation; answered once its events are durable.
    pub async fn execute(
        &self,
        conversation: &ConversationId,
        command: Command,
    ) -> Result<Reply, CommandError> {
        self.registry.execute(conversation, command).await
    }

    /// The conversation a chat belongs to: from the board for open chats, else from the store.
    pub async fn locate(&self, chat: ChatId) -> Result<ConversationId, CommandError> {
        if let Some(conversation) = self.board.conversation_of(chat) {
            return Ok(conversation);
        }
        match self.store.chat(chat).await? {
            Some(view) => Ok(view.conversation),
            None => Err(DomainError::ChatNotFound(chat).into()),
        }
    }

    /// `operator` takes `chat` from their New tab.
    pub async fn take(&self, operator: OperatorId, chat: ChatId) -> Result<Reply, CommandError> {
        let conversation = self.locate(chat).await?;
        self.supervisor.send(TakeChat { operator, chat, conversation }).await.map_err(unreachable)?
    }

    /// `operator` accepts the offer of `chat`.
    pub async fn accept(&self, operator: OperatorId, chat: ChatId) -> Result<Reply, CommandError> {
        let conversation = self.locate(chat).await?;
        self.supervisor.send(AcceptOffer { operator, chat, conversation }).await.map_err(unreachable)?
    }

    /// `operator` declines the offer of `chat`.
    pub async fn decline(&self, operator: OperatorId, chat: ChatId) -> Result<(), CommandError> {
        self.supervisor.send(DeclineOffer { operator, chat }).await.map_err(unreachable)?
    }

    /// `operator` sets their presence.
    pub async fn set_presence(&self, operator: OperatorId, status: Presence) -> Result<(), CommandError> {
        self.supervisor.send(SetPresence { operator, status }).await.map_err(unreachable)
    }

    /// Relays `operator` typing in `chat` to its client; `not_found` for a chat they may not
    /// see, as for one that does not exist.
    pub async fn operator_typing(&self, operator: OperatorId, chat: ChatId) -> Result<(), CommandError> {
        let conversation = self.locate(chat).await?;
        self.registry.operator_typing(&conversation, RelayOperatorTyping { operator, chat }).await
    }

    /// Relays the client of `conversation` typing (best effort); `exists`: the conversation has
    /// a journal (typing alone never activates a new one).
    pub fn client_typing(&self, conversation: &ConversationId, exists: bool) {
        self.registry.client_typing(conversation, exists);
    }

    // ---- sockets ----

    /// An operator's socket opened: it hears `to` every notice for `operator` until
    /// [`Node::disconnect_operator`]; `cut` is raised if it is cut off as a slow consumer.
    pub fn connect_operator(
        &self,
        operator: OperatorId,
        to: Recipient<NotifyOperator>,
        cut: CutOff,
    ) -> SubscriptionId {
        let sub = self.hub.subscribe_operator(operator.clone(), to, cut);
        self.supervisor.do_send(OperatorConnected { operator });
        sub
    }

    /// An operator's socket closed.
    pub fn disconnect_operator(&self, operator: &OperatorId, sub: SubscriptionId) {
        self.hub.unsubscribe_operator(operator, sub);
        self.supervisor.do_send(OperatorDisconnected { operator: operator.clone() });
    }

    /// A client's socket opened on `conversation`.
    pub fn connect_client(
        &self,
        conversation: ConversationId,
        to: Recipient<NotifyClient>,
        cut: CutOff,
    ) -> SubscriptionId {
        self.hub.subscribe_client(conversation, to, cut)
    }

    /// A client's socket closed.
    pub fn disconnect_client(&self, conversation: &ConversationId, sub: SubscriptionId) {
        self.hub.unsubscribe_client(conversation, sub);
    }

    /// Tells every socket the node is shutting down (each closes itself with 1001).
    pub fn close_all_sockets(&self) {
        self.hub.close_all();
    }

    /// Sockets still subscribed to notices (a session unsubscribes when it stops).
    pub fn open_sockets(&self) -> usize {
        self.hub.sockets()
    }

    // ---- reads ----

    /// The chat row `id` (merged chats included), as stored.
    pub async fn chat(&self, id: ChatId) -> Result<Option<ChatView>, StoreError> {
        self.store.chat(id).await
    }

    /// The operators whose New tab shows `chat` (empty unless it waits in a queue).
    pub fn watchers(&self, chat: ChatId) -> Vec<OperatorId> {
        self.board.watchers(chat)
    }

    /// A page of the dialog list.
    pub async fn chats(&self, query: ChatQuery) -> Result<ChatPage, StoreError> {
        self.store.chats(query).await
    }

    /// A report per operator or line over the chats created in a range.
    pub async fn report(&self, query: ReportQuery) -> Result<Vec<ReportRow>, StoreError> {
        self.store.report(query).await
    }

    /// Messages of a conversation or chat, oldest first.
    pub async fn messages(&self, query: MessageQuery) -> Result<Vec<MessageView>, StoreError> {
        self.store.messages(query).await
    }

    /// Whether a conversation exists, and its latest chat (nothing is activated).
    pub async fn conversation_head(
        &self,
        conversation: ConversationId,
    ) -> Result<Option<ConversationHead>, StoreError> {
        self.store.conversation_head(conversation).await
    }

    /// A page of `operator`'s New tab and their open offers.
    pub async fn new_tab(
        &self,
        operator: OperatorId,
        after: Option<(Timestamp, ChatId)>,
        limit: usize,
    ) -> Result<NewTab, CommandError> {
        self.supervisor.send(GetNewTab { operator, after, limit }).await.map_err(unreachable)
    }

    /// Presence and load of every configured operator.
    pub async fn operators(&self) -> Result<Vec<OperatorStatus>, CommandError> {
        self.supervisor.send(GetOperators).await.map_err(unreachable)
    }

    /// Queue figures of every line.
    pub async fn lines(&self) -> Result<Vec<LineStatus>, CommandError> {
        self.supervisor.send(GetLines).await.map_err(unreachable)
    }

    // ---- webhooks ----

    /// A page of the parked webhook deliveries, oldest parked first.
    pub async fn parked_webhooks(
        &self,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<ParkedPage, StoreError> {
        self.store.parked_outbound(cursor, limit).await
    }

    /// Puts a parked delivery back in the queue (false: no such parked delivery).
    pub async fn requeue_webhook(&self, id: String) -> Result<bool, StoreError> {
        if !self.store.requeue_parked(id, self.clock.now()).await? {
            return Ok(false);
        }
        self.metrics.webhook_parked.dec();
        if let Some(deliverer) = &self.deliverer {
            deliverer.do_send(OutboxWritten);
        }
        Ok(true)
    }

    // ---- health ----

    /// Resolves when the store answers (readiness).
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.store.check().await
    }

    /// Conversations with a live actor on this node.
    pub fn live_conversations(&self) -> usize {
        self.registry.len()
    }

    /// The Prometheus text of every metric, with the live conversations counted now.
    pub fn metrics_text(&self) -> String {
        self.metrics.conversations_active.set(i64::try_from(self.live_conversations()).unwrap_or(i64::MAX));
        self.metrics.render()
    }

    /// Stops the scheduler, the deliverer and worker threads after every accepted write is
    /// durable. Deliveries still pending stay in the outbox for the next start.
    pub async fn shutdown(&self) -> Result<(), StoreError> {
        self.scheduler.do_send(StopScheduler);
        if let Some(deliverer) = &self.deliverer {
            deliverer.do_send(StopDelivering);
        }
        let flushed = self.store.flush().await;
        for worker in &self.workers {
            worker.stop();
        }
        flushed
    }

    /// Kills the node as a crash would: worker threads stop where they are and are joined, and
    /// nothing is flushed or shut down in order. Tests use it to check recovery.
    #[cfg(test)]
    pub(crate) fn kill(self) {
        for worker in &self.workers {
            worker.stop();
        }
        for worker in self.workers {
            let _ = worker.join();
        }
    }

    /// The registry (actor tests look at live actors).
    #[cfg(test)]
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The webhook deliverer, if the node runs one (actor tests wake it).
    #[cfg(test)]
    pub(crate) fn deliverer(&self) -> Option<&Addr<WebhookDeliverer>> {
        self.deliverer.as_ref()
    }
}

/// An actor of the node did not answer (it stopped: the node is shutting down).
fn unreachable(e: MailboxError) -> CommandError {
    CommandError::Unavailable(format!("the supervisor is not answering: {e}"))
}
