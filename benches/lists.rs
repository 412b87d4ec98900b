//! Dialog list and report benches over a large store (SPEC 7): the first page of the list under
//! typical filters, and a month's report per line and per operator. The store holds
//! `FRONTLINE_BENCH_CHATS` chats (default 1,000,000) spread over a year, one client message
//! each, ten chats per conversation; each filter admits a realistic share of them (see
//! [`chat`]). Only the store's read is timed (`Store::chats`, `Store::report`), not HTTP.
//!
//! Filling the store takes minutes, so it is built once and kept in
//! `target/bench-data/lists-<chats>` (or under `FRONTLINE_BENCH_DIR`); a store is reused
//! only when complete (a marker file is written last).
//!
//! `cargo bench --bench lists`

// A bench is a script: a broken step should abort it loudly.
#![allow(clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

use frontline::domain::{
    AuthorKind, AuthorView, ChatId, ChatView, ClientView, ConversationId, DetailedStatus, Direction,
    GeneralStatus, LineId, MessageView, MetricsView, OperatorId, Phase, Span, Status, Timestamp,
};
use frontline::store::{
    ChatQuery, Commit, DeadlineRow, ReportGroup, ReportQuery, SortColumn, SortKey, SqliteStore, Store,
    TimeColumn, TimeRange,
};

/// 2024-01-01T00:00:00Z: the first chat's creation.
const START: i64 = 1_704_067_200_000;
/// A year, over which the chats are spread evenly.
const YEAR_MS: i64 = 366 * 86_400_000;
/// Chats per conversation (one commit each while filling).
const PER_CONVERSATION: u64 = 10;

const LINES: [&str; 4] = ["line1", "line2", "line3", "line4"];
const CHANNELS: [&str; 3] = ["web", "mail", "tg"];
const REASONS: [&str; 10] =
    ["late", "broken", "wrong item", "refund", "price", "login", "payment", "address", "quality", "other"];
const COMMON: [&str; 12] =
    ["hello", "order", "please", "help", "my", "the", "is", "not", "thanks", "where", "when", "today"];
