//! The stores' own threads, seen from their handle: waiting for room in a writer thread's
//! bounded queue, and joining a thread on the way out.

use std::sync::mpsc::{SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::store::{StoreError, StoreFuture};

/// How often a full queue is tried again.
const RETRY: Duration = Duration::from_millis(5);

/// Queues `request` for the thread `writer` names if its queue has room ([`StoreError::Busy`]
/// otherwise; unavailable once the thread is gone). The returned future resolves with the
/// thread's answer on `answer`. Queued now, not when first polled: requests keep the order they
/// were made in.
pub(crate) fn ask<R, T: Send + 'static>(
    requests: Option<&SyncSender<R>>,
    request: R,
    answer: oneshot::Receiver<Result<T, StoreError>>,
    writer: &'static str,
) -> StoreFuture<T> {
    let stopped = move || StoreError::Unavailable(format!("the {writer} has stopped"));
    let queued = match requests {
        Some(requests) => requests.try_send(request).map_err(|e| match e {
            TrySendError::Full(_) => StoreError::Busy,
            TrySendError::Disconnected(_) => stopped(),
        }),
        None => Err(stopped()),
    };
    Box::pin(async move {
        queued?;
        answer.await.map_err(|_| StoreError::Unavailable(format!("the {writer} stopped before answering")))?
    })
}

/// Queues `request` on `requests`, waiting (without blocking the async caller) while the queue
/// is full; `false` once the writer is gone. For what must not be refused for a full queue,
/// such as the flush that shutdown relies on.
pub(crate) async fn send_when_room<T>(requests: &SyncSender<T>, mut request: T) -> bool {
    loop {
        match requests.try_send(request) {
            Ok(()) => return true,
            Err(TrySendError::Full(back)) => {
                request = back;
                tokio::time::sleep(RETRY).await;
            }
            Err(TrySendError::Disconnected(_)) => return false,
        }
    }
}

/// Waits for the store thread `thread` (if not joined yet) to end; a panic is logged as the
/// panic of `name`.
pub(crate) fn join(thread: Option<JoinHandle<()>>, name: &str) {
    if thread.is_some_and(|t| t.join().is_err()) {
        tracing::error!(thread = name, "a store thread panicked");
    }
}
