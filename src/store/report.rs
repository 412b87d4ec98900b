//! Reports (SPEC 7, PROTOCOL 4 `GET /api/v1/reports`): the chats created in a time range, per
//! responsible operator or per line, added up. What is counted and how averages are made is
//! defined here, once, purely: [`Tally::add`] folds one chat in, [`Tally::row`] turns the sums
//! into the wire row. A backend may add up in its own way (SQLite does it in SQL) but must
//! arrive at the same sums.
//!
//! Choices the contract leaves open:
//! - A chat counts for the operator who is responsible for it now (the one who took it, or got
//!   it by a forward, a rule or a pinned reactivation). Chats nobody is responsible for are in
//!   no operator's row; every chat is in its current line's row.
//! - `finished` counts closing chats too (the general status `finished`).
//! - `within_sla` is the share of the row's chats whose first operator reply came at most `sla`
//!   seconds after the chat was created (`wait_first_response` ≤ `sla`); a chat never answered
//!   is not within.
//! - Merged chats are left out (their messages and metrics live on in the chat they went into).
//! - Averages are over the chats that have the value; `null` when none has it. Every average and
//!   the share are rounded to three decimals (durations are kept to the millisecond).

use serde::Serialize;

use crate::domain::{ChatView, Phase, Timestamp};

/// What a report is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportGroup {
    /// The chat's responsible operator.
    Operator,
    /// The chat's line.
    Line,
}

/// A report over the chats created from `from` to `to` (both inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportQuery {
    /// Per operator or per line.
    pub group: ReportGroup,
    /// Chats created at or after.
    pub from: Timestamp,
    /// Chats created at or before.
    pub to: Timestamp,
    /// The first operator reply counts as within the target when it came at most this many
    /// seconds after the chat was created.
    pub sla: u32,
}

/// A running sum and how many values it holds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sum {
    /// The sum.
    pub total: f64,
    /// The number of values.
    pub count: u64,
}

impl Sum {
    /// Adds `value` if there is one.
    pub fn add(&mut self, value: Option<f64>) {
        if let Some(v) = value {
            self.total += v;
            self.count += 1;
        }
    }

    /// The mean, rounded to three decimals; `None` without values.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| round3(self.total / self.count as f64))
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The sums of one row of a report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tally {
    /// The operator or line id.
    pub key: String,
    /// Chats.
    pub chats: u64,
    /// Of them, closing or finished.
    pub finished: u64,
    /// `metrics.wait_first_response` (seconds).
    pub wait_first_response: Sum,
    /// `metrics.first_message_response` (seconds).
    pub first_message_response: Sum,
    /// `metrics.duration` (seconds).
    pub duration: Sum,
    /// Client ratings (1-3); the count is the number of votes.
    pub client_rating: Sum,
    /// Chats whose first operator reply came within the target.
    pub within_sla: u64,
}

impl Tally {
    /// An empty tally for `key`.
    pub fn new(key: impl Into<String>) -> Self {
        Self { key: key.into(), ..Self::default() }
    }

    /// The key `chat` is counted under in a report grouped by `group` (`None`: in no row).
    pub fn key_of(chat: &ChatView, group: ReportGroup) -> Option<String> {
        match group {
            ReportGroup::Operator => chat.responsible.as_ref().map(ToString::to_string),
            ReportGroup::Line => Some(chat.line.to_string()),
        }
    }

    /// Counts `chat` in, with the reply target `sla` (seconds).
    pub fn add(&mut self, chat: &ChatView, sla: u32) {
        let m = &chat.metrics;
        self.chats += 1;
        self.finished += u64::from(chat.phase != Phase::Active);
        self.wait_first_response.add(m.wait_first_response);
        self.first_message_response.add(m.first_message_response);
        self.duration.add(m.duration);
        self.client_rating.add(chat.client_rating.map(f64::from));
        self.within_sla += u64::from(m.wait_first_response.is_some_and(|w| w <= f64::from(sla)));
    }

