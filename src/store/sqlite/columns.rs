//! The columns of a chat row besides its JSON body: one per filter and sort key of the dialog
//! list, derived from the [`ChatView`] by one function ([`value`]) so that what is written,
//! filtered, sorted and put in cursors can never disagree. Owns no SQL statements, only names.
//!
//! Encodings: times are milliseconds (INTEGER), durations seconds (REAL), enums their wire
//! names (TEXT, so they sort alphabetically), the client column the lower-cased name (so the
//! `client` filter and sort are case-insensitive). Absent values are NULL.

use rusqlite::types::Value;

use crate::domain::{ChatView, Timestamp};
use crate::store::SortColumn;

/// The SQLite type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// INTEGER.
    Int,
    /// REAL.
    Real,
    /// TEXT.
    Text,
}

impl Kind {
    /// The declared type.
    pub(super) fn sql(self) -> &'static str {
        match self {
            Kind::Int => "INTEGER",
            Kind::Real => "REAL",
            Kind::Text => "TEXT",
        }
    }
}

/// What a list column holds: a sort key's value, or a value only filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// The value the list sorts by.
    Sort(SortColumn),
    /// `client.id`, exactly (the `client_id` filter).
    ClientId,
    /// `client.id` lower-cased (the `client` filter matches a substring of it or of the name).
    ClientIdLower,
    /// `pinned`, 0 or 1.
    Pinned,
    /// `participants`, a JSON array (its entries are also tags, see `tags.rs`).
    Participants,
    /// `reasons`, a JSON array (tags too).
    Reasons,
    /// `components`, a JSON array (tags too).
    Components,
}

/// A list column of the `chats` table.
#[derive(Debug, Clone, Copy)]
pub(super) struct Column {
    /// What it holds.
    pub(super) field: Field,
    /// Its name in SQL (a fixed identifier, never user input).
    pub(super) sql: &'static str,
    /// Its type.
    pub(super) kind: Kind,
    /// Whether it has an index, on `(column, created_at)`. Only columns the dialog list filters
    /// by most often and whose values change seldom do: every index costs a page write whenever
    /// its value changes, and some values change with every message. `created_at` never changes,
    /// so the second key part costs nothing more, and it lets one filter value be read newest
    /// first without sorting. The others are filtered and sorted by scanning.
    pub(super) indexed: bool,
}

const fn col(sort: SortColumn, sql: &'static str, kind: Kind) -> Column {
    Column { field: Field::Sort(sort), sql, kind, indexed: false }
}

const fn indexed(sort: SortColumn, sql: &'static str, kind: Kind) -> Column {
    Column { field: Field::Sort(sort), sql, kind, indexed: true }
}

const fn other(field: Field, sql: &'static str, kind: Kind, indexed: bool) -> Column {
    Column { field, sql, kind, indexed }
}

/// Every list column; `SortColumn::Id` is the row id itself. An index's last key part is
/// implicitly `id`, which is what keyset pagination walks.
pub(super) const COLUMNS: [Column; 37] = [
    indexed(SortColumn::CreatedAt, "created_at", Kind::Int),
    col(SortColumn::UpdatedAt, "updated_at", Kind::Int),
    indexed(SortColumn::Status, "status", Kind::Text),
    col(SortColumn::DetailedStatus, "detailed_status", Kind::Text),
    col(SortColumn::GeneralStatus, "general_status", Kind::Text),
    indexed(SortColumn::Phase, "phase", Kind::Text),
    indexed(SortColumn::Responsible, "responsible", Kind::Text),
    indexed(SortColumn::Line, "line", Kind::Text),
    indexed(SortColumn::Channel, "channel", Kind::Text),
    col(SortColumn::Client, "client_name_lower", Kind::Text),
    col(SortColumn::Direction, "direction", Kind::Text),
    col(SortColumn::Subject, "subject", Kind::Text),
    indexed(SortColumn::RequestType, "request_type", Kind::Text),
    indexed(SortColumn::ClientRating, "client_rating", Kind::Int),
    col(SortColumn::OperatorRating, "operator_rating", Kind::Int),
    indexed(SortColumn::SupervisorRating, "supervisor_rating", Kind::Int),
    col(SortColumn::QueuedAt, "queued_at", Kind::Int),
    col(SortColumn::TakenAt, "taken_at", Kind::Int),
    col(SortColumn::FirstResponseAt, "first_response_at", Kind::Int),
    col(SortColumn::LastMessageAt, "last_message_at", Kind::Int),
    col(SortColumn::OperatorClosedAt, "operator_closed_at", Kind::Int),
    col(SortColumn::FinishedAt, "finished_at", Kind::Int),
    col(SortColumn::WaitFirstResponse, "wait_first_response", Kind::Real),
    col(SortColumn::TimeToTake, "time_to_take", Kind::Real),
    col(SortColumn::TimeToOperatorClose, "time_to_operator_close", Kind::Real),
    col(SortColumn::Duration, "duration", Kind::Real),
    col(SortColumn::FirstMessageResponse, "first_message_response", Kind::Real),
    col(SortColumn::BotTime, "bot_time", Kind::Real),
    col(SortColumn::TotalResponse, "total_response", Kind::Real),
    col(SortColumn::AvgResponse, "avg_response", Kind::Real),
    col(SortColumn::MaxResponse, "max_response", Kind::Real),
    other(Field::ClientId, "client_id", Kind::Text, true),
    other(Field::ClientIdLower, "client_id_lower", Kind::Text, false),
    other(Field::Pinned, "pinned", Kind::Int, false),
    other(Field::Participants, "participants", Kind::Text, false),
    other(Field::Reasons, "reasons", Kind::Text, false),
    other(Field::Components, "components", Kind::Text, false),
];

