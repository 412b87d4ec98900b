//! [`SqliteStore`]: opening the data directory, the [`Store`] implementation (appends go to
//! the writer thread, reads to the read pool) and shutdown. Must not touch SQL itself.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::apply;
use super::checkpoint;
use super::list;
use super::outbox;
use super::reads::{self, Readers};
use super::replay;
use super::report;
use super::schema::{open_checkpointer, open_wal, open_writer, sync_parent_dir, FILE_NAME};
use super::sync;
use super::writer::{self, OutboxUpdate, Request};
use crate::domain::{AuthorView, ChatId, ChatView, ConversationId, MessageView, Timestamp};
use crate::store::change::{Change, OutboxChange};
use crate::store::threads::{ask, join, send_when_room};
use crate::store::{
    ChatPage, ChatQuery, Commit, ConversationHead, Journal, MessageQuery, OutboundRow, ParkedPage,
    ReportQuery, ReportRow, Store, StoreError, StoreFuture,
};

/// Read connections in use at once at most.
const READERS: usize = 4;

/// Requests waiting for the writer at most: beyond this, appends are refused at once
/// ([`StoreError::Busy`]) rather than queued without bound. Several full batches' worth, so a
/// burst is absorbed while the disk keeps up.
const QUEUE: usize = 8 * writer::MAX_BATCH;

/// The embedded store: one SQLite database in a data directory.
///
/// Appends are queued to a dedicated writer thread (group commit: one transaction for every
/// append queued meanwhile) and resolve once a syncer thread has made them durable (one fsync
/// for every batch written meanwhile). Reads run on tokio's
/// blocking threads, so every future must be polled inside a tokio runtime (actix runs one).
///
/// Dropping the store lets the writer finish what is queued and waits for it to exit;
/// [`SqliteStore::close`] does the waiting without blocking the async caller.
pub struct SqliteStore {
    /// `None` only while dropping: dropping the sender is what stops the writer.
    requests: Option<SyncSender<Request>>,
    writer: Option<JoinHandle<()>>,
    /// Ends after the writer (it drains what the writer handed over).
    syncer: Option<JoinHandle<()>>,
    /// Ends after the syncer.
    checkpointer: Option<JoinHandle<()>>,
    writer_alive: Arc<AtomicBool>,
    readers: Arc<Readers>,
    /// The last chat number handed out.
    last_chat_id: AtomicU64,
}

