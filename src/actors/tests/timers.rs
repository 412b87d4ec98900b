//! Timers through the actors, on a manual clock (the default ten minutes pass when the test says
//! so, without sleeping): inactivity, voting, and held automated messages flushed when a chat
//! finishes.

use super::*;
use crate::domain::{AutomatedKind, Phase, Status};

fn finish(chat: ChatId, status: Status) -> Command {
    Command::Finish { by: op("alice"), chat, status, operator_rating: None, request_vote: None }
}

/// Client c1 wrote, alice took the chat and replied.
async fn answered(rig: &Rig) -> ChatId {
    let (chat, _) = rig.client_says("c1", "hi").await;
    rig.run(&Rig::conv("c1"), Command::Take { by: op("alice"), chat }).await.unwrap();
    rig.operator_says("alice", "c1", "hello").await;
    chat
}

#[actix::test]
async fn an_inactive_chat_is_finished_pending_when_the_operator_wrote_last() {
    let rig = Rig::start_manual(settings()).await;
    let mut client = rig.client("c1");
    let chat = answered(&rig).await;
    rig.advance(599.0);
    assert!(
        client.quiet(|n| matches!(n, ClientNotice::ChatFinished { .. }), Duration::from_millis(50)).await
    );
    rig.advance(1.0);
    client.wait(|n| matches!(n, ClientNotice::ChatFinished { chat: c } if *c == chat)).await;
    let view = rig.chat(chat).await;
    assert_eq!((view.phase, view.status), (Phase::Finished, Status::Pending));
}

#[actix::test]
async fn an_inactive_chat_is_finished_open_when_the_client_wrote_last() {
    let rig = Rig::start_manual(settings()).await;
    let mut client = rig.client("c1");
    let chat = answered(&rig).await;
    rig.client_says("c1", "one more thing").await;
    rig.advance(600.0);
    client.wait(|n| matches!(n, ClientNotice::ChatFinished { .. })).await;
    let view = rig.chat(chat).await;
    assert_eq!((view.phase, view.status), (Phase::Finished, Status::Open));
}

#[actix::test]
async fn without_a_vote_the_voting_timer_finishes_the_chat() {
    let rig = Rig::start_manual(settings()).await;
    let mut client = rig.client("c1");
    let chat = answered(&rig).await;
    rig.run(&Rig::conv("c1"), finish(chat, Status::Closed)).await.unwrap();
    client.wait(|n| matches!(n, ClientNotice::VoteRequest { .. })).await;
    assert_eq!(rig.chat(chat).await.phase, Phase::Closing);
    rig.advance(600.0);
    client.wait(|n| matches!(n, ClientNotice::ChatFinished { .. })).await;
    let view = rig.chat(chat).await;
    assert_eq!((view.phase, view.status, view.client_rating), (Phase::Finished, Status::Closed, None));
}

#[actix::test]
async fn a_vote_is_thanked_and_recorded() {
    let rig = Rig::start(settings()).await;
    let mut client = rig.client("c1");
    let chat = answered(&rig).await;
    rig.run(&Rig::conv("c1"), finish(chat, Status::Closed)).await.unwrap();
    rig.run(&Rig::conv("c1"), Command::Vote { chat, score: 2 }).await.unwrap();
    client.wait(|n| matches!(n, ClientNotice::VoteThanks { .. })).await;
    assert_eq!(rig.chat(chat).await.client_rating, Some(2));
}

#[actix::test]
async fn a_held_campaign_message_is_delivered_when_the_chat_finishes_and_a_bot_message_is_dropped() {
    let rig = Rig::start(settings()).await;
    let mut client = rig.client("c1");
    let chat = answered(&rig).await;
    let conv = Rig::conv("c1");
    let held = rig
        .run(&conv, Command::Automated { kind: AutomatedKind::Campaign, text: "sale!".into() })
        .await
        .unwrap();
    assert_eq!(held, Reply::Automated(crate::domain::AutomatedOutcome::Queued));
    let dropped =
        rig.run(&conv, Command::Automated { kind: AutomatedKind::Bot, text: "tip".into() }).await.unwrap();
    assert_eq!(dropped, Reply::Automated(crate::domain::AutomatedOutcome::Dropped));
    let is_text =
        |t: &'static str| move |n: &ClientNotice| matches!(n, ClientNotice::Message(m) if m.text == t);
    assert!(client.quiet(is_text("sale!"), Duration::from_millis(100)).await);
    rig.run(&conv, finish(chat, Status::Open)).await.unwrap();
    client.wait(is_text("sale!")).await;
    assert!(client.quiet(is_text("tip"), Duration::from_millis(100)).await);
}

#[actix::test]
async fn every_socket_of_the_client_hears_the_thanks_and_its_messages() {
    // Which socket sent a message is the session's business (its echo filter): the node tells
    // every socket of the conversation.
    let rig = Rig::start(settings()).await;
    let mut client = rig.client("c1");
    let chat = answered(&rig).await;
    rig.run(&Rig::conv("c1"), finish(chat, Status::Closed)).await.unwrap();
    rig.run(&Rig::conv("c1"), Command::Vote { chat, score: 3 }).await.unwrap();
    client.wait(|n| matches!(n, ClientNotice::VoteThanks { .. })).await;
    let text = Command::ClientMessage { text: "bye".into(), client_msg_id: None, name: None, page_url: None };
    let (_, seq) = stored(rig.run(&Rig::conv("c1"), text).await.unwrap());
    client.wait(|n| matches!(n, ClientNotice::Message(m) if m.text == "bye" && m.seq == seq)).await;
}