/// The SQL name and type of the column sorted by `sort`.
pub(super) fn sql_of(sort: SortColumn) -> (&'static str, Kind) {
    column_of(Field::Sort(sort)).map_or(("id", Kind::Int), |c| (c.sql, c.kind))
}

/// Whether every chat has a value for `sort` (its column is never NULL).
pub(super) fn never_null(sort: SortColumn) -> bool {
    matches!(
        sort,
        SortColumn::Id
            | SortColumn::CreatedAt
            | SortColumn::UpdatedAt
            | SortColumn::Status
            | SortColumn::DetailedStatus
            | SortColumn::GeneralStatus
            | SortColumn::Phase
            | SortColumn::Line
            | SortColumn::Channel
            | SortColumn::Direction
    )
}

/// The column holding `field`.
pub(super) fn column_of(field: Field) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.field == field)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn opt_text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, text)
}

fn time(t: Timestamp) -> Value {
    Value::Integer(t.millis())
}

fn opt_time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, time)
}

fn opt_int(n: Option<u8>) -> Value {
    n.map_or(Value::Null, |n| Value::Integer(i64::from(n)))
}

fn opt_real(x: Option<f64>) -> Value {
    x.map_or(Value::Null, Value::Real)
}

/// A list as a JSON array of strings (what `json_each` reads).
fn json_list<T: ToString>(items: &[T]) -> Value {
    let items: Vec<serde_json::Value> =
        items.iter().map(|i| serde_json::Value::String(i.to_string())).collect();
    Value::Text(serde_json::Value::Array(items).to_string())
}

/// The value of `view` in the column holding `field`.
pub(super) fn value(view: &ChatView, field: Field) -> Value {
    match field {
        Field::Sort(sort) => sort_value(view, sort),
        Field::ClientId => text(view.client.id.as_str()),
        Field::ClientIdLower => Value::Text(view.client.id.as_str().to_lowercase()),
        Field::Pinned => Value::Integer(i64::from(view.pinned)),
        Field::Participants => json_list(&view.participants),
        Field::Reasons => json_list(&view.reasons),
        Field::Components => json_list(&view.components),
    }
}

/// The value of `view` in the column of `sort` (`Id`: the chat number, which must fit an i64;
/// the writer refuses rows whose number does not).
pub(super) fn sort_value(view: &ChatView, sort: SortColumn) -> Value {
    let m = &view.metrics;
    match sort {
        SortColumn::Id => Value::Integer(i64::try_from(view.id.0).unwrap_or(i64::MAX)),
        SortColumn::CreatedAt => time(view.created_at),
        SortColumn::UpdatedAt => time(view.updated_at),
        SortColumn::Status => text(view.status.as_str()),
        SortColumn::DetailedStatus => text(view.detailed_status.as_str()),
        SortColumn::GeneralStatus => text(view.general_status.as_str()),
        SortColumn::Phase => text(view.phase.as_str()),
        SortColumn::Responsible => opt_text(view.responsible.as_ref().map(|o| o.as_str())),
        SortColumn::Line => text(view.line.as_str()),
        SortColumn::Channel => text(view.channel.as_str()),
        SortColumn::Client => {
            view.client.name.as_ref().map_or(Value::Null, |n| Value::Text(n.to_lowercase()))
        }
        SortColumn::Direction => text(view.direction.as_str()),
        SortColumn::Subject => opt_text(view.subject.as_deref()),
        SortColumn::RequestType => opt_text(view.request_type.as_deref()),
        SortColumn::ClientRating => opt_int(view.client_rating),
        SortColumn::OperatorRating => opt_int(view.operator_rating),
        SortColumn::SupervisorRating => opt_int(view.supervisor_rating),
        SortColumn::QueuedAt => opt_time(m.queued_at),
        SortColumn::TakenAt => opt_time(m.taken_at),
        SortColumn::FirstResponseAt => opt_time(m.first_response_at),
        SortColumn::LastMessageAt => opt_time(m.last_message_at),
        SortColumn::OperatorClosedAt => opt_time(m.operator_closed_at),
        SortColumn::FinishedAt => opt_time(m.finished_at),
        SortColumn::WaitFirstResponse => opt_real(m.wait_first_response),
        SortColumn::TimeToTake => opt_real(m.time_to_take),
        SortColumn::TimeToOperatorClose => opt_real(m.time_to_operator_close),
        SortColumn::Duration => opt_real(m.duration),
        SortColumn::FirstMessageResponse => opt_real(m.first_message_response),
        SortColumn::BotTime => opt_real(m.bot_time),
        SortColumn::TotalResponse => opt_real(m.total_response),
        SortColumn::AvgResponse => opt_real(m.avg_response),
        SortColumn::MaxResponse => opt_real(m.max_response),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sort_column_but_id_has_exactly_one_list_column() {
        for (sort, _) in SortColumn::ALL {
            let n = COLUMNS.iter().filter(|c| c.field == Field::Sort(sort)).count();
            assert_eq!(n, usize::from(sort != SortColumn::Id), "{sort:?}");
        }
    }

    #[test]
    fn column_names_are_unique_and_lists_are_json_arrays() {
        let mut names: Vec<&str> = COLUMNS.iter().map(|c| c.sql).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len());
        let w = crate::domain::tests::active_open();
        let mut view = ChatView::of(&w.conv, w.latest());
        view.reasons = vec!["late \"parcel\"".into(), "refund".into()];
        assert_eq!(value(&view, Field::Reasons), Value::Text(r#"["late \"parcel\"","refund"]"#.into()));
        assert_eq!(value(&view, Field::Components), Value::Text("[]".into()));
    }
}
