//! Writing a chat's row: its narrow list row (`chats`), its body (`chat_bodies`), its tags and
//! its subject's words, all from one [`ChatView`] so they cannot disagree. Used by the writer
//! for every commit and by the upgrade that builds version 6 from older rows. Must not begin,
//! commit or roll back anything.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use super::columns::{value, Field, COLUMNS};
use super::convert::{from_json, int, to_json};
use super::tags::{self, TagKind};
use super::words;
use crate::domain::ChatView;
use crate::store::{SortColumn, StoreError};

/// `INSERT INTO chats (...) VALUES (...)` over every list column.
fn insert_sql() -> String {
    let names: String = COLUMNS.iter().map(|c| format!(", {}", c.sql)).collect();
    let marks: String = (0..COLUMNS.len()).map(|i| format!(", ?{}", i + 4)).collect();
    format!("INSERT INTO chats (id, merged_into, conversation{names}) VALUES (?1, ?2, ?3{marks})")
}

/// `SELECT <every list column> FROM chats WHERE id = ?1`.
fn select_sql() -> String {
    let names: Vec<&str> = COLUMNS.iter().map(|c| c.sql).collect();
    format!("SELECT {} FROM chats WHERE id = ?1", names.join(", "))
}

/// A stored JSON list column back as its strings.
fn stored_list(id: i64, stored: &Value) -> Result<Vec<String>, StoreError> {
    match stored {
        Value::Text(json) => from_json(json, || format!("chat {id}: a list column")),
        _ => Ok(Vec::new()),
    }
}

fn text_of(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

/// Writes the row of `chat`: a new row in full; an existing one with its body and only the
/// list columns whose value changed (each indexed column rewritten costs a page the commit must
/// write and sync; skipping unchanged ones makes a typical update several times cheaper), and
/// its tags and subject words where they changed.
pub(super) fn write_chat(conn: &Connection, chat: &ChatView) -> Result<(), StoreError> {
    thread_local! {
        static INSERT: String = insert_sql();
        static SELECT: String = select_sql();
    }
    let id = int(chat.id.0, "chat id")?;
    let merged_into =
        chat.merged_into.map(|c| int(c.0, "chat id")).transpose()?.map_or(Value::Null, Value::Integer);
    let columns: Vec<Value> = COLUMNS.iter().map(|c| value(chat, c.field)).collect();
    conn.prepare_cached(
        "INSERT INTO chat_bodies (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
    )?
    .execute(params![id, to_json(chat, "chat")?])?;

    let stored: Option<Vec<Value>> = SELECT.with(|sql| {
        conn.prepare_cached(sql)?
            .query_row([id], |row| (0..COLUMNS.len()).map(|i| row.get::<_, Value>(i)).collect())
            .optional()
    })?;
    let Some(stored) = stored else {
        let conversation = Value::Text(chat.conversation.to_string());
        let mut values = vec![Value::Integer(id), merged_into, conversation];
        values.extend(columns);
        INSERT.with(|sql| -> Result<(), StoreError> {
            conn.prepare_cached(sql)?.execute(params_from_iter(values))?;
            Ok(())
        })?;
        for (kind, list) in lists(chat) {
            tags::sync(conn, id, kind, &[], &list)?;
        }
        return words::set_subject(conn, id, None, chat.subject.as_deref());
    };
    let mut sql = String::from("UPDATE chats SET merged_into = ?");
    let mut values = vec![merged_into];
    for ((column, new), old) in COLUMNS.iter().zip(columns).zip(stored) {
        if new == old {
            continue;
        }
        if let Some(kind) = TagKind::of(column.field) {
            tags::sync(conn, id, kind, &stored_list(id, &old)?, &stored_list(id, &new)?)?;
        }
        if column.field == Field::Sort(SortColumn::Subject) {
            words::set_subject(conn, id, text_of(&old), text_of(&new))?;
        }
        sql.push_str(", ");
        sql.push_str(column.sql);
        sql.push_str(" = ?");
        values.push(new);
    }
    sql.push_str(" WHERE id = ?");
    values.push(Value::Integer(id));
    conn.prepare_cached(&sql)?.execute(params_from_iter(values))?;
    Ok(())
}

/// The tag lists of `chat`.
fn lists(chat: &ChatView) -> [(TagKind, Vec<String>); 3] {
    [
        (TagKind::Participant, chat.participants.iter().map(ToString::to_string).collect()),
        (TagKind::Reason, chat.reasons.clone()),
        (TagKind::Component, chat.components.clone()),
    ]
}