impl SqliteStore {
    /// Opens the store in `dir`, creating the directory and the database when missing; an
    /// existing one is recovered as it was (every acknowledged append included), and chat
    /// numbering continues above the highest stored chat. Blocking (it opens and checks the
    /// database): call it at startup, not from an async task.
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(dir, QUEUE, None, None)
    }

    /// [`SqliteStore::open`] that first writes the journal records `changes` (in order) into
    /// the database, skipping those it already holds (see `replay.rs`), and syncs them before
    /// the store starts. Also returns the last record the database then holds. Blocking.
    pub(crate) fn open_replaying(
        dir: &Path,
        changes: &mut dyn Iterator<Item = (u64, Change)>,
    ) -> Result<(SqliteStore, u64), StoreError> {
        let mut applied = 0;
        let store = Self::open_with(dir, QUEUE, None, Some((changes, &mut applied)))?;
        Ok((store, applied))
    }

    /// [`SqliteStore::open`] with a writer queue of `queue` requests and, in tests, another
    /// file for the syncer to sync than the WAL (one that cannot be synced makes every sync
    /// fail).
    pub(super) fn open_with(
        dir: &Path,
        queue: usize,
        sync_file: Option<File>,
        replay: Option<(&mut dyn Iterator<Item = (u64, Change)>, &mut u64)>,
    ) -> Result<SqliteStore, StoreError> {
        if !dir.is_dir() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
            sync_parent_dir(dir)?;
        }
        let path = dir.join(FILE_NAME);
        let conn = open_writer(&path)?;
        let wal = match sync_file {
            Some(file) => file,
            None => open_wal(&path)?,
        };
        if let Some((changes, applied)) = replay {
            let replayed = replay::replay(&conn, changes)?;
            *applied = apply::journal_applied(&conn)?;
            if replayed > 0 {
                wal.sync_data().map_err(|e| {
                    StoreError::Unavailable(format!("cannot sync the replayed journal to disk: {e}"))
                })?;
                tracing::info!(replayed, "journal tail written into the database");
            }
        }
        let max_chat = reads::max_chat_id(&conn)?;
        let (requests, queue) = mpsc::sync_channel(queue);
        // Set by the syncer when a sync fails; from then on the writer and the checkpointer
        // write nothing until the process restarts.
        let sync_failed = Arc::new(AtomicBool::new(false));
        let checkpointer_conn = open_checkpointer(&path)?;
        let (to_syncer, written) = mpsc::channel();
        let (to_checkpointer, wake) = mpsc::sync_channel(1);
        let writer_alive = Arc::new(AtomicBool::new(true));
        let alive = Arc::clone(&writer_alive);
        let checkpointer = std::thread::Builder::new()
            .name("frontline-store-checkpoint".into())
            .spawn({
                let sync_failed = Arc::clone(&sync_failed);
                move || checkpoint::run(checkpointer_conn, wake, alive, sync_failed)
            })
            .map_err(|e| StoreError::Unavailable(format!("cannot start the checkpointer thread: {e}")))?;
        let alive = Arc::clone(&writer_alive);
        let syncer = std::thread::Builder::new()
            .name("frontline-store-sync".into())
            .spawn({
                let sync_failed = Arc::clone(&sync_failed);
                move || sync::run(wal, written, to_checkpointer, alive, sync_failed)
            })
            .map_err(|e| StoreError::Unavailable(format!("cannot start the syncer thread: {e}")))?;
        let alive = Arc::clone(&writer_alive);
        let writer = std::thread::Builder::new()
            .name("frontline-store-writer".into())
            .spawn(move || writer::run(conn, queue, to_syncer, alive, sync_failed))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer thread: {e}")))?;
        tracing::info!(path = %path.display(), max_chat, "store opened");
        Ok(SqliteStore {
            requests: Some(requests),
            writer: Some(writer),
            syncer: Some(syncer),
            checkpointer: Some(checkpointer),
            writer_alive,
            readers: Arc::new(Readers::new(path, READERS)),
            last_chat_id: AtomicU64::new(max_chat),
        })
    }

    /// Queues `change` for the writer, waiting for room in a full queue (the journal's thread
    /// uses this: back-pressure rather than refusal, since the change is already durable in the
    /// journal). A re-queue reports into `found`. The answer comes once the change is written and
    /// synced. Blocking: never call it on an async runtime thread.
    pub(crate) fn project(
        &self,
        seq: u64,
        change: Change,
        found: Arc<AtomicBool>,
    ) -> Result<oneshot::Receiver<Result<(), StoreError>>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let journal = Some(seq);
        let request = match change {
            Change::Commit(commit) => Request::Append { commit: *commit, journal, reply },
            Change::Outbox(change) => {
                Request::Outbox { update: OutboxUpdate::of(change, found), journal, reply }
            }
        };
        let stopped = || StoreError::Unavailable("the store writer has stopped".into());
        self.requests.as_ref().ok_or_else(stopped)?.send(request).map_err(|_| stopped())?;
        Ok(answer)
    }

    /// How many events of `conversation` are written, read on the calling thread. Blocking.
    pub(crate) fn stored_end(&self, conversation: &ConversationId) -> Result<u64, StoreError> {
        self.readers.run_here(|c| apply::stored_end(c, conversation))
    }

    /// Whether a stored message of `conversation` by `author` has the idempotency key `key`,
    /// read on the calling thread. Blocking.
    pub(crate) fn message_key_taken(
        &self,
        conversation: &ConversationId,
        author: &AuthorView,
        key: &str,
    ) -> Result<bool, StoreError> {
        self.readers.run_here(|c| Ok(reads::find_message(c, conversation, author, key)?.is_some()))
    }

    /// Whether an outbox row (pending or parked) has the id `id`, read on the calling thread.
    /// Blocking.
    pub(crate) fn outbox_id_taken(&self, id: &str) -> Result<bool, StoreError> {
        self.readers.run_here(|c| outbox::exists(c, id))
    }

    /// Waits (without blocking) until every queued append is durable, then stops the writer.
    pub async fn close(self) -> Result<(), StoreError> {
        let flushed = self.flush().await;
        drop(self);
        flushed
    }

    /// Queues `request` if the writer's queue has room ([`StoreError::Busy`] otherwise); its
    /// answer arrives on the returned future.
    fn send(&self, request: impl FnOnce(writer::Reply) -> Request) -> StoreFuture<()> {
        let (reply, answer) = oneshot::channel();
        ask(self.requests.as_ref(), request(reply), answer, "store writer")
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the queue lets the writer drain it and exit; waiting for it keeps the
        // database closed cleanly before the directory may be opened again.
        drop(self.requests.take());
        join(self.writer.take(), "store writer");
        join(self.syncer.take(), "store syncer");
        join(self.checkpointer.take(), "store checkpointer");
    }
}

