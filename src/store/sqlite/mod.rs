//! The embedded backend: one SQLite database in the data directory, in WAL mode with
//! `synchronous = NORMAL`: commits are not synced by SQLite but by the syncer thread, which
//! `fdatasync`s the WAL for every written batch before anything is acknowledged, so an
//! acknowledged append survives a crash and a power loss (checkpoints sync as well).
//!
//! - `store.rs`: [`SqliteStore`]: opening, the [`Store`](super::Store) implementation, shutdown.
//! - `schema.rs`: tables, indexes, pragmas and connection setup.
//! - `writer.rs`: the dedicated writer thread: group commit, one transaction per batch (each
//!   write in its own savepoint only when the batch must be written again after a failure).
//! - `sync.rs`: the syncer thread: one `fdatasync` of the WAL for every batch written
//!   meanwhile, then the answers; after a failed sync, nothing more is written.
//! - `checkpoint.rs`: the checkpointer thread: copies the WAL into the database file on its own
//!   connection, at most every 200 ms.
//! - `replay.rs`: recovery from the embedded journal (`store::journal`): the records after
//!   the last one the database holds (`journal_applied`) written before the store starts.
//! - `apply.rs`: how one [`Commit`](super::Commit) becomes rows (the fencing check included),
//!   and the outbox updates (delivered, retry later, park, re-queue).
//! - `chat_rows.rs`: one chat's narrow row, body, tags and subject words, written together.
//! - `tags.rs`, `words.rs`: the participant/reason/component index and the word index (FTS5)
//!   of the dialog list's filters.
//! - `upgrade.rs`: the upgrade to version 6 (chat rows rebuilt from their bodies, words indexed).
//! - `reads.rs`: the read-only connection pool on blocking threads and the simple reads.
//! - `outbox.rs`: the outbox reads: due rows, parked rows page by page.
//! - `columns.rs`: the filter and sort columns of a chat row, and which are indexed.
//! - `list.rs`: the dialog list query: sort, keyset cursor, the page.
//! - `plan.rs`: the dialog list's filters as SQL terms, and how a page is read: along the sort
//!   order, or from the rows of its most selective filter.
//! - `report.rs`: reports added up in SQL.
//! - `convert.rs`: mapping between SQLite values, domain types and [`StoreError`](super::StoreError).
//!
//! Architecture invariant: only the writer thread writes rows (the checkpointer copies pages the
//! writer committed, the syncer only syncs), and none of the three runs on an async runtime
//! thread; callers only enqueue work and await a reply, so no caller ever blocks on IO.

mod apply;
mod chat_rows;
mod checkpoint;
mod columns;
mod convert;
mod list;
mod outbox;
mod plan;
mod reads;
mod replay;
mod report;
mod schema;
mod store;
mod sync;
mod tags;
mod upgrade;
mod words;
mod writer;

#[cfg(test)]
mod tests;

pub use store::SqliteStore;
