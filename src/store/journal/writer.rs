//! The writer thread: the durability point. It takes the first queued request, drains whatever
//! else is queued (up to [`MAX_BATCH`]), checks each commit's journal position (fencing),
//! appends the records of the accepted ones to the current segment with one `write` and one
//! `fdatasync`, and only then answers them. Then it hands the records to the projection
//! (`SqliteStore`, waiting for room: back-pressure), and the applier thread follows the
//! projection's answers in order to publish how far it got.
//!
//! Fencing: a commit must continue its conversation's journal exactly. The writer knows where
//! every conversation written since the start ends; of any other, the projection holds every
//! record (an entry is forgotten only once the projection applied it), so it asks the
//! projection.
//!
//! A failed write or sync cannot be retried (the file's tail is unknown, and after a failed
//! sync the kernel may have dropped the dirty pages): the batch is answered with an error and
//! every later request refused until the process restarts, which cuts the torn tail off.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::record::encode;
use super::segments;
use super::shared::Shared;
use crate::domain::ConversationId;
use crate::store::change::Change;
use crate::store::{Commit, SqliteStore, StoreError};

/// The most requests written in one batch.
pub(super) const MAX_BATCH: usize = 1024;

/// A segment is closed and a new one started once it holds this many bytes (by default).
pub(super) const SEGMENT_BYTES: u64 = 32 << 20;

/// Conversations remembered before the writer forgets those the projection has caught up with.
const REMEMBERED: usize = 65_536;

/// The answer a request gets: the record's sequence number (for a flush: the last durable one).
pub(super) type Reply = oneshot::Sender<Result<u64, StoreError>>;

/// How the writer makes a segment durable (tests: a sync that fails).
pub(super) type Sync = fn(&File) -> io::Result<()>;

/// Work for the writer.
pub(super) enum Request {
    /// Journal a change; answered once durable.
    Change {
        /// What to journal.
        change: Change,
        /// Where the projection reports whether a re-queued row was parked.
        found: Arc<AtomicBool>,
        /// Where the outcome goes.
        reply: Reply,
    },
    /// Answered once everything queued before it is durable.
    Flush {
        /// Where the outcome goes.
        reply: Reply,
    },
}

/// What a commit may not write twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Taken {
    /// A message's idempotency key (conversation, author kind, author id, key).
    Key(ConversationId, &'static str, String, String),
    /// An outbox row's id.
    Outbox(String),
}

/// A record handed to the projection: the applier waits for its answer, in order.
pub(super) struct Projecting {
    /// The record.
    pub(super) seq: u64,
    /// The projection's answer.
    pub(super) answer: oneshot::Receiver<Result<(), StoreError>>,
}

/// The writer's state.
pub(super) struct Writer {
    pub(super) dir: PathBuf,
    /// The segment being appended to, and its path.
    pub(super) file: File,
    pub(super) path: PathBuf,
    /// Its size.
    pub(super) size: u64,
    /// The size at which a segment is closed.
    pub(super) segment_bytes: u64,
    /// Closed segments still needed, oldest first, with their last record.
    pub(super) closed: VecDeque<(PathBuf, u64)>,
    /// The number the next record gets.
    pub(super) next_seq: u64,
    /// Where each conversation written lately ends, and its last record.
    pub(super) ends: HashMap<ConversationId, (u64, u64)>,
    /// Message idempotency keys and outbox ids journaled lately, with their record: the
    /// projection may not hold them yet.
    pub(super) taken: HashMap<Taken, u64>,
    pub(super) projection: Arc<SqliteStore>,
    pub(super) shared: Arc<Shared>,
    pub(super) sync: Sync,
    /// Set once a write or sync failed.
    pub(super) failed: Option<StoreError>,
    /// Cleared when the writer stops or fails (readiness reports it).
    pub(super) alive: Arc<AtomicBool>,
    /// Records per batch written.
    pub(super) batch_records: prometheus::Histogram,
}

