//! Conformance: the webhook outbox. Rows are written with their commit and atomically with it
//! (a conflicting or failing commit writes none), survive reopening, come due earliest first
//! and one per conversation in journal order; `delivered` removes a row, `retry_later`
//! reschedules it and holds back the rest of its conversation. A parked row keeps its payload
//! and why, is listed for admins (oldest parked first, paged) and neither comes due nor holds
//! its conversation back, until it is re-queued.

use serde_json::json;

use super::support::{client, take, write, Script, Snapshot};
use super::Backend;
use crate::domain::tests::{settings, T0};
use crate::domain::{ChannelId, Command, Conversation, ConversationId, Settings, Span, Timestamp};
use crate::store::{Commit, DeadlineRow, Outbound, OutboundRow, ParkedRow, Store, StoreError};
use crate::webhook::outbound;

const URL: &str = "http://127.0.0.1:9/hook";

/// The suite's settings with a webhook on `web`.
fn hooked() -> Settings {
    let mut s = settings();
    if let Some(web) = s.channels.get_mut(&ChannelId::from("web")) {
        web.webhook_url = Some(URL.into());
    }
    s
}

/// Decides `command` on `s` and adds the deliveries its events decide (as the actor does).
fn decide_hooked(s: &Script, store: &dyn Store, command: Command) -> (Commit, Conversation) {
    let (commit, state) = s.decide(store, command);
    let outbox = outbound(&hooked(), &s.conv, commit.position, &commit.events);
    (commit.with_outbox(outbox), state)
}

/// Decides, appends (which must succeed) and adopts, with the deliveries.
async fn run_hooked(s: &mut Script, store: &dyn Store, command: Command) -> Commit {
    let (commit, state) = decide_hooked(s, store, command);
    store.append(commit.clone()).await.unwrap_or_else(|e| panic!("append failed: {e}"));
    s.adopt(&commit, state);
    commit
}

fn at(secs: i64) -> Timestamp {
    T0.after(Span::secs(secs))
}

/// A hand-built delivery of `web:<client>` at journal position `n`, decided at `created`.
fn delivery(client: &str, n: u64, created: Timestamp) -> Outbound {
    let conversation = ConversationId::new("web", client);
    Outbound {
        id: format!("{conversation}/{n}"),
        conversation,
        position: n,
        channel: "web".into(),
        url: URL.into(),
        payload: json!({"kind": "message", "n": n}),
        created_at: created,
    }
}

/// A journal-less commit writing `outbox` (one conversation's rows).
fn only(outbox: Vec<Outbound>) -> Commit {
    Commit {
        conversation: outbox[0].conversation.clone(),
        position: 0,
        events: Vec::new(),
        messages: Vec::new(),
        moves: Vec::new(),
        chats: Vec::new(),
        deadline: DeadlineRow::Clear,
        outbox,
        snapshot: None,
    }
}

/// The row a fresh delivery becomes.
fn row(o: &Outbound) -> OutboundRow {
    OutboundRow {
        id: o.id.clone(),
        conversation: o.conversation.clone(),
        position: o.position,
        channel: o.channel.clone(),
        url: o.url.clone(),
        payload: o.payload.clone(),
        attempts: 0,
        next_at: o.created_at,
        created_at: o.created_at,
        queued_at: o.created_at,
    }
}

