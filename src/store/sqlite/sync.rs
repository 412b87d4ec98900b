//! The syncer thread: makes written batches durable and only then answers them. It takes the
//! first written batch, drains every other one already waiting, `fdatasync`s the WAL once for
//! all of them and sends their answers in order. The writer meanwhile writes the next batch, so
//! the disk flush and the next transaction overlap instead of adding up.
//!
//! A failed sync cannot be retried (the kernel may have dropped the dirty pages, and a later
//! sync may succeed without them: "fsyncgate"): every write not yet confirmed is answered with
//! an error (its outcome is unknown: it may be found after a restart, like any failed commit),
//! `sync_failed` is raised so the writer and the checkpointer write nothing more until the
//! process restarts (as PostgreSQL does), and the store reports itself not ready.

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::Arc;

use super::writer::{AliveGuard, Written};
use crate::store::StoreError;

/// Runs until the writer is gone and every written batch is answered. After each sync the
/// checkpointer is nudged (a full nudge queue means it is already due).
pub(super) fn run(
    wal: File,
    written: Receiver<Written>,
    checkpoints: SyncSender<()>,
    alive: Arc<AtomicBool>,
    sync_failed: Arc<AtomicBool>,
) {
    let _alive = AliveGuard(Arc::clone(&alive));
    let mut failed: Option<StoreError> = None;
    while let Ok(first) = written.recv() {
        let mut pending = vec![first];
        pending.extend(written.try_iter());
        if failed.is_none() && pending.iter().any(|w| w.committed) {
            if let Err(e) = wal.sync_data() {
                tracing::error!(
                    error = ?e,
                    "syncing the WAL failed; the store refuses every write until the node is restarted"
                );
                sync_failed.store(true, Ordering::SeqCst);
                alive.store(false, Ordering::SeqCst);
                failed = Some(StoreError::Unavailable(format!("syncing the journal to disk failed: {e}")));
            } else {
                let _ = checkpoints.try_send(());
            }
        }
        for (reply, outcome) in pending.into_iter().flat_map(|w| w.answers) {
            let outcome = match (&failed, outcome) {
                (Some(e), Ok(())) => Err(e.clone()),
                (_, outcome) => outcome,
            };
            // The caller may have stopped waiting (dropped the future); the write stands.
            let _ = reply.send(outcome);
        }
    }
}
