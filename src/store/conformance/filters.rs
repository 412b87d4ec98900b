//! Conformance: the filters of the dialog list, one case each (hand-built rows), plus the
//! operator scope and merged chats never being listed.

use std::sync::Arc;

use super::support::{ids, op, put_rows, row};
use super::Backend;
use crate::domain::tests::T0;
use crate::domain::{
    ChannelId, ChatId, ChatView, ConversationId, DetailedStatus, GeneralStatus, LineId, Phase, Span, Status,
};
use crate::store::{ChatQuery, Scope, SortColumn, SortKey, Store, TimeColumn, TimeRange};

/// The ids `query` lists (sorted by id, one page).
async fn listed(store: &Arc<dyn Store>, query: ChatQuery) -> Vec<u64> {
    let query =
        ChatQuery { sort: SortKey { column: SortColumn::Id, descending: false }, limit: 500, ..query };
    let page = store.chats(query).await.unwrap();
    assert_eq!(page.next_cursor, None);
    ids(&page.items)
}

/// Rows 1..=n, each changed by `edit`.
fn rows(n: u64, edit: impl Fn(&mut ChatView)) -> Vec<ChatView> {
    (1..=n)
        .map(|id| {
            let mut r = row(id);
            edit(&mut r);
            r
        })
        .collect()
}

pub(crate) async fn an_empty_query_lists_every_chat_but_merged_ones<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(
        &store,
        rows(5, |r| {
            if r.id.0 == 3 {
                r.merged_into = Some(ChatId(2));
            }
        }),
    )
    .await;
    assert_eq!(listed(&store, ChatQuery::default()).await, vec![1, 2, 4, 5]);
}

pub(crate) async fn filter_by_status<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let statuses = [Status::New, Status::Open, Status::Pending, Status::OnHold, Status::Closed, Status::Spam];
    put_rows(&store, rows(6, |r| r.status = statuses[(r.id.0 - 1) as usize])).await;
    let q = |status: Vec<Status>| ChatQuery { status, ..ChatQuery::default() };
    assert_eq!(listed(&store, q(vec![Status::Open, Status::Pending])).await, vec![2, 3]);
    assert_eq!(listed(&store, q(vec![Status::Spam])).await, vec![6]);
    assert_eq!(listed(&store, q(vec![])).await, vec![1, 2, 3, 4, 5, 6]);
}

pub(crate) async fn filter_by_detailed_status<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let all = [
        DetailedStatus::Spam,
        DetailedStatus::Finished,
        DetailedStatus::Closing,
        DetailedStatus::Queued,
        DetailedStatus::New,
        DetailedStatus::InWork,
        DetailedStatus::ClientWaiting,
        DetailedStatus::OperatorAnswered,
        DetailedStatus::ClientWaitingNewQuestion,
    ];
    put_rows(&store, rows(9, |r| r.detailed_status = all[(r.id.0 - 1) as usize])).await;
    let q = ChatQuery {
        detailed_status: vec![DetailedStatus::InWork, DetailedStatus::ClientWaitingNewQuestion],
        ..ChatQuery::default()
    };
    assert_eq!(listed(&store, q).await, vec![6, 9]);
}

pub(crate) async fn filter_by_general_status<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let all = [GeneralStatus::ClientWaiting, GeneralStatus::OperatorAnswered, GeneralStatus::Finished];
    put_rows(&store, rows(6, |r| r.general_status = all[(r.id.0 % 3) as usize])).await;
    let q = ChatQuery { general_status: vec![GeneralStatus::OperatorAnswered], ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, vec![1, 4]);
    let q = ChatQuery {
        general_status: vec![GeneralStatus::ClientWaiting, GeneralStatus::Finished],
        ..ChatQuery::default()
    };
    assert_eq!(listed(&store, q).await, vec![2, 3, 5, 6]);
}

pub(crate) async fn filter_by_phase<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let all = [Phase::Active, Phase::Closing, Phase::Finished];
    put_rows(&store, rows(6, |r| r.phase = all[(r.id.0 % 3) as usize])).await;
    let q = ChatQuery { phase: vec![Phase::Finished], ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, vec![2, 5]);
    let q = ChatQuery { phase: vec![Phase::Active, Phase::Closing], ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, vec![1, 3, 4, 6]);
}

pub(crate) async fn filter_by_responsible<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let who = [None, Some("alice"), Some("bob"), Some("alice")];
    put_rows(&store, rows(4, |r| r.responsible = who[(r.id.0 - 1) as usize].map(op))).await;
    let q = ChatQuery { responsible: vec![op("alice")], ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, vec![2, 4]);
    let q = ChatQuery { responsible: vec![op("alice"), op("bob")], ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, vec![2, 3, 4]);
}

pub(crate) async fn filter_by_line<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(&store, rows(4, |r| r.line = LineId::from(if r.id.0 % 2 == 0 { "line2" } else { "line1" })))
        .await;
    let q = ChatQuery { line: vec![LineId::from("line2")], ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, vec![2, 4]);
    let q = ChatQuery { line: vec![LineId::from("line3")], ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, Vec::<u64>::new());
}

pub(crate) async fn filter_by_channel<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let channels = ["web", "mail", "widget"];
    put_rows(
        &store,
        rows(6, |r| {
            let channel = channels[(r.id.0 % 3) as usize];
            r.channel = ChannelId::from(channel);
            r.conversation = ConversationId::new(channel, r.client.id.clone());
        }),
    )
    .await;
    let q = ChatQuery { channel: vec![ChannelId::from("mail")], ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, vec![1, 4]);
    let q = ChatQuery {
        channel: vec![ChannelId::from("web"), ChannelId::from("widget")],
        ..ChatQuery::default()
    };
    assert_eq!(listed(&store, q).await, vec![2, 3, 5, 6]);
}

