//! Conformance: the dialog list's word search (`q`: messages and subject, following messages
//! that splits and merges move) and reports, which must add up to what the reference
//! [`tally`](crate::store::report::tally) says.

use std::sync::Arc;

use super::support::{client, finish, ids, op, put_rows, row, take, write, Script};
use super::Backend;
use crate::domain::tests::T0;
use crate::domain::{ChatId, ChatView, Command, LineId, Phase, Span, Status};
use crate::store::report::tally;
use crate::store::{ChatQuery, ReportGroup, ReportQuery, SortColumn, SortKey, Store};

/// The chats whose messages or subject hold every one of `words` (by id, one page).
async fn found(store: &Arc<dyn Store>, words: &[&str]) -> Vec<u64> {
    let query = ChatQuery {
        words: words.iter().map(|w| w.to_string()).collect(),
        sort: SortKey { column: SortColumn::Id, descending: false },
        limit: 500,
        ..ChatQuery::default()
    };
    let page = store.chats(query).await.unwrap();
    assert_eq!(page.next_cursor, None);
    ids(&page.items)
}

pub(crate) async fn q_finds_chats_holding_every_word_in_messages_or_subject<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let mut a = Script::new("a");
    a.run(&*store, client("Hello, my REFUND is late")).await;
    let mut b = Script::new("b");
    b.run(&*store, client("hello there")).await;
    let mut c = Script::new("c");
    c.run(&*store, client("hello")).await;
    c.run(&*store, take("alice", c.latest())).await;
    c.run(&*store, write("alice", "Your refund is on its way")).await;
    let mut d = Script::new("d");
    d.run(&*store, client("Где моя ёлка?")).await;
    let (a, b, c, d) = (a.latest().0, b.latest().0, c.latest().0, d.latest().0);
    let mut subject = row(100);
    subject.subject = Some("Refund request".into());
    put_rows(&store, vec![subject.clone()]).await;

    assert_eq!(found(&store, &["hello"]).await, vec![a, b, c]);
    assert_eq!(found(&store, &["refund"]).await, vec![a, c, 100], "case-insensitive; the subject too");
    assert_eq!(found(&store, &["hello", "refund"]).await, vec![a, c], "every word, in any of the messages");
    assert_eq!(found(&store, &["hell"]).await, Vec::<u64>::new(), "whole words");
    assert_eq!(found(&store, &["ЁЛКА"]).await, vec![d]);
    assert_eq!(found(&store, &["елка", "где"]).await, vec![d]);
    assert_eq!(found(&store, &["\"hello\"", "OR"]).await, Vec::<u64>::new(), "what is typed is never syntax");

    // A new subject replaces the old one's words.
    subject.subject = Some("Delivery question".into());
    put_rows(&store, vec![subject]).await;
    assert_eq!(found(&store, &["refund"]).await, vec![a, c]);
    assert_eq!(found(&store, &["delivery"]).await, vec![100]);
}

pub(crate) async fn q_follows_messages_a_split_or_merge_moves<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    // A split: the messages from the split point on belong to the new chat.
    let mut s = Script::new("s");
    s.run(&*store, client("kettle broken")).await;
    let first = s.latest();
    s.run(&*store, take("alice", first)).await;
    s.run(&*store, write("alice", "sorry")).await;
    s.run(&*store, finish("alice", first, Status::Pending, false)).await;
    s.advance(3600);
    s.run(&*store, client("toaster smokes")).await;
    s.run(&*store, Command::Split { by: op("alice"), chat: first }).await;
    let second = s.latest();
    assert_ne!(first, second);
    assert_eq!(found(&store, &["kettle"]).await, vec![first.0]);
    assert_eq!(found(&store, &["toaster"]).await, vec![second.0]);

    // A merge: every message of the merged chat now belongs to the chat it went into (the
    // merged chat itself is never listed).
    let mut m = Script::new("m");
    m.run(&*store, client("blender")).await;
    let older = m.latest();
    m.run(&*store, take("bob", older)).await;
    m.run(&*store, write("bob", "done?")).await;
    m.run(&*store, finish("bob", older, Status::Closed, false)).await;
    m.advance(30);
    m.run(&*store, client("mixer too")).await;
    let newer = m.latest();
    m.run(&*store, take("bob", newer)).await;
    assert_eq!(found(&store, &["mixer"]).await, vec![newer.0]);
    m.run(&*store, Command::MergePrevious { by: op("bob"), chat: newer }).await;
    assert_eq!(found(&store, &["mixer"]).await, vec![older.0]);
    assert_eq!(found(&store, &["blender", "mixer"]).await, vec![older.0]);
}

