//! The journal's directory: segment files named by the sequence number of their first record
//! (`00000000000000000001.journal`), read back in order at startup with a torn tail cut off,
//! and new ones created durably. Blocking IO only; called by `store.rs` (opening) and the
//! writer thread.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::record::{scan, Scanned};
use crate::store::change::Change;
use crate::store::StoreError;

/// The file name ending of a segment.
const SUFFIX: &str = ".journal";

/// What the journal held at startup.
#[derive(Debug)]
pub(super) struct Recovered {
    /// Every record, in order.
    pub(super) records: Vec<(u64, Change)>,
    /// The number the next record gets.
    pub(super) next_seq: u64,
    /// The segment files read, oldest first.
    pub(super) segments: Vec<PathBuf>,
    /// How many bytes of a torn write were cut off the last segment.
    pub(super) cut: u64,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("cannot {what} {}: {e}", path.display()))
}

/// The path of the segment whose first record is `first`.
pub(super) fn path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}{SUFFIX}"))
}

/// The segments in `dir` with their first sequence numbers, in order. Other files are left alone.
fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>, StoreError> {
    let mut segments = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io("read", dir, e))? {
        let entry = entry.map_err(|e| io("read", dir, e))?;
        let name = entry.file_name();
        let Some(first) = name.to_str().and_then(|n| n.strip_suffix(SUFFIX)).and_then(|n| n.parse().ok())
        else {
            continue;
        };
        segments.push((first, entry.path()));
    }
    segments.sort();
    Ok(segments)
}

/// Reads every segment of `dir` (created when missing), in order. A torn write at the end of
/// the last segment is cut off (the file truncated and synced); anything wrong elsewhere is
/// [`StoreError::Corrupt`]: only the last segment is ever written without a sync after it.
pub(super) fn recover(dir: &Path) -> Result<Recovered, StoreError> {
    if !dir.is_dir() {
        std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        sync_dir(dir.parent().unwrap_or(dir))?;
    }
    let listed = list(dir)?;
    let mut records = Vec::new();
    let mut next_seq = listed.first().map_or(1, |(first, _)| *first);
    let mut cut = 0;
    let last = listed.len().saturating_sub(1);
    for (i, (first, path)) in listed.iter().enumerate() {
        if *first != next_seq {
            return Err(StoreError::Corrupt(format!(
                "journal segment {} starts at record {first}, expected {next_seq}",
                path.display()
            )));
        }
        let mut bytes = Vec::new();
        File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(|e| io("read", path, e))?;
        let Scanned { records: read, valid } = scan(&bytes, Some(*first))
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", path.display())))?;
        if valid < bytes.len() {
            if i != last {
                return Err(StoreError::Corrupt(format!(
                    "journal segment {} is damaged at byte {valid} and is not the last one",
                    path.display()
                )));
            }
            cut = (bytes.len() - valid) as u64;
            tracing::warn!(segment = %path.display(), valid, cut, "cutting a torn write off the journal's end");
            let file = OpenOptions::new().write(true).open(path).map_err(|e| io("open", path, e))?;
            file.set_len(valid as u64).map_err(|e| io("truncate", path, e))?;
            file.sync_all().map_err(|e| io("sync", path, e))?;
        }
        next_seq = first + read.len() as u64;
        records.extend(read);
    }
    Ok(Recovered { records, next_seq, segments: listed.into_iter().map(|(_, p)| p).collect(), cut })
}

/// Creates the segment whose first record is `first` and makes its name durable (the
/// directory synced) before anything is written to it.
pub(super) fn create(dir: &Path, first: u64) -> Result<File, StoreError> {
    let path = path(dir, first);
    let file =
        OpenOptions::new().create_new(true).append(true).open(&path).map_err(|e| io("create", &path, e))?;
    sync_dir(dir)?;
    Ok(file)
}

/// Syncs the directory `dir` (its entries: created and removed files).
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io("sync", dir, e))
}

/// Removes a segment every record of which is in the database for good. Best effort: a
/// segment left behind is read again at the next start, and replaying it changes nothing.
pub(super) fn remove(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(segment = %path.display(), error = %e, "cannot remove an applied journal segment");
    }
}
