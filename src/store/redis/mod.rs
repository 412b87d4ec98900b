//! The Redis backend, for a cluster of nodes: Redis holds the record, and each node keeps a
//! local SQLite projection of it that answers every read.
//!
//! **Writes.** A commit is one Lua script: it checks the conversation's journal position (the
//! fencing token: a stale owner's write is refused as [`StoreError::Conflict`](super::StoreError)
//! and writes nothing), checks that no message idempotency key and no webhook delivery id of
//! the commit is already stored, then sets the new position and appends the whole commit (JSON)
//! to the change stream. Outbox changes (delivered, retry later, park, re-queue) are stream
//! entries too, so every node's projection agrees. A write resolves only once Redis has
//! acknowledged it (with `appendfsync always`, once it is on Redis's disk) *and* this node's
//! projection has applied it: read-your-writes on this node.
//!
//! **Reads.** Every read first takes the stream's last entry id and waits (bounded) until the
//! projection has applied it: a read after an acknowledged write sees it, on any node.
//!
//! **Failures.** Redis down or restarting: every call answers
//! [`StoreError::Unavailable`](super::StoreError) within a few seconds (every wait is bounded),
//! nothing is acknowledged, nothing panics; the connection manager reconnects and the tailer
//! resumes from its last applied entry when Redis is back. A write whose answer was lost (Redis
//! died after running it) is reported unavailable although it may be in the record: the caller
//! reloads, as after any failed write, and sees it.
//!
//! **Keys.** Every key of one conversation carries the hash tag `{<conversation id>}`:
//! - `fl:{<conversation>}:pos`: its journal position (events written), the fencing token;
//! - `fl:{<conversation>}:keys`: its message idempotency keys (a hash).
//!
//! The global keys are few:
//! - `fl:changes`: the change stream (fields `kind` = `commit` | `outbox`, `node`, `body`);
//! - `fl:chat_seq`: the chat number counter (blocks of 100 per node; a commit raises it to its
//!   highest chat number);
//! - `fl:outbox`: the ids of the stored webhook deliveries (a hash), so a reused id is refused.
//!
//! The commit script touches its conversation's keys *and* the global ones: it needs them all
//! on one shard, as on a single Redis or one under Sentinel. The hash tags keep the per-
//! conversation keys ready for Redis Cluster; moving there needs one change stream per slot
//! range (or per shard), which this backend does not do.
//!
//! - `store.rs`: [`RedisStore`]: opening, the `Store` implementation, the read barrier.
//! - `writer.rs`: the writer task: this node's writes, pipelined to Redis in call order.
//! - `tailer.rs`: the tailer task: the change stream into the projection.
//! - `scripts.rs`: the Lua scripts and their replies.
//! - `record.rs`: stream entries (ids, bodies) and key names.
//! - `shared.rs`: what the store and its tasks share (projection, applied id, outcomes).
//! - `chat_ids.rs`: chat numbering from blocks of a counter in Redis.

mod chat_ids;
mod record;
mod scripts;
mod shared;
mod store;
mod tailer;
mod writer;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use store::RedisStore;
