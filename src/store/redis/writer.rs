//! The writer task: the only sender of this node's writes to Redis. It takes requests in the
//! order the store's methods were called, drains what else is queued (up to [`MAX_BATCH`]) and
//! sends the whole batch as one pipeline of script calls, so Redis runs them in call order (a
//! commit at position 1 never overtakes its predecessor at 0) and syncs its append-only file
//! once for many of them. Each caller gets its entry id (or why not) and then waits on its own
//! for the projection to apply it.

use std::time::Duration;

use ::redis::aio::ConnectionManager;
use ::redis::{Cmd, RedisResult, Value};
use tokio::sync::{mpsc, oneshot};

use super::record::EntryId;
use super::scripts::{self, Refusal};
use crate::domain::ConversationId;
use crate::store::StoreError;

/// The most requests sent in one pipeline.
pub(super) const MAX_BATCH: usize = 256;

/// What a written request is answered with: its stream entry.
pub(super) type Reply = oneshot::Sender<Result<EntryId, StoreError>>;

/// Work for the writer.
pub(super) enum Request {
    /// Run a script that appends one stream entry.
    Write {
        /// The script invocation.
        cmd: Cmd,
        /// For a commit: its conversation and position (what a conflict names).
        fenced: Option<(ConversationId, u64)>,
        /// Where the outcome goes.
        reply: Reply,
    },
    /// Answered, once everything queued before it is answered, with the last entry this writer
    /// wrote (if any).
    Flush {
        /// Where the outcome goes.
        reply: oneshot::Sender<Option<EntryId>>,
    },
}

/// Runs until every sender is gone and the queue is drained. A pipeline that fails or times
/// out (Redis down) is answered unavailable as a whole; the connection manager reconnects on
/// its own and the next batch goes out normally.
pub(super) async fn run(
    mut conn: ConnectionManager,
    mut requests: mpsc::Receiver<Request>,
    timeout: Duration,
) {
    let mut last: Option<EntryId> = None;
    while let Some(first) = requests.recv().await {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match requests.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let mut pipe = ::redis::pipe();
        pipe.ignore_errors();
        let mut answers = Vec::with_capacity(batch.len());
        for request in batch {
            match request {
                Request::Write { cmd, fenced, reply } => {
                    pipe.add_command(cmd);
                    answers.push(Answer::Write { fenced, reply });
                }
                Request::Flush { reply } => answers.push(Answer::Flush { reply }),
            }
        }
        let mut results = if pipe.is_empty() {
            Ok(Vec::new().into_iter())
        } else {
            match tokio::time::timeout(timeout, pipe.query_async::<Vec<RedisResult<Value>>>(&mut conn)).await
            {
                Ok(Ok(results)) => Ok(results.into_iter()),
                Ok(Err(e)) => Err(StoreError::Unavailable(format!("redis: {e}"))),
                Err(_) => Err(StoreError::Unavailable(format!("redis did not answer within {timeout:?}"))),
            }
        };
        if let Err(e) = &results {
            tracing::warn!(error = %e, "a batch of writes to Redis failed; none of it is acknowledged");
        }
        for answer in answers {
            match answer {
                Answer::Flush { reply } => {
                    let _ = reply.send(last);
                }
                Answer::Write { fenced, reply } => {
                    let outcome = match &mut results {
                        Err(e) => Err(e.clone()),
                        Ok(values) => match values.next() {
                            Some(Ok(value)) => outcome(&value, fenced),
                            Some(Err(e)) => Err(StoreError::Unavailable(format!("redis: {e}"))),
                            None => Err(StoreError::Unavailable("redis answered too few replies".into())),
                        },
                    };
                    if let Ok(id) = outcome {
                        last = last.max(Some(id));
                    }
                    let _ = reply.send(outcome);
                }
            }
        }
    }
}

enum Answer {
    Write { fenced: Option<(ConversationId, u64)>, reply: Reply },
    Flush { reply: oneshot::Sender<Option<EntryId>> },
}

/// What one script reply means for its caller.
fn outcome(value: &Value, fenced: Option<(ConversationId, u64)>) -> Result<EntryId, StoreError> {
    match scripts::reply(value)? {
        Ok(id) => Ok(id),
        // A writer that no longer leads is refused like a stale position: its actor drops.
        Err(Refusal::Conflict | Refusal::Fenced) => match fenced {
            Some((conversation, position)) => Err(StoreError::Conflict { conversation, position }),
            None => Err(StoreError::Unavailable("unexpected fencing conflict".into())),
        },
        Err(Refusal::Duplicate(what)) => {
            Err(StoreError::Unavailable(format!("refused: {what} is already stored; nothing was written")))
        }
    }
}
