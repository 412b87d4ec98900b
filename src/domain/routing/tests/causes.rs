//! Who or what withdrew an offer or took a chat out of the New tab (`by`): the taker, the offer
//! timer, the operator declining or going away, the end of the presence grace, or the cause the
//! conversation reported with the chat's routing (a rule, a forward, a finish).

use super::*;

fn offered_to_ann() -> Bench {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect_all(&["ann", "bob"]);
    b.client(1, "l1");
    assert_eq!(b.offered(), pairs(&[("ann", 1)]));
    b
}

fn by(who: &str) -> Cause {
    Cause::operator(&op(who))
}

#[test]
fn an_expired_offer_is_withdrawn_by_the_offer_timer() {
    let mut b = offered_to_ann();
    b.tick_at(OFFER);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Timeout)]);
    assert_eq!(b.withdrawn_by(), vec![("ann".into(), 1, Cause::timer(TimerKind::Offer))]);
}

#[test]
fn an_offer_someone_else_took_is_withdrawn_by_the_taker() {
    let mut b = offered_to_ann();
    b.take("bob", 1).unwrap();
    b.resolved("bob", 1, true);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Taken)]);
    assert_eq!(b.withdrawn_by(), vec![("ann".into(), 1, by("bob"))]);
}

#[test]
fn an_offer_is_withdrawn_by_the_operator_going_away_or_declining() {
    let mut b = offered_to_ann();
    b.presence("ann", Presence::Away);
    assert_eq!(b.withdrawn_by(), vec![("ann".into(), 1, by("ann"))]);
    assert_eq!(b.offered(), pairs(&[("bob", 1)]));
    b.decline("bob", 1).unwrap();
    assert_eq!(b.withdrawn(), vec![("bob".into(), 1, Withdrawal::Declined)]);
    assert_eq!(b.withdrawn_by(), vec![("bob".into(), 1, by("bob"))]);
}

#[test]
fn a_chat_a_rule_assigns_is_withdrawn_and_removed_from_new_by_the_rule() {
    let mut b = offered_to_ann();
    let mut routing = waiting(1, "l1", None);
    (routing.needs_routing, routing.responsible, routing.via) =
        (false, Some(op("bob")), Some(AssignVia::Rule));
    routing.by = Cause::rule("vip to bob");
    b.routing(routing);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Taken)]);
    assert_eq!(b.withdrawn_by(), vec![("ann".into(), 1, Cause::rule("vip to bob"))]);
    let removed = b.last_of(|e| match e {
        Effect::ChatRemoved { operators, reason, by, .. } => Some((operators.clone(), *reason, by.clone())),
        _ => None,
    });
    assert_eq!(removed, vec![(ops(&["ann"]), Removal::Taken, Cause::rule("vip to bob"))]);
}

#[test]
fn a_queued_chat_finished_by_an_operator_is_withdrawn_by_them() {
    let mut b = offered_to_ann();
    let mut routing = waiting(1, "l1", None);
    (routing.needs_routing, routing.open) = (false, false);
    routing.by = by("sam");
    b.routing(routing);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Gone)]);
    assert_eq!(b.withdrawn_by(), vec![("ann".into(), 1, by("sam"))]);
}
