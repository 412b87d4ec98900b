//! Operator presence as the cluster sees it, behind a trait: the supervisor records every change
//! here. The in-memory backend serves a single node; a Redis backend (cluster issue) implements
//! the same trait, which is why every call is asynchronous and may fail.

mod memory;
mod redis;

use std::future::Future;
use std::pin::Pin;

use crate::domain::routing::Presence;
use crate::domain::OperatorId;

pub use self::redis::RedisPresence;
pub use memory::MemoryPresence;

/// A presence operation in flight.
pub type PresenceFuture<T> = Pin<Box<dyn Future<Output = Result<T, PresenceError>> + Send + 'static>>;

/// Why a presence operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresenceError {
    /// The backend cannot be reached.
    #[error("presence backend unavailable: {0}")]
    Unavailable(String),
}

/// Where operator presence is recorded (the supervisor keeps the live presence it routes by;
/// the record is what a new leader of a cluster starts from).
pub trait PresenceStore: Send + Sync + 'static {
    /// Records `operator`'s presence, as set by `node`.
    fn set(&self, operator: OperatorId, status: Presence, node: String) -> PresenceFuture<()>;

    /// The operators recorded as away (they stay away when they reconnect to a new leader).
    fn away(&self) -> PresenceFuture<Vec<OperatorId>>;
}
