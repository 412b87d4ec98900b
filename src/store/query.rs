//! Queries of the dialog list (SPEC 7, PROTOCOL 4 `GET /api/v1/chats`) and of messages.

use crate::domain::{
    ChannelId, ChatId, ChatView, ClientId, ConversationId, DetailedStatus, Direction, GeneralStatus, LineId,
    OperatorId, Phase, Seq, Status, Timestamp,
};

/// A column the dialog list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortColumn {
    /// Chat number.
    Id,
    /// `created_at`.
    CreatedAt,
    /// `updated_at`.
    UpdatedAt,
    /// `status`.
    Status,
    /// `detailed_status`.
    DetailedStatus,
    /// `general_status`.
    GeneralStatus,
    /// `phase`.
    Phase,
    /// `responsible`.
    Responsible,
    /// `line`.
    Line,
    /// `channel`.
    Channel,
    /// The client's name.
    Client,
    /// `direction`.
    Direction,
    /// `subject`.
    Subject,
    /// `request_type`.
    RequestType,
    /// `client_rating`.
    ClientRating,
    /// `operator_rating`.
    OperatorRating,
    /// `supervisor_rating`.
    SupervisorRating,
    /// `metrics.queued_at`.
    QueuedAt,
    /// `metrics.taken_at`.
    TakenAt,
    /// `metrics.first_response_at`.
    FirstResponseAt,
    /// `metrics.last_message_at`.
    LastMessageAt,
    /// `metrics.operator_closed_at`.
    OperatorClosedAt,
    /// `metrics.finished_at`.
    FinishedAt,
    /// `metrics.wait_first_response`.
    WaitFirstResponse,
    /// `metrics.time_to_take`.
    TimeToTake,
    /// `metrics.time_to_operator_close`.
    TimeToOperatorClose,
    /// `metrics.duration`.
    Duration,
    /// `metrics.first_message_response`.
    FirstMessageResponse,
    /// `metrics.bot_time`.
    BotTime,
    /// `metrics.total_response`.
    TotalResponse,
    /// `metrics.avg_response`.
    AvgResponse,
    /// `metrics.max_response`.
    MaxResponse,
}

impl SortColumn {
    /// Every column, with its wire name.
    pub const ALL: [(SortColumn, &'static str); 32] = [
        (SortColumn::Id, "id"),
        (SortColumn::CreatedAt, "created_at"),
        (SortColumn::UpdatedAt, "updated_at"),
        (SortColumn::Status, "status"),
        (SortColumn::DetailedStatus, "detailed_status"),
        (SortColumn::GeneralStatus, "general_status"),
        (SortColumn::Phase, "phase"),
        (SortColumn::Responsible, "responsible"),
        (SortColumn::Line, "line"),
        (SortColumn::Channel, "channel"),
        (SortColumn::Client, "client"),
        (SortColumn::Direction, "direction"),
        (SortColumn::Subject, "subject"),
        (SortColumn::RequestType, "request_type"),
        (SortColumn::ClientRating, "client_rating"),
        (SortColumn::OperatorRating, "operator_rating"),
        (SortColumn::SupervisorRating, "supervisor_rating"),
        (SortColumn::QueuedAt, "queued_at"),
        (SortColumn::TakenAt, "taken_at"),
        (SortColumn::FirstResponseAt, "first_response_at"),
        (SortColumn::LastMessageAt, "last_message_at"),
        (SortColumn::OperatorClosedAt, "operator_closed_at"),
        (SortColumn::FinishedAt, "finished_at"),
        (SortColumn::WaitFirstResponse, "wait_first_response"),
        (SortColumn::TimeToTake, "time_to_take"),
        (SortColumn::TimeToOperatorClose, "time_to_operator_close"),
        (SortColumn::Duration, "duration"),
        (SortColumn::FirstMessageResponse, "first_message_response"),
        (SortColumn::BotTime, "bot_time"),
        (SortColumn::TotalResponse, "total_response"),
        (SortColumn::AvgResponse, "avg_response"),
        (SortColumn::MaxResponse, "max_response"),
    ];

    /// The column called `name` (metrics columns also as `metrics.<name>`).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.strip_prefix("metrics.").unwrap_or(name);
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
    }

    /// The wire name.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(c, _)| *c == self).map_or("id", |(_, n)| n)
    }
}

/// A sort order: a column, ascending or descending; ties are broken by chat number in the
/// same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The column.
    pub column: SortColumn,
    /// Descending (`-column` on the wire).
    pub descending: bool,
}

impl Default for SortKey {
    /// `-created_at`, the PROTOCOL default.
    fn default() -> Self {
        Self { column: SortColumn::CreatedAt, descending: true }
    }
}

impl SortKey {
    /// Parses `column` or `-column`.
    pub fn parse(s: &str) -> Option<Self> {
        let (descending, name) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        SortColumn::parse(name).map(|column| Self { column, descending })
    }
}

