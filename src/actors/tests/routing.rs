//! The supervisor with real conversations: strategies, offers and their timeout, capacity under a
//! burst, racing takes, presence grace, overflow, pinned reactivation, queue positions.

use std::collections::HashMap;

use futures_util::future::join_all;

use super::*;
use crate::domain::{DomainError, Operator, Role, Strategy};

fn line1(strategy: Strategy, f: impl FnOnce(&mut Settings)) -> Settings {
    settings_with(|s| {
        s.lines.get_mut(&line("line1")).unwrap().strategy = strategy;
        f(s);
    })
}

#[actix::test]
async fn round_robin_offers_new_chats_to_online_operators_in_turn() {
    let rig = Rig::start(line1(Strategy::RoundRobin, |_| {})).await;
    let mut alice = rig.operator("alice").await;
    let mut bob = rig.operator("bob").await;
    let (c1, _) = rig.client_says("c1", "hi").await;
    alice.wait(is_offer(c1)).await;
    let (c2, _) = rig.client_says("c2", "hi").await;
    bob.wait(is_offer(c2)).await;
    let (c3, _) = rig.client_says("c3", "hi").await;
    alice.wait(is_offer(c3)).await;
}

#[actix::test]
async fn least_loaded_offers_to_the_operator_with_the_fewest_chats() {
    let rig = Rig::start(line1(Strategy::LeastLoaded, |_| {})).await;
    let mut alice = rig.operator("alice").await;
    for client in ["c1", "c2"] {
        let (chat, _) = rig.client_says(client, "hi").await;
        alice.wait(is_offer(chat)).await;
        rig.take("alice", client, chat, true).await.unwrap();
    }
    let mut bob = rig.operator("bob").await;
    let (c3, _) = rig.client_says("c3", "hi").await;
    bob.wait(is_offer(c3)).await;
    assert!(alice.quiet(is_offer(c3), Duration::from_millis(100)).await);
}

#[actix::test]
async fn longest_idle_offers_to_the_operator_idle_the_longest() {
    let rig = Rig::start(line1(Strategy::LongestIdle, |_| {})).await;
    let mut alice = rig.operator("alice").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut bob = rig.operator("bob").await;
    let (c1, _) = rig.client_says("c1", "hi").await;
    alice.wait(is_offer(c1)).await;
    rig.take("alice", "c1", c1, true).await.unwrap();
    let (c2, _) = rig.client_says("c2", "hi").await;
    bob.wait(is_offer(c2)).await;
}

#[actix::test]
async fn broadcast_shows_the_chat_to_every_online_member_and_the_first_take_wins() {
    let rig = Rig::start(line1(Strategy::Broadcast, |_| {})).await;
    let mut alice = rig.operator("alice").await;
    let mut bob = rig.operator("bob").await;
    let (chat, _) = rig.client_says("c1", "hi").await;
    alice.wait(is_new(chat)).await;
    bob.wait(is_new(chat)).await;
    rig.take("bob", "c1", chat, false).await.unwrap();
    bob.wait(is_assigned(chat)).await;
    alice.wait(is_removed(chat)).await;
    let err = rig.take("alice", "c1", chat, false).await.unwrap_err();
    assert!(matches!(err, CommandError::Domain(DomainError::AlreadyTaken { .. })), "{err:?}");
    assert_eq!(rig.chat(chat).await.responsible, Some(op("bob")));
}

#[actix::test]
async fn an_offer_that_times_out_goes_to_the_next_operator() {
    // The default 30-second offer timeout.
    let rig = Rig::start_manual(line1(Strategy::RoundRobin, |_| {})).await;
    let mut alice = rig.operator("alice").await;
    let mut bob = rig.operator("bob").await;
    let (chat, _) = rig.client_says("c1", "hi").await;
    alice.wait(is_offer(chat)).await;
    rig.advance(29.9);
    assert!(alice.quiet(is_withdrawn(chat), Duration::from_millis(50)).await, "withdrawn too early");
    rig.advance(0.1);
    alice.wait(is_withdrawn(chat)).await;
    bob.wait(is_offer(chat)).await;
}

#[actix::test]
async fn a_declined_offer_goes_to_the_next_operator_at_once() {
    let rig = Rig::start(line1(Strategy::RoundRobin, |_| {})).await;
    let mut alice = rig.operator("alice").await;
    let mut bob = rig.operator("bob").await;
    let (chat, _) = rig.client_says("c1", "hi").await;
    alice.wait(is_offer(chat)).await;
    rig.node.decline(op("alice"), chat).await.unwrap();
    bob.wait(is_offer(chat)).await;
}

