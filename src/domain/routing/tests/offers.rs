//! SPEC 4 offers: timeouts, declines, rounds, accept and the conversation's verdict.

use super::*;

/// ann, bob, cat online in a round-robin line, chat 1 waiting and offered to ann at T0.
fn offered_to_ann() -> Bench {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect_all(&["ann", "bob", "cat"]);
    b.client(1, "l1");
    assert_eq!(b.offered(), pairs(&[("ann", 1)]));
    b
}

#[test]
fn an_offer_expires_after_the_offer_timeout_and_goes_to_the_next_operator() {
    let mut b = offered_to_ann();
    assert_eq!(b.d.offers_to(&op("ann")), vec![(ChatId(1), at(OFFER))]);
    b.tick_at(OFFER - 1);
    assert!(b.last.is_empty(), "nothing is due yet: {:?}", b.last);
    b.tick_at(OFFER);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Timeout)]);
    assert_eq!(b.offered(), pairs(&[("bob", 1)]));
    assert_eq!(b.d.offers_to(&op("bob")), vec![(ChatId(1), at(2 * OFFER))]);
}

#[test]
fn nobody_is_offered_a_chat_twice_before_everyone_eligible_was_tried_and_a_new_round_follows_one_timeout_later(
) {
    let mut b = offered_to_ann();
    b.tick_at(OFFER);
    assert_eq!(b.offered(), pairs(&[("bob", 1)]));
    // A second chat arrives meanwhile: the round-robin pointer moves on, chat 1's round does not.
    b.at(OFFER + 5);
    b.client(2, "l1");
    assert_eq!(b.offered(), pairs(&[("cat", 2)]));
    b.tick_at(2 * OFFER);
    assert_eq!(b.offered(), pairs(&[("cat", 1)]), "cat has room for a second offer");
    b.tick_at(OFFER + 5 + OFFER);
    assert_eq!(b.withdrawn(), vec![("cat".into(), 2, Withdrawal::Timeout)]);
    assert_eq!(b.offered(), pairs(&[("ann", 2)]));
    b.tick_at(3 * OFFER);
    assert_eq!(b.withdrawn(), vec![("cat".into(), 1, Withdrawal::Timeout)]);
    assert!(b.offered().is_empty(), "everyone was tried: no offer until the new round");
    assert_eq!(b.d.next_wakeup(), Some(at(OFFER + 5 + 2 * OFFER)), "chat 2's offer to ann expires first");
    b.tick();
    b.tick_at(OFFER + 5 + 2 * OFFER);
    assert_eq!(b.offered(), pairs(&[("bob", 2)]), "chat 2 moves on; chat 1 still waits for its round");
    assert_eq!(b.d.next_wakeup(), Some(at(4 * OFFER)), "chat 1's new round");
    b.tick_at(4 * OFFER - 1);
    assert!(b.offered().is_empty());
    b.tick_at(4 * OFFER);
    assert_eq!(b.offered(), pairs(&[("cat", 1)]), "a new round, continuing round robin after bob");
}

#[test]
fn a_single_operator_is_offered_the_chat_again_only_in_the_next_round() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect("ann");
    b.client(1, "l1");
    b.decline("ann", 1).unwrap();
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Declined)]);
    assert!(b.offered().is_empty());
    assert_eq!(b.d.next_wakeup(), Some(at(OFFER)));
    b.client(2, "l1");
    assert_eq!(b.offered(), pairs(&[("ann", 2)]), "a younger chat ann was not tried for is offered");
    b.tick_at(OFFER);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 2, Withdrawal::Timeout)]);
    assert_eq!(b.offered(), pairs(&[("ann", 1)]), "the new round of the older chat comes first");
    assert_eq!(b.d.next_wakeup(), Some(at(2 * OFFER)), "chat 2's own new round");
}

#[test]
fn a_new_operator_coming_online_during_the_round_wait_gets_the_offer_at_once() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect("ann");
    b.client(1, "l1");
    b.at(1_000).decline("ann", 1).unwrap();
    assert!(b.offered().is_empty());
    b.at(2_000).connect("bob");
    assert_eq!(b.offered(), pairs(&[("bob", 1)]));
}

