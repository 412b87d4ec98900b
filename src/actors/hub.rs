//! The hub: which sockets belong to which operator and which client conversation, and delivery
//! of notices to them. Shared by all actors (a concurrent map; delivery never blocks).

use std::sync::atomic::{AtomicU64, Ordering};

use actix::{Message, Recipient};
use dashmap::DashMap;

use crate::domain::{ClientNotice, ConversationId, OperatorId, OperatorNotice};

/// Identifies one socket's subscription.
pub type SubscriptionId = u64;

/// A notice delivered to an operator's socket.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ToOperator(pub OperatorNotice);

/// A notice delivered to a client's socket.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ToClient(pub ClientNotice);

/// Socket subscriptions.
#[derive(Default)]
pub struct Hub {
    next: AtomicU64,
    operators: DashMap<OperatorId, Vec<(SubscriptionId, Recipient<ToOperator>)>>,
    clients: DashMap<ConversationId, Vec<(SubscriptionId, Recipient<ToClient>)>>,
}

impl Hub {
    fn next_id(&self) -> SubscriptionId {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Subscribes one socket of `operator`.
    pub fn subscribe_operator(&self, operator: OperatorId, to: Recipient<ToOperator>) -> SubscriptionId {
        let id = self.next_id();
        self.operators.entry(operator).or_default().push((id, to));
        id
    }

    /// Unsubscribes a socket; returns how many sockets the operator still has.
    pub fn unsubscribe_operator(&self, operator: &OperatorId, id: SubscriptionId) -> usize {
        let left = self.operators.get_mut(operator).map_or(0, |mut subs| {
            subs.retain(|(s, _)| *s != id);
            subs.len()
        });
        self.operators.remove_if(operator, |_, subs| subs.is_empty());
        left
    }

    /// Subscribes one socket of the client of `conversation`.
    pub fn subscribe_client(&self, conversation: ConversationId, to: Recipient<ToClient>) -> SubscriptionId {
        let id = self.next_id();
        self.clients.entry(conversation).or_default().push((id, to));
        id
    }

    /// Unsubscribes a client socket.
    pub fn unsubscribe_client(&self, conversation: &ConversationId, id: SubscriptionId) {
        if let Some(mut subs) = self.clients.get_mut(conversation) {
            subs.retain(|(s, _)| *s != id);
        }
        self.clients.remove_if(conversation, |_, subs| subs.is_empty());
    }

    /// Sockets `operator` has open.
    pub fn operator_sockets(&self, operator: &OperatorId) -> usize {
        self.operators.get(operator).map_or(0, |subs| subs.len())
    }

    /// Tells every socket the server is shutting down (each closes itself with a close code).
    pub fn close_all(&self) {
        for subs in self.operators.iter() {
            for (_, to) in subs.iter() {
                to.do_send(ToOperator(OperatorNotice::Closing));
            }
        }
        for subs in self.clients.iter() {
            for (_, to) in subs.iter() {
                to.do_send(ToClient(ClientNotice::Closing));
            }
        }
    }

    /// Delivers `notice` to every socket of `operators`, except `except`.
    pub fn to_operators(
        &self,
        operators: &[OperatorId],
        notice: &OperatorNotice,
        except: Option<SubscriptionId>,
    ) {
        for operator in operators {
            if let Some(subs) = self.operators.get(operator) {
                for (id, to) in subs.iter() {
                    if Some(*id) != except {
                        to.do_send(ToOperator(notice.clone()));
                    }
                }
            }
        }
    }

    /// Delivers `notice` to every socket of the client of `conversation`, except `except`.
    pub fn to_client(
        &self,
        conversation: &ConversationId,
        notice: &ClientNotice,
        except: Option<SubscriptionId>,
    ) {
        if let Some(subs) = self.clients.get(conversation) {
            for (id, to) in subs.iter() {
                if Some(*id) != except {
                    to.do_send(ToClient(notice.clone()));
                }
            }
        }
    }
}
