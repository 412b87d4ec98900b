//! Recovery from the embedded journal (`store::journal`): the records the database does not hold
//! yet are written, in order, before the store starts. The database records the last journal
//! record it holds in the same transaction as the record's rows (`journal_applied`), so every
//! record is written exactly once: those up to it are skipped, the rest applied as they were
//! the first time (a commit's fencing check included).

use rusqlite::Connection;

use super::apply::{apply, journal_applied, mark_journal_applied};
use super::writer::OutboxUpdate;
use crate::store::change::Change;
use crate::store::StoreError;

/// Records written in one transaction at most.
const CHUNK: u64 = 1024;

/// Writes every record of `records` after the last one the database holds, in transactions
/// of [`CHUNK`]; returns how many were written. The caller syncs the WAL afterwards.
///
/// A record missing between the database's last and the journal's next, or one the database
/// refuses (a commit that does not continue its conversation), means the two disagree:
/// [`StoreError::Corrupt`], nothing of the failing transaction written.
pub(super) fn replay(
    conn: &Connection,
    records: &mut dyn Iterator<Item = (u64, Change)>,
) -> Result<u64, StoreError> {
    let mut last = journal_applied(conn)?;
    let mut written = 0u64;
    let mut open = false;
    let outcome = (|| {
        for (seq, change) in records {
            if seq <= last {
                continue;
            }
            if seq != last + 1 {
                return Err(StoreError::Corrupt(format!(
                    "the database holds the journal up to record {last}, but the journal continues at {seq}"
                )));
            }
            if !open {
                conn.execute_batch("BEGIN IMMEDIATE")?;
                open = true;
            }
            let applied = match change {
                Change::Commit(commit) => apply(conn, &commit),
                Change::Outbox(update) => OutboxUpdate::plain(update).apply(conn),
            };
            applied.map_err(|e| StoreError::Corrupt(format!("journal record {seq} does not apply: {e}")))?;
            last = seq;
            written += 1;
            if written % CHUNK == 0 {
                mark_journal_applied(conn, last)?;
                conn.execute_batch("COMMIT")?;
                open = false;
            }
        }
        if open {
            mark_journal_applied(conn, last)?;
            conn.execute_batch("COMMIT")?;
            open = false;
        }
        Ok(written)
    })();
    if outcome.is_err() && !conn.is_autocommit() {
        // Best effort: the error is what the caller gets.
        let _ = conn.execute_batch("ROLLBACK");
    }
    outcome
}
