//! What the store's handle and its background tasks share: the local projection, how far it
//! has applied the change stream (a watch every wait is bounded on), and the outcome of this
//! node's own entries when applying them said more than "done".

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use super::record::EntryId;
use crate::store::{SqliteStore, StoreError};

/// How far the projection is.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Applied {
    /// The last stream entry applied (every entry up to it is applied).
    pub(super) id: EntryId,
    /// Set when the projection can no longer apply entries (its disk failed): nothing is read
    /// from it any more, every call answers unavailable until the node restarts.
    pub(super) broken: Option<String>,
}

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
    /// Published by the tailer after each applied batch.
    applied: watch::Sender<Applied>,
    /// Outcomes of this node's entries that are not plain success, by entry.
    outcomes: Mutex<HashMap<EntryId, Outcome>>,
}

impl Shared {
    pub(super) fn new(node: String, projection: SqliteStore) -> Self {
        Self {
            node,
            projection,
            applied: watch::Sender::new(Applied::default()),
            outcomes: Mutex::new(HashMap::new()),
        }
    }

    /// The last entry applied.
    pub(super) fn applied(&self) -> EntryId {
        self.applied.borrow().id
    }

    /// Unavailable once the projection is broken.
    pub(super) fn healthy(&self) -> Result<(), StoreError> {
        match &self.applied.borrow().broken {
            Some(why) => Err(StoreError::Unavailable(why.clone())),
            None => Ok(()),
        }
    }

    /// Every entry up to `id` is applied (called by the tailer, in stream order).
    pub(super) fn publish(&self, id: EntryId) {
        self.applied.send_modify(|a| a.id = a.id.max(id));
    }

    /// The projection cannot go on: wakes every waiter with the error.
    pub(super) fn break_down(&self, why: String) {
        tracing::error!(%why, "the Redis store's projection stopped");
        self.applied.send_modify(|a| a.broken = Some(why));
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
        let mut applied = self.applied.subscribe();
        let reached =
            tokio::time::timeout(within, applied.wait_for(|a| a.broken.is_some() || a.id >= id)).await;
        match reached {
            Ok(Ok(a)) => match &a.broken {
                Some(why) => Err(StoreError::Unavailable(why.clone())),
                None => Ok(()),
            },
            // The sender lives as long as `self`.
            Ok(Err(_)) => Err(StoreError::Unavailable("the projection has stopped".into())),
            Err(_) => Err(StoreError::Unavailable(format!(
                "this node has not applied the change stream up to {id} within {within:?} (applied: {})",
                self.applied()
            ))),
        }
    }
}
