//! Writing one [`Commit`] into the open transaction of the writer: the fencing check, journal
//! records, messages (and their words), message moves, chat rows (`chat_rows.rs`), outbox rows
//! and the deadline; and the outbox's
//! own updates (delivered, retry later, park, re-queue). Must not begin, commit or roll back anything:
//! isolating a write is the writer's job (a savepoint around each).

use rusqlite::{params, Connection, ErrorCode, OptionalExtension};

use super::chat_rows::write_chat;
use super::convert::{int, to_json, uint};
use super::words;
use crate::domain::{ConversationId, MessageView, Timestamp};
use crate::store::{snapshot, Commit, DeadlineRow, Outbound, StoreError};

/// Writes `commit`. Fails with [`StoreError::Conflict`] unless the journal of the conversation
/// holds exactly `commit.position` events, before writing anything.
pub(super) fn apply(conn: &Connection, commit: &Commit) -> Result<(), StoreError> {
    // The journal must continue exactly where it ends: a lower position means another writer
    // got there first (fencing), a higher one a writer with a wrong view of the journal. Both
    // are cured the same way: reload and decide again.
    if stored_end(conn, &commit.conversation)? != commit.position {
        return Err(StoreError::Conflict {
            conversation: commit.conversation.clone(),
            position: commit.position,
        });
    }
    write(conn, commit)
}

/// The last journal record the database holds (0: none).
pub(super) fn journal_applied(conn: &Connection) -> Result<u64, StoreError> {
    let seq: Option<i64> = conn
        .prepare_cached("SELECT seq FROM journal_applied WHERE id = 0")?
        .query_row([], |row| row.get(0))
        .optional()?;
    seq.map_or(Ok(0), |seq| uint(seq, "journal record"))
}

/// Records that the database holds every journal record up to `seq` (in the transaction that
/// writes it).
pub(super) fn mark_journal_applied(conn: &Connection, seq: u64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO journal_applied (id, seq) VALUES (0, ?1) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq",
    )?
    .execute([int(seq, "journal record")?])?;
    Ok(())
}

/// How many events of `conversation` are stored.
pub(super) fn stored_end(conn: &Connection, conversation: &ConversationId) -> Result<u64, StoreError> {
    let last: Option<i64> = conn
        .prepare_cached("SELECT max(n) FROM events WHERE conversation = ?1")?
        .query_row([conversation.to_string()], |row| row.get(0))?;
    last.map_or(Ok(0), |n| uint(n + 1, "journal position"))
}

/// Writes every part of `commit`, whose position is checked.
fn write(conn: &Connection, commit: &Commit) -> Result<(), StoreError> {
    let conversation = commit.conversation.to_string();
    let conflict =
        || StoreError::Conflict { conversation: commit.conversation.clone(), position: commit.position };
    write_events(conn, &conversation, commit, conflict)?;
    for message in &commit.messages {
        write_message(conn, &conversation, message)?;
    }
    let mut moves = conn.prepare_cached(
        "UPDATE messages SET chat = ?1 WHERE conversation = ?2 AND chat = ?3 AND seq >= ?4",
    )?;
    for m in &commit.moves {
        let (to, from, from_seq) =
            (int(m.to_chat.0, "chat id")?, int(m.from_chat.0, "chat id")?, int(m.from_seq, "seq")?);
        words::move_messages(conn, &conversation, from, to, from_seq)?;
        moves.execute(params![to, conversation, from, from_seq])?;
    }
    for chat in &commit.chats {
        write_chat(conn, chat)?;
    }
    for outbound in &commit.outbox {
        write_outbound(conn, outbound)?;
    }
    if let Some(state) = &commit.snapshot {
        conn.prepare_cached(
            "INSERT INTO snapshots (conversation, n, body) VALUES (?1, ?2, ?3)
             ON CONFLICT (conversation) DO UPDATE SET n = excluded.n, body = excluded.body",
        )?
        .execute(params![
            conversation,
            int(commit.end(), "journal position")?,
            snapshot::encode(state)
                .map_err(|e| StoreError::Unavailable(format!("cannot encode a snapshot: {e}")))?
        ])?;
    }
    match commit.deadline {
        DeadlineRow::Keep => 0,
        DeadlineRow::Set(due) => conn
            .prepare_cached(
                "INSERT INTO deadlines (conversation, due) VALUES (?1, ?2)
                 ON CONFLICT (conversation) DO UPDATE SET due = excluded.due",
            )?
            .execute(params![conversation, due.millis()])?,
        DeadlineRow::Clear => {
            conn.prepare_cached("DELETE FROM deadlines WHERE conversation = ?1")?.execute([&conversation])?
        }
    };
    Ok(())
}

