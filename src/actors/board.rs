//! The board: live routing facts the supervisor publishes and conversation actors read without a
//! round trip — who is online, who can receive a pinned chat now, who watches each queued chat,
//! and which conversation a chat number belongs to.

use std::sync::Arc;

use dashmap::DashMap;

use crate::domain::{ChatId, ConversationId, Directory, OperatorId};

/// Shared routing facts.
#[derive(Default)]
pub struct Board {
    online: DashMap<OperatorId, bool>,
    availability: DashMap<OperatorId, bool>,
    offline: DashMap<OperatorId, bool>,
    watchers: DashMap<ChatId, Arc<[OperatorId]>>,
    locator: DashMap<ChatId, ConversationId>,
}

impl Board {
    /// Records whether `operator`'s presence is `online` now.
    pub fn set_online(&self, operator: OperatorId, online: bool) {
        self.online.insert(operator, online);
    }

    /// Records whether `operator` can receive a chat now (online, below capacity).
    pub fn set_available(&self, operator: OperatorId, can_receive: bool) {
        self.availability.insert(operator, can_receive);
    }

    /// Records whether `operator` is offline after their grace (unknown: not offline).
    pub fn set_offline(&self, operator: OperatorId, offline: bool) {
        self.offline.insert(operator, offline);
    }

    /// Records who sees a queued chat in their New tab (empty: nobody, forget it).
    pub fn set_watchers(&self, chat: ChatId, operators: Vec<OperatorId>) {
        if operators.is_empty() {
            self.watchers.remove(&chat);
        } else {
            self.watchers.insert(chat, operators.into());
        }
    }

    /// Who sees the queued chat in their New tab.
    pub fn watchers(&self, chat: ChatId) -> Vec<OperatorId> {
        self.watchers.get(&chat).map_or_else(Vec::new, |w| w.to_vec())
    }

    /// Remembers which conversation an open chat belongs to (finished chats are looked up in
    /// the store, so this map stays as small as the number of open chats).
    pub fn locate(&self, chat: ChatId, conversation: &ConversationId) {
        if !self.locator.contains_key(&chat) {
            self.locator.insert(chat, conversation.clone());
        }
    }

    /// Forgets a chat that is no longer open.
    pub fn forget(&self, chat: ChatId) {
        self.locator.remove(&chat);
    }

    /// The conversation of an open chat.
    pub fn conversation_of(&self, chat: ChatId) -> Option<ConversationId> {
        self.locator.get(&chat).map(|c| c.clone())
    }
}

impl Directory for Board {
    fn can_receive_pinned(&self, operator: &OperatorId) -> bool {
        self.availability.get(operator).is_some_and(|v| *v)
    }

    fn is_offline(&self, operator: &OperatorId) -> bool {
        self.offline.get(operator).is_some_and(|v| *v)
    }

    fn online(&self, operator: &OperatorId) -> bool {
        self.online.get(operator).is_some_and(|v| *v)
    }
}
