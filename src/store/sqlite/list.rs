//! The dialog list ([`ChatQuery`]): sort and keyset pagination over the `chats` table, with the
//! filters and the way the rows are read from `plan.rs`; the page's bodies come from
//! `chat_bodies`. Builds its SQL from fixed column names and binds every value; must never put
//! caller text into SQL.
//!
//! Order: the sort column, then the chat number, both in the requested direction. NULLs are
//! the smallest values: first when ascending, last when descending (SQLite's own order).
//!
//! Cursor: `hex(JSON {"sort": "-created_at", "value": <last row's sort value>, "id": <its
//! number>})`, opaque to clients. A page continues strictly after (value, id) in the sort
//! order, so equal sort values neither skip nor repeat rows. Reals are carried as their bit
//! pattern so the comparison is exact.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};
use serde::{Deserialize, Serialize};

use super::columns::{never_null, sql_of, Kind};
use super::convert::int;
use super::plan::{self, from_where, Plan, Sql};
use super::reads::chat_body;
use crate::store::{ChatPage, ChatQuery, SortKey, StoreError};

/// Page size when the query says 0.
const DEFAULT_LIMIT: usize = 50;
/// The largest page.
const MAX_LIMIT: usize = 500;

/// A sort value in a cursor, typed like its column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CursorValue {
    Null,
    Int(i64),
    /// `f64::to_bits`: exact, unlike a decimal rendering.
    Real(u64),
    Text(String),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    sort: String,
    value: CursorValue,
    id: i64,
}

fn sort_name(sort: SortKey) -> String {
    format!("{}{}", if sort.descending { "-" } else { "" }, sort.column.name())
}

fn encode_cursor(sort: SortKey, value: Value, id: i64) -> Result<String, StoreError> {
    let value = match value {
        Value::Null => CursorValue::Null,
        Value::Integer(i) => CursorValue::Int(i),
        Value::Real(x) => CursorValue::Real(x.to_bits()),
        Value::Text(s) => CursorValue::Text(s),
        Value::Blob(_) => return Err(StoreError::Corrupt(format!("chat {id}: a list column holds a blob"))),
    };
    let json = serde_json::to_vec(&Cursor { sort: sort_name(sort), value, id })
        .map_err(|e| StoreError::Unavailable(format!("cannot encode a cursor: {e}")))?;
    Ok(hex::encode(json))
}

/// The (value, id) a cursor continues after; it must come from a page of the same sort.
fn decode_cursor(cursor: &str, sort: SortKey, kind: Kind) -> Result<(Value, i64), StoreError> {
    let bad = |why: &str| StoreError::BadQuery(format!("bad cursor: {why}"));
    let bytes = hex::decode(cursor).map_err(|_| bad("not a cursor of this list"))?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad("not a cursor of this list"))?;
    if cursor.sort != sort_name(sort) {
        return Err(bad("it belongs to a different sort order"));
    }
    let value = match (cursor.value, kind) {
        (CursorValue::Null, _) => Value::Null,
        (CursorValue::Int(i), Kind::Int) => Value::Integer(i),
        (CursorValue::Real(bits), Kind::Real) => Value::Real(f64::from_bits(bits)),
        (CursorValue::Text(s), Kind::Text) => Value::Text(s),
        _ => return Err(bad("its value does not fit the sort column")),
    };
    Ok((value, cursor.id))
}

/// Page size: 0 means the default, anything above the maximum is clamped.
fn page_size(limit: usize) -> usize {
    match limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    }
}

/// ` AND <strictly after (value, id) in the sort order>`; `column` is qualified (`c.status`),
/// `nullable` says whether it may hold NULLs. The non-NULL part is written with a plain bound
/// first (`c.created_at <= ?`), so an index on the column can start there.
fn after(sql: &mut Sql, column: &str, nullable: bool, descending: bool, value: Value, id: i64) {
    let (cmp, nulls_elsewhere) = if descending { ("<", true) } else { (">", false) };
    if column == "c.id" {
        sql.push(&format!(" AND c.id {cmp} "));
        sql.bind(Value::Integer(id));
        return;
    }
    if value == Value::Null {
        // Among the NULLs by id, then (ascending) every non-NULL value.
        sql.push(&format!(" AND (({column} IS NULL AND c.id {cmp} "));
        sql.bind(Value::Integer(id));
        sql.push(")");
        if !nulls_elsewhere {
            sql.push(&format!(" OR {column} IS NOT NULL"));
        }
        sql.push(")");
        return;
    }
    sql.push(" AND (");
    sql.push(&format!("({column} {cmp}= "));
    sql.bind(value.clone());
    sql.push(&format!(" AND ({column} {cmp} "));
    sql.bind(value);
    sql.push(&format!(" OR c.id {cmp} "));
    sql.bind(Value::Integer(id));
    sql.push("))");
    if nulls_elsewhere && nullable {
        // Descending, the NULLs come after every value.
        sql.push(&format!(" OR {column} IS NULL"));
    }
    sql.push(")");
}

