//! A change of the record, as it is stored outside SQLite: a commit ([`CommitRecord`], a serde
//! mirror of [`Commit`]) or an outbox change ([`OutboxChange`]). The Redis change stream and the
//! embedded journal both hold these, as JSON. Pure: no IO.
//!
//! A commit's snapshot is stored as the versioned envelope of `store::snapshot`, not as raw
//! state: a snapshot written by an older build that no longer reads back is dropped on the way
//! in (the events are kept, so nothing is lost: activation replays from an older snapshot or
//! from the first event).

use serde::{Deserialize, Serialize};

use crate::domain::{ChannelId, ChatId, ChatView, ConversationId, Event, MessageView, Timestamp};
use crate::store::{snapshot, Commit, DeadlineRow, MessageMove, Outbound, StoreError};

/// [`MessageMove`] as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MoveRecord {
    from_chat: ChatId,
    to_chat: ChatId,
    from_seq: u64,
}

/// [`Outbound`] as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OutboundRecord {
    id: String,
    conversation: ConversationId,
    position: u64,
    channel: ChannelId,
    url: String,
    payload: serde_json::Value,
    created_at: Timestamp,
}

/// [`Commit`] as stored in the change stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CommitRecord {
    conversation: ConversationId,
    position: u64,
    events: Vec<Event>,
    messages: Vec<MessageView>,
    moves: Vec<MoveRecord>,
    chats: Vec<ChatView>,
    /// The deadline row to set, or `None` to clear it (unless `keep_deadline`).
    next_deadline: Option<Timestamp>,
    /// Leave the deadline row as it is ([`DeadlineRow::Keep`]).
    #[serde(default)]
    keep_deadline: bool,
    outbox: Vec<OutboundRecord>,
    /// The snapshot envelope (`store::snapshot::encode`).
    pub(crate) snapshot: Option<String>,
}

impl CommitRecord {
    /// The stored form of `commit`.
    pub(crate) fn of(commit: &Commit) -> Result<Self, StoreError> {
        let snapshot = match &commit.snapshot {
            Some(state) => Some(
                snapshot::encode(state)
                    .map_err(|e| StoreError::Unavailable(format!("cannot encode a snapshot: {e}")))?,
            ),
            None => None,
        };
        Ok(CommitRecord {
            conversation: commit.conversation.clone(),
            position: commit.position,
            events: commit.events.clone(),
            messages: commit.messages.clone(),
            moves: commit
                .moves
                .iter()
                .map(|m| MoveRecord { from_chat: m.from_chat, to_chat: m.to_chat, from_seq: m.from_seq })
                .collect(),
            chats: commit.chats.clone(),
            next_deadline: match commit.deadline {
                DeadlineRow::Set(due) => Some(due),
                DeadlineRow::Keep | DeadlineRow::Clear => None,
            },
            keep_deadline: commit.deadline == DeadlineRow::Keep,
            outbox: commit
                .outbox
                .iter()
                .map(|o| OutboundRecord {
                    id: o.id.clone(),
                    conversation: o.conversation.clone(),
                    position: o.position,
                    channel: o.channel.clone(),
                    url: o.url.clone(),
                    payload: o.payload.clone(),
                    created_at: o.created_at,
                })
                .collect(),
            snapshot,
        })
    }

    /// The commit back (an unreadable snapshot is left out, see the module comment).
    pub(crate) fn into_commit(self) -> Commit {
        let snapshot = self.snapshot.as_deref().and_then(|body| {
            let state = snapshot::decode(body);
            if state.is_none() {
                tracing::warn!(
                    conversation = %self.conversation,
                    "unreadable snapshot in the change stream; the events are kept without it"
                );
            }
            state.map(Box::new)
        });
        Commit {
            conversation: self.conversation,
            position: self.position,
            events: self.events,
            messages: self.messages,
            moves: self
                .moves
                .into_iter()
                .map(|m| MessageMove { from_chat: m.from_chat, to_chat: m.to_chat, from_seq: m.from_seq })
                .collect(),
            chats: self.chats,
            deadline: if self.keep_deadline {
                DeadlineRow::Keep
            } else {
                DeadlineRow::of(self.next_deadline)
            },
            outbox: self
                .outbox
                .into_iter()
                .map(|o| Outbound {
                    id: o.id,
                    conversation: o.conversation,
                    position: o.position,
                    channel: o.channel,
                    url: o.url,
                    payload: o.payload,
                    created_at: o.created_at,
                })
                .collect(),
            snapshot,
        }
    }
}

/// A change of one outbox row, as stored in the change stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum OutboxChange {
    /// The receiver accepted it: removed.
    Delivered {
        /// The row.
        id: String,
    },
    /// It failed `attempts` times: due again at `next_at`.
    RetryLater {
        /// The row.
        id: String,
        /// Failed attempts so far.
        attempts: u32,
        /// When it is due again.
        next_at: Timestamp,
    },
    /// Given up on: parked.
    Park {
        /// The row.
        id: String,
        /// Failed attempts.
        attempts: u32,
        /// When.
        at: Timestamp,
        /// Why.
        reason: String,
    },
    /// A parked row back in the queue.
    Requeue {
        /// The row.
        id: String,
        /// Due from then.
        now: Timestamp,
    },
}

/// One decoded stream entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    /// A commit.
    Commit(Box<Commit>),
    /// An outbox change.
    Outbox(OutboxChange),
}

impl Change {
    /// The change whose JSON body is a [`CommitRecord`].
    pub(crate) fn decode_commit(body: &str) -> Result<Change, StoreError> {
        let record: CommitRecord =
            serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("commit entry: {e}")))?;
        Ok(Change::Commit(Box::new(record.into_commit())))
    }

    /// The change whose JSON body is an [`OutboxChange`].
    pub(crate) fn decode_outbox(body: &str) -> Result<Change, StoreError> {
        serde_json::from_str(body)
            .map(Change::Outbox)
            .map_err(|e| StoreError::Corrupt(format!("outbox entry: {e}")))
    }
}
