//! The registry: exactly one live actor per conversation on this node. Activation goes through a
//! map entry lock, so many first messages racing for one conversation start one actor. Actors
//! are spread over worker arbiters by conversation. A passivated actor leaves the live map; a
//! message that raced with its passivation is re-sent to a fresh activation.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use actix::{Actor, Addr, ArbiterHandle, MailboxError, Message};
use dashmap::mapref::entry::Entry;

use crate::domain::{Command, ConversationId, Reply};

use super::conversation::{ConversationActor, ConversationDeps};
use super::messages::{CommandError, Execute, RelayClientTyping, RelayOperatorTyping};

/// How many times a message is re-sent to a fresh activation after it met a passivating actor.
const ATTEMPTS: usize = 3;

/// Live conversation actors, and how to start one.
pub struct Registry {
    deps: Arc<ConversationDeps>,
    workers: Vec<ArbiterHandle>,
}

impl Registry {
    /// A registry starting actors with `deps` on `workers` (none: on the caller's arbiter).
    pub fn new(deps: Arc<ConversationDeps>, workers: Vec<ArbiterHandle>) -> Self {
        Self { deps, workers }
    }

    /// The conversation's actor, activated if needed.
    pub fn activate(&self, id: &ConversationId) -> Addr<ConversationActor> {
        let live = &self.deps.live;
        if let Some(addr) = live.get(id).filter(|a| a.connected()) {
            return addr.clone();
        }
        match live.entry(id.clone()) {
            Entry::Occupied(e) if e.get().connected() => e.get().clone(),
            entry => {
                let actor = ConversationActor::new(id.clone(), self.deps.clone());
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

    /// The conversation has a live actor.
    pub fn is_active(&self, id: &ConversationId) -> bool {
        self.deps.live.get(id).is_some_and(|a| a.connected())
    }

    /// Live actors.
    pub fn len(&self) -> usize {
        self.deps.live.len()
    }

    /// No live actors.
    pub fn is_empty(&self) -> bool {
        self.deps.live.is_empty()
    }

    /// Sends `msg` to the conversation's actor (activating it); re-sent to a fresh activation
    /// when the actor it reached was passivating (the message was not handled).
    async fn ask<M>(&self, id: &ConversationId, msg: M) -> Result<M::Result, CommandError>
    where
        M: Message + Clone + Send + 'static,
        M::Result: Send,
        ConversationActor: actix::Handler<M>,
    {
        for _ in 0..ATTEMPTS {
            let addr = self.activate(id);
            match addr.send(msg.clone()).await {
                Ok(answer) => return Ok(answer),
                Err(MailboxError::Closed) => {
                    self.deps.live.remove_if(id, |_, a| *a == addr);
                }
                Err(MailboxError::Timeout) => break,
            }
        }
        Err(CommandError::Unavailable(format!("conversation {id} is not answering")))
    }

    /// Runs `command` on the conversation; answered once durable.
    pub async fn execute(&self, id: &ConversationId, command: Command) -> Result<Reply, CommandError> {
        self.ask(id, Execute { command }).await?
    }

    /// Relays the client's typing to the operators of its latest chat: best effort, not
    /// stored, dropped when the conversation's mailbox is full. A conversation with no actor
    /// is activated only when it `exists` (has a journal): typing alone never creates one.
    pub fn client_typing(&self, id: &ConversationId, exists: bool) {
        let addr = match self.deps.live.get(id).filter(|a| a.connected()) {
            Some(addr) => addr.clone(),
            None if exists => self.activate(id),
            None => return,
        };
        let _ = addr.try_send(RelayClientTyping);
    }

    /// Relays an operator's typing to the client, once the conversation has checked the
    /// operator may see the chat (else `not_found`, as for a chat that does not exist). Waits
    /// for room in the conversation's mailbox rather than overfilling it.
    pub async fn operator_typing(
        &self,
        id: &ConversationId,
        typing: RelayOperatorTyping,
    ) -> Result<(), CommandError> {
        self.ask(id, typing).await?
    }
}
