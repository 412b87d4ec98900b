//! A node: everything one process runs, wired together — the store, presence, the hub and board,
//! the registry of conversation actors on worker arbiters, the supervisor, the deadline
//! scheduler and (when a channel has a webhook) the webhook deliverer. The edges (sockets, HTTP)
//! hold a [`Node`] and talk to actors through it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix::prelude::*;

use crate::domain::{ChatId, Command, ConversationId, Settings, Timestamp};
use crate::metrics::Metrics;
use crate::presence::PresenceStore;
use crate::store::{Store, StoreError};
use crate::webhook::{DelivererOptions, OutboxWritten, RetryPolicy, StopDelivering, WebhookDeliverer};

use super::board::Board;
use super::hub::{Hub, SubscriptionId};
use super::messages::{Ack, CommandError};
use super::registry::Registry;
use super::scheduler::DeadlineScheduler;
use super::supervisor::SupervisorActor;

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

/// What every actor of the node shares.
pub struct Shared {
    /// Configuration.
    pub settings: Arc<Settings>,
    /// Durable storage.
    pub store: Arc<dyn Store>,
    /// Presence records.
    pub presence: Arc<dyn PresenceStore>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Socket subscriptions.
    pub hub: Hub,
    /// Routing facts published by the supervisor.
    pub board: Board,
    /// Live conversation actors.
    pub registry: Registry,
    /// Tunables.
    pub options: NodeOptions,
    supervisor: OnceLock<Addr<SupervisorActor>>,
    deliverer: OnceLock<Addr<WebhookDeliverer>>,
}

impl Shared {
    /// The supervisor (set once the node has started).
    pub fn supervisor(&self) -> Option<&Addr<SupervisorActor>> {
        self.supervisor.get()
    }

    /// A durable commit wrote webhook deliveries: wakes the deliverer (if this node runs one).
    pub fn outbox_written(&self) {
        if let Some(deliverer) = self.deliverer.get() {
            deliverer.do_send(OutboxWritten);
        }
    }
}

/// A running node.
pub struct Node {
    /// Shared state and handles.
    pub shared: Arc<Shared>,
    /// The supervisor.
    pub supervisor: Addr<SupervisorActor>,
    scheduler: Addr<DeadlineScheduler>,
    workers: Vec<Arbiter>,
}

impl Node {
    /// Starts a node: restores the supervisor's queues from the store, then starts the deadline
    /// scheduler (which wakes conversations whose timers came due while the node was down) and,
    /// when a channel has a `webhook_url` or the outbox still holds deliveries (pending or
    /// parked), the webhook deliverer (which sends what was pending before a crash, and what an
    /// admin re-queues). Must be called inside an actix system.
    pub async fn start(
        settings: Arc<Settings>,
        store: Arc<dyn Store>,
        presence: Arc<dyn PresenceStore>,
        metrics: Arc<Metrics>,
        options: NodeOptions,
    ) -> Result<Node, StoreError> {
        let workers: Vec<Arbiter> = (0..options.workers.max(1)).map(|_| Arbiter::new()).collect();
        let open_chats = store.open_chats().await?;
        let parked = store.parked_count().await?;
        metrics.webhook_parked.set(i64::try_from(parked).unwrap_or(i64::MAX));
        let webhooks = settings.channels.values().any(|c| c.webhook_url.is_some())
            || parked > 0
            || !store.due_outbound(Timestamp(i64::MAX), 1).await?.is_empty();
        let hub = Hub::new(metrics.clone());
        let shared = Arc::new(Shared {
            settings,
            store,
            presence,
            metrics,
            hub,
            board: Board::default(),
            registry: Registry::new(workers.iter().map(Arbiter::handle).collect()),
            options,
            supervisor: OnceLock::new(),
            deliverer: OnceLock::new(),
        });
        let supervisor =
            SupervisorActor::new(shared.clone(), open_chats, shared.options.node_id.clone()).start();
        let _ = shared.supervisor.set(supervisor.clone());
        let scheduler = DeadlineScheduler::new(shared.clone(), shared.options.deadline_poll).start();
        if webhooks {
            let deliverer = WebhookDeliverer::new(
                shared.store.clone(),
                shared.settings.clone(),
                shared.metrics.clone(),
                shared.options.deliverer(),
            )
            .start();
            let _ = shared.deliverer.set(deliverer);
        }
        Ok(Node { shared, supervisor, scheduler, workers })
    }

    /// Runs `command` on a conversation; answered once durable.
    pub async fn execute(
        &self,
        conversation: &ConversationId,
        command: Command,
        origin: Option<SubscriptionId>,
    ) -> Result<Ack, CommandError> {
        Registry::execute(&self.shared, conversation, command, origin).await
    }

    /// The conversation a chat belongs to: from the board for open chats, else from the store.
    pub async fn locate(&self, chat: ChatId) -> Result<ConversationId, CommandError> {
        if let Some(conversation) = self.shared.board.conversation_of(chat) {
            return Ok(conversation);
        }
        match self.shared.store.chat(chat).await? {
            Some(view) => Ok(view.conversation),
            None => Err(crate::domain::DomainError::ChatNotFound(chat).into()),
        }
    }

    /// Stops the scheduler, the deliverer and worker threads after every accepted write is
    /// durable. Deliveries still pending stay in the outbox for the next start.
    pub async fn shutdown(&self) -> Result<(), StoreError> {
        self.scheduler.do_send(StopScheduler);
        if let Some(deliverer) = self.shared.deliverer.get() {
            deliverer.do_send(StopDelivering);
        }
        let flushed = self.shared.store.flush().await;
        for worker in &self.workers {
            worker.stop();
        }
        flushed
    }
}

impl Node {
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
}

/// Stops the deadline scheduler.
#[derive(Message)]
#[rtype(result = "()")]
struct StopScheduler;

impl Handler<StopScheduler> for DeadlineScheduler {
    type Result = ();

    fn handle(&mut self, _: StopScheduler, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
