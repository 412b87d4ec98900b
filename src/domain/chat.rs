//! One chat (SPEC 2, 6): its state, derived statuses and timer deadlines. Mutated only by
//! `Conversation::apply`; every field is rebuilt exactly by replaying the journal.

use serde::{Deserialize, Serialize};

use super::ids::{ChatId, LineId, OperatorId, Seq, Timestamp};
use super::metrics::Metrics;
use super::status::{AssignVia, AuthorKind, DetailedStatus, Direction, GeneralStatus, Phase, Status};
use super::timeouts::ChatTimers;

/// The timers a chat can have armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    /// Auto-finish of an active, assigned chat (SPEC 2.2).
    Inactivity,
    /// Finish of a closing chat without a vote (SPEC 2.3).
    Voting,
    /// Optional auto-close of a finished pending chat (SPEC 2.4).
    AutoClose,
    /// An assigned chat whose client waited `reassign_after` for an answer goes back to the
    /// queue (SPEC 4).
    Reassign,
}

impl Timer {
    /// Every timer.
    pub const ALL: [Timer; 4] = [Timer::Inactivity, Timer::Voting, Timer::AutoClose, Timer::Reassign];
}

/// Absolute deadlines of the chat's timers; persisted, never just scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Deadlines {
    /// See [`Timer::Inactivity`].
    pub inactivity: Option<Timestamp>,
    /// See [`Timer::Voting`].
    pub voting: Option<Timestamp>,
    /// See [`Timer::AutoClose`].
    pub auto_close: Option<Timestamp>,
    /// See [`Timer::Reassign`].
    #[serde(default)]
    pub reassign: Option<Timestamp>,
}

impl Deadlines {
    /// The deadline of `timer`.
    pub fn get(&self, timer: Timer) -> Option<Timestamp> {
        match timer {
            Timer::Inactivity => self.inactivity,
            Timer::Voting => self.voting,
            Timer::AutoClose => self.auto_close,
            Timer::Reassign => self.reassign,
        }
    }

    /// Sets the deadline of `timer`.
    pub fn set(&mut self, timer: Timer, at: Option<Timestamp>) {
        match timer {
            Timer::Inactivity => self.inactivity = at,
            Timer::Voting => self.voting = at,
            Timer::AutoClose => self.auto_close = at,
            Timer::Reassign => self.reassign = at,
        }
    }

    /// The earliest armed deadline.
    pub fn earliest(&self) -> Option<Timestamp> {
        [self.inactivity, self.voting, self.auto_close, self.reassign].into_iter().flatten().min()
    }
}

/// Editable descriptive fields (SPEC 6, seed 004).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChatFields {
    /// The chat's title in lists and exports.
    pub subject: Option<String>,
    /// One of `dialogs.request_types`.
    pub request_type: Option<String>,
    /// Values of `dialogs.reasons`.
    pub reasons: Vec<String>,
    /// Values of `dialogs.components`.
    pub components: Vec<String>,
}

/// What a reactivated chat looked like before the client's message, so that a split can give
/// the old chat back its finished state and the new chat the metrics since the reactivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitPoint {
    /// Seq of the message that reactivated the chat: messages from here move on a split.
    pub from_seq: Seq,
    /// Status before the reactivation.
    pub prior_status: Status,
    /// When that status was set.
    pub prior_status_since: Timestamp,
    /// Last author before the reactivation.
    pub prior_last_author: Option<AuthorKind>,
    /// Metrics before the reactivation.
    pub prior_metrics: Metrics,
    /// Metrics of the messages since the reactivation: the split-off chat's metrics.
    pub fresh: Metrics,
}

/// One chat of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    /// Chat number.
    pub id: ChatId,
    /// The line the chat belongs to (routed in when it needs an operator).
    pub line: LineId,
    /// Incoming (client wrote first) or outgoing.
    pub direction: Direction,
    /// The operator responsible for the chat.
    pub responsible: Option<OperatorId>,
    /// How the responsible got the chat.
    pub assigned_via: Option<AssignVia>,
    /// When the current responsible got the chat.
    #[serde(default)]
    pub assigned_at: Option<Timestamp>,
    /// The responsible the chat was taken back from for not answering (`reassign_after`): the
    /// dispatcher tries them last. Cleared when someone gets the chat.
    #[serde(default)]
    pub returned_from: Option<OperatorId>,
    /// Invited operators.
    pub participants: Vec<OperatorId>,
    /// Pinned to its responsible (SPEC 3).
    pub pinned: bool,
    /// Forwarded to a line and not taken yet (detailed status `queued`).
    pub forwarded: bool,
    /// Subject, request type, reasons, components.
    pub fields: ChatFields,
    /// The widget page the client wrote from.
    pub page_url: Option<String>,
    /// Phase.
    pub phase: Phase,
    /// Status.
    pub status: Status,
    /// When the status (or the finish) was last set; anchors the auto-close timer.
    pub status_since: Timestamp,
    /// Author of the last client or operator message.
    pub last_author: Option<AuthorKind>,
    /// Last client or operator message, assignment, or leaving `on_hold`: anchors the
    /// inactivity timer.
    pub last_activity_at: Timestamp,
    /// The oldest client message not answered by an operator yet (private notes answer
    /// nothing): anchors the reassign timer.
    #[serde(default)]
    pub unanswered_since: Option<Timestamp>,
    /// The client's vote 1-3.
    pub client_rating: Option<u8>,
    /// The operator's rating of the client 1-3.
    pub operator_rating: Option<u8>,
    /// A supervisor's rating 1-5.
    pub supervisor_rating: Option<u8>,
    /// A supervisor's comment.
    pub supervisor_comment: Option<String>,
    /// The previous chat of the conversation.
    pub prev_chat: Option<ChatId>,
    /// The next chat of the conversation.
    pub next_chat: Option<ChatId>,
    /// Merged into that chat; hidden from lists.
    pub merged_into: Option<ChatId>,
    /// Set while the chat is split-able (reactivated by the client, until it next finishes).
    pub split: Option<Box<SplitPoint>>,
    /// Armed timers.
    pub deadlines: Deadlines,
    /// Timestamps and response metrics.
    pub metrics: Metrics,
}

