//! Conformance: the filters of the dialog list, one case each (hand-built rows), plus the
//! operator scope and merged chats never being listed.

use std::sync::Arc;

use super::support::{ids, op, put_rows, row};
use super::Backend;
use crate::domain::tests::T0;
use crate::domain::{
    ChannelId, ChatId, ChatView, ConversationId, DetailedStatus, Direction, GeneralStatus, LineId, Phase,
    Span, Status, Timestamp,
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

pub(crate) async fn filter_by_direction<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(
        &store,
        rows(4, |r| r.direction = if r.id.0 % 2 == 0 { Direction::Outgoing } else { Direction::Incoming }),
    )
    .await;
    let q = |direction: Vec<Direction>| ChatQuery { direction, ..ChatQuery::default() };
    assert_eq!(listed(&store, q(vec![Direction::Outgoing])).await, vec![2, 4]);
    assert_eq!(listed(&store, q(vec![Direction::Incoming])).await, vec![1, 3]);
    assert_eq!(listed(&store, q(vec![Direction::Incoming, Direction::Outgoing])).await, vec![1, 2, 3, 4]);
}

pub(crate) async fn filter_by_participant_any_of<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(
        &store,
        rows(5, |r| match r.id.0 {
            1 => r.participants = vec![op("alice")],
            2 => r.participants = vec![op("bob"), op("alice")],
            3 => r.participants = vec![op("bob")],
            4 => r.responsible = Some(op("alice")), // responsible, not a participant
            _ => r.participants = vec![op("alicea")],
        }),
    )
    .await;
    let q =
        |who: &[&str]| ChatQuery { participant: who.iter().map(|w| op(w)).collect(), ..ChatQuery::default() };
    assert_eq!(listed(&store, q(&["alice"])).await, vec![1, 2]);
    assert_eq!(listed(&store, q(&["bob"])).await, vec![2, 3]);
    assert_eq!(listed(&store, q(&["alice", "bob"])).await, vec![1, 2, 3], "each chat once");
    assert_eq!(listed(&store, q(&["carol"])).await, Vec::<u64>::new());
}

pub(crate) async fn filter_by_client_id_exactly_and_client_by_name_or_id<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(&store, rows(12, |r| r.client.name = (r.id.0 == 12).then(|| "Clara".to_string()))).await;
    let exact = |id: &str| ChatQuery { client_id: Some(id.into()), ..ChatQuery::default() };
    assert_eq!(listed(&store, exact("c1")).await, vec![1], "not c10, c11, c12");
    assert_eq!(listed(&store, exact("C1")).await, Vec::<u64>::new(), "exact: case counts");
    let part = |s: &str| ChatQuery { client: Some(s.into()), ..ChatQuery::default() };
    assert_eq!(listed(&store, part("C1")).await, vec![1, 10, 11, 12], "a substring of the id, any case");
    assert_eq!(listed(&store, part("cla")).await, vec![12], "or of the name");
}

pub(crate) async fn filter_by_pinned<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    put_rows(&store, rows(4, |r| r.pinned = r.id.0 >= 3)).await;
    let q = |pinned| ChatQuery { pinned: Some(pinned), ..ChatQuery::default() };
    assert_eq!(listed(&store, q(true)).await, vec![3, 4]);
    assert_eq!(listed(&store, q(false)).await, vec![1, 2]);
}

pub(crate) async fn filter_by_request_type<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let types = [None, Some("support"), Some("refund"), Some("support")];
    put_rows(&store, rows(4, |r| r.request_type = types[(r.id.0 - 1) as usize].map(String::from))).await;
    let q = |t: &[&str]| ChatQuery {
        request_type: t.iter().map(|s| s.to_string()).collect(),
        ..ChatQuery::default()
    };
    assert_eq!(listed(&store, q(&["support"])).await, vec![2, 4]);
    assert_eq!(listed(&store, q(&["refund", "support"])).await, vec![2, 3, 4]);
    assert_eq!(listed(&store, q(&["Support"])).await, Vec::<u64>::new(), "values are exact");
}

pub(crate) async fn filter_by_reasons_and_components_having_any_of_them<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let lists = |r: &mut ChatView, reasons: &[&str], components: &[&str]| {
        r.reasons = reasons.iter().map(|s| s.to_string()).collect();
        r.components = components.iter().map(|s| s.to_string()).collect();
    };
    put_rows(
        &store,
        rows(4, |r| match r.id.0 {
            1 => lists(r, &["late"], &["app"]),
            2 => lists(r, &["late", "broken"], &[]),
            3 => lists(r, &["broken"], &["app", "site"]),
            _ => lists(r, &[], &["late"]), // a component, not a reason
        }),
    )
    .await;
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let reasons = |v: &[&str]| ChatQuery { reasons: strings(v), ..ChatQuery::default() };
    let components = |v: &[&str]| ChatQuery { components: strings(v), ..ChatQuery::default() };
    assert_eq!(listed(&store, reasons(&["late"])).await, vec![1, 2]);
    assert_eq!(listed(&store, reasons(&["late", "broken"])).await, vec![1, 2, 3], "each chat once");
    assert_eq!(listed(&store, components(&["site"])).await, vec![3]);
    assert_eq!(listed(&store, components(&["app", "late"])).await, vec![1, 3, 4]);
    let both =
        ChatQuery { reasons: strings(&["broken"]), components: strings(&["app"]), ..ChatQuery::default() };
    assert_eq!(listed(&store, both).await, vec![3], "filters combine");

    // Rewritten lists: the old values no longer match, the new ones do.
    put_rows(&store, rows(2, |r| lists(r, if r.id.0 == 1 { &["broken"] } else { &["late"] }, &[]))).await;
    assert_eq!(listed(&store, reasons(&["late"])).await, vec![2]);
    assert_eq!(listed(&store, reasons(&["broken"])).await, vec![1, 3]);
    assert_eq!(listed(&store, components(&["app"])).await, vec![3]);
}

