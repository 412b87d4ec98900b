//! Chat tags: one `chat_tags (kind, value, chat)` entry per participant, reason and component
//! of a chat, kept equal to the lists of its row by the writer, so that "chats having any of
//! these" is a range of the primary key instead of a scan of every row's JSON. Must only be
//! written from the writer's transaction, together with the row.

use rusqlite::{params, Connection};

use super::columns::Field;
use crate::store::StoreError;

/// What a tag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagKind {
    /// An invited operator (`participants`).
    Participant,
    /// A value of `reasons`.
    Reason,
    /// A value of `components`.
    Component,
}

impl TagKind {
    /// The number stored in `chat_tags.kind`.
    pub(super) fn code(self) -> i64 {
        match self {
            TagKind::Participant => 1,
            TagKind::Reason => 2,
            TagKind::Component => 3,
        }
    }

    /// The tags a list column holds, if it is one.
    pub(super) fn of(field: Field) -> Option<TagKind> {
        match field {
            Field::Participants => Some(TagKind::Participant),
            Field::Reasons => Some(TagKind::Reason),
            Field::Components => Some(TagKind::Component),
            _ => None,
        }
    }
}

/// Makes the tags of `kind` of `chat` the values of `new`, given they were those of `old`.
pub(super) fn sync(
    conn: &Connection,
    chat: i64,
    kind: TagKind,
    old: &[String],
    new: &[String],
) -> Result<(), StoreError> {
    let mut delete =
        conn.prepare_cached("DELETE FROM chat_tags WHERE kind = ?1 AND value = ?2 AND chat = ?3")?;
    for gone in old.iter().filter(|v| !new.contains(v)) {
        delete.execute(params![kind.code(), gone, chat])?;
    }
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO chat_tags (kind, value, chat) VALUES (?1, ?2, ?3)")?;
    for added in new.iter().filter(|v| !old.contains(v)) {
        insert.execute(params![kind.code(), added, chat])?;
    }
    Ok(())
}