impl Chat {
    /// A chat just opened at `at`.
    pub fn new(id: ChatId, line: LineId, direction: Direction, status: Status, at: Timestamp) -> Self {
        Self {
            id,
            line,
            direction,
            responsible: None,
            assigned_via: None,
            assigned_at: None,
            returned_from: None,
            participants: Vec::new(),
            pinned: false,
            forwarded: false,
            fields: ChatFields::default(),
            page_url: None,
            phase: Phase::Active,
            status,
            status_since: at,
            last_author: None,
            last_activity_at: at,
            unanswered_since: None,
            client_rating: None,
            operator_rating: None,
            supervisor_rating: None,
            supervisor_comment: None,
            prev_chat: None,
            next_chat: None,
            merged_into: None,
            split: None,
            deadlines: Deadlines::default(),
            metrics: Metrics::new(at),
        }
    }

    /// Active and nobody responsible: the chat needs the supervisor to route it.
    pub fn needs_routing(&self) -> bool {
        self.phase == Phase::Active && self.responsible.is_none()
    }

    /// Not finished (active or closing): counts towards the responsible's capacity.
    pub fn is_open(&self) -> bool {
        self.phase != Phase::Finished
    }

    /// A message may split the chat (SPEC 3.1).
    pub fn splittable(&self) -> bool {
        self.split.is_some()
    }

    /// A manual status may be set (SPEC 2.0): active, or finished with a manual status.
    pub fn accepts_manual_status(&self) -> bool {
        match self.phase {
            Phase::Active => true,
            Phase::Finished => self.status.is_manual() && self.merged_into.is_none(),
            Phase::Closing => false,
        }
    }

    /// `operator` is responsible or a participant.
    pub fn involves(&self, operator: &OperatorId) -> bool {
        self.responsible.as_ref() == Some(operator) || self.participants.contains(operator)
    }

    /// SPEC 6 detailed status, first that applies.
    pub fn detailed_status(&self) -> DetailedStatus {
        let replied = self.metrics.first_response_at.is_some();
        match (self.status, self.phase) {
            (Status::Spam, _) => DetailedStatus::Spam,
            (_, Phase::Finished) => DetailedStatus::Finished,
            (_, Phase::Closing) => DetailedStatus::Closing,
            _ if self.forwarded => DetailedStatus::Queued,
            _ if !replied => match self.assigned_via {
                None => DetailedStatus::New,
                Some(via) if via.is_own_take() => DetailedStatus::InWork,
                Some(_) => DetailedStatus::ClientWaiting,
            },
            _ if self.last_author == Some(AuthorKind::Operator) => DetailedStatus::OperatorAnswered,
            _ => DetailedStatus::ClientWaitingNewQuestion,
        }
    }

    /// SPEC 6 general status.
    pub fn general_status(&self) -> GeneralStatus {
        if self.phase != Phase::Active {
            GeneralStatus::Finished
        } else if self.last_author == Some(AuthorKind::Operator) {
            GeneralStatus::OperatorAnswered
        } else {
            GeneralStatus::ClientWaiting
        }
    }

    /// The deadlines the chat's state calls for under `timers`. Inactivity and reassign run
    /// only while someone is responsible for an active chat that is not `on_hold` (on hold
    /// waits on purpose; a queued client is never dropped).
    pub fn due_deadlines(&self, timers: &ChatTimers) -> Deadlines {
        let handled =
            self.phase == Phase::Active && self.responsible.is_some() && self.status != Status::OnHold;
        let inactivity = timers.inactivity.filter(|_| handled).map(|span| self.last_activity_at.after(span));
        let voting = (self.phase == Phase::Closing)
            .then(|| self.metrics.operator_closed_at.unwrap_or(self.status_since).after(timers.voting));
        let auto_close = timers
            .auto_close_pending
            .filter(|_| {
                self.phase == Phase::Finished && self.status == Status::Pending && self.merged_into.is_none()
            })
            .map(|span| self.status_since.after(span));
        // The client waits from their oldest unanswered message, or from when the responsible
        // got the chat if they wrote before that.
        let reassign = timers.reassign_after.filter(|_| handled).and_then(|span| {
            let since = self.unanswered_since?;
            Some(since.max(self.assigned_at.unwrap_or(since)).after(span))
        });
        Deadlines { inactivity, voting, auto_close, reassign }
    }
}
