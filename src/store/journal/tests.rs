//! The conformance suite against [`JournalStore`], plus what only this backend has: recovery
//! from the journal alone, a torn last record cut at every byte, a failed sync, segments
//! rotated and removed once applied, a full queue.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::store::{JournalStore, JOURNAL_DIR};
use super::writer::SEGMENT_BYTES;

const _: () = assert!(SEGMENT_BYTES >= 1 << 20, "a production segment holds many batches");
use crate::domain::{ConversationId, Timestamp};
use crate::store::conformance::support::{client, take, Script};
use crate::store::conformance::{conformance_tests, InTempDir};
use crate::store::{Commit, DeadlineRow, Store, StoreError};

/// Stores in temporary directories (`<tmp>/data`, created by `open`).
fn open(dir: &Path) -> Arc<dyn Store> {
    Arc::new(JournalStore::open(dir).unwrap())
}

conformance_tests!(InTempDir(open));

/// A commit that only sets `client`'s deadline row (a small record).
fn deadline_only(client: &str, position: u64, due: i64) -> Commit {
    Commit {
        conversation: ConversationId::new("web", client),
        position,
        events: Vec::new(),
        messages: Vec::new(),
        moves: Vec::new(),
        chats: Vec::new(),
        deadline: DeadlineRow::Set(Timestamp(due)),
        outbox: Vec::new(),
        snapshot: None,
    }
}

/// The clients whose deadline row is due by `until`.
async fn due_clients(store: &dyn Store, until: i64) -> Vec<String> {
    let mut due: Vec<String> = store
        .due(Timestamp(until), 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|(c, _)| c.client.to_string())
        .collect();
    due.sort();
    due
}

/// The segment files of a data directory, oldest first.
fn segments(data: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(data.join(JOURNAL_DIR)).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

/// Copies the journal of `from` (and nothing else) into the new data directory `to`.
fn copy_journal(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join(JOURNAL_DIR)).unwrap();
    for segment in segments(from) {
        std::fs::copy(&segment, to.join(JOURNAL_DIR).join(segment.file_name().unwrap())).unwrap();
    }
}

/// Two conversations of a few commits each, then `web:z`'s deadline as the very last record.
async fn write_history(store: &dyn Store) -> (Script, Script) {
    let mut a = Script::new("a");
    let mut b = Script::new("b");
    for script in [&mut a, &mut b] {
        let (first, state) = script.decide(store, client("hello"));
        store.append(first.clone()).await.unwrap();
        script.adopt(&first, state);
        let (taken, state) = script.decide(store, take("alice", script.latest()));
        store.append(taken.clone()).await.unwrap();
        script.adopt(&taken, state);
    }
    store.append(deadline_only("z", 0, 1)).await.unwrap();
    (a, b)
}

#[tokio::test]
async fn the_database_is_rebuilt_from_the_journal_alone() {
    let storage = tempfile::tempdir().unwrap();
    let data = storage.path().join("data");
    let store = JournalStore::open(&data).unwrap();
    let (a, b) = write_history(&store).await;
    store.close().await.unwrap();

    let rebuilt = storage.path().join("rebuilt");
    copy_journal(&data, &rebuilt);
    let store = JournalStore::open(&rebuilt).unwrap();
    for script in [&a, &b] {
        let journal = store.load(script.conv.id.clone()).await.unwrap();
        assert_eq!(journal.events, script.journal, "{}", script.conv.id);
    }
    assert_eq!(due_clients(&store, 1).await, ["z"]);
    // The journal goes on where it ended.
    store.append(deadline_only("y", 0, 1)).await.unwrap();
    assert!(matches!(store.append(deadline_only("z", 1, 1)).await, Err(StoreError::Conflict { .. })));
}