const TOPICS: [&str; 8] =
    ["refund", "parcel", "invoice", "password", "delivery", "discount", "warranty", "kettle"];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn chats_wanted() -> u64 {
    std::env::var("FRONTLINE_BENCH_CHATS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000)
}

fn created(id: u64, total: u64) -> Timestamp {
    Timestamp(START + (id as i64 - 1) * (YEAR_MS / total as i64))
}

/// Chat `id` of `total`: lines, channels and 50 operators evenly; a quarter active, a tenth
/// spam; 20 % with a reason, 5 % with a participant, 2 % pinned, 10 % outgoing; a third rated.
/// Its one message: six common words, a topic word, and one word only about 100 chats share.
fn chat(id: u64, total: u64, rng: &mut Rng) -> (ChatView, String) {
    let at = created(id, total);
    let conversation = (id - 1) / PER_CONVERSATION;
    let client = format!("client-{conversation}");
    let channel = CHANNELS[(conversation % 3) as usize];
    let active = rng.below(4) == 0;
    let spam = !active && rng.below(10) == 0;
    let responsible = (rng.below(10) != 0).then(|| OperatorId::from(format!("op{}", rng.below(50)).as_str()));
    let answered = responsible.is_some() && rng.below(5) != 0;
    let wait = answered.then(|| rng.below(600) as f64 + 0.5);
    let reply = wait.map(|w| at.after(Span::millis((w * 1000.0) as i64)));
    let finished = (!active).then(|| at.after(Span::secs(900 + rng.below(3600) as i64)));
    let (phase, status, detailed, general) = if spam {
        (Phase::Finished, Status::Spam, DetailedStatus::Spam, GeneralStatus::Finished)
    } else if active {
        let answered_status = if answered { Status::Open } else { Status::New };
        let detailed = if answered { DetailedStatus::OperatorAnswered } else { DetailedStatus::New };
        let general = if answered { GeneralStatus::OperatorAnswered } else { GeneralStatus::ClientWaiting };
        (Phase::Active, answered_status, detailed, general)
    } else {
        (Phase::Finished, Status::Closed, DetailedStatus::Finished, GeneralStatus::Finished)
    };
    let last = finished.or(reply).unwrap_or(at);
    let mut words: Vec<&str> = (0..6).map(|_| COMMON[rng.below(COMMON.len() as u64) as usize]).collect();
    words.push(TOPICS[rng.below(TOPICS.len() as u64) as usize]);
    let rare = format!("code{}", rng.below(total / 100 + 1));
    let text = format!("{} {rare}", words.join(" "));
    let view = ChatView {
        id: ChatId(id),
        conversation: ConversationId::new(channel, client.as_str()),
        channel: channel.into(),
        line: LineId::from(LINES[(id % 4) as usize]),
        direction: if rng.below(10) == 0 { Direction::Outgoing } else { Direction::Incoming },
        client: ClientView { id: client.as_str().into(), name: Some(format!("Client {conversation}")) },
        participants: if rng.below(20) == 0 {
            vec![OperatorId::from(format!("op{}", rng.below(50)).as_str())]
        } else {
            Vec::new()
        },
        pinned: responsible.is_some() && rng.below(50) == 0,
        responsible,
        subject: (rng.below(5) == 0).then(|| format!("Question about {}", TOPICS[rng.below(8) as usize])),
        request_type: Some(["support", "refund"][rng.below(2) as usize].into()),
        reasons: if rng.below(5) == 0 { vec![REASONS[rng.below(10) as usize].into()] } else { Vec::new() },
        components: Vec::new(),
        page_url: None,
        phase,
        status,
        detailed_status: detailed,
        general_status: general,
        splittable: false,
        prev_chat: None,
        next_chat: None,
        merged_into: None,
        client_rating: (finished.is_some() && rng.below(3) == 0).then(|| 1 + rng.below(3) as u8),
        operator_rating: None,
        supervisor_rating: None,
        supervisor_comment: None,
        created_at: at,
        updated_at: last,
        metrics: MetricsView {
            created_at: at,
            queued_at: None,
            taken_at: reply,
            first_response_at: reply,
            last_message_at: Some(last),
            operator_closed_at: finished,
            finished_at: finished,
            updated_at: last,
            wait_first_response: wait,
            time_to_take: wait,
            time_to_operator_close: finished.map(|f| (f.millis() - at.millis()) as f64 / 1000.0),
            duration: Some((last.millis() - at.millis()) as f64 / 1000.0),
            first_message_response: wait,
            bot_time: None,
            total_response: wait,
            avg_response: wait,
            max_response: wait,
        },
    };
    (view, text)
}

/// The commit holding conversation `conversation`'s chats and messages.
fn commit(conversation: u64, total: u64, rng: &mut Rng) -> Commit {
    let first = conversation * PER_CONVERSATION + 1;
    let last = (first + PER_CONVERSATION - 1).min(total);
    let mut chats = Vec::new();
    let mut messages = Vec::new();
    for id in first..=last {
        let (view, text) = chat(id, total, rng);
        messages.push(MessageView {
            conversation: view.conversation.clone(),
            chat: Some(view.id),
            seq: id - first + 1,
            author: AuthorView { kind: AuthorKind::Client, id: view.client.id.to_string() },
            text,
            at: view.created_at,
            client_msg_id: None,
            private: false,
        });
        chats.push(view);
    }
    Commit {
        conversation: chats[0].conversation.clone(),
        position: 0,
        events: Vec::new(),
        messages,
        moves: Vec::new(),
        chats,
        deadline: DeadlineRow::Clear,
        outbox: Vec::new(),
        snapshot: None,
    }
}

fn data_dir(total: u64) -> PathBuf {
    let base = match std::env::var_os("FRONTLINE_BENCH_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-data"),
    };
    base.join(format!("lists-{total}"))
}

/// The store with `total` chats, filled now unless a complete one is there.
fn store(runtime: &tokio::runtime::Runtime, total: u64) -> Arc<dyn Store> {
    let dir = data_dir(total);
    let marker = dir.join("complete");
    if !marker.exists() {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("an incomplete bench store can be removed");
        }
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir).expect("the store opens"));
        let started = Instant::now();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let conversations = total.div_ceil(PER_CONVERSATION);
        runtime.block_on(async {
            for wave in (0..conversations).collect::<Vec<_>>().chunks(2_000) {
                let appends: Vec<_> =
                    wave.iter().map(|&c| store.append(commit(c, total, &mut rng))).collect();
                for append in appends {
                    append.await.expect("the bench data is stored");
                }
                if wave[0] % 20_000 == 0 {
                    eprintln!(
                        "filled {} of {total} chats in {:?}",
                        wave[0] * PER_CONVERSATION,
                        started.elapsed()
                    );
                }
            }
            store.flush().await.expect("flush");
        });
        eprintln!("filled {total} chats in {:?}", started.elapsed());
        drop(store);
        std::fs::write(&marker, b"").expect("the marker is written");
    }
    Arc::new(SqliteStore::open(&dir).expect("the bench store opens"))
}