impl Writer {
    /// Runs until every sender is gone and the queue is drained; the applier ends when `to_applier`
    /// is dropped on the way out. `alive` is cleared however it ends.
    pub(super) fn run(mut self, requests: Receiver<Request>, to_applier: Sender<Projecting>) {
        let _alive = AliveGuard(Arc::clone(&self.alive));
        let mut buf = Vec::with_capacity(1 << 20);
        while let Ok(first) = requests.recv() {
            let mut batch = Vec::with_capacity(64);
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match requests.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            buf.clear();
            let written = self.write_batch(batch, &mut buf);
            for (seq, change, found) in written {
                let answer = match self.projection.project(seq, change, found) {
                    Ok(answer) => answer,
                    Err(e) => {
                        self.shared
                            .progress
                            .break_down(format!("the projection stopped taking records: {e}"));
                        continue;
                    }
                };
                if to_applier.send(Projecting { seq, answer }).is_err() {
                    self.shared.progress.break_down("the journal applier has stopped".into());
                }
            }
            self.tidy();
        }
    }

    /// Journals `batch`: answers every request, and returns the accepted changes to project.
    fn write_batch(&mut self, batch: Vec<Request>, buf: &mut Vec<u8>) -> Vec<(u64, Change, Arc<AtomicBool>)> {
        let refusal = self.failed.clone().or_else(|| self.shared.progress.healthy().err());
        if let Some(refused) = refusal {
            for request in batch {
                let _ = reply_of(request).send(Err(refused.clone()));
            }
            return Vec::new();
        }
        let mut accepted = Vec::new();
        let mut replies = Vec::with_capacity(batch.len());
        // Where conversations end with this batch's accepted commits (applied to `ends` once durable).
        let mut moved: HashMap<ConversationId, u64> = HashMap::new();
        let mut seq = self.next_seq;
        for request in batch {
            match request {
                Request::Flush { reply } => replies.push((reply, None)),
                Request::Change { change, found, reply } => {
                    if let Change::Commit(commit) = &change {
                        if let Err(e) = self.check(commit, &moved, seq) {
                            let _ = reply.send(Err(e));
                            continue;
                        }
                    }
                    if let Err(e) = encode(seq, &change, buf) {
                        let _ = reply.send(Err(e));
                        continue;
                    }
                    if let Change::Commit(commit) = &change {
                        moved.insert(commit.conversation.clone(), commit.end());
                    }
                    replies.push((reply, Some(seq)));
                    accepted.push((seq, change, found));
                    seq += 1;
                }
            }
        }
        if !buf.is_empty() {
            if let Err(e) = self.file.write_all(buf).and_then(|()| (self.sync)(&self.file)) {
                tracing::error!(
                    error = ?e, segment = %self.path.display(),
                    "writing or syncing the journal failed; the store refuses every write until the node is restarted"
                );
                let failed = StoreError::Unavailable(format!("writing the journal to disk failed: {e}"));
                self.failed = Some(failed.clone());
                self.alive.store(false, Ordering::SeqCst);
                for (reply, _) in replies {
                    let _ = reply.send(Err(failed.clone()));
                }
                return Vec::new();
            }
            self.size += buf.len() as u64;
            self.batch_records.observe((seq - self.next_seq) as f64);
            let last = seq - 1;
            self.next_seq = seq;
            self.shared.made_durable(last);
            for (conversation, end) in moved {
                self.ends.insert(conversation, (end, last));
            }
        }
        let durable = self.shared.durable();
        for (reply, seq) in replies {
            // The caller may have stopped waiting (dropped the future); the write stands.
            let _ = reply.send(Ok(seq.unwrap_or(durable)));
        }
        accepted
    }