fn ids(rows: &[OutboundRow]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

const FAR: Timestamp = Timestamp(i64::MAX);

pub(crate) async fn outbox_rows_are_written_with_their_commit_and_survive_reopening<B: Backend>(backend: &B) {
    let (storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    assert!(run_hooked(&mut s, &*store, client("hello")).await.outbox.is_empty());
    let chat = s.latest();
    run_hooked(&mut s, &*store, take("alice", chat)).await;
    s.advance(1);
    let first = run_hooked(&mut s, &*store, write("alice", "one")).await;
    s.advance(1);
    let second = run_hooked(&mut s, &*store, write("alice", "two")).await;
    assert_eq!((first.outbox.len(), second.outbox.len()), (1, 1));
    assert!(store.due_outbound(FAR, 100).await.unwrap().len() == 1, "one per conversation");

    let store = backend.reopen(&storage, store).await;
    assert_eq!(store.due_outbound(FAR, 100).await.unwrap(), vec![row(&first.outbox[0])]);
    assert_eq!(first.outbox[0].payload["text"], "one");
    store.delivered(first.outbox[0].id.clone()).await.unwrap();
    assert_eq!(store.due_outbound(FAR, 100).await.unwrap(), vec![row(&second.outbox[0])]);
    store.delivered(second.outbox[0].id.clone()).await.unwrap();
    assert_eq!(store.due_outbound(FAR, 100).await.unwrap(), vec![]);
    assert_eq!(Snapshot::of(&*store, &s).await, Snapshot::expected(&s), "delivering touches nothing else");
}

pub(crate) async fn a_conflicting_commit_writes_no_outbox_rows<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    run_hooked(&mut s, &*store, client("hello")).await;
    let chat = s.latest();
    run_hooked(&mut s, &*store, take("alice", chat)).await;
    let stale = s.clone();
    let mine = run_hooked(&mut s, &*store, write("alice", "mine")).await;
    let (rival, _) = decide_hooked(&stale, &*store, write("bob", "rival"));
    assert_eq!(rival.outbox.len(), 1);
    let err = store.append(rival.clone()).await.unwrap_err();
    assert_eq!(err, StoreError::Conflict { conversation: s.id(), position: rival.position });
    assert_eq!(store.due_outbound(FAR, 100).await.unwrap(), vec![row(&mine.outbox[0])]);
    store.delivered(mine.outbox[0].id.clone()).await.unwrap();
    assert_eq!(store.due_outbound(FAR, 100).await.unwrap(), vec![], "nothing of the rival");
}

pub(crate) async fn a_commit_whose_outbox_row_cannot_be_written_writes_nothing<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    run_hooked(&mut s, &*store, client("hello")).await;
    let chat = s.latest();
    run_hooked(&mut s, &*store, take("alice", chat)).await;
    let mine = run_hooked(&mut s, &*store, write("alice", "mine")).await;
    let before = Snapshot::of(&*store, &s).await;
    // A delivery reusing a pending one's key: the commit must fail as a whole.
    let (mut broken, _) = decide_hooked(&s, &*store, write("alice", "again"));
    broken.outbox[0].id = mine.outbox[0].id.clone();
    assert!(store.append(broken).await.is_err());
    assert_eq!(Snapshot::of(&*store, &s).await, before, "no events, messages or rows of it");
    assert_eq!(store.due_outbound(FAR, 100).await.unwrap(), vec![row(&mine.outbox[0])]);
}

pub(crate) async fn due_outbound_lists_each_conversations_earliest_delivery_by_next_at<B: Backend>(
    backend: &B,
) {
    let (_storage, store) = backend.fresh().await;
    // a: positions 3 (t=20) and 5 (t=5, decided later but its time says earlier: order is by
    // position within a conversation); b: t=10; c: t=30; d: t=40 and 41.
    let a3 = delivery("a", 3, at(20));
    let a5 = delivery("a", 5, at(5));
    let b = delivery("b", 0, at(10));
    let c = delivery("c", 7, at(30));
    let (d1, d2) = (delivery("d", 1, at(40)), delivery("d", 2, at(41)));
    store.append(only(vec![a3.clone(), a5.clone()])).await.unwrap();
    store.append(only(vec![b.clone()])).await.unwrap();
    store.append(only(vec![c.clone()])).await.unwrap();
    store.append(only(vec![d1.clone(), d2.clone()])).await.unwrap();

    let due = store.due_outbound(at(30), 100).await.unwrap();
    assert_eq!(due, vec![row(&b), row(&a3), row(&c)], "earliest next_at first, heads only");
    assert_eq!(ids(&store.due_outbound(FAR, 2).await.unwrap()), vec![b.id.as_str(), a3.id.as_str()]);
    assert_eq!(store.due_outbound(at(9), 100).await.unwrap(), vec![], "a5 is due but waits for a3");
    assert_eq!(ids(&store.due_outbound(FAR, 100).await.unwrap()), vec![&b.id, &a3.id, &c.id, &d1.id]);
}

pub(crate) async fn delivered_removes_a_delivery_and_the_next_of_its_conversation_comes_due<B: Backend>(
    backend: &B,
) {
    let (_storage, store) = backend.fresh().await;
    let (a1, a2, a3) = (delivery("a", 1, at(1)), delivery("a", 2, at(2)), delivery("a", 3, at(3)));
    let b = delivery("b", 1, at(2));
    store.append(only(vec![a1.clone(), a2.clone()])).await.unwrap();
    store.append(only(vec![a3.clone()])).await.unwrap();
    store.append(only(vec![b.clone()])).await.unwrap();
    store.delivered(a1.id.clone()).await.unwrap();
    assert_eq!(store.due_outbound(FAR, 100).await.unwrap(), vec![row(&a2), row(&b)]);
    store.delivered(a1.id.clone()).await.unwrap(); // again: no error
    store.delivered("web:nobody/1".into()).await.unwrap();
    store.delivered(a2.id.clone()).await.unwrap();
    store.delivered(b.id.clone()).await.unwrap();
    assert_eq!(store.due_outbound(FAR, 100).await.unwrap(), vec![row(&a3)]);
    store.delivered(a3.id.clone()).await.unwrap();
    assert_eq!(store.due_outbound(FAR, 100).await.unwrap(), vec![]);
}

