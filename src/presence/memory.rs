//! The single-node presence backend: a concurrent map. Never fails.

use std::sync::Arc;

use dashmap::DashMap;

use super::{PresenceFuture, PresenceStore};
use crate::domain::routing::Presence;
use crate::domain::OperatorId;

/// Presence kept in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryPresence {
    map: Arc<DashMap<OperatorId, Presence>>,
}

impl PresenceStore for MemoryPresence {
    fn set(&self, operator: OperatorId, status: Presence, _node: String) -> PresenceFuture<()> {
        if status == Presence::Offline {
            self.map.remove(&operator);
        } else {
            self.map.insert(operator, status);
        }
        Box::pin(async { Ok(()) })
    }

    fn away(&self) -> PresenceFuture<Vec<OperatorId>> {
        let away =
            self.map.iter().filter(|e| *e.value() == Presence::Away).map(|e| e.key().clone()).collect();
        Box::pin(async { Ok(away) })
    }
}

#[cfg(test)]
impl MemoryPresence {
    /// The recorded presence (`Offline` when never recorded or cleared).
    fn recorded(&self, operator: &OperatorId) -> Presence {
        self.map.get(operator).map_or(Presence::Offline, |p| *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix::test]
    async fn presence_is_recorded_and_cleared_by_offline() {
        let p = MemoryPresence::default();
        let alice = OperatorId::from("alice");
        assert_eq!(p.recorded(&alice), Presence::Offline);
        p.set(alice.clone(), Presence::Away, "n1".into()).await.unwrap();
        assert_eq!(p.recorded(&alice), Presence::Away);
        p.set(alice.clone(), Presence::Offline, "n1".into()).await.unwrap();
        assert_eq!((p.recorded(&alice), p.map.len()), (Presence::Offline, 0), "offline clears the record");
    }
}
