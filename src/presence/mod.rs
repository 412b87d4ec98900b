//! Operator presence as the cluster sees it, behind a trait: the supervisor records every change
//! here. The in-memory backend serves a single node; a Redis backend (cluster issue) implements
//! the same trait, which is why every call is asynchronous and may fail.

mod memory;

use std::future::Future;
use std::pin::Pin;

use crate::domain::routing::Presence;
use crate::domain::OperatorId;

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
/// this is the record other nodes will read once there is a cluster).
pub trait PresenceStore: Send + Sync + 'static {
    /// Records `operator`'s presence, as set by `node`.
    fn set(&self, operator: OperatorId, status: Presence, node: String) -> PresenceFuture<()>;
}
