//! What the store's handle and its background tasks share: the local projection, how far it
//! has applied the change stream (a watch every wait is bounded on), and the outcome of this
//! node's own entries when applying them said more than "done".

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::record::EntryId;
use crate::store::progress::Progress;
use crate::store::{SqliteStore, StoreError};

/// The outcome of applying one entry: a re-queue says whether a parked row had its id.
pub(super) type Outcome = Result<Option<bool>, StoreError>;

/// Outcomes kept at most: outcomes nobody collected (the caller's wait timed out) are
/// forgotten past this.
const OUTCOMES: usize = 10_000;

/// Shared between [`RedisStore`](super::RedisStore), its tailer and its writer.
pub(super) struct Shared {
    /// This store instance's id, written into its own entries.
    pub(super) node: String,
    /// The local projection every read is answered from.
    pub(super) projection: SqliteStore,
    /// How far the projection holds the stream, published by the tailer after each applied
    /// batch (`store::progress`).
    progress: Progress<EntryId>,
    /// Outcomes of this node's entries that are not plain success, by entry.
    outcomes: Mutex<HashMap<EntryId, Outcome>>,
}

impl Shared {
    pub(super) fn new(node: String, projection: SqliteStore) -> Self {
        Self {
            node,
            projection,
            progress: Progress::new(EntryId::ZERO, "the change stream"),
            outcomes: Mutex::new(HashMap::new()),
        }
    }

    /// The last entry applied.
    pub(super) fn applied(&self) -> EntryId {
        self.progress.applied()
    }

    /// Unavailable once the projection is broken.
    pub(super) fn healthy(&self) -> Result<(), StoreError> {
        self.progress.healthy()
    }

    /// Every entry up to `id` is applied (called by the tailer, in stream order).
    pub(super) fn publish(&self, id: EntryId) {
        self.progress.publish(id);
    }

    /// The projection cannot go on: wakes every waiter with the error.
    pub(super) fn break_down(&self, why: String) {
        self.progress.break_down(why);
    }

    /// Keeps the outcome of this node's entry `id` for its caller.
    pub(super) fn record(&self, id: EntryId, outcome: Outcome) {
        let mut outcomes = self.outcomes.lock().unwrap_or_else(PoisonError::into_inner);
        if outcomes.len() >= OUTCOMES {
            tracing::warn!(kept = outcomes.len(), "forgetting outcomes no caller collected");
            outcomes.clear();
        }
        outcomes.insert(id, outcome);
    }

    /// Waits until entry `id` is applied, at most `within` ([`StoreError::Unavailable`] then),
    /// and returns its outcome.
    pub(super) async fn settle(&self, id: EntryId, within: Duration) -> Outcome {
        self.wait_applied(id, within).await?;
        let outcome = self.outcomes.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        outcome.unwrap_or(Ok(None))
    }

    /// Waits until every entry up to `id` is applied, at most `within`.
    pub(super) async fn wait_applied(&self, id: EntryId, within: Duration) -> Result<(), StoreError> {
        self.progress.reached(id, within).await
    }
}
