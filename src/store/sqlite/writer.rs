//! The writer thread: the only connection that writes. It takes the first queued request,
//! drains whatever else is queued (up to [`MAX_BATCH`]), writes every commit (and outbox
//! update) in ONE transaction — one sync for many conversations (group commit) — and hands
//! the answers to the syncer (`sync.rs`), which sends them once the WAL is on disk. A write
//! that fails (a fencing conflict) is refused alone while the rest of the batch commits.
//!
//! Must never run on an async runtime thread and never answer a write itself: durability is
//! the syncer's to confirm.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::apply::{apply, delivered, mark_journal_applied, park, requeue, retry_later};
use crate::store::change::OutboxChange;
use crate::store::{Commit, StoreError};

/// The most requests written in one transaction: bounds the latency one batch adds to the
/// requests behind it and the memory a batch holds.
pub(super) const MAX_BATCH: usize = 512;

/// The answer a request gets.
pub(super) type Reply = oneshot::Sender<Result<(), StoreError>>;

/// Work for the writer.
pub(super) enum Request {
    /// Write a commit; answered once durable (or with why not).
    Append {
        /// What to write.
        commit: Commit,
        /// The embedded journal's record of it, when it comes from there (recorded with it).
        journal: Option<u64>,
        /// Where the outcome goes.
        reply: Reply,
    },
    /// Update the webhook outbox; answered once durable.
    Outbox {
        /// The update.
        update: OutboxUpdate,
        /// The embedded journal's record of it, when it comes from there (recorded with it).
        journal: Option<u64>,
        /// Where the outcome goes.
        reply: Reply,
    },
    /// Answered once everything queued before it is durable.
    Flush {
        /// Where the outcome goes.
        reply: Reply,
    },
}

/// A change of one outbox row, as the writer applies it.
pub(super) struct OutboxUpdate {
    /// The change.
    pub(super) change: OutboxChange,
    /// Set by a re-queue's write to whether the row was parked. The reply carries only success,
    /// so this is how the answer gets out; read it once the reply said the write is durable (the
    /// last run of the write sets it: a batch rewritten one by one runs it again).
    pub(super) found: Arc<AtomicBool>,
}

impl OutboxUpdate {
    /// The update `change` stands for; a re-queue reports into `found`.
    pub(super) fn of(change: OutboxChange, found: Arc<AtomicBool>) -> Self {
        Self { change, found }
    }

    /// An update whose outcome only its success tells.
    pub(super) fn plain(change: OutboxChange) -> Self {
        Self::of(change, Arc::new(AtomicBool::new(false)))
    }

    pub(super) fn apply(&self, conn: &Connection) -> Result<(), StoreError> {
        match &self.change {
            OutboxChange::Delivered { id } => delivered(conn, id),
            OutboxChange::RetryLater { id, attempts, next_at } => retry_later(conn, id, *attempts, *next_at),
            OutboxChange::Park { id, attempts, at, reason } => park(conn, id, *attempts, *at, reason),
            OutboxChange::Requeue { id, now } => {
                self.found.store(requeue(conn, id, *now)?, Ordering::SeqCst);
                Ok(())
            }
        }
    }
}

/// A written batch: each request's answer, to be sent once the WAL is synced.
pub(super) struct Written {
    /// Where each outcome goes, in request order.
    pub(super) answers: Vec<(Reply, Result<(), StoreError>)>,
    /// Whether a transaction committed (else there is nothing to sync for it).
    pub(super) committed: bool,
}

impl Written {
    /// Sends every answer as it is, without waiting for a sync (tests write batches by hand).
    #[cfg(test)]
    pub(super) fn answer_now(self) {
        for (reply, outcome) in self.answers {
            let _ = reply.send(outcome);
        }
    }
}

/// Clears a store thread's liveness flag however the thread ends (a panic included).
pub(super) struct AliveGuard(pub(super) Arc<AtomicBool>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Runs the writer until every sender is gone and the queue is drained, passing each written
/// batch to the syncer; then closes the connection (which ends the syncer). `alive` is cleared
/// on the way out (readiness reports it). Once `sync_failed` is raised, batches are refused
/// without being written (nothing more reaches the WAL until the process restarts).
pub(super) fn run(
    mut conn: Connection,
    requests: Receiver<Request>,
    syncer: Sender<Written>,
    alive: Arc<AtomicBool>,
    sync_failed: Arc<AtomicBool>,
) {
    let _alive = AliveGuard(alive);
    while let Ok(first) = requests.recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match requests.try_recv() {
                Ok(next) => batch.push(next),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let written = if sync_failed.load(Ordering::SeqCst) {
            refuse_batch(batch)
        } else {
            write_batch(&mut conn, batch)
        };
        if syncer.send(written).is_err() {
            tracing::error!("the store syncer has stopped; the writer stops too");
            break;
        }
    }
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = ?e, "closing the store's write connection failed");
    }
}

