//! The words of chat state (SPEC 2, 6): phase, status, derived statuses, direction, authorship.

use serde::{Deserialize, Serialize};

/// Where a chat is in its life (SPEC 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Live: timers run, messages flow.
    Active,
    /// Voting close mode: waiting for the client's rating (SPEC 2.3).
    Closing,
    /// Done; may be reactivated by a new message depending on its status (SPEC 3).
    Finished,
}

/// The team-visible status of a chat (SPEC 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Created by a client, no operator reply yet.
    New,
    /// Being handled / must be come back to.
    Open,
    /// The operator waits for the client.
    Pending,
    /// Waiting on internal action or a third party.
    OnHold,
    /// Resolved (set by finishing with `closed`, or by the optional auto-close).
    Closed,
    /// Force-finished and flagged as spam.
    Spam,
}

impl Status {
    /// A status an operator may set by hand with `set_status` (SPEC 2.0).
    pub fn is_manual(self) -> bool {
        matches!(self, Status::Open | Status::Pending | Status::OnHold)
    }

    /// A status an operator may finish a chat with (SPEC 2.1).
    pub fn is_finish_status(self) -> bool {
        matches!(self, Status::Open | Status::Pending | Status::Closed)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Pending => "pending",
            Status::OnHold => "on_hold",
            Status::Closed => "closed",
            Status::Spam => "spam",
        }
    }
}

impl Phase {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Active => "active",
            Phase::Closing => "closing",
            Phase::Finished => "finished",
        }
    }
}

/// Who started the chat (SPEC 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The client wrote first.
    Incoming,
    /// An operator wrote first.
    Outgoing,
}

/// How the current responsible operator got the chat; decides `in_work` vs `client_waiting`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignVia {
    /// `take` from the New tab.
    Take,
    /// `accept` of an offer.
    Accept,
    /// The operator wrote into the chat (or created it by writing, or reopened it).
    Wrote,
    /// A rule's `assign_operator`.
    Rule,
    /// Forwarded to this operator.
    Forward,
    /// A pinned chat reactivated straight to its responsible.
    Pinned,
    /// Split off a chat that already had this responsible.
    Split,
}

impl AssignVia {
    /// The operator took the chat by their own action (SPEC 6 `in_work`).
    pub fn is_own_take(self) -> bool {
        matches!(self, AssignVia::Take | AssignVia::Accept)
    }
}

/// Who wrote a message (PROTOCOL 3.1 `author.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    /// The customer.
    Client,
    /// An operator.
    Operator,
    /// Automated messages: campaigns, auto-support bots, rule auto-replies.
    Bot,
    /// The router itself.
    System,
}

/// SPEC 6 `detailed_status`, first that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DetailedStatus {
    /// Force-finished as spam.
    Spam,
    /// Finished.
    Finished,
    /// Voting close mode.
    Closing,
    /// Forwarded to a line, not yet taken.
    Queued,
    /// No responsible and no operator reply.
    New,
    /// The responsible took it (take/accept) and has not replied yet.
    InWork,
    /// The responsible got it another way and no operator has replied yet.
    ClientWaiting,
    /// The last message is an operator's.
    OperatorAnswered,
    /// The client wrote after an operator reply.
    ClientWaitingNewQuestion,
}

/// SPEC 6 `general_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GeneralStatus {
    /// The client waits for an answer.
    ClientWaiting,
    /// The last message is an operator's.
    OperatorAnswered,
    /// Finished or closing.
    Finished,
}

macro_rules! wire_names {
    ($ty:ty { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $name),* }
            }
        }
    };
}

wire_names!(DetailedStatus {
    Spam => "spam",
    Finished => "finished",
    Closing => "closing",
    Queued => "queued",
    New => "new",
    InWork => "in_work",
    ClientWaiting => "client_waiting",
    OperatorAnswered => "operator_answered",
    ClientWaitingNewQuestion => "client_waiting_new_question",
});

wire_names!(GeneralStatus {
    ClientWaiting => "client_waiting",
    OperatorAnswered => "operator_answered",
    Finished => "finished",
});

wire_names!(Direction { Incoming => "incoming", Outgoing => "outgoing" });

wire_names!(AuthorKind { Client => "client", Operator => "operator", Bot => "bot", System => "system" });
