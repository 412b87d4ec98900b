//! The words the dispatcher speaks: operator presence, the routing facts of one chat (its input),
//! the effects it asks the supervisor actor to carry out (its output), its refusals and the
//! per-line figures of the API. Plain values: no state, no behaviour beyond naming.

use serde::{Deserialize, Serialize};

use crate::domain::cause::Cause;
use crate::domain::chat::Chat;
use crate::domain::ids::{ChatId, ConversationId, LineId, OperatorId, Span, Timestamp};
use crate::domain::status::{AssignVia, Phase};
use crate::domain::view::ChatView;

/// An operator's presence (PROTOCOL 3.2 `presence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Gets offers and sees the New tab.
    Online,
    /// Keeps their chats and sees the New tab, gets no offers.
    Away,
    /// Gets nothing. Every operator starts offline until a socket connects.
    #[default]
    Offline,
}

impl Presence {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Away => "away",
            Presence::Offline => "offline",
        }
    }

    /// Online or away: sees queued chats of their lines in the New tab.
    pub fn is_present(self) -> bool {
        matches!(self, Presence::Online | Presence::Away)
    }
}

/// What the supervisor is told after every durable change of a chat (and at start-up for every
/// open chat): everything routing needs to know of it, and the change's cause, which the
/// withdrawals and New-tab removals it leads to name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRouting {
    /// The chat.
    pub chat: ChatId,
    /// Its conversation (addressee of `queue` position frames).
    pub conversation: ConversationId,
    /// The line it is routed in.
    pub line: LineId,
    /// When it last entered a queue (the FIFO key); `None` means "now".
    pub queued_at: Option<Timestamp>,
    /// Active and nobody responsible: it must wait in its line's queue.
    pub needs_routing: bool,
    /// The responsible operator, if any.
    pub responsible: Option<OperatorId>,
    /// Active or closing: counts towards the responsible's capacity.
    pub open: bool,
    /// How the responsible got it.
    pub via: Option<AssignVia>,
    /// The responsible it was taken back from for not answering: tried last.
    pub returned_from: Option<OperatorId>,
    /// Who or what made this change (named by the withdrawals and New-tab removals it causes).
    pub by: Cause,
}

impl ChatRouting {
    /// The routing facts of a live `chat` of `conversation`, changed by `by`.
    pub fn of(conversation: &ConversationId, chat: &Chat, by: Cause) -> Self {
        Self {
            chat: chat.id,
            conversation: conversation.clone(),
            line: chat.line.clone(),
            queued_at: chat.metrics.queued_at,
            needs_routing: chat.needs_routing(),
            responsible: chat.responsible.clone(),
            open: chat.is_open(),
            via: chat.assigned_via,
            returned_from: chat.returned_from.clone(),
            by,
        }
    }

    /// The same facts from a stored chat row (what the supervisor rebuilds its queues from
    /// after a restart). A row does not say how its responsible got it (`via` is `None`), which
    /// only capacity accounting of forced assignments would use; nothing else differs.
    pub fn of_view(view: &ChatView) -> Self {
        Self {
            chat: view.id,
            conversation: view.conversation.clone(),
            line: view.line.clone(),
            queued_at: view.metrics.queued_at,
            needs_routing: view.phase == Phase::Active && view.responsible.is_none(),
            responsible: view.responsible.clone(),
            open: view.phase != Phase::Finished,
            via: None,
            returned_from: None,
            by: Cause::System,
        }
    }

    /// Whether a change of a chat from `before` (none: it is new) to `after` concerns routing:
    /// its line, queue entry, need of a responsible, responsible, openness or how it was
    /// assigned changed. Only such changes are told to the supervisor.
    pub fn changed(before: Option<&Chat>, after: &Chat) -> bool {
        let facts = |c: &Chat| {
            (
                c.line.clone(),
                c.needs_routing(),
                c.responsible.clone(),
                c.is_open(),
                c.metrics.queued_at,
                c.assigned_via,
            )
        };
        before.map(facts) != Some(facts(after))
    }
}

/// Why an open offer was withdrawn (PROTOCOL 3.2 `offer_withdrawn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Withdrawal {
    /// Someone (else) got the chat.
    Taken,
    /// Nobody answered within `timeouts.offer`.
    Timeout,
    /// The operator declined.
    Declined,
    /// The operator went away or offline.
    Unavailable,
    /// The chat no longer waits here: finished, or forwarded to a line the operator is not in.
    Gone,
}

impl Withdrawal {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Withdrawal::Taken => "taken",
            Withdrawal::Timeout => "timeout",
            Withdrawal::Declined => "declined",
            Withdrawal::Unavailable => "unavailable",
            Withdrawal::Gone => "gone",
        }
    }
}