pub(crate) async fn retry_later_reschedules_and_holds_back_the_rest_of_its_conversation<B: Backend>(
    backend: &B,
) {
    let (storage, store) = backend.fresh().await;
    let (a1, a2) = (delivery("a", 1, at(1)), delivery("a", 2, at(2)));
    let b = delivery("b", 1, at(3));
    store.append(only(vec![a1.clone(), a2.clone()])).await.unwrap();
    store.append(only(vec![b.clone()])).await.unwrap();

    store.retry_later(a1.id.clone(), 1, at(10)).await.unwrap();
    assert_eq!(store.due_outbound(at(9), 100).await.unwrap(), vec![row(&b)], "a1 later, a2 waits for it");
    let retried = OutboundRow { attempts: 1, next_at: at(10), ..row(&a1) };
    assert_eq!(store.due_outbound(at(10), 100).await.unwrap(), vec![row(&b), retried.clone()]);
    store.retry_later("web:nobody/1".into(), 3, at(1)).await.unwrap(); // unknown: no error

    let store = backend.reopen(&storage, store).await;
    assert_eq!(store.due_outbound(at(10), 100).await.unwrap(), vec![row(&b), retried], "kept over reopening");
    store.retry_later(a1.id.clone(), 2, at(20)).await.unwrap();
    store.delivered(b.id.clone()).await.unwrap();
    assert_eq!(store.due_outbound(at(19), 100).await.unwrap(), vec![]);
    store.delivered(a1.id.clone()).await.unwrap();
    // a2 was held back with a1; it is due once a1's retry time has come.
    let due = store.due_outbound(at(20), 100).await.unwrap();
    assert_eq!(ids(&due), vec![a2.id.as_str()]);
    assert_eq!((due[0].attempts, due[0].next_at), (0, at(20)));
}

/// What `o` becomes once parked at `at` after `attempts` attempts, for `reason`.
fn parked(o: &Outbound, attempts: u32, at: Timestamp, reason: &str) -> ParkedRow {
    ParkedRow {
        id: o.id.clone(),
        conversation: o.conversation.clone(),
        position: o.position,
        channel: o.channel.clone(),
        payload: o.payload.clone(),
        attempts,
        created_at: o.created_at,
        parked_at: at,
        reason: reason.into(),
    }
}

pub(crate) async fn a_parked_delivery_keeps_its_payload_and_no_longer_holds_back_its_conversation<
    B: Backend,
>(
    backend: &B,
) {
    let (storage, store) = backend.fresh().await;
    let (a1, a2, a3) = (delivery("a", 1, at(1)), delivery("a", 2, at(2)), delivery("a", 3, at(3)));
    let b = delivery("b", 1, at(2));
    store.append(only(vec![a1.clone(), a2.clone(), a3.clone()])).await.unwrap();
    store.append(only(vec![b.clone()])).await.unwrap();
    store.retry_later(a1.id.clone(), 4, at(10)).await.unwrap();
    assert_eq!(ids(&store.due_outbound(at(9), 100).await.unwrap()), vec![b.id.as_str()]);

    store.park(a1.id.clone(), 5, at(11), "HTTP 500; gave up after 5 failed attempts".into()).await.unwrap();
    assert_eq!(
        store.due_outbound(at(11), 100).await.unwrap(),
        vec![row(&b), OutboundRow { next_at: at(10), ..row(&a2) }],
        "a2 comes due once its retry time has passed; a1 is no longer listed"
    );
    let page = store.parked_outbound(None, 10).await.unwrap();
    let expected = parked(&a1, 5, at(11), "HTTP 500; gave up after 5 failed attempts");
    assert_eq!((page.items, page.next_cursor), (vec![expected.clone()], None));
    assert_eq!(store.parked_count().await.unwrap(), 1);

    // Parking again, rescheduling or delivering a parked row, or parking an unknown one: no
    // error, and nothing changes.
    store.park(a1.id.clone(), 9, at(12), "again".into()).await.unwrap();
    store.retry_later(a1.id.clone(), 9, at(1)).await.unwrap();
    store.park("web:nobody/1".into(), 1, at(12), "x".into()).await.unwrap();
    assert_eq!(store.parked_outbound(None, 10).await.unwrap().items, vec![expected.clone()]);

    // A later row failing holds back only the pending rows after it.
    store.retry_later(a2.id.clone(), 1, at(30)).await.unwrap();
    assert_eq!(ids(&store.due_outbound(at(29), 100).await.unwrap()), vec![b.id.as_str()]);

    let store = backend.reopen(&storage, store).await;
    assert_eq!(store.parked_outbound(None, 10).await.unwrap().items, vec![expected], "kept over reopening");
    assert_eq!(store.parked_count().await.unwrap(), 1);
    store.delivered(a2.id.clone()).await.unwrap();
    store.delivered(b.id.clone()).await.unwrap();
    assert_eq!(ids(&store.due_outbound(at(30), 100).await.unwrap()), vec![a3.id.as_str()]);
}

