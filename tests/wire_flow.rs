//! Whole conversations over the wire against the real binary (PROTOCOL 3, SPEC 2-3): the full
//! flow client → offer → accept → reply → finish → vote; reactivation and a chained chat; the four
//! seed-001 line-handback examples; split and merge; kill -9 and restart with every acknowledged
//! message intact; the inactivity auto-finish; health, readiness and metrics.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// One line-1 operator (alice), one line-2 operator (xena), a supervisor (sam).
fn single_line(edit: impl FnOnce(&mut toml::Table)) -> String {
    config_with(|t| {
        t.insert("operators".into(), toml::Value::Array(Vec::new()));
        push(
            t,
            "operators",
            "id = \"alice\"\nname = \"Alice\"\nlines = [\"line1\"]\ncapacity = 5\nrole = \"operator\"",
        );
        push(
            t,
            "operators",
            "id = \"xena\"\nname = \"Xena\"\nlines = [\"line2\"]\ncapacity = 5\nrole = \"operator\"",
        );
        push(t, "operators", "id = \"sam\"\nname = \"Sam\"\nlines = [\"line1\", \"line2\"]\ncapacity = 50\nrole = \"supervisor\"");
        edit(t);
    })
}

async fn chat(server: &TestServer, id: u64) -> Value {
    let (status, body) = get(server, &format!("/api/v1/chats/{id}"), &token("sam", "supervisor")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn acked(frame: &Value) -> &Value {
    assert_eq!(frame["type"], "ack", "{frame}");
    frame
}

fn chat_of(frame: &Value) -> u64 {
    match &frame["chat"] {
        Value::Object(c) => c["id"].as_u64().unwrap(),
        other => other.as_u64().unwrap(),
    }
}

/// The client writes, alice accepts the offer. Returns (client, alice, chat).
async fn open_chat(server: &TestServer, client_id: &str) -> (Ws, Ws, u64) {
    let mut alice = agent(server, "alice").await;
    let mut c = client(server, client_id).await;
    acked(&c.request(json!({"type": "send", "text": "hello", "client_msg_id": "c1"})).await);
    let id = chat_of(&alice.wait_type("offer").await);
    acked(&alice.request(json!({"type": "accept", "chat": id})).await);
    alice.wait(|f| f["type"] == "chat_assigned" && f["chat"]["id"] == id).await;
    (c, alice, id)
}

#[actix_web::test]
async fn the_full_flow_from_first_message_to_vote() {
    let server = TestServer::start(&single_line(|_| {}));
    let (mut c, mut alice, id) = open_chat(&server, "c1").await;
    assert_eq!(c.welcome["chat"], Value::Null, "no chat before the first message");
    let taken = chat(&server, id).await;
    assert_eq!(
        (&taken["status"], &taken["detailed_status"], &taken["responsible"]),
        (&json!("new"), &json!("in_work"), &json!("alice")),
        "accepted but not answered yet"
    );

    let ack = acked(&alice.request(json!({"type": "send", "chat": id, "text": "Hi! How can I help?"})).await)
        .clone();
    assert_eq!((ack["chat"].as_u64(), ack["seq"].as_u64()), (Some(id), Some(2)));
    let m = c.wait(|f| f["type"] == "message" && f["message"]["text"] == "Hi! How can I help?").await;
    assert_eq!(m["message"]["author"], json!({"kind": "operator", "id": "alice"}));
    let answered = chat(&server, id).await;
    assert_eq!(
        (&answered["status"], &answered["detailed_status"]),
        (&json!("open"), &json!("operator_answered")),
        "the first operator reply opens the chat"
    );

    acked(&c.request(json!({"type": "send", "text": "My order is late"})).await);
    alice.wait(|f| f["type"] == "message" && f["message"]["text"] == "My order is late").await;
    assert_eq!(chat(&server, id).await["detailed_status"], "client_waiting_new_question");

    acked(&alice.request(json!({"type": "send", "chat": id, "text": "It ships today."})).await);
    acked(
        &alice.request(json!({"type": "finish", "chat": id, "status": "closed", "operator_rating": 2})).await,
    );
    let request = c.wait_type("vote_request").await;
    assert_eq!(request["chat"], id);
    assert_eq!(
        request["options"],
        json!([{"score": 1, "label": "Bad"}, {"score": 2, "label": "Normal"}, {"score": 3, "label": "Excellent"}])
    );
    assert_eq!(chat(&server, id).await["phase"], "closing");

    acked(&c.request(json!({"type": "vote", "chat": id, "score": 3})).await);
    c.wait_type("vote_thanks").await;
    c.wait(|f| f["type"] == "chat_finished" && f["chat"] == id).await;
    alice.wait(|f| f["type"] == "chat_removed" && f["chat"] == id && f["reason"] == "finished").await;
    let view = chat(&server, id).await;
    assert_eq!(
        (&view["phase"], &view["status"], &view["client_rating"], &view["operator_rating"]),
        (&json!("finished"), &json!("closed"), &json!(3), &json!(2))
    );
    assert_eq!(view["metrics"]["total_response"].as_f64().map(|s| s >= 0.0), Some(true));
    // The client never sees statuses, responsibles or notes.
    assert!(
        c.frames.iter().all(|f| f.get("status").is_none() && f.get("responsible").is_none()),
        "{:?}",
        c.frames
    );
}

#[actix_web::test]
async fn reactivation_reuses_the_chat_and_a_message_after_closed_opens_a_chained_one() {
    let server = TestServer::start(&single_line(|_| {}));
    let (mut c, mut alice, id) = open_chat(&server, "c1").await;
    acked(&alice.request(json!({"type": "send", "chat": id, "text": "Please send a photo"})).await);
    acked(&alice.request(json!({"type": "finish", "chat": id, "status": "pending"})).await);

    let ack = acked(&c.request(json!({"type": "send", "text": "Here it is"})).await).clone();
    assert_eq!(ack["chat"], id, "the same chat comes back");
    let view = chat(&server, id).await;
    assert_eq!(
        (&view["phase"], &view["status"], &view["splittable"]),
        (&json!("active"), &json!("open"), &json!(true))
    );
    // Not pinned: it goes back through routing and is offered again.
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == id).await;
    acked(&alice.request(json!({"type": "accept", "chat": id})).await);
    acked(
        &alice
            .request(json!({"type": "finish", "chat": id, "status": "closed", "request_vote": false}))
            .await,
    );

    let ack = acked(&c.request(json!({"type": "send", "text": "Another question"})).await).clone();
    let next = ack["chat"].as_u64().unwrap();
    assert_ne!(next, id);
    assert_eq!(chat(&server, next).await["prev_chat"], id);
    assert_eq!(chat(&server, id).await["next_chat"], next);
    // An operator reads the previous chat from the new one.
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == next).await;
    acked(&alice.request(json!({"type": "accept", "chat": next})).await);
    let history = acked(&alice.request(json!({"type": "history", "chat": next})).await).clone();
    assert_eq!(history["prev_chat"], id);
    let old = acked(&alice.request(json!({"type": "history", "chat": id})).await).clone();
    let texts: Vec<_> = old["messages"].as_array().unwrap().iter().map(|m| m["text"].clone()).collect();
    assert_eq!(texts, vec![json!("hello"), json!("Please send a photo"), json!("Here it is")]);
}

