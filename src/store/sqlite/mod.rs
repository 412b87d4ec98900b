//! The embedded backend: one SQLite database in the data directory, in WAL mode with
//! `synchronous = FULL`, so an acknowledged append survives a crash and a power loss.
//!
//! - `store.rs`: [`SqliteStore`]: opening, the [`Store`](super::Store) implementation, shutdown.
//! - `schema.rs`: tables, indexes, pragmas and connection setup.
//! - `writer.rs`: the dedicated writer thread: group commit with one savepoint per write.
//! - `apply.rs`: how one [`Commit`](super::Commit) becomes rows (the fencing check included),
//!   and the outbox updates (delivered, retry later, park, re-queue).
//! - `reads.rs`: the read-only connection pool on blocking threads and the simple reads.
//! - `outbox.rs`: the outbox reads: due rows, parked rows page by page.
//! - `columns.rs`: the indexed filter and sort columns of a chat row.
//! - `list.rs`: the dialog list query: filters, sort, keyset cursor.
//! - `convert.rs`: mapping between SQLite values, domain types and [`StoreError`](super::StoreError).
//!
//! Architecture invariant: only the writer thread writes, and it never runs on an async runtime
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
