//! What the domain needs to know of the configuration: timeouts, rating, dialog values,
//! channels and rules. Built and validated by `crate::config`; the domain only reads it.

use indexmap::IndexMap;

use super::directory::{Line, Operator};
use super::ids::{ChannelId, LineId, OperatorId, Span};
use super::rules::{LineMembership, Rule};
pub use super::timeouts::{ChatTimers, Timeouts};

/// Client rating of finished chats (SPEC 2.3).
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    /// Default of a `finish(closed)`'s `request_vote` on non-email channels.
    pub enabled: bool,
    /// Labels of scores 1, 2, 3.
    pub labels: [String; 3],
    /// Sent to the client after a vote.
    pub thanks_text: String,
}

impl Default for Rating {
    fn default() -> Self {
        Self {
            enabled: true,
            labels: ["Bad".into(), "Normal".into(), "Excellent".into()],
            thanks_text: "Thank you for your feedback!".into(),
        }
    }
}

/// Allowed values of chat fields (SPEC 6, seed 004).
#[derive(Debug, Clone, PartialEq)]
pub struct Dialogs {
    /// Allowed `request_type` values.
    pub request_types: Vec<String>,
    /// Allowed `reasons` values.
    pub reasons: Vec<String>,
    /// Allowed `components` values.
    pub components: Vec<String>,
}

impl Default for Dialogs {
    fn default() -> Self {
        Self {
            request_types: vec!["support".into(), "refund".into()],
            reasons: Vec::new(),
            components: Vec::new(),
        }
    }
}

/// Kind of a channel: realtime channels vote on close, email does not (SPEC 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// Web widget, messengers.
    Realtime,
    /// Email: never votes.
    Email,
}

impl ChannelKind {
    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Realtime => "realtime",
            ChannelKind::Email => "email",
        }
    }
}

/// A channel as the domain sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Channel id.
    pub id: ChannelId,
    /// Realtime or email.
    pub kind: ChannelKind,
    /// The line new chats of this channel are routed to.
    pub line: LineId,
    /// A client message after a `closed` chat reactivates it instead of starting a new chat.
    pub reopen_closed: bool,
    /// Identity validation secret: `sig = hex(hmac_sha256(secret, client_id))` (edges only).
    pub secret: Option<String>,
    /// Bearer token of the channel's HTTP inbound endpoint (edges only).
    pub token: Option<String>,
    /// Outbound delivery of operator, bot and system messages (edges only).
    pub webhook_url: Option<String>,
    /// This channel's inactivity auto-finish (SPEC 2.2): `None` takes the default (the
    /// installation's `timeouts.inactivity`, never for email); `Some(0)`: never.
    pub inactivity: Option<Span>,
}

impl Channel {
    /// How long an assigned chat of this channel may stay silent before it is finished;
    /// `None`: never. The 10-minute rule is for real-time channels: email waits.
    pub fn inactivity(&self, timeouts: &Timeouts) -> Option<Span> {
        match (self.inactivity, self.kind) {
            (Some(span), _) => (span > Span(0)).then_some(span),
            (None, ChannelKind::Email) => None,
            (None, ChannelKind::Realtime) => Some(timeouts.inactivity),
        }
    }
}

/// Everything the conversation state machine reads from configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    /// Timer lengths.
    pub timeouts: Timeouts,
    /// Client rating.
    pub rating: Rating,
    /// Allowed chat field values.
    pub dialogs: Dialogs,
    /// Channels by id, in configuration order.
    pub channels: IndexMap<ChannelId, Channel>,
    /// Lines by id, in configuration order.
    pub lines: IndexMap<LineId, Line>,
    /// Operators by id, in configuration order.
    pub operators: IndexMap<OperatorId, Operator>,
    /// Rules in evaluation order (SPEC 4.1).
    pub rules: Vec<Rule>,
}

impl Settings {
    /// The channel `id`, if configured.
    pub fn channel(&self, id: &ChannelId) -> Option<&Channel> {
        self.channels.get(id)
    }

    /// The operator `id`, if configured.
    pub fn operator(&self, id: &OperatorId) -> Option<&Operator> {
        self.operators.get(id)
    }

    /// The operator is configured and a member of `line`.
    pub fn operator_in_line(&self, id: &OperatorId, line: &LineId) -> bool {
        self.operator(id).is_some_and(|o| o.in_line(line))
    }

    /// The timer lengths for a chat of `channel` in `line` (an unknown channel takes the
    /// installation's inactivity; an unknown line reassigns nothing).
    pub fn timers_for(&self, channel: &ChannelId, line: &LineId) -> ChatTimers {
        let t = &self.timeouts;
        ChatTimers {
            inactivity: self.channel(channel).map_or(Some(t.inactivity), |c| c.inactivity(t)),
            voting: t.voting,
            auto_close_pending: t.auto_close_pending,
            reassign_after: self.lines.get(line).and_then(|l| l.reassign_after),
        }
    }
}

impl LineMembership for Settings {
    fn operator_in_line(&self, operator: &OperatorId, line: &LineId) -> bool {
        Settings::operator_in_line(self, operator, line)
    }
}