#[tokio::test]
async fn a_torn_last_record_is_cut_off_at_every_byte_and_everything_before_it_recovers() {
    let storage = tempfile::tempdir().unwrap();
    let data = storage.path().join("data");
    let store = JournalStore::open(&data).unwrap();
    let (a, b) = write_history(&store).await;
    // The size of the segment without its last record (`web:z`'s deadline).
    let whole = std::fs::metadata(&segments(&data)[0]).unwrap().len();
    store.close().await.unwrap();
    let before_last = {
        let probe = tempfile::tempdir().unwrap();
        let store = JournalStore::open(probe.path()).unwrap();
        store.append(deadline_only("z", 0, 1)).await.unwrap();
        let one = std::fs::metadata(&segments(probe.path())[0]).unwrap().len();
        drop(store);
        whole - one
    };
    assert!(before_last < whole);

    for cut in before_last..=whole {
        let dir = storage.path().join(format!("cut-{cut}"));
        copy_journal(&data, &dir);
        let segment = &segments(&dir)[0];
        std::fs::OpenOptions::new().write(true).open(segment).unwrap().set_len(cut).unwrap();
        let store = JournalStore::open(&dir).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        for script in [&a, &b] {
            let journal = store.load(script.conv.id.clone()).await.unwrap();
            assert_eq!(journal.events, script.journal, "cut at {cut}: {}", script.conv.id);
        }
        let survived = cut == whole;
        assert_eq!(due_clients(&store, 1).await == ["z"], survived, "cut at {cut}");
        // The torn bytes are gone: the journal goes on cleanly after the valid part.
        if !survived {
            store.append(deadline_only("z", 0, 1)).await.unwrap();
        }
        store.append(deadline_only("after", 0, 1)).await.unwrap();
        store.close().await.unwrap();
        let store = JournalStore::open(&dir).unwrap();
        assert_eq!(due_clients(&store, 1).await, ["after", "z"], "cut at {cut}, reopened");
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[tokio::test]
async fn damage_before_the_last_segment_is_refused_not_cut() {
    let storage = tempfile::tempdir().unwrap();
    let data = storage.path().join("data");
    let dir = storage.path().join("damaged");
    std::fs::create_dir_all(dir.join(JOURNAL_DIR)).unwrap();
    // Tiny segments: every batch starts a new one. Each is copied right after its write, before
    // the writer removes it as applied: a journal stopped with several segments unapplied.
    let store = JournalStore::open_with(&data, 64, 1, |f| f.sync_data()).unwrap();
    for i in 0..3 {
        store.append(deadline_only(&format!("c{i}"), 0, 1)).await.unwrap();
        for segment in segments(&data) {
            let _ = std::fs::copy(&segment, dir.join(JOURNAL_DIR).join(segment.file_name().unwrap()));
        }
    }
    store.close().await.unwrap();
    let files = segments(&dir);
    assert!(files.len() >= 2, "{files:?}");
    let first = &files[0];
    let len = std::fs::metadata(first).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(first).unwrap().set_len(len - 1).unwrap();
    let opened = JournalStore::open(&dir);
    assert!(
        matches!(&opened, Err(StoreError::Corrupt(m)) if m.contains("not the last")),
        "{:?}",
        opened.err()
    );
}

#[tokio::test]
async fn applied_segments_are_removed_and_what_they_held_stays() {
    let storage = tempfile::tempdir().unwrap();
    let data = storage.path().join("data");
    let store = JournalStore::open_with(&data, 64, 1, |f| f.sync_data()).unwrap();
    for i in 0..50 {
        store.append(deadline_only(&format!("c{i:02}"), 0, 1)).await.unwrap();
    }
    // Once the projection has caught up, the writer removes the closed segments after its next
    // batch: only the open one and those of the last batches remain.
    let _ = store.due(Timestamp(1), 1).await.unwrap();
    for i in 0..100 {
        store.append(deadline_only(&format!("last{i}"), 0, 1)).await.unwrap();
        if segments(&data).len() <= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(segments(&data).len() <= 3, "{:?}", segments(&data));
    let written = 50 + due_clients(&store, 1).await.iter().filter(|c| c.starts_with("last")).count();
    store.close().await.unwrap();
    let store = JournalStore::open(&data).unwrap();
    assert_eq!(due_clients(&store, 1).await.len(), written);
    assert_eq!(segments(&data).len(), 1, "reopening starts one new segment and drops the replayed ones");
}

#[tokio::test]
async fn after_a_failed_sync_nothing_more_is_written_until_a_restart() {
    let storage = tempfile::tempdir().unwrap();
    let data = storage.path().join("data");
    let store =
        JournalStore::open_with(&data, 64, SEGMENT_BYTES, |_| Err(std::io::Error::other("EIO"))).unwrap();
    let first = store.append(deadline_only("c1", 0, 1)).await;
    assert!(matches!(&first, Err(StoreError::Unavailable(m)) if m.contains("journal")), "{first:?}");
    for i in 0..20 {
        let later = store.append(deadline_only(&format!("later{i}"), 0, 1)).await;
        assert!(matches!(&later, Err(StoreError::Unavailable(_))), "{later:?}");
    }
    assert!(store.check().await.is_err(), "the store reports itself not ready");
    drop(store);

    let store = JournalStore::open(&data).unwrap();
    let due = due_clients(&store, 1).await;
    assert!(
        due.iter().all(|c| !c.starts_with("later")),
        "a write refused after the failed sync was found: {due:?}"
    );
    store.append(deadline_only("after-restart", 0, 1)).await.unwrap();
}

#[tokio::test]
async fn a_full_writer_queue_refuses_writes_at_once_and_loses_none_it_took() {
    let storage = tempfile::tempdir().unwrap();
    let store = JournalStore::open_with(storage.path(), 2, SEGMENT_BYTES, |f| f.sync_data()).unwrap();
    let appends: Vec<_> =
        (0..2000).map(|i| (i, store.append(deadline_only(&format!("c{i}"), 0, 1)))).collect();
    let mut taken = Vec::new();
    let mut busy = 0;
    for (i, append) in appends {
        match append.await {
            Ok(()) => taken.push(format!("c{i}")),
            Err(StoreError::Busy) => busy += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(busy > 0, "2000 appends queued at once into a queue of 2: some must be refused");
    taken.sort();
    assert_eq!(due_clients(&store, 1).await, taken, "exactly the appends that were taken are stored");
}
