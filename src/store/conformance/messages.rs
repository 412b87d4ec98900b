//! Conformance: the message index. Idempotency lookups, split and merge moves (which change
//! the chat of the right messages only), and paging back through a conversation.

use super::support::{
    client, client_keyed, client_of, finish, note, op, operator_author, take, write, Script, Snapshot,
};
use super::Backend;
use crate::domain::{AuthorKind, ChatId, Command, Seq, Status};
use crate::store::{ChatQuery, MessageQuery, SortColumn, SortKey};

pub(crate) async fn find_message_returns_the_stored_message_by_its_key<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    let first = s.run(&*store, client_keyed("hello", "k1")).await;
    s.run(&*store, take("alice", s.latest())).await;
    let reply = Command::OperatorMessage {
        by: op("alice"),
        chat: None,
        text: "hi".into(),
        client_msg_id: Some("o1".into()),
    };
    let second = s.run(&*store, reply).await;
    let mut other = Script::new("c2");
    other.run(&*store, client_keyed("other", "k9")).await;

    let found = store.find_message(s.id(), client_of(&s), "k1".into()).await.unwrap();
    assert_eq!(found.as_ref(), first.messages.first());
    let found = found.unwrap();
    assert_eq!(
        (found.text.as_str(), found.author.kind, found.chat),
        ("hello", AuthorKind::Client, Some(s.latest()))
    );
    let found = store.find_message(s.id(), operator_author("alice"), "o1".into()).await.unwrap();
    assert_eq!(found.as_ref(), second.messages.first());
    assert_eq!(found.unwrap().author.kind, AuthorKind::Operator);
    assert_eq!(store.find_message(s.id(), client_of(&s), "nope".into()).await.unwrap(), None);
    assert_eq!(
        store.find_message(s.id(), client_of(&s), "k9".into()).await.unwrap(),
        None,
        "keys are per conversation"
    );
    assert_eq!(
        store.find_message(s.id(), client_of(&s), "o1".into()).await.unwrap(),
        None,
        "keys are per author"
    );
    assert_eq!(
        store.find_message(s.id(), operator_author("bob"), "o1".into()).await.unwrap(),
        None,
        "per operator"
    );
}

fn all_of(s: &Script, chat: Option<ChatId>) -> MessageQuery {
    MessageQuery { conversation: s.id(), chat, before_seq: None, limit: 1000, include_private: true }
}

fn seqs(messages: &[crate::domain::MessageView]) -> Vec<Seq> {
    messages.iter().map(|m| m.seq).collect()
}

pub(crate) async fn a_split_moves_only_the_messages_from_the_split_point<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    s.run(&*store, client_keyed("hello", "k1")).await; // seq 1
    let first = s.latest();
    s.run(&*store, take("alice", first)).await;
    s.run(&*store, write("alice", "how can I help?")).await; // seq 2
    s.advance(60);
    s.run(&*store, finish("alice", first, Status::Pending, false)).await;
    s.advance(3600);
    s.run(&*store, client_keyed("different question", "k3")).await; // seq 3 reactivates chat 1
    s.advance(10);
    s.run(&*store, client_keyed("and another detail", "k4")).await; // seq 4
    let split = s.run(&*store, Command::Split { by: op("alice"), chat: first }).await;
    assert_eq!(split.moves.len(), 1, "the split moves messages");
    let second = s.latest();
    assert_ne!(second, first);

    assert_eq!(seqs(&store.messages(all_of(&s, Some(first))).await.unwrap()), vec![1, 2]);
    assert_eq!(seqs(&store.messages(all_of(&s, Some(second))).await.unwrap()), vec![3, 4]);
    assert_eq!(
        store.find_message(s.id(), client_of(&s), "k1".into()).await.unwrap().unwrap().chat,
        Some(first)
    );
    assert_eq!(
        store.find_message(s.id(), client_of(&s), "k3".into()).await.unwrap().unwrap().chat,
        Some(second)
    );
    assert_eq!(
        store.find_message(s.id(), client_of(&s), "k4".into()).await.unwrap().unwrap().chat,
        Some(second)
    );
    assert_eq!(Snapshot::of(&*store, &s).await, Snapshot::expected(&s));
    // New messages go to the new chat.
    s.run(&*store, client_keyed("hello?", "k5")).await;
    assert_eq!(
        store.find_message(s.id(), client_of(&s), "k5".into()).await.unwrap().unwrap().chat,
        Some(second)
    );
}

