//! The registry: exactly one live actor per conversation on this node. Activation goes through a
//! map entry lock, so many first messages racing for one conversation start one actor. Actors
//! are spread over worker arbiters by conversation. A passivated actor leaves the registry; a
//! message that raced with its passivation is re-sent to a fresh activation.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use actix::{Actor, Addr, ArbiterHandle, MailboxError};
use dashmap::mapref::entry::Entry;
use dashmap::DashMap;

use crate::domain::{Command, ConversationId};

use super::conversation::ConversationActor;
use super::hub::SubscriptionId;
use super::messages::{Ack, ClientTyping, CommandError, Execute, OperatorTyping};
use super::node::Shared;

/// Live conversation actors.
pub struct Registry {
    actors: DashMap<ConversationId, Addr<ConversationActor>>,
    workers: Vec<ArbiterHandle>,
}

impl Registry {
    /// A registry starting actors on `workers` (at least one).
    pub fn new(workers: Vec<ArbiterHandle>) -> Self {
        Self { actors: DashMap::new(), workers }
    }

    /// The conversation's actor, activated if needed.
    pub fn activate(&self, shared: &Arc<Shared>, id: &ConversationId) -> Addr<ConversationActor> {
        if let Some(addr) = self.actors.get(id).filter(|a| a.connected()) {
            return addr.clone();
        }
        match self.actors.entry(id.clone()) {
            Entry::Occupied(e) if e.get().connected() => e.get().clone(),
            entry => {
                let actor = ConversationActor::new(id.clone(), shared.clone());
                let addr = match self.worker_for(id) {
                    Some(worker) => ConversationActor::start_in_arbiter(worker, move |_| actor),
                    None => actor.start(),
                };
                match entry {
                    Entry::Occupied(mut e) => {
                        e.insert(addr.clone());
                    }
                    Entry::Vacant(e) => {
                        e.insert(addr.clone());
                    }
                }
                addr
            }
        }
    }

    fn worker_for(&self, id: &ConversationId) -> Option<&ArbiterHandle> {
        if self.workers.is_empty() {
            return None;
        }
        let mut h = DefaultHasher::new();
        id.hash(&mut h);
        self.workers.get((h.finish() % self.workers.len() as u64) as usize)
    }

    /// Removes `addr` as the conversation's actor (if it still is).
    pub fn forget(&self, id: &ConversationId, addr: &Addr<ConversationActor>) {
        self.actors.remove_if(id, |_, a| a == addr);
    }

    /// The conversation has a live actor.
    pub fn is_active(&self, id: &ConversationId) -> bool {
        self.actors.get(id).is_some_and(|a| a.connected())
    }

    /// Live actors.
    pub fn len(&self) -> usize {
        self.actors.len()
    }

    /// No live actors.
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
    }

    /// Runs `command` on the conversation; answered once durable. Retries when the actor it
    /// reached was passivating (the command was not run).
    pub async fn execute(
        shared: &Arc<Shared>,
        id: &ConversationId,
        command: Command,
        origin: Option<SubscriptionId>,
    ) -> Result<Ack, CommandError> {
        for _ in 0..3 {
            let addr = shared.registry.activate(shared, id);
            match addr.send(Execute { command: command.clone(), origin }).await {
                Ok(answer) => return answer,
                Err(MailboxError::Closed) => shared.registry.forget(id, &addr),
                Err(MailboxError::Timeout) => break,
            }
        }
        Err(CommandError::Unavailable(format!("conversation {id} is not answering")))
    }

    /// Relays the client's typing to the operators of its latest chat: best effort, not
    /// stored, dropped when the conversation's mailbox is full. A conversation with no actor
    /// is activated only when it `exists` (has a journal): typing alone never creates one.
    pub fn client_typing(shared: &Arc<Shared>, id: &ConversationId, exists: bool) {
        let addr = match shared.registry.actors.get(id).filter(|a| a.connected()) {
            Some(addr) => addr.clone(),
            None if exists => shared.registry.activate(shared, id),
            None => return,
        };
        let _ = addr.try_send(ClientTyping);
    }

    /// Relays an operator's typing in `chat` to the client, once the conversation has checked
    /// the operator may see the chat (else `not_found`, as for a chat that does not exist).
    /// Waits for room in the conversation's mailbox rather than overfilling it.
    pub async fn operator_typing(
        shared: &Arc<Shared>,
        id: &ConversationId,
        typing: OperatorTyping,
    ) -> Result<(), CommandError> {
        for _ in 0..3 {
            let addr = shared.registry.activate(shared, id);
            match addr.send(typing.clone()).await {
                Ok(answer) => return answer,
                Err(MailboxError::Closed) => shared.registry.forget(id, &addr),
                Err(MailboxError::Timeout) => break,
            }
        }
        Err(CommandError::Unavailable(format!("conversation {id} is not answering")))
    }
}
