//! Durability and activation: idempotent sends, one actor per conversation under racing first
//! messages, passivation and re-activation, and crash recovery (acknowledged messages, chat
//! states and a deadline that passed while the node was down).

use futures_util::future::join_all;

use super::*;
use crate::domain::{Phase, Status, Timestamp};
use crate::store::MessageQuery;

fn keyed(text: &str, key: &str) -> Command {
    Command::ClientMessage { text: text.into(), client_msg_id: Some(key.into()), name: None, page_url: None }
}

async fn texts(store: &dyn Store, client: &str) -> Vec<String> {
    let q = MessageQuery {
        conversation: Rig::conv(client),
        chat: None,
        before_seq: None,
        limit: 500,
        include_private: true,
    };
    store.messages(q).await.unwrap().into_iter().map(|m| m.text).collect()
}

#[actix::test]
async fn a_repeated_client_msg_id_returns_the_first_ack_and_stores_nothing() {
    let rig = Rig::start(settings()).await;
    let conv = Rig::conv("c1");
    let first = rig.run(&conv, keyed("once", "k1")).await.unwrap();
    let again = rig.run(&conv, keyed("once", "k1")).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(texts(&*rig.store, "c1").await, vec!["once"]);
}

#[actix::test]
async fn racing_first_messages_start_exactly_one_actor_and_get_distinct_seqs() {
    let rig = Rig::start(settings()).await;
    let conv = Rig::conv("crowd");
    let sends = (0..50).map(|i| rig.run(&conv, keyed(&format!("m{i}"), &format!("k{i}"))));
    let acks: Vec<_> = join_all(sends).await.into_iter().map(|a| stored(a.unwrap())).collect();
    let mut seqs: Vec<_> = acks.iter().map(|(_, seq)| *seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
    assert!(acks.iter().all(|(chat, _)| *chat == acks[0].0), "one chat");
    assert_eq!(rig.node.registry().len(), 1);
}

#[actix::test]
async fn an_idle_conversation_is_passivated_and_comes_back_from_the_store() {
    let mut options = options();
    options.passivate_after = Duration::from_millis(100);
    let rig = Rig::start_in(settings(), options, Arc::new(tempfile::tempdir().unwrap())).await;
    let conv = Rig::conv("c1");
    let (chat, _) = rig.client_says("c1", "hello").await;
    let deadline = std::time::Instant::now() + PATIENCE;
    while rig.node.registry().is_active(&conv) {
        assert!(std::time::Instant::now() < deadline, "never passivated");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (again, seq) = rig.client_says("c1", "still there?").await;
    assert_eq!((again, seq), (chat, 2), "same chat, seq continues");
    let retried = rig.run(&conv, keyed("x", "k")).await.unwrap();
    assert_eq!(rig.run(&conv, keyed("x", "k")).await.unwrap(), retried, "keys survive passivation");
}

/// Runs `f` against a node on `clock` in its own actix system on its own thread, then drops
/// that system without a clean shutdown (no flush, no stop): what a crash leaves behind.
pub(super) fn in_a_node_that_crashes<T: Send + 'static>(
    settings: Settings,
    dir: Arc<tempfile::TempDir>,
    clock: Arc<dyn Clock>,
    f: impl FnOnce(Arc<Rig>) -> std::pin::Pin<Box<dyn std::future::Future<Output = T>>> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        let system = actix::System::new();
        system.block_on(async move {
            let rig = Arc::new(Rig::start_on(settings, options(), dir, clock).await);
            let result = f(rig.clone()).await;
            // Every worker stops where it is: no flush, no shutdown of the node.
            let Ok(rig) = Arc::try_unwrap(rig) else { panic!("the rig is still in use") };
            let Ok(node) = Arc::try_unwrap(rig.node) else { panic!("the node is still in use") };
            node.kill();
            result
        })
    })
    .join()
    .expect("the node thread ran")
}

#[actix::test]
async fn after_a_crash_every_acknowledged_message_and_chat_state_is_back_and_overdue_deadlines_fire() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    // The default ten-minute inactivity, on a clock the test moves.
    let clock = Arc::new(ManualClock::new(crate::domain::tests::T0));
    let (chat, other) = in_a_node_that_crashes(settings(), dir.clone(), clock.clone(), |rig| {
        Box::pin(async move {
            let conv = Rig::conv("c1");
            let (chat, _) = rig.client_says("c1", "m0").await;
            rig.run(&conv, Command::Take { by: op("alice"), chat }).await.unwrap();
            for i in 1..30 {
                rig.run(&conv, keyed(&format!("m{i}"), &format!("k{i}"))).await.unwrap();
            }
            let (other, _) = rig.client_says("c2", "waiting in the queue").await;
            (chat, other)
        })
    });
    clock.advance(secs(601.0)); // the inactivity deadline passes while the node is down

    let rig = Rig::start_on(settings(), options(), dir, clock).await;
    let expected: Vec<String> = (0..30).map(|i| format!("m{i}")).collect();
    assert_eq!(texts(&*rig.store, "c1").await, expected);
    let queued = rig.chat(other).await;
    assert_eq!(
        (queued.phase, queued.responsible.clone()),
        (Phase::Active, None),
        "a queued client is never dropped"
    );
    // The overdue inactivity deadline fires on start, without any message to the conversation.
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let view = rig.chat(chat).await;
        if view.phase == Phase::Finished {
            assert_eq!(view.status, Status::Open, "the client wrote last");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the overdue deadline never fired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The queued chat is back in its line's queue.
    let lines = rig.node.lines().await.unwrap();
    assert_eq!(lines[0].stats.waiting, 1);
    // Idempotency keys written before the crash still hold.
    let again = rig.run(&Rig::conv("c1"), keyed("m5", "k5")).await.unwrap();
    assert_eq!(stored(again).1, 6);
}

