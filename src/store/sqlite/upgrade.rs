//! The upgrade to schema version 6, which needs more than DDL: the chat rows of version 5
//! (body and list columns in one wide row) are rebuilt from their bodies into the narrow rows,
//! bodies, tags and subject words of version 6 by the writer's own code (`chat_rows.rs`), so an
//! upgraded row is exactly what this build would have written; then every stored message is
//! indexed for the word search. Runs inside the upgrade's transaction (`schema.rs`).

use rusqlite::Connection;

use super::chat_rows::write_chat;
use super::convert::from_json;
use super::words::BACKFILL_MESSAGES;
use crate::domain::ChatView;
use crate::store::StoreError;

/// Version 5 to 6, with `table_ddl` the new chat tables and `index_ddl` their indexes (from
/// `schema.rs`). A body that cannot be read stops the upgrade (nothing is changed): the row
/// could not be rebuilt, and dropping it would lose a chat.
pub(super) fn split_chat_rows(conn: &Connection, table_ddl: &str, index_ddl: &str) -> Result<(), StoreError> {
    // The old table's indexes would keep their names after the rename; the new ones need them.
    let indexes: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'chats' AND sql IS NOT NULL",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for index in indexes {
        conn.execute_batch(&format!("DROP INDEX \"{}\";", index.replace('"', "\"\"")))?;
    }
    conn.execute_batch("ALTER TABLE chats RENAME TO chats_v5;")?;
    conn.execute_batch(table_ddl)?;
    {
        let mut old = conn.prepare("SELECT id, body FROM chats_v5 ORDER BY id")?;
        let mut rows = old.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let body: String = row.get(1)?;
            let chat: ChatView = from_json(&body, || format!("chat {id} (upgrading the store)"))?;
            write_chat(conn, &chat)?;
        }
    }
    conn.execute_batch(BACKFILL_MESSAGES)?;
    conn.execute_batch("DROP TABLE chats_v5;")?;
    conn.execute_batch(index_ddl)?;
    Ok(())
}
