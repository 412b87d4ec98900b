//! The cluster's presence record: the hash `fl:presence` (operator -> `online` or `away`;
//! offline operators are removed), written by the leader's supervisor on every change and read
//! by the next leader when it starts.

use redis::aio::ConnectionManager;
use redis::AsyncCommands;

use super::{PresenceError, PresenceFuture, PresenceStore};
use crate::domain::routing::Presence;
use crate::domain::OperatorId;

/// The presence hash.
pub const PRESENCE_KEY: &str = "fl:presence";

/// Presence recorded in Redis.
#[derive(Clone)]
pub struct RedisPresence {
    conn: ConnectionManager,
}

impl RedisPresence {
    /// Presence on the connection `conn`.
    pub fn new(conn: ConnectionManager) -> Self {
        Self { conn }
    }
}

fn unavailable(e: redis::RedisError) -> PresenceError {
    PresenceError::Unavailable(e.to_string())
}

impl PresenceStore for RedisPresence {
    fn set(&self, operator: OperatorId, status: Presence, _node: String) -> PresenceFuture<()> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            if status == Presence::Offline {
                conn.hdel::<_, _, ()>(PRESENCE_KEY, operator.as_str()).await.map_err(unavailable)
            } else {
                conn.hset::<_, _, _, ()>(PRESENCE_KEY, operator.as_str(), status.as_str())
                    .await
                    .map_err(unavailable)
            }
        })
    }

    fn away(&self) -> PresenceFuture<Vec<OperatorId>> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let all: Vec<(String, String)> = conn.hgetall(PRESENCE_KEY).await.map_err(unavailable)?;
            Ok(all
                .into_iter()
                .filter(|(_, s)| s == "away")
                .map(|(op, _)| OperatorId::from(op.as_str()))
                .collect())
        })
    }
}