#[test]
fn decline_offers_the_chat_to_the_next_operator() {
    let mut b = offered_to_ann();
    b.at(1_000);
    let effects = b.decline("ann", 1).unwrap();
    assert_eq!(
        effects,
        vec![
            Effect::OfferWithdrawn {
                operator: op("ann"),
                chat: ChatId(1),
                reason: Withdrawal::Declined,
                by: Cause::operator(&op("ann")),
            },
            Effect::Offer { operator: op("bob"), chat: ChatId(1), expires_at: at(1_000 + OFFER) },
        ]
    );
    b.decline("bob", 1).unwrap();
    assert_eq!(b.offered(), pairs(&[("cat", 1)]));
    b.decline("cat", 1).unwrap();
    assert!(b.offered().is_empty());
}

#[test]
fn accept_turns_the_offer_into_a_reservation_without_changing_held() {
    let mut b = offered_to_ann();
    assert_eq!(b.held("ann"), 1);
    b.at(1_000).accept("ann", 1).unwrap();
    assert_eq!(b.held("ann"), 1);
    assert!(b.d.offers_to(&op("ann")).is_empty());
    assert_eq!(b.d.next_wakeup(), None, "an accepted offer no longer times out");
    b.tick_at(OFFER * 3);
    assert!(b.last.is_empty());
    b.resolved("ann", 1, true);
    assert_eq!(b.held("ann"), 1);
    b.assigned(1, "ann", AssignVia::Accept);
    assert_eq!((b.held("ann"), b.d.load(&op("ann"))), (1, 1));
    assert!(b.d.queue_position(ChatId(1)).is_none());
}

#[test]
fn a_failed_accept_frees_the_unit_and_the_chat_goes_to_the_next_operator() {
    let mut b = offered_to_ann();
    b.accept("ann", 1).unwrap();
    b.resolved("ann", 1, false);
    assert_eq!(b.held("ann"), 0);
    assert_eq!(b.offered(), pairs(&[("bob", 1)]));
}

#[test]
fn accept_or_decline_without_an_open_offer_is_refused_and_changes_nothing() {
    let mut b = offered_to_ann();
    assert_eq!(b.accept("bob", 1), Err(RouteError::NoOffer));
    assert_eq!(b.decline("bob", 1), Err(RouteError::NoOffer));
    assert_eq!(b.accept("ann", 7), Err(RouteError::NoOffer));
    b.at(OFFER);
    assert_eq!(b.accept("ann", 1), Err(RouteError::NoOffer), "expired, even before the tick");
    assert_eq!(b.offer_of(1).as_deref(), Some("ann"));
    b.tick();
    assert_eq!(b.offered(), pairs(&[("bob", 1)]));
}

#[test]
fn a_chat_nobody_can_take_waits_without_offers_until_someone_comes_online() {
    let mut b = Bench::new(three(Strategy::LeastLoaded));
    b.client(1, "l1");
    assert!(b.offered().is_empty());
    assert_eq!(b.d.next_wakeup(), None);
    b.at(60_000).connect("cat");
    assert_eq!(b.offered(), pairs(&[("cat", 1)]));
}

#[test]
fn a_chat_assigned_while_offered_withdraws_the_offer_as_taken() {
    let mut b = offered_to_ann();
    b.assigned(1, "bob", AssignVia::Forward);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Taken)]);
    assert_eq!((b.held("ann"), b.held("bob")), (0, 1));
}

#[test]
fn the_offered_operator_getting_the_chat_another_way_converts_the_offer() {
    let mut b = offered_to_ann();
    b.assigned(1, "ann", AssignVia::Wrote);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Taken)], "closes the offer on screen");
    assert_eq!(b.held("ann"), 1);
}

#[test]
fn a_chat_finished_while_offered_withdraws_the_offer_as_gone() {
    let mut b = offered_to_ann();
    b.finished(1);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Gone)]);
    assert_eq!(b.held("ann"), 0);
    assert_eq!(b.d.known_chats(), 0);
}