/// Runs the dialog list query.
pub(super) fn chats(conn: &Connection, q: &ChatQuery) -> Result<ChatPage, StoreError> {
    chats_planned(conn, q, None)
}

/// Runs the dialog list query with `forced` as its plan, or the one `plan.rs` chooses.
pub(super) fn chats_planned(
    conn: &Connection,
    q: &ChatQuery,
    forced: Option<Plan>,
) -> Result<ChatPage, StoreError> {
    let (name, kind) = sql_of(q.sort.column);
    let column = format!("c.{name}");
    let limit = page_size(q.limit);
    let cursor = q.cursor.as_deref().map(|c| decode_cursor(c, q.sort, kind)).transpose()?;
    let terms = plan::terms(q);
    let plan = match forced {
        Some(plan) => plan,
        None => plan::plan(conn, &terms, q.sort.column, limit + 1)?,
    };
    let mut sql = Sql::default();
    sql.push(&format!("SELECT c.id, {column} "));
    sql.append(&from_where(&terms, plan, q.sort.column)?);
    if let Some((value, id)) = cursor {
        after(&mut sql, &column, !never_null(q.sort.column), q.sort.descending, value, id);
    }
    let dir = if q.sort.descending { "DESC" } else { "ASC" };
    if column == "c.id" {
        sql.push(&format!(" ORDER BY c.id {dir} LIMIT "));
    } else {
        sql.push(&format!(" ORDER BY {column} {dir}, c.id {dir} LIMIT "));
    }
    // One more than the page shows whether another page follows.
    sql.bind(Value::Integer(int(limit as u64 + 1, "limit")?));

    let mut stmt = conn.prepare_cached(&sql.text)?;
    let mut rows = stmt.query(params_from_iter(sql.params))?;
    let mut found = Vec::with_capacity(limit);
    let mut more = false;
    while let Some(row) = rows.next()? {
        if found.len() == limit {
            more = true;
            break;
        }
        found.push((row.get::<_, i64>(0)?, row.get::<_, Value>(1)?));
    }
    let mut body = conn.prepare_cached("SELECT body FROM chat_bodies WHERE id = ?1")?;
    let mut items = Vec::with_capacity(found.len());
    for (id, _) in &found {
        let text: String = body.query_row([id], |r| r.get(0))?;
        items.push(chat_body(*id, &text)?);
    }
    let next_cursor = match (more, found.pop()) {
        (true, Some((id, value))) => Some(encode_cursor(q.sort, value, id)?),
        _ => None,
    };
    Ok(ChatPage { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SortColumn;

    #[test]
    fn a_cursor_round_trips_exactly_and_only_for_its_own_sort() {
        let sort = SortKey { column: SortColumn::AvgResponse, descending: true };
        let x = 0.1 + 0.2;
        let cursor = encode_cursor(sort, Value::Real(x), 7).unwrap();
        assert_eq!(decode_cursor(&cursor, sort, Kind::Real).unwrap(), (Value::Real(x), 7));
        let ascending = SortKey { descending: false, ..sort };
        assert!(matches!(decode_cursor(&cursor, ascending, Kind::Real), Err(StoreError::BadQuery(_))));
        assert!(matches!(decode_cursor(&cursor, sort, Kind::Text), Err(StoreError::BadQuery(_))));
        assert!(matches!(decode_cursor("zz", sort, Kind::Real), Err(StoreError::BadQuery(_))));
    }

    #[test]
    fn page_size_defaults_to_50_and_stops_at_500() {
        assert_eq!((page_size(0), page_size(7), page_size(501)), (50, 7, 500));
    }
}
