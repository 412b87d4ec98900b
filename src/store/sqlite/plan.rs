//! The dialog list's filters as SQL, and how a page is read. Builds SQL from fixed column
//! names and binds every value; must never put caller text into SQL.
//!
//! Every filter becomes a [`Term`]: a condition tested on a row, and, when an index can list
//! the rows it admits, that [`Source`] (an index of `chats`, the tags, the word index). A page
//! is then read in one of two ways ([`Plan`]):
//! - **walk** the sort order (the `created_at` index, or the chat numbers) and test each row,
//!   stopping when the page is full: cheap when many rows match, whatever the filters;
//! - **drive** from the source of the most selective filter: read the rows it lists, test the
//!   other filters, sort what is left: cheap when few rows match.
//!
//! Which one is decided per query by counting, with a cap, the rows each source lists
//! (an index-only count). With `n` chats and pages of `p`, the cap is `√(p·n)`: a source under it
//! is read whole (at most `√(p·n)` rows); when every source reaches it, each filter admits at
//! least `√(p/n)` of the rows, so a walk tests about `√(p·n)` rows per filter before the page is
//! full. Both stay near `√(p·n)` rows (about 7,000 for a first page over a million chats); only
//! several filters that each admit many rows but rarely the same ones make a walk longer.
//! Sorting by a column without an index of its own cannot be walked: SQLite then chooses.

use rusqlite::types::Value;
use rusqlite::Connection;

use super::columns::{column_of, sql_of, Field};
use super::tags::TagKind;
use super::words;
use crate::store::{ChatQuery, SortColumn, StoreError, TimeColumn};

/// The smallest cap: below it, counting costs more than it saves.
const MIN_CAP: i64 = 1_000;

/// SQL text and parameters being built together.
#[derive(Debug, Clone, Default)]
pub(super) struct Sql {
    pub(super) text: String,
    pub(super) params: Vec<Value>,
}

impl Sql {
    pub(super) fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    pub(super) fn bind(&mut self, value: Value) {
        self.text.push('?');
        self.params.push(value);
    }

    /// Appends `other`, text and parameters.
    pub(super) fn append(&mut self, other: &Sql) {
        self.text.push_str(&other.text);
        self.params.extend(other.params.iter().cloned());
    }

    /// `(?, ?, ...)` over `values`.
    fn list(&mut self, values: impl IntoIterator<Item = Value>) {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")");
    }

    fn of(text: &str) -> Sql {
        Sql { text: text.to_owned(), params: Vec::new() }
    }
}

/// Where the rows a filter admits can be read from directly.
#[derive(Debug, Clone)]
pub(super) enum Source {
    /// The entries of an index of `chats` matching `cond` (bare column names).
    Index {
        /// The index.
        index: String,
        /// The condition, over the index's columns.
        cond: Sql,
    },
    /// The chat numbers a query lists (possibly repeated).
    Ids(Sql),
}

/// One filter.
#[derive(Debug, Clone)]
pub(super) struct Term {
    /// The condition on a row of `chats AS c`.
    pub(super) check: Sql,
    /// Where its rows can be read from, if anywhere.
    pub(super) source: Option<Source>,
}

fn text_values<T>(values: &[T], text: impl Fn(&T) -> String) -> Vec<Value> {
    values.iter().map(|v| Value::Text(text(v))).collect()
}

/// `column IN (values)` on an indexed column: a term with the index as its source.
fn indexed_in(column: &'static str, values: Vec<Value>) -> Term {
    let mut check = Sql::of(&format!("c.{column} IN "));
    check.list(values.clone());
    let mut cond = Sql::of(&format!("{column} IN "));
    cond.list(values);
    Term { check, source: Some(Source::Index { index: format!("chats_by_{column}"), cond }) }
}

/// `column IN (values)` tested on each row only.
fn plain_in(column: &str, values: Vec<Value>) -> Term {
    let mut check = Sql::of(&format!("c.{column} IN "));
    check.list(values);
    Term { check, source: None }
}

/// `column IN (values)`, through its index if it has one; nothing when `values` is empty.
fn any_of(terms: &mut Vec<Term>, field: Field, values: Vec<Value>) {
    if values.is_empty() {
        return;
    }
    match column_of(field) {
        Some(c) if c.indexed => terms.push(indexed_in(c.sql, values)),
        Some(c) => terms.push(plain_in(c.sql, values)),
        None => {}
    }
}

