//! A node: everything one process runs, wired together — the store, presence, the hub and board,
//! the registry of conversation actors on worker arbiters, the supervisor and the deadline
//! scheduler. The edges (sockets, HTTP) hold a [`Node`] and talk to actors through it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix::prelude::*;

use crate::domain::{ChatId, Command, ConversationId, Settings};
use crate::metrics::Metrics;
use crate::presence::PresenceStore;
use crate::store::{Store, StoreError};

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
}

impl Default for NodeOptions {
    fn default() -> Self {
        Self {
            passivate_after: Duration::from_secs(300),
            deadline_poll: Duration::from_secs(1),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            node_id: "n1".into(),
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
}

impl Shared {
    /// The supervisor (set once the node has started).
    pub fn supervisor(&self) -> Option<&Addr<SupervisorActor>> {
        self.supervisor.get()
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
    /// scheduler (which wakes conversations whose timers came due while the node was down).
    /// Must be called inside an actix system.
    pub async fn start(
        settings: Arc<Settings>,
        store: Arc<dyn Store>,
        presence: Arc<dyn PresenceStore>,
        metrics: Arc<Metrics>,
        options: NodeOptions,
    ) -> Result<Node, StoreError> {
        let workers: Vec<Arbiter> = (0..options.workers.max(1)).map(|_| Arbiter::new()).collect();
        let open_chats = store.open_chats().await?;
        let shared = Arc::new(Shared {
            settings,
            store,
            presence,
            metrics,
            hub: Hub::default(),
            board: Board::default(),
            registry: Registry::new(workers.iter().map(Arbiter::handle).collect()),
            options,
            supervisor: OnceLock::new(),
        });
        let supervisor =
            SupervisorActor::new(shared.clone(), open_chats, shared.options.node_id.clone()).start();
        let _ = shared.supervisor.set(supervisor.clone());
        let scheduler = DeadlineScheduler::new(shared.clone(), shared.options.deadline_poll).start();
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

    /// Stops the scheduler and worker threads after every accepted write is durable.
    pub async fn shutdown(&self) -> Result<(), StoreError> {
        self.scheduler.do_send(StopScheduler);
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
