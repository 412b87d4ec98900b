//! The hub: which sockets belong to which operator and which client conversation, and delivery
//! of notices to them. Shared by all actors (a concurrent map; delivery never blocks).
//!
//! Delivery is bounded: each socket's session has a bounded mailbox and the hub never waits on
//! it. A socket whose mailbox is full (its peer stopped reading, so its session is not running)
//! is cut off: unsubscribed, flagged so its session closes it as a slow consumer when it next
//! runs, and counted. Memory therefore never grows with a peer that does not read.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::mpsc::UnboundedSender;

use actix::prelude::SendError;
use actix::{Message, Recipient};

use super::messages::{NotifyClient, NotifyOperator};
use dashmap::DashMap;

use crate::domain::{ClientNotice, ConversationId, OperatorId, OperatorNotice};
use crate::metrics::Metrics;

/// Identifies one socket's subscription.
pub type SubscriptionId = u64;

/// Set by the hub when it cut a socket off as a slow consumer.
pub type CutOff = Arc<AtomicBool>;

struct Subscription<M: Message + Send>
where
    M::Result: Send,
{
    id: SubscriptionId,
    to: Recipient<M>,
    cut: CutOff,
}

/// Socket subscriptions.
pub struct Hub {
    next: AtomicU64,
    operators: DashMap<OperatorId, Vec<Subscription<NotifyOperator>>>,
    clients: DashMap<ConversationId, Vec<Subscription<NotifyClient>>>,
    metrics: Arc<Metrics>,
    /// Where the notices this node originates also go, for the sockets of other nodes
    /// (cluster mode), in the order they are sent.
    relay: OnceLock<UnboundedSender<Relayed>>,
}

/// A notice on its way to the sockets of the other nodes of a cluster.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Relayed {
    /// For these operators' sockets.
    Operators {
        /// The operators.
        to: Vec<OperatorId>,
        /// The notice.
        notice: OperatorNotice,
    },
    /// For the client sockets of a conversation.
    Client {
        /// The conversation.
        conversation: ConversationId,
        /// The notice.
        notice: ClientNotice,
    },
}

/// What happened to one delivery.
enum Sent {
    Ok,
    /// The socket is gone or over its bound: drop its subscription.
    Drop,
}

fn send<M>(sub: &Subscription<M>, notice: M, metrics: &Metrics) -> Sent
where
    M: Message + Send + 'static,
    M::Result: Send,
{
    match sub.to.try_send(notice) {
        Ok(()) => Sent::Ok,
        Err(SendError::Full(_)) => {
            sub.cut.store(true, Ordering::Release);
            metrics.disconnects_total.with_label_values(&["slow_consumer"]).inc();
            tracing::warn!(
                subscription = sub.id,
                "socket cut off: its outbound queue is full (slow consumer)"
            );
            Sent::Drop
        }
        Err(SendError::Closed(_)) => Sent::Drop,
    }
}

