//! Webhook delivery through a real node: a tiny HTTP receiver on 127.0.0.1:0 records every POST
//! and can be told to answer 500 to the next N. Poll and back-off are tens of milliseconds.
//! Redirects and the HTTP side of parking are tested end to end (`tests/webhooks.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

use super::durability::in_a_node_that_crashes;
use super::*;
use crate::domain::{ChannelId, Status, Timestamp};

/// What the receiver saw.
#[derive(Default)]
struct Seen {
    /// Every POST body, with whether it was accepted, in arrival order.
    posts: Mutex<Vec<(Value, bool)>>,
    /// The next this many POSTs are answered 500.
    fail_next: AtomicUsize,
    /// The `Idempotency-Key` header of every POST, in arrival order.
    keys: Mutex<Vec<String>>,
    /// The next this many POSTs are answered only after a second.
    stall_next: AtomicUsize,
}

impl Seen {
    fn posts(&self) -> Vec<(Value, bool)> {
        self.posts.lock().unwrap().clone()
    }

    fn accepted(&self) -> Vec<Value> {
        self.posts().into_iter().filter(|(_, ok)| *ok).map(|(body, _)| body).collect()
    }
}

/// A local webhook receiver.
struct Receiver {
    url: String,
    seen: Arc<Seen>,
    server: actix_web::dev::ServerHandle,
}

fn take_one(counter: &AtomicUsize) -> bool {
    counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}

