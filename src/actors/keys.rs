//! Idempotency keys of one conversation: `client_msg_id` → the ack its message got. Rebuilt from
//! the journal on activation; bounded, with the store as the fallback once older keys were
//! evicted.

use std::collections::{HashMap, VecDeque};

use crate::domain::{Author, Change, ChatId, Event, Reply, Seq};

/// How many keys a conversation keeps in memory.
const KEEP: usize = 1024;

/// Whose key it is: the client's and each operator's keys are separate namespaces.
pub fn key_of(author: &Author, client_msg_id: &str) -> String {
    format!("{}:{}:{client_msg_id}", author.kind().as_str(), author.id())
}

/// Recent idempotency keys.
#[derive(Debug, Default)]
pub struct Keys {
    acks: HashMap<String, (Option<ChatId>, Seq)>,
    order: VecDeque<String>,
    evicted: bool,
}

impl Keys {
    /// Records the keyed messages among `events`.
    pub fn record(&mut self, events: &[Event]) {
        for event in events {
            if let Change::MessageAppended(m) = &event.change {
                if let Some(id) = &m.client_msg_id {
                    let key = key_of(&m.author, id);
                    if self.acks.insert(key.clone(), (m.chat, m.seq)).is_none() {
                        self.order.push_back(key);
                    }
                }
            }
        }
        while self.order.len() > KEEP {
            if let Some(old) = self.order.pop_front() {
                self.acks.remove(&old);
                self.evicted = true;
            }
        }
    }

    /// The ack of a message already stored under `key`, if remembered.
    pub fn ack(&self, key: &str) -> Option<Reply> {
        self.acks.get(key).map(|&(chat, seq)| Reply::Stored { chat, seq })
    }

    /// Older keys were never read (activation from a snapshot): misses must be checked in the
    /// store.
    pub fn assume_incomplete(&mut self) {
        self.evicted = true;
    }

    /// Older keys were dropped from memory: a miss must be checked in the store.
    pub fn incomplete(&self) -> bool {
        self.evicted
    }
}
