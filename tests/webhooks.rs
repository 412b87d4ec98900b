//! Outbound webhooks attacked end to end, against the real binary: a receiver that redirects
//! (307 keeps the POST body, 303 turns it into a GET) must not get the delivery sent anywhere
//! else; a receiver that always fails must not hold a conversation back forever (its delivery is
//! parked, listed for supervisors, counted, and re-queued on demand); and a pending delivery must
//! follow the configuration, never the URL stored with it, across a restart.
//!
//! Receivers are tiny actix-web servers on 127.0.0.1:0, each in its own thread, that record every
//! request (any method, any path) and answer as the test says. Deliveries are bot messages sent
//! by the supervisor (a conversation without a chat gets them at once).

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long a test waits for something the server does in the background.
const PATIENCE: Duration = Duration::from_secs(10);

/// The base setup with `web`'s `webhook_url` (none when `None`), an admin `root`, retries every
/// 50 ms (doubling) and `max_attempts`.
fn config(webhook_url: Option<&str>, max_attempts: i64) -> String {
    config_with(|t| {
        let channels = t.get_mut("channels").and_then(toml::Value::as_array_mut).unwrap();
        let web = channels
            .iter_mut()
            .filter_map(toml::Value::as_table_mut)
            .find(|c| c.get("id").and_then(toml::Value::as_str) == Some("web"))
            .unwrap();
        match webhook_url {
            Some(url) => web.insert("webhook_url".into(), url.into()),
            None => web.remove("webhook_url"),
        };
        push(t, "operators", "id = \"root\"\nlines = [\"line1\"]\ncapacity = 5\nrole = \"admin\"");
        set(t, "webhooks.retry_backoff", 0.05.into());
        set(t, "webhooks.max_attempts", max_attempts.into());
    })
}

/// A bot message to conversation `web:<client>` (no chat: it is stored and delivered at once).
async fn bot_says(server: &TestServer, client: &str, text: &str) {
    let path = format!("/api/v1/conversations/{}/automated", encode(&format!("web:{client}")));
    let (status, body) =
        post_json(server, &path, &token("sam", "supervisor"), &json!({"kind": "bot", "text": text})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"outcome": "delivered"})));
}

