//! [`JournalStore`]: opening (the journal read back, its tail replayed into the projection),
//! the [`Store`] implementation (writes through the writer thread, reads behind the read
//! barrier) and shutdown.

use std::collections::VecDeque;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use super::segments;
use super::shared::Shared;
use super::writer::{self, Request, Sync, Writer};
use crate::domain::{AuthorView, ChatId, ChatView, ConversationId, MessageView, Timestamp};
use crate::store::change::{Change, OutboxChange};
use crate::store::threads::{ask, join, send_when_room};
use crate::store::{
    ChatPage, ChatQuery, Commit, ConversationHead, Journal, MessageQuery, OutboundRow, ParkedPage,
    ReportQuery, ReportRow, SqliteStore, Store, StoreError, StoreFuture,
};

/// The journal's directory inside the data directory.
pub const JOURNAL_DIR: &str = "journal";

/// Requests waiting for the writer at most: beyond this, writes are refused at once
/// ([`StoreError::Busy`]).
const QUEUE: usize = 8 * writer::MAX_BATCH;

/// How long a read waits for the projection to catch up with the journal.
const CATCH_UP: Duration = Duration::from_secs(10);

/// The embedded store: an append-only journal is the durability point, and a SQLite database
/// in the same directory (`SqliteStore`) is its projection, answering every read.
///
/// A write is acknowledged once its record is synced to the journal (group commit: one write
/// and one `fdatasync` for every write queued meanwhile); the projection applies the records
/// behind it in large batches. Every read first waits until the projection holds every record
/// durable when the read began (the read barrier), so a read after an acknowledgement sees it.
/// At startup, the journal's records are replayed into the projection (what it already holds
/// is skipped); segments the projection holds for good are removed as it goes.
///
/// Every future must be polled inside a tokio runtime (reads run on its blocking threads).
/// Dropping the store lets the writer finish what is queued and waits for the threads to exit.
pub struct JournalStore {
    /// `None` only while dropping: dropping the sender is what stops the writer.
    requests: Option<SyncSender<Request>>,
    writer: Option<JoinHandle<()>>,
    /// Ends after the writer.
    applier: Option<JoinHandle<()>>,
    writer_alive: Arc<AtomicBool>,
    shared: Arc<Shared>,
    projection: Arc<SqliteStore>,
    /// Records per batch written (see [`JournalStore::metrics`]).
    batch_records: prometheus::Histogram,
}

impl JournalStore {
    /// Opens the store in `dir` (created when missing): the journal in `dir/journal`, the
    /// projection beside it. What the journal holds is replayed into the projection before
    /// this returns. Blocking: call it at startup, not from an async task.
    pub fn open(dir: &Path) -> Result<JournalStore, StoreError> {
        Self::open_with(dir, QUEUE, writer::SEGMENT_BYTES, |file| file.sync_data())
    }

