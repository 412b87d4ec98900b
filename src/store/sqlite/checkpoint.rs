//! The checkpointer thread: copies the WAL into the database file on its own connection, so
//! the writer never stalls on it (the writer's automatic checkpoints are off). Woken by the
//! syncer after each sync, it runs at most every [`INTERVAL`]: a PASSIVE checkpoint copies
//! what no reader still needs, syncing the WAL before and the database after (`synchronous =
//! NORMAL`); once all of the WAL is copied, the writer starts it over from the beginning.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::writer::AliveGuard;

/// The shortest time between two checkpoints: each one syncs the WAL and the database file.
const INTERVAL: Duration = Duration::from_millis(200);

/// Runs until the syncer is gone, or a sync failed (then the WAL is left as it is).
pub(super) fn run(
    conn: Connection,
    wake: Receiver<()>,
    alive: Arc<AtomicBool>,
    sync_failed: Arc<AtomicBool>,
) {
    let _alive = AliveGuard(alive);
    while wake.recv().is_ok() {
        if sync_failed.load(Ordering::SeqCst) {
            return;
        }
        // Wakes during the interval after a checkpoint ask for one more, right after it.
        let mut asked = true;
        while asked {
            let started = Instant::now();
            checkpoint(&conn);
            asked = false;
            let due = started + INTERVAL;
            loop {
                match wake.recv_timeout(due.saturating_duration_since(Instant::now())) {
                    Ok(()) => asked = true,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        }
    }
}

/// One PASSIVE checkpoint: copies what it can, waits for nobody.
fn checkpoint(conn: &Connection) {
    let started = Instant::now();
    let outcome: rusqlite::Result<(i64, i64)> =
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(1)?, r.get(2)?)));
    match outcome {
        Ok((frames, copied)) => tracing::trace!(frames, copied, took = ?started.elapsed(), "checkpoint"),
        Err(e) => tracing::warn!(error = ?e, "checkpoint failed; the next one retries"),
    }
}