    /// Refuses `commit` unless it continues its conversation's journal exactly (fencing) and
    /// reuses no stored message key or outbox id; then remembers its keys and ids as taken by
    /// record `seq` (a batch that fails to write stops the store, so nothing needs undoing).
    fn check(
        &mut self,
        commit: &Commit,
        moved: &HashMap<ConversationId, u64>,
        seq: u64,
    ) -> Result<(), StoreError> {
        let end = match moved.get(&commit.conversation) {
            Some(end) => *end,
            None => self.end_of(&commit.conversation)?,
        };
        if end != commit.position {
            return Err(StoreError::Conflict {
                conversation: commit.conversation.clone(),
                position: commit.position,
            });
        }
        let mut taken = Vec::new();
        for message in &commit.messages {
            if let Some(key) = &message.client_msg_id {
                let author = &message.author;
                let entry = Taken::Key(
                    commit.conversation.clone(),
                    author.kind.as_str(),
                    author.id.clone(),
                    key.clone(),
                );
                if self.taken.contains_key(&entry)
                    || taken.contains(&entry)
                    || self.projection.message_key_taken(&commit.conversation, author, key)?
                {
                    return Err(duplicate(&format!("message key {key:?}")));
                }
                taken.push(entry);
            }
        }
        for outbound in &commit.outbox {
            let entry = Taken::Outbox(outbound.id.clone());
            if self.taken.contains_key(&entry)
                || taken.contains(&entry)
                || self.projection.outbox_id_taken(&outbound.id)?
            {
                return Err(duplicate(&format!("webhook delivery {}", outbound.id)));
            }
            taken.push(entry);
        }
        self.taken.extend(taken.into_iter().map(|t| (t, seq)));
        Ok(())
    }

    /// Where `conversation`'s journal ends: remembered, or asked of the projection, which holds
    /// every record of a conversation the writer does not remember.
    fn end_of(&self, conversation: &ConversationId) -> Result<u64, StoreError> {
        match self.ends.get(conversation) {
            Some((end, _)) => Ok(*end),
            None => self.projection.stored_end(conversation),
        }
    }

    /// After a batch: starts a new segment when this one is full, removes the closed segments the
    /// projection has applied, and forgets the conversations it has caught up with.
    fn tidy(&mut self) {
        if self.failed.is_some() {
            return;
        }
        if self.size >= self.segment_bytes {
            match segments::create(&self.dir, self.next_seq) {
                Ok(file) => {
                    let path = segments::path(&self.dir, self.next_seq);
                    let closed = std::mem::replace(&mut self.path, path);
                    self.closed.push_back((closed, self.next_seq - 1));
                    self.file = file;
                    self.size = 0;
                }
                // Appending to the full segment goes on; the next batch tries again.
                Err(e) => tracing::warn!(error = %e, "cannot start a new journal segment"),
            }
        }
        let applied = self.shared.progress.applied();
        while self.closed.front().is_some_and(|(_, last)| *last <= applied) {
            if let Some((path, _)) = self.closed.pop_front() {
                segments::remove(&path);
            }
        }
        if self.ends.len() > REMEMBERED {
            self.ends.retain(|_, (_, last)| *last > applied);
        }
        if self.taken.len() > REMEMBERED {
            self.taken.retain(|_, last| *last > applied);
        }
    }
}

/// Follows the projection's answers in journal order and publishes how far it got. A record the
/// projection refuses for its own reason is logged and passed (it was fenced on the way in, so
/// this means a bug, not a lost race); a projection that cannot write any more breaks the store.
pub(super) fn apply(pending: Receiver<Projecting>, shared: Arc<Shared>) {
    while let Ok(Projecting { seq, answer }) = pending.recv() {
        match answer.blocking_recv() {
            Ok(Ok(())) => {}
            Ok(Err(StoreError::Unavailable(why))) => shared.progress.break_down(why),
            Ok(Err(e)) => tracing::error!(seq, error = %e, "the projection refused a journaled record"),
            Err(_) => shared.progress.break_down("the projection stopped before answering".into()),
        }
        shared.progress.publish(seq);
    }
}

/// Clears a thread's liveness flag however the thread ends (a panic included).
pub(super) struct AliveGuard(pub(super) Arc<AtomicBool>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// A commit refused for writing something already stored.
fn duplicate(what: &str) -> StoreError {
    StoreError::Unavailable(format!("refused: {what} is already stored; nothing was written"))
}

fn reply_of(request: Request) -> Reply {
    match request {
        Request::Change { reply, .. } | Request::Flush { reply } => reply,
    }
}
