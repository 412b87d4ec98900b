//! The dialog list ([`ChatQuery`]): filters, sort and keyset pagination over the `chats`
//! table. Builds its SQL from fixed column names and binds every value; must never put
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

use super::columns::{sql_of, Kind};
use super::convert::int;
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

/// SQL text and parameters being built together.
#[derive(Default)]
struct Sql {
    text: String,
    params: Vec<Value>,
}

impl Sql {
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn bind(&mut self, value: Value) {
        self.text.push('?');
        self.params.push(value);
    }

    /// ` AND column IN (?, ?, ...)` unless `values` is empty ("any").
    fn any_of<T>(&mut self, column: &str, values: &[T], text: impl Fn(&T) -> String) {
        if values.is_empty() {
            return;
        }
        self.push(&format!(" AND {column} IN ("));
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Value::Text(text(v)));
        }
        self.push(")");
    }
}

fn filters(sql: &mut Sql, q: &ChatQuery) {
    sql.any_of("status", &q.status, |s| s.as_str().to_owned());
    sql.any_of("detailed_status", &q.detailed_status, |s| s.as_str().to_owned());
    sql.any_of("general_status", &q.general_status, |s| s.as_str().to_owned());
    sql.any_of("phase", &q.phase, |p| p.as_str().to_owned());
    sql.any_of("responsible", &q.responsible, |o| o.to_string());
    sql.any_of("line", &q.line, |l| l.to_string());
    sql.any_of("channel", &q.channel, |c| c.to_string());
    if let Some(name) = q.client.as_deref().filter(|n| !n.is_empty()) {
        sql.push(" AND instr(client_name_lower, ");
        sql.bind(Value::Text(name.to_lowercase()));
        sql.push(") > 0");
    }
    match q.spam {
        Some(true) => sql.push(" AND status = 'spam'"),
        Some(false) => sql.push(" AND status <> 'spam'"),
        None => {}
    }
    if let Some(from) = q.created_from {
        sql.push(" AND created_at >= ");
        sql.bind(Value::Integer(from.millis()));
    }
    if let Some(to) = q.created_to {
        sql.push(" AND created_at <= ");
        sql.bind(Value::Integer(to.millis()));
    }
    if let Some(scope) = &q.scope {
        sql.push(" AND (responsible = ");
        sql.bind(Value::Text(scope.operator.to_string()));
        sql.push(" OR EXISTS (SELECT 1 FROM json_each(chats.participants) WHERE json_each.value = ");
        sql.bind(Value::Text(scope.operator.to_string()));
        sql.push(")");
        if !scope.lines.is_empty() {
            sql.push(" OR line IN (");
            for (i, line) in scope.lines.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(Value::Text(line.to_string()));
            }
            sql.push(")");
        }
        sql.push(")");
    }
}

/// ` AND <strictly after (value, id) in the sort order>`.
fn after(sql: &mut Sql, column: &str, descending: bool, value: Value, id: i64) {
    let (cmp, nulls_elsewhere) = if descending { ("<", true) } else { (">", false) };
    if column == "id" {
        sql.push(&format!(" AND id {cmp} "));
        sql.bind(Value::Integer(id));
        return;
    }
    if value == Value::Null {
        // Among the NULLs by id, then (ascending) every non-NULL value.
        sql.push(&format!(" AND (({column} IS NULL AND id {cmp} "));
        sql.bind(Value::Integer(id));
        sql.push(")");
        if !nulls_elsewhere {
            sql.push(&format!(" OR {column} IS NOT NULL"));
        }
        sql.push(")");
    } else {
        sql.push(&format!(" AND ({column} {cmp} "));
        sql.bind(value.clone());
        sql.push(&format!(" OR ({column} = "));
        sql.bind(value);
        sql.push(&format!(" AND id {cmp} "));
        sql.bind(Value::Integer(id));
        sql.push(")");
        if nulls_elsewhere {
            // Descending, the NULLs come after every value.
            sql.push(&format!(" OR {column} IS NULL"));
        }
        sql.push(")");
    }
}

/// Runs the dialog list query.
pub(super) fn chats(conn: &Connection, q: &ChatQuery) -> Result<ChatPage, StoreError> {
    let (column, kind) = sql_of(q.sort.column);
    let limit = page_size(q.limit);
    let mut sql = Sql::default();
    sql.push(&format!("SELECT id, body, {column} FROM chats WHERE merged_into IS NULL"));
    filters(&mut sql, q);
    if let Some(cursor) = &q.cursor {
        let (value, id) = decode_cursor(cursor, q.sort, kind)?;
        after(&mut sql, column, q.sort.descending, value, id);
    }
    let dir = if q.sort.descending { "DESC" } else { "ASC" };
    if column == "id" {
        sql.push(&format!(" ORDER BY id {dir} LIMIT "));
    } else {
        sql.push(&format!(" ORDER BY {column} {dir}, id {dir} LIMIT "));
    }
    // One more than the page shows whether another page follows.
    sql.bind(Value::Integer(int(limit as u64 + 1, "limit")?));

    let mut stmt = conn.prepare_cached(&sql.text)?;
    let mut rows = stmt.query(params_from_iter(sql.params))?;
    let mut items = Vec::with_capacity(limit);
    let mut last = None;
    let mut more = false;
    while let Some(row) = rows.next()? {
        if items.len() == limit {
            more = true;
            break;
        }
        let id: i64 = row.get(0)?;
        let body: String = row.get(1)?;
        items.push(chat_body(id, &body)?);
        last = Some((row.get::<_, Value>(2)?, id));
    }
    let next_cursor = match (more, last) {
        (true, Some((value, id))) => Some(encode_cursor(q.sort, value, id)?),
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
