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
//! - `apply.rs`: how one [`Commit`](super::Commit) becomes rows (the fencing check included),
//!   and the outbox updates (delivered, retry later, park, re-queue).
//! - `reads.rs`: the read-only connection pool on blocking threads and the simple reads.
//! - `outbox.rs`: the outbox reads: due rows, parked rows page by page.
//! - `columns.rs`: the indexed filter and sort columns of a chat row.
//! - `list.rs`: the dialog list query: filters, sort, keyset cursor.
//! - `convert.rs`: mapping between SQLite values, domain types and [`StoreError`](super::StoreError).
//!
//! Architecture invariant: only the writer thread writes rows (the checkpointer copies pages the
//! writer committed, the syncer only syncs), and none of the three runs on an async runtime
//! thread; callers only enqueue work and await a reply, so no caller ever blocks on IO.

mod apply;
mod checkpoint;
mod columns;
mod convert;
mod list;
mod outbox;
mod reads;
mod schema;
mod store;
mod sync;
mod writer;

#[cfg(test)]
mod tests;

pub use store::SqliteStore;
