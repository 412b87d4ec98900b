//! Chat numbering for a cluster: each node takes blocks of [`BLOCK`] numbers from one counter
//! in Redis (`INCRBY fl:chat_seq`) and hands them out one by one, so numbers are unique in the
//! installation and increasing on each node. The next block is fetched in the background once
//! half of the current one is used; a node that runs dry anyway fetches one on the spot (a
//! short blocking call: `Store::next_chat_id` is synchronous).
//!
//! With Redis unreachable no number can be had: the node hands out numbers from
//! [`UNALLOCATED`] up, which no commit may carry (the store refuses such a commit as
//! unavailable, as it would any write while Redis is down), so they never reach the record.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ::redis::aio::ConnectionManager;
use ::redis::{Client, Connection, RedisResult};

use super::record::CHAT_SEQ;
use crate::domain::ChatId;

/// Numbers taken from the counter at once.
pub(super) const BLOCK: u64 = 100;

/// Numbers from here up were handed out without a block (Redis unreachable): never stored.
pub(super) const UNALLOCATED: u64 = 1 << 62;

/// How long a blocking fetch may take at most (connecting, then the command).
const SYNC_TIMEOUT: Duration = Duration::from_secs(1);

/// Numbers `start..end`.
type Block = (u64, u64);

#[derive(Default)]
struct Blocks {
    /// The next number of the current block.
    next: u64,
    /// The end of the current block (exclusive).
    end: u64,
    /// A block fetched ahead, above the current one.
    spare: Option<Block>,
    /// A background fetch is under way.
    prefetching: bool,
    /// Numbers handed out without a block so far.
    unallocated: u64,
}

/// The allocator.
pub(super) struct ChatIds {
    client: Client,
    conn: ConnectionManager,
    runtime: tokio::runtime::Handle,
    blocks: Mutex<Blocks>,
    sync_conn: Mutex<Option<Connection>>,
    timeout: Duration,
}

impl ChatIds {
    /// An allocator taking blocks through `conn` (in the background, on `runtime`) or a
    /// connection of its own made from `client` (on the spot); its first block is fetched now.
    pub(super) async fn start(
        client: Client,
        mut conn: ConnectionManager,
        timeout: Duration,
    ) -> Result<Arc<ChatIds>, ::redis::RedisError> {
        let first = match tokio::time::timeout(timeout, incr(&mut conn)).await {
            Ok(block) => block?,
            Err(_) => return Err(::redis::RedisError::from((::redis::ErrorKind::Io, "timed out"))),
        };
        Ok(Arc::new(ChatIds {
            client,
            conn,
            runtime: tokio::runtime::Handle::current(),
            blocks: Mutex::new(Blocks { next: first.0, end: first.1, ..Blocks::default() }),
            sync_conn: Mutex::new(None),
            timeout,
        }))
    }

    /// The next number.
    pub(super) fn next(self: &Arc<Self>) -> ChatId {
        let mut b = self.blocks.lock().unwrap_or_else(PoisonError::into_inner);
        if b.next >= b.end {
            if let Some((start, end)) = b.spare.take() {
                if start >= b.end {
                    (b.next, b.end) = (start, end);
                }
            }
        }
        if b.next >= b.end {
            match self.fetch_now() {
                Ok((start, end)) if start >= b.end => (b.next, b.end) = (start, end),
                Ok(block) => {
                    tracing::error!(?block, below = b.end, "the chat number counter went back; skipping");
                    return self.unallocated(&mut b);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "no chat number block from Redis");
                    return self.unallocated(&mut b);
                }
            }
        }
        let id = b.next;
        b.next += 1;
        if b.spare.is_none() && !b.prefetching && b.end - b.next <= BLOCK / 2 {
            b.prefetching = true;
            self.prefetch();
        }
        ChatId(id)
    }

    fn unallocated(&self, b: &mut Blocks) -> ChatId {
        b.unallocated += 1;
        ChatId(UNALLOCATED + b.unallocated)
    }

    /// Fetches the next block in the background; it becomes the spare if it is still above
    /// the current block when it arrives.
    fn prefetch(self: &Arc<Self>) {
        let me = Arc::clone(self);
        self.runtime.spawn(async move {
            let mut conn = me.conn.clone();
            let fetched = tokio::time::timeout(me.timeout, incr(&mut conn)).await;
            let mut b = me.blocks.lock().unwrap_or_else(PoisonError::into_inner);
            b.prefetching = false;
            match fetched {
                Ok(Ok(block)) if block.0 >= b.end && b.spare.is_none() => b.spare = Some(block),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "prefetching chat numbers failed"),
                Err(_) => tracing::warn!("prefetching chat numbers timed out"),
            }
        });
    }

    /// Fetches a block on the spot over the blocking connection.
    fn fetch_now(&self) -> RedisResult<Block> {
        let mut slot = self.sync_conn.lock().unwrap_or_else(PoisonError::into_inner);
        let conn = match slot.as_mut() {
            Some(conn) => conn,
            None => {
                let conn = self.client.get_connection_with_timeout(SYNC_TIMEOUT)?;
                conn.set_read_timeout(Some(SYNC_TIMEOUT))?;
                conn.set_write_timeout(Some(SYNC_TIMEOUT))?;
                slot.insert(conn)
            }
        };
        let top = ::redis::cmd("INCRBY").arg(CHAT_SEQ).arg(BLOCK).query::<u64>(conn);
        if top.is_err() {
            *slot = None;
        }
        block_below(top?)
    }
}

/// Takes a block through `conn`.
async fn incr(conn: &mut ConnectionManager) -> RedisResult<Block> {
    let top: u64 = ::redis::cmd("INCRBY").arg(CHAT_SEQ).arg(BLOCK).query_async(conn).await?;
    block_below(top)
}

/// The block the counter gave when it reached `top`.
fn block_below(top: u64) -> RedisResult<Block> {
    if !(BLOCK..UNALLOCATED).contains(&top) {
        return Err(::redis::RedisError::from((
            ::redis::ErrorKind::Client,
            "the chat number counter is out of range",
            top.to_string(),
        )));
    }
    Ok((top - BLOCK + 1, top + 1))
}
