//! The conformance suite against [`SqliteStore`], plus what only this backend has: one batch
//! isolating a failing commit, the pragmas, refusing foreign files, draining on drop, corrupt
//! records, upgrading older databases (no outbox, more indexes, no parking), and the syncer.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::list;
use super::plan::{self, Plan};
use super::schema::{open_wal, open_writer, FILE_NAME, SCHEMA_VERSION};
use super::sync;
use super::writer::{write_batch, Request, Written};
use super::SqliteStore;
use crate::domain::tests::T0;
use crate::domain::{ChatView, ConversationId, LineId, Span, Status, Timestamp};
use crate::store::conformance::support::{client, client_keyed, op, put_rows, row, take, Script, Snapshot};
use crate::store::conformance::{conformance_tests, InTempDir};
use crate::store::{
    ChatQuery, Commit, DeadlineRow, Scope, SortColumn, SortKey, Store, StoreError, TimeColumn, TimeRange,
};

/// Stores in temporary directories (`<tmp>/data`, created by `open`).
fn open(dir: &Path) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(dir).unwrap())
}

conformance_tests!(InTempDir(open));

fn deadline_only(client: &str, position: u64) -> Commit {
    Commit {
        conversation: ConversationId::new("web", client),
        position,
        events: Vec::new(),
        messages: Vec::new(),
        moves: Vec::new(),
        chats: Vec::new(),
        deadline: DeadlineRow::Set(Timestamp(1)),
        outbox: Vec::new(),
        snapshot: None,
    }
}

#[tokio::test]
async fn one_batch_commits_the_good_commits_and_refuses_the_conflicting_one_alone() {
    let storage = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(storage.path()).unwrap();
    let mut a = Script::new("a");
    let mut b = Script::new("b");
    let (a1, state) = a.decide(&store, client("hello"));
    a.adopt(&a1, state);
    let (a2, state) = a.decide(&store, take("alice", a.latest()));
    a.adopt(&a2, state);
    let (b1, state) = b.decide(&store, client("hi"));
    b.adopt(&b1, state);
    let mut rival = a1.clone();
    rival.events.truncate(1);
    // Fails after writing its events: a message key the conversation already used.
    let mut c = Script::new("c");
    let (c1, state) = c.decide(&store, client_keyed("first", "dup"));
    c.adopt(&c1, state);
    let (c2, _) = c.decide(&store, client_keyed("second", "dup"));
    drop(store);

    // Exactly one batch, written by hand on a writer connection.
    let mut conn = open_writer(&storage.path().join(FILE_NAME)).unwrap();
    let mut answers = Vec::new();
    let batch: Vec<Request> = [a1, rival, b1, c1, c2, a2]
        .into_iter()
        .map(|commit| {
            let (reply, answer) = oneshot::channel();
            answers.push(answer);
            Request::Append { commit, journal: None, reply }
        })
        .collect();
    write_batch(&mut conn, batch).answer_now();
    drop(conn);
    let mut outcomes = Vec::new();
    for answer in answers {
        outcomes.push(answer.await.unwrap());
    }
    assert_eq!(outcomes[0], Ok(()));
    assert_eq!(outcomes[1], Err(StoreError::Conflict { conversation: a.id(), position: 0 }));
    assert_eq!((&outcomes[2], &outcomes[3], &outcomes[5]), (&Ok(()), &Ok(()), &Ok(())));
    assert!(
        matches!(&outcomes[4], Err(StoreError::Unavailable(m)) if m.contains("UNIQUE")),
        "{:?}",
        outcomes[4]
    );

    let store = SqliteStore::open(storage.path()).unwrap();
    assert_eq!(Snapshot::of(&store, &a).await, Snapshot::expected(&a));
    assert_eq!(Snapshot::of(&store, &b).await, Snapshot::expected(&b));
    assert_eq!(Snapshot::of(&store, &c).await, Snapshot::expected(&c), "nothing of the failed commit");
}

#[test]
fn the_database_is_in_wal_mode_with_commits_synced_by_the_syncer() {
    let storage = tempfile::tempdir().unwrap();
    let path = storage.path().join(FILE_NAME);
    let conn = open_writer(&path).unwrap();
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
    // NORMAL: checkpoints sync; commits are the syncer's to sync, on the WAL it opens.
    assert_eq!((mode.as_str(), sync), ("wal", 1));
    assert!(open_wal(&path).is_ok(), "the WAL exists once the writer connection is open");
}