    /// [`JournalStore::open`] with a writer queue of `queue` requests, segments closed at
    /// `segment_bytes`, and `sync` to make a segment durable (tests: one that fails).
    pub(super) fn open_with(
        dir: &Path,
        queue: usize,
        segment_bytes: u64,
        sync: Sync,
    ) -> Result<JournalStore, StoreError> {
        let journal_dir = dir.join(JOURNAL_DIR);
        let recovered = segments::recover(&journal_dir)?;
        let replayed = recovered.records.len();
        let (projection, applied) = SqliteStore::open_replaying(dir, &mut recovered.records.into_iter())?;
        let projection = Arc::new(projection);
        // Everything recovered is now in the projection for good: a new segment starts, and the
        // old ones go. Numbering goes on after whatever the database holds (an emptied journal
        // directory must not number records the database would skip as already held).
        let next_seq = recovered.next_seq.max(applied + 1);
        let file = segments::create(&journal_dir, next_seq).or_else(|e| {
            // An empty segment left by an earlier start that wrote nothing into it.
            let path = segments::path(&journal_dir, next_seq);
            if recovered.segments.last() == Some(&path) {
                File::options().append(true).open(&path).map_err(|_| e)
            } else {
                Err(e)
            }
        })?;
        let path = segments::path(&journal_dir, next_seq);
        for old in recovered.segments.iter().filter(|old| **old != path) {
            segments::remove(old);
        }
        tracing::info!(
            journal = %journal_dir.display(), replayed, cut = recovered.cut, next_seq,
            "journal opened"
        );
        let shared = Arc::new(Shared::new(next_seq - 1));
        let (requests, queue) = mpsc::sync_channel(queue);
        let (to_applier, pending) = mpsc::channel();
        let writer_alive = Arc::new(AtomicBool::new(true));
        let batch_records = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new(
                "journal_batch_records",
                "Records written per journal batch (one write and one fdatasync)",
            )
            .namespace("frontline")
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0]),
        )
        .map_err(|e| StoreError::Unavailable(format!("cannot define the journal's metrics: {e}")))?;
        let state = Writer {
            dir: journal_dir,
            file,
            path,
            size: 0,
            segment_bytes,
            closed: VecDeque::new(),
            next_seq,
            ends: Default::default(),
            taken: Default::default(),
            projection: Arc::clone(&projection),
            shared: Arc::clone(&shared),
            sync,
            failed: None,
            alive: Arc::clone(&writer_alive),
            batch_records: batch_records.clone(),
        };
        let writer = std::thread::Builder::new()
            .name("frontline-journal".into())
            .spawn(move || state.run(queue, to_applier))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the journal thread: {e}")))?;
        let applier = std::thread::Builder::new()
            .name("frontline-journal-apply".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || writer::apply(pending, shared)
            })
            .map_err(|e| StoreError::Unavailable(format!("cannot start the journal applier thread: {e}")))?;
        Ok(JournalStore {
            requests: Some(requests),
            writer: Some(writer),
            applier: Some(applier),
            writer_alive,
            shared,
            projection,
            batch_records,
        })
    }

    /// The journal's own metrics, for the node's `/metrics`: records per batch.
    pub fn metrics(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        vec![Box::new(self.batch_records.clone())]
    }

    /// Waits (without blocking) until every queued write is durable, then stops.
    pub async fn close(self) -> Result<(), StoreError> {
        let flushed = self.flush().await;
        drop(self);
        flushed
    }

    /// Journals `change` if the writer's queue has room ([`StoreError::Busy`] otherwise); resolves
    /// with its record's number once durable.
    fn journal(&self, change: Change, found: Arc<AtomicBool>) -> StoreFuture<u64> {
        let (reply, answer) = oneshot::channel();
        ask(self.requests.as_ref(), Request::Change { change, found, reply }, answer, "journal writer")
    }

    /// Journals an outbox change.
    fn outbox(&self, change: OutboxChange) -> StoreFuture<()> {
        let written = self.journal(Change::Outbox(change), Arc::new(AtomicBool::new(false)));
        Box::pin(async move { written.await.map(drop) })
    }

    /// `read` of the projection, once it holds everything durable now (the read barrier).
    fn read<T: Send + 'static>(&self, read: StoreFuture<T>) -> StoreFuture<T> {
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            shared.caught_up(CATCH_UP).await?;
            read.await
        })
    }
}

impl Drop for JournalStore {
    fn drop(&mut self) {
        // Closing the queue lets the writer drain it and exit; the applier then follows the
        // projection's last answers; dropping the projection last waits for its threads.
        drop(self.requests.take());
        join(self.writer.take(), "journal writer");
        join(self.applier.take(), "journal applier");
    }
}

impl Store for JournalStore {
    fn append(&self, commit: Commit) -> StoreFuture<()> {
        // Queued now, not when first polled: appends keep the order they were made in.
        let written = self.journal(Change::Commit(Box::new(commit)), Arc::new(AtomicBool::new(false)));
        Box::pin(async move { written.await.map(drop) })
    }

