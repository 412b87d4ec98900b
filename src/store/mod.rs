//! Durable storage behind one trait ([`Store`]): the event journal per conversation, the message
//! index, chat summary rows for the dialog list, global chat numbering and the deadline index.
//!
//! - [`commit`]: what one decided command writes (a [`Commit`]), built purely from its outcome.
//! - [`query`]: dialog-list and message queries.
//! - [`report`]: reports per operator or line: what is counted, and the arithmetic.
//! - [`outbox`]: webhook deliveries written with their commit, read back until accepted.
//! - [`snapshot`]: conversation snapshots as stored (a versioned JSON envelope).
//! - `sqlite`: the embedded backend (a dedicated writer thread with group commit).
//! - `redis`: the cluster backend: Redis holds the record (fenced Lua scripts appending to a
//!   change stream), each node reads from a local SQLite projection of that stream.
//! - `conformance`: the behaviour every backend must show, run against each one.
//!
//! Futures returned by the trait own their data (`'static`) so actors can await them without
//! borrowing; a backend never blocks the caller's thread.

pub(crate) mod change;
pub mod commit;
pub mod journal;
pub mod outbox;
pub(crate) mod progress;
pub mod query;
pub mod redis;
pub mod report;
pub mod snapshot;
pub mod sqlite;
pub(crate) mod threads;

use std::future::Future;
use std::pin::Pin;

use crate::domain::{
    AuthorView, ChatId, ChatView, Conversation, ConversationId, Event, MessageView, Timestamp,
};

pub use self::redis::RedisStore;
pub use commit::{Commit, DeadlineRow, MessageMove};
pub use journal::JournalStore;
pub use outbox::{Outbound, OutboundRow, ParkedPage, ParkedRow};
pub use query::{ChatPage, ChatQuery, MessageQuery, Scope, SortColumn, SortKey, TimeColumn, TimeRange};
pub use report::{ReportGroup, ReportQuery, ReportRow};
pub use sqlite::SqliteStore;

/// A store operation in flight.
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'static>>;

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum StoreError {
    /// The backend cannot be reached or failed to write (IO, disk full, closed).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The journal position of an append is taken: another writer owns the conversation.
    #[error("conversation {conversation}: journal position {position} is already written")]
    Conflict {
        /// The conversation.
        conversation: ConversationId,
        /// The position the append expected to write at.
        position: u64,
    },
    /// A stored record cannot be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// A query is malformed (unknown sort column, bad cursor).
    #[error("{0}")]
    BadQuery(String),
    /// The writer's queue is full: nothing was written; the caller may try again shortly.
    #[error("the store is busy; try again")]
    Busy,
}

/// A conversation's stored journal, as far as activating it needs: the latest snapshot of its
/// state (if one was written) and the events after it. Older events stay stored (replay from
/// scratch is always possible) but are not read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Journal {
    /// The state after the first `start` events.
    pub snapshot: Option<Conversation>,
    /// The position of the first event of `events` (0 without a snapshot).
    pub start: u64,
    /// The events from `start` on, in order.
    pub events: Vec<Event>,
}

impl Journal {
    /// The journal of every event from the first, without a snapshot.
    pub fn of_events(events: Vec<Event>) -> Self {
        Self { snapshot: None, start: 0, events }
    }

    /// The state the journal rebuilds, and how many events it holds in all.
    pub fn replay(&self, id: ConversationId) -> (Conversation, u64) {
        let mut state = self.snapshot.clone().unwrap_or_else(|| Conversation::new(id));
        for event in &self.events {
            state.apply(event);
        }
        (state, self.start + self.events.len() as u64)
    }
}

/// What the store knows of a conversation without loading it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConversationHead {
    /// Its latest chat (merged chats excluded), if it has any.
    pub latest_chat: Option<ChatId>,
}