/// Varied rows over two lines and three operators, created 0..n seconds after T0.
fn report_rows(n: u64) -> Vec<ChatView> {
    (1..=n)
        .map(|id| {
            let mut r = row(id);
            r.line = LineId::from(["line1", "line2"][(id % 2) as usize]);
            r.responsible =
                [None, Some(op("alice")), Some(op("bob")), Some(op("carol"))][(id % 4) as usize].clone();
            r.phase = [Phase::Active, Phase::Closing, Phase::Finished][(id % 3) as usize];
            r.client_rating = [None, Some(1), Some(2), Some(3), None][(id % 5) as usize];
            let m = &mut r.metrics;
            m.wait_first_response = (id % 6 != 0).then(|| (id * 7 % 120) as f64 + 0.5);
            m.first_message_response = (id % 4 != 1).then(|| (id * 3 % 50) as f64 + 0.25);
            m.duration = (id % 3 != 0).then(|| (id * 11 % 900) as f64);
            if id % 9 == 0 {
                r.merged_into = Some(ChatId(id - 1));
            }
            r
        })
        .collect()
}

pub(crate) async fn reports_add_up_like_the_reference_tally<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let rows = report_rows(60);
    put_rows(&store, rows.clone()).await;
    for group in [ReportGroup::Operator, ReportGroup::Line] {
        for (from, to, sla) in [(0, 100, 60), (10, 40, 30), (7, 7, 0), (61, 90, 60)] {
            let query =
                ReportQuery { group, from: T0.after(Span::secs(from)), to: T0.after(Span::secs(to)), sla };
            let got = store.report(query).await.unwrap();
            assert_eq!(got, tally(&rows, &query), "{group:?} {from}..{to} sla {sla}");
        }
    }
    // One hand-checked row: the line report over chats 1..=4.
    let query = ReportQuery {
        group: ReportGroup::Line,
        from: T0.after(Span::secs(1)),
        to: T0.after(Span::secs(4)),
        sla: 10,
    };
    let got = store.report(query).await.unwrap();
    let keys: Vec<(&str, u64, u64)> = got.iter().map(|r| (r.key.as_str(), r.chats, r.finished)).collect();
    // line1: chats 2 (finished), 4 (closing); line2: chats 1 (closing), 3 (active).
    assert_eq!(keys, [("line1", 2, 2), ("line2", 2, 1)]);
    // Waits: 1 → 7.5, 2 → 14.5, 3 → 21.5, 4 → 28.5; ratings: 1 → 1, 2 → 2, 3 → 3, 4 → none.
    let line1 = (got[0].avg_wait_first_response, got[0].avg_client_rating, got[0].votes);
    let line2 = (got[1].avg_wait_first_response, got[1].avg_client_rating, got[1].votes);
    assert_eq!((line1, line2), ((Some(21.5), Some(2.0), 1), (Some(14.5), Some(2.0), 2)));
    assert_eq!((got[0].within_sla, got[1].within_sla), (0.0, 0.5), "only chat 1 answered within 10 s");
}

pub(crate) async fn a_report_over_no_chats_is_empty<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(&store, report_rows(5)).await;
    let query = ReportQuery {
        group: ReportGroup::Operator,
        from: T0.after(Span::secs(1000)),
        to: T0.after(Span::secs(2000)),
        sla: 60,
    };
    assert_eq!(store.report(query).await.unwrap(), vec![]);
}
