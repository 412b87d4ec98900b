//! [`RedisStore`]: opening (Redis connection, projection rebuilt from scratch, background
//! tasks), the [`Store`] implementation (writes through the writer task, reads behind the read
//! barrier) and shutdown.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::streams::StreamRangeReply;
use ::redis::Client;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::chat_ids::{ChatIds, UNALLOCATED};
use super::record::{CommitRecord, EntryId, OutboxChange, CHANGES};
use super::scripts;
use super::shared::Shared;
use super::tailer;
use super::writer::{self, Request};
use crate::domain::{AuthorView, ChatId, ChatView, ConversationId, MessageView, Timestamp};
use crate::store::{
    ChatPage, ChatQuery, Commit, ConversationHead, Journal, MessageQuery, OutboundRow, ParkedPage,
    ReportQuery, ReportRow, SqliteStore, Store, StoreError, StoreFuture,
};

/// How long one Redis command (or pipeline) may take before the call answers unavailable.
const REDIS_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a write waits for this node's projection to apply it once Redis has it, and a read
/// for the projection to catch up with the stream.
const APPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// Requests waiting for the writer at most: beyond this, writes are refused at once
/// ([`StoreError::Busy`]).
const QUEUE: usize = 16 * writer::MAX_BATCH;

/// The file that marks a directory as a projection (so it may be wiped).
pub(super) const MARKER: &str = ".frontline-projection";

/// The Redis-backed store: Redis holds the record (each commit one fenced Lua script appending
/// to the change stream `fl:changes`); this node answers reads from a local SQLite projection
/// that a background task feeds from that stream.
///
/// Every future must be polled inside a tokio runtime, and [`RedisStore::open`] must be called
/// in one (it starts the background tasks there). Dropping the store stops them.
pub struct RedisStore {
    shared: Arc<Shared>,
    conn: ConnectionManager,
    requests: mpsc::Sender<Request>,
    chat_ids: Arc<ChatIds>,
    tailer: JoinHandle<()>,
    /// The leader epoch this node writes under (0: none; set by the cluster when it leads).
    epoch: Arc<AtomicU64>,
}

impl RedisStore {
    /// Connects to Redis at `url` (`redis://host:port/db`), wipes `projection_dir` (created
    /// when missing; a non-empty directory that is not a projection is refused) and rebuilds
    /// the projection there from the change stream, in the background: reads wait for it.
    /// Fails with [`StoreError::Unavailable`] when Redis cannot be reached.
    pub async fn open(url: &str, projection_dir: &Path) -> Result<RedisStore, StoreError> {
        Self::open_with(url, projection_dir, Duration::ZERO, None).await
    }

    /// [`RedisStore::open`] for the cluster node `node`: its entries name it, and its commits
    /// carry the leader epoch set through [`RedisStore::epoch`] (refused once another node
    /// leads).
    pub async fn open_node(url: &str, projection_dir: &Path, node: &str) -> Result<RedisStore, StoreError> {
        Self::open_with(url, projection_dir, Duration::ZERO, Some(node)).await
    }

    /// Where the cluster sets the leader epoch this node's commits are fenced by.
    pub fn epoch(&self) -> Arc<AtomicU64> {
        self.epoch.clone()
    }

