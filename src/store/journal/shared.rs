//! What the store's handle, the writer thread and the applier thread share: how far the journal
//! is durable, how far the projection has applied it (a watch every read barrier waits on), and
//! whether the projection broke.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::store::StoreError;

/// How far the projection is.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Applied {
    /// Every record up to this one is applied.
    pub(super) seq: u64,
    /// Set when the projection can no longer apply records (its disk failed): reads and writes
    /// answer unavailable until the node restarts (which replays the journal into it).
    pub(super) broken: Option<String>,
}

/// Shared by the store's handle and its threads.
pub(super) struct Shared {
    /// Every record up to this one is synced to the journal (acknowledgements follow it).
    durable: AtomicU64,
    /// Published by the applier as the projection confirms records.
    applied: watch::Sender<Applied>,
}

impl Shared {
    /// Everything up to `seq` is durable and applied (just opened).
    pub(super) fn new(seq: u64) -> Self {
        Self { durable: AtomicU64::new(seq), applied: watch::Sender::new(Applied { seq, broken: None }) }
    }

    /// The last durable record.
    pub(super) fn durable(&self) -> u64 {
        self.durable.load(Ordering::SeqCst)
    }

    /// Every record up to `seq` is synced (the writer, before it answers them).
    pub(super) fn made_durable(&self, seq: u64) {
        self.durable.fetch_max(seq, Ordering::SeqCst);
    }

    /// The last applied record.
    pub(super) fn applied(&self) -> u64 {
        self.applied.borrow().seq
    }

    /// Unavailable once the projection is broken.
    pub(super) fn healthy(&self) -> Result<(), StoreError> {
        match &self.applied.borrow().broken {
            Some(why) => Err(StoreError::Unavailable(why.clone())),
            None => Ok(()),
        }
    }

    /// Every record up to `seq` is applied (the applier, in journal order).
    pub(super) fn publish(&self, seq: u64) {
        self.applied.send_if_modified(|a| {
            let advanced = seq > a.seq;
            a.seq = a.seq.max(seq);
            advanced
        });
    }

    /// The projection cannot go on: wakes every waiter with the error.
    pub(super) fn break_down(&self, why: String) {
        tracing::error!(%why, "the store's projection stopped; restart the node");
        self.applied.send_modify(|a| {
            if a.broken.is_none() {
                a.broken = Some(why);
            }
        });
    }

    /// The read barrier: waits until the projection holds every record durable now (so a read
    /// sees every acknowledged write), at most `within`.
    pub(super) async fn caught_up(&self, within: Duration) -> Result<(), StoreError> {
        self.reached(self.durable(), within).await
    }

    /// Waits until every record up to `seq` is applied, at most `within`.
    pub(super) async fn reached(&self, seq: u64, within: Duration) -> Result<(), StoreError> {
        let mut applied = self.applied.subscribe();
        let reached =
            tokio::time::timeout(within, applied.wait_for(|a| a.broken.is_some() || a.seq >= seq)).await;
        match reached {
            Ok(Ok(a)) => match &a.broken {
                Some(why) => Err(StoreError::Unavailable(why.clone())),
                None => Ok(()),
            },
            // The sender lives as long as `self`.
            Ok(Err(_)) => Err(StoreError::Unavailable("the projection has stopped".into())),
            Err(_) => Err(StoreError::Unavailable(format!(
                "the projection has not applied the journal up to record {seq} within {within:?} (applied: {})",
                self.applied()
            ))),
        }
    }
}
