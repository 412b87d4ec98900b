//! Notices: what operators' and clients' sockets are told (PROTOCOL 3.2, 3.3), as typed values.
//! The sockets turn them into frames; [`fanout`](super::fanout) decides who gets which. Notices
//! that change an operator's tabs carry their [`Cause`] (the wire's `by`).

use std::sync::Arc;

use super::cause::Cause;
use super::ids::{ChatId, OperatorId};
use super::routing::Withdrawal;
use super::view::{ChatView, MessageView};

/// Why a chat left an operator's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RemovedReason {
    /// Someone else took or got it.
    Taken,
    /// It finished (or went to voting: it stays in My while closing).
    Finished,
    /// Another operator became responsible.
    Reassigned,
    /// It was forwarded to another line.
    Moved,
    /// It was merged into its previous chat.
    Merged,
}

impl RemovedReason {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RemovedReason::Taken => "taken",
            RemovedReason::Finished => "finished",
            RemovedReason::Reassigned => "reassigned",
            RemovedReason::Moved => "moved",
            RemovedReason::Merged => "merged",
        }
    }
}

/// An event for an operator's sockets.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum OperatorNotice {
    /// An unassigned chat entered the New tab.
    ChatNew(Arc<ChatView>),
    /// The chat is offered; it expires in `expires_in_ms`.
    Offer {
        /// The chat.
        chat: Arc<ChatView>,
        /// Milliseconds until the offer expires.
        expires_in_ms: i64,
    },
    /// An offer was withdrawn.
    OfferWithdrawn {
        /// The chat.
        chat: ChatId,
        /// Why.
        reason: Withdrawal,
        /// Who or what withdrew it (the taker, the offer timer, ...).
        by: Cause,
    },
    /// A chat entered the My tab.
    ChatAssigned {
        /// The chat.
        chat: Arc<ChatView>,
        /// Who or what put it there.
        by: Cause,
    },
    /// A chat in a tab changed.
    ChatUpdated {
        /// The chat.
        chat: Arc<ChatView>,
        /// Who or what changed it.
        by: Cause,
    },
    /// A chat left the tabs.
    ChatRemoved {
        /// The chat.
        chat: ChatId,
        /// Why.
        reason: RemovedReason,
        /// Who or what removed it.
        by: Cause,
    },
    /// The client of a chat in the My tab voted (SPEC 2.3); the chat then finishes.
    ClientVoted {
        /// The chat.
        chat: ChatId,
        /// 1-3.
        score: u8,
        /// The score's configured label (`rating.labels`).
        label: String,
    },
    /// A message in a chat of the tabs (or offered).
    Message(Arc<MessageView>),
    /// The client is typing.
    Typing {
        /// The chat.
        chat: ChatId,
        /// The client's id.
        author: String,
    },
    /// The server is shutting down: the socket is about to be closed.
    Closing,
    /// Another core now serves conversations (the cluster's leader changed): notices may have
    /// been missed in the change, so the socket is welcomed again.
    Resync,
    /// An operator's presence changed (supervisors and admins only).
    Presence {
        /// The operator.
        operator: OperatorId,
        /// online, away or offline.
        status: super::routing::Presence,
    },
}

/// An event for a client's sockets.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ClientNotice {
    /// An operator, bot or system message (or the client's own from another tab).
    Message(Arc<MessageView>),
    /// An operator is typing.
    Typing,
    /// Queue position (1 = next to be served).
    Queue {
        /// Position.
        position: u32,
    },
    /// Please rate the chat.
    VoteRequest {
        /// The chat.
        chat: ChatId,
        /// `(score, label)` for scores 1-3.
        options: Arc<[(u8, String); 3]>,
    },
    /// Thanks for the vote.
    VoteThanks {
        /// The chat.
        chat: ChatId,
        /// The thank-you text.
        text: String,
    },
    /// The chat finished.
    ChatFinished {
        /// The chat.
        chat: ChatId,
    },
    /// The server is shutting down: the socket is about to be closed.
    Closing,
    /// Another core now serves conversations: the socket is welcomed again.
    Resync,
}

/// The notices held while an operator's welcome was being built, minus those the welcome
/// already shows: an offer it lists (`offered`) or a New-tab chat it lists (`listed`), unless
/// that chat was withdrawn or removed meanwhile (then the notice and its withdrawal both go
/// out, in order). Everything else is kept, in order.
pub fn after_welcome(
    held: Vec<OperatorNotice>,
    listed: &[ChatId],
    offered: &[ChatId],
) -> Vec<OperatorNotice> {
    let gone: Vec<ChatId> = held
        .iter()
        .filter_map(|n| match n {
            OperatorNotice::OfferWithdrawn { chat, .. } | OperatorNotice::ChatRemoved { chat, .. } => {
                Some(*chat)
            }
            _ => None,
        })
        .collect();
    held.into_iter()
        .filter(|notice| match notice {
            OperatorNotice::Offer { chat, .. } => !offered.contains(&chat.id) || gone.contains(&chat.id),
            OperatorNotice::ChatNew(chat) => !listed.contains(&chat.id) || gone.contains(&chat.id),
            _ => true,
        })
        .collect()
}