/// Chats having any of `values` as tags of `kind`.
fn tagged(kind: TagKind, values: Vec<Value>) -> Term {
    let mut ids = Sql::of("SELECT chat FROM chat_tags WHERE kind = ");
    ids.bind(Value::Integer(kind.code()));
    ids.push(" AND value IN ");
    ids.list(values.clone());
    let mut check = Sql::of("EXISTS (SELECT 1 FROM chat_tags WHERE kind = ");
    check.bind(Value::Integer(kind.code()));
    check.push(" AND value IN ");
    check.list(values);
    check.push(" AND chat = c.id)");
    Term { check, source: Some(Source::Ids(ids)) }
}

/// Chats whose messages or subject hold `word`.
fn word(word: &str) -> Term {
    let phrase = Value::Text(words::phrase(word));
    let mut ids =
        Sql::of(&format!("SELECT {} FROM chat_words WHERE chat_words MATCH ", words::CHAT_OF_ROWID));
    ids.bind(phrase.clone());
    let (first, end) = words::range_of("c.id");
    let mut check = Sql::of("EXISTS (SELECT 1 FROM chat_words WHERE chat_words MATCH ");
    check.bind(phrase);
    check.push(&format!(" AND rowid >= {first} AND rowid < {end})"));
    Term { check, source: Some(Source::Ids(ids)) }
}

/// A time range; on `created_at`, its index is the source.
fn range(column: TimeColumn, from: Option<i64>, to: Option<i64>) -> Option<Term> {
    let (name, _) = sql_of(column.column());
    let mut check = Sql::default();
    let mut cond = Sql::default();
    for (bound, op) in [(from, ">="), (to, "<=")] {
        if let Some(at) = bound {
            for (sql, prefix) in [(&mut check, "c."), (&mut cond, "")] {
                if !sql.text.is_empty() {
                    sql.push(" AND ");
                }
                sql.push(&format!("{prefix}{name} {op} "));
                sql.bind(Value::Integer(at));
            }
        }
    }
    if check.text.is_empty() {
        return None;
    }
    let source =
        (column == TimeColumn::Created).then(|| Source::Index { index: "chats_by_created_at".into(), cond });
    Some(Term { check, source })
}

/// Every filter of `q` (its scope included) as terms.
pub(super) fn terms(q: &ChatQuery) -> Vec<Term> {
    let mut terms = Vec::new();
    let text = |s: &str| Value::Text(s.to_owned());
    any_of(&mut terms, Field::Sort(SortColumn::Status), text_values(&q.status, |s| s.as_str().into()));
    any_of(
        &mut terms,
        Field::Sort(SortColumn::DetailedStatus),
        text_values(&q.detailed_status, |s| s.as_str().into()),
    );
    any_of(
        &mut terms,
        Field::Sort(SortColumn::GeneralStatus),
        text_values(&q.general_status, |s| s.as_str().into()),
    );
    any_of(&mut terms, Field::Sort(SortColumn::Phase), text_values(&q.phase, |p| p.as_str().into()));
    any_of(&mut terms, Field::Sort(SortColumn::Direction), text_values(&q.direction, |d| d.as_str().into()));
    any_of(
        &mut terms,
        Field::Sort(SortColumn::Responsible),
        text_values(&q.responsible, ToString::to_string),
    );
    any_of(&mut terms, Field::Sort(SortColumn::Line), text_values(&q.line, ToString::to_string));
    any_of(&mut terms, Field::Sort(SortColumn::Channel), text_values(&q.channel, ToString::to_string));
    any_of(&mut terms, Field::Sort(SortColumn::RequestType), text_values(&q.request_type, Clone::clone));
    let ratings = |r: &[u8]| r.iter().map(|n| Value::Integer(i64::from(*n))).collect::<Vec<_>>();
    any_of(&mut terms, Field::Sort(SortColumn::ClientRating), ratings(&q.client_rating));
    any_of(&mut terms, Field::Sort(SortColumn::SupervisorRating), ratings(&q.supervisor_rating));
    if let Some(id) = &q.client_id {
        any_of(&mut terms, Field::ClientId, vec![text(id.as_str())]);
    }
    if let Some(needle) = q.client.as_deref().filter(|n| !n.is_empty()) {
        let needle = Value::Text(needle.to_lowercase());
        let mut check = Sql::of("(instr(c.client_name_lower, ");
        check.bind(needle.clone());
        check.push(") > 0 OR instr(c.client_id_lower, ");
        check.bind(needle);
        check.push(") > 0)");
        terms.push(Term { check, source: None });
    }
    match q.spam {
        Some(true) => any_of(&mut terms, Field::Sort(SortColumn::Status), vec![text("spam")]),
        Some(false) => terms.push(Term { check: Sql::of("c.status <> 'spam'"), source: None }),
        None => {}
    }
    if let Some(pinned) = q.pinned {
        any_of(&mut terms, Field::Pinned, vec![Value::Integer(i64::from(pinned))]);
    }
    for (kind, values) in [
        (TagKind::Participant, text_values(&q.participant, ToString::to_string)),
        (TagKind::Reason, text_values(&q.reasons, Clone::clone)),
        (TagKind::Component, text_values(&q.components, Clone::clone)),
    ] {
        if !values.is_empty() {
            terms.push(tagged(kind, values));
        }
    }
    for r in &q.times {
        terms.extend(range(r.column, r.from.map(|t| t.millis()), r.to.map(|t| t.millis())));
    }
    if let Some(scope) = &q.scope {
        let operator = Value::Text(scope.operator.to_string());
        let mut check = Sql::of("(c.responsible = ");
        check.bind(operator.clone());
        check.push(" OR EXISTS (SELECT 1 FROM chat_tags WHERE kind = ");
        check.bind(Value::Integer(TagKind::Participant.code()));
        check.push(" AND value = ");
        check.bind(operator);
        check.push(" AND chat = c.id)");
        if !scope.lines.is_empty() {
            check.push(" OR c.line IN ");
            check.list(text_values(&scope.lines, ToString::to_string));
        }
        check.push(")");
        terms.push(Term { check, source: None });
    }
    // Last: a word is the dearest test of a row (an index probe per word), so every cheaper
    // filter runs before it.
    terms.extend(q.words.iter().map(|w| word(w)));
    terms
}

