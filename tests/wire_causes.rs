//! Why a chat changed, over the wire against the real binary (PROTOCOL 5 `by`): a rule that
//! finishes a chat is named in the operator's `chat_removed`, timers name themselves, a forward
//! names the supervisor who did it, a withdrawn offer names its taker or says it expired; the My
//! tab hears the client's vote (`client_voted`); and a client never sees an operator's
//! `client_msg_id`.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

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

/// The client writes and `who` (the only line-1 operator online) accepts the offer.
async fn accepted(server: &TestServer, who: &str, client_id: &str) -> (Ws, Ws, u64) {
    let mut op = agent(server, who).await;
    let mut c = client(server, client_id).await;
    acked(&c.request(json!({"type": "send", "text": "hello", "client_msg_id": "c1"})).await);
    let id = chat_of(&op.wait_type("offer").await);
    acked(&op.request(json!({"type": "accept", "chat": id})).await);
    op.wait(|f| f["type"] == "chat_assigned" && f["chat"]["id"] == id).await;
    (c, op, id)
}

fn removed(id: u64) -> impl Fn(&Value) -> bool {
    move |f| f["type"] == "chat_removed" && f["chat"] == id
}

#[actix_web::test]
async fn a_rule_that_finishes_a_chat_is_named_in_the_operators_chat_removed() {
    let rule = "name = \"line 2 hands back to line 1\"\non = \"changed\"\n\
                when = { author = \"operator\", responsible_line = \"line2\", status_before = [\"open\", \"pending\"] }\n\
                then = [ { finish = \"pending\" }, { assign_line = \"line1\" }, { stop = true } ]";
    let server = TestServer::start(&config_with(|t| push(t, "rules", rule)));
    // sam (supervisor, lines 1 and 2) is the only operator online: the chat is offered to him.
    let (mut c, mut sam, id) = accepted(&server, "sam", "c1").await;
    acked(&sam.request(json!({"type": "send", "chat": id, "text": "hi"})).await);
    let answered = sam.wait(|f| f["type"] == "chat_updated" && f["chat"]["status"] == "open").await;
    assert_eq!(answered["by"], json!({"kind": "operator", "id": "sam"}), "{answered}");

    // His second answer (status before: open) sets the rule off.
    acked(&sam.request(json!({"type": "send", "chat": id, "text": "anything else?"})).await);
    let gone = sam.wait(removed(id)).await;
    assert_eq!(gone["reason"], "finished", "{gone}");
    assert_eq!(gone["by"], json!({"kind": "rule", "rule": "line 2 hands back to line 1"}), "{gone}");
    c.wait(|f| f["type"] == "chat_finished" && f["chat"] == id).await;
}

#[actix_web::test]
async fn the_inactivity_timer_is_named_when_it_finishes_a_chat() {
    let server = TestServer::start(&config_with(|t| set(t, "timeouts.inactivity", 0.5.into())));
    let (_c, mut alice, id) = accepted(&server, "alice", "c1").await;
    let gone = alice.wait(removed(id)).await;
    assert_eq!(
        (&gone["reason"], &gone["by"]),
        (&json!("finished"), &json!({"kind": "timer", "timer": "inactivity"}))
    );
}

#[actix_web::test]
async fn a_forward_by_a_supervisor_names_the_supervisor() {
    let server = TestServer::start(&base_config());
    let (_c, mut alice, id) = accepted(&server, "alice", "c1").await;
    let mut bob = agent(&server, "bob").await;
    let mut sam = agent(&server, "sam").await;
    acked(&sam.request(json!({"type": "forward", "chat": id, "to_operator": "bob"})).await);
    let sam_by = json!({"kind": "operator", "id": "sam"});
    let gone = alice.wait(removed(id)).await;
    assert_eq!((&gone["reason"], &gone["by"]), (&json!("reassigned"), &sam_by), "{gone}");
    let got = bob.wait(|f| f["type"] == "chat_assigned" && f["chat"]["id"] == id).await;
    assert_eq!(got["by"], sam_by, "{got}");
}

