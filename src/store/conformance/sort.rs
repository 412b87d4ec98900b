//! Conformance: sort orders (ties by chat number in the same direction, NULLs first when
//! ascending and last when descending, enums by wire name, client names ignoring case) and
//! keyset cursor pagination.

use std::cmp::Ordering;
use std::sync::Arc;

use super::support::{ids, op, put_rows, row};
use super::Backend;
use crate::domain::tests::T0;
use crate::domain::{ChatView, LineId, Span, Status};
use crate::store::{ChatQuery, SortColumn, SortKey, Store, StoreError};

/// A sort value as the suite expects it to order: NULL below everything.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Key {
    fn cmp(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Null, Key::Null) => Ordering::Equal,
            (Key::Null, _) => Ordering::Less,
            (_, Key::Null) => Ordering::Greater,
            (Key::Int(a), Key::Int(b)) => a.cmp(b),
            (Key::Real(a), Key::Real(b)) => a.total_cmp(b),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            _ => panic!("mixed key types"),
        }
    }
}

/// The oracle: the value of the columns this suite sorts by.
fn key(r: &ChatView, column: SortColumn) -> Key {
    let opt_text = |s: Option<&str>| s.map_or(Key::Null, |s| Key::Text(s.to_owned()));
    match column {
        SortColumn::Id => Key::Int(r.id.0 as i64),
        SortColumn::CreatedAt => Key::Int(r.created_at.millis()),
        SortColumn::UpdatedAt => Key::Int(r.updated_at.millis()),
        SortColumn::Status => Key::Text(r.status.as_str().into()),
        SortColumn::Responsible => opt_text(r.responsible.as_ref().map(|o| o.as_str())),
        SortColumn::Line => Key::Text(r.line.to_string()),
        SortColumn::Client => opt_text(r.client.name.as_ref().map(|n| n.to_lowercase()).as_deref()),
        SortColumn::Subject => opt_text(r.subject.as_deref()),
        SortColumn::ClientRating => r.client_rating.map_or(Key::Null, |n| Key::Int(n.into())),
        SortColumn::LastMessageAt => r.metrics.last_message_at.map_or(Key::Null, |t| Key::Int(t.millis())),
        SortColumn::AvgResponse => r.metrics.avg_response.map_or(Key::Null, Key::Real),
        other => panic!("the suite has no oracle for {other:?}"),
    }
}

/// `rows` in the order `sort` must list them.
fn expected(rows: &[ChatView], sort: SortKey) -> Vec<u64> {
    let mut sorted: Vec<&ChatView> = rows.iter().filter(|r| r.merged_into.is_none()).collect();
    sorted.sort_by(|a, b| key(a, sort.column).cmp(&key(b, sort.column)).then(a.id.cmp(&b.id)));
    if sort.descending {
        sorted.reverse();
    }
    sorted.iter().map(|r| r.id.0).collect()
}

/// Every page of `query`, checking only the last one lacks a cursor.
async fn all_pages(store: &Arc<dyn Store>, query: ChatQuery) -> (Vec<u64>, Vec<usize>) {
    let mut listed = Vec::new();
    let mut sizes = Vec::new();
    let mut query = query;
    loop {
        let page = store.chats(query.clone()).await.unwrap();
        listed.extend(ids(&page.items));
        sizes.push(page.items.len());
        match page.next_cursor {
            Some(cursor) => {
                assert!(!page.items.is_empty(), "a page with a cursor has rows");
                query.cursor = Some(cursor);
            }
            None => return (listed, sizes),
        }
        assert!(sizes.len() < 1000, "pagination does not end");
    }
}

fn sorted_by(column: SortColumn, descending: bool) -> ChatQuery {
    ChatQuery { sort: SortKey { column, descending }, ..ChatQuery::default() }
}

/// 12 rows with repeated and missing values in every sorted column.
fn varied_rows() -> Vec<ChatView> {
    let statuses = [Status::Open, Status::New, Status::Pending, Status::OnHold, Status::Closed, Status::Spam];
    let names = [Some("bob"), Some("Ann"), None, Some("ann"), Some("Carl")];
    (1..=12_u64)
        .map(|id| {
            let mut r = row(id);
            let i = id as usize;
            r.created_at = T0.after(Span::secs((id % 4) as i64));
            r.updated_at = T0.after(Span::secs(100 - id as i64));
            r.status = statuses[i % statuses.len()];
            r.responsible = [None, Some(op("alice")), Some(op("bob"))][i % 3].clone();
            r.line = LineId::from(["line1", "line2"][i % 2]);
            r.client.name = names[i % names.len()].map(String::from);
            r.subject = (i % 4 == 0).then(|| format!("subject {}", i % 3));
            r.client_rating = [None, Some(1), Some(3), Some(1)][i % 4];
            r.metrics.last_message_at = (i % 3 != 0).then(|| T0.after(Span::secs((i % 5) as i64)));
            r.metrics.avg_response = (i % 5 != 0).then(|| [0.1 + 0.2, 2.5, 0.001][i % 3]);
            if id == 7 {
                r.merged_into = Some(crate::domain::ChatId(1));
            }
            r
        })
        .collect()
}

const SORTED: [SortColumn; 11] = [
    SortColumn::Id,
    SortColumn::CreatedAt,
    SortColumn::UpdatedAt,
    SortColumn::Status,
    SortColumn::Responsible,
    SortColumn::Line,
    SortColumn::Client,
    SortColumn::Subject,
    SortColumn::ClientRating,
    SortColumn::LastMessageAt,
    SortColumn::AvgResponse,
];