/// Seed 001's rules in TOML (the same four as `deploy/frontline.toml`), line 1 broadcast so the
/// hand-back is visible as a New-tab entry.
fn with_handback_rules() -> String {
    single_line(|t| {
        set(t, "rating.enabled", false.into());
        push(
            t,
            "rules",
            "name = \"incoming chat written by line 2 goes to line 1\"\non = \"incoming\"\n\
             when = { author = \"operator\", author_line = \"line2\" }\nthen = [ { assign_line = \"line1\" }, { stop = true } ]",
        );
        push(
            t,
            "rules",
            "name = \"line 2 wrote into a finished chat\"\non = \"changed\"\n\
             when = { author = \"operator\", author_line = \"line2\", phase_before = \"finished\", status_before = [\"open\", \"pending\"] }\n\
             then = [ { finish = \"pending\" }, { assign_line = \"line1\" }, { stop = true } ]",
        );
        push(
            t,
            "rules",
            "name = \"line 2 became responsible of an active chat\"\non = \"changed\"\n\
             when = { author = \"operator\", responsible_line = \"line2\", phase_before = \"active\" }\n\
             then = [ { finish = \"pending\" }, { assign_line = \"line1\" }, { stop = true } ]",
        );
        push(
            t,
            "rules",
            "name = \"reactivated chats stay with their line 1 responsible\"\non = \"changed\"\n\
             when = { reactivated = true, author = \"client\", responsible_line = \"line1\" }\nthen = [ { pin = true } ]",
        );
    })
}

