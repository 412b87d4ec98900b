//! The conformance suite against [`RedisStore`] on a real `redis-server`, plus what only this
//! backend has: two nodes on one Redis (fencing between them, read-your-writes across them),
//! Redis restarting under a running store, a node restarting (its projection rebuilt from the
//! stream), and refused duplicates leaving the position free.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::chat_ids::UNALLOCATED;
use super::testing::RedisServer;
use super::RedisStore;
use crate::store::conformance::support::{client_keyed, client_of, row, take, write, Script, Snapshot};
use crate::store::conformance::{conformance_tests, Backend};
use crate::store::DeadlineRow;
use crate::store::{Commit, MessageQuery, Store, StoreError};

/// A Redis server and the directory the projections go in (a new one per opening: a node
/// restart starts from an empty projection).
struct Storage {
    server: RedisServer,
    dir: tempfile::TempDir,
    opened: AtomicUsize,
}

impl Storage {
    fn new() -> Storage {
        Storage {
            server: RedisServer::start(),
            dir: tempfile::tempdir().unwrap(),
            opened: AtomicUsize::new(0),
        }
    }

    /// A new node on this Redis, with a projection directory of its own.
    async fn node(&self) -> RedisStore {
        let n = self.opened.fetch_add(1, Ordering::SeqCst);
        RedisStore::open(&self.server.url(), &self.dir.path().join(format!("projection-{n}"))).await.unwrap()
    }
}

struct Redis;

impl Backend for Redis {
    type Storage = Storage;

    async fn fresh(&self) -> (Storage, Arc<dyn Store>) {
        let storage = Storage::new();
        let store = storage.node().await;
        (storage, Arc::new(store))
    }

    async fn reopen(&self, storage: &Storage, store: Arc<dyn Store>) -> Arc<dyn Store> {
        store.flush().await.unwrap();
        assert_eq!(Arc::strong_count(&store), 1, "reopen needs the last handle");
        drop(store);
        Arc::new(storage.node().await)
    }
}

conformance_tests!(Redis);

/// Retries `append` of `commit` while it answers unavailable, for at most `within`.
async fn append_once_back(store: &RedisStore, commit: &Commit, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        match store.append(commit.clone()).await {
            Ok(()) => return,
            Err(StoreError::Unavailable(why)) if Instant::now() < deadline => {
                tracing::debug!(%why, "still unavailable");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("the store did not come back within {within:?}: {e}"),
        }
    }
}

#[tokio::test]
async fn two_nodes_appending_at_one_position_one_wins_and_nothing_of_the_other_is_seen() {
    let storage = Storage::new();
    let (a, b) = (storage.node().await, storage.node().await);
    let mut s = Script::new("c1");
    s.run(&a, client_keyed("hello", "k1")).await;
    let chat = s.latest();
    // Both nodes believe they own the conversation and decide at the same position.
    let (by_alice, alice_state) = s.decide(&a, take("alice", chat));
    let (by_bob, bob_state) = s.decide(&b, take("bob", chat));
    assert_eq!(by_alice.position, by_bob.position);
    let (on_a, on_b) = tokio::join!(a.append(by_alice.clone()), b.append(by_bob.clone()));
    let conflict = Err(StoreError::Conflict { conversation: s.id(), position: by_alice.position });
    let winner = match (&on_a, &on_b) {
        (Ok(()), refused) => {
            assert_eq!(refused, &conflict);
            s.adopt(&by_alice, alice_state);
            "alice"
        }
        (refused, Ok(())) => {
            assert_eq!(refused, &conflict);
            s.adopt(&by_bob, bob_state);
            "bob"
        }
        both => panic!("exactly one append must succeed: {both:?}"),
    };
    let expected = Snapshot::expected(&s);
    assert_eq!(Snapshot::of(&a, &s).await, expected, "node a shows the winner only");
    assert_eq!(Snapshot::of(&b, &s).await, expected, "node b shows the winner only");

    // The loser reloads and goes on from the winner's journal.
    let mut loser = Script::new("c1");
    for e in b.load(s.id()).await.unwrap().events {
        loser.conv.apply(&e);
        loser.journal.push(e);
    }
    assert_eq!(loser.conv, s.conv);
    loser.run(&b, write(winner, "after the race")).await;
    assert_eq!(Snapshot::of(&a, &loser).await, Snapshot::expected(&loser));
}