pub(crate) async fn a_merge_moves_every_message_and_hides_the_merged_chat<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    s.run(&*store, client("hello")).await;
    let first = s.latest();
    s.run(&*store, take("alice", first)).await;
    s.run(&*store, write("alice", "done?")).await;
    s.run(&*store, finish("alice", first, Status::Closed, false)).await;
    s.advance(30);
    s.run(&*store, client_keyed("wait, it is not solved", "k")).await; // opens chat 2
    let second = s.latest();
    assert_ne!(second, first);
    s.run(&*store, take("bob", second)).await;
    s.advance(30);
    s.run(&*store, write("bob", "looking into it")).await;
    let mut bystander = Script::new("c2");
    bystander.run(&*store, client("unrelated")).await;

    s.run(&*store, Command::MergePrevious { by: op("bob"), chat: second }).await;
    assert_eq!(seqs(&store.messages(all_of(&s, Some(first))).await.unwrap()), vec![1, 2, 3, 4]);
    assert!(store.messages(all_of(&s, Some(second))).await.unwrap().is_empty());
    assert_eq!(
        store.find_message(s.id(), client_of(&s), "k".into()).await.unwrap().unwrap().chat,
        Some(first)
    );
    assert_eq!(
        store.chat(second).await.unwrap().unwrap().merged_into,
        Some(first),
        "still readable by number"
    );
    assert_eq!(Snapshot::of(&*store, &s).await, Snapshot::expected(&s));
    assert_eq!(Snapshot::of(&*store, &bystander).await, Snapshot::expected(&bystander));

    let query =
        ChatQuery { sort: SortKey { column: SortColumn::Id, descending: false }, ..ChatQuery::default() };
    let listed: Vec<ChatId> = store.chats(query).await.unwrap().items.iter().map(|c| c.id).collect();
    assert_eq!(listed, vec![first, bystander.latest()], "the merged chat is not listed");
}

pub(crate) async fn messages_are_the_latest_before_a_seq_oldest_first<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut s = Script::new("c1");
    s.run(&*store, client("m1")).await;
    let chat = s.latest();
    s.run(&*store, take("alice", chat)).await;
    // seqs 2..=10: every third a private note, the rest alternating.
    for seq in 2..=10_u64 {
        let text = format!("m{seq}");
        let command = match seq % 3 {
            0 => note("alice", chat, &text),
            1 => client(&text),
            _ => write("alice", &text),
        };
        s.run(&*store, command).await;
    }
    let private: Vec<Seq> = vec![3, 6, 9];
    let query = |before_seq, limit, include_private| MessageQuery {
        conversation: s.id(),
        chat: None,
        before_seq,
        limit,
        include_private,
    };

    let all = store.messages(query(None, 100, true)).await.unwrap();
    assert_eq!(seqs(&all), (1..=10).collect::<Vec<_>>());
    assert!(all.iter().all(|m| m.private == private.contains(&m.seq)));
    assert_eq!(seqs(&store.messages(query(None, 3, false)).await.unwrap()), vec![7, 8, 10]);
    assert_eq!(seqs(&store.messages(query(None, 3, true)).await.unwrap()), vec![8, 9, 10]);
    assert_eq!(seqs(&store.messages(query(Some(7), 2, true)).await.unwrap()), vec![5, 6]);
    assert_eq!(seqs(&store.messages(query(Some(7), 3, false)).await.unwrap()), vec![2, 4, 5]);
    assert_eq!(seqs(&store.messages(query(Some(2), 10, true)).await.unwrap()), vec![1]);
    assert_eq!(seqs(&store.messages(query(Some(1), 10, true)).await.unwrap()), Vec::<Seq>::new());
    assert!(store.messages(query(None, 0, true)).await.unwrap().is_empty(), "limit 0 returns nothing");
    let by_chat = MessageQuery { chat: Some(chat), ..query(None, 4, false) };
    assert_eq!(seqs(&store.messages(by_chat).await.unwrap()), vec![5, 7, 8, 10]);
    let other_chat = MessageQuery { chat: Some(ChatId(chat.0 + 1000)), ..query(None, 4, true) };
    assert!(store.messages(other_chat).await.unwrap().is_empty());
}
