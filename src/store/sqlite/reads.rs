//! Reads: a small pool of read-only connections used on tokio's blocking threads (WAL lets
//! them read while the writer writes), and the simple queries (journal, messages, chat rows,
//! deadlines). Must never write and never run a query on the caller's thread.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use tokio::sync::Semaphore;

use super::convert::{author_kind, chat_id, conversation, from_json, int, uint};
use super::schema::open_reader;
use crate::domain::{AuthorView, ChatId, ChatView, ConversationId, Event, MessageView, Timestamp};
use crate::store::{snapshot, ConversationHead, Journal, MessageQuery, StoreError, StoreFuture};

/// Read-only connections, opened on demand, at most `size` in use at once.
pub(super) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Readers {
    /// A pool over the database at `path` running at most `size` reads at once.
    pub(super) fn new(path: PathBuf, size: usize) -> Self {
        Self { path, idle: Mutex::new(Vec::new()), permits: Arc::new(Semaphore::new(size.max(1))) }
    }

    /// Runs `read` with a pooled connection on a blocking thread. Nothing happens until the
    /// future is polled (so it may be created outside a runtime).
    pub(super) fn run<T, F>(self: &Arc<Self>, read: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(self);
        Box::pin(async move {
            let permit = Arc::clone(&pool.permits)
                .acquire_owned()
                .await
                .map_err(|_| StoreError::Unavailable("the read pool is closed".into()))?;
            let task = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let conn = pool.take()?;
                let result = read(&conn);
                pool.give(conn);
                result
            });
            task.await.map_err(|e| StoreError::Unavailable(format!("read task failed: {e}")))?
        })
    }

    /// Runs `read` with a pooled connection on the calling thread (blocking; outside the permits,
    /// for a store thread that must not wait on the async pool).
    pub(super) fn run_here<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.take()?;
        let result = read(&conn);
        self.give(conn);
        result
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open_reader(&self.path),
        }
    }

    fn give(&self, conn: Connection) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
    }
}

/// The journal of `conv` from its snapshot on (or from the first event when it has none, or
/// the snapshot cannot be read), checking its positions are dense from there.
pub(super) fn load(conn: &Connection, conv: &ConversationId) -> Result<Journal, StoreError> {
    let key = conv.to_string();
    let stored: Option<(i64, String)> = conn
        .prepare_cached("SELECT n, body FROM snapshots WHERE conversation = ?1")?
        .query_row([&key], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let snapshot = match stored {
        Some((n, body)) => match snapshot::decode(&body) {
            Some(state) => Some((uint(n, "snapshot position")?, state)),
            None => {
                tracing::warn!(conversation = ?key, n, "unreadable snapshot; replaying the whole journal");
                None
            }
        },
        None => None,
    };
    let start = snapshot.as_ref().map_or(0, |(n, _)| *n);
    let mut stmt =
        conn.prepare_cached("SELECT n, body FROM events WHERE conversation = ?1 AND n >= ?2 ORDER BY n")?;
    let rows = stmt.query_map(params![&key, int(start, "journal position")?], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut events = Vec::new();
    for (expected, row) in (int(start, "journal position")?..).zip(rows) {
        let (n, body) = row?;
        if n != expected {
            return Err(StoreError::Corrupt(format!("journal of {key}: position {expected} is missing")));
        }
        events.push(from_json::<Event>(&body, || format!("journal of {key}, position {n}"))?);
    }
    if let Some((n, _)) = &snapshot {
        // The snapshot must be of the journal as stored: the event before it exists.
        let covered: Option<i64> = conn
            .prepare_cached("SELECT max(n) FROM events WHERE conversation = ?1")?
            .query_row([&key], |row| row.get(0))?;
        if covered.map_or(0, |last| last + 1) < int(*n, "snapshot position")? {
            return Err(StoreError::Corrupt(format!(
                "journal of {key}: the snapshot is ahead of the events"
            )));
        }
    }
    Ok(match snapshot {
        Some((start, state)) => Journal { snapshot: Some(state), start, events },
        None => Journal::of_events(events),
    })
}

/// Whether `conv` has a journal, and its latest chat.
pub(super) fn conversation_head(
    conn: &Connection,
    conv: &ConversationId,
) -> Result<Option<ConversationHead>, StoreError> {
    let key = conv.to_string();
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM events WHERE conversation = ?1)")?
        .query_row([&key], |row| row.get(0))?;
    if !exists {
        return Ok(None);
    }
    let latest: Option<i64> = conn
        .prepare_cached("SELECT max(id) FROM chats WHERE conversation = ?1 AND merged_into IS NULL")?
        .query_row([&key], |row| row.get(0))?;
    Ok(Some(ConversationHead { latest_chat: chat_id(latest)? }))
}

const MESSAGE_COLUMNS: &str = "seq, chat, author_kind, author_id, text, at, client_msg_id, private";

type MessageRow = (i64, Option<i64>, String, String, String, i64, Option<String>, bool);

fn message_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ))
}