/// Runs the syncer over `batches` with `wal` as the file it syncs; the answers and liveness.
async fn synced(
    wal: std::fs::File,
    batches: Vec<(Vec<Result<(), StoreError>>, bool)>,
) -> (Vec<Result<(), StoreError>>, bool) {
    let (to_syncer, written) = std::sync::mpsc::channel();
    let mut answers = Vec::new();
    for (outcomes, committed) in batches {
        let mut replies = Vec::new();
        for outcome in outcomes {
            let (reply, answer) = oneshot::channel();
            answers.push(answer);
            replies.push((reply, outcome));
        }
        to_syncer.send(Written { answers: replies, committed }).unwrap();
    }
    drop(to_syncer);
    let alive = Arc::new(AtomicBool::new(true));
    let (checkpoints, _wake) = std::sync::mpsc::sync_channel(1);
    sync::run(wal, written, checkpoints, Arc::clone(&alive), Arc::new(AtomicBool::new(false)));
    let mut outcomes = Vec::new();
    for answer in answers {
        outcomes.push(answer.await.unwrap());
    }
    (outcomes, alive.load(Ordering::SeqCst))
}

#[tokio::test]
async fn the_syncer_answers_every_batch_in_order_once_synced() {
    let wal = tempfile::tempfile().unwrap();
    let conflict = StoreError::Conflict { conversation: ConversationId::new("web", "a"), position: 0 };
    let (outcomes, _) =
        synced(wal, vec![(vec![Ok(()), Err(conflict.clone())], true), (vec![Ok(())], false)]).await;
    assert_eq!(outcomes, vec![Ok(()), Err(conflict), Ok(())]);
}

#[tokio::test]
async fn a_failed_sync_fails_every_write_it_did_not_confirm_and_the_store_turns_unready() {
    // A character device cannot be synced: the kernel refuses fdatasync on it.
    let wal = std::fs::File::open("/dev/null").unwrap();
    let (outcomes, alive) = synced(wal, vec![(vec![Ok(())], true), (vec![Ok(())], false)]).await;
    assert!(
        outcomes.iter().all(|o| matches!(o, Err(StoreError::Unavailable(m)) if m.contains("syncing"))),
        "{outcomes:?}"
    );
    assert!(!alive);
}

#[tokio::test]
async fn after_a_failed_sync_nothing_more_is_written_until_a_restart() {
    let storage = tempfile::tempdir().unwrap();
    // The syncer syncs a character device, which the kernel refuses: the first sync fails.
    let unsyncable = std::fs::File::open("/dev/null").unwrap();
    let store = SqliteStore::open_with(storage.path(), 64, Some(unsyncable), None).unwrap();
    let first = store.append(deadline_only("c1", 0)).await;
    assert!(matches!(&first, Err(StoreError::Unavailable(m)) if m.contains("syncing")), "{first:?}");
    // Every later write is refused without being written (it would otherwise reappear after a
    // restart though its caller was told it failed).
    for i in 0..20 {
        let later = store.append(deadline_only(&format!("later{i}"), 0)).await;
        assert!(matches!(&later, Err(StoreError::Unavailable(m)) if m.contains("restart")), "{later:?}");
    }
    assert!(store.check().await.is_err(), "the store reports itself not ready");
    drop(store);

    let store = SqliteStore::open(storage.path()).unwrap();
    let due = store.due(Timestamp(i64::MAX), 100).await.unwrap();
    assert!(
        due.iter().all(|(c, _)| !c.client.as_str().starts_with("later")),
        "a write refused after the failed sync was found after the restart: {due:?}"
    );
    store.append(deadline_only("after-restart", 0)).await.unwrap();
}

#[tokio::test]
async fn a_full_writer_queue_refuses_appends_at_once_and_loses_none_it_took() {
    let storage = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with(storage.path(), 2, None, None).unwrap();
    let appends: Vec<_> = (0..2000).map(|i| (i, store.append(deadline_only(&format!("c{i}"), 0)))).collect();
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
    let due: Vec<String> = store
        .due(Timestamp(i64::MAX), 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|(c, _)| c.client.to_string())
        .collect();
    let mut due = due;
    due.sort();
    taken.sort();
    assert_eq!(due, taken, "exactly the appends that were taken are stored");
    assert_eq!(store.flush().await, Ok(()), "a flush waits for room instead of failing");
}