async fn hook(req: actix_web::HttpRequest, seen: web::Data<Seen>, body: web::Json<Value>) -> HttpResponse {
    let key = req.headers().get("Idempotency-Key").and_then(|v| v.to_str().ok()).unwrap_or_default();
    seen.keys.lock().unwrap().push(key.to_string());
    let fail = take_one(&seen.fail_next);
    seen.posts.lock().unwrap().push((body.into_inner(), !fail));
    if take_one(&seen.stall_next) {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    if fail {
        HttpResponse::InternalServerError().finish()
    } else {
        HttpResponse::NoContent().finish()
    }
}

impl Receiver {
    /// A receiver answering 500 to its first `failing` POSTs. It runs in its own thread and actix
    /// system, so it keeps answering while a test blocks its own thread (the crash helper).
    fn start(failing: usize) -> Receiver {
        let seen = web::Data::new(Seen::default());
        seen.fail_next.store(failing, Ordering::SeqCst);
        let data = seen.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new().app_data(data.clone()).route("/hook", web::post().to(hook))
                })
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .unwrap();
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, server.handle())).unwrap();
                server.await.unwrap();
            })
        });
        let (addr, server) = rx.recv().unwrap();
        Receiver { url: format!("http://{addr}/hook"), seen: seen.into_inner(), server }
    }

    /// Waits until `n` POSTs were accepted; returns the accepted bodies.
    async fn wait_accepted(&self, n: usize) -> Vec<Value> {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let accepted = self.seen.accepted();
            if accepted.len() >= n {
                return accepted;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{n} deliveries expected; saw {:?}",
                self.seen.posts()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until `n` POSTs arrived, accepted or not.
    async fn wait_posts(&self, n: usize) {
        let deadline = std::time::Instant::now() + PATIENCE;
        while self.seen.posts().len() < n {
            assert!(std::time::Instant::now() < deadline, "{n} POSTs expected; saw {:?}", self.seen.posts());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn stop(self) {
        self.server.stop(false).await;
    }
}

/// The standard settings with `web`'s webhook at `url`.
fn hooked(url: &str) -> Settings {
    settings_with(|s| {
        if let Some(web) = s.channels.get_mut(&ChannelId::from("web")) {
            web.webhook_url = Some(url.to_string());
        }
    })
}

/// Client `client` wrote and alice took the chat.
async fn taken(rig: &Rig, client: &str) -> ChatId {
    let (chat, _) = rig.client_says(client, "hello").await;
    rig.run(&Rig::conv(client), Command::Take { by: op("alice"), chat }).await.unwrap();
    chat
}

async fn outbox_is_empty(rig: &Rig) -> bool {
    rig.store.due_outbound(Timestamp(i64::MAX), 10).await.unwrap().is_empty()
}

/// Waits until every delivery is marked done (the mark follows the receiver's answer).
async fn outbox_drains(rig: &Rig) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !outbox_is_empty(rig).await {
        assert!(std::time::Instant::now() < deadline, "deliveries still pending");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn attempts(rig: &Rig, result: &str) -> u64 {
    rig.node.metrics().webhook_attempts_total.with_label_values(&[result]).get()
}

fn seqs(bodies: &[Value]) -> Vec<u64> {
    bodies.iter().map(|b| b["seq"].as_u64().unwrap()).collect()
}

#[actix::test]
async fn an_operator_message_is_posted_once_with_the_protocol_fields() {
    let receiver = Receiver::start(0);
    let rig = Rig::start(hooked(&receiver.url)).await;
    let chat = taken(&rig, "c1").await;
    let (_, seq) = rig.operator_says("alice", "c1", "how can I help?").await;

    let accepted = receiver.wait_accepted(1).await;
    let body = &accepted[0];
    let at = body["at"].as_str().unwrap();
    assert!(Timestamp::parse_rfc3339(at).is_some(), "{at}");
    assert_eq!(
        *body,
        json!({"kind": "message", "conversation": "web:c1", "chat": chat.0, "seq": seq,
            "author": {"kind": "operator", "id": "alice"}, "text": "how can I help?", "at": at})
    );
    outbox_drains(&rig).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // ten polls
    assert_eq!(receiver.seen.posts().len(), 1, "once: the client's message and nothing else");
    assert_eq!((attempts(&rig, "delivered"), attempts(&rig, "failed")), (1, 0));
    receiver.stop().await;
}

#[actix::test]
async fn a_receiver_failing_twice_gets_the_message_three_times_and_then_nothing_more() {
    let receiver = Receiver::start(2);
    let rig = Rig::start(hooked(&receiver.url)).await;
    taken(&rig, "c1").await;
    let started = std::time::Instant::now();
    rig.operator_says("alice", "c1", "hello").await;

    receiver.wait_accepted(1).await;
    // Back-off 20 ms, then 40 ms (plus jitter): the retries wait at least that long.
    assert!(started.elapsed() >= Duration::from_millis(60), "{:?}", started.elapsed());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let posts = receiver.seen.posts();
    assert_eq!(posts.iter().map(|(_, ok)| *ok).collect::<Vec<_>>(), vec![false, false, true]);
    assert!(posts.iter().all(|(body, _)| *body == posts[0].0), "the same delivery each time");
    let keys = receiver.seen.keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 3);
    assert!(
        !keys[0].is_empty() && keys.iter().all(|k| *k == keys[0]),
        "one Idempotency-Key for every attempt: {keys:?}"
    );
    assert_eq!((attempts(&rig, "failed"), attempts(&rig, "delivered")), (2, 1));
    outbox_drains(&rig).await;
    receiver.stop().await;
}

#[actix::test]
async fn a_receiver_that_does_not_answer_in_time_is_a_failed_attempt_and_is_tried_again() {
    let receiver = Receiver::start(0);
    receiver.seen.stall_next.store(1, Ordering::SeqCst);
    let mut options = options();
    options.webhook_timeout = Duration::from_millis(200);
    let rig = Rig::start_in(hooked(&receiver.url), options, Arc::new(tempfile::tempdir().unwrap())).await;
    taken(&rig, "c1").await;
    rig.operator_says("alice", "c1", "are you there?").await;

    receiver.wait_posts(2).await;
    outbox_drains(&rig).await;
    let posts = receiver.seen.posts();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[0].0, posts[1].0);
    assert_eq!((attempts(&rig, "failed"), attempts(&rig, "delivered")), (1, 1));
    receiver.stop().await;
}

#[actix::test]
async fn each_conversation_keeps_its_order_under_retries_while_conversations_go_out_in_parallel() {
    let receiver = Receiver::start(4);
    let rig = Rig::start(hooked(&receiver.url)).await;
    let clients = ["c1", "c2", "c3", "c4", "c5"];
    for client in clients {
        taken(&rig, client).await;
    }
    let mut expected = Vec::new();
    for i in 0..4 {
        for client in clients {
            let (_, seq) = rig.operator_says("alice", client, &format!("{client} #{i}")).await;
            expected.push((client, seq));
        }
    }

    receiver.wait_accepted(expected.len()).await;
    let posts = receiver.seen.posts();
    for client in clients {
        let conversation = format!("web:{client}");
        let mine: Vec<&(Value, bool)> =
            posts.iter().filter(|(b, _)| b["conversation"] == conversation).collect();
        let attempted: Vec<Value> = mine.iter().map(|(b, _)| b.clone()).collect();
        let accepted: Vec<Value> = mine.iter().filter(|(_, ok)| *ok).map(|(b, _)| b.clone()).collect();
        let want: Vec<u64> = expected.iter().filter(|(c, _)| *c == client).map(|(_, s)| *s).collect();
        assert_eq!(seqs(&accepted), want, "{client}: accepted in seq order");
        let tried = seqs(&attempted);
        assert!(
            tried.windows(2).all(|w| w[0] <= w[1]),
            "{client}: never a later seq before an earlier one: {tried:?}"
        );
    }
    assert_eq!(attempts(&rig, "failed"), 4);
    outbox_drains(&rig).await;
    receiver.stop().await;
}

#[actix::test]
async fn a_finish_with_voting_posts_the_vote_request_and_a_vote_its_thanks() {
    let receiver = Receiver::start(0);
    let rig = Rig::start(hooked(&receiver.url)).await;
    let conv = Rig::conv("c1");
    let chat = taken(&rig, "c1").await;
    let finish = Command::Finish {
        by: op("alice"),
        chat,
        status: Status::Closed,
        operator_rating: None,
        request_vote: Some(true),
    };
    rig.run(&conv, finish).await.unwrap();
    let accepted = receiver.wait_accepted(1).await;
    assert_eq!(
        accepted[0],
        json!({"kind": "vote_request", "conversation": "web:c1", "chat": chat.0, "options": [
            {"score": 1, "label": "Bad"}, {"score": 2, "label": "Normal"}, {"score": 3, "label": "Excellent"}]})
    );
    rig.run(&conv, Command::Vote { chat, score: 3 }).await.unwrap();
    let accepted = receiver.wait_accepted(2).await;
    assert_eq!(
        accepted[1],
        json!({"kind": "vote_thanks", "conversation": "web:c1", "chat": chat.0,
            "text": "Thank you for your feedback!"})
    );
    receiver.stop().await;
}

#[actix::test]
async fn a_delivery_pending_at_a_crash_is_posted_after_the_restart() {
    let receiver = Receiver::start(usize::MAX); // down while the first node runs
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let settings = hooked(&receiver.url);
    let seen = receiver.seen.clone();
    let seq = in_a_node_that_crashes(settings.clone(), dir.clone(), Arc::new(SystemClock), move |rig| {
        Box::pin(async move {
            taken(&rig, "c1").await;
            let (_, seq) = rig.operator_says("alice", "c1", "before the crash").await;
            // The deliverer tried (and failed): the delivery is pending when the node dies.
            let deadline = std::time::Instant::now() + PATIENCE;
            while seen.posts().is_empty() {
                assert!(std::time::Instant::now() < deadline, "never attempted");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            seq
        })
    });
    let failed = receiver.seen.posts().len();
    receiver.seen.fail_next.store(0, Ordering::SeqCst);

    let rig = Rig::start_in(settings, options(), dir).await;
    receiver.wait_posts(failed + 1).await;
    let accepted = receiver.wait_accepted(1).await;
    assert_eq!(
        (accepted[0]["seq"].as_u64(), accepted[0]["text"].as_str()),
        (Some(seq), Some("before the crash"))
    );
    outbox_drains(&rig).await;
    receiver.stop().await;
}

#[actix::test]
async fn a_channel_without_a_webhook_writes_no_deliveries() {
    let rig = Rig::start(settings()).await;
    taken(&rig, "c1").await;
    rig.operator_says("alice", "c1", "hello").await;
    assert!(outbox_is_empty(&rig).await);
    assert_eq!(attempts(&rig, "delivered") + attempts(&rig, "failed"), 0);
}

async fn parked(rig: &Rig) -> Vec<crate::store::ParkedRow> {
    rig.store.parked_outbound(None, 100).await.unwrap().items
}

/// Waits until `n` deliveries are parked.
async fn wait_parked(rig: &Rig, n: usize) -> Vec<crate::store::ParkedRow> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let rows = parked(rig).await;
        if rows.len() >= n {
            return rows;
        }
        assert!(std::time::Instant::now() < deadline, "{n} parked deliveries expected; saw {rows:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[actix::test]
async fn a_delivery_failing_its_last_attempt_is_parked_and_no_longer_holds_back_the_next() {
    let receiver = Receiver::start(2);
    let mut options = options();
    options.webhook_max_attempts = 2;
    let rig = Rig::start_in(hooked(&receiver.url), options, Arc::new(tempfile::tempdir().unwrap())).await;
    taken(&rig, "c1").await;
    let (_, first) = rig.operator_says("alice", "c1", "one").await;

    let rows = wait_parked(&rig, 1).await;
    assert_eq!((rows[0].payload["seq"].as_u64(), rows[0].attempts), (Some(first), 2));
    assert_eq!(rows[0].reason, "HTTP 500 Internal Server Error; gave up after 2 failed attempts");
    // The deliverer counts a parked row right after writing it: wait for the count.
    let metrics = rig.node.metrics();
    let deadline = std::time::Instant::now() + PATIENCE;
    while (metrics.webhook_parked_total.get(), metrics.webhook_parked.get()) != (1, 1) {
        assert!(std::time::Instant::now() < deadline, "the parked row was never counted");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let (_, second) = rig.operator_says("alice", "c1", "two").await;
    let accepted = receiver.wait_accepted(1).await;
    assert_eq!(seqs(&accepted), vec![second], "the later message goes out: nothing holds it back");

    assert!(rig.store.requeue_parked(rows[0].id.clone(), crate::clock::SystemClock::now()).await.unwrap());
    rig.node.deliverer().unwrap().do_send(crate::webhook::OutboxWritten);
    let accepted = receiver.wait_accepted(2).await;
    assert_eq!(seqs(&accepted), vec![second, first], "re-queued, it arrives after the later one");
    outbox_drains(&rig).await;
    assert!(parked(&rig).await.is_empty());
    assert_eq!(receiver.seen.posts().len(), 4, "2 failed, then each once");
    receiver.stop().await;
}

#[actix::test]
async fn a_pending_delivery_whose_channel_lost_its_webhook_is_parked_without_being_sent() {
    let receiver = Receiver::start(usize::MAX);
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let seen = receiver.seen.clone();
    let seq = in_a_node_that_crashes(hooked(&receiver.url), dir.clone(), Arc::new(SystemClock), move |rig| {
        Box::pin(async move {
            taken(&rig, "c1").await;
            let (_, seq) = rig.operator_says("alice", "c1", "before the change").await;
            let deadline = std::time::Instant::now() + PATIENCE;
            while seen.posts().is_empty() {
                assert!(std::time::Instant::now() < deadline, "never attempted");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            seq
        })
    });
    let tried = receiver.seen.posts().len();
    receiver.seen.fail_next.store(0, Ordering::SeqCst);

    // The same data, `web` without a webhook now: the deliverer still starts (a row is pending).
    let rig = Rig::start_in(settings(), options(), dir).await;
    let rows = wait_parked(&rig, 1).await;
    assert_eq!(rows[0].payload["seq"].as_u64(), Some(seq));
    assert_eq!(rows[0].reason, "channel web has no webhook_url");
    assert!(outbox_is_empty(&rig).await);
    tokio::time::sleep(Duration::from_millis(200)).await; // ten polls
    assert_eq!(receiver.seen.posts().len(), tried, "nothing more went to the old URL");
    assert_eq!(rig.node.metrics().webhook_parked.get(), 1);
    receiver.stop().await;
}