impl Store for SqliteStore {
    fn append(&self, commit: Commit) -> StoreFuture<()> {
        // Queued now, not when first polled: appends keep the order they were made in.
        self.send(|reply| Request::Append { commit, journal: None, reply })
    }

    fn load(&self, conversation: ConversationId) -> StoreFuture<Journal> {
        self.readers.run(move |c| reads::load(c, &conversation))
    }

    fn conversation_head(&self, conversation: ConversationId) -> StoreFuture<Option<ConversationHead>> {
        self.readers.run(move |c| reads::conversation_head(c, &conversation))
    }

    fn find_message(
        &self,
        conversation: ConversationId,
        author: AuthorView,
        client_msg_id: String,
    ) -> StoreFuture<Option<MessageView>> {
        self.readers.run(move |c| reads::find_message(c, &conversation, &author, &client_msg_id))
    }

    fn chat(&self, id: ChatId) -> StoreFuture<Option<ChatView>> {
        self.readers.run(move |c| reads::chat(c, id))
    }

    fn chats(&self, query: ChatQuery) -> StoreFuture<ChatPage> {
        self.readers.run(move |c| list::chats(c, &query))
    }

    fn report(&self, query: ReportQuery) -> StoreFuture<Vec<ReportRow>> {
        self.readers.run(move |c| report::report(c, &query))
    }

    fn open_chats(&self) -> StoreFuture<Vec<ChatView>> {
        self.readers.run(reads::open_chats)
    }

    fn messages(&self, query: MessageQuery) -> StoreFuture<Vec<MessageView>> {
        self.readers.run(move |c| reads::messages(c, &query))
    }

    fn due(&self, until: Timestamp, limit: usize) -> StoreFuture<Vec<(ConversationId, Timestamp)>> {
        self.readers.run(move |c| reads::due(c, until, limit))
    }

    fn due_outbound(&self, now: Timestamp, limit: usize) -> StoreFuture<Vec<OutboundRow>> {
        self.readers.run(move |c| outbox::due_outbound(c, now, limit))
    }

    fn delivered(&self, id: String) -> StoreFuture<()> {
        self.send(|reply| Request::Outbox {
            update: OutboxUpdate::plain(OutboxChange::Delivered { id }),
            journal: None,
            reply,
        })
    }

    fn retry_later(&self, id: String, attempts: u32, next_at: Timestamp) -> StoreFuture<()> {
        self.send(|reply| Request::Outbox {
            update: OutboxUpdate::plain(OutboxChange::RetryLater { id, attempts, next_at }),
            journal: None,
            reply,
        })
    }

    fn park(&self, id: String, attempts: u32, at: Timestamp, reason: String) -> StoreFuture<()> {
        self.send(|reply| Request::Outbox {
            update: OutboxUpdate::plain(OutboxChange::Park { id, attempts, at, reason }),
            journal: None,
            reply,
        })
    }

    fn parked_outbound(&self, cursor: Option<String>, limit: usize) -> StoreFuture<ParkedPage> {
        self.readers.run(move |c| outbox::parked(c, cursor.as_deref(), limit))
    }

    fn requeue_parked(&self, id: String, now: Timestamp) -> StoreFuture<bool> {
        let found = Arc::new(AtomicBool::new(false));
        let update = OutboxUpdate::of(OutboxChange::Requeue { id, now }, Arc::clone(&found));
        let written = self.send(|reply| Request::Outbox { update, journal: None, reply });
        Box::pin(async move {
            written.await?;
            Ok(found.load(Ordering::SeqCst))
        })
    }

    fn parked_count(&self) -> StoreFuture<u64> {
        self.readers.run(outbox::parked_count)
    }

    fn next_chat_id(&self) -> ChatId {
        ChatId(self.last_chat_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn check(&self) -> StoreFuture<()> {
        if !self.writer_alive.load(Ordering::SeqCst) {
            return Box::pin(async { Err(StoreError::Unavailable("the store writer has stopped".into())) });
        }
        self.readers.run(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
    }

    fn flush(&self) -> StoreFuture<()> {
        // A flush waits for room in a full queue rather than failing: it is how shutdown makes
        // sure everything accepted is durable.
        let requests = self.requests.clone();
        Box::pin(async move {
            let Some(requests) = requests else {
                return Err(StoreError::Unavailable("the store writer has stopped".into()));
            };
            let (reply, answer) = oneshot::channel();
            if !send_when_room(&requests, Request::Flush { reply }).await {
                return Err(StoreError::Unavailable("the store writer has stopped".into()));
            }
            answer
                .await
                .map_err(|_| StoreError::Unavailable("the store writer stopped before answering".into()))?
        })
    }
}
