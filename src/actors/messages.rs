//! Messages between actors and from the edges (sockets, HTTP) into them. One struct per intent;
//! commands are imperative, notifications past tense.

use std::sync::Arc;

use actix::Message;

use crate::domain::routing::{ChatRouting, LineStats, Presence, RouteError};
use crate::domain::{ChatId, ChatView, Command, ConversationId, DomainError, OperatorId, Reply, Timestamp};
use crate::store::StoreError;

use super::hub::SubscriptionId;

/// Why a command did not succeed; each maps to a PROTOCOL error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The conversation refused it.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The supervisor refused it (capacity, no offer).
    #[error(transparent)]
    Route(#[from] RouteError),
    /// The store failed; nothing was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The actor could not be reached or could not load its state.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The conversation takes no more client messages for now (`limits.conversation_messages_per_second`).
    #[error("too many messages into this conversation; slow down")]
    RateLimited,
}

impl CommandError {
    /// The PROTOCOL error code.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::Domain(e) => e.code(),
            CommandError::Route(e) => e.code(),
            CommandError::Store(StoreError::BadQuery(_)) => "bad_request",
            CommandError::Store(_) | CommandError::Unavailable(_) => "unavailable",
            CommandError::RateLimited => "rate_limited",
        }
    }
}

/// A successful command: the ack fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// What the command produced.
    pub reply: Reply,
}

/// Run a command on a conversation; answered only once its events are durable.
#[derive(Debug, Message)]
#[rtype(result = "Result<Ack, CommandError>")]
pub struct Execute {
    /// The command.
    pub command: Command,
    /// The socket it came from: it gets the ack, not an echo of its own message.
    pub origin: Option<SubscriptionId>,
}

/// The client is typing: tell the operators of its latest chat (not stored).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct ClientTyping;

/// An operator is typing in a chat: tell the client (not stored), if the operator may see the
/// chat.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), CommandError>")]
pub struct OperatorTyping {
    /// The operator.
    pub operator: OperatorId,
    /// The chat they type in.
    pub chat: ChatId,
}

/// A durable change of a chat, for the supervisor (conversation → supervisor).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ChatChanged {
    /// What routing needs to know.
    pub routing: ChatRouting,
    /// The chat as it is now (for offers and New-tab notices).
    pub view: Arc<ChatView>,
}

/// An operator's socket opened (edge → supervisor).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct OperatorConnected {
    /// The operator.
    pub operator: OperatorId,
}

/// An operator's socket closed (edge → supervisor).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct OperatorDisconnected {
    /// The operator.
    pub operator: OperatorId,
}

/// An operator sets their presence.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SetPresence {
    /// The operator.
    pub operator: OperatorId,
    /// online, away or offline.
    pub status: Presence,
}

/// Take an unassigned chat (any strategy), or accept an offer.
#[derive(Debug, Message)]
#[rtype(result = "Result<Ack, CommandError>")]
pub struct TakeChat {
    /// The operator.
    pub operator: OperatorId,
    /// The chat.
    pub chat: ChatId,
    /// Its conversation.
    pub conversation: ConversationId,
    /// Accepting an offer rather than taking from New.
    pub accept: bool,
}

/// Decline an offer.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), CommandError>")]
pub struct DeclineOffer {
    /// The operator.
    pub operator: OperatorId,
    /// The chat.
    pub chat: ChatId,
}

/// A page of the chats in an operator's New tab, and their open offers (for the welcome frame
/// and `GET /api/v1/tabs/new`).
#[derive(Debug, Message)]
#[rtype(result = "NewTab")]
pub struct GetNewTab {
    /// The operator.
    pub operator: OperatorId,
    /// Continue after this `(queued_at, chat)` key (from an earlier page's `more`).
    pub after: Option<(Timestamp, ChatId)>,
    /// The most chats to list.
    pub limit: usize,
}

/// A page of an operator's New tab.
#[derive(Debug, Clone, Default)]
pub struct NewTab {
    /// Queued chats visible to them, oldest first.
    pub chats: Vec<Arc<ChatView>>,
    /// How many chats the whole tab holds.
    pub total: usize,
    /// The key to continue after, when more chats follow.
    pub more: Option<(Timestamp, ChatId)>,
    /// Open offers to them: chat and milliseconds left.
    pub offers: Vec<(Arc<ChatView>, i64)>,
}

/// Presence and load of every configured operator (HTTP `GET /operators`).
#[derive(Debug, Message)]
#[rtype(result = "Vec<OperatorStatus>")]
pub struct GetOperators;

/// One operator's live status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorStatus {
    /// The operator.
    pub operator: OperatorId,
    /// Presence.
    pub presence: Presence,
    /// Open chats they are responsible for.
    pub active_chats: u32,
}

/// Queue statistics of every line (HTTP `GET /lines`).
#[derive(Debug, Message)]
#[rtype(result = "Vec<(crate::domain::LineId, LineStats)>")]
pub struct GetLines;