#[actix::test]
async fn a_burst_of_1000_new_chats_never_puts_anyone_over_capacity() {
    let rig = Rig::start(line1(Strategy::RoundRobin, |s| {
        s.operators.get_mut(&op("alice")).unwrap().capacity = 2;
        s.operators.get_mut(&op("bob")).unwrap().capacity = 3;
    }))
    .await;
    // Both operators accept every offer they get, as fast as they can.
    let mut accepting = Vec::new();
    for name in ["alice", "bob"] {
        let mut socket = rig.operator(name).await;
        let node = rig.node.clone();
        accepting.push(actix::spawn(async move {
            loop {
                let n = socket.wait(any_offer).await;
                let OperatorNotice::Offer { chat, .. } = n else { continue };
                let _ = node.accept(op(name), chat.id).await;
            }
        }));
    }
    let sends = (0..1000).map(|i| {
        let node = &rig.node;
        async move {
            let cmd =
                Command::ClientMessage { text: "hi".into(), client_msg_id: None, name: None, page_url: None };
            node.execute(&Rig::conv(&format!("burst{i}")), cmd).await.unwrap()
        }
    });
    join_all(sends).await;
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let ops = rig.node.operators().await.unwrap();
        let load: HashMap<_, _> = ops.iter().map(|o| (o.operator.to_string(), o.active_chats)).collect();
        assert!(load["alice"] <= 2 && load["bob"] <= 3, "over capacity: {load:?}");
        if load["alice"] == 2 && load["bob"] == 3 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "chats were not assigned: {load:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let lines = rig.node.lines().await.unwrap();
    assert_eq!(lines[0].stats.waiting, 995, "everything else waits in the queue");
    for task in accepting {
        task.abort();
    }
}

