//! The node: everything one process runs, wired together — the store, presence, the hub and
//! board, the registry of conversation actors on worker arbiters, the supervisor, the deadline
//! scheduler and (when a channel has a webhook) the webhook deliverer — behind one door.
//!
//! [`Node`] is the only way in: the edges (sockets, HTTP) call its typed methods and never see
//! an actor, a mailbox or the store behind it. This is the seam where "this node" can become
//! "some node of a cluster": a second node changes what is behind these methods, not their
//! callers. The types the methods speak in (besides domain and store types) are re-exported
//! here, so edges import nothing from `crate::actors`.

mod call;
mod core;

use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use actix::prelude::*;

use self::core::{Core, CoreParts};
use crate::actors::hub::Hub;
use crate::clock::Clock;
use crate::domain::routing::Presence;
use crate::domain::{
    access, ChatId, ChatView, Command, ConversationId, DomainError, MessageView, OperatorId, Reply, Settings,
    Timestamp,
};
use crate::metrics::Metrics;
use crate::presence::PresenceStore;
use crate::store::{
    ChatPage, ChatQuery, ConversationHead, MessageQuery, ParkedPage, ReportQuery, ReportRow, Store,
    StoreError,
};
use crate::webhook::{DelivererOptions, RetryPolicy};

pub use self::call::{Answer, Call};
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
    pub(crate) fn deliverer(&self) -> DelivererOptions {
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
    node_id: String,
    presence: Arc<dyn PresenceStore>,
    options: NodeOptions,
    /// The conversation-serving machinery, while this node runs it (always, standalone).
    core: RwLock<Option<Arc<Core>>>,
    /// The way to the leader when this node does not serve conversations itself.
    remote: OnceLock<Arc<dyn Remote>>,
}

/// How a node that does not serve conversations reaches the one that does (cluster mode).
pub trait Remote: Send + Sync + 'static {
    /// Asks the leader; `Answer::Unavailable` when there is none or it does not answer in time.
    fn call(&self, call: Call) -> futures_util::future::BoxFuture<'static, Answer>;

    /// The leader as last seen.
    fn leader(&self) -> Option<String>;
}

impl Node {
    /// Starts a standalone node: its core runs for the node's whole life (see [`Core::start`]).
    /// Must be called inside an actix system.
    pub async fn start(parts: NodeParts, options: NodeOptions) -> Result<Node, StoreError> {
        let node = Node::idle(parts, options);
        let core = Core::start(&node.core_parts(), &node.options).await?;
        node.install(Some(Arc::new(core)));
        Ok(node)
    }

    /// A node that serves no conversation yet (cluster mode: until it leads).
    pub fn idle(parts: NodeParts, options: NodeOptions) -> Node {
        let NodeParts { settings, store, presence, metrics, clock } = parts;
        let hub = Arc::new(Hub::new(metrics.clone()));
        Node {
            settings,
            store,
            metrics,
            clock,
            hub,
            node_id: options.node_id.clone(),
            presence,
            options,
            core: RwLock::new(None),
            remote: OnceLock::new(),
        }
    }

    fn core_parts(&self) -> CoreParts {
        CoreParts {
            settings: self.settings.clone(),
            store: self.store.clone(),
            presence: self.presence.clone(),
            metrics: self.metrics.clone(),
            clock: self.clock.clone(),
            hub: self.hub.clone(),
        }
    }

