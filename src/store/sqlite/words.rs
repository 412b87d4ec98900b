//! The word index of the dialog list's `q` filter: `chat_words`, an FTS5 table (contentless:
//! the text stays in `messages` and the chat rows; deletes allowed) holding every message's
//! text and every chat's subject, under the chat they belong to now. Written by the writer in
//! the transaction of the commit that adds a message, moves messages (split, merge) or changes
//! a subject, so it never disagrees with the rows.
//!
//! A row id says where its text is: the chat number in the high bits and the message's `seq`
//! in the low 31 bits (0: the subject; a conversation's messages count from 1). A chat's texts
//! are therefore one contiguous range of row ids, which FTS5 can test a word against without
//! scanning, and the chats holding a word are the row ids it lists, shifted. Chat numbers from
//! 2^32 and `seq`s from 2^31 cannot be encoded: such texts are not indexed (a store would need
//! four billion chats, or a conversation two billion messages, to meet them).
//!
//! Words are matched whole, ignoring case and diacritics (`unicode61 remove_diacritics 2`), and
//! `ё` is `е` (which the tokenizer does not fold: Russian writers use them interchangeably), on
//! both sides: [`fold`] before indexing and searching. Each word of a query is one FTS5 phrase,
//! quoted, so nothing a user types is FTS5 syntax.

use rusqlite::{params, Connection};

use crate::store::StoreError;

/// Bits of a row id that hold the `seq` (or 0 for the subject).
const SLOT_BITS: u32 = 31;

/// The row id of the text in `slot` (a message's `seq`, or 0 for the subject) of chat `chat`,
/// if both fit.
pub(super) fn rowid(chat: i64, slot: i64) -> Option<i64> {
    let fits = (0..1 << 32).contains(&chat) && (0..1 << SLOT_BITS).contains(&slot);
    fits.then_some(chat << SLOT_BITS | slot)
}

/// SQL: the chat a `chat_words` row id belongs to.
pub(super) const CHAT_OF_ROWID: &str = "rowid >> 31";

/// SQL: the first and past-the-last row ids of the chat whose number is `expr`.
pub(super) fn range_of(expr: &str) -> (String, String) {
    (format!("(({expr}) << 31)"), format!("((({expr}) + 1) << 31)"))
}

/// `text` as the index sees it: `ё` as `е` (the tokenizer folds case and diacritics itself).
pub(super) fn fold(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['ё', 'Ё']) {
        std::borrow::Cow::Owned(text.replace('ё', "е").replace('Ё', "Е"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn insert(conn: &Connection, rowid: i64, text: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO chat_words (rowid, text) VALUES (?1, ?2)")?
        .execute(params![rowid, fold(text)])?;
    Ok(())
}

fn delete(conn: &Connection, rowid: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM chat_words WHERE rowid = ?1")?.execute([rowid])?;
    Ok(())
}

/// Indexes a new message of chat `chat` (messages outside any chat are not searchable).
pub(super) fn add_message(
    conn: &Connection,
    chat: Option<i64>,
    seq: i64,
    text: &str,
) -> Result<(), StoreError> {
    match chat.and_then(|chat| rowid(chat, seq)) {
        Some(id) if seq > 0 => insert(conn, id, text),
        _ => Ok(()),
    }
}

/// Re-files the words of the messages of `conversation` in chat `from` from `from_seq` on
/// under chat `to`; call it before the messages themselves move.
pub(super) fn move_messages(
    conn: &Connection,
    conversation: &str,
    from: i64,
    to: i64,
    from_seq: i64,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, text FROM messages WHERE conversation = ?1 AND chat = ?2 AND seq >= ?3",
    )?;
    let moving = stmt
        .query_map(params![conversation, from, from_seq], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (seq, text) in moving {
        if let Some(old) = rowid(from, seq) {
            delete(conn, old)?;
        }
        add_message(conn, Some(to), seq, &text)?;
    }
    Ok(())
}

/// The subject of `chat` changed from `old` to `new`.
pub(super) fn set_subject(
    conn: &Connection,
    chat: i64,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), StoreError> {
    let Some(id) = rowid(chat, 0) else { return Ok(()) };
    if old == new {
        return Ok(());
    }
    if old.is_some() {
        delete(conn, id)?;
    }
    match new {
        Some(subject) if !subject.is_empty() => insert(conn, id, subject),
        _ => Ok(()),
    }
}

/// Indexes every stored message (a database upgraded to the word index). Subjects are indexed
/// with their chat rows.
pub(super) const BACKFILL_MESSAGES: &str = "
INSERT INTO chat_words (rowid, text)
SELECT (chat << 31) | seq, replace(replace(text, 'ё', 'е'), 'Ё', 'Е') FROM messages
WHERE chat IS NOT NULL AND chat >= 0 AND chat < 4294967296 AND seq > 0 AND seq < 2147483648;
";

/// `word` as an FTS5 query: one phrase, quoted (a `"` doubled), so it is never read as syntax.
pub(super) fn phrase(word: &str) -> String {
    format!("\"{}\"", fold(word).replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_ids_keep_each_chat_in_its_own_range_and_refuse_what_does_not_fit() {
        assert_eq!(rowid(1, 0), Some(1 << 31));
        assert_eq!(rowid(1, 5), Some((1 << 31) + 5));
        assert_eq!(rowid(2, 0), Some(rowid(1, (1 << 31) - 1).unwrap() + 1), "ranges touch, never overlap");
        assert_eq!(rowid(1 << 32, 1), None);
        assert_eq!(rowid(1, 1 << 31), None);
        assert_eq!(rowid(-1, 1), None);
        assert_eq!(rowid((1 << 32) - 1, (1 << 31) - 1), Some(i64::MAX));
    }

    #[test]
    fn a_word_is_one_quoted_phrase() {
        assert_eq!(phrase("refund"), "\"refund\"");
        assert_eq!(phrase("say \"hi\" OR x*"), "\"say \"\"hi\"\" OR x*\"");
    }

    #[test]
    fn words_match_whole_ignoring_case_and_diacritics_and_syntax_is_text() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE chat_words USING fts5(text, content = '', contentless_delete = 1,
             tokenize = 'unicode61 remove_diacritics 2');",
        )
        .unwrap();
        insert(&conn, rowid(1, 1).unwrap(), "Привет! Ёлка and CAFÉ, order #123").unwrap();
        insert(&conn, rowid(2, 1).unwrap(), "refunds NEAR nothing").unwrap();
        let hits = |word: &str| -> Vec<i64> {
            conn.prepare(&format!("SELECT {CHAT_OF_ROWID} FROM chat_words WHERE chat_words MATCH ?1"))
                .unwrap()
                .query_map([phrase(word)], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(hits("привет"), [1]);
        assert_eq!(hits("елка"), [1], "ё and е are one letter to the index");
        assert_eq!(hits("ЁЛКА"), [1]);
        assert_eq!(hits("cafe"), [1]);
        assert_eq!(hits("order#123"), [1], "tokens in a row");
        assert_eq!(hits("refund"), Vec::<i64>::new(), "whole words");
        assert_eq!(hits("NEAR"), [2], "an operator word is text");
        assert_eq!(hits("\"nothing"), [2]);
        delete(&conn, rowid(2, 1).unwrap()).unwrap();
        assert_eq!(hits("nothing"), Vec::<i64>::new());
    }
}
