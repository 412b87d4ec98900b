//! How far a projection has applied the record it follows (the Redis change stream, the
//! embedded journal): a watch that reads wait on (the read barrier), and whether the projection
//! broke. Shared by both backends.

use std::fmt::Display;
use std::time::Duration;

use tokio::sync::watch;

use crate::store::StoreError;

/// How far the projection is.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Applied<P> {
    /// Everything up to this position is applied.
    pub(crate) position: P,
    /// Set when the projection can no longer apply anything (its disk failed): nothing is read
    /// from it any more, every call answers unavailable until the node restarts.
    pub(crate) broken: Option<String>,
}

/// The progress of a projection over positions `P` of `record`.
pub(crate) struct Progress<P> {
    applied: watch::Sender<Applied<P>>,
    /// What the positions are of, for messages ("the change stream", "the journal").
    record: &'static str,
}

impl<P: Copy + Ord + Display + Send + Sync + 'static> Progress<P> {
    /// Everything up to `position` of `record` is applied.
    pub(crate) fn new(position: P, record: &'static str) -> Self {
        Self { applied: watch::Sender::new(Applied { position, broken: None }), record }
    }

    /// The last position applied.
    pub(crate) fn applied(&self) -> P {
        self.applied.borrow().position
    }

    /// Unavailable once the projection is broken.
    pub(crate) fn healthy(&self) -> Result<(), StoreError> {
        match &self.applied.borrow().broken {
            Some(why) => Err(StoreError::Unavailable(why.clone())),
            None => Ok(()),
        }
    }

    /// Everything up to `position` is applied (called in order by whoever applies).
    pub(crate) fn publish(&self, position: P) {
        self.applied.send_if_modified(|a| {
            let advanced = position > a.position;
            a.position = a.position.max(position);
            advanced
        });
    }

    /// The projection cannot go on: wakes every waiter with the error (the first one stays).
    pub(crate) fn break_down(&self, why: String) {
        tracing::error!(%why, record = self.record, "the store's projection stopped; restart the node");
        self.applied.send_modify(|a| {
            if a.broken.is_none() {
                a.broken = Some(why);
            }
        });
    }

    /// Waits until everything up to `position` is applied, at most `within`.
    pub(crate) async fn reached(&self, position: P, within: Duration) -> Result<(), StoreError> {
        let mut applied = self.applied.subscribe();
        let reached =
            tokio::time::timeout(within, applied.wait_for(|a| a.broken.is_some() || a.position >= position))
                .await;
        match reached {
            Ok(Ok(a)) => match &a.broken {
                Some(why) => Err(StoreError::Unavailable(why.clone())),
                None => Ok(()),
            },
            // The sender lives as long as `self`.
            Ok(Err(_)) => Err(StoreError::Unavailable("the projection has stopped".into())),
            Err(_) => Err(StoreError::Unavailable(format!(
                "this node has not applied {} up to {position} within {within:?} (applied: {})",
                self.record,
                self.applied()
            ))),
        }
    }
}