    fn core(&self) -> Option<Arc<Core>> {
        self.core.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Replaces the core (stopping the one it replaces); `None`: serve nothing.
    fn install(&self, core: Option<Arc<Core>>) {
        let old = std::mem::replace(
            &mut *self.core.write().unwrap_or_else(std::sync::PoisonError::into_inner),
            core,
        );
        if let Some(old) = old {
            old.stop();
        }
    }

    // ---- cluster ----

    /// Sends every notice this node's hub sends to `relay` as well (for other nodes' sockets).
    pub fn hub_relay(&self, relay: tokio::sync::mpsc::UnboundedSender<crate::actors::hub::Relayed>) {
        self.hub.relay_to(relay);
    }

    /// Delivers a notice relayed by another node to this node's sockets.
    pub fn deliver(&self, relayed: &crate::actors::hub::Relayed) {
        self.hub.deliver(relayed);
    }

    /// Sets how this node reaches the leader (once).
    pub fn set_remote(&self, remote: Arc<dyn Remote>) -> Result<(), Arc<dyn Remote>> {
        self.remote.set(remote)
    }

    /// This node now leads: starts its core (the supervisor and every conversation come back
    /// from the store) and tells it this node's sockets.
    pub async fn lead(&self) -> Result<(), StoreError> {
        let core = Arc::new(Core::start(&self.core_parts(), &self.options).await?);
        core.tell(Call::Sockets { node: self.node_id.clone(), sockets: self.hub.operator_socket_counts() });
        self.install(Some(core));
        Ok(())
    }

    /// This node no longer leads: its core stops (another node serves conversations).
    pub fn follow(&self) {
        self.install(None);
    }

    /// Another node of the cluster is gone: the leader closes its operator sockets.
    pub fn node_gone(&self, node: &str) {
        if let Some(core) = self.core() {
            core.node_gone(node);
        }
    }

    /// Tells the leader (this node's core or another node) every operator socket of this node;
    /// `Done(Ok(()))` once it has them.
    pub async fn announce_sockets(&self) -> Answer {
        self.ask(Call::Sockets { node: self.node_id.clone(), sockets: self.hub.operator_socket_counts() })
            .await
    }

    /// Welcomes every socket of this node again (another core now serves conversations).
    pub fn resync_sockets(&self) {
        self.hub.resync_all();
    }

    /// This node's id.
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// The node that serves conversations, as this node sees it: itself while it runs a core,
    /// else the cluster's leader (`None` while none is known).
    pub fn leader(&self) -> Option<String> {
        if self.core().is_some() {
            return Some(self.node_id.clone());
        }
        self.remote.get().and_then(|r| r.leader())
    }

    /// Serves a call another node forwarded (`Unavailable` unless this node runs a core).
    pub async fn serve(&self, call: Call) -> Answer {
        match self.core() {
            Some(core) => core.serve(call).await,
            None => Answer::Unavailable(format!("node {} does not lead the cluster", self.node_id)),
        }
    }

    /// Asks whoever serves conversations: this node's core, else the leader.
    async fn ask(&self, call: Call) -> Answer {
        if let Some(core) = self.core() {
            return core.serve(call).await;
        }
        match self.remote.get() {
            Some(remote) => remote.call(call).await,
            None => Answer::Unavailable("this node serves no conversations".into()),
        }
    }

    /// Tells whoever serves conversations, without waiting.
    fn tell(&self, call: Call) {
        if let Some(core) = self.core() {
            core.tell(call);
        } else if let Some(remote) = self.remote.get() {
            let socket_change =
                matches!(call, Call::OperatorConnected { .. } | Call::OperatorDisconnected { .. });
            let sent = remote.call(call);
            let (remote, hub, node) = (remote.clone(), self.hub.clone(), self.node_id.clone());
            tokio::spawn(async move {
                let answer = sent.await;
                if !socket_change {
                    if let Answer::Unavailable(why) = answer {
                        tracing::debug!(%why, "a told call did not reach the leader");
                    }
                    return;
                }
                // The leader missed a socket change (it was changing): tell it the whole set
                // again until it has it (the set replaces what it knew of this node).
                let mut answer = answer;
                for _ in 0..100 {
                    if let Answer::Done(Ok(())) = answer {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let sockets = hub.operator_socket_counts();
                    answer = remote.call(Call::Sockets { node: node.clone(), sockets }).await;
                }
                tracing::warn!("the leader never took this node's operator sockets");
            });
        }
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
        self.ask(Call::Execute { conversation: conversation.clone(), command }).await.reply()
    }

    /// The conversation a chat belongs to: from the board for open chats, else from the store.
    pub async fn locate(&self, chat: ChatId) -> Result<ConversationId, CommandError> {
        // The core's board knows open chats without a read; a node without a core reads its
        // projection (a round trip to the leader would cost as much).
        if let Some(core) = self.core() {
            if let Some(conversation) = core.serve(Call::Locate { chat }).await.located() {
                return Ok(conversation);
            }
        }
        match self.store.chat(chat).await? {
            Some(view) => Ok(view.conversation),
            None => Err(DomainError::ChatNotFound(chat).into()),
        }
    }

    /// `operator` takes `chat` from their New tab.
    /// Scope comes first (SPEC 8): a chat the operator may not see is `forbidden` before the
    /// supervisor weighs their capacity.
    pub async fn take(&self, operator: OperatorId, chat: ChatId) -> Result<Reply, CommandError> {
        let view = self.store.chat(chat).await?.ok_or(DomainError::ChatNotFound(chat))?;
        if !access::may_see_view(self.settings(), &operator, &view, &self.watchers(chat).await) {
            return Err(DomainError::Forbidden { operator, chat }.into());
        }
        self.ask(Call::Take { operator, chat, conversation: view.conversation }).await.reply()
    }

    /// `operator` accepts the offer of `chat`.
    pub async fn accept(&self, operator: OperatorId, chat: ChatId) -> Result<Reply, CommandError> {
        self.ask(Call::Accept { operator, chat }).await.reply()
    }

    /// `operator` declines the offer of `chat`.
    pub async fn decline(&self, operator: OperatorId, chat: ChatId) -> Result<(), CommandError> {
        self.ask(Call::Decline { operator, chat }).await.done()
    }

    /// `operator` sets their presence.
    pub async fn set_presence(&self, operator: OperatorId, status: Presence) -> Result<(), CommandError> {
        self.ask(Call::SetPresence { operator, status }).await.done()
    }

    /// Relays `operator` typing in `chat` to its client; `not_found` for a chat they may not
    /// see, as for one that does not exist.
    pub async fn operator_typing(&self, operator: OperatorId, chat: ChatId) -> Result<(), CommandError> {
        self.ask(Call::OperatorTyping { operator, chat }).await.done()
    }

    /// Relays the client of `conversation` typing (best effort); `exists`: the conversation has
    /// a journal (typing alone never activates a new one).
    pub fn client_typing(&self, conversation: &ConversationId, exists: bool) {
        self.tell(Call::ClientTyping { conversation: conversation.clone(), exists });
    }

    /// Tells the client of `chat` its queue position again if the chat waits in a queue (its
    /// socket just opened); nothing otherwise.
    pub fn announce_queue_position(&self, chat: ChatId) {
        self.tell(Call::AnnounceQueuePosition { chat });
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
        self.tell(Call::OperatorConnected { operator, node: self.node_id.clone() });
        sub
    }

    /// An operator's socket closed.
    pub fn disconnect_operator(&self, operator: &OperatorId, sub: SubscriptionId) {
        self.hub.unsubscribe_operator(operator, sub);
        self.tell(Call::OperatorDisconnected { operator: operator.clone(), node: self.node_id.clone() });
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
    pub async fn watchers(&self, chat: ChatId) -> Vec<OperatorId> {
        self.ask(Call::Watchers { chat }).await.watchers()
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
        self.ask(Call::NewTab { operator, after, limit }).await.new_tab()
    }

    /// Presence and load of every configured operator.
    pub async fn operators(&self) -> Result<Vec<OperatorStatus>, CommandError> {
        self.ask(Call::Operators).await.operators()
    }

    /// Queue figures of every line.
    pub async fn lines(&self) -> Result<Vec<LineStatus>, CommandError> {
        self.ask(Call::Lines).await.lines()
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
        self.tell(Call::OutboxWritten);
        Ok(true)
    }

    // ---- health ----

    /// Resolves when the store answers (readiness).
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.store.check().await?;
        if self.core().is_none() && self.remote.get().and_then(|r| r.leader()).is_none() {
            return Err(StoreError::Unavailable("no node of the cluster leads now".into()));
        }
        Ok(())
    }

    /// Conversations with a live actor on this node.
    pub fn live_conversations(&self) -> usize {
        self.core().map_or(0, |core| core.live_conversations())
    }

    /// The Prometheus text of every metric, with the live conversations counted now.
    pub fn metrics_text(&self) -> String {
        self.metrics.conversations_active.set(i64::try_from(self.live_conversations()).unwrap_or(i64::MAX));
        self.metrics.leader.set(i64::from(self.leader().as_deref() == Some(self.node_id())));
        self.metrics.render()
    }

    /// Stops the scheduler, the deliverer and worker threads after every accepted write is
    /// durable. Deliveries still pending stay in the outbox for the next start.
    pub async fn shutdown(&self) -> Result<(), StoreError> {
        self.install(None);
        self.store.flush().await
    }

    /// Kills the node as a crash would: worker threads stop where they are and are joined, and
    /// nothing is flushed or shut down in order. Tests use it to check recovery.
    #[cfg(test)]
    pub(crate) fn kill(self) {
        if let Some(core) = self.core() {
            core.kill();
        }
    }

    /// The registry (actor tests look at live actors).
    #[cfg(test)]
    pub(crate) fn registry(&self) -> Arc<crate::actors::registry::Registry> {
        self.core().expect("a standalone node runs its core").registry()
    }

    /// The webhook deliverer, if the node runs one (actor tests wake it).
    #[cfg(test)]
    pub(crate) fn deliverer(&self) -> Option<Addr<crate::webhook::WebhookDeliverer>> {
        self.core().and_then(|core| core.deliverer().cloned())
    }
}
