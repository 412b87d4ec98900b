//! Timer lengths (inactivity, voting, offers, presence grace, auto-close): what the
//! configuration tells chats and the dispatcher about time, and [`ChatTimers`], the lengths
//! that apply to one chat. A leaf of the domain, so that a chat's deadlines need nothing else
//! of the settings.

use super::ids::Span;

/// Timer lengths.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeouts {
    /// An active, assigned chat with no client or operator message this long is finished.
    pub inactivity: Span,
    /// A closing chat without a vote this long is finished without a rating.
    pub voting: Span,
    /// How long an offer waits for accept/decline before the next operator is tried.
    pub offer: Span,
    /// How long an operator stays online after their last socket drops.
    pub presence_grace: Span,
    /// If set, a finished chat that stayed `pending` this long becomes `closed`.
    pub auto_close_pending: Option<Span>,
}

/// The timer lengths that apply to one chat: the installation's, with its channel's inactivity
/// and its line's `reassign_after` (see `Settings::timers_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatTimers {
    /// Auto-finish after this long without a message; `None`: never (SPEC 2.2).
    pub inactivity: Option<Span>,
    /// A closing chat without a vote this long is finished without a rating.
    pub voting: Span,
    /// If set, a finished chat that stayed `pending` this long becomes `closed`.
    pub auto_close_pending: Option<Span>,
    /// If set, an assigned chat whose client waited this long for an answer goes back to the
    /// queue (SPEC 4, no stranded client).
    pub reassign_after: Option<Span>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            inactivity: Span::secs(600),
            voting: Span::secs(600),
            offer: Span::secs(30),
            presence_grace: Span::secs(30),
            auto_close_pending: None,
        }
    }
}
