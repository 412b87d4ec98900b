//! Conformance: the journal. Appends and loads, the fencing conflict (which writes nothing),
//! one conflicting commit among concurrent ones, reopening, many concurrent appenders, and
//! chat numbering.

use std::collections::HashSet;
use std::sync::Arc;

use super::support::{client, client_keyed, client_of, finish, note, take, write, Script, Snapshot};
use super::Backend;
use crate::domain::{ChatId, Command, Conversation, ConversationId, Status};
use crate::store::{ConversationHead, DeadlineRow, Journal, StoreError};

pub(crate) async fn append_then_load_returns_the_events_in_order<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    s.run(&*store, client("hello")).await;
    let chat = s.latest();
    s.run(&*store, take("alice", chat)).await;
    s.advance(5);
    s.run(&*store, write("alice", "how can I help?")).await;

    let journal = store.load(s.id()).await.unwrap();
    assert!(journal.events.len() >= 3);
    assert_eq!(journal.events, s.journal);
    assert_eq!(Conversation::replay(s.id(), &journal.events), s.conv, "the journal rebuilds the state");
    assert_eq!(Snapshot::of(&*store, &s).await, Snapshot::expected(&s));
    assert_eq!(store.load(ConversationId::new("web", "nobody")).await.unwrap(), Journal::default());
    assert_eq!(store.chat(ChatId(999_999)).await.unwrap(), None);
}

pub(crate) async fn an_append_at_a_written_position_conflicts_and_writes_nothing<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    s.run(&*store, client_keyed("hello", "k1")).await;
    let mut stale = s.clone(); // a second owner that missed what follows
    s.run(&*store, take("alice", s.latest())).await; // arms a deadline
    let before = Snapshot::of(&*store, &s).await;
    assert_eq!(before, Snapshot::expected(&s));

    stale.advance(30);
    let command = Command::OperatorMessage {
        by: "bob".into(),
        chat: None,
        text: "rival".into(),
        client_msg_id: Some("k2".into()),
    };
    let (rival, _) = stale.decide(&*store, command);
    assert!(!rival.messages.is_empty() && !rival.chats.is_empty());
    assert_ne!(rival.deadline, DeadlineRow::of(s.conv.next_deadline()), "the rival would move the deadline");
    let err = store.append(rival.clone()).await.unwrap_err();
    assert_eq!(err, StoreError::Conflict { conversation: s.id(), position: rival.position });

    assert_eq!(Snapshot::of(&*store, &s).await, before, "events, messages, rows and deadline untouched");
    assert_eq!(store.find_message(s.id(), client_of(&s), "k2".into()).await.unwrap(), None);
    // The owner goes on where it was.
    s.run(&*store, write("alice", "still mine")).await;
    assert_eq!(Snapshot::of(&*store, &s).await, Snapshot::expected(&s));
}

pub(crate) async fn an_append_that_skips_a_position_conflicts<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    s.run(&*store, client("hello")).await;
    let before = Snapshot::of(&*store, &s).await;
    let (mut gap, _) = s.decide(&*store, take("alice", s.latest()));
    gap.position += 1;
    let err = store.append(gap.clone()).await.unwrap_err();
    assert_eq!(err, StoreError::Conflict { conversation: s.id(), position: gap.position });
    assert_eq!(Snapshot::of(&*store, &s).await, before);
}

pub(crate) async fn one_conflicting_commit_fails_alone_among_concurrent_appends<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut scripts: Vec<Script> = (0..10).map(|i| Script::new(&format!("c{i}"))).collect();
    // Queue everything before awaiting anything, so the commits share batches.
    let mut pending = Vec::new();
    let mut rival = None;
    for (i, s) in scripts.iter_mut().enumerate() {
        let stale = s.clone();
        let (commit, state) = s.decide(&*store, client(&format!("hello {i}")));
        pending.push(store.append(commit.clone()));
        s.adopt(&commit, state);
        if i == 3 {
            // A second writer of c3, at the position the first one just took.
            let (commit, _) = stale.decide(&*store, client("rival"));
            rival = Some(store.append(commit));
        }
        // A follow-up that depends on the first commit of its conversation.
        let (commit, state) = s.decide(&*store, take("alice", s.latest()));
        pending.push(store.append(commit.clone()));
        s.adopt(&commit, state);
    }
    let rival = rival.unwrap().await;
    for (i, append) in pending.into_iter().enumerate() {
        assert_eq!(append.await, Ok(()), "append {i}");
    }
    assert_eq!(rival, Err(StoreError::Conflict { conversation: scripts[3].id(), position: 0 }));
    for s in &scripts {
        assert_eq!(Snapshot::of(&*store, s).await, Snapshot::expected(s), "{}", s.id());
    }
}