    /// [`RedisStore::open`] whose tailer waits `lag` before applying each read of the stream
    /// (tests: a node whose projection lags behind).
    pub(super) async fn open_with(
        url: &str,
        projection_dir: &Path,
        lag: Duration,
        node: Option<&str>,
    ) -> Result<RedisStore, StoreError> {
        let client =
            Client::open(url).map_err(|e| StoreError::Unavailable(format!("redis url {url:?}: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let unreachable = |e: String| StoreError::Unavailable(format!("redis at {url}: {e}"));
        let conn =
            tokio::time::timeout(REDIS_TIMEOUT, ConnectionManager::new_with_config(client.clone(), config))
                .await
                .map_err(|_| unreachable("no answer".into()))?
                .map_err(|e| unreachable(e.to_string()))?;
        let chat_ids = ChatIds::start(client.clone(), conn.clone(), REDIS_TIMEOUT)
            .await
            .map_err(|e| unreachable(e.to_string()))?;

        let dir = projection_dir.to_path_buf();
        let projection = tokio::task::spawn_blocking(move || open_projection(&dir))
            .await
            .map_err(|e| StoreError::Unavailable(format!("opening the projection failed: {e}")))??;
        let instance = uuid::Uuid::new_v4().to_string();
        let name = node.map_or_else(|| instance.clone(), |node| format!("{node}:{instance}"));
        let shared = Arc::new(Shared::new(name, projection));
        let (requests, queue) = mpsc::channel(QUEUE);
        tokio::spawn(writer::run(conn.clone(), queue, REDIS_TIMEOUT));
        let tailer = tokio::spawn(tailer::run(Arc::clone(&shared), client, EntryId::ZERO, lag));
        tracing::info!(redis = %url, projection = %projection_dir.display(), node = %shared.node, "redis store opened");
        Ok(RedisStore { shared, conn, requests, chat_ids, tailer, epoch: Arc::new(AtomicU64::new(0)) })
    }

    /// Waits until everything accepted so far is applied, then stops.
    pub async fn close(self) -> Result<(), StoreError> {
        let flushed = self.flush().await;
        drop(self);
        flushed
    }

    /// Queues a script invocation for the writer; the returned future resolves with the
    /// outcome of applying its entry on this node.
    fn write(&self, cmd: ::redis::Cmd, fenced: Option<(ConversationId, u64)>) -> StoreFuture<Option<bool>> {
        let (reply, written) = oneshot::channel();
        // Queued now, not when first polled: writes reach Redis in the order they were made.
        let queued = self.requests.try_send(Request::Write { cmd, fenced, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => StoreError::Busy,
            mpsc::error::TrySendError::Closed(_) => {
                StoreError::Unavailable("the redis writer has stopped".into())
            }
        });
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            queued?;
            let id = written
                .await
                .map_err(|_| StoreError::Unavailable("the redis writer stopped before answering".into()))??;
            shared.settle(id, APPLY_TIMEOUT).await
        })
    }

    /// Writes an outbox change through the stream.
    fn outbox(&self, change: OutboxChange) -> StoreFuture<Option<bool>> {
        let body = match serde_json::to_string(&change) {
            Ok(body) => body,
            Err(e) => return failed(StoreError::Unavailable(format!("cannot encode an outbox change: {e}"))),
        };
        let delivered = match &change {
            OutboxChange::Delivered { id } => Some(id.as_str()),
            _ => None,
        };
        self.write(scripts::outbox(&self.shared.node, &body, delivered), None)
    }

    /// A read from the projection once it has applied everything the stream held when the read
    /// began (read-your-writes, across nodes too).
    fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&SqliteStore) -> StoreFuture<T> + Send + 'static,
    ) -> StoreFuture<T> {
        let shared = Arc::clone(&self.shared);
        let conn = self.conn.clone();
        Box::pin(async move {
            barrier(&shared, conn).await?;
            read(&shared.projection).await
        })
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        // The writer ends by itself once its queue closes (with this handle's sender).
        self.tailer.abort();
    }
}

fn failed<T: Send + 'static>(e: StoreError) -> StoreFuture<T> {
    Box::pin(async move { Err(e) })
}

/// Waits until the projection has applied the stream's last entry as of now.
async fn barrier(shared: &Shared, mut conn: ConnectionManager) -> Result<(), StoreError> {
    shared.healthy()?;
    // Taken before asking Redis: the tailer may apply newer entries meanwhile, never ones the
    // stream did not hold, so a stream ending before this lost entries.
    let applied = shared.applied();
    let reply: StreamRangeReply = redis_call(
        ::redis::cmd("XREVRANGE").arg(CHANGES).arg("+").arg("-").arg("COUNT").arg(1).query_async(&mut conn),
    )
    .await?;
    let last = match reply.ids.first() {
        Some(entry) => entry.id.parse()?,
        None => EntryId::ZERO,
    };
    if last < applied {
        return Err(StoreError::Unavailable(format!(
            "the change stream ends at {last}, before {applied} which this node applied: \
             Redis lost acknowledged changes"
        )));
    }
    shared.wait_applied(last, APPLY_TIMEOUT).await
}

/// One Redis call, bounded by [`REDIS_TIMEOUT`].
async fn redis_call<T>(
    call: impl std::future::Future<Output = ::redis::RedisResult<T>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(REDIS_TIMEOUT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(StoreError::Unavailable(format!("redis: {e}"))),
        Err(_) => Err(StoreError::Unavailable(format!("redis did not answer within {REDIS_TIMEOUT:?}"))),
    }
}