/// How a page is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    /// Along the sort order (its index, or the chat numbers), testing every filter.
    Walk,
    /// From the source of term `n`, sorting what passes the other filters.
    Drive(usize),
    /// SQLite's own choice (a sort column without an index of its own, no selective filter).
    Free,
}

/// Whether the list can be walked in the order of `sort`: the chat numbers, or `created_at`
/// (the only column with an index of its own).
pub(super) fn walkable(sort: SortColumn) -> bool {
    matches!(sort, SortColumn::Id | SortColumn::CreatedAt)
}

/// The cap of the counts for a page of `page` rows over about `chats` chats (see the module).
pub(super) fn cap(page: usize, chats: i64) -> i64 {
    let p = page as f64;
    let n = chats.max(0) as f64;
    ((p * n).sqrt() as i64).max(MIN_CAP)
}

/// The plan given each sourced term's count (capped at `cap`): drive from the smallest count
/// under the cap, else walk if the sort order can be walked.
pub(super) fn choose(counts: &[(usize, i64)], cap: i64, walkable: bool) -> Plan {
    let best = counts.iter().filter(|(_, n)| *n < cap).min_by_key(|(_, n)| *n);
    match best {
        Some((term, _)) => Plan::Drive(*term),
        None if walkable => Plan::Walk,
        None => Plan::Free,
    }
}

/// How many rows `source` lists, counting no further than `cap`.
fn count(conn: &Connection, source: &Source, cap: i64) -> Result<i64, StoreError> {
    let mut sql = Sql::of("SELECT count(*) FROM (");
    match source {
        Source::Index { index, cond } => {
            sql.push(&format!("SELECT 1 FROM chats INDEXED BY {index} WHERE "));
            sql.append(cond);
        }
        Source::Ids(ids) => sql.append(ids),
    }
    sql.push(" LIMIT ");
    sql.bind(Value::Integer(cap));
    sql.push(")");
    let n =
        conn.prepare_cached(&sql.text)?.query_row(rusqlite::params_from_iter(sql.params), |r| r.get(0))?;
    Ok(n)
}

/// The plan for `terms` sorted by `sort`, pages of `page` rows.
pub(super) fn plan(
    conn: &Connection,
    terms: &[Term],
    sort: SortColumn,
    page: usize,
) -> Result<Plan, StoreError> {
    if terms.iter().all(|t| t.source.is_none()) {
        return Ok(if walkable(sort) { Plan::Walk } else { Plan::Free });
    }
    let chats: Option<i64> = conn.prepare_cached("SELECT max(id) FROM chats")?.query_row([], |r| r.get(0))?;
    let cap = cap(page, chats.unwrap_or(0));
    let mut counts = Vec::new();
    for (i, term) in terms.iter().enumerate() {
        if let Some(source) = &term.source {
            let n = count(conn, source, cap)?;
            counts.push((i, n));
            if n == 0 {
                break; // nothing can match: reading from it is free
            }
        }
    }
    Ok(choose(&counts, cap, walkable(sort)))
}

