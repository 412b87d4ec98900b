//! SPEC 4 capacity: holds, reservations of takes and accepts in both arrival orders, forced
//! assignments, a burst of a thousand chats, and oldest-first when capacity frees.

use super::*;

/// One broadcast line `l1`; ann (capacity 2) and bob (capacity 1) online; chat 1 waiting.
fn broadcast_with_chat() -> Bench {
    let mut b =
        Bench::new(settings(&[("l1", Strategy::Broadcast)], &[("ann", &["l1"], 2), ("bob", &["l1"], 1)]));
    b.connect_all(&["ann", "bob"]);
    b.client(1, "l1");
    b
}

#[test]
fn a_take_reserves_a_unit_that_becomes_the_responsible_hold_when_the_assignment_follows_resolved() {
    let mut b = broadcast_with_chat();
    b.take("ann", 1).unwrap();
    assert_eq!((b.held("ann"), b.d.load(&op("ann"))), (1, 0));
    b.resolved("ann", 1, true);
    assert_eq!(b.held("ann"), 1);
    b.assigned(1, "ann", AssignVia::Take);
    assert_eq!((b.held("ann"), b.d.load(&op("ann"))), (1, 1));
    b.finished(1);
    assert_eq!(b.held("ann"), 0);
    assert_eq!(b.d.known_chats(), 0, "a finished chat is forgotten");
}

#[test]
fn a_take_reservation_converts_when_the_assignment_arrives_before_resolved() {
    let mut b = broadcast_with_chat();
    b.take("ann", 1).unwrap();
    b.assigned(1, "ann", AssignVia::Take);
    assert_eq!((b.held("ann"), b.d.load(&op("ann"))), (1, 1));
    b.resolved("ann", 1, true);
    assert_eq!(b.held("ann"), 1);
    b.finished(1);
    assert_eq!(b.held("ann"), 0);
}

#[test]
fn resolved_true_never_leaks_a_reservation_when_no_assignment_will_follow() {
    // Already responsible when the take came: nothing is reserved at all.
    let mut b = broadcast_with_chat();
    b.assigned(1, "ann", AssignVia::Rule);
    b.take("ann", 1).unwrap();
    b.resolved("ann", 1, true);
    assert_eq!(b.held("ann"), 1);
    b.finished(1);
    assert_eq!(b.held("ann"), 0);

    // The take was reserved, then the conversation made ann responsible another way first and
    // answered the take with "already yours".
    let mut b = broadcast_with_chat();
    b.take("ann", 1).unwrap();
    b.assigned(1, "ann", AssignVia::Wrote);
    b.resolved("ann", 1, true);
    b.finished(1);
    assert_eq!(b.held("ann"), 0);

    // The chat finished (and was forgotten) before the verdict arrived.
    let mut b = broadcast_with_chat();
    b.take("ann", 1).unwrap();
    b.finished(1);
    assert_eq!(b.held("ann"), 1, "still pending: the verdict decides");
    b.resolved("ann", 1, true);
    assert_eq!(b.held("ann"), 0);
}

#[test]
fn a_take_of_a_chat_one_already_holds_keeps_its_unit_if_the_chat_moves_away_before_the_verdict() {
    let mut b =
        Bench::new(settings(&[("l1", Strategy::RoundRobin)], &[("ann", &["l1"], 1), ("bob", &["l1"], 1)]));
    b.connect("ann");
    b.client(1, "l1");
    b.assigned(1, "ann", AssignVia::Wrote);
    b.take("ann", 1).unwrap();
    assert_eq!(b.held("ann"), 1, "the same chat is not counted twice");
    b.routing(waiting(1, "l1", None));
    assert_eq!(b.held("ann"), 1, "the take may still land: its unit stays");
    assert!(b.offered().is_empty(), "and nobody is offered the chat meanwhile");
    b.client(2, "l1");
    assert!(b.offered().is_empty(), "ann has no room for another chat");
    b.resolved("ann", 1, true);
    b.assigned(1, "ann", AssignVia::Take);
    assert_eq!(b.held("ann"), 1);
}

#[test]
fn the_assignment_of_a_take_arriving_before_its_verdict_keeps_one_unit_until_the_verdict() {
    let mut b = broadcast_with_chat();
    b.take("bob", 1).unwrap();
    b.assigned(1, "bob", AssignVia::Take);
    b.routing(waiting(1, "l1", None));
    assert_eq!(b.held("bob"), 1, "moved away, but the verdict has not come: still reserved");
    b.resolved("bob", 1, true);
    assert_eq!(b.held("bob"), 1, "a yes keeps it until the routing arrives");
    b.assigned(1, "bob", AssignVia::Take);
    assert_eq!(b.held("bob"), 1);
    b.finished(1);
    assert_eq!(b.held("bob"), 0);
}