fn message_view(conv: &ConversationId, row: MessageRow) -> Result<MessageView, StoreError> {
    let (seq, chat, kind, author, text, at, client_msg_id, private) = row;
    Ok(MessageView {
        conversation: conv.clone(),
        chat: chat_id(chat)?,
        seq: uint(seq, "seq")?,
        author: AuthorView { kind: author_kind(&kind)?, id: author },
        text,
        at: Timestamp(at),
        client_msg_id,
        private,
    })
}

/// The message `author` sent in `conv` with idempotency key `key`.
pub(super) fn find_message(
    conn: &Connection,
    conv: &ConversationId,
    author: &AuthorView,
    key: &str,
) -> Result<Option<MessageView>, StoreError> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages
         WHERE conversation = ?1 AND author_kind = ?2 AND author_id = ?3 AND client_msg_id = ?4"
    );
    let params = [conv.to_string(), author.kind.as_str().to_string(), author.id.clone(), key.to_string()];
    let row = conn.prepare_cached(&sql)?.query_row(params, message_row).optional()?;
    row.map(|r| message_view(conv, r)).transpose()
}

/// The latest `query.limit` messages before `query.before_seq`, oldest first.
pub(super) fn messages(conn: &Connection, query: &MessageQuery) -> Result<Vec<MessageView>, StoreError> {
    let mut sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = ?");
    let mut params = vec![Value::Text(query.conversation.to_string())];
    if let Some(chat) = query.chat {
        sql.push_str(" AND chat = ?");
        params.push(Value::Integer(int(chat.0, "chat id")?));
    }
    if let Some(before) = query.before_seq {
        sql.push_str(" AND seq < ?");
        // A bound beyond SQLite's integers excludes nothing.
        params.push(Value::Integer(i64::try_from(before).unwrap_or(i64::MAX)));
    }
    if !query.include_private {
        sql.push_str(" AND private = 0");
    }
    sql.push_str(" ORDER BY seq DESC LIMIT ?");
    params.push(Value::Integer(i64::try_from(query.limit).unwrap_or(i64::MAX)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params), message_row)?;
    let mut items = Vec::new();
    for row in rows {
        items.push(message_view(&query.conversation, row?)?);
    }
    items.reverse();
    Ok(items)
}

/// A chat row's body.
pub(super) fn chat_body(id: i64, body: &str) -> Result<ChatView, StoreError> {
    from_json(body, || format!("chat {id}"))
}

/// The chat row `id`.
pub(super) fn chat(conn: &Connection, id: ChatId) -> Result<Option<ChatView>, StoreError> {
    let Ok(key) = i64::try_from(id.0) else { return Ok(None) };
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM chat_bodies WHERE id = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    body.map(|b| chat_body(key, &b)).transpose()
}

/// Every active or closing chat, by number.
pub(super) fn open_chats(conn: &Connection) -> Result<Vec<ChatView>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, b.body FROM chats c JOIN chat_bodies b ON b.id = c.id
         WHERE c.phase IN ('active', 'closing') ORDER BY c.id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    let mut chats = Vec::new();
    for row in rows {
        let (id, body) = row?;
        chats.push(chat_body(id, &body)?);
    }
    Ok(chats)
}

/// Deadlines at or before `until`, earliest first (then by conversation), at most `limit`.
pub(super) fn due(
    conn: &Connection,
    until: Timestamp,
    limit: usize,
) -> Result<Vec<(ConversationId, Timestamp)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT conversation, due FROM deadlines WHERE due <= ?1 ORDER BY due, conversation LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows =
        stmt.query_map([until.millis(), limit], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut due = Vec::new();
    for row in rows {
        let (conv, at) = row?;
        due.push((conversation(&conv)?, Timestamp(at)));
    }
    Ok(due)
}

/// The highest chat number stored (0 when none).
pub(super) fn max_chat_id(conn: &Connection) -> Result<u64, StoreError> {
    let max: Option<i64> = conn.query_row("SELECT max(id) FROM chats", [], |r| r.get(0))?;
    max.map_or(Ok(0), |m| uint(m, "chat id"))
}