/// A timestamp of a chat (SPEC 6) the dialog list filters by range: `<name>_from`, `<name>_to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeColumn {
    /// `created_at`.
    Created,
    /// `metrics.queued_at`.
    Queued,
    /// `metrics.taken_at`.
    Taken,
    /// `metrics.first_response_at`.
    FirstResponse,
    /// `metrics.last_message_at`.
    LastMessage,
    /// `metrics.operator_closed_at`.
    OperatorClosed,
    /// `metrics.finished_at`.
    Finished,
    /// `updated_at`.
    Updated,
}

impl TimeColumn {
    /// Every timestamp, with its name in the range parameters.
    pub const ALL: [(TimeColumn, &'static str); 8] = [
        (TimeColumn::Created, "created"),
        (TimeColumn::Queued, "queued"),
        (TimeColumn::Taken, "taken"),
        (TimeColumn::FirstResponse, "first_response"),
        (TimeColumn::LastMessage, "last_message"),
        (TimeColumn::OperatorClosed, "operator_closed"),
        (TimeColumn::Finished, "finished"),
        (TimeColumn::Updated, "updated"),
    ];

    /// The column holding it (the list sorts by the same column).
    pub fn column(self) -> SortColumn {
        match self {
            TimeColumn::Created => SortColumn::CreatedAt,
            TimeColumn::Queued => SortColumn::QueuedAt,
            TimeColumn::Taken => SortColumn::TakenAt,
            TimeColumn::FirstResponse => SortColumn::FirstResponseAt,
            TimeColumn::LastMessage => SortColumn::LastMessageAt,
            TimeColumn::OperatorClosed => SortColumn::OperatorClosedAt,
            TimeColumn::Finished => SortColumn::FinishedAt,
            TimeColumn::Updated => SortColumn::UpdatedAt,
        }
    }
}

/// A time range on one timestamp, both ends inclusive; a chat without that timestamp is outside
/// every range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// The timestamp.
    pub column: TimeColumn,
    /// At or after.
    pub from: Option<Timestamp>,
    /// At or before.
    pub to: Option<Timestamp>,
}

/// What an operator may see (SPEC 8): chats of their lines, and chats they are responsible for
/// or a participant of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The operator.
    pub operator: OperatorId,
    /// Their lines.
    pub lines: Vec<LineId>,
}

/// Filters, sort and page of the dialog list. Empty lists mean "any"; a list means "any of".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatQuery {
    /// Any of these statuses.
    pub status: Vec<Status>,
    /// Any of these detailed statuses.
    pub detailed_status: Vec<DetailedStatus>,
    /// Any of these general statuses.
    pub general_status: Vec<GeneralStatus>,
    /// Any of these phases.
    pub phase: Vec<Phase>,
    /// Any of these responsibles.
    pub responsible: Vec<OperatorId>,
    /// Any of these lines.
    pub line: Vec<LineId>,
    /// Any of these channels.
    pub channel: Vec<ChannelId>,
    /// Any of these directions.
    pub direction: Vec<Direction>,
    /// Any of these operators is a participant (invited).
    pub participant: Vec<OperatorId>,
    /// The client's name or id contains this (case-insensitive).
    pub client: Option<String>,
    /// The client's id is exactly this.
    pub client_id: Option<ClientId>,
    /// Spam (`true`) or not spam (`false`).
    pub spam: Option<bool>,
    /// Pinned (`true`) or not (`false`).
    pub pinned: Option<bool>,
    /// Any of these request types.
    pub request_type: Vec<String>,
    /// Chats having any of these reasons.
    pub reasons: Vec<String>,
    /// Chats having any of these components.
    pub components: Vec<String>,
    /// Any of these client ratings (1-3).
    pub client_rating: Vec<u8>,
    /// Any of these supervisor ratings (1-5).
    pub supervisor_rating: Vec<u8>,
    /// Ranges on timestamps; a chat must be inside every one.
    pub times: Vec<TimeRange>,
    /// Words that must all appear in the chat's messages (private notes included) or subject,
    /// ignoring case and diacritics; each may be several tokens (`order#42`), which must then
    /// follow each other in one message or the subject.
    pub words: Vec<String>,
    /// Only what this operator may see; `None` = everything (supervisors, admins).
    pub scope: Option<Scope>,
    /// Order.
    pub sort: SortKey,
    /// Page size (1-500; 0 means the default 50).
    pub limit: usize,
    /// Continue after this cursor (from a previous page's `next_cursor`).
    pub cursor: Option<String>,
}

/// One page of the dialog list.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatPage {
    /// The chats.
    pub items: Vec<ChatView>,
    /// Cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Messages of a conversation (or of one chat of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageQuery {
    /// The conversation.
    pub conversation: ConversationId,
    /// Only this chat's messages.
    pub chat: Option<ChatId>,
    /// Only messages before this seq.
    pub before_seq: Option<Seq>,
    /// At most this many (the latest ones).
    pub limit: usize,
    /// Include private notes (operators: yes; clients: never).
    pub include_private: bool,
}