#[actix_web::test]
async fn seed_001_example_1_a_line_2_operator_writing_to_a_new_client_hands_the_chat_to_line_1() {
    // Reaching out to a web client who has not written yet needs a channel that proves its
    // clients by a signature: on one without, the client could not prove the conversation is
    // theirs (it has no token from an earlier welcome).
    let config = with_handback_rules().replace(
        "id = \"web\"\nkind = \"realtime\"\nline = \"line1\"",
        "id = \"web\"\nkind = \"realtime\"\nline = \"line1\"\nsecret = \"site-secret\"",
    );
    assert!(config.contains("site-secret"), "the test config names channel web as expected");
    let server = TestServer::start(&config);
    let mut alice = agent(&server, "alice").await;
    let mut xena = agent(&server, "xena").await;
    let ack = acked(
        &xena
            .request(
                json!({"type": "send", "conversation": "web:c9", "text": "We could not reach you by phone"}),
            )
            .await,
    )
    .clone();
    let id = ack["chat"].as_u64().unwrap();
    let view = chat(&server, id).await;
    assert_eq!(
        (&view["direction"], &view["responsible"], &view["line"]),
        (&json!("outgoing"), &Value::Null, &json!("line1"))
    );
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == id).await;
    let sig = frontline::auth::client_signature("site-secret", "c9");
    let mut c = client_query(&server, &format!("channel=web&client_id=c9&sig={sig}")).await;
    assert_eq!(c.welcome["chat"], id);
    acked(&c.request(json!({"type": "send", "text": "Here I am"})).await);
    alice.wait(|f| f["type"] == "message" && f["message"]["text"] == "Here I am").await;
}

#[actix_web::test]
async fn seed_001_example_2_a_line_2_operator_writing_into_a_finished_chat_hands_it_back_to_line_1() {
    let server = TestServer::start(&with_handback_rules());
    let (mut c, mut alice, id) = open_chat(&server, "c1").await;
    acked(&alice.request(json!({"type": "send", "chat": id, "text": "Let me ask an expert"})).await);
    acked(&alice.request(json!({"type": "finish", "chat": id, "status": "open"})).await);
    let mut xena = agent(&server, "xena").await;
    acked(
        &xena.request(json!({"type": "send", "conversation": "web:c1", "text": "The expert's answer"})).await,
    );
    let view = chat(&server, id).await;
    assert_eq!(
        (&view["phase"], &view["status"], &view["responsible"], &view["line"]),
        (&json!("finished"), &json!("pending"), &Value::Null, &json!("line1"))
    );
    c.wait(|f| f["type"] == "message" && f["message"]["text"] == "The expert's answer").await;
    acked(&c.request(json!({"type": "send", "text": "Thanks, one more thing"})).await);
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == id).await;
    assert!(
        xena.quiet(
            |f| f["type"] == "message" && f["message"]["text"] == "Thanks, one more thing",
            std::time::Duration::from_millis(200)
        )
        .await
    );
}

