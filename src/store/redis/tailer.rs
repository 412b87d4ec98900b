//! The tailer task: reads the change stream (`XREAD BLOCK` on a connection of its own: a
//! blocking read would stall every other command on a shared one) from the last applied entry
//! and applies each entry, in order, to the local projection; then publishes how far it got.
//!
//! The entries of one read are all queued to the projection's writer before any is awaited, so
//! they share its group commits. Redis errors never end the tailer: it reconnects with a short
//! back-off and reads on from the last applied entry, so no entry is skipped or applied twice.
//!
//! An entry the projection refuses for a reason that is the entry's own (it cannot be decoded,
//! a conflict) is refused the same way on every node (they all apply the same entries in the
//! same order to the same state): it is logged and its caller told, and the tailer goes on.
//! A projection that fails to write (its disk) is broken: the tailer stops, and the store
//! answers unavailable until the node restarts (which rebuilds the projection from scratch).

use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::MultiplexedConnection;
use ::redis::streams::{StreamId, StreamReadReply};
use ::redis::{AsyncConnectionConfig, Client, Value};

use super::record::{decode, Change, EntryId, OutboxChange, CHANGES};
use super::shared::{Outcome, Shared};
use crate::store::{Store, StoreError, StoreFuture};

/// Entries read (and applied) at once at most; well below the projection's queue.
const READ_COUNT: usize = 256;
/// How long one `XREAD` blocks waiting for new entries.
const BLOCK: Duration = Duration::from_millis(2_000);
/// Back-off after a Redis error: the first wait, doubled up to the last.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_millis(1_000);

/// Tails the stream after `from` until the projection breaks (or the task is aborted), waiting
/// `lag` before applying each read (zero but in tests).
pub(super) async fn run(shared: Arc<Shared>, client: Client, from: EntryId, lag: Duration) {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(BLOCK + Duration::from_secs(3)));
    let mut last = from;
    let mut conn: Option<MultiplexedConnection> = None;
    let mut backoff = BACKOFF_MIN;
    let mut failing = false;
    loop {
        let read = match conn.as_mut() {
            Some(c) => read(c, last).await,
            None => match client.get_multiplexed_async_connection_with_config(&config).await {
                Ok(c) => {
                    conn = Some(c);
                    continue;
                }
                Err(e) => Err(e),
            },
        };
        let entries = match read {
            Ok(entries) => {
                if failing {
                    tracing::info!(after = %last, "the change stream is readable again");
                    failing = false;
                }
                backoff = BACKOFF_MIN;
                entries
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, after = %last, "cannot read the change stream; retrying");
                    failing = true;
                }
                conn = None;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                continue;
            }
        };
        if entries.is_empty() {
            continue;
        }
        if !lag.is_zero() {
            tokio::time::sleep(lag).await;
        }
        match apply(&shared, entries).await {
            Ok(applied) => {
                last = applied;
                shared.publish(applied);
            }
            Err(why) => {
                shared.break_down(why);
                return;
            }
        }
    }
}

/// The entries after `last` (none when nothing came within [`BLOCK`]).
async fn read(conn: &mut MultiplexedConnection, last: EntryId) -> ::redis::RedisResult<Vec<StreamId>> {
    let reply: Option<StreamReadReply> = ::redis::cmd("XREAD")
        .arg("COUNT")
        .arg(READ_COUNT)
        .arg("BLOCK")
        .arg(BLOCK.as_millis() as u64)
        .arg("STREAMS")
        .arg(CHANGES)
        .arg(last.to_string())
        .query_async(conn)
        .await?;
    Ok(reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids).collect())
}

/// Applies `entries` in order; the last one's id, or why the projection cannot go on.
async fn apply(shared: &Shared, entries: Vec<StreamId>) -> Result<EntryId, String> {
    let mut queued = Vec::with_capacity(entries.len());
    for entry in &entries {
        let id: EntryId = entry.id.parse().map_err(|e| format!("the change stream is unreadable: {e}"))?;
        let own = text(entry, "node").is_some_and(|n| n == shared.node);
        let change = match (text(entry, "kind"), text(entry, "body")) {
            (Some(kind), Some(body)) => decode(&kind, &body),
            _ => Err(StoreError::Corrupt("a change stream entry lacks its kind or body".into())),
        };
        // Queued now: the projection's writer keeps the order of the calls.
        queued.push((id, own, to_projection(shared, change)));
    }
    let mut last = EntryId::ZERO;
    for (id, own, applying) in queued {
        let outcome = applying.await;
        match &outcome {
            Err(e @ (StoreError::Unavailable(_) | StoreError::Busy)) => {
                return Err(format!(
                    "the local projection failed to apply change {id}: {e}; restart the node"
                ));
            }
            Err(e) => tracing::error!(entry = %id, error = %e, "change refused by the projection"),
            Ok(_) => {}
        }
        if own && !matches!(outcome, Ok(None)) {
            shared.record(id, outcome);
        }
        last = id;
    }
    Ok(last)
}

/// The projection's write for one decoded entry.
fn to_projection(shared: &Shared, change: Result<Change, StoreError>) -> StoreFuture<Option<bool>> {
    let p = &shared.projection;
    let done =
        |f: StoreFuture<()>| -> StoreFuture<Option<bool>> { Box::pin(async move { f.await.map(|()| None) }) };
    match change {
        Ok(Change::Commit(commit)) => done(p.append(*commit)),
        Ok(Change::Outbox(OutboxChange::Delivered { id })) => done(p.delivered(id)),
        Ok(Change::Outbox(OutboxChange::RetryLater { id, attempts, next_at })) => {
            done(p.retry_later(id, attempts, next_at))
        }
        Ok(Change::Outbox(OutboxChange::Park { id, attempts, at, reason })) => {
            done(p.park(id, attempts, at, reason))
        }
        Ok(Change::Outbox(OutboxChange::Requeue { id, now })) => {
            let requeued = p.requeue_parked(id, now);
            Box::pin(async move { requeued.await.map(Some) })
        }
        Err(e) => {
            let outcome: Outcome = Err(e);
            Box::pin(async move { outcome })
        }
    }
}

/// A text field of an entry.
fn text(entry: &StreamId, field: &str) -> Option<String> {
    let value: &Value = entry.map.get(field)?;
    ::redis::from_redis_value_ref(value).ok()
}