    fn load(&self, conversation: ConversationId) -> StoreFuture<Journal> {
        self.read(self.projection.load(conversation))
    }

    fn conversation_head(&self, conversation: ConversationId) -> StoreFuture<Option<ConversationHead>> {
        self.read(self.projection.conversation_head(conversation))
    }

    fn find_message(
        &self,
        conversation: ConversationId,
        author: AuthorView,
        client_msg_id: String,
    ) -> StoreFuture<Option<MessageView>> {
        self.read(self.projection.find_message(conversation, author, client_msg_id))
    }

    fn chat(&self, id: ChatId) -> StoreFuture<Option<ChatView>> {
        self.read(self.projection.chat(id))
    }

    fn chats(&self, query: ChatQuery) -> StoreFuture<ChatPage> {
        self.read(self.projection.chats(query))
    }

    fn report(&self, query: ReportQuery) -> StoreFuture<Vec<ReportRow>> {
        self.read(self.projection.report(query))
    }

    fn open_chats(&self) -> StoreFuture<Vec<ChatView>> {
        self.read(self.projection.open_chats())
    }

    fn messages(&self, query: MessageQuery) -> StoreFuture<Vec<MessageView>> {
        self.read(self.projection.messages(query))
    }

    fn due(&self, until: Timestamp, limit: usize) -> StoreFuture<Vec<(ConversationId, Timestamp)>> {
        self.read(self.projection.due(until, limit))
    }

    fn due_outbound(&self, now: Timestamp, limit: usize) -> StoreFuture<Vec<OutboundRow>> {
        self.read(self.projection.due_outbound(now, limit))
    }

    fn delivered(&self, id: String) -> StoreFuture<()> {
        self.outbox(OutboxChange::Delivered { id })
    }

    fn retry_later(&self, id: String, attempts: u32, next_at: Timestamp) -> StoreFuture<()> {
        self.outbox(OutboxChange::RetryLater { id, attempts, next_at })
    }

    fn park(&self, id: String, attempts: u32, at: Timestamp, reason: String) -> StoreFuture<()> {
        self.outbox(OutboxChange::Park { id, attempts, at, reason })
    }

    fn parked_outbound(&self, cursor: Option<String>, limit: usize) -> StoreFuture<ParkedPage> {
        self.read(self.projection.parked_outbound(cursor, limit))
    }

    fn requeue_parked(&self, id: String, now: Timestamp) -> StoreFuture<bool> {
        let found = Arc::new(AtomicBool::new(false));
        let written = self.journal(Change::Outbox(OutboxChange::Requeue { id, now }), Arc::clone(&found));
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            let seq = written.await?;
            // Whether the row was parked is known once the projection applied the change.
            shared.progress.reached(seq, CATCH_UP).await?;
            Ok(found.load(Ordering::SeqCst))
        })
    }

    fn parked_count(&self) -> StoreFuture<u64> {
        self.read(self.projection.parked_count())
    }

    fn next_chat_id(&self) -> ChatId {
        self.projection.next_chat_id()
    }

    fn check(&self) -> StoreFuture<()> {
        if !self.writer_alive.load(Ordering::SeqCst) {
            return Box::pin(async { Err(StoreError::Unavailable("the journal writer has stopped".into())) });
        }
        if let Err(e) = self.shared.progress.healthy() {
            return Box::pin(async move { Err(e) });
        }
        self.projection.check()
    }

    fn flush(&self) -> StoreFuture<()> {
        // A flush waits for room in a full queue rather than failing: it is how shutdown makes
        // sure everything accepted is durable.
        let requests = self.requests.clone();
        Box::pin(async move {
            let stopped = || StoreError::Unavailable("the journal writer has stopped".into());
            let requests = requests.ok_or_else(stopped)?;
            let (reply, answer) = oneshot::channel();
            if !send_when_room(&requests, Request::Flush { reply }).await {
                return Err(stopped());
            }
            answer.await.map_err(|_| stopped())?.map(drop)
        })
    }
}
