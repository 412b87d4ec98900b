//! The core: what the node that serves conversations runs — the registry of conversation actors
//! on worker arbiters, the board, the supervisor, the deadline scheduler and (when needed) the
//! webhook deliverer. A standalone node runs one for its whole life; in a cluster only the
//! leader runs one, started when it takes the lease and stopped when it loses it.
//!
//! [`Core::serve`] answers every [`Call`] the door makes, whether it comes from this node or
//! from another node over Redis.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use actix::prelude::*;

use super::call::{Answer, Call};
use super::NodeOptions;
use crate::actors::board::Board;
use crate::actors::conversation::{ConversationDeps, LiveConversations};
use crate::actors::hub::Hub;
use crate::actors::messages::{
    AcceptOffer, AnnounceQueuePosition, CommandError, DeclineOffer, GetLines, GetNewTab, GetOperators,
    OperatorConnected, OperatorDisconnected, RelayOperatorTyping, SetPresence, StopScheduler, StopSupervisor,
    TakeChat,
};
use crate::actors::registry::Registry;
use crate::actors::scheduler::DeadlineScheduler;
use crate::actors::supervisor::{SupervisorActor, SupervisorDeps};
use crate::clock::Clock;
use crate::domain::{ChatId, ConversationId, DomainError, OperatorId, Settings, Timestamp};
use crate::metrics::Metrics;
use crate::presence::PresenceStore;
use crate::store::{Store, StoreError};
use crate::webhook::{OutboxWritten, StopDelivering, WebhookDeliverer};

/// What a core is built from (the node's shared parts).
pub(crate) struct CoreParts {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Store>,
    pub presence: Arc<dyn PresenceStore>,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
    pub hub: Arc<Hub>,
}

/// The conversation-serving machinery of a node.
pub(crate) struct Core {
    store: Arc<dyn Store>,
    board: Arc<Board>,
    registry: Arc<Registry>,
    supervisor: Addr<SupervisorActor>,
    scheduler: Addr<DeadlineScheduler>,
    deliverer: Option<Addr<WebhookDeliverer>>,
    workers: Mutex<Vec<Arbiter>>,
    /// Operator sockets per node, as announced (a node that dies takes its sockets with it).
    sockets: Mutex<HashMap<String, HashMap<OperatorId, usize>>>,
}

