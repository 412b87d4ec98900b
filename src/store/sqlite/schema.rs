//! The database file, its tables and indexes, and how connections are opened (pragmas). Owns
//! the DDL and the schema version; must not hold any query of the running store.
//!
//! Tables:
//! - `events(conversation, n, body)`, primary key `(conversation, n)`: the journal. The
//!   position `n` is the fencing guard: a second writer at a written position fails.
//! - `messages(conversation, seq, chat, author_kind, author_id, text, at, client_msg_id,
//!   private)`, primary key `(conversation, seq)` (a chat's messages are read through it: they
//!   are a range of their conversation's), indexed uniquely by
//!   `(conversation, author_kind, author_id, client_msg_id)` where a key is set (idempotency: each
//!   author's keys are their own).
//! - `chats(id, merged_into, conversation, <list columns>)`: one narrow row per chat, one column
//!   per filter and sort key, the most used ones indexed together with `created_at` (see
//!   `columns.rs`); `participants`, `reasons`, `components` are JSON arrays. Narrow, so that
//!   the dialog list and reports read many rows per page.
//! - `chat_bodies(id, body)`: the [`ChatView`] JSON of each chat, read only for the rows a page
//!   shows.
//! - `chat_tags(kind, value, chat)`, primary key in that order: one entry per participant,
//!   reason and component of a chat (`tags.rs`), so "chats having any of these" is an index
//!   range, not a scan of JSON.
//! - `chat_words`: an FTS5 index (contentless, with deletes; `unicode61`, case and diacritics
//!   folded) of every message's text under the chat holding it, and of each chat's subject
//!   (`words.rs`).
//! - `deadlines(conversation, due)`, indexed by `due`: each conversation's next timer.
//! - `outbox(id, conversation, n, channel, url, payload, attempts, next_at, created_at,
//!   queued_at, parked_at, reason)`: webhook deliveries not yet accepted. A pending row has no
//!   `parked_at`; the pending rows are indexed by `next_at` (what is due) and by
//!   `(conversation, n)` (`n` is the journal position of the delivered event: a conversation's
//!   deliveries go out in that order); parked rows (given up on, with `parked_at` and `reason`)
//!   by `(parked_at, id)`, the order admins list them in. Partial indexes: a row is in exactly
//!   one of the two sets, so polls never walk parked rows and parking costs no index entry of
//!   the pending set.
//! - `chats.conversation`, indexed with the id: a conversation's latest chat without loading it
//!   (a client's welcome).
//! - `snapshots(conversation, n, body)`: the state after the first `n` events of a
//!   conversation, so activation reads the snapshot and the events after it, not the whole
//!   journal.
//!
//! Versions: 2 added the outbox; 3 dropped the write-heavy indexes; 4 added parking
//! (`queued_at`, `parked_at`, `reason`, the partial indexes); 5 added `chats.conversation` and
//! the snapshots; 6 split the chat bodies off, added the filter columns, the tags and the word
//! index (rebuilt from the stored bodies and messages, `upgrade.rs`); 7 added `journal_applied`
//! (how far the embedded journal is in the database). Older databases are
//! upgraded when opened, one step after the other in one transaction; a fresh database is
//! created at the current version.
//!
//! [`ChatView`]: crate::domain::ChatView

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::columns::COLUMNS;
use super::upgrade;
use crate::store::StoreError;

/// The database file inside the data directory.
pub(super) const FILE_NAME: &str = "frontline.sqlite3";

/// `PRAGMA user_version` of the schema this build creates and reads.
pub(super) const SCHEMA_VERSION: i64 = 7;