#[test]
fn two_tabs_taking_the_same_chat_share_one_reservation_until_both_verdicts() {
    let mut b = broadcast_with_chat();
    b.take("ann", 1).unwrap();
    b.take("ann", 1).unwrap();
    assert_eq!(b.held("ann"), 1);
    b.resolved("ann", 1, false);
    assert_eq!(b.held("ann"), 1, "the other take is still waiting");
    b.resolved("ann", 1, true);
    assert_eq!(b.held("ann"), 1);
    b.assigned(1, "ann", AssignVia::Take);
    assert_eq!(b.held("ann"), 1);
    b.finished(1);
    assert_eq!(b.held("ann"), 0);
}

#[test]
fn a_refused_take_releases_the_reservation() {
    let mut b = broadcast_with_chat();
    b.take("ann", 1).unwrap();
    b.take("bob", 1).unwrap();
    assert_eq!((b.held("ann"), b.held("bob")), (1, 1));
    b.resolved("ann", 1, true);
    b.resolved("bob", 1, false);
    assert_eq!((b.held("ann"), b.held("bob")), (1, 0));
    b.assigned(1, "ann", AssignVia::Take);
    assert_eq!((b.held("ann"), b.held("bob")), (1, 0));
}

#[test]
fn a_take_at_capacity_is_refused_with_over_capacity_and_changes_nothing() {
    let mut b = broadcast_with_chat();
    b.assigned(9, "bob", AssignVia::Rule);
    assert_eq!(b.take("bob", 1), Err(RouteError::OverCapacity));
    assert_eq!(b.held("bob"), 1);
    // Offers and reservations count too.
    b.take("ann", 1).unwrap();
    b.client(2, "l1");
    b.take("ann", 2).unwrap();
    b.client(3, "l1");
    assert_eq!(b.take("ann", 3), Err(RouteError::OverCapacity));
    assert_eq!(b.take("ghost", 3), Err(RouteError::OverCapacity), "an unknown operator has no capacity");
}

#[test]
fn a_take_of_a_chat_offered_to_someone_else_withdraws_the_offer_once_confirmed() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect_all(&["ann", "bob"]);
    b.client(1, "l1");
    assert_eq!(b.offer_of(1).as_deref(), Some("ann"));
    b.take("bob", 1).unwrap();
    assert_eq!(b.offer_of(1).as_deref(), Some("ann"), "not before the conversation confirms");
    b.resolved("bob", 1, true);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Taken)]);
    assert!(b.offered().is_empty(), "a confirmed take pauses routing");
    b.assigned(1, "bob", AssignVia::Take);
    assert_eq!(
        b.last,
        vec![
            Effect::ChatRemoved {
                operators: ops(&["ann"]),
                chat: ChatId(1),
                reason: Removal::Taken,
                by: Cause::operator(&op("bob")),
            },
            Effect::Watchers { chat: ChatId(1), operators: vec![] },
        ]
    );
    assert_eq!((b.held("ann"), b.held("bob")), (0, 1));
}

#[test]
fn a_take_of_a_chat_offered_to_oneself_answers_the_offer() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect("ann");
    b.client(1, "l1");
    b.take("ann", 1).unwrap();
    assert_eq!(b.held("ann"), 1);
    assert!(b.d.offers_to(&op("ann")).is_empty());
    assert_eq!(b.d.next_wakeup(), None);
}

#[test]
fn a_forced_assignment_over_capacity_is_counted_and_blocks_offers_until_it_drops() {
    let mut b = Bench::new(settings(&[("l1", Strategy::RoundRobin)], &[("ann", &["l1"], 1)]));
    b.connect("ann");
    b.assigned(90, "ann", AssignVia::Rule);
    b.assigned(91, "ann", AssignVia::Forward);
    assert_eq!(b.held("ann"), 2);
    assert!(!b.d.can_receive(&op("ann")));
    b.client(1, "l1");
    assert!(b.offered().is_empty());
    b.finished(90);
    assert!(b.offered().is_empty(), "held 1 of 1: still full");
    b.finished(91);
    assert_eq!(b.offered(), pairs(&[("ann", 1)]));
}