impl Core {
    /// Starts a core: restores the supervisor's queues from the store, then starts the deadline
    /// scheduler (which wakes conversations whose timers came due meanwhile) and, when a channel
    /// has a `webhook_url` or the outbox still holds deliveries (pending or parked), the webhook
    /// deliverer. Must be called inside an actix system.
    pub(crate) async fn start(parts: &CoreParts, options: &NodeOptions) -> Result<Core, StoreError> {
        let CoreParts { settings, store, presence, metrics, clock, hub } = parts;
        let open_chats = store.open_chats().await?;
        let away = presence.away().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the presence record cannot be read; every operator starts offline");
            Vec::new()
        });
        let parked = store.parked_count().await?;
        metrics.webhook_parked.set(i64::try_from(parked).unwrap_or(i64::MAX));
        let webhooks = settings.channels.values().any(|c| c.webhook_url.is_some())
            || parked > 0
            || !store.due_outbound(Timestamp(i64::MAX), 1).await?.is_empty();
        let workers: Vec<Arbiter> = (0..options.workers.max(1)).map(|_| Arbiter::new()).collect();
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
                presence: presence.clone(),
                registry: registry.clone(),
                clock: clock.clone(),
                node_id: options.node_id.clone(),
            },
            open_chats,
            away,
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
        Ok(Core {
            store: store.clone(),
            board,
            registry,
            supervisor,
            scheduler,
            deliverer,
            workers: Mutex::new(workers),
            sockets: Mutex::new(HashMap::new()),
        })
    }

    /// Serves one call of the door.
    pub(crate) async fn serve(&self, call: Call) -> Answer {
        match call {
            Call::Execute { conversation, command } => {
                Answer::Reply(self.registry.execute(&conversation, command).await)
            }
            Call::Take { operator, chat, conversation } => Answer::Reply(
                self.supervisor
                    .send(TakeChat { operator, chat, conversation })
                    .await
                    .unwrap_or_else(|e| Err(unreachable(e))),
            ),
            Call::Accept { operator, chat } => Answer::Reply(match self.locate(chat).await {
                Ok(conversation) => self
                    .supervisor
                    .send(AcceptOffer { operator, chat, conversation })
                    .await
                    .unwrap_or_else(|e| Err(unreachable(e))),
                Err(e) => Err(e),
            }),
            Call::Decline { operator, chat } => Answer::Done(
                self.supervisor
                    .send(DeclineOffer { operator, chat })
                    .await
                    .unwrap_or_else(|e| Err(unreachable(e))),
            ),
            Call::SetPresence { operator, status } => Answer::Done(
                self.supervisor.send(SetPresence { operator, status }).await.map_err(unreachable),
            ),
            Call::OperatorTyping { operator, chat } => Answer::Done(match self.locate(chat).await {
                Ok(conversation) => {
                    self.registry.operator_typing(&conversation, RelayOperatorTyping { operator, chat }).await
                }
                Err(e) => Err(e),
            }),
            Call::NewTab { operator, after, limit } => Answer::NewTab(
                self.supervisor.send(GetNewTab { operator, after, limit }).await.map_err(unreachable),
            ),
            Call::Operators => {
                Answer::Operators(self.supervisor.send(GetOperators).await.map_err(unreachable))
            }
            Call::Lines => Answer::Lines(self.supervisor.send(GetLines).await.map_err(unreachable)),
            Call::Watchers { chat } => Answer::Watchers(self.board.watchers(chat)),
            Call::Locate { chat } => Answer::Located(self.board.conversation_of(chat)),
            told => {
                self.tell(told);
                Answer::Done(Ok(()))
            }
        }
    }

    /// Serves a call nobody waits for (sockets, typing, re-announcements), at once.
    pub(crate) fn tell(&self, call: Call) {
        match call {
            Call::ClientTyping { conversation, exists } => self.registry.client_typing(&conversation, exists),
            Call::AnnounceQueuePosition { chat } => self.supervisor.do_send(AnnounceQueuePosition { chat }),
            Call::OperatorConnected { operator, node } => {
                *self.lock_sockets().entry(node).or_default().entry(operator.clone()).or_default() += 1;
                self.supervisor.do_send(OperatorConnected { operator });
            }
            Call::OperatorDisconnected { operator, node } => {
                let mut sockets = self.lock_sockets();
                let known = sockets.get_mut(&node).and_then(|ops| ops.get_mut(&operator));
                match known {
                    Some(count) if *count > 0 => {
                        *count -= 1;
                        self.supervisor.do_send(OperatorDisconnected { operator });
                    }
                    // Never announced to this core (it started after): nothing to undo.
                    _ => {}
                }
            }
            Call::Sockets { node, sockets } => {
                let now: HashMap<OperatorId, usize> = sockets.into_iter().collect();
                let before = self.lock_sockets().insert(node, now.clone()).unwrap_or_default();
                for (operator, count) in &now {
                    for _ in before.get(operator).copied().unwrap_or(0)..*count {
                        self.supervisor.do_send(OperatorConnected { operator: operator.clone() });
                    }
                }
                for (operator, count) in before {
                    for _ in now.get(&operator).copied().unwrap_or(0)..count {
                        self.supervisor.do_send(OperatorDisconnected { operator: operator.clone() });
                    }
                }
            }
            Call::OutboxWritten => {
                if let Some(deliverer) = &self.deliverer {
                    deliverer.do_send(OutboxWritten);
                }
            }
            other => tracing::warn!(?other, "a call that needs an answer was told"),
        }
    }

    /// A node of the cluster is gone: its operator sockets close (their grace starts).
    pub(crate) fn node_gone(&self, node: &str) {
        let gone = self.lock_sockets().remove(node).unwrap_or_default();
        for (operator, count) in gone {
            for _ in 0..count {
                self.supervisor.do_send(OperatorDisconnected { operator: operator.clone() });
            }
        }
    }

    fn lock_sockets(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<OperatorId, usize>>> {
        self.sockets.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The conversation a chat belongs to: from the board for open chats, else from the store.
    async fn locate(&self, chat: ChatId) -> Result<ConversationId, CommandError> {
        if let Some(conversation) = self.board.conversation_of(chat) {
            return Ok(conversation);
        }
        match self.store.chat(chat).await? {
            Some(view) => Ok(view.conversation),
            None => Err(DomainError::ChatNotFound(chat).into()),
        }
    }

    /// Conversations with a live actor.
    pub(crate) fn live_conversations(&self) -> usize {
        self.registry.len()
    }

    /// Stops the scheduler, the deliverer, the supervisor and the worker threads (and with them
    /// every conversation actor). Nothing accepted is lost: the store has every acknowledged
    /// write; a conversation resumes from it wherever it is next activated.
    pub(crate) fn stop(&self) {
        self.scheduler.do_send(StopScheduler);
        if let Some(deliverer) = &self.deliverer {
            deliverer.do_send(StopDelivering);
        }
        self.supervisor.do_send(StopSupervisor);
        for worker in self.workers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
            worker.stop();
        }
    }

    /// Kills the core as a crash would: worker threads stop where they are and are joined.
    #[cfg(test)]
    pub(crate) fn kill(&self) {
        let workers =
            std::mem::take(&mut *self.workers.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        for worker in &workers {
            worker.stop();
        }
        for worker in workers {
            let _ = worker.join();
        }
    }

    /// The registry (actor tests look at live actors).
    #[cfg(test)]
    pub(crate) fn registry(&self) -> Arc<Registry> {
        self.registry.clone()
    }

    /// The webhook deliverer, if the core runs one.
    #[cfg(test)]
    pub(crate) fn deliverer(&self) -> Option<&Addr<WebhookDeliverer>> {
        self.deliverer.as_ref()
    }
}

/// An actor of the core did not answer (it stopped: the node is shutting down).
pub(crate) fn unreachable(e: MailboxError) -> CommandError {
    CommandError::Unavailable(format!("the supervisor is not answering: {e}"))
}
