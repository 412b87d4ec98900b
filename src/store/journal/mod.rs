//! The embedded backend's durability point: an append-only journal of segment files in
//! `DATA_DIR/journal`, with a SQLite projection (`store::sqlite`) answering every read.
//!
//! - `store.rs`: [`JournalStore`]: opening (recovery and replay), the
//!   [`Store`](super::Store) implementation, shutdown.
//! - `record.rs`: a record's framing (length, CRC-32, sequence number, kind, JSON body) and
//!   reading a segment back, a torn tail told apart from corruption.
//! - `segments.rs`: the directory: segments read back in order at startup (a torn tail cut
//!   off), new ones created durably, applied ones removed.
//! - `writer.rs`: the writer thread (fencing, group commit: one `write` and one `fdatasync`
//!   per batch, then the answers; the records handed to the projection) and the applier thread
//!   (the projection's answers followed in order).
//! - `shared.rs`: how far the journal is durable and the projection applied; the read barrier.
//!
//! Invariants:
//! - A write is answered only after its record, and every record before it, is synced.
//! - The projection applies records in journal order; `applied ≤ durable` always.
//! - A read waits until `applied` reaches what was `durable` when it began.
//! - A segment is removed only once every record in it is applied and synced by the
//!   projection; replaying any record the projection already holds changes nothing.

mod record;
mod segments;
mod shared;
mod store;
mod writer;

#[cfg(test)]
mod tests;

pub use store::{JournalStore, JOURNAL_DIR};

/// Reads the bytes of one journal segment as recovery does: how many records it holds and how
/// many of its bytes are valid (the rest is a torn write that recovery cuts off), or why it is
/// corrupt. Pure; for inspection tools and the fuzz targets.
pub fn read_segment(bytes: &[u8]) -> Result<(usize, usize), crate::store::StoreError> {
    let scanned = record::scan(bytes, None)?;
    Ok((scanned.records.len(), scanned.valid))
}
