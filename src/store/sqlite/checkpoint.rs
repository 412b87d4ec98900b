//! The checkpointer thread: copies the WAL into the database file on its own connection, so
//! the writer never stalls on it (the writer's automatic checkpoints are off). Woken by the
//! syncer after each sync, it runs at most every [`INTERVAL`]: a PASSIVE checkpoint copies
//! what no reader still needs, syncing the WAL before and the database after (`synchronous =
//! NORMAL`); once all of the WAL is copied, the writer starts it over from the beginning.
//!
//! Under steady load that start-over never comes: the writer may only start the WAL over when
//! no reader is reading from it, and with reads and commits overlapping all the time some
//! reader always is. The WAL then grows for as long as the load lasts (the soak bench measured
//! 8 GB a minute at 5,000 messages/s). So once the WAL holds more than [`RESTART_FRAMES`], the
//! checkpoint is followed by a RESTART one: it copies the rest and waits (the busy timeout)
//! until no reader reads from the WAL, holding new commits back meanwhile; the next commit then
//! writes from the WAL's start. The file keeps its size (rewriting allocated blocks syncs
//! cheaper than growing a truncated file), so it stays near that limit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::writer::AliveGuard;

/// The shortest time between two checkpoints: each one syncs the WAL and the database file.
const INTERVAL: Duration = Duration::from_millis(200);

/// A WAL longer than this (in frames of one page, 4 KiB by default: 256 MiB) is started over
/// after the next checkpoint.
pub(super) const RESTART_FRAMES: i64 = 65_536;

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
            checkpoint(&conn, RESTART_FRAMES);
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

/// One PASSIVE checkpoint: copies what it can, waits for nobody. When the WAL then holds more
/// than `restart_frames`, a RESTART checkpoint follows and the next commit starts it over.
pub(super) fn checkpoint(conn: &Connection, restart_frames: i64) {
    let started = Instant::now();
    match run_checkpoint(conn, "PASSIVE") {
        Ok((_, frames, copied)) => {
            tracing::trace!(frames, copied, took = ?started.elapsed(), "checkpoint");
            if frames > restart_frames {
                restart(conn, frames);
            }
        }
        Err(e) => tracing::warn!(error = ?e, "checkpoint failed; the next one retries"),
    }
}

/// A RESTART checkpoint of a WAL of `frames` frames.
fn restart(conn: &Connection, frames: i64) {
    let started = Instant::now();
    match run_checkpoint(conn, "RESTART") {
        Ok((0, _, _)) => tracing::debug!(frames, took = ?started.elapsed(), "WAL started over"),
        Ok(_) => {
            tracing::warn!(frames, took = ?started.elapsed(), "readers kept the WAL busy; the next checkpoint retries")
        }
        Err(e) => tracing::warn!(error = ?e, "emptying the WAL failed; the next checkpoint retries"),
    }
}

/// `PRAGMA wal_checkpoint(mode)`: (busy, frames in the WAL, frames copied).
fn run_checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(i64, i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL database with `wal_autocheckpoint` off, as the writer opens it.
    fn database(dir: &std::path::Path) -> Connection {
        let conn = Connection::open(dir.join("db")).unwrap();
        let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, body TEXT)", []).unwrap();
        conn
    }

    fn wal_len(dir: &std::path::Path) -> u64 {
        std::fs::metadata(dir.join("db-wal")).map_or(0, |m| m.len())
    }

    fn write(conn: &Connection, rows: std::ops::Range<i64>) {
        for n in rows {
            conn.execute("INSERT INTO t VALUES (?1, ?2)", rusqlite::params![n, "x".repeat(3000)]).unwrap();
        }
    }

    /// Writes rows 0..100, starts a reader on the WAL that finishes 200 ms later, checkpoints
    /// with `restart_frames` while it reads, then writes rows 100..200: the WAL's growth.
    fn growth_with_a_reader(restart_frames: i64) -> (u64, u64) {
        let dir = tempfile::tempdir().unwrap();
        let conn = database(dir.path());
        write(&conn, 0..100);
        let (began, begin) = std::sync::mpsc::channel();
        let path = dir.path().join("db");
        let reader = std::thread::spawn(move || {
            let reader = Connection::open(path).unwrap();
            reader.execute_batch("BEGIN").unwrap();
            let seen: i64 = reader.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
            began.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(200));
            reader.execute_batch("COMMIT").unwrap();
            seen
        });
        begin.recv().unwrap();
        let before = wal_len(dir.path());
        checkpoint(&conn, restart_frames);
        write(&conn, 100..200);
        assert_eq!(reader.join().unwrap(), 100, "the reader's snapshot stays whole");
        let rows: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 200, "nothing is lost");
        (before, wal_len(dir.path()))
    }

    #[test]
    fn a_passive_checkpoint_under_a_reader_lets_the_wal_grow() {
        let (before, after) = growth_with_a_reader(i64::MAX);
        assert!(
            after > before + 200_000,
            "the writer cannot start over while a reader reads: {before} -> {after}"
        );
    }

    #[test]
    fn over_the_limit_the_checkpoint_waits_for_the_reader_and_the_wal_starts_over() {
        let (before, after) = growth_with_a_reader(10);
        assert!(after <= before, "the next commits reuse the WAL from its start: {before} -> {after}");
    }
}