#[test]
fn a_file_that_is_not_a_frontline_store_is_refused() {
    let storage = tempfile::tempdir().unwrap();
    let conn = Connection::open(storage.path().join(FILE_NAME)).unwrap();
    conn.execute_batch("CREATE TABLE other (x)").unwrap();
    drop(conn);
    let err = SqliteStore::open(storage.path()).err().unwrap();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

#[test]
fn a_directory_that_cannot_be_created_is_unavailable() {
    let storage = tempfile::tempdir().unwrap();
    let file = storage.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let err = SqliteStore::open(&file.join("data")).err().unwrap();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn dropping_the_store_finishes_queued_appends() {
    let storage = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(storage.path()).unwrap();
    let appends: Vec<_> = (0..300).map(|i| store.append(deadline_only(&format!("c{i}"), 0))).collect();
    drop(store);
    for append in appends {
        assert_eq!(append.await, Ok(()));
    }
    let store = SqliteStore::open(storage.path()).unwrap();
    assert_eq!(store.due(Timestamp(1), 1000).await.unwrap().len(), 300);
    store.close().await.unwrap();
}

fn corrupt(dir: &Path, sql: &str) {
    let conn = Connection::open(dir.join(FILE_NAME)).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[tokio::test]
async fn unreadable_records_are_corrupt() {
    let storage = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(storage.path()).unwrap();
    let mut s = Script::new("c1");
    s.run(&store, client("hello")).await;
    let chat = s.latest();
    store.close().await.unwrap();
    corrupt(
        storage.path(),
        "UPDATE events SET body = '{\"v\":99}' WHERE n = 0; UPDATE chat_bodies SET body = 'nope';",
    );
    let store = SqliteStore::open(storage.path()).unwrap();
    assert!(matches!(store.load(s.id()).await, Err(StoreError::Corrupt(_))));
    assert!(matches!(store.chat(chat).await, Err(StoreError::Corrupt(_))));
    assert!(matches!(store.open_chats().await, Err(StoreError::Corrupt(_))));
}

#[tokio::test]
async fn futures_made_outside_a_runtime_work_inside_one() {
    let storage = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(storage.path()).unwrap();
    let check = std::thread::spawn(move || {
        let check = store.check(); // created on a thread without a runtime
        (store, check)
    });
    let (store, check) = check.join().unwrap();
    check.await.unwrap();
    drop(store);
}

/// The list columns of a version 5 chat row, with their types, in that version's order.
const V5_LIST_COLUMNS: [(&str, &str); 31] = [
    ("created_at", "INTEGER"),
    ("updated_at", "INTEGER"),
    ("status", "TEXT"),
    ("detailed_status", "TEXT"),
    ("general_status", "TEXT"),
    ("phase", "TEXT"),
    ("responsible", "TEXT"),
    ("line", "TEXT"),
    ("channel", "TEXT"),
    ("client_name_lower", "TEXT"),
    ("direction", "TEXT"),
    ("subject", "TEXT"),
    ("request_type", "TEXT"),
    ("client_rating", "INTEGER"),
    ("operator_rating", "INTEGER"),
    ("supervisor_rating", "INTEGER"),
    ("queued_at", "INTEGER"),
    ("taken_at", "INTEGER"),
    ("first_response_at", "INTEGER"),
    ("last_message_at", "INTEGER"),
    ("operator_closed_at", "INTEGER"),
    ("finished_at", "INTEGER"),
    ("wait_first_response", "REAL"),
    ("time_to_take", "REAL"),
    ("time_to_operator_close", "REAL"),
    ("duration", "REAL"),
    ("first_message_response", "REAL"),
    ("bot_time", "REAL"),
    ("total_response", "REAL"),
    ("avg_response", "REAL"),
    ("max_response", "REAL"),
];

/// Turns a database of this build back into what version 5 left behind: one wide `chats` row
/// per chat (the body JSON, the participants and the list columns together) with that
/// version's indexes, and no bodies, tags or word index beside it.
fn downgrade_to_v5(dir: &Path) {
    let columns: Vec<&str> = V5_LIST_COLUMNS.iter().map(|(name, _)| *name).collect();
    let typed: String = V5_LIST_COLUMNS.iter().map(|(name, kind)| format!(", {name} {kind}")).collect();
    let copied: String = columns.iter().map(|name| format!(", c.{name}")).collect();
    let indexes: String = ["created_at", "status", "phase", "responsible", "line", "channel"]
        .iter()
        .map(|c| format!("CREATE INDEX chats_by_{c} ON chats ({c});\n"))
        .collect();
    corrupt(
        dir,
        &format!(
            "ALTER TABLE chats RENAME TO chats_v6;
             CREATE TABLE chats (id INTEGER PRIMARY KEY, body TEXT NOT NULL, merged_into INTEGER,
                 participants TEXT NOT NULL, conversation TEXT{typed});
             INSERT INTO chats (id, body, merged_into, participants, conversation, {names})
                 SELECT c.id, b.body, c.merged_into, c.participants, c.conversation{copied}
                 FROM chats_v6 c JOIN chat_bodies b ON b.id = c.id;
             DROP TABLE journal_applied; DROP TABLE chats_v6; DROP TABLE chat_bodies; DROP TABLE chat_tags; DROP TABLE chat_words;
             {indexes}CREATE INDEX chats_by_conversation ON chats (conversation, id);
             PRAGMA user_version = 5;",
            names = columns.join(", ")
        ),
    );
}

/// `PRAGMA user_version` of the database in `dir`.
fn version_of(dir: &Path) -> i64 {
    let conn = Connection::open(dir.join(FILE_NAME)).unwrap();
    conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn an_older_database_is_upgraded_step_by_step_when_opened() {
    let storage = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(storage.path()).unwrap();
    let mut s = Script::new("c1");
    s.run(&store, client("hello")).await;
    store.close().await.unwrap();
    // What a build before the outbox left behind (with the indexes it had then).
    downgrade_to_v5(storage.path());
    corrupt(
        storage.path(),
        "DROP TABLE outbox; CREATE INDEX messages_by_chat ON messages (chat, seq);
         CREATE INDEX chats_by_duration ON chats (duration);
         DROP TABLE snapshots; DROP INDEX chats_by_conversation; ALTER TABLE chats DROP COLUMN conversation;
         PRAGMA user_version = 1;",
    );

    let store = SqliteStore::open(storage.path()).unwrap();
    assert_eq!(store.due_outbound(Timestamp(i64::MAX), 10).await.unwrap(), vec![]);
    assert_eq!(Snapshot::of(&store, &s).await, Snapshot::expected(&s), "nothing else changed");
    let head = store.conversation_head(s.id()).await.unwrap();
    assert_eq!(head.and_then(|h| h.latest_chat), Some(s.latest()), "chat rows learnt their conversation");
    store.close().await.unwrap();
    let conn = Connection::open(storage.path().join(FILE_NAME)).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let gone: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('messages_by_chat', 'chats_by_duration')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(gone, 0, "the write-heavy indexes are dropped");
}

/// Turns a database of this build back into what version `version` (2 or 3) left behind: the
/// outbox without the parking columns and with its full indexes, no snapshots and no chat
/// conversation column (and, for 2, the write-heavy indexes version 3 dropped).
fn downgrade_outbox(dir: &Path, version: i64) {
    downgrade_to_v5(dir);
    let older = if version == 2 { "CREATE INDEX chats_by_duration ON chats (duration);" } else { "" };
    corrupt(
        dir,
        &format!(
            "DROP INDEX outbox_pending_by_next_at; DROP INDEX outbox_pending_by_conversation;
             DROP INDEX outbox_parked;
             ALTER TABLE outbox DROP COLUMN queued_at; ALTER TABLE outbox DROP COLUMN parked_at;
             ALTER TABLE outbox DROP COLUMN reason;
             CREATE INDEX outbox_by_next_at ON outbox (next_at);
             CREATE INDEX outbox_by_conversation ON outbox (conversation, n);
             DROP TABLE snapshots; DROP INDEX chats_by_conversation; ALTER TABLE chats DROP COLUMN conversation;
             {older} PRAGMA user_version = {version};"
        ),
    );
}

#[tokio::test]
async fn pending_deliveries_of_a_version_2_or_3_database_survive_the_upgrade_to_parking() {
    for version in [2, 3] {
        let storage = tempfile::tempdir().unwrap();
        SqliteStore::open(storage.path()).unwrap().close().await.unwrap();
        downgrade_outbox(storage.path(), version);
        // Rows as that version wrote them: one retried, one waiting behind it.
        corrupt(
            storage.path(),
            "INSERT INTO outbox (id, conversation, n, channel, url, payload, attempts, next_at, created_at)
             VALUES ('web:a/1', 'web:a', 1, 'web', 'http://old/hook', '{\"n\":1}', 3, 5000, 1000),
                    ('web:a/2', 'web:a', 2, 'web', 'http://old/hook', '{\"n\":2}', 0, 5000, 2000);",
        );

        let store = SqliteStore::open(storage.path()).unwrap();
        let due = store.due_outbound(Timestamp(5000), 10).await.unwrap();
        assert_eq!(due.len(), 1, "v{version}: {due:?}");
        let head = &due[0];
        assert_eq!((head.id.as_str(), head.attempts, head.next_at), ("web:a/1", 3, Timestamp(5000)));
        assert_eq!(head.queued_at, head.created_at, "v{version}: aged from when it was decided");
        store.park("web:a/1".into(), 4, Timestamp(6000), "gave up".into()).await.unwrap();
        let due = store.due_outbound(Timestamp(6000), 10).await.unwrap();
        assert_eq!(due.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["web:a/2"], "v{version}");
        assert_eq!(store.parked_count().await.unwrap(), 1);
        store.close().await.unwrap();

        let conn = Connection::open(storage.path().join(FILE_NAME)).unwrap();
        let version_now: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version_now, SCHEMA_VERSION);
        let indexes: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .filter(|name: &String| !name.starts_with("sqlite_autoindex"))
            .collect();
        assert_eq!(indexes, ["outbox_parked", "outbox_pending_by_conversation", "outbox_pending_by_next_at"]);
    }
}

#[tokio::test]
async fn the_checkpointer_copies_the_wal_into_the_database_file_while_the_store_runs() {
    let storage = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(storage.path()).unwrap();
    let file = storage.path().join(FILE_NAME);
    let before = std::fs::metadata(&file).unwrap().len();
    // In waves the writer's queue takes whole.
    for wave in 0..5 {
        let writes: Vec<_> =
            (0..1000).map(|i| store.append(deadline_only(&format!("c{wave}-{i}"), 0))).collect();
        for write in writes {
            write.await.unwrap();
        }
    }
    // The writer never checkpoints: only the checkpointer can grow the database file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::metadata(&file).unwrap().len() < before + 100 * 1024 {
        assert!(std::time::Instant::now() < deadline, "no checkpoint within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Every page of `query` read with `plan`, following the cursors: the ids in order.
fn all_pages(conn: &Connection, query: &ChatQuery, plan: Option<Plan>) -> Vec<u64> {
    let mut query = query.clone();
    let mut out = Vec::new();
    loop {
        let page = list::chats_planned(conn, &query, plan).unwrap();
        out.extend(page.items.iter().map(|c| c.id.0));
        match page.next_cursor {
            Some(next) => query.cursor = Some(next),
            None => return out,
        }
    }
}

#[tokio::test]
async fn every_plan_reads_the_same_pages() {
    let storage = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(storage.path()).unwrap());
    let rows: Vec<ChatView> = (1..=240)
        .map(|id| {
            let mut r = row(id);
            r.status = [Status::New, Status::Open, Status::Closed][(id % 3) as usize];
            r.line = LineId::from(["line1", "line2"][(id % 2) as usize]);
            r.responsible = (id % 5 != 0).then(|| op(["alice", "bob"][(id % 2) as usize]));
            r.reasons = if id % 7 == 0 { vec!["late".into()] } else { Vec::new() };
            r.participants = if id % 4 == 0 { vec![op("carol")] } else { Vec::new() };
            r.request_type = (id % 3 == 0).then(|| "refund".into());
            r.subject = (id % 6 == 0).then(|| "parcel lost".into());
            r.created_at = T0.after(Span::secs((id % 50) as i64)); // equal creation times
            r.metrics.created_at = r.created_at;
            r
        })
        .collect();
    put_rows(&store, rows).await;
    store.flush().await.unwrap();
    let conn = Connection::open(storage.path().join(FILE_NAME)).unwrap();
    let range = TimeRange { column: TimeColumn::Created, from: Some(T0.after(Span::secs(10))), to: None };
    let queries = [
        ChatQuery { status: vec![Status::Open], reasons: vec!["late".into()], ..ChatQuery::default() },
        ChatQuery { line: vec![LineId::from("line2")], times: vec![range], ..ChatQuery::default() },
        ChatQuery {
            words: vec!["parcel".into()],
            participant: vec![op("carol")],
            request_type: vec!["refund".into()],
            ..ChatQuery::default()
        },
        ChatQuery {
            responsible: vec![op("bob")],
            scope: Some(Scope { operator: op("carol"), lines: vec![LineId::from("line2")] }),
            ..ChatQuery::default()
        },
    ];
    for query in queries {
        for sort in [
            SortKey::default(),
            SortKey { column: SortColumn::CreatedAt, descending: false },
            SortKey { column: SortColumn::Id, descending: true },
            SortKey { column: SortColumn::Responsible, descending: false },
        ] {
            let query = ChatQuery { sort, limit: 7, ..query.clone() };
            let chosen = all_pages(&conn, &query, None);
            assert!(!chosen.is_empty(), "{query:?}");
            let mut plans = vec![Plan::Walk, Plan::Free];
            let terms = plan::terms(&query);
            plans.extend((0..terms.len()).filter(|&i| terms[i].source.is_some()).map(Plan::Drive));
            for p in plans {
                if p == Plan::Walk && !plan::walkable(sort.column) {
                    continue;
                }
                assert_eq!(all_pages(&conn, &query, Some(p)), chosen, "{p:?} {sort:?} {query:?}");
            }
            let mut sorted = chosen.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), chosen.len(), "no chat twice");
        }
    }
}

#[tokio::test]
async fn a_version_5_database_is_upgraded_to_the_word_index_and_tags() {
    let storage = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(storage.path()).unwrap());
    let mut s = Script::new("c1");
    s.run(&*store, client("Моя ёлка сломалась")).await;
    s.run(&*store, take("alice", s.latest())).await;
    let mut tagged = row(500);
    tagged.reasons = vec!["late".into()];
    tagged.components = vec!["app".into()];
    tagged.participants = vec![op("bob")];
    tagged.subject = Some("Parcel lost".into());
    put_rows(&store, vec![tagged.clone()]).await;
    drop(store);
    downgrade_to_v5(storage.path());
    assert_eq!(version_of(storage.path()), 5);

    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(storage.path()).unwrap());
    assert_eq!(Snapshot::of(&*store, &s).await, Snapshot::expected(&s), "nothing else changed");
    assert_eq!(store.chat(tagged.id).await.unwrap(), Some(tagged.clone()));
    let listed = |query: ChatQuery| {
        let store = Arc::clone(&store);
        async move { store.chats(query).await.unwrap().items.iter().map(|c| c.id.0).collect::<Vec<_>>() }
    };
    let words =
        |w: &[&str]| ChatQuery { words: w.iter().map(|s| s.to_string()).collect(), ..ChatQuery::default() };
    assert_eq!(listed(words(&["елка"])).await, [s.latest().0], "stored messages are indexed");
    assert_eq!(listed(words(&["parcel"])).await, [500], "subjects too");
    assert_eq!(listed(ChatQuery { reasons: vec!["late".into()], ..ChatQuery::default() }).await, [500]);
    assert_eq!(listed(ChatQuery { components: vec!["app".into()], ..ChatQuery::default() }).await, [500]);
    assert_eq!(listed(ChatQuery { participant: vec![op("bob")], ..ChatQuery::default() }).await, [500]);
    assert_eq!(
        listed(ChatQuery { responsible: vec![op("alice")], ..ChatQuery::default() }).await,
        [s.latest().0]
    );
    // Written on after the upgrade like any store.
    s.run(&*store, client("и гирлянда")).await;
    assert_eq!(listed(words(&["гирлянда", "ёлка"])).await, [s.latest().0]);
    drop(store);
    assert_eq!(version_of(storage.path()), SCHEMA_VERSION);
}

#[tokio::test]
async fn an_upgrade_that_cannot_read_a_chat_changes_nothing() {
    let storage = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(storage.path()).unwrap();
    let mut s = Script::new("c1");
    s.run(&store, client("hello")).await;
    store.close().await.unwrap();
    downgrade_to_v5(storage.path());
    corrupt(storage.path(), "UPDATE chats SET body = 'nope';");
    let before = std::fs::read(storage.path().join(FILE_NAME)).unwrap();

    let err = SqliteStore::open(storage.path()).err().unwrap();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert_eq!(version_of(storage.path()), 5);
    let conn = Connection::open(storage.path().join(FILE_NAME)).unwrap();
    let body: String = conn.query_row("SELECT body FROM chats", [], |r| r.get(0)).unwrap();
    assert_eq!(body, "nope", "the version 5 rows are still there");
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('chat_bodies', 'chat_tags', 'chats_v5')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "nothing of version 6 was left behind");
    drop(conn);
    assert_eq!(std::fs::read(storage.path().join(FILE_NAME)).unwrap().len(), before.len());
}
