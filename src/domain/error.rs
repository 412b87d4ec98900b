//! Domain errors: why a command was refused. A refused command produces no events.

use super::ids::{ChatId, LineId, OperatorId};
use super::text::TextError;

/// Why a command was refused; each maps to a PROTOCOL error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum DomainError {
    /// The command itself is malformed (bad value, missing field).
    #[error("{0}")]
    BadRequest(String),
    /// A value is longer than its limit.
    #[error("{0}")]
    TooLarge(String),
    /// No such chat in this conversation.
    #[error("chat {0} not found")]
    ChatNotFound(ChatId),
    /// No such operator.
    #[error("operator {0} not found")]
    OperatorNotFound(OperatorId),
    /// No such line.
    #[error("line {0} not found")]
    LineNotFound(LineId),
    /// The chat's state does not allow the command.
    #[error("chat {chat} is {state}: cannot {action}")]
    InvalidTransition {
        /// The chat.
        chat: ChatId,
        /// Its state, in words.
        state: String,
        /// What was attempted.
        action: std::borrow::Cow<'static, str>,
    },
    /// Another operator is responsible.
    #[error("chat {chat} is already taken by {by}")]
    AlreadyTaken {
        /// The chat.
        chat: ChatId,
        /// The responsible.
        by: OperatorId,
    },
    /// The operator may not see or act on the chat (SPEC 8).
    #[error("operator {operator} may not act on chat {chat}")]
    Forbidden {
        /// The operator.
        operator: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// A chat cannot go to an operator who is offline (SPEC 4: forward).
    #[error("operator {operator} is offline: chat {chat} cannot be forwarded to them")]
    OperatorOffline {
        /// The operator.
        operator: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// The chat is not the conversation's latest.
    #[error("chat {chat} is not the latest chat of its conversation; the latest is {latest}")]
    Conflict {
        /// The chat named.
        chat: ChatId,
        /// The latest chat.
        latest: ChatId,
    },
}

impl From<TextError> for DomainError {
    fn from(e: TextError) -> Self {
        match e {
            TextError::TooLong { .. } => DomainError::TooLarge(e.to_string()),
            TextError::Control { .. } => DomainError::BadRequest(e.to_string()),
        }
    }
}