pub(crate) async fn parked_deliveries_are_listed_oldest_parked_first_page_by_page<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let rows: Vec<Outbound> = (1..=7).map(|n| delivery(&format!("c{n}"), n, at(0))).collect();
    for o in &rows {
        store.append(only(vec![o.clone()])).await.unwrap();
    }
    // Parked at 50, 40, 40, 40, 30, 20, and one left pending: ties go by id.
    for (o, when) in rows.iter().zip([50, 40, 40, 40, 30, 20]) {
        store.park(o.id.clone(), 1, at(when), format!("parked at {when}")).await.unwrap();
    }
    let want: Vec<&str> = [5, 4, 1, 2, 3, 0].iter().map(|&i| rows[i].id.as_str()).collect();

    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = store.parked_outbound(cursor.clone(), 2).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|r| r.id.clone()));
        pages += 1;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(seen, want, "no skips or repeats, pending rows never listed");
    assert_eq!(pages, 3);
    let whole = store.parked_outbound(None, 0).await.unwrap();
    assert_eq!((whole.items.len(), whole.next_cursor), (6, None), "0 means the default page");
    assert_eq!(store.parked_outbound(None, 6).await.unwrap().next_cursor, None, "exactly full: no next page");
    assert_eq!(store.parked_count().await.unwrap(), 6);
    for bad in ["nope", "00", ""] {
        let err = store.parked_outbound(Some(bad.into()), 2).await.unwrap_err();
        assert!(matches!(err, StoreError::BadQuery(_)), "{bad:?}: {err:?}");
    }
}

pub(crate) async fn a_requeued_delivery_is_due_at_once_with_no_attempts_and_holds_back_again<B: Backend>(
    backend: &B,
) {
    let (_storage, store) = backend.fresh().await;
    let (a1, a2) = (delivery("a", 1, at(1)), delivery("a", 2, at(2)));
    store.append(only(vec![a1.clone(), a2.clone()])).await.unwrap();
    store.park(a1.id.clone(), 50, at(20), "gave up".into()).await.unwrap();
    assert_eq!(ids(&store.due_outbound(at(20), 100).await.unwrap()), vec![a2.id.as_str()]);

    assert!(store.requeue_parked(a1.id.clone(), at(30)).await.unwrap());
    let requeued = OutboundRow { attempts: 0, next_at: at(30), queued_at: at(30), ..row(&a1) };
    assert_eq!(store.due_outbound(at(29), 100).await.unwrap(), vec![], "due from the re-queue on");
    assert_eq!(
        store.due_outbound(at(30), 100).await.unwrap(),
        vec![requeued],
        "first in its conversation again: a2 waits for it"
    );
    assert_eq!(
        (store.parked_count().await.unwrap(), store.parked_outbound(None, 10).await.unwrap().items),
        (0, vec![])
    );

    assert!(!store.requeue_parked(a1.id.clone(), at(31)).await.unwrap(), "pending, not parked");
    assert!(!store.requeue_parked("web:nobody/1".into(), at(31)).await.unwrap(), "unknown");
    assert_eq!(store.due_outbound(at(31), 100).await.unwrap()[0].next_at, at(30), "nothing changed");
    store.delivered(a1.id.clone()).await.unwrap();
    assert_eq!(ids(&store.due_outbound(at(31), 100).await.unwrap()), vec![a2.id.as_str()]);
}