#[actix_web::test]
async fn seed_001_example_3_a_line_2_operator_answering_first_hands_the_chat_back_to_line_1() {
    let server = TestServer::start(&with_handback_rules());
    let mut c = client(&server, "c1").await;
    let id = acked(&c.request(json!({"type": "send", "text": "A hard technical question"})).await)["chat"]
        .as_u64()
        .unwrap();
    let mut xena = agent(&server, "xena").await;
    // An active line-1 chat is outside xena's scope, by its id or by its conversation (SPEC 8).
    let refused = xena.request(json!({"type": "send", "chat": id, "text": "Expert answer"})).await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let refused =
        xena.request(json!({"type": "send", "conversation": "web:c1", "text": "Expert answer"})).await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert_eq!(chat(&server, id).await["phase"], "active", "nothing changed");
    // Line 2 joins selectively: the supervisor invites the expert, who answers first.
    let mut sam = agent(&server, "sam").await;
    acked(&sam.request(json!({"type": "invite", "chat": id, "operator": "xena"})).await);
    acked(&xena.request(json!({"type": "send", "chat": id, "text": "Expert answer"})).await);
    let view = chat(&server, id).await;
    assert_eq!(
        (&view["phase"], &view["status"], &view["responsible"]),
        (&json!("finished"), &json!("pending"), &Value::Null)
    );
    let mut alice = agent(&server, "alice").await;
    acked(&c.request(json!({"type": "send", "text": "It worked, thanks"})).await);
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == id).await;
}

#[actix_web::test]
async fn seed_001_example_4_a_reactivated_chat_goes_straight_to_its_line_1_responsible() {
    let server = TestServer::start(&with_handback_rules());
    let (mut c, mut alice, id) = open_chat(&server, "c1").await;
    acked(&alice.request(json!({"type": "send", "chat": id, "text": "Waiting for your photo"})).await);
    acked(&alice.request(json!({"type": "finish", "chat": id, "status": "pending"})).await);
    alice.wait(|f| f["type"] == "chat_removed" && f["chat"] == id).await;
    acked(&c.request(json!({"type": "send", "text": "Photo attached"})).await);
    let assigned = alice.wait(|f| f["type"] == "chat_assigned" && f["chat"]["id"] == id).await;
    assert_eq!(
        (&assigned["chat"]["pinned"], &assigned["chat"]["responsible"]),
        (&json!(true), &json!("alice"))
    );
    assert!(
        alice
            .quiet(|f| f["type"] == "offer" && f["chat"]["id"] == id, std::time::Duration::from_millis(200))
            .await,
        "My tab, not an offer"
    );
}

#[actix_web::test]
async fn split_and_merge_over_the_wire() {
    let server = TestServer::start(&single_line(|t| set(t, "rating.enabled", false.into())));
    let (mut c, mut alice, id) = open_chat(&server, "c1").await;
    acked(&alice.request(json!({"type": "send", "chat": id, "text": "Done for now"})).await);
    acked(&alice.request(json!({"type": "finish", "chat": id, "status": "pending"})).await);
    acked(&c.request(json!({"type": "send", "text": "A different question"})).await);
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == id).await;
    acked(&alice.request(json!({"type": "accept", "chat": id})).await);
    let split = acked(&alice.request(json!({"type": "split", "chat": id})).await).clone();
    let new_id = split["new_chat"].as_u64().unwrap();
    let old = chat(&server, id).await;
    assert_eq!(
        (&old["phase"], &old["status"], &old["next_chat"]),
        (&json!("finished"), &json!("pending"), &json!(new_id))
    );
    let moved = acked(&alice.request(json!({"type": "history", "chat": new_id})).await).clone();
    assert_eq!(
        moved["messages"].as_array().unwrap().iter().map(|m| m["text"].clone()).collect::<Vec<_>>(),
        vec![json!("A different question")]
    );

    // Closed by mistake: the next message opens a chat that is merged back.
    acked(&alice.request(json!({"type": "finish", "chat": new_id, "status": "closed"})).await);
    let third = acked(&c.request(json!({"type": "send", "text": "Wait, it is not solved"})).await)["chat"]
        .as_u64()
        .unwrap();
    alice.wait(|f| f["type"] == "offer" && f["chat"]["id"] == third).await;
    acked(&alice.request(json!({"type": "accept", "chat": third})).await);
    let merged = acked(&alice.request(json!({"type": "merge_previous", "chat": third})).await).clone();
    assert_eq!(merged["into"], new_id);
    let view = chat(&server, new_id).await;
    assert_eq!((&view["phase"], &view["status"]), (&json!("active"), &json!("open")));
    assert_eq!(chat(&server, third).await["merged_into"], new_id);
    let (_, list) = get(&server, "/api/v1/chats", &token("sam", "supervisor")).await;
    assert!(
        list["items"].as_array().unwrap().iter().all(|c| c["id"] != third),
        "merged chats leave the lists"
    );
}