/// `FROM chats AS c ... WHERE c.merged_into IS NULL AND <filters>` under `plan`, for a list
/// sorted by `sort`.
pub(super) fn from_where(terms: &[Term], plan: Plan, sort: SortColumn) -> Result<Sql, StoreError> {
    let mut sql = Sql::of("FROM chats AS c");
    let mut driving = None;
    match plan {
        Plan::Walk if sort == SortColumn::Id => sql.push(" NOT INDEXED"),
        Plan::Walk => sql.push(" INDEXED BY chats_by_created_at"),
        Plan::Drive(n) => match terms.get(n).and_then(|t| t.source.as_ref()) {
            Some(Source::Index { index, .. }) => sql.push(&format!(" INDEXED BY {index}")),
            Some(Source::Ids(_)) => sql.push(" NOT INDEXED"),
            None => return Err(StoreError::Unavailable(format!("plan: term {n} has no source"))),
        },
        Plan::Free => {}
    }
    sql.push(" WHERE c.merged_into IS NULL");
    if let Plan::Drive(n) = plan {
        driving = Some(n);
        match terms.get(n).and_then(|t| t.source.as_ref()) {
            Some(Source::Index { cond, .. }) => {
                sql.push(" AND ");
                sql.append(cond);
            }
            Some(Source::Ids(ids)) => {
                sql.push(" AND c.id IN (");
                sql.append(ids);
                sql.push(")");
            }
            None => {}
        }
    }
    for (i, term) in terms.iter().enumerate() {
        if Some(i) != driving {
            sql.push(" AND ");
            sql.append(&term.check);
        }
    }
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_the_root_of_page_times_chats_and_at_least_a_thousand() {
        assert_eq!(cap(51, 1_000_000), 7_141);
        assert_eq!(cap(501, 1_000_000), 22_383);
        assert_eq!(cap(51, 100), MIN_CAP);
        assert_eq!(cap(51, -5), MIN_CAP);
    }

    #[test]
    fn the_plan_drives_from_the_smallest_count_under_the_cap_else_walks_if_it_can() {
        assert_eq!(choose(&[(0, 5_000), (2, 300), (3, 7_141)], 7_141, true), Plan::Drive(2));
        assert_eq!(choose(&[(0, 7_141), (1, 7_141)], 7_141, true), Plan::Walk);
        assert_eq!(choose(&[(0, 7_141)], 7_141, false), Plan::Free);
        assert_eq!(choose(&[], 7_141, true), Plan::Walk);
        assert_eq!(choose(&[(1, 0)], 7_141, false), Plan::Drive(1));
    }

    #[test]
    fn only_the_chat_numbers_and_created_at_can_be_walked() {
        let walkable: Vec<&str> =
            SortColumn::ALL.iter().filter(|(c, _)| walkable(*c)).map(|(_, name)| *name).collect();
        assert_eq!(walkable, ["id", "created_at"]);
    }

    #[test]
    fn a_walk_never_drives_and_a_drive_does_not_test_its_own_filter_twice() {
        let q = ChatQuery {
            status: vec![crate::domain::Status::Open],
            reasons: vec!["late".into()],
            ..ChatQuery::default()
        };
        let terms = terms(&q);
        assert_eq!(terms.len(), 2);
        let walk = from_where(&terms, Plan::Walk, SortColumn::CreatedAt).unwrap();
        assert!(
            walk.text.starts_with("FROM chats AS c INDEXED BY chats_by_created_at WHERE"),
            "{}",
            walk.text
        );
        assert!(!walk.text.contains("c.id IN"), "{}", walk.text);
        let drive = from_where(&terms, Plan::Drive(1), SortColumn::CreatedAt).unwrap();
        assert!(
            drive.text.contains("NOT INDEXED") && drive.text.contains("c.id IN (SELECT chat FROM chat_tags")
        );
        assert!(!drive.text.contains("EXISTS (SELECT 1 FROM chat_tags"), "{}", drive.text);
        assert_eq!(drive.params.len(), 3, "kind, 'late', then the status");
        let by_status = from_where(&terms, Plan::Drive(0), SortColumn::CreatedAt).unwrap();
        assert!(
            by_status.text.contains("INDEXED BY chats_by_status")
                && by_status.text.contains("AND status IN (?)")
        );
    }
}