/// Answers every request of `batch` with an error, writing nothing: a sync failed earlier.
fn refuse_batch(batch: Vec<Request>) -> Written {
    let refused = StoreError::Unavailable(
        "the store stopped writing after a failed disk sync; restart the node".into(),
    );
    Written {
        answers: batch.into_iter().map(|r| (reply_of(r), Err(refused.clone()))).collect(),
        committed: false,
    }
}

/// Writes `batch` in one transaction; the answers wait in the result.
pub(super) fn write_batch(conn: &mut Connection, batch: Vec<Request>) -> Written {
    let writes = batch.iter().filter(|r| !matches!(r, Request::Flush { .. })).count();
    if writes == 0 {
        // Only flushes: answered once what is before them is synced.
        return Written {
            answers: batch.into_iter().map(|r| (reply_of(r), Ok(()))).collect(),
            committed: false,
        };
    }
    let (outcomes, committed) = match write_all(conn, &batch) {
        Ok(outcomes) => (outcomes, true),
        Err(e) => {
            if !conn.is_autocommit() {
                // Best effort: the error is already what every request is answered with.
                let _ = conn.execute_batch("ROLLBACK");
            }
            tracing::error!(error = ?e, writes, "store batch failed; nothing of it was written");
            (batch.iter().map(|_| Err(e.clone())).collect(), false)
        }
    };
    Written { answers: batch.into_iter().map(reply_of).zip(outcomes).collect(), committed }
}

/// One transaction over the batch: the outcome of every request, or the error that lost the
/// whole transaction (nothing of the batch is written then).
///
/// The common case runs without savepoints (each would copy every page it touches into a
/// sub-journal). If any write fails, the whole transaction is rolled back and the batch is
/// written again with each request isolated in its own savepoint, so that only the failing one
/// is refused.
fn write_all(conn: &Connection, batch: &[Request]) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    match write_all_at_once(conn, batch) {
        Ok(outcomes) => Ok(outcomes),
        Err(e) => {
            if !conn.is_autocommit() {
                conn.execute_batch("ROLLBACK")?;
            }
            tracing::debug!(error = ?e, "a write of the batch failed; writing it again one by one");
            write_all_isolated(conn, batch)
        }
    }
}

/// The batch in one transaction, no savepoints; any failure fails the whole attempt.
fn write_all_at_once(
    conn: &Connection,
    batch: &[Request],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    for request in batch {
        match request {
            Request::Append { commit, .. } => apply(conn, commit)?,
            Request::Outbox { update, .. } => update.apply(conn)?,
            Request::Flush { .. } => {}
        }
    }
    mark_journal(conn, batch)?;
    conn.execute_batch("COMMIT")?;
    Ok(batch.iter().map(|_| Ok(())).collect())
}

/// The batch in one transaction, each request in its own savepoint.
fn write_all_isolated(
    conn: &Connection,
    batch: &[Request],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for request in batch {
        outcomes.push(match request {
            Request::Append { commit, .. } => write_isolated(conn, |c| apply(c, commit))?,
            Request::Outbox { update, .. } => write_isolated(conn, |c| update.apply(c))?,
            Request::Flush { .. } => Ok(()),
        });
    }
    // A refused record is passed all the same: the journal goes on after it.
    mark_journal(conn, batch)?;
    conn.execute_batch("COMMIT")?;
    Ok(outcomes)
}

/// Runs one write inside a savepoint: its own failure is rolled back alone (inner error); an
/// outer error means the transaction itself is lost.
fn write_isolated(
    conn: &Connection,
    write: impl FnOnce(&Connection) -> Result<(), StoreError>,
) -> Result<Result<(), StoreError>, StoreError> {
    conn.execute_batch("SAVEPOINT one_commit")?;
    match write(conn) {
        Ok(()) => {
            conn.execute_batch("RELEASE one_commit")?;
            Ok(Ok(()))
        }
        Err(e) => {
            // Some errors (IO, disk full) make SQLite roll the whole transaction back by
            // itself: then the earlier commits of the batch are gone too.
            if conn.is_autocommit() {
                return Err(StoreError::Unavailable(format!("transaction lost: {e}")));
            }
            conn.execute_batch("ROLLBACK TO one_commit; RELEASE one_commit")?;
            Ok(Err(e))
        }
    }
}

/// Records the last journal record of `batch`, if any came from the journal.
fn mark_journal(conn: &Connection, batch: &[Request]) -> Result<(), StoreError> {
    let last = batch
        .iter()
        .filter_map(|r| match r {
            Request::Append { journal, .. } | Request::Outbox { journal, .. } => *journal,
            Request::Flush { .. } => None,
        })
        .max();
    match last {
        Some(seq) => mark_journal_applied(conn, seq),
        None => Ok(()),
    }
}

fn reply_of(request: Request) -> Reply {
    match request {
        Request::Append { reply, .. } | Request::Outbox { reply, .. } | Request::Flush { reply } => reply,
    }
}