fn write_events(
    conn: &Connection,
    conversation: &str,
    commit: &Commit,
    conflict: impl Fn() -> StoreError,
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached("INSERT INTO events (conversation, n, body) VALUES (?1, ?2, ?3)")?;
    for (i, event) in commit.events.iter().enumerate() {
        let n = commit.position.saturating_add(i as u64);
        match insert.execute(params![conversation, int(n, "journal position")?, to_json(event, "event")?]) {
            Ok(_) => {}
            // The primary key is the fencing guard of last resort.
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == ErrorCode::ConstraintViolation => {
                return Err(conflict())
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn write_message(conn: &Connection, conversation: &str, m: &MessageView) -> Result<(), StoreError> {
    let chat = m.chat.map(|c| int(c.0, "chat id")).transpose()?;
    let seq = int(m.seq, "seq")?;
    conn.prepare_cached(
        "INSERT INTO messages (conversation, seq, chat, author_kind, author_id, text, at, client_msg_id, private)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        conversation,
        seq,
        chat,
        m.author.kind.as_str(),
        m.author.id,
        m.text,
        m.at.millis(),
        m.client_msg_id,
        m.private,
    ])?;
    words::add_message(conn, chat, seq, &m.text)
}

/// A new outbox row: no attempts yet, due when decided.
fn write_outbound(conn: &Connection, o: &Outbound) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO outbox (id, conversation, n, channel, url, payload, attempts, next_at, created_at, queued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7, ?7)",
    )?
    .execute(params![
        o.id,
        o.conversation.to_string(),
        int(o.position, "journal position")?,
        o.channel.as_str(),
        o.url,
        to_json(&o.payload, "webhook payload")?,
        o.created_at.millis(),
    ])?;
    Ok(())
}

/// Removes the delivered outbox row `id`.
pub(super) fn delivered(conn: &Connection, id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM outbox WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// Reschedules outbox row `id`, and holds back the later rows of its conversation as long: they
/// wait for it anyway, and keeping them from being due keeps the due query from walking them.
pub(super) fn retry_later(
    conn: &Connection,
    id: &str,
    attempts: u32,
    next_at: Timestamp,
) -> Result<(), StoreError> {
    let row: Option<(String, i64)> = conn
        .prepare_cached("SELECT conversation, n FROM outbox WHERE id = ?1 AND parked_at IS NULL")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((conversation, n)) = row else { return Ok(()) };
    conn.prepare_cached("UPDATE outbox SET attempts = ?2, next_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        attempts,
        next_at.millis()
    ])?;
    conn.prepare_cached(
        "UPDATE outbox SET next_at = ?3
         WHERE conversation = ?1 AND n > ?2 AND next_at < ?3 AND parked_at IS NULL",
    )?
    .execute(params![conversation, n, next_at.millis()])?;
    Ok(())
}

/// Parks the pending outbox row `id` (an unknown or parked one is left alone). The later rows
/// of its conversation were held back to its last `next_at`, which has passed: they come due.
pub(super) fn park(
    conn: &Connection,
    id: &str,
    attempts: u32,
    at: Timestamp,
    reason: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = ?2, parked_at = ?3, reason = ?4 WHERE id = ?1 AND parked_at IS NULL",
    )?
    .execute(params![id, attempts, at.millis(), reason])?;
    Ok(())
}

/// Puts the parked outbox row `id` back in the queue, due and aged from `now`; whether there was
/// such a row.
pub(super) fn requeue(conn: &Connection, id: &str, now: Timestamp) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE outbox SET attempts = 0, next_at = ?2, queued_at = ?2, parked_at = NULL, reason = NULL
             WHERE id = ?1 AND parked_at IS NOT NULL",
        )?
        .execute(params![id, now.millis()])?;
    Ok(changed > 0)
}