#[test]
fn moving_responsibility_frees_the_previous_operator() {
    let mut b = broadcast_with_chat();
    b.assigned(1, "ann", AssignVia::Take);
    b.assigned(1, "bob", AssignVia::Forward);
    assert_eq!((b.held("ann"), b.held("bob")), (0, 1));
    assert_eq!((b.d.load(&op("ann")), b.d.load(&op("bob"))), (0, 1));
}

#[test]
fn a_burst_of_a_thousand_chats_never_puts_anyone_over_capacity_and_drains_oldest_first() {
    let caps = [("ann", 2), ("bob", 3), ("cat", 4), ("dan", 5)];
    for strategy in [Strategy::RoundRobin, Strategy::LeastLoaded, Strategy::LongestIdle] {
        let operators: Vec<(&str, &[&str], u32)> = caps.iter().map(|(o, c)| (*o, &["l1"][..], *c)).collect();
        let mut b = Bench::new(settings(&[("l1", strategy)], &operators));
        b.audit_every = 97;
        let names: Vec<&str> = caps.iter().map(|(o, _)| *o).collect();
        b.connect_all(&names);
        let check = |b: &Bench| {
            for (o, c) in caps {
                assert!(b.held(o) <= c, "{o} holds {} > {c}", b.held(o));
            }
        };
        for chat in 1..=1000u64 {
            b.at(chat as i64);
            b.client(chat, "l1");
            check(&b);
        }
        let open: usize = names.iter().map(|o| b.d.offers_to(&op(o)).len()).sum();
        assert_eq!(open, 14, "{strategy:?}: exactly the sum of capacities is offered");
        assert_eq!(b.d.line_stats(&line("l1"), b.now).waiting, 1000);

        let mut done = 0;
        while done < 1000 {
            b.at(1000 + done as i64);
            let offers: Vec<(&str, ChatId)> = names
                .iter()
                .flat_map(|o| b.d.offers_to(&op(o)).into_iter().map(move |(c, _)| (*o, c)))
                .collect();
            assert!(!offers.is_empty(), "{strategy:?}: chats left but nothing offered");
            for (o, c) in &offers {
                b.accept(o, c.0).unwrap();
                check(&b);
                b.resolved(o, c.0, true);
                b.assigned(c.0, o, AssignVia::Accept);
                check(&b);
            }
            for (_, c) in offers {
                b.finished(c.0);
                check(&b);
                done += 1;
            }
        }
        let offered: Vec<u64> = b
            .all
            .iter()
            .filter_map(|e| match e {
                Effect::Offer { chat, .. } => Some(chat.0),
                _ => None,
            })
            .collect();
        assert_eq!(offered, (1..=1000).collect::<Vec<_>>(), "{strategy:?}: offered oldest first, once each");
        assert_eq!(b.d.known_chats(), 0);
        assert!(names.iter().all(|o| b.held(o) == 0));
        b.d.audit().unwrap();
    }
}

#[test]
fn when_capacity_frees_the_oldest_waiting_chat_is_offered_first() {
    let mut b = Bench::new(settings(&[("l1", Strategy::LeastLoaded)], &[("ann", &["l1"], 1)]));
    b.connect("ann");
    for chat in 1..=4 {
        b.at(chat * 1000).client(chat as u64, "l1");
    }
    b.accept("ann", 1).unwrap();
    b.resolved("ann", 1, true);
    b.assigned(1, "ann", AssignVia::Accept);
    b.at(10_000).finished(1);
    assert_eq!(b.offered(), pairs(&[("ann", 2)]));
    b.decline("ann", 2).unwrap();
    assert_eq!(b.offered(), pairs(&[("ann", 3)]), "a declined offer frees the unit for the next oldest");
}

#[test]
fn an_operator_coming_online_gets_the_oldest_waiting_chat_of_all_their_lines() {
    let s = settings(
        &[("l1", Strategy::RoundRobin), ("l2", Strategy::LongestIdle)],
        &[("ann", &["l1", "l2"], 1), ("bob", &["l1"], 1)],
    );
    let mut b = Bench::new(s);
    b.at(1_000).client(1, "l1");
    b.at(2_000).client(2, "l2");
    // Restored at start-up: waiting since before the others.
    b.at(3_000).routing(waiting(3, "l1", Some(at(500))));
    b.at(4_000).client(4, "l2");
    b.connect("ann");
    assert_eq!(b.offered(), pairs(&[("ann", 3)]));
    b.connect("bob");
    assert_eq!(b.offered(), pairs(&[("bob", 1)]));
    b.decline("ann", 3).unwrap();
    assert_eq!(b.offered(), pairs(&[("ann", 2)]), "chat 1 is offered to bob, so chat 2 is the oldest left");
}