impl Hub {
    /// An empty hub counting slow consumers in `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            next: AtomicU64::new(0),
            operators: DashMap::new(),
            clients: DashMap::new(),
            metrics,
            relay: OnceLock::new(),
        }
    }

    /// From now on, every notice sent through this hub is also handed to `relay` (once; later
    /// calls change nothing).
    pub fn relay_to(&self, relay: UnboundedSender<Relayed>) {
        let _ = self.relay.set(relay);
    }

    /// Delivers a notice another node relayed to this node's sockets (and relays nothing).
    pub fn deliver(&self, relayed: &Relayed) {
        match relayed {
            Relayed::Operators { to, notice } => self.to_local_operators(to, notice),
            Relayed::Client { conversation, notice } => self.to_local_client(conversation, notice),
        }
    }

    /// Operators with sockets on this node, and how many each has.
    pub fn operator_socket_counts(&self) -> Vec<(OperatorId, usize)> {
        self.operators.iter().map(|subs| (subs.key().clone(), subs.len())).collect()
    }

    fn next_id(&self) -> SubscriptionId {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Subscribes one socket of `operator`; `cut` is set if the hub cuts it off.
    pub fn subscribe_operator(
        &self,
        operator: OperatorId,
        to: Recipient<NotifyOperator>,
        cut: CutOff,
    ) -> SubscriptionId {
        let id = self.next_id();
        self.operators.entry(operator).or_default().push(Subscription { id, to, cut });
        id
    }

    /// Unsubscribes a socket; returns how many sockets the operator still has.
    pub fn unsubscribe_operator(&self, operator: &OperatorId, id: SubscriptionId) -> usize {
        let left = self.operators.get_mut(operator).map_or(0, |mut subs| {
            subs.retain(|s| s.id != id);
            subs.len()
        });
        self.operators.remove_if(operator, |_, subs| subs.is_empty());
        left
    }

    /// Subscribes one socket of the client of `conversation`; `cut` is set if the hub cuts it off.
    pub fn subscribe_client(
        &self,
        conversation: ConversationId,
        to: Recipient<NotifyClient>,
        cut: CutOff,
    ) -> SubscriptionId {
        let id = self.next_id();
        self.clients.entry(conversation).or_default().push(Subscription { id, to, cut });
        id
    }

    /// Unsubscribes a client socket.
    pub fn unsubscribe_client(&self, conversation: &ConversationId, id: SubscriptionId) {
        if let Some(mut subs) = self.clients.get_mut(conversation) {
            subs.retain(|s| s.id != id);
        }
        self.clients.remove_if(conversation, |_, subs| subs.is_empty());
    }

    /// Sockets `operator` has open.
    pub fn operator_sockets(&self, operator: &OperatorId) -> usize {
        self.operators.get(operator).map_or(0, |subs| subs.len())
    }

    /// Sockets subscribed, of operators and clients.
    pub fn sockets(&self) -> usize {
        let operators: usize = self.operators.iter().map(|subs| subs.len()).sum();
        let clients: usize = self.clients.iter().map(|subs| subs.len()).sum();
        operators + clients
    }

    /// Tells every socket the server is shutting down (each closes itself with a close code).
    pub fn close_all(&self) {
        self.to_every_socket(&OperatorNotice::Closing, &ClientNotice::Closing);
    }

    /// Tells every socket of this node to welcome itself again (another core now serves
    /// conversations, and notices may have been missed while it took over).
    pub fn resync_all(&self) {
        self.to_every_socket(&OperatorNotice::Resync, &ClientNotice::Resync);
    }

    /// Sends `operator` to every operator socket of this node and `client` to every client
    /// socket (never relayed to other nodes).
    fn to_every_socket(&self, operator: &OperatorNotice, client: &ClientNotice) {
        for subs in self.operators.iter() {
            for sub in subs.iter() {
                let _ = sub.to.try_send(NotifyOperator { notice: operator.clone() });
            }
        }
        for subs in self.clients.iter() {
            for sub in subs.iter() {
                let _ = sub.to.try_send(NotifyClient { notice: client.clone() });
            }
        }
    }

    /// Delivers `notice` to every socket of `operators` (a socket filters out the echo of its
    /// own message itself).
    pub fn to_operators(&self, operators: &[OperatorId], notice: &OperatorNotice) {
        if let Some(relay) = self.relay.get() {
            let _ = relay.send(Relayed::Operators { to: operators.to_vec(), notice: notice.clone() });
        }
        self.to_local_operators(operators, notice);
    }

    fn to_local_operators(&self, operators: &[OperatorId], notice: &OperatorNotice) {
        for operator in operators {
            if let Some(mut subs) = self.operators.get_mut(operator) {
                subs.retain(|sub| {
                    matches!(send(sub, NotifyOperator { notice: notice.clone() }, &self.metrics), Sent::Ok)
                });
            }
            self.operators.remove_if(operator, |_, subs| subs.is_empty());
        }
    }

    /// Delivers `notice` to every socket of the client of `conversation`.
    pub fn to_client(&self, conversation: &ConversationId, notice: &ClientNotice) {
        if let Some(relay) = self.relay.get() {
            let _ =
                relay.send(Relayed::Client { conversation: conversation.clone(), notice: notice.clone() });
        }
        self.to_local_client(conversation, notice);
    }

    fn to_local_client(&self, conversation: &ConversationId, notice: &ClientNotice) {
        if let Some(mut subs) = self.clients.get_mut(conversation) {
            subs.retain(|sub| {
                matches!(send(sub, NotifyClient { notice: notice.clone() }, &self.metrics), Sent::Ok)
            });
        }
        self.clients.remove_if(conversation, |_, subs| subs.is_empty());
    }
}

#[cfg(test)]
mod relay_tests {
    use super::*;
    use crate::domain::{AuthorKind, AuthorView, ChatId, MessageView, Timestamp};

    #[test]
    fn relayed_notices_survive_the_wire() {
        let message = MessageView {
            conversation: ConversationId::new("web", "c1"),
            chat: Some(ChatId(3)),
            seq: 7,
            author: AuthorView { kind: AuthorKind::Client, id: "c1".into() },
            text: "hello".into(),
            at: Timestamp(1_700_000_000_123),
            client_msg_id: Some("k1".into()),
            private: false,
        };
        let notices = [
            Relayed::Operators {
                to: vec![OperatorId::from("alice")],
                notice: OperatorNotice::Message(Arc::new(message.clone())),
            },
            Relayed::Client {
                conversation: ConversationId::new("web", "c1"),
                notice: ClientNotice::Message(Arc::new(message)),
            },
        ];
        for relayed in notices {
            let text = serde_json::to_string(&relayed).unwrap();
            let back: Relayed = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(back, relayed);
        }
    }
}