pub(crate) async fn filter_by_client_name_substring_ignoring_case<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let names = [Some("Ann Smith"), Some("JOANNA"), Some("Bob"), None, Some("Zoë Ännchen")];
    put_rows(&store, rows(5, |r| r.client.name = names[(r.id.0 - 1) as usize].map(String::from))).await;
    let q = |name: &str| ChatQuery { client: Some(name.into()), ..ChatQuery::default() };
    assert_eq!(listed(&store, q("ann")).await, vec![1, 2]);
    assert_eq!(listed(&store, q("ANN")).await, vec![1, 2]);
    assert_eq!(listed(&store, q("n s")).await, vec![1]);
    assert_eq!(listed(&store, q("änn")).await, vec![5], "not only ASCII");
    assert_eq!(listed(&store, q("xyz")).await, Vec::<u64>::new());
}

pub(crate) async fn filter_by_spam<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(&store, rows(4, |r| r.status = if r.id.0 % 2 == 0 { Status::Spam } else { Status::Closed }))
        .await;
    let q = |spam| ChatQuery { spam: Some(spam), ..ChatQuery::default() };
    assert_eq!(listed(&store, q(true)).await, vec![2, 4]);
    assert_eq!(listed(&store, q(false)).await, vec![1, 3]);
}

pub(crate) async fn filter_by_creation_time_inclusive<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(&store, rows(6, |_| {})).await; // row n is created n seconds after T0
    let at = |s: i64| Some(T0.after(Span::secs(s)));
    let q = |from, to| ChatQuery {
        times: vec![TimeRange { column: TimeColumn::Created, from, to }],
        ..ChatQuery::default()
    };
    assert_eq!(listed(&store, q(at(2), at(4))).await, vec![2, 3, 4]);
    assert_eq!(listed(&store, q(at(5), None)).await, vec![5, 6]);
    assert_eq!(listed(&store, q(None, at(1))).await, vec![1]);
    assert_eq!(listed(&store, q(at(4), at(3))).await, Vec::<u64>::new());
}

pub(crate) async fn scope_shows_lines_responsible_and_participant_chats<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(
        &store,
        rows(7, |r| match r.id.0 {
            2 => r.line = LineId::from("line2"),
            3 => r.responsible = Some(op("alice")),
            4 => r.participants = vec![op("bob"), op("alice")],
            5 => {
                r.responsible = Some(op("bob"));
                r.participants = vec![op("bob"), op("alicea")];
            }
            6 => {
                r.line = LineId::from("line2");
                r.merged_into = Some(ChatId(2));
            }
            7 => r.line = LineId::from("line3"),
            _ => {}
        }),
    )
    .await;
    let q = |lines: &[&str]| ChatQuery {
        scope: Some(Scope { operator: op("alice"), lines: lines.iter().map(|l| LineId::from(*l)).collect() }),
        ..ChatQuery::default()
    };
    assert_eq!(listed(&store, q(&["line2"])).await, vec![2, 3, 4]);
    assert_eq!(listed(&store, q(&["line1"])).await, vec![1, 3, 4, 5]);
    assert_eq!(listed(&store, q(&[])).await, vec![3, 4], "responsible or participant only");
    assert_eq!(listed(&store, q(&["line2", "line3"])).await, vec![2, 3, 4, 7]);
}

pub(crate) async fn filters_combine<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(
        &store,
        rows(8, |r| {
            r.status = if r.id.0 <= 4 { Status::Open } else { Status::Pending };
            r.line = LineId::from(if r.id.0 % 2 == 0 { "line2" } else { "line1" });
            r.client.name = Some(if r.id.0 % 4 == 0 { "Ann".into() } else { "Bob".into() });
        }),
    )
    .await;
    let q = ChatQuery {
        status: vec![Status::Open],
        line: vec![LineId::from("line2")],
        client: Some("an".into()),
        ..ChatQuery::default()
    };
    assert_eq!(listed(&store, q).await, vec![4]);
    let q = ChatQuery {
        status: vec![Status::Pending],
        line: vec![LineId::from("line2")],
        ..ChatQuery::default()
    };
    assert_eq!(listed(&store, q).await, vec![6, 8]);
}

pub(crate) async fn a_rewritten_row_is_listed_by_its_new_values<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(
        &store,
        rows(4, |r| {
            r.responsible = Some(op("alice"));
            r.client.name = Some("Ann".into());
        }),
    )
    .await;
    put_rows(
        &store,
        rows(4, |r| {
            if r.id.0 % 2 == 0 {
                r.status = Status::Pending;
                r.responsible = None;
                r.client.name = Some("Bob".into());
            } else {
                r.responsible = Some(op("alice"));
                r.client.name = Some("Ann".into());
            }
        }),
    )
    .await;
    let q = ChatQuery { status: vec![Status::Pending], ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, vec![2, 4]);
    let q = ChatQuery { responsible: vec![op("alice")], ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, vec![1, 3]);
    let q = ChatQuery { client: Some("bob".into()), ..ChatQuery::default() };
    assert_eq!(listed(&store, q).await, vec![2, 4]);
    let sorted = ChatQuery {
        sort: SortKey { column: SortColumn::Responsible, descending: false },
        ..ChatQuery::default()
    };
    let page = store.chats(sorted).await.unwrap();
    assert_eq!(ids(&page.items), vec![2, 4, 1, 3], "NULL responsibles first");
    assert_eq!(store.chat(ChatId(2)).await.unwrap().unwrap().status, Status::Pending);
}