/// The parked deliveries as `sam` sees them, once there are at least `n`.
async fn wait_parked(server: &TestServer, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, page) = get(server, "/api/v1/webhooks/parked", &token("sam", "supervisor")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap().clone();
        if items.len() >= n {
            return items;
        }
        assert!(Instant::now() < deadline, "{n} parked deliveries expected; got {page}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The value of an unlabelled metric in `/metrics`.
async fn metric(server: &TestServer, name: &str) -> Option<f64> {
    let (_, text) = get_text(server, "/metrics", "").await;
    text.lines().find_map(|l| l.strip_prefix(&format!("{name} ")).and_then(|v| v.trim().parse().ok()))
}

/// Waits up to 5 s for the metric `name` to read `value` (a parked row is visible to readers a
/// moment before the deliverer, told it is durable, counts it).
async fn metric_reaches(server: &TestServer, name: &str, value: f64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while metric(server, name).await != Some(value) {
        assert!(std::time::Instant::now() < deadline, "{name} never reached {value}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// A receiver answering `status` with a `Location` on a second receiver: the second one gets
/// nothing (no body re-POSTed there, no GET made of it), the first is tried again and again, and
/// the message reaches it once it accepts.
async fn a_redirect_is_a_failed_attempt_and_is_never_followed(status: u16) {
    let target = Receiver::start(Answer::Accept);
    let hook = Receiver::start(Answer::Redirect(status, target.url.clone()));
    let server = TestServer::start(&config(Some(&hook.url), 50));

    bot_says(&server, "c1", "card ending 4242 refunded").await;
    // Until it was tried three times, or the redirect target was reached.
    let deadline = Instant::now() + PATIENCE;
    while hook.hits().len() < 3 && target.hits().is_empty() {
        assert!(Instant::now() < deadline, "not retried: {:?}", hook.hits());
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(target.hits().is_empty(), "{status}: the redirect target got {:?}", target.hits());
    let hits = hook.hits();
    assert!(hits.len() >= 3 && hits.iter().all(|h| h.method == "POST"), "{hits:?}");
    let failed = metric(&server, "frontline_webhook_attempts_total{result=\"failed\"}").await;
    assert!(failed.is_some_and(|n| n >= 3.0), "{failed:?}");
    assert_eq!(metric(&server, "frontline_webhook_parked_total").await, Some(0.0), "retried, not given up");

    hook.answer(Answer::Accept);
    let deadline = Instant::now() + PATIENCE;
    while metric(&server, "frontline_webhook_attempts_total{result=\"delivered\"}").await != Some(1.0) {
        assert!(Instant::now() < deadline, "never delivered: {:?}", hook.hits());
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(hook.texts().iter().all(|t| t == "card ending 4242 refunded"), "the same delivery each time");
    assert!(target.hits().is_empty(), "{status}: the redirect target got {:?}", target.hits());
    hook.stop().await;
    target.stop().await;
}

#[actix_web::test]
async fn a_307_is_retried_and_never_re_posts_the_body_to_its_location() {
    a_redirect_is_a_failed_attempt_and_is_never_followed(307).await;
}

#[actix_web::test]
async fn a_303_is_retried_and_never_turned_into_a_get_of_its_location() {
    a_redirect_is_a_failed_attempt_and_is_never_followed(303).await;
}

#[actix_web::test]
async fn a_delivery_that_keeps_failing_is_parked_listed_for_supervisors_and_re_queued_on_demand() {
    let hook = Receiver::start(Answer::Fail);
    let server = TestServer::start(&config(Some(&hook.url), 2));
    let (sam, root, alice) = (token("sam", "supervisor"), token("root", "admin"), token("alice", "operator"));

    bot_says(&server, "c1", "first").await;
    let items = wait_parked(&server, 1).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let parked = &items[0];
    let id = parked["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("web:c1/"), "{id}");
    assert_eq!(
        (&parked["conversation"], &parked["channel"], &parked["attempts"]),
        (&json!("web:c1"), &json!("web"), &json!(2))
    );
    assert_eq!(
        (&parked["payload"]["kind"], &parked["payload"]["text"]),
        (&json!("message"), &json!("first"))
    );
    assert_eq!(parked["reason"], "HTTP 500 Internal Server Error; gave up after 2 failed attempts");
    for key in ["created_at", "parked_at"] {
        let at = parked[key].as_str().unwrap_or_else(|| panic!("{key}: {parked}"));
        assert!(at.len() >= 20 && at.contains('T'), "{key} is RFC 3339: {at}");
    }
    let keys: Vec<&String> = parked.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 8, "{keys:?}");
    assert_eq!(hook.texts(), ["first", "first"], "tried twice, then left alone");
    metric_reaches(&server, "frontline_webhook_parked_total", 1.0).await;
    metric_reaches(&server, "frontline_webhook_parked", 1.0).await;

    // Only supervisors and admins see or re-queue parked deliveries; roles come before anything.
    let (status, page) = get(&server, "/api/v1/webhooks/parked", &root).await;
    assert_eq!((status, page["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    let retry = format!("/api/v1/webhooks/parked/{}/retry", encode(&id));
    let (status, body) = get(&server, "/api/v1/webhooks/parked?limit=nope", &alice).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{body}");
    let (status, body) = post_json(&server, &retry, &alice, &json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{body}");
    let (status, _) = get(&server, "/api/v1/webhooks/parked", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for bad in ["limit=0", "limit=501", "cursor=zz", "colour=red"] {
        let (status, body) = get(&server, &format!("/api/v1/webhooks/parked?{bad}"), &sam).await;
        assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "bad_request"), "{bad}: {body}");
    }

    // The receiver recovers: the conversation's next message is no longer held back by the first.
    hook.answer(Answer::Accept);
    bot_says(&server, "c1", "second").await;
    hook.wait_hits(3).await;
    assert_eq!(hook.texts(), ["first", "first", "second"]);

    let (status, body) =
        post_json(&server, "/api/v1/webhooks/parked/web:c1%2F999/retry", &sam, &json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"), "{body}");
    let (status, body) = post_json(&server, &retry, &root, &json!({})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"id": id, "status": "pending"})));
    hook.wait_hits(4).await;
    assert_eq!(
        hook.texts(),
        ["first", "first", "second", "first"],
        "re-queued, it arrives after the later one"
    );
    let (_, page) = get(&server, "/api/v1/webhooks/parked", &sam).await;
    assert_eq!(page, json!({"items": [], "next_cursor": null}));
    let (status, body) = post_json(&server, &retry, &sam, &json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"), "no longer parked: {body}");
    assert_eq!(metric(&server, "frontline_webhook_parked").await, Some(0.0));
    assert_eq!(metric(&server, "frontline_webhook_parked_total").await, Some(1.0));
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(hook.hits().len(), 4, "delivered once, nothing more");
    hook.stop().await;
}

#[actix_web::test]
async fn parked_deliveries_are_paged_oldest_first() {
    let hook = Receiver::start(Answer::Fail);
    let server = TestServer::start(&config(Some(&hook.url), 1));
    for (n, client) in ["c1", "c2", "c3"].into_iter().enumerate() {
        bot_says(&server, client, client).await;
        wait_parked(&server, n + 1).await;
    }
    let sam = token("sam", "supervisor");
    let (_, first) = get(&server, "/api/v1/webhooks/parked?limit=2", &sam).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) =
        get(&server, &format!("/api/v1/webhooks/parked?limit=2&cursor={}", encode(cursor)), &sam).await;
    assert_eq!(second["next_cursor"], Value::Null);
    let conversations: Vec<&Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|i| &i["conversation"])
        .collect();
    assert_eq!(conversations, [&json!("web:c1"), &json!("web:c2"), &json!("web:c3")]);
    hook.stop().await;
}

#[actix_web::test]
async fn a_pending_delivery_is_parked_not_posted_to_the_old_url_once_its_channel_has_no_webhook_url() {
    let old = Receiver::start(Answer::Fail);
    let mut server = TestServer::start(&config(Some(&old.url), 50));
    bot_says(&server, "c1", "pending at the restart").await;
    old.wait_hits(1).await;

    server.reconfigure(&config(None, 50));
    server.restart();
    old.answer(Answer::Accept); // it would take the delivery now, if it were still sent there
    let tried = old.hits().len();
    let items = wait_parked(&server, 1).await;
    assert_eq!(items[0]["reason"], "channel web has no webhook_url");
    assert_eq!(items[0]["payload"]["text"], "pending at the restart");
    actix_web::rt::time::sleep(Duration::from_millis(600)).await; // three polls
    assert_eq!(old.hits().len(), tried, "nothing went to the old URL after the restart");
    metric_reaches(&server, "frontline_webhook_parked_total", 1.0).await;

    // An admin points the channel somewhere and re-queues it: it goes there (the raw id works too).
    let new = Receiver::start(Answer::Accept);
    server.reconfigure(&config(Some(&new.url), 50));
    server.restart();
    assert_eq!(
        metric(&server, "frontline_webhook_parked").await,
        Some(1.0),
        "the gauge comes from the store"
    );
    let id = items[0]["id"].as_str().unwrap();
    let (status, _) = post_json(
        &server,
        &format!("/api/v1/webhooks/parked/{id}/retry"),
        &token("sam", "supervisor"),
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    new.wait_hits(1).await;
    assert_eq!(new.texts(), ["pending at the restart"]);
    assert_eq!(old.hits().len(), tried);
    old.stop().await;
    new.stop().await;
}

#[actix_web::test]
async fn a_pending_delivery_goes_to_the_new_url_once_the_channels_webhook_url_changes() {
    let old = Receiver::start(Answer::Fail);
    let mut server = TestServer::start(&config(Some(&old.url), 50));
    bot_says(&server, "c1", "pending at the restart").await;
    old.wait_hits(1).await;

    let new = Receiver::start(Answer::Accept);
    server.reconfigure(&config(Some(&new.url), 50));
    server.restart();
    let tried = old.hits().len();
    new.wait_hits(1).await;
    assert_eq!(new.texts(), ["pending at the restart"]);
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(old.hits().len(), tried, "nothing more went to the old URL");
    assert_eq!(new.hits().len(), 1);
    let (_, page) = get(&server, "/api/v1/webhooks/parked", &token("sam", "supervisor")).await;
    assert_eq!(page["items"], json!([]));
    old.stop().await;
    new.stop().await;
}
