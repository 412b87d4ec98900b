//! [`Commit`]: everything one decided command writes, derived purely from the conversation
//! before it and the command's outcome, so every backend writes the same projections.

use std::collections::BTreeSet;

use super::Outbound;
use crate::domain::{
    Change, ChatId, ChatView, Conversation, ConversationId, Event, MessageView, Outcome, Seq, Timestamp,
};

/// Messages moving from one chat to another (split: from the split point; merge: all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMove {
    /// The chat the messages are in.
    pub from_chat: ChatId,
    /// The chat they move to.
    pub to_chat: ChatId,
    /// Only messages with this seq or later move.
    pub from_seq: Seq,
}

/// One atomic write: the journal records of one command and the projections they change.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// The conversation.
    pub conversation: ConversationId,
    /// How many events of the conversation are already stored: the first event's position.
    pub position: u64,
    /// The events, in order.
    pub events: Vec<Event>,
    /// New messages (as stored when written; `moves` apply after them).
    pub messages: Vec<MessageView>,
    /// Message moves, in order.
    pub moves: Vec<MessageMove>,
    /// The current rows of every chat the events touched.
    pub chats: Vec<ChatView>,
    /// The conversation's earliest armed deadline after the commit (`None` clears it).
    pub next_deadline: Option<Timestamp>,
    /// Webhook deliveries the events decide (`crate::webhook::outbound`); written atomically
    /// with the rest, so a delivery exists exactly when its message does.
    pub outbox: Vec<Outbound>,
    /// The state after this commit's events, stored as the conversation's snapshot (replacing
    /// an older one) so that activation reads only the events after it.
    pub snapshot: Option<Box<Conversation>>,
}

impl Commit {
    /// The commit of `outcome`, decided on `before`, whose journal holds `position` events.
    /// Its outbox is empty: webhook deliveries depend on configuration, see [`Commit::with_outbox`].
    pub fn of(before: &Conversation, outcome: &Outcome, position: u64) -> Self {
        let conv = &outcome.state;
        let mut messages = Vec::new();
        let mut moves = Vec::new();
        let mut touched = BTreeSet::new();
        let mut renamed = false;
        for event in &outcome.events {
            match &event.change {
                Change::MessageAppended(m) => messages.push(MessageView::of(&conv.id, m, event.at)),
                Change::SplitOff { chat, new_chat } => {
                    if let Some(from_seq) =
                        before.chat(*chat).and_then(|c| c.split.as_ref()).map(|s| s.from_seq)
                    {
                        moves.push(MessageMove { from_chat: *chat, to_chat: *new_chat, from_seq });
                    }
                    touched.insert(*new_chat);
                }
                Change::MergedInto { chat, into } => {
                    moves.push(MessageMove { from_chat: *chat, to_chat: *into, from_seq: 0 });
                    touched.insert(*into);
                }
                Change::ChatOpened { prev_chat: Some(prev), .. } => {
                    touched.insert(*prev);
                }
                Change::ClientNamed { .. } => renamed = true,
                _ => {}
            }
            if let Some(chat) = event.change.chat() {
                touched.insert(chat);
            }
        }
        let chats = conv
            .chats
            .iter()
            .filter(|c| renamed || touched.contains(&c.id))
            .map(|c| ChatView::of(conv, c))
            .collect();
        Self {
            conversation: conv.id.clone(),
            position,
            events: outcome.events.clone(),
            messages,
            moves,
            chats,
            next_deadline: conv.next_deadline(),
            outbox: Vec::new(),
            snapshot: None,
        }
    }

    /// The same commit storing the state after it as the conversation's snapshot.
    pub fn with_snapshot(mut self, state: Conversation) -> Self {
        self.snapshot = Some(Box::new(state));
        self
    }

    /// The journal position after this commit's events.
    pub fn end(&self) -> u64 {
        self.position + self.events.len() as u64
    }

    /// The same commit writing `outbox` too.
    pub fn with_outbox(mut self, outbox: Vec<Outbound>) -> Self {
        self.outbox = outbox;
        self
    }
}
