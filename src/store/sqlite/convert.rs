//! Conversions at the SQLite boundary: integers (SQLite stores `i64`, the domain counts in
//! `u64`), conversation ids and enums as text, JSON bodies, and SQLite errors as
//! [`StoreError`]s. Owns no SQL.

use serde::de::DeserializeOwned;

use crate::domain::{AuthorKind, ChatId, ConversationId};
use crate::store::StoreError;

/// Every SQLite failure is the backend failing: the store is unavailable, with SQLite's words.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Unavailable(format!("sqlite: {e}"))
    }
}

/// `value` as SQLite's integer; numbers above `i64::MAX` cannot be stored.
pub(super) fn int(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Unavailable(format!("{what} {value} is out of range")))
}

/// A stored integer back as the domain's unsigned number; a negative one is corruption.
pub(super) fn uint(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} is negative")))
}

/// An optional stored chat number.
pub(super) fn chat_id(value: Option<i64>) -> Result<Option<ChatId>, StoreError> {
    value.map(|v| uint(v, "chat id").map(ChatId)).transpose()
}

/// A stored `<channel>:<client_id>`.
pub(super) fn conversation(text: &str) -> Result<ConversationId, StoreError> {
    ConversationId::parse(text).ok_or_else(|| StoreError::Corrupt(format!("bad conversation id {text:?}")))
}

/// A stored `author.kind` wire name.
pub(super) fn author_kind(text: &str) -> Result<AuthorKind, StoreError> {
    [AuthorKind::Client, AuthorKind::Operator, AuthorKind::Bot, AuthorKind::System]
        .into_iter()
        .find(|k| k.as_str() == text)
        .ok_or_else(|| StoreError::Corrupt(format!("bad author kind {text:?}")))
}

/// A stored JSON body; `what` names the record in the error.
pub(super) fn from_json<T: DeserializeOwned>(
    body: &str,
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("{}: {e}", what())))
}

/// A value as JSON text for storing.
pub(super) fn to_json<T: serde::Serialize>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Unavailable(format!("cannot encode {what}: {e}")))
}