#[actix_web::test]
async fn an_offer_taken_by_someone_else_names_the_taker() {
    let server = TestServer::start(&base_config());
    let mut alice = agent(&server, "alice").await;
    let mut c = client(&server, "c1").await;
    acked(&c.request(json!({"type": "send", "text": "hello"})).await);
    let id = chat_of(&alice.wait_type("offer").await);
    // bob comes online later: the chat is in his New tab, and he takes it.
    let mut bob = agent(&server, "bob").await;
    acked(&bob.request(json!({"type": "take", "chat": id})).await);
    let withdrawn = alice.wait(|f| f["type"] == "offer_withdrawn" && f["chat"] == id).await;
    assert_eq!(withdrawn["reason"], "taken", "{withdrawn}");
    assert_eq!(withdrawn["by"], json!({"kind": "operator", "id": "bob"}), "{withdrawn}");
}

#[actix_web::test]
async fn an_offer_nobody_answered_says_it_expired() {
    let server = TestServer::start(&config_with(|t| set(t, "timeouts.offer", 0.3.into())));
    let mut alice = agent(&server, "alice").await;
    let mut c = client(&server, "c1").await;
    acked(&c.request(json!({"type": "send", "text": "hello"})).await);
    let id = chat_of(&alice.wait_type("offer").await);
    let withdrawn = alice.wait(|f| f["type"] == "offer_withdrawn" && f["chat"] == id).await;
    assert_eq!(withdrawn["reason"], "timeout", "{withdrawn}");
    assert_eq!(withdrawn["by"], json!({"kind": "timer", "timer": "offer"}), "{withdrawn}");
}

#[actix_web::test]
async fn the_operator_hears_the_clients_vote_before_the_chat_leaves_the_my_tab() {
    let server = TestServer::start(&base_config());
    let (mut c, mut alice, id) = accepted(&server, "alice", "c1").await;
    acked(&alice.request(json!({"type": "finish", "chat": id, "status": "closed"})).await);
    let update = alice.wait(|f| f["type"] == "chat_updated" && f["chat"]["phase"] == "closing").await;
    assert_eq!(update["by"], json!({"kind": "operator", "id": "alice"}), "{update}");
    c.wait_type("vote_request").await;
    acked(&c.request(json!({"type": "vote", "chat": id, "score": 3})).await);
    let voted = alice.wait_type("client_voted").await;
    assert_eq!(voted, json!({"type": "client_voted", "chat": id, "score": 3, "label": "Excellent"}));
    let gone = alice.wait(removed(id)).await;
    assert_eq!((&gone["reason"], &gone["by"]), (&json!("finished"), &json!({"kind": "client"})));
}

#[actix_web::test]
async fn a_client_never_sees_an_operators_client_msg_id() {
    let server = TestServer::start(&base_config());
    let (mut c, mut alice, id) = accepted(&server, "alice", "c1").await;
    let mut alice_tab = agent(&server, "alice").await;
    let key = "agent-0f9e8d7c-1";
    acked(
        &alice.request(json!({"type": "send", "chat": id, "text": "hi there", "client_msg_id": key})).await,
    );

    // Live, in the welcome of a new tab, and in the history: never the operator's key.
    let live = c.wait(|f| f["type"] == "message" && f["message"]["text"] == "hi there").await;
    assert!(live["message"].get("client_msg_id").is_none(), "{live}");
    let again = client(&server, "c1").await;
    let listed = again.welcome["messages"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{}", again.welcome);
    assert!(!again.welcome.to_string().contains(key), "{}", again.welcome);
    assert_eq!(listed[0]["client_msg_id"], "c1", "the client's own key stays");
    let history = acked(&c.request(json!({"type": "history"})).await).clone();
    assert!(!history.to_string().contains(key), "{history}");

    // The operator's own other socket and the HTTP API keep it.
    let echo = alice_tab.wait(|f| f["type"] == "message" && f["message"]["text"] == "hi there").await;
    assert_eq!(echo["message"]["client_msg_id"], key, "{echo}");
    let (_, messages) = get(&server, &format!("/api/v1/chats/{id}/messages"), &server.token_for("sam")).await;
    assert_eq!(messages["items"][1]["client_msg_id"], key, "{messages}");
}