#[tokio::test]
async fn a_write_on_one_node_is_read_at_once_on_another() {
    let storage = Storage::new();
    let a = storage.node().await;
    // b's projection applies every read of the stream 150 ms late: only the read barrier
    // makes b's reads see a's acknowledged writes.
    let lag = Duration::from_millis(150);
    let n = storage.opened.fetch_add(1, Ordering::SeqCst);
    let b = RedisStore::open_with(
        &storage.server.url(),
        &storage.dir.path().join(format!("projection-{n}")),
        lag,
        None,
    )
    .await
    .unwrap();
    let mut s = Script::new("c1");
    s.run(&a, client_keyed("hello", "k1")).await;
    let chat = s.latest();
    // Right after each ack on a, b reads it: no waiting, no retry.
    assert_eq!(b.chat(chat).await.unwrap(), Some(s.view(chat)));
    s.run(&a, take("alice", chat)).await;
    assert_eq!(b.chat(chat).await.unwrap(), Some(s.view(chat)));
    for i in 0..10 {
        let writer = if i % 2 == 0 { &a } else { &b };
        let reader = if i % 2 == 0 { &b } else { &a };
        s.advance(1);
        s.run(writer, write("alice", &format!("message {i}"))).await;
        let query = MessageQuery {
            conversation: s.id(),
            chat: Some(chat),
            before_seq: None,
            limit: 1,
            include_private: true,
        };
        let latest = reader.messages(query).await.unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].text, format!("message {i}"), "read on the other node at once");
    }
    assert_eq!(
        b.find_message(s.id(), client_of(&s), "k1".into()).await.unwrap().map(|m| m.text),
        Some("hello".into())
    );
    assert_eq!(Snapshot::of(&b, &s).await, Snapshot::expected(&s));
    assert_eq!(Snapshot::of(&a, &s).await, Snapshot::expected(&s));
}

#[tokio::test]
async fn redis_restarting_makes_calls_unavailable_and_the_store_resumes_by_itself() {
    let mut storage = Storage::new();
    let store = storage.node().await;
    let mut s = Script::new("c1");
    s.run(&store, client_keyed("hello", "k1")).await;
    let chat = s.latest();
    s.run(&store, take("alice", chat)).await;
    let before_stop = store.next_chat_id();

    storage.server.stop();
    let (commit, state) = s.decide(&store, write("alice", "while Redis is down"));
    let bound = Duration::from_secs(30);
    let answered = tokio::time::timeout(bound, store.append(commit.clone())).await;
    assert!(matches!(answered, Ok(Err(StoreError::Unavailable(_)))), "append: {answered:?}");
    let answered = tokio::time::timeout(bound, store.chat(chat)).await;
    assert!(matches!(answered, Ok(Err(StoreError::Unavailable(_)))), "read: {answered:?}");
    let answered = tokio::time::timeout(bound, store.check()).await;
    assert!(matches!(answered, Ok(Err(StoreError::Unavailable(_)))), "check: {answered:?}");
    let answered = tokio::time::timeout(bound, store.delivered("web:c1/1".into())).await;
    assert!(matches!(answered, Ok(Err(StoreError::Unavailable(_)))), "delivered: {answered:?}");
    // Chat numbers run out: what is handed out then can never be stored.
    let stray = (0..=super::chat_ids::BLOCK).map(|_| store.next_chat_id()).find(|id| id.0 >= UNALLOCATED);
    let stray = stray.expect("without Redis the block runs out");
    let mut stray_row = row(1);
    stray_row.id = stray;
    let refused = store.append(Commit { chats: vec![stray_row], ..deadline_only("stray") }).await;
    assert!(matches!(&refused, Err(StoreError::Unavailable(why)) if why.contains("numbered")), "{refused:?}");

    storage.server.restart();
    // The same store, not recreated: it reconnects and its projection catches up by itself.
    append_once_back(&store, &commit, bound).await;
    s.adopt(&commit, state);
    store.check().await.unwrap();
    assert_eq!(Snapshot::of(&store, &s).await, Snapshot::expected(&s));
    let after = store.next_chat_id();
    assert!(
        after.0 > before_stop.0 && after.0 < UNALLOCATED,
        "numbering goes on: {before_stop} then {after}"
    );
    s.run(&store, write("alice", "after the restart")).await;

    // Nothing acknowledged was lost: a node starting now reads it all back from Redis.
    let fresh = storage.node().await;
    assert_eq!(Snapshot::of(&fresh, &s).await, Snapshot::expected(&s));
}

