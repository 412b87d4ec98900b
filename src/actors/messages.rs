//! Every message between the node's actors, and from the node into them: one struct per intent,
//! with named fields; commands are imperative (`TakeChat`), notifications past tense
//! (`ChatChanged`). Edges never send these: they call the node's methods.

use std::sync::Arc;

use actix::Message;

use crate::domain::routing::{ChatRouting, LineStats, Presence, RouteError};
use crate::domain::{
    ChatId, ChatView, ClientNotice, Command, ConversationId, DomainError, LineId, OperatorId, OperatorNotice,
    Reply, Timestamp,
};
use crate::store::StoreError;

/// Why a command did not succeed (the edge maps each to a PROTOCOL error code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
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

/// Run a command on a conversation; answered only once its events are durable.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Reply, CommandError>")]
pub struct Execute {
    /// The command.
    pub command: Command,
}

/// The client is typing: tell the operators of its latest chat (not stored).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct RelayClientTyping;

/// An operator is typing in a chat: tell the client (not stored), if the operator may see the
/// chat.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), CommandError>")]
pub struct RelayOperatorTyping {
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

/// An operator's socket opened.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct OperatorConnected {
    /// The operator.
    pub operator: OperatorId,
}

/// An operator's socket closed.
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

/// Take an unassigned chat from the New tab (any strategy).
#[derive(Debug, Message)]
#[rtype(result = "Result<Reply, CommandError>")]
pub struct TakeChat {
    /// The operator.
    pub operator: OperatorId,
    /// The chat.
    pub chat: ChatId,
    /// Its conversation.
    pub conversation: ConversationId,
}

/// Accept the open offer of a chat.
#[derive(Debug, Message)]
#[rtype(result = "Result<Reply, CommandError>")]
pub struct AcceptOffer {
    /// The operator the chat is offered to.
    pub operator: OperatorId,
    /// The chat.
    pub chat: ChatId,
    /// Its conversation.
    pub conversation: ConversationId,
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

/// A page of the chats in an operator's New tab, and their open offers.
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
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewTab {
    /// Queued chats visible to them, oldest first.
    pub chats: Vec<Arc<ChatView>>,
    /// How many chats the whole tab holds.
    pub total: usize,
    /// The key to continue after, when more chats follow.
    pub more: Option<(Timestamp, ChatId)>,
    /// Open offers to them, oldest first.
    pub offers: Vec<OpenOffer>,
}

/// An offer still ringing.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct OpenOffer {
    /// The chat.
    pub chat: Arc<ChatView>,
    /// Milliseconds until it expires.
    pub expires_in_ms: i64,
}

/// Presence and load of every configured operator.
#[derive(Debug, Message)]
#[rtype(result = "Vec<OperatorStatus>")]
pub struct GetOperators;

/// One operator's live status.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperatorStatus {
    /// The operator.
    pub operator: OperatorId,
    /// Presence.
    pub presence: Presence,
    /// Open chats they are responsible for.
    pub active_chats: u32,
}

/// Queue statistics of every line.
#[derive(Debug, Message)]
#[rtype(result = "Vec<LineStatus>")]
pub struct GetLines;

/// Stop the supervisor (its node no longer serves conversations).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StopSupervisor;

/// Tell the client of `chat` its queue position again, if it waits in a queue (a client socket
/// that just connected). Sent through the hub, in order with every other position notice.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct AnnounceQueuePosition {
    /// The chat.
    pub chat: ChatId,
}

/// One line's live figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LineStatus {
    /// The line.
    pub line: LineId,
    /// Its queue and members.
    pub stats: LineStats,
}

/// A notice for one of an operator's sockets (hub → session).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct NotifyOperator {
    /// What happened.
    pub notice: OperatorNotice,
}

/// A notice for one of a client's sockets (hub → session).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct NotifyClient {
    /// What happened.
    pub notice: ClientNotice,
}

/// The deadline index holds a row of this conversation that is due: the scheduler's wake-up,
/// sent to the conversation's actor (live, or activated for it).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct DeadlineDue;

/// Stop the deadline scheduler (the node shuts down).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct StopScheduler;
