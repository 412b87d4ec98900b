//! What the store's handle, the writer thread and the applier thread share: how far the journal
//! is durable, and how far the projection has applied it (`store::progress`: the watch every
//! read barrier waits on, and whether the projection broke).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::store::progress::Progress;
use crate::store::StoreError;

/// Shared by the store's handle and its threads.
pub(super) struct Shared {
    /// Every record up to this one is synced to the journal (acknowledgements follow it).
    durable: AtomicU64,
    /// How far the projection holds the journal, published by the applier.
    pub(super) progress: Progress<u64>,
}

impl Shared {
    /// Everything up to record `seq` is durable and applied (just opened).
    pub(super) fn new(seq: u64) -> Self {
        Self { durable: AtomicU64::new(seq), progress: Progress::new(seq, "the journal") }
    }

    /// The last durable record.
    pub(super) fn durable(&self) -> u64 {
        self.durable.load(Ordering::SeqCst)
    }

    /// Every record up to `seq` is synced (the writer, before it answers them).
    pub(super) fn made_durable(&self, seq: u64) {
        self.durable.fetch_max(seq, Ordering::SeqCst);
    }

    /// The read barrier: waits until the projection holds every record durable now (so a read
    /// sees every acknowledged write), at most `within`.
    pub(super) async fn caught_up(&self, within: Duration) -> Result<(), StoreError> {
        self.progress.reached(self.durable(), within).await
    }
}