/// Durable storage. Every method is safe to call concurrently from many actors.
pub trait Store: Send + Sync + 'static {
    /// Writes `commit` atomically: its events at positions `commit.position..`, its messages,
    /// message moves, chat rows, outbox rows and the conversation's next deadline. Resolves only once the
    /// write is durable (the caller may then acknowledge). Fails with
    /// [`StoreError::Conflict`] when the position is already written, writing nothing.
    fn append(&self, commit: Commit) -> StoreFuture<()>;

    /// The journal of `conversation` from its latest snapshot on (empty when it has none).
    fn load(&self, conversation: ConversationId) -> StoreFuture<Journal>;

    /// Whether `conversation` has a journal (`None`: it does not exist yet), and its latest
    /// chat. Cheap: nothing is loaded or activated.
    fn conversation_head(&self, conversation: ConversationId) -> StoreFuture<Option<ConversationHead>>;

    /// The stored message `author` sent in `conversation` with this idempotency key, if any
    /// (each author's keys are their own: a client and an operator may use the same key).
    fn find_message(
        &self,
        conversation: ConversationId,
        author: AuthorView,
        client_msg_id: String,
    ) -> StoreFuture<Option<MessageView>>;

    /// The chat row `id` (merged chats included).
    fn chat(&self, id: ChatId) -> StoreFuture<Option<ChatView>>;

    /// Chat rows matching `query`, sorted and paginated; merged chats never appear.
    fn chats(&self, query: ChatQuery) -> StoreFuture<ChatPage>;

    /// The report `query` asks for: one row per operator or line with chats created in the
    /// range, by key (see [`report`] for what is counted).
    fn report(&self, query: ReportQuery) -> StoreFuture<Vec<ReportRow>>;

    /// Every chat that is active or closing (what the supervisor rebuilds its queues from).
    fn open_chats(&self) -> StoreFuture<Vec<ChatView>>;

    /// Messages of a conversation or chat: the latest `limit` before `before_seq`, oldest first.
    fn messages(&self, query: MessageQuery) -> StoreFuture<Vec<MessageView>>;

    /// Conversations whose next deadline is at or before `until`, earliest first, at most `limit`.
    fn due(&self, until: Timestamp, limit: usize) -> StoreFuture<Vec<(ConversationId, Timestamp)>>;

    /// Webhook deliveries due at `now`, earliest `next_at` first (then by conversation), at most
    /// `limit`. Deliveries of one conversation go out in journal order, so only each
    /// conversation's earliest pending delivery is listed, and only when it is due itself.
    /// Parked deliveries are never listed and hold nothing back.
    fn due_outbound(&self, now: Timestamp, limit: usize) -> StoreFuture<Vec<OutboundRow>>;

    /// The receiver accepted delivery `id`: removes it (unknown ids are no error). Written by
    /// the same writer as appends; resolves once durable.
    fn delivered(&self, id: String) -> StoreFuture<()>;

    /// Delivery `id` failed `attempts` times so far: it is due again at `next_at`, and the later
    /// deliveries of its conversation (which wait for it) are not due before then either.
    /// Unknown ids are no error. Resolves once durable.
    fn retry_later(&self, id: String, attempts: u32, next_at: Timestamp) -> StoreFuture<()>;

    /// Delivery `id` is given up on after `attempts` failed attempts: it is parked at `at` with
    /// `reason`, keeping its payload; it is no longer due and no longer holds back the later
    /// deliveries of its conversation. Unknown or already parked ids are no error. Resolves once
    /// durable.
    fn park(&self, id: String, attempts: u32, at: Timestamp, reason: String) -> StoreFuture<()>;

    /// Parked deliveries, oldest parked first (then by id), at most `limit` (1-500; 0 means 50),
    /// continuing after `cursor` (a previous page's `next_cursor`; a malformed one is a
    /// [`StoreError::BadQuery`]).
    fn parked_outbound(&self, cursor: Option<String>, limit: usize) -> StoreFuture<ParkedPage>;

    /// Re-queues the parked delivery `id`: no attempts, due at `now`, its age counted from `now`;
    /// as its conversation's earliest pending delivery it holds the later ones back again.
    /// Resolves once durable, with whether a parked delivery had this id (else nothing changed).
    fn requeue_parked(&self, id: String, now: Timestamp) -> StoreFuture<bool>;

    /// How many deliveries are parked.
    fn parked_count(&self) -> StoreFuture<u64>;

    /// Allocates the next chat number: unique in the installation and increasing. Numbers
    /// allocated but never committed are skipped, never reused while the store is open.
    fn next_chat_id(&self) -> ChatId;

    /// Resolves when the backend answers (readiness).
    fn check(&self) -> StoreFuture<()>;

    /// Resolves once every append accepted so far is durable (graceful shutdown).
    fn flush(&self) -> StoreFuture<()>;
}

#[cfg(test)]
pub(crate) mod conformance;