#[actix::test]
async fn the_client_and_an_operator_may_use_the_same_client_msg_id() {
    let rig = Rig::start(settings()).await;
    let conv = Rig::conv("c1");
    let client = stored(rig.run(&conv, keyed("from the client", "m1")).await.unwrap());
    let by_alice = Command::OperatorMessage {
        by: op("alice"),
        chat: None,
        text: "from alice".into(),
        client_msg_id: Some("m1".into()),
    };
    let alice = stored(rig.run(&conv, by_alice.clone()).await.unwrap());
    assert_ne!(client.1, alice.1, "two messages");
    assert_eq!(stored(rig.run(&conv, by_alice).await.unwrap()), alice, "alice's retry is idempotent");
    assert_eq!(texts(&*rig.store, "c1").await, vec!["from the client", "from alice"]);
}

/// Waits until `f` holds of the store's deadline index (every row), within [`PATIENCE`].
async fn rows_become(store: &dyn Store, f: impl Fn(&[(ConversationId, Timestamp)]) -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let rows = store.due(Timestamp(i64::MAX), 100).await.unwrap();
        if f(&rows) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "deadline rows stayed {rows:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix::test]
async fn a_deadline_moving_later_keeps_its_early_row_which_wakes_the_conversation_without_firing_early() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let clock = Arc::new(ManualClock::new(crate::domain::tests::T0));
    let moving = clock.clone();
    let (chat, first, real) = in_a_node_that_crashes(settings(), dir.clone(), clock.clone(), |rig| {
        Box::pin(async move {
            let conv = Rig::conv("c1");
            let (chat, _) = rig.client_says("c1", "m0").await;
            rig.run(&conv, Command::Take { by: op("alice"), chat }).await.unwrap();
            let rows = rig.store.due(Timestamp(i64::MAX), 10).await.unwrap();
            let [(_, first)] = rows[..] else { panic!("one armed inactivity deadline: {rows:?}") };
            // Each message moves the deadline later; the stored row stays where it was.
            for i in 1..=3 {
                moving.advance(secs(100.0));
                rig.operator_says("alice", "c1", &format!("a{i}")).await;
            }
            let real = first.after(secs(300.0));
            assert_eq!(rig.store.due(Timestamp(i64::MAX), 10).await.unwrap(), vec![(conv, first)]);
            (chat, first, real)
        })
    });
    // The node is down past the early row, not past the real deadline.
    clock.advance(secs(350.0));
    assert!(clock.now() > first && clock.now() < real);

    let rig = Rig::start_on(settings(), options(), dir, clock.clone()).await;
    // The early row wakes the conversation, which rewrites the row at the real deadline and
    // finishes nothing.
    rows_become(&*rig.store, |rows| rows == [(Rig::conv("c1"), real)]).await;
    assert_eq!(rig.chat(chat).await.phase, Phase::Active, "woken early, finished early");
    // The real deadline finishes it.
    clock.advance(secs(251.0));
    let deadline = std::time::Instant::now() + PATIENCE;
    while rig.chat(chat).await.phase != Phase::Finished {
        assert!(std::time::Instant::now() < deadline, "the real deadline never fired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    rows_become(&*rig.store, <[_]>::is_empty).await;
}

#[actix::test]
async fn a_live_conversation_rewrites_its_early_row_when_that_comes_due() {
    let rig = Rig::start_manual(settings()).await;
    let conv = Rig::conv("c1");
    let (chat, _) = rig.client_says("c1", "m0").await;
    rig.run(&conv, Command::Take { by: op("alice"), chat }).await.unwrap();
    let rows = rig.store.due(Timestamp(i64::MAX), 10).await.unwrap();
    let [(_, first)] = rows[..] else { panic!("one armed inactivity deadline: {rows:?}") };
    rig.advance(300.0);
    rig.operator_says("alice", "c1", "later").await;
    assert_eq!(rig.store.due(Timestamp(i64::MAX), 10).await.unwrap(), vec![(conv.clone(), first)]);
    // The early row's time: the actor's own timer moves the row up, and nothing finishes.
    rig.advance(301.0);
    rows_become(&*rig.store, |rows| rows == [(conv.clone(), first.after(secs(300.0)))]).await;
    assert_eq!(rig.chat(chat).await.phase, Phase::Active);
    rig.advance(300.0);
    let deadline = std::time::Instant::now() + PATIENCE;
    while rig.chat(chat).await.phase != Phase::Finished {
        assert!(std::time::Instant::now() < deadline, "the real deadline never fired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
