//! Causes: who or what made a change (the `by` of PROTOCOL 5) — an operator, the client, a rule,
//! a timer, or the router itself. `Conversation::handle` records the cause of every event it
//! emits (the command's author, or the rule or timer acting on its behalf) and the dispatcher
//! names the cause of every withdrawal and New-tab removal, so a notice can say why a chat
//! changed. Causes explain; they are not state: `apply` never sees them and they are not
//! journaled.

use serde::{Deserialize, Serialize};

use super::chat::Timer;
use super::command::Command;
use super::event::{Change, Event};
use super::ids::{ChatId, OperatorId};

/// The timers that change chats and offers by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// An active chat nobody wrote in for `timeouts.inactivity` (SPEC 2.2).
    Inactivity,
    /// A closing chat without a vote for `timeouts.voting` (SPEC 2.3).
    Voting,
    /// A finished `pending` chat closed after `timeouts.auto_close_pending` (SPEC 2.4).
    AutoClose,
    /// An offer not answered within `timeouts.offer` (SPEC 4).
    Offer,
    /// The presence grace after an operator's last socket closed (SPEC 4).
    PresenceGrace,
    /// A chat waited past its line's `overflow_after` (SPEC 4).
    Overflow,
    /// A client waited past the line's `reassign_after` for an answer (SPEC 4).
    Reassign,
}

impl TimerKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::Inactivity => "inactivity",
            TimerKind::Voting => "voting",
            TimerKind::AutoClose => "auto_close",
            TimerKind::Offer => "offer",
            TimerKind::PresenceGrace => "presence_grace",
            TimerKind::Overflow => "overflow",
            TimerKind::Reassign => "reassign",
        }
    }
}

impl From<Timer> for TimerKind {
    fn from(timer: Timer) -> Self {
        match timer {
            Timer::Inactivity => TimerKind::Inactivity,
            Timer::Voting => TimerKind::Voting,
            Timer::AutoClose => TimerKind::AutoClose,
            Timer::Reassign => TimerKind::Reassign,
        }
    }
}

/// Who or what made a change. On the wire (`by`): `{"kind":"operator","id":"sam"}`,
/// `{"kind":"client"}`, `{"kind":"rule","rule":"<name>"}`, `{"kind":"timer","timer":"inactivity"}`,
/// `{"kind":"system"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// An operator's request (take, forward, finish, invite, a message, ...).
    Operator {
        /// The operator.
        id: OperatorId,
    },
    /// The client: a message (which may reactivate a chat) or a vote.
    Client,
    /// A configured rule's actions (SPEC 4.1).
    Rule {
        /// The rule's `name`.
        rule: String,
    },
    /// A timer.
    Timer {
        /// Which.
        timer: TimerKind,
    },
    /// The router itself: automated messages, start-up.
    System,
}

impl Cause {
    /// An operator's request.
    pub fn operator(id: &OperatorId) -> Self {
        Cause::Operator { id: id.clone() }
    }

    /// A rule's actions.
    pub fn rule(name: &str) -> Self {
        Cause::Rule { rule: name.to_string() }
    }

    /// A timer.
    pub fn timer(timer: impl Into<TimerKind>) -> Self {
        Cause::Timer { timer: timer.into() }
    }

    /// The cause of what `command` itself does (rules and timers it sets off name themselves).
    pub fn of_command(command: &Command) -> Self {
        use Command::*;
        match command {
            ClientMessage { .. } | Vote { .. } => Cause::Client,
            OperatorMessage { by, .. }
            | Note { by, .. }
            | Take { by, .. }
            | Accept { by, .. }
            | SetStatus { by, .. }
            | Finish { by, .. }
            | ForceFinish { by, .. }
            | Reopen { by, .. }
            | Forward { by, .. }
            | Invite { by, .. }
            | Split { by, .. }
            | MergePrevious { by, .. }
            | UpdateChat { by, .. }
            | Review { by, .. } => Cause::operator(by),
            Automated { .. } | TimerFired => Cause::System,
        }
    }
}

/// What a notice about a chat explains, which decides the event whose cause it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Explaining {
    /// The chat entering or leaving someone's tabs (assigned, removed, withdrawn, routed).
    Membership,
    /// Any other change of the chat.
    Update,
}

/// Changes that move a chat into or out of tabs and queues.
fn moves_membership(change: &Change) -> bool {
    matches!(
        change,
        Change::ChatOpened { .. }
            | Change::ChatReactivated { .. }
            | Change::Assigned { .. }
            | Change::Unassigned { .. }
            | Change::Returned { .. }
            | Change::LineSet { .. }
            | Change::ParticipantAdded { .. }
            | Change::ClosingStarted { .. }
            | Change::Finished { .. }
            | Change::SplitOff { .. }
            | Change::MergedInto { .. }
    )
}

/// Changes that change what a chat object shows (not a message, not a timer's deadline).
fn changes_the_chat(change: &Change) -> bool {
    !matches!(change, Change::MessageAppended(_) | Change::DeadlineSet { .. })
}

/// The change concerns `chat`: it is about it, or it made it (split), revived it (merge), or
/// chained a new chat after it.
fn concerns(change: &Change, chat: ChatId) -> bool {
    match change {
        Change::SplitOff { new_chat, .. } if *new_chat == chat => true,
        Change::MergedInto { into, .. } if *into == chat => true,
        Change::ChatOpened { prev_chat: Some(prev), .. } if *prev == chat => true,
        other => other.chat() == Some(chat),
    }
}

/// The cause a notice about `chat` names, from one commit's `events` and their `causes` (same
/// order; a missing cause counts as [`Cause::System`]). The latest change of the chat that
/// explains the notice wins — so a rule that finished a chat after an operator's message is
/// named, not the operator — preferring, for membership, a change that moves the chat, then one
/// that changes what the chat shows, then a message; timers' deadlines explain nothing. With no
/// change of the chat, the cause of the commit's first event (the command's author).
pub fn cause_of(chat: ChatId, events: &[Event], causes: &[Cause], explaining: Explaining) -> Cause {
    let cause = |i: usize| causes.get(i).cloned().unwrap_or(Cause::System);
    let related: Vec<usize> = (0..events.len()).filter(|&i| concerns(&events[i].change, chat)).collect();
    let latest = |pred: &dyn Fn(&Change) -> bool| {
        related.iter().rev().find(|&&i| pred(&events[i].change)).map(|&i| cause(i))
    };
    let membership = match explaining {
        Explaining::Membership => latest(&moves_membership),
        Explaining::Update => None,
    };
    membership
        .or_else(|| latest(&changes_the_chat))
        .or_else(|| latest(&|c| matches!(c, Change::MessageAppended(_))))
        .unwrap_or_else(|| if events.is_empty() { Cause::System } else { cause(0) })
}