/// Wipes `dir` (if it is a projection or empty) and opens a fresh projection in it. Blocking.
fn open_projection(dir: &Path) -> Result<SqliteStore, StoreError> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        StoreError::Unavailable(format!("cannot {what} {}: {e}", path.display()))
    };
    if dir.exists() {
        let marked = dir.join(MARKER).is_file();
        let empty = std::fs::read_dir(dir).map_err(|e| io("read", dir, e))?.next().is_none();
        if !marked && !empty {
            return Err(StoreError::Unavailable(format!(
                "{} is not empty and is not a projection: refusing to wipe it",
                dir.display()
            )));
        }
        std::fs::remove_dir_all(dir).map_err(|e| io("wipe", dir, e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    let marker: PathBuf = dir.join(MARKER);
    std::fs::write(&marker, "a projection of the Redis change stream: wiped and rebuilt at every start\n")
        .map_err(|e| io("write", &marker, e))?;
    SqliteStore::open(dir)
}

impl Store for RedisStore {
    fn append(&self, commit: Commit) -> StoreFuture<()> {
        if let Some(chat) = commit.chats.iter().find(|c| c.id.0 >= UNALLOCATED) {
            return failed(StoreError::Unavailable(format!(
                "chat {} was numbered while Redis was unreachable; nothing was written",
                chat.id
            )));
        }
        let body = match CommitRecord::of(&commit).and_then(|r| {
            serde_json::to_string(&r)
                .map_err(|e| StoreError::Unavailable(format!("cannot encode a commit: {e}")))
        }) {
            Ok(body) => body,
            Err(e) => return failed(e),
        };
        let cmd = scripts::commit(&commit, &self.shared.node, &body, self.epoch.load(Ordering::Acquire));
        let written = self.write(cmd, Some((commit.conversation, commit.position)));
        Box::pin(async move { written.await.map(|_| ()) })
    }

    fn load(&self, conversation: ConversationId) -> StoreFuture<Journal> {
        self.read(move |p| p.load(conversation))
    }

    fn conversation_head(&self, conversation: ConversationId) -> StoreFuture<Option<ConversationHead>> {
        self.read(move |p| p.conversation_head(conversation))
    }

    fn find_message(
        &self,
        conversation: ConversationId,
        author: AuthorView,
        client_msg_id: String,
    ) -> StoreFuture<Option<MessageView>> {
        self.read(move |p| p.find_message(conversation, author, client_msg_id))
    }

    fn chat(&self, id: ChatId) -> StoreFuture<Option<ChatView>> {
        self.read(move |p| p.chat(id))
    }

    fn chats(&self, query: ChatQuery) -> StoreFuture<ChatPage> {
        self.read(move |p| p.chats(query))
    }

    fn report(&self, query: ReportQuery) -> StoreFuture<Vec<ReportRow>> {
        self.read(move |p| p.report(query))
    }

    fn open_chats(&self) -> StoreFuture<Vec<ChatView>> {
        self.read(|p| p.open_chats())
    }

    fn messages(&self, query: MessageQuery) -> StoreFuture<Vec<MessageView>> {
        self.read(move |p| p.messages(query))
    }

    fn due(&self, until: Timestamp, limit: usize) -> StoreFuture<Vec<(ConversationId, Timestamp)>> {
        self.read(move |p| p.due(until, limit))
    }

    fn due_outbound(&self, now: Timestamp, limit: usize) -> StoreFuture<Vec<OutboundRow>> {
        self.read(move |p| p.due_outbound(now, limit))
    }

    fn delivered(&self, id: String) -> StoreFuture<()> {
        let written = self.outbox(OutboxChange::Delivered { id });
        Box::pin(async move { written.await.map(|_| ()) })
    }

    fn retry_later(&self, id: String, attempts: u32, next_at: Timestamp) -> StoreFuture<()> {
        let written = self.outbox(OutboxChange::RetryLater { id, attempts, next_at });
        Box::pin(async move { written.await.map(|_| ()) })
    }

    fn park(&self, id: String, attempts: u32, at: Timestamp, reason: String) -> StoreFuture<()> {
        let written = self.outbox(OutboxChange::Park { id, attempts, at, reason });
        Box::pin(async move { written.await.map(|_| ()) })
    }

    fn parked_outbound(&self, cursor: Option<String>, limit: usize) -> StoreFuture<ParkedPage> {
        self.read(move |p| p.parked_outbound(cursor, limit))
    }

    fn requeue_parked(&self, id: String, now: Timestamp) -> StoreFuture<bool> {
        let written = self.outbox(OutboxChange::Requeue { id, now });
        Box::pin(async move {
            match written.await? {
                Some(found) => Ok(found),
                None => Err(StoreError::Unavailable("the outcome of the re-queue was lost".into())),
            }
        })
    }

    fn parked_count(&self) -> StoreFuture<u64> {
        self.read(|p| p.parked_count())
    }

    fn next_chat_id(&self) -> ChatId {
        self.chat_ids.next()
    }

    fn check(&self) -> StoreFuture<()> {
        let shared = Arc::clone(&self.shared);
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let pong: String = redis_call(::redis::cmd("PING").query_async(&mut conn)).await?;
            if pong != "PONG" {
                return Err(StoreError::Unavailable(format!("redis answered {pong:?} to PING")));
            }
            barrier(&shared, conn).await?;
            shared.projection.check().await
        })
    }

    fn flush(&self) -> StoreFuture<()> {
        let requests = self.requests.clone();
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            requests
                .send(Request::Flush { reply })
                .await
                .map_err(|_| StoreError::Unavailable("the redis writer has stopped".into()))?;
            let last = answer
                .await
                .map_err(|_| StoreError::Unavailable("the redis writer stopped before answering".into()))?;
            if let Some(id) = last {
                shared.wait_applied(id, APPLY_TIMEOUT).await?;
            }
            shared.projection.flush().await
        })
    }
}