    /// The wire row.
    pub fn row(&self) -> ReportRow {
        ReportRow {
            key: self.key.clone(),
            chats: self.chats,
            finished: self.finished,
            avg_wait_first_response: self.wait_first_response.mean(),
            avg_first_message_response: self.first_message_response.mean(),
            avg_duration: self.duration.mean(),
            avg_client_rating: self.client_rating.mean(),
            votes: self.client_rating.count,
            within_sla: if self.chats == 0 {
                0.0
            } else {
                round3(self.within_sla as f64 / self.chats as f64)
            },
        }
    }
}

/// One row of a report (PROTOCOL 4): averages in seconds, `null` when nothing to average.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = Report)]
pub struct ReportRow {
    /// The operator or line id.
    pub key: String,
    /// Chats created in the range.
    pub chats: u64,
    /// Of them, closing or finished.
    pub finished: u64,
    /// Mean `wait_first_response`.
    pub avg_wait_first_response: Option<f64>,
    /// Mean `first_message_response`.
    pub avg_first_message_response: Option<f64>,
    /// Mean `duration`.
    pub avg_duration: Option<f64>,
    /// Mean client rating.
    pub avg_client_rating: Option<f64>,
    /// Client ratings given.
    pub votes: u64,
    /// Share of the chats answered within the target (0 to 1).
    pub within_sla: f64,
}

/// The rows of `chats` (the reference a backend must agree with): the chats created in the
/// range, merged ones left out, grouped, by key.
pub fn tally(chats: &[ChatView], query: &ReportQuery) -> Vec<ReportRow> {
    let mut rows: std::collections::BTreeMap<String, Tally> = std::collections::BTreeMap::new();
    for chat in chats {
        if chat.merged_into.is_some() || chat.created_at < query.from || chat.created_at > query.to {
            continue;
        }
        if let Some(key) = Tally::key_of(chat, query.group) {
            rows.entry(key.clone()).or_insert_with(|| Tally::new(key)).add(chat, query.sla);
        }
    }
    rows.values().map(Tally::row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::{active_open, T0};
    use crate::domain::{ChatId, OperatorId, Span};

    /// A chat of `line`, `responsible`, created `at` seconds after T0.
    fn chat(id: u64, line: &str, responsible: Option<&str>, at: i64) -> ChatView {
        let w = active_open();
        let mut c = ChatView::of(&w.conv, w.latest());
        c.id = ChatId(id);
        c.line = line.into();
        c.responsible = responsible.map(OperatorId::from);
        c.created_at = T0.after(Span::secs(at));
        c.phase = Phase::Active;
        c.client_rating = None;
        c.merged_into = None;
        c.metrics.wait_first_response = None;
        c.metrics.first_message_response = None;
        c.metrics.duration = None;
        c
    }

    fn query(group: ReportGroup, sla: u32) -> ReportQuery {
        ReportQuery { group, from: T0, to: T0.after(Span::secs(100)), sla }
    }

    #[test]
    fn averages_are_over_the_chats_that_have_the_value_and_null_without_any() {
        let mut t = Tally::new("alice");
        let mut a = chat(1, "line1", Some("alice"), 0);
        a.metrics.wait_first_response = Some(10.0);
        a.metrics.duration = Some(100.0);
        a.client_rating = Some(3);
        a.phase = Phase::Finished;
        let mut b = chat(2, "line1", Some("alice"), 0);
        b.metrics.wait_first_response = Some(20.5);
        b.client_rating = Some(2);
        b.phase = Phase::Closing;
        let c = chat(3, "line1", Some("alice"), 0);
        for x in [&a, &b, &c] {
            t.add(x, 60);
        }
        let row = t.row();
        assert_eq!((row.chats, row.finished, row.votes), (3, 2, 2));
        assert_eq!(row.avg_wait_first_response, Some(15.25));
        assert_eq!(row.avg_duration, Some(100.0));
        assert_eq!(row.avg_first_message_response, None);
        assert_eq!(row.avg_client_rating, Some(2.5));
        assert_eq!(row.within_sla, 0.667, "2 of 3 answered within 60 s");
    }

    #[test]
    fn the_sla_bound_is_inclusive_and_an_unanswered_chat_is_not_within() {
        let mut t = Tally::new("line1");
        for (i, wait) in [Some(59.999), Some(60.0), Some(60.001), None].into_iter().enumerate() {
            let mut c = chat(i as u64 + 1, "line1", None, 0);
            c.metrics.wait_first_response = wait;
            t.add(&c, 60);
        }
        assert_eq!((t.within_sla, t.row().within_sla), (2, 0.5));
        let mut zero = Tally::new("line1");
        let mut c = chat(9, "line1", None, 0);
        c.metrics.wait_first_response = Some(0.0);
        zero.add(&c, 0);
        assert_eq!(zero.row().within_sla, 1.0, "sla = 0: only instant replies");
    }

    #[test]
    fn means_are_rounded_to_three_decimals() {
        let mut s = Sum::default();
        for v in [1.0, 1.0, 2.0] {
            s.add(Some(v));
        }
        s.add(None);
        assert_eq!((s.count, s.mean()), (3, Some(1.333)));
        assert_eq!(Sum::default().mean(), None);
    }

    #[test]
    fn the_operator_grouping_counts_each_chat_for_its_responsible_and_skips_unassigned_ones() {
        let chats = [
            chat(1, "line1", Some("bob"), 1),
            chat(2, "line2", Some("alice"), 2),
            chat(3, "line1", None, 3),
            chat(4, "line1", Some("alice"), 4),
        ];
        let rows = tally(&chats, &query(ReportGroup::Operator, 60));
        let keys: Vec<(&str, u64)> = rows.iter().map(|r| (r.key.as_str(), r.chats)).collect();
        assert_eq!(keys, [("alice", 2), ("bob", 1)]);
        let rows = tally(&chats, &query(ReportGroup::Line, 60));
        let keys: Vec<(&str, u64)> = rows.iter().map(|r| (r.key.as_str(), r.chats)).collect();
        assert_eq!(keys, [("line1", 3), ("line2", 1)]);
    }

    #[test]
    fn only_chats_created_in_the_range_count_and_merged_ones_never() {
        let mut merged = chat(3, "line1", Some("alice"), 50);
        merged.merged_into = Some(ChatId(4));
        let chats = [
            chat(1, "line1", Some("alice"), 0),
            chat(2, "line1", Some("alice"), 100),
            merged,
            chat(4, "line1", Some("alice"), 101),
        ];
        let rows = tally(&chats, &query(ReportGroup::Operator, 60));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].chats, 2, "both ends of the range are inclusive");
    }

    #[test]
    fn a_row_is_serialised_with_the_protocol_keys() {
        let json = serde_json::to_value(Tally::new("line1").row()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"key": "line1", "chats": 0, "finished": 0,
                "avg_wait_first_response": null, "avg_first_message_response": null,
                "avg_duration": null, "avg_client_rating": null, "votes": 0, "within_sla": 0.0})
        );
    }
}