pub(crate) async fn reopening_recovers_everything_and_numbering_continues_above_it<B: Backend>(backend: &B) {
    let (storage, store) = backend.fresh().await;
    let mut a = Script::new("a");
    a.run(&*store, client_keyed("hello", "ka")).await;
    let chat_a = a.latest();
    a.run(&*store, take("alice", chat_a)).await;
    a.run(&*store, write("alice", "hi")).await;
    a.run(&*store, note("alice", chat_a, "vip")).await;
    let mut b = Script::in_channel("widget", "b");
    b.run(&*store, client("help")).await;
    let chat_b = b.latest();
    b.run(&*store, take("bob", chat_b)).await;
    b.run(&*store, finish("bob", chat_b, Status::Closed, true)).await; // closing: voting deadline
    let max = chat_a.0.max(chat_b.0);
    let open_before = store.open_chats().await.unwrap();
    let message_a = store.find_message(a.id(), client_of(&a), "ka".into()).await.unwrap();
    assert!(message_a.is_some());

    let store = backend.reopen(&storage, store).await;
    for s in [&a, &b] {
        assert_eq!(Snapshot::of(&*store, s).await, Snapshot::expected(s), "{}", s.id());
    }
    assert_eq!(store.open_chats().await.unwrap(), open_before);
    assert_eq!(store.find_message(a.id(), client_of(&a), "ka".into()).await.unwrap(), message_a);
    let next = store.next_chat_id();
    assert!(next.0 > max, "numbering continues above {max}, got {next}");
    // The journal continues where it ended.
    a.run(&*store, write("alice", "back again")).await;
    assert_eq!(Snapshot::of(&*store, &a).await, Snapshot::expected(&a));
}

pub(crate) async fn concurrent_appends_from_many_tasks_are_all_durable<B: Backend>(backend: &B) {
    const TASKS: usize = 50;
    const COMMITS: usize = 20;
    let (storage, store) = backend.fresh().await;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut s = Script::new(&format!("c{t}"));
            for i in 0..COMMITS {
                s.advance(1);
                s.run(&*store, client_keyed(&format!("message {i}"), &format!("k{i}"))).await;
            }
            s
        }));
    }
    let mut scripts = Vec::new();
    for task in tasks {
        scripts.push(task.await.unwrap());
    }
    let store = backend.reopen(&storage, store).await;
    for s in &scripts {
        assert_eq!(s.message_count(), COMMITS);
        assert_eq!(Snapshot::of(&*store, s).await, Snapshot::expected(s), "{}", s.id());
    }
}

pub(crate) async fn chat_numbers_never_repeat<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let taken: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| (0..1000).map(|_| store.next_chat_id().0).collect::<Vec<_>>()))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let mut all = HashSet::new();
    for numbers in &taken {
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "increasing");
        all.extend(numbers.iter().copied());
    }
    assert_eq!(all.len(), 4000, "no number handed out twice");
    assert!(!all.contains(&0));
}

pub(crate) async fn load_starts_from_the_latest_snapshot_and_reads_only_the_events_after_it<B: Backend>(
    backend: &B,
) {
    let (storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    s.run(&*store, client("hello")).await;
    s.run(&*store, take("alice", s.latest())).await;
    // The next commit also stores the state after it as the snapshot.
    let (commit, state) = s.decide(&*store, write("alice", "how can I help?"));
    let commit = commit.with_snapshot(state.clone());
    store.append(commit.clone()).await.unwrap();
    s.adopt(&commit, state);
    let snapshot_at = s.journal.len() as u64;
    s.advance(5);
    s.run(&*store, client("thanks")).await;

    let journal = store.load(s.id()).await.unwrap();
    assert_eq!(journal.start, snapshot_at);
    assert_eq!(journal.events, s.journal[snapshot_at as usize..].to_vec(), "only the events after it");
    assert_eq!(journal.replay(s.id()), (s.conv.clone(), s.journal.len() as u64), "the same state");
    let store = backend.reopen(&storage, store).await;
    assert_eq!(store.load(s.id()).await.unwrap(), journal, "it survives a restart");
    let journal = store.load(s.id()).await.unwrap();
    let mut expected = Snapshot::expected(&s);
    expected.journal = journal;
    assert_eq!(Snapshot::of(&*store, &s).await, expected, "messages, rows and deadlines are all kept");
}

pub(crate) async fn a_conflicting_commit_writes_no_snapshot<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    s.run(&*store, client("hello")).await;
    let stale = s.clone();
    s.run(&*store, take("alice", s.latest())).await;
    let (commit, state) = stale.decide(&*store, note("alice", stale.latest(), "late"));
    let refused = store.append(commit.with_snapshot(state)).await;
    assert!(matches!(refused, Err(StoreError::Conflict { .. })), "{refused:?}");
    let journal = store.load(s.id()).await.unwrap();
    assert_eq!((journal.snapshot, journal.start), (None, 0));
    assert_eq!(journal.events, s.journal);
}

pub(crate) async fn the_head_of_a_conversation_is_its_existence_and_latest_chat<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    assert_eq!(store.conversation_head(s.id()).await.unwrap(), None, "no journal: it does not exist");
    s.run(&*store, client("hello")).await;
    let first = s.latest();
    assert_eq!(
        store.conversation_head(s.id()).await.unwrap(),
        Some(ConversationHead { latest_chat: Some(first) })
    );
    s.run(&*store, take("alice", first)).await;
    s.run(&*store, finish("alice", first, Status::Closed, false)).await;
    s.run(&*store, client("again")).await;
    let second = s.latest();
    assert_ne!(first, second);
    assert_eq!(
        store.conversation_head(s.id()).await.unwrap(),
        Some(ConversationHead { latest_chat: Some(second) })
    );
    let other = ConversationId::new("web", "c2");
    assert_eq!(store.conversation_head(other).await.unwrap(), None, "another client's is separate");
}
