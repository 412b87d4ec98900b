//! Commands: what clients, operators, timers and automation ask of a conversation, and the
//! replies the conversation gives when a command succeeds.

use super::event::{FieldsUpdate, ForwardTarget};
use super::ids::{ChatId, OperatorId, Seq};
use super::status::Status;

/// A source of automated messages (SPEC 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AutomatedKind {
    /// Funnels and broadcasts: held while a chat is in progress.
    Campaign,
    /// Auto-support: dropped while a chat is in progress.
    Bot,
}

/// What the conversation is asked to do.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    /// The client wrote (SPEC 3).
    ClientMessage {
        /// Text.
        text: String,
        /// Idempotency key.
        client_msg_id: Option<String>,
        /// The client's display name, if the channel told it.
        name: Option<String>,
        /// The widget page.
        page_url: Option<String>,
    },
    /// An operator wrote (SPEC 3); `chat: None` = into the conversation's latest chat.
    OperatorMessage {
        /// The writer.
        by: OperatorId,
        /// The chat written into, if named.
        chat: Option<ChatId>,
        /// Text.
        text: String,
        /// Idempotency key.
        client_msg_id: Option<String>,
    },
    /// A private note (SPEC 5.1).
    Note {
        /// The writer.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
        /// Text.
        text: String,
    },
    /// Take an unassigned chat from the New tab.
    Take {
        /// The operator.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// Accept an offer.
    Accept {
        /// The operator.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// Set a manual status (SPEC 2.0).
    SetStatus {
        /// Who.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
        /// open, pending or on_hold.
        status: Status,
    },
    /// Finish with a status (SPEC 2.1, 2.3).
    Finish {
        /// Who.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
        /// open, pending or closed.
        status: Status,
        /// The operator's rating of the client, 1-3.
        operator_rating: Option<u8>,
        /// Ask the client to vote; default `rating.enabled` (never on email channels).
        request_vote: Option<bool>,
    },
    /// Finish as spam.
    ForceFinish {
        /// Who.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// Reopen the latest chat when it is closed.
    Reopen {
        /// Who.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// Forward to an operator or a line.
    Forward {
        /// Who.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
        /// Where to.
        to: ForwardTarget,
    },
    /// Add a participant.
    Invite {
        /// Who.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
        /// The invited operator.
        operator: OperatorId,
    },
    /// Move the messages since the reactivation into a new chat (SPEC 3.1).
    Split {
        /// Who.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// Merge the chat into the closed chat before it (SPEC 3.1).
    MergePrevious {
        /// Who.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// Edit descriptive fields and/or pin.
    UpdateChat {
        /// Who.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
        /// Fields to change.
        fields: FieldsUpdate,
        /// Pin (to the responsible) or unpin.
        pinned: Option<bool>,
    },
    /// A supervisor's rating (1-5) and/or comment.
    Review {
        /// Who.
        by: OperatorId,
        /// The chat.
        chat: ChatId,
        /// 1-5.
        rating: Option<u8>,
        /// Comment.
        comment: Option<String>,
    },
    /// The client's vote in closing mode.
    Vote {
        /// The chat.
        chat: ChatId,
        /// 1-3.
        score: u8,
    },
    /// An automated message (SPEC 5).
    Automated {
        /// Campaign or bot.
        kind: AutomatedKind,
        /// Text.
        text: String,
    },
    /// A timer went off: every deadline at or before `now` is acted on.
    TimerFired,
}

impl Command {
    /// The operator acting and the chat acted on, for commands that name both (scope checks).
    pub fn operator_and_chat(&self) -> Option<(&OperatorId, ChatId)> {
        use Command::*;
        match self {
            OperatorMessage { by, chat: Some(chat), .. }
            | Note { by, chat, .. }
            | Take { by, chat }
            | Accept { by, chat }
            | SetStatus { by, chat, .. }
            | Finish { by, chat, .. }
            | ForceFinish { by, chat }
            | Reopen { by, chat }
            | Forward { by, chat, .. }
            | Invite { by, chat, .. }
            | Split { by, chat }
            | MergePrevious { by, chat }
            | UpdateChat { by, chat, .. }
            | Review { by, chat, .. } => Some((by, *chat)),
            _ => None,
        }
    }
}

/// What happened to an automated message (SPEC 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AutomatedOutcome {
    /// Stored and delivered now.
    Delivered,
    /// Held until the chat in progress pauses or finishes.
    Queued,
    /// Dropped: never delivered.
    Dropped,
}

impl AutomatedOutcome {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AutomatedOutcome::Delivered => "delivered",
            AutomatedOutcome::Queued => "queued",
            AutomatedOutcome::Dropped => "dropped",
        }
    }
}

/// The result fields of a successful command (PROTOCOL 3 ack fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Reply {
    /// Nothing beyond success.
    Done,
    /// A message was stored: its chat and seq.
    Stored {
        /// The chat it went into (none for an automated message with no chat yet).
        chat: Option<ChatId>,
        /// Its seq.
        seq: Seq,
    },
    /// A split made this chat.
    NewChat(ChatId),
    /// A merge went into this chat.
    MergedInto(ChatId),
    /// An automated message's fate.
    Automated(AutomatedOutcome),
}