pub(crate) async fn sort_by_several_columns_both_ways_ties_by_id<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let rows = varied_rows();
    put_rows(&store, rows.clone()).await;
    for column in SORTED {
        for descending in [false, true] {
            let page = store.chats(sorted_by(column, descending)).await.unwrap();
            let sort = SortKey { column, descending };
            assert_eq!(ids(&page.items), expected(&rows, sort), "{sort:?}");
            assert_eq!(page.next_cursor, None);
        }
    }
    // The default is newest first.
    let page = store.chats(ChatQuery::default()).await.unwrap();
    assert_eq!(
        ids(&page.items),
        expected(&rows, SortKey { column: SortColumn::CreatedAt, descending: true })
    );
}

pub(crate) async fn nulls_sort_first_ascending_and_last_descending<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let who = [Some("bob"), None, Some("alice"), None];
    put_rows(
        &store,
        (1..=4)
            .map(|id| {
                let mut r = row(id);
                r.responsible = who[(id - 1) as usize].map(op);
                r
            })
            .collect(),
    )
    .await;
    let listed = |descending| {
        let store = Arc::clone(&store);
        async move { ids(&store.chats(sorted_by(SortColumn::Responsible, descending)).await.unwrap().items) }
    };
    assert_eq!(listed(false).await, vec![2, 4, 3, 1]);
    assert_eq!(listed(true).await, vec![1, 3, 4, 2]);
}

pub(crate) async fn the_cursor_pages_through_equal_values_without_skips_or_repeats<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    // 25 rows, all created at the same instant, in two statuses and two lines.
    let rows: Vec<ChatView> = (1..=25_u64)
        .map(|id| {
            let mut r = row(id);
            r.created_at = T0;
            r.status = if id % 3 == 0 { Status::Open } else { Status::Pending };
            r.line = LineId::from(if id % 5 == 0 { "line2" } else { "line1" });
            r
        })
        .collect();
    put_rows(&store, rows.clone()).await;
    for column in [SortColumn::CreatedAt, SortColumn::Status, SortColumn::Id] {
        for descending in [false, true] {
            let query = ChatQuery { limit: 7, ..sorted_by(column, descending) };
            let (listed, sizes) = all_pages(&store, query).await;
            let sort = SortKey { column, descending };
            assert_eq!(listed, expected(&rows, sort), "{sort:?}");
            assert_eq!(sizes, vec![7, 7, 7, 4], "{sort:?}");
        }
    }
    // With a filter: only line1 rows, still every one once.
    let query =
        ChatQuery { limit: 7, line: vec![LineId::from("line1")], ..sorted_by(SortColumn::Status, true) };
    let (listed, sizes) = all_pages(&store, query).await;
    let line1: Vec<ChatView> = rows.iter().filter(|r| r.line.as_str() == "line1").cloned().collect();
    assert_eq!(listed, expected(&line1, SortKey { column: SortColumn::Status, descending: true }));
    assert_eq!(sizes, vec![7, 7, 6]);
    // A page of exactly the remaining rows has no cursor.
    let query = ChatQuery { limit: 25, ..sorted_by(SortColumn::CreatedAt, false) };
    let (listed, sizes) = all_pages(&store, query).await;
    assert_eq!((listed.len(), sizes), (25, vec![25]));
}

pub(crate) async fn the_cursor_pages_through_nulls_both_ways<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let rows = varied_rows();
    put_rows(&store, rows.clone()).await;
    for column in SORTED {
        for descending in [false, true] {
            let sort = SortKey { column, descending };
            let (listed, _) =
                all_pages(&store, ChatQuery { limit: 2, ..sorted_by(column, descending) }).await;
            assert_eq!(listed, expected(&rows, sort), "{sort:?}");
        }
    }
}

pub(crate) async fn a_bad_or_foreign_cursor_is_a_bad_query<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(&store, (1..=5).map(row).collect()).await;
    let first = store.chats(ChatQuery { limit: 2, ..ChatQuery::default() }).await.unwrap();
    let cursor = first.next_cursor.unwrap();
    let with = |query: ChatQuery, cursor: &str| ChatQuery { cursor: Some(cursor.into()), limit: 2, ..query };
    for garbage in ["", "garbage", "%%%", "7b7d"] {
        let err = store.chats(with(ChatQuery::default(), garbage)).await.unwrap_err();
        assert!(matches!(err, StoreError::BadQuery(_)), "{garbage:?}: {err:?}");
    }
    for other in [sorted_by(SortColumn::CreatedAt, false), sorted_by(SortColumn::Status, true)] {
        let err = store.chats(with(other, &cursor)).await.unwrap_err();
        assert!(matches!(err, StoreError::BadQuery(_)), "{err:?}");
    }
    let next = store.chats(with(ChatQuery::default(), &cursor)).await.unwrap();
    assert_eq!(ids(&next.items), vec![3, 2]);
}

pub(crate) async fn page_size_defaults_to_50_and_is_capped_at_500<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(&store, (1..=510).map(row).collect()).await;
    let page = store.chats(ChatQuery::default()).await.unwrap();
    assert_eq!(page.items.len(), 50);
    assert!(page.next_cursor.is_some());
    let page = store.chats(ChatQuery { limit: 10_000, ..ChatQuery::default() }).await.unwrap();
    assert_eq!(page.items.len(), 500);
    let rest = store
        .chats(ChatQuery { limit: 500, cursor: page.next_cursor, ..ChatQuery::default() })
        .await
        .unwrap();
    assert_eq!(ids(&rest.items), (1..=10).rev().collect::<Vec<_>>());
    assert_eq!(rest.next_cursor, None);
}
