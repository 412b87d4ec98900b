//! Conformance: the deadline index (`due`), the open chats the supervisor rebuilds from,
//! readiness and flush.

use std::time::Duration;

use super::support::{client, finish, take, write, Script};
use super::Backend;
use crate::domain::tests::T0;
use crate::domain::{ConversationId, Span, Status, Timestamp};
use crate::store::{Commit, DeadlineRow};

/// A journal-less commit of `conversation` at `position` that only sets its deadline.
fn deadline(conversation: &ConversationId, position: u64, due: Option<Timestamp>) -> Commit {
    Commit {
        conversation: conversation.clone(),
        position,
        events: Vec::new(),
        messages: Vec::new(),
        moves: Vec::new(),
        chats: Vec::new(),
        deadline: DeadlineRow::of(due),
        outbox: Vec::new(),
        snapshot: None,
    }
}

fn at(secs: i64) -> Timestamp {
    T0.after(Span::secs(secs))
}

pub(crate) async fn due_lists_deadlines_earliest_first_up_to_a_limit<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let conv = |i: usize| ConversationId::new("web", format!("d{i}"));
    for (i, secs) in [50, 10, 30, 20, 40, 30].into_iter().enumerate() {
        store.append(deadline(&conv(i), 0, Some(at(secs)))).await.unwrap();
    }
    let due = store.due(at(30), 10).await.unwrap();
    assert_eq!(due, vec![(conv(1), at(10)), (conv(3), at(20)), (conv(2), at(30)), (conv(5), at(30))]);
    assert_eq!(store.due(at(100), 2).await.unwrap(), vec![(conv(1), at(10)), (conv(3), at(20))]);
    assert!(store.due(at(9), 10).await.unwrap().is_empty());
    // A later deadline replaces the earlier one of the same conversation.
    store.append(deadline(&conv(1), 0, Some(at(60)))).await.unwrap();
    assert_eq!(store.due(at(15), 10).await.unwrap(), vec![]);
    // A deadline decided by the domain: taking a chat arms its inactivity timer.
    let mut s = Script::new("real");
    s.run(&*store, client("hello")).await;
    s.run(&*store, take("alice", s.latest())).await;
    let armed = s.conv.next_deadline().unwrap();
    assert!(store.due(Timestamp(armed.millis() + 1), 100).await.unwrap().contains(&(s.id(), armed)));
}

pub(crate) async fn a_cleared_deadline_is_no_longer_due<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    s.run(&*store, client("hello")).await;
    let chat = s.latest();
    s.run(&*store, take("alice", chat)).await;
    s.run(&*store, write("alice", "bye")).await;
    let far = Timestamp(i64::MAX);
    assert_eq!(store.due(far, 10).await.unwrap().len(), 1);
    let done = s.run(&*store, finish("alice", chat, Status::Closed, false)).await;
    assert_eq!(done.deadline, DeadlineRow::Clear, "a finished chat has no timer");
    assert!(store.due(far, 10).await.unwrap().is_empty());
    // And a journal-less commit clears one the same way.
    let other = ConversationId::new("web", "c2");
    store.append(deadline(&other, 0, Some(at(5)))).await.unwrap();
    store.append(deadline(&other, 0, None)).await.unwrap();
    assert!(store.due(far, 10).await.unwrap().is_empty());
}

pub(crate) async fn open_chats_are_the_active_and_closing_ones<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    assert!(store.open_chats().await.unwrap().is_empty());
    let mut active = Script::new("active");
    active.run(&*store, client("hello")).await;
    let mut closing = Script::new("closing");
    closing.run(&*store, client("hello")).await;
    closing.run(&*store, take("bob", closing.latest())).await;
    closing.run(&*store, finish("bob", closing.latest(), Status::Closed, true)).await;
    let mut finished = Script::new("finished");
    finished.run(&*store, client("hello")).await;
    finished.run(&*store, take("bob", finished.latest())).await;
    finished.run(&*store, finish("bob", finished.latest(), Status::Closed, false)).await;

    let mut open = store.open_chats().await.unwrap();
    open.sort_by_key(|c| c.id);
    assert_eq!(open, vec![active.view(active.latest()), closing.view(closing.latest())]);
}

pub(crate) async fn check_and_flush_answer<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    store.check().await.unwrap();
    store.flush().await.unwrap();
    let appends: Vec<_> = (0..20)
        .map(|i| store.append(deadline(&ConversationId::new("web", format!("f{i}")), 0, Some(at(i)))))
        .collect();
    store.flush().await.unwrap();
    for append in appends {
        // Already answered: flush resolves only after every earlier append is durable.
        let answered = tokio::time::timeout(Duration::ZERO, append).await;
        assert_eq!(answered, Ok(Ok(())));
    }
    assert_eq!(store.due(at(100), 100).await.unwrap().len(), 20);
}