fn month(total: u64) -> (Timestamp, Timestamp) {
    // March: the third month of the year the chats are spread over.
    let _ = total;
    (Timestamp(START + 60 * 86_400_000), Timestamp(START + 91 * 86_400_000 - 1))
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

/// The list queries measured, by name (first pages of 50).
fn queries(total: u64) -> Vec<(&'static str, ChatQuery)> {
    let (from, to) = month(total);
    let march = TimeRange { column: TimeColumn::Created, from: Some(from), to: Some(to) };
    let op = |s: &str| OperatorId::from(s);
    let q = |query: ChatQuery| ChatQuery { limit: 50, ..query };
    vec![
        ("no_filter", q(ChatQuery::default())),
        (
            "status_open_line2",
            q(ChatQuery {
                status: vec![Status::Open],
                line: vec![LineId::from("line2")],
                ..ChatQuery::default()
            }),
        ),
        (
            "responsible_op7_active",
            q(ChatQuery { responsible: vec![op("op7")], phase: vec![Phase::Active], ..ChatQuery::default() }),
        ),
        ("participant_op3", q(ChatQuery { participant: vec![op("op3")], ..ChatQuery::default() })),
        (
            "reasons_late_refund_type",
            q(ChatQuery {
                reasons: strings(&["late"]),
                request_type: strings(&["refund"]),
                ..ChatQuery::default()
            }),
        ),
        (
            "pinned_outgoing",
            q(ChatQuery { pinned: Some(true), direction: vec![Direction::Outgoing], ..ChatQuery::default() }),
        ),
        ("client_rating_1", q(ChatQuery { client_rating: vec![1], ..ChatQuery::default() })),
        ("client_id_exact", q(ChatQuery { client_id: Some("client-4242".into()), ..ChatQuery::default() })),
        (
            "client_name_substring",
            q(ChatQuery { client: Some("client 4242".into()), ..ChatQuery::default() }),
        ),
        (
            "march_channel_tg",
            q(ChatQuery { times: vec![march], channel: vec!["tg".into()], ..ChatQuery::default() }),
        ),
        (
            "finished_in_march",
            q(ChatQuery {
                times: vec![TimeRange { column: TimeColumn::Finished, from: Some(from), to: Some(to) }],
                ..ChatQuery::default()
            }),
        ),
        ("q_common_word", q(ChatQuery { words: strings(&["order"]), ..ChatQuery::default() })),
        ("q_rare_word", q(ChatQuery { words: strings(&["code4242"]), ..ChatQuery::default() })),
        (
            "q_two_words_line1",
            q(ChatQuery {
                words: strings(&["kettle", "thanks"]),
                line: vec![LineId::from("line1")],
                ..ChatQuery::default()
            }),
        ),
        (
            "march_sorted_by_wait",
            q(ChatQuery {
                times: vec![march],
                sort: SortKey { column: SortColumn::WaitFirstResponse, descending: true },
                ..ChatQuery::default()
            }),
        ),
    ]
}

fn lists(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let total = chats_wanted();
    let store = store(&runtime, total);
    let mut group = c.benchmark_group(format!("list_first_page_{total}"));
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for (name, query) in queries(total) {
        let page = runtime.block_on(store.chats(query.clone())).expect("the list answers");
        eprintln!("{name}: {} chats on the first page", page.items.len());
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(store.chats(query.clone())).expect("the list answers"));
        });
    }
    group.finish();

    let (from, to) = month(total);
    let mut group = c.benchmark_group(format!("report_month_{total}"));
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for (name, by) in [("line", ReportGroup::Line), ("operator", ReportGroup::Operator)] {
        let query = ReportQuery { group: by, from, to, sla: 60 };
        let rows = runtime.block_on(store.report(query)).expect("the report answers");
        eprintln!("report {name}: {} rows, {} chats", rows.len(), rows.iter().map(|r| r.chats).sum::<u64>());
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(store.report(query)).expect("the report answers"));
        });
    }
    group.finish();
}

criterion_group!(benches, lists);
criterion_main!(benches);
