//! Rules (SPEC 4.1): ordered, each on `incoming` or `changed`, with conditions that must all
//! hold and actions applied in order. This file holds the rule vocabulary and the pure matcher;
//! the conversation applies the actions (see `conversation::rules_apply`).

use serde::{Deserialize, Serialize};

use super::ids::{ChannelId, LineId, OperatorId};
use super::status::{Phase, Status};

/// When a rule is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A chat was created (by a client, or by an operator writing into a closed conversation).
    Incoming,
    /// An existing chat got a message, was reactivated, or changed status/responsible.
    Changed,
}

/// The author of the triggering message as a rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAuthor {
    /// The client wrote.
    Client,
    /// An operator wrote.
    Operator,
}

/// Conditions of a rule; `None` means "any". A list means "any of".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conditions {
    /// The chat's channel.
    pub channel: Option<Vec<ChannelId>>,
    /// The chat's line (after the triggering change).
    pub line: Option<Vec<LineId>>,
    /// The responsible operator (after the triggering change) is a member of one of these lines.
    pub responsible_line: Option<Vec<LineId>>,
    /// The chat's status before the triggering change.
    pub status_before: Option<Vec<Status>>,
    /// The chat's phase before the triggering change.
    pub phase_before: Option<Vec<Phase>>,
    /// Author of the triggering message; an event without a message never matches.
    pub author: Option<Vec<RuleAuthor>>,
    /// The writing operator is a member of one of these lines.
    pub author_line: Option<Vec<LineId>>,
    /// The chat is (or is not) the first chat of this client in this channel.
    pub first_chat: Option<bool>,
    /// The triggering change reactivated a finished chat.
    pub reactivated: Option<bool>,
}

/// One action of a rule, applied in order (SPEC 4.1).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Make this operator responsible.
    AssignOperator(OperatorId),
    /// Move the chat to this line and clear its responsible (routed now if active).
    AssignLine(LineId),
    /// Set a manual status (as `set_status`).
    SetStatus(Status),
    /// Finish the chat with this status (never starts voting).
    Finish(Status),
    /// Pin the chat to its responsible.
    Pin,
    /// Unpin the chat.
    Unpin,
    /// Send the client a message; by default only on the client's first chat in the channel.
    AutoReply {
        /// The text sent.
        text: String,
        /// Only when the chat is the client's first in the channel.
        only_first_chat: bool,
    },
    /// Stop evaluating further rules.
    Stop,
}

/// A configured rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Name, for logs and errors.
    pub name: String,
    /// When it is considered.
    pub on: Trigger,
    /// All must hold.
    pub when: Conditions,
    /// Applied in order.
    pub then: Vec<Action>,
}