fn deadline_only(client: &str) -> Commit {
    Commit {
        conversation: crate::domain::ConversationId::new("web", client),
        position: 0,
        events: Vec::new(),
        messages: Vec::new(),
        moves: Vec::new(),
        chats: Vec::new(),
        deadline: DeadlineRow::Clear,
        outbox: Vec::new(),
        snapshot: None,
    }
}

#[tokio::test]
async fn a_restarted_node_rebuilds_its_projection_from_the_stream() {
    let storage = Storage::new();
    let store = storage.node().await;
    let mut scripts = Vec::new();
    for i in 0..5 {
        let mut s = Script::in_channel(if i % 2 == 0 { "web" } else { "widget" }, &format!("c{i}"));
        s.run(&store, client_keyed("hello", "k")).await;
        s.run(&store, take("alice", s.latest())).await;
        s.advance(3);
        s.run(&store, write("alice", "hi")).await;
        scripts.push(s);
    }
    let open_before = store.open_chats().await.unwrap();
    let highest = store.next_chat_id();
    store.close().await.unwrap();

    let restarted = storage.node().await;
    for s in &scripts {
        assert_eq!(Snapshot::of(&restarted, s).await, Snapshot::expected(s), "{}", s.id());
    }
    assert_eq!(restarted.open_chats().await.unwrap(), open_before);
    assert!(restarted.next_chat_id() > highest, "numbering continues above what was handed out");
    let s = &mut scripts[0];
    s.run(&restarted, write("alice", "after the restart")).await;
    assert_eq!(Snapshot::of(&restarted, s).await, Snapshot::expected(s));
}

#[tokio::test]
async fn a_refused_duplicate_message_key_leaves_the_position_free() {
    let storage = Storage::new();
    let store = storage.node().await;
    let mut s = Script::new("c1");
    s.run(&store, client_keyed("first", "dup")).await;
    let before = Snapshot::of(&store, &s).await;
    let (again, _) = s.decide(&store, client_keyed("second", "dup"));
    let refused = store.append(again).await;
    assert!(matches!(&refused, Err(StoreError::Unavailable(why)) if why.contains("dup")), "{refused:?}");
    assert_eq!(Snapshot::of(&store, &s).await, before);
    // Nothing was written, the journal position included: the next commit takes it.
    s.run(&store, client_keyed("second", "other")).await;
    assert_eq!(Snapshot::of(&store, &s).await, Snapshot::expected(&s));
    // A key used twice within one commit is refused too.
    let (mut twice, _) = s.decide(&store, client_keyed("third", "k3"));
    let mut copy = twice.messages[0].clone();
    copy.seq += 1;
    twice.messages.push(copy);
    assert!(store.append(twice).await.is_err());
    assert_eq!(Snapshot::of(&store, &s).await, Snapshot::expected(&s));
}

#[tokio::test]
async fn a_directory_that_is_not_a_projection_is_never_wiped() {
    let storage = Storage::new();
    let dir = tempfile::tempdir().unwrap();
    let precious: PathBuf = dir.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    let opened = RedisStore::open(&storage.server.url(), dir.path()).await;
    assert!(matches!(&opened, Err(StoreError::Unavailable(why)) if why.contains("not a projection")));
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    // A projection directory is wiped and rebuilt.
    let projection = dir.path().join("projection");
    drop(RedisStore::open(&storage.server.url(), &projection).await.unwrap());
    std::fs::write(projection.join("stale"), "x").unwrap();
    drop(RedisStore::open(&storage.server.url(), &projection).await.unwrap());
    assert!(!projection.join("stale").exists());
    assert!(projection.join(super::store::MARKER).is_file());
}

#[tokio::test]
async fn an_unreachable_redis_fails_opening_as_unavailable() {
    let mut storage = Storage::new();
    let url = storage.server.url();
    storage.server.stop();
    let opened =
        tokio::time::timeout(Duration::from_secs(30), RedisStore::open(&url, &storage.dir.path().join("p")))
            .await;
    assert!(matches!(opened, Ok(Err(StoreError::Unavailable(_)))), "{:?}", opened.map(|r| r.err()));
}
