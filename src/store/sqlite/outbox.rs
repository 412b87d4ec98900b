//! Reads of the webhook outbox: the due pending rows (each conversation's earliest only), the
//! parked rows page by page (keyset cursor over `(parked_at, id)`), and how many are parked.
//! Must never write: parking and re-queueing are the writer's (`apply.rs`).

use rusqlite::{params, Connection, Row};
use serde::{Deserialize, Serialize};

use super::convert::{conversation, from_json, uint};
use crate::domain::Timestamp;
use crate::store::{OutboundRow, ParkedPage, ParkedRow, StoreError};

/// Page size of the parked list when none is given, and the largest.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

/// The due pending rows that head their conversation (no earlier row of it is pending; parked
/// rows hold nothing back), earliest `next_at` first, at most `limit`.
pub(super) fn due_outbound(
    conn: &Connection,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<OutboundRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, conversation, n, channel, url, payload, attempts, next_at, created_at, queued_at
         FROM outbox AS o
         WHERE next_at <= ?1 AND parked_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM outbox AS e
                           WHERE e.conversation = o.conversation AND e.n < o.n AND e.parked_at IS NULL)
         ORDER BY next_at, conversation, n
         LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut rows = stmt.query(params![now.millis(), limit])?;
    let mut due = Vec::new();
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        due.push(OutboundRow {
            conversation: conversation(&r.get::<_, String>(1)?)?,
            position: uint(r.get(2)?, "journal position")?,
            channel: r.get::<_, String>(3)?.into(),
            url: r.get(4)?,
            payload: from_json(&r.get::<_, String>(5)?, || format!("outbox row {id}"))?,
            attempts: attempts(&id, r.get(6)?)?,
            next_at: Timestamp(r.get(7)?),
            created_at: Timestamp(r.get(8)?),
            queued_at: Timestamp(r.get(9)?),
            id,
        });
    }
    Ok(due)
}

/// Where a page of parked rows continues: after this row in `(parked_at, id)` order.
#[derive(Serialize, Deserialize)]
struct Cursor {
    parked_at: i64,
    id: String,
}

/// Parked rows oldest parked first (ties by id), after `cursor`, at most `limit` (0 = 50, capped
/// at 500).
pub(super) fn parked(
    conn: &Connection,
    cursor: Option<&str>,
    limit: usize,
) -> Result<ParkedPage, StoreError> {
    let limit = if limit == 0 { DEFAULT_LIMIT } else { limit.min(MAX_LIMIT) };
    let after = cursor.map(decode_cursor).transpose()?;
    // One more than the page: whether there is a next one.
    let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    const COLUMNS: &str = "id, conversation, n, channel, payload, attempts, created_at, parked_at, reason";
    let mut items = Vec::new();
    match &after {
        None => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE parked_at IS NOT NULL ORDER BY parked_at, id LIMIT ?1"
            ))?;
            let mut rows = stmt.query([fetch])?;
            while let Some(r) = rows.next()? {
                items.push(parked_row(r)?);
            }
        }
        Some(c) => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE parked_at IS NOT NULL AND (parked_at, id) > (?1, ?2)
                 ORDER BY parked_at, id LIMIT ?3"
            ))?;
            let mut rows = stmt.query(params![c.parked_at, c.id, fetch])?;
            while let Some(r) = rows.next()? {
                items.push(parked_row(r)?);
            }
        }
    }
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| encode_cursor(last.parked_at, &last.id)).transpose()?
    } else {
        None
    };
    Ok(ParkedPage { items, next_cursor })
}

/// How many rows are parked.
pub(super) fn parked_count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL")?
        .query_row([], |r| r.get(0))?;
    uint(n, "parked count")
}

fn parked_row(r: &Row<'_>) -> Result<ParkedRow, StoreError> {
    let id: String = r.get(0)?;
    let parked_at: Option<i64> = r.get(7)?;
    let reason: Option<String> = r.get(8)?;
    Ok(ParkedRow {
        conversation: conversation(&r.get::<_, String>(1)?)?,
        position: uint(r.get(2)?, "journal position")?,
        channel: r.get::<_, String>(3)?.into(),
        payload: from_json(&r.get::<_, String>(4)?, || format!("outbox row {id}"))?,
        attempts: attempts(&id, r.get(5)?)?,
        created_at: Timestamp(r.get(6)?),
        parked_at: Timestamp(
            parked_at.ok_or_else(|| StoreError::Corrupt(format!("outbox row {id}: not parked")))?,
        ),
        reason: reason.unwrap_or_default(),
        id,
    })
}

fn attempts(id: &str, stored: i64) -> Result<u32, StoreError> {
    u32::try_from(stored).map_err(|_| StoreError::Corrupt(format!("outbox row {id}: attempts {stored}")))
}

fn encode_cursor(parked_at: Timestamp, id: &str) -> Result<String, StoreError> {
    let json = serde_json::to_vec(&Cursor { parked_at: parked_at.millis(), id: id.to_owned() })
        .map_err(|e| StoreError::Unavailable(format!("cannot encode a cursor: {e}")))?;
    Ok(hex::encode(json))
}

fn decode_cursor(cursor: &str) -> Result<Cursor, StoreError> {
    let bad = || StoreError::BadQuery("bad cursor: not a cursor of this list".into());
    let bytes = hex::decode(cursor).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// Whether a row (pending or parked) has the id `id`.
pub(super) fn exists(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    Ok(conn.prepare_cached("SELECT 1 FROM outbox WHERE id = ?1")?.exists([id])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_anything_else_is_a_bad_query() {
        let cursor = encode_cursor(Timestamp(1_700_000_000_123), "web:c1/7").unwrap();
        let back = decode_cursor(&cursor).unwrap();
        assert_eq!((back.parked_at, back.id.as_str()), (1_700_000_000_123, "web:c1/7"));
        for bad in ["", "zz", "7b7d", &hex::encode("{\"parked_at\":\"x\"}")] {
            assert!(matches!(decode_cursor(bad), Err(StoreError::BadQuery(_))), "{bad:?}");
        }
    }
}