#[actix::test]
async fn concurrent_takes_of_one_chat_have_exactly_one_winner_100_times() {
    let operators: Vec<String> = (0..5).map(|i| format!("op{i}")).collect();
    let rig = Rig::start(line1(Strategy::Broadcast, |s| {
        for id in &operators {
            let o = Operator {
                id: op(id),
                name: id.clone(),
                lines: vec![line("line1")],
                capacity: 500,
                role: Role::Operator,
            };
            s.operators.insert(o.id.clone(), o);
        }
    }))
    .await;
    let mut sockets = Vec::new();
    for id in &operators {
        sockets.push(rig.operator(id).await);
    }
    for round in 0..100 {
        let client = format!("race{round}");
        let (chat, _) = rig.client_says(&client, "who takes me?").await;
        let takes = operators.iter().map(|id| rig.take(id, &client, chat, false));
        let results = join_all(takes).await;
        let winners: Vec<_> =
            results.iter().zip(&operators).filter(|(r, _)| r.is_ok()).map(|(_, o)| o.clone()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        for r in results.iter().filter(|r| r.is_err()) {
            let err = r.as_ref().unwrap_err();
            assert!(
                matches!(err, CommandError::Domain(DomainError::AlreadyTaken { .. })),
                "round {round}: {err:?}"
            );
        }
        assert_eq!(rig.chat(chat).await.responsible, Some(op(&winners[0])));
    }
}

#[actix::test]
async fn an_operator_whose_socket_dropped_stays_online_for_the_grace_then_offers_move_on() {
    // The default 30-second grace and a longer offer timeout, so only the grace can move it.
    let rig = Rig::start_manual(line1(Strategy::RoundRobin, |s| s.timeouts.offer = secs(120.0))).await;
    let alice = rig.operator("alice").await;
    let mut bob = rig.operator("bob").await;
    rig.disconnect("alice", alice).await;
    // Still online within the grace: the first chat is offered to her (a reconnect would see it).
    let (chat, _) = rig.client_says("c1", "hi").await;
    let tab = rig.node.new_tab(op("alice"), None, 100).await.unwrap();
    assert_eq!(tab.offers.iter().map(|o| o.chat.id).collect::<Vec<_>>(), vec![chat]);
    rig.advance(29.9);
    assert!(
        bob.quiet(is_offer(chat), Duration::from_millis(50)).await,
        "offered to bob during alice's grace"
    );
    rig.advance(0.1);
    bob.wait(is_offer(chat)).await;
    let ops = rig.node.operators().await.unwrap();
    let alice = ops.iter().find(|o| o.operator == op("alice")).unwrap();
    assert_eq!(alice.presence, crate::domain::routing::Presence::Offline);
}

#[actix::test]
async fn a_reconnect_within_the_grace_loses_nothing() {
    // The default 30-second grace and a longer offer timeout, so only the grace could end it.
    let rig = Rig::start_manual(line1(Strategy::RoundRobin, |s| s.timeouts.offer = secs(120.0))).await;
    let alice = rig.operator("alice").await;
    rig.disconnect("alice", alice).await;
    let (chat, _) = rig.client_says("c1", "hi").await;
    rig.advance(29.0);
    let mut alice = rig.operator("alice").await;
    rig.advance(60.0); // well past the grace that started when she dropped
    assert!(
        alice.quiet(is_withdrawn(chat), Duration::from_millis(50)).await,
        "the offer did not survive the reconnect"
    );
    let tab = rig.node.new_tab(op("alice"), None, 100).await.unwrap();
    assert_eq!(tab.offers.iter().map(|o| o.chat.id).collect::<Vec<_>>(), vec![chat]);
}

#[actix::test]
async fn a_chat_waiting_past_overflow_after_is_offered_to_the_overflow_line() {
    let rig = Rig::start_manual(line1(Strategy::RoundRobin, |s| {
        let l = s.lines.get_mut(&line("line1")).unwrap();
        l.overflow_after = Some(secs(90.0));
        l.overflow_to = Some(line("line2"));
    }))
    .await;
    let mut xena = rig.operator("xena").await; // line 2 only; nobody of line 1 is online
    let (chat, _) = rig.client_says("c1", "hi").await;
    rig.advance(89.9);
    assert!(xena.quiet(is_offer(chat), Duration::from_millis(50)).await, "offered before overflow_after");
    rig.advance(0.1);
    xena.wait(is_offer(chat)).await;
}

#[actix::test]
async fn a_pinned_chat_reactivated_by_its_client_goes_straight_to_its_responsibles_my_tab() {
    let rig = Rig::start(line1(Strategy::RoundRobin, |_| {})).await;
    let mut alice = rig.operator("alice").await;
    let (chat, _) = rig.client_says("c1", "hi").await;
    alice.wait(is_offer(chat)).await;
    rig.take("alice", "c1", chat, true).await.unwrap();
    rig.operator_says("alice", "c1", "hello").await;
    let conv = Rig::conv("c1");
    let pin = Command::UpdateChat { by: op("alice"), chat, fields: Default::default(), pinned: Some(true) };
    rig.run(&conv, pin).await.unwrap();
    let fin = Command::Finish {
        by: op("alice"),
        chat,
        status: crate::domain::Status::Pending,
        operator_rating: None,
        request_vote: None,
    };
    rig.run(&conv, fin).await.unwrap();
    alice.wait(is_removed(chat)).await;
    let mut bob = rig.operator("bob").await;
    rig.client_says("c1", "here is the photo").await;
    alice.wait(is_assigned(chat)).await;
    assert!(
        bob.quiet(
            |n| matches!(n, OperatorNotice::ChatNew(_) | OperatorNotice::Offer { .. }),
            Duration::from_millis(150)
        )
        .await
    );
    assert_eq!(rig.chat(chat).await.responsible, Some(op("alice")));
}

#[actix::test]
async fn waiting_clients_are_told_their_queue_position_whenever_it_changes() {
    let rig = Rig::start(line1(Strategy::Broadcast, |_| {})).await;
    let mut second = rig.client("c2");
    let (c1, _) = rig.client_says("c1", "first").await;
    rig.client_says("c2", "second").await;
    second.wait(|n| matches!(n, ClientNotice::Queue { position: 2 })).await;
    rig.operator("alice").await;
    rig.take("alice", "c1", c1, false).await.unwrap();
    second.wait(|n| matches!(n, ClientNotice::Queue { position: 1 })).await;
}

#[actix::test]
async fn when_an_operator_comes_online_the_oldest_waiting_chat_is_offered_first() {
    let rig =
        Rig::start(line1(Strategy::RoundRobin, |s| s.operators.get_mut(&op("alice")).unwrap().capacity = 1))
            .await;
    let (old, _) = rig.client_says("c1", "first").await;
    rig.client_says("c2", "second").await;
    let mut alice = rig.operator("alice").await;
    let first = alice.wait(any_offer).await;
    assert_eq!(offered_chat(&first), old);
}
