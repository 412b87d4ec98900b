//! The static directory of lines and operators (configured), and the `Directory` oracle through
//! which the pure domain asks the live world the few questions it needs answered.

use serde::{Deserialize, Serialize};

use super::hours::Hours;
use super::ids::{LineId, OperatorId, Span, Timestamp};

/// An operator's role (PROTOCOL 3.2): `operator` sees their lines, the others see all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An agent.
    Operator,
    /// A team lead: sees and acts on all chats, may rate chats.
    Supervisor,
    /// An administrator: as supervisor.
    Admin,
}

impl Role {
    /// Sees and acts on every chat (SPEC 8).
    pub fn sees_all(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

/// How a line hands its queue to operators (SPEC 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Every eligible operator sees the chat; the first to take it wins.
    Broadcast,
    /// Offer to eligible operators in turn.
    RoundRobin,
    /// Offer to the eligible operator with the fewest active chats.
    LeastLoaded,
    /// Offer to the eligible operator idle the longest.
    LongestIdle,
}

impl Strategy {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Broadcast => "broadcast",
            Strategy::RoundRobin => "round_robin",
            Strategy::LeastLoaded => "least_loaded",
            Strategy::LongestIdle => "longest_idle",
        }
    }
}

/// A configured line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Line id.
    pub id: LineId,
    /// Assignment strategy.
    pub strategy: Strategy,
    /// A chat waiting longer than this is also offered to `overflow_to`.
    pub overflow_after: Option<Span>,
    /// The line that takes overflow.
    pub overflow_to: Option<LineId>,
    /// An assigned chat whose client waited this long for an answer goes back to the queue and
    /// is offered to someone else (the previous responsible last).
    pub reassign_after: Option<Span>,
    /// Working hours, for the rule condition `within_hours` (`None`: always within hours).
    pub hours: Option<Hours>,
}

impl Line {
    /// `now` is inside the line's working hours; a line without hours always is.
    pub fn within_hours(&self, now: Timestamp) -> bool {
        self.hours.as_ref().is_none_or(|h| h.contain(now))
    }
}

/// A configured operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    /// Operator id (the JWT `sub`).
    pub id: OperatorId,
    /// Display name.
    pub name: String,
    /// Lines the operator belongs to.
    pub lines: Vec<LineId>,
    /// Maximum active chats (responsible, active or closing, plus open offers).
    pub capacity: u32,
    /// Role.
    pub role: Role,
}

impl Operator {
    /// Member of `line`.
    pub fn in_line(&self, line: &LineId) -> bool {
        self.lines.iter().any(|l| l == line)
    }
}

/// Live facts the domain needs from outside when it handles a command.
pub trait Directory {
    /// The operator is online with free capacity, so a pinned chat reactivated by its client can
    /// go straight to them (SPEC 3, reactivation routing).
    fn can_receive_pinned(&self, operator: &OperatorId) -> bool;

    /// The operator is offline after their presence grace (or said so): a chat of theirs the
    /// client writes in goes back to its line, and nothing is forwarded or assigned to them.
    fn is_offline(&self, operator: &OperatorId) -> bool;

    /// The operator's presence is `online` now (not `away`, not `offline`; an operator whose
    /// connection dropped still counts during the presence grace): the rule condition
    /// `operators_online` counts them.
    fn online(&self, operator: &OperatorId) -> bool;
}

/// A directory in which nobody is online, so nobody can receive a pinned chat (reactivations
/// are always re-routed), and nobody is offline either.
pub struct NobodyAvailable;

impl Directory for NobodyAvailable {
    fn can_receive_pinned(&self, _: &OperatorId) -> bool {
        false
    }

    fn is_offline(&self, _: &OperatorId) -> bool {
        false
    }

    fn online(&self, _: &OperatorId) -> bool {
        false
    }
}