#[actix_web::test]
async fn after_kill_9_every_acknowledged_message_is_back_and_retries_stay_idempotent() {
    let mut server =
        TestServer::start_process(&single_line(|t| set(t, "limits.messages_per_second", 1000.into())));
    let (mut c, mut alice, id) = open_chat(&server, "c1").await;
    let mut acked_seqs = Vec::new();
    for i in 0..30 {
        let ack = acked(
            &c.request(json!({"type": "send", "text": format!("c{i}"), "client_msg_id": format!("k{i}")}))
                .await,
        )
        .clone();
        acked_seqs.push(ack["seq"].as_u64().unwrap());
        let ack = acked(&alice.request(json!({"type": "send", "chat": id, "text": format!("a{i}"), "client_msg_id": format!("k{i}")})).await).clone();
        acked_seqs.push(ack["seq"].as_u64().unwrap());
    }
    server.kill();
    server.restart();

    let (status, body) =
        get(&server, &format!("/api/v1/chats/{id}/messages?limit=500"), &token("sam", "supervisor")).await;
    assert_eq!(status, StatusCode::OK);
    let stored: Vec<u64> =
        body["items"].as_array().unwrap().iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    for seq in &acked_seqs {
        assert!(stored.contains(seq), "acknowledged seq {seq} lost after kill -9");
    }
    let mut c = client(&server, "c1").await;
    assert_eq!(c.welcome["chat"], id);
    let again = acked(&c.request(json!({"type": "send", "text": "c5", "client_msg_id": "k5"})).await).clone();
    assert_eq!(again["seq"].as_u64(), Some(acked_seqs[10]), "the first ack, nothing stored twice");
    let view = chat(&server, id).await;
    assert_eq!((&view["phase"], &view["responsible"]), (&json!("active"), &json!("alice")));
}

#[actix_web::test]
async fn health_readiness_and_metrics_answer_without_a_token() {
    let server = TestServer::start(&single_line(|_| {}));
    let (status, body) = get(&server, "/healthz", "").await;
    assert_eq!((status, &body["status"]), (StatusCode::OK, &json!("ok")));
    let (status, body) = get(&server, "/readyz", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, text) = get_text(&server, "/metrics", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("# TYPE frontline_conversations_active gauge"), "{text}");
}

#[actix_web::test]
async fn inactivity_finishes_a_chat_open_if_the_client_wrote_last_and_pending_if_the_operator_did() {
    // The default ten minutes, on a clock the test moves: no sleeping.
    let server = TestServer::start_with_manual_clock(&single_line(|_| {}));
    let (_c1, mut alice, operator_last) = open_chat(&server, "c1").await;
    acked(&alice.request(json!({"type": "send", "chat": operator_last, "text": "Anything else?"})).await);
    let (_c2, _alice2, client_last) = open_chat(&server, "c2").await;
    server.advance(599.0);
    assert!(
        alice.quiet(|f| f["type"] == "chat_removed", std::time::Duration::from_millis(100)).await,
        "not a second early"
    );
    assert_eq!(chat(&server, operator_last).await["phase"], "active");
    server.advance(1.0);
    alice.wait(|f| f["type"] == "chat_removed" && f["chat"] == operator_last).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (a, b) = (chat(&server, operator_last).await, chat(&server, client_last).await);
        if a["phase"] == "finished" && b["phase"] == "finished" {
            assert_eq!(a["status"], "pending", "the operator wrote last");
            assert_eq!(b["status"], "open", "the client wrote last");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not auto-finished: {a} {b}");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