/// How long a connection waits for a lock held by another one (a checkpoint, a second process
/// during a fail-over) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const TABLES: &str = "
CREATE TABLE events (
    conversation TEXT NOT NULL,
    n INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (conversation, n)
) WITHOUT ROWID;
CREATE TABLE messages (
    conversation TEXT NOT NULL,
    seq INTEGER NOT NULL,
    chat INTEGER,
    author_kind TEXT NOT NULL,
    author_id TEXT NOT NULL,
    text TEXT NOT NULL,
    at INTEGER NOT NULL,
    client_msg_id TEXT,
    private INTEGER NOT NULL,
    PRIMARY KEY (conversation, seq)
);
CREATE UNIQUE INDEX messages_by_key ON messages (conversation, author_kind, author_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL;
CREATE TABLE deadlines (
    conversation TEXT PRIMARY KEY,
    due INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX deadlines_by_due ON deadlines (due, conversation);
";

/// Version 2: the webhook outbox.
const OUTBOX: &str = "
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    conversation TEXT NOT NULL,
    n INTEGER NOT NULL,
    channel TEXT NOT NULL,
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_by_next_at ON outbox (next_at);
CREATE INDEX outbox_by_conversation ON outbox (conversation, n);
";

/// Version 4: parking. `queued_at` is when a row last entered the queue (its age counts from
/// there; existing rows entered when decided); the pending-row indexes become partial and parked
/// rows get their own.
const PARKING: &str = "
ALTER TABLE outbox ADD COLUMN queued_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN parked_at INTEGER;
ALTER TABLE outbox ADD COLUMN reason TEXT;
UPDATE outbox SET queued_at = created_at;
DROP INDEX IF EXISTS outbox_by_next_at;
DROP INDEX IF EXISTS outbox_by_conversation;
CREATE INDEX outbox_pending_by_next_at ON outbox (next_at) WHERE parked_at IS NULL;
CREATE INDEX outbox_pending_by_conversation ON outbox (conversation, n) WHERE parked_at IS NULL;
CREATE INDEX outbox_parked ON outbox (parked_at, id) WHERE parked_at IS NOT NULL;
";

/// Version 5: each chat row names its conversation (the welcome reads a conversation's latest
/// chat by it), and conversations keep a snapshot of their state.
const SNAPSHOTS: &str = "
CREATE INDEX chats_by_conversation ON chats (conversation, id);
CREATE TABLE snapshots (
    conversation TEXT PRIMARY KEY,
    n INTEGER NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
";

/// The snapshots table alone (a fresh database gets the chats index with the table).
const SNAPSHOTS_TABLE: &str = "
CREATE TABLE snapshots (
    conversation TEXT PRIMARY KEY,
    n INTEGER NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
";

/// Version 7: the last record of the embedded journal (`store::journal`) that the database
/// holds, written in the same transaction as the record's rows (one row, id 0).
const JOURNAL_APPLIED: &str = "
CREATE TABLE journal_applied (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    seq INTEGER NOT NULL
);
";

/// Version 4 to 5 on an existing database: the column is added and filled from the rows.
const CHATS_CONVERSATION: &str = "
ALTER TABLE chats ADD COLUMN conversation TEXT;
UPDATE chats SET conversation = json_extract(body, '$.conversation');
";

/// Version 6: the chat bodies, tags and words beside the narrow chat rows.
const CHAT_SIDE_TABLES: &str = "
CREATE TABLE chat_bodies (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE chat_tags (
    kind INTEGER NOT NULL,
    value TEXT NOT NULL,
    chat INTEGER NOT NULL,
    PRIMARY KEY (kind, value, chat)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE chat_words USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
";

/// `CREATE TABLE chats` (version 6: no body), from the list columns.
fn chats_table_ddl() -> String {
    let columns: String = COLUMNS.iter().map(|c| format!(",\n    {} {}", c.sql, c.kind.sql())).collect();
    format!(
        "CREATE TABLE chats (\n    id INTEGER PRIMARY KEY,\n    merged_into INTEGER,\n    \
         conversation TEXT{columns}\n);\n{CHAT_SIDE_TABLES}"
    )
}

/// The indexes of `chats`: `created_at` alone (the default order), every other indexed column
/// with `created_at` after it, and the conversation with the id.
fn chats_index_ddl() -> String {
    let mut ddl = String::from("CREATE INDEX chats_by_conversation ON chats (conversation, id);\n");
    for c in COLUMNS.iter().filter(|c| c.indexed) {
        if c.sql == "created_at" {
            ddl.push_str("CREATE INDEX chats_by_created_at ON chats (created_at);\n");
        } else {
            ddl.push_str(&format!("CREATE INDEX chats_by_{0} ON chats ({0}, created_at);\n", c.sql));
        }
    }
    ddl
}

/// Opens (creating if needed) the database for writing: WAL, `synchronous = NORMAL`, schema
/// created or checked.
///
/// NORMAL does not sync the WAL at commit: the writer's syncer thread does it for every batch
/// before answering (see `sync.rs`), so the next batch is written while the previous one
/// reaches the disk. SQLite still syncs the WAL before each checkpoint and the database after
/// it, so a page is on disk in the WAL or in the database before its WAL frame is reused.
pub(super) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable(format!("sqlite refused WAL mode (journal_mode = {mode})")));
    }
    // NORMAL, not OFF: checkpoints must sync (see above). Commits are synced by the syncer.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let sync: i64 = conn.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    if sync != 1 {
        return Err(StoreError::Unavailable(format!("sqlite refused synchronous = NORMAL ({sync})")));
    }
    // Savepoint sub-journals (one per commit of a batch) only serve rollbacks inside the open
    // transaction: memory is enough, and keeps them off the disk.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // The writer touches the tails of many indexes; keep them cached (KiB, negative = size).
    conn.pragma_update(None, "cache_size", -64 * 1024)?;
    // Checkpoints run on the checkpointer's connection (`checkpoint.rs`), not inside commits.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.set_prepared_statement_cache_capacity(256);
    create_or_check(&conn)?;
    Ok(conn)
}

/// Opens the checkpointer's connection to the database the writer created: `synchronous =
/// NORMAL` too, so that its checkpoints sync the WAL before copying and the database after.
pub(super) fn open_checkpointer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// Opens the WAL file of the database `path` (the writer connection has created it) for the
/// syncer: `fdatasync` on it makes every frame written so far durable.
pub(super) fn open_wal(path: &Path) -> Result<File, StoreError> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    File::options().read(true).write(true).open(&wal).map_err(|e| {
        StoreError::Unavailable(format!("cannot open the WAL file {}: {e}", Path::new(&wal).display()))
    })
}

/// Opens a read-only connection to the database the writer created.
pub(super) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Creates the schema in an empty database, upgrades an older one of ours, or checks an
/// existing one is ours and current.
fn create_or_check(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    if !(0..SCHEMA_VERSION).contains(&version) {
        return Err(StoreError::Unavailable(format!(
            "the database has schema version {version}; this build reads version {SCHEMA_VERSION}"
        )));
    }
    if version == 0 {
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
        if tables != 0 {
            return Err(StoreError::Unavailable("the database file is not a frontline store".into()));
        }
        return in_transaction(conn, |conn| {
            conn.execute_batch(&format!(
                "{TABLES}{}{}{OUTBOX}{PARKING}{SNAPSHOTS_TABLE}{JOURNAL_APPLIED}PRAGMA user_version = {SCHEMA_VERSION};\n",
                chats_table_ddl(),
                chats_index_ddl()
            ))?;
            Ok(())
        });
    }
    // Every step from the stored version up, in one transaction.
    tracing::info!(from = version, to = SCHEMA_VERSION, "upgrading the store's schema");
    in_transaction(conn, |conn| {
        for step in version + 1..=SCHEMA_VERSION {
            upgrade_to(conn, step)?;
        }
        conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))?;
        Ok(())
    })
}