pub(crate) async fn filter_by_client_and_supervisor_ratings<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    let client = [None, Some(1), Some(3), Some(3)];
    let supervisor = [Some(5), None, Some(2), Some(5)];
    put_rows(
        &store,
        rows(4, |r| {
            r.client_rating = client[(r.id.0 - 1) as usize];
            r.supervisor_rating = supervisor[(r.id.0 - 1) as usize];
        }),
    )
    .await;
    let by_client = |v: Vec<u8>| ChatQuery { client_rating: v, ..ChatQuery::default() };
    let by_supervisor = |v: Vec<u8>| ChatQuery { supervisor_rating: v, ..ChatQuery::default() };
    assert_eq!(listed(&store, by_client(vec![3])).await, vec![3, 4]);
    assert_eq!(listed(&store, by_client(vec![1, 2])).await, vec![2]);
    assert_eq!(listed(&store, by_supervisor(vec![5])).await, vec![1, 4]);
    let both = ChatQuery { client_rating: vec![3], supervisor_rating: vec![5], ..ChatQuery::default() };
    assert_eq!(listed(&store, both).await, vec![4]);
}

/// Sets the timestamp `column` of `r` (both copies where the row has two).
fn set_time(r: &mut ChatView, column: TimeColumn, at: Option<Timestamp>) {
    let m = &mut r.metrics;
    match column {
        TimeColumn::Created => {
            let at = at.expect("every chat has a creation time");
            (r.created_at, m.created_at) = (at, at);
        }
        TimeColumn::Updated => {
            let at = at.expect("every chat has an update time");
            (r.updated_at, m.updated_at) = (at, at);
        }
        TimeColumn::Queued => m.queued_at = at,
        TimeColumn::Taken => m.taken_at = at,
        TimeColumn::FirstResponse => m.first_response_at = at,
        TimeColumn::LastMessage => m.last_message_at = at,
        TimeColumn::OperatorClosed => m.operator_closed_at = at,
        TimeColumn::Finished => m.finished_at = at,
    }
}

pub(crate) async fn every_timestamp_filters_by_an_inclusive_range<B: Backend>(backend: &B) {
    for (column, name) in TimeColumn::ALL {
        let (_storage, store) = backend.fresh().await;
        // Row n has the timestamp 100 + n seconds after T0 (the others keep theirs), but row 5
        // has none where a chat may lack it.
        put_rows(
            &store,
            rows(5, |r| {
                let at = T0.after(Span::secs(100 + r.id.0 as i64));
                let none = r.id.0 == 5 && !matches!(column, TimeColumn::Created | TimeColumn::Updated);
                set_time(r, column, if none { None } else { Some(at) });
            }),
        )
        .await;
        let at = |s: i64| Some(T0.after(Span::secs(100 + s)));
        let q = |from, to| ChatQuery { times: vec![TimeRange { column, from, to }], ..ChatQuery::default() };
        let has_five = matches!(column, TimeColumn::Created | TimeColumn::Updated);
        assert_eq!(listed(&store, q(at(2), at(3))).await, vec![2, 3], "{name}");
        assert_eq!(listed(&store, q(None, at(1))).await, vec![1], "{name}");
        let from_four = listed(&store, q(at(4), None)).await;
        assert_eq!(
            from_four,
            if has_five { vec![4, 5] } else { vec![4] },
            "{name}: a chat without it is outside"
        );
        assert_eq!(listed(&store, q(at(3), at(2))).await, Vec::<u64>::new(), "{name}");
    }
}

pub(crate) async fn ranges_on_two_timestamps_both_hold<B: Backend>(backend: &B) {
    let (_storage, store) = backend.fresh().await;
    // Created n seconds after T0; finished 10 - n seconds after T0 + 100 s.
    put_rows(&store, rows(6, |r| r.metrics.finished_at = Some(T0.after(Span::secs(110 - r.id.0 as i64)))))
        .await;
    let q = ChatQuery {
        times: vec![
            TimeRange { column: TimeColumn::Created, from: Some(T0.after(Span::secs(2))), to: None },
            TimeRange { column: TimeColumn::Finished, from: Some(T0.after(Span::secs(105))), to: None },
        ],
        ..ChatQuery::default()
    };
    assert_eq!(listed(&store, q).await, vec![2, 3, 4, 5]);
}