/// Why a chat left operators' New tab (PROTOCOL 3.2 `chat_removed` `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    /// It got a responsible operator.
    Taken,
    /// It stopped waiting without one (finished, closed, ...).
    Finished,
    /// It moved to a line these operators do not see.
    Moved,
}

impl Removal {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Removal::Taken => "taken",
            Removal::Finished => "finished",
            Removal::Moved => "moved",
        }
    }
}

/// What the supervisor actor must do after a dispatcher call, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Offer `chat` to `operator` until `expires_at` (PROTOCOL `offer`).
    Offer {
        /// The operator offered the chat.
        operator: OperatorId,
        /// The chat.
        chat: ChatId,
        /// When the offer times out.
        expires_at: Timestamp,
    },
    /// An open offer is over (PROTOCOL `offer_withdrawn`).
    OfferWithdrawn {
        /// The operator it was offered to.
        operator: OperatorId,
        /// The chat.
        chat: ChatId,
        /// Why.
        reason: Withdrawal,
        /// Who or what withdrew it: the taker, the offer timer, the operator declining or going
        /// away, the presence grace, or whatever made the chat stop waiting.
        by: Cause,
    },
    /// The chat entered these operators' New tab (PROTOCOL `chat_new`).
    ChatNew {
        /// Who gets the notification, in operator order.
        operators: Vec<OperatorId>,
        /// The chat.
        chat: ChatId,
    },
    /// The chat left these operators' New tab (PROTOCOL `chat_removed`).
    ChatRemoved {
        /// Who saw it, in operator order.
        operators: Vec<OperatorId>,
        /// The chat.
        chat: ChatId,
        /// Why.
        reason: Removal,
        /// Who or what made it leave.
        by: Cause,
    },
    /// The full set of operators who see this queued chat now (empty: nobody, or it left the
    /// queue). Lets the supervisor fan `chat_updated` and `message` out to the New tab.
    Watchers {
        /// The chat.
        chat: ChatId,
        /// Who sees it, in operator order.
        operators: Vec<OperatorId>,
    },
    /// A waiting chat's queue position, on entry and whenever it changes (PROTOCOL `queue`).
    QueuePosition {
        /// The client's conversation.
        conversation: ConversationId,
        /// The waiting chat.
        chat: ChatId,
        /// 1 = next to be served.
        position: u32,
    },
    /// An operator's presence changed (PROTOCOL `presence`, to supervisors and admins).
    Presence {
        /// The operator.
        operator: OperatorId,
        /// The new presence.
        status: Presence,
    },
    /// [`Dispatcher::can_receive`](super::Dispatcher::can_receive) changed for this operator.
    Availability {
        /// The operator.
        operator: OperatorId,
        /// Online with free capacity.
        can_receive: bool,
    },
    /// [`Dispatcher::is_gone`](super::Dispatcher::is_gone) changed for this operator.
    Offline {
        /// The operator.
        operator: OperatorId,
        /// Offline after the grace.
        offline: bool,
    },
}

/// Why the dispatcher refused an operator's `take`, `accept` or `decline`. A refusal changes
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum RouteError {
    /// The operator already holds as many chats (and offers, and pending takes) as they may.
    #[error("the operator is at capacity")]
    OverCapacity,
    /// There is no open, unexpired offer of this chat to this operator.
    #[error("there is no open offer of this chat to this operator")]
    NoOffer,
}

/// A line's live figures (PROTOCOL 4 `GET /api/v1/lines`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct LineStats {
    /// Chats waiting in the line's own queue.
    pub waiting: u32,
    /// How long the oldest of them has waited.
    pub oldest_wait: Option<Span>,
    /// Members of the line who are online (not away).
    pub online: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde_names() {
        for p in [Presence::Online, Presence::Away, Presence::Offline] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for w in [
            Withdrawal::Taken,
            Withdrawal::Timeout,
            Withdrawal::Declined,
            Withdrawal::Unavailable,
            Withdrawal::Gone,
        ] {
            assert_eq!(serde_json::to_value(w).unwrap(), w.as_str());
        }
        for r in [Removal::Taken, Removal::Finished, Removal::Moved] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }
}

/// One page of an operator's New tab.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTabPage {
    /// The chats of the page, oldest first, with their `(queued_at, chat)` keys.
    pub chats: Vec<(Timestamp, ChatId)>,
    /// How many chats the whole tab holds.
    pub total: usize,
    /// The key to continue after, when more chats follow the page.
    pub more: Option<(Timestamp, ChatId)>,
}