/// Takes a database from version `step - 1` to `step`.
fn upgrade_to(conn: &Connection, step: i64) -> Result<(), StoreError> {
    let ddl = match step {
        2 => OUTBOX.to_string(),
        3 => fewer_indexes(),
        4 => PARKING.to_string(),
        5 => format!("{CHATS_CONVERSATION}{SNAPSHOTS}"),
        6 => return upgrade::split_chat_rows(conn, &chats_table_ddl(), &chats_index_ddl()),
        7 => JOURNAL_APPLIED.to_string(),
        _ => String::new(),
    };
    conn.execute_batch(&ddl)?;
    Ok(())
}

/// Version 3: the indexes a message would rewrite on every write, and the per-chat message
/// index, are gone (each cost a page write per message). (Which columns keep an index is what
/// the chat rows of later versions say; version 6 rebuilds the table and its indexes anyway.)
fn fewer_indexes() -> String {
    let mut ddl = String::from("DROP INDEX IF EXISTS messages_by_chat;\n");
    for c in COLUMNS.iter().filter(|c| !c.indexed) {
        ddl.push_str(&format!("DROP INDEX IF EXISTS chats_by_{};\n", c.sql));
    }
    ddl
}

/// Runs `write` in one transaction, rolled back when it fails.
fn in_transaction(
    conn: &Connection,
    write: impl FnOnce(&Connection) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    match write(conn).and_then(|()| Ok(conn.execute_batch("COMMIT")?)) {
        Ok(()) => Ok(()),
        Err(e) => {
            // Best effort: a failed creation or upgrade leaves nothing half done behind.
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Makes the creation of `dir` itself durable: fsyncs the directory holding it (POSIX needs
/// the parent's entry synced for a new directory to survive power loss).
pub(super) fn sync_parent_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent)
            .and_then(|f| f.sync_all())
            .map_err(|e| StoreError::Unavailable(format!("cannot sync {}: {e}", parent.display())))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
