//! SPEC 4 presence: sockets, presence frames, the grace after the last socket closes, away,
//! and `Availability`.

use super::*;

#[test]
fn connecting_brings_an_offline_operator_online_and_an_away_one_stays_away() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    assert_eq!(b.d.presence(&op("ann")), Presence::Offline);
    assert_eq!(
        b.connect("ann"),
        [
            Effect::Presence { operator: op("ann"), status: Presence::Online },
            Effect::Availability { operator: op("ann"), can_receive: true },
        ]
    );
    assert_eq!(
        b.presence("ann", Presence::Away),
        [
            Effect::Presence { operator: op("ann"), status: Presence::Away },
            Effect::Availability { operator: op("ann"), can_receive: false },
        ]
    );
    assert_eq!(b.connect("ann"), [], "a second tab does not change presence");
    assert_eq!(b.presence("ann", Presence::Away), [], "no change, no effect");
    b.presence("ann", Presence::Offline);
    assert_eq!(b.connect("ann")[0], Effect::Presence { operator: op("ann"), status: Presence::Online });
}

#[test]
fn a_dropped_connection_keeps_the_operator_as_they_are_until_the_grace_ends() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect("ann");
    b.connect("ann");
    assert_eq!(b.at(1_000).disconnect("ann"), []);
    assert_eq!(b.d.next_wakeup(), None, "another tab is still open");
    assert_eq!(b.disconnect("ann"), []);
    assert_eq!(b.d.presence(&op("ann")), Presence::Online);
    assert_eq!(b.d.next_wakeup(), Some(at(1_000 + GRACE)));
    assert_eq!(b.tick_at(1_000 + GRACE - 1), []);
    assert_eq!(
        b.tick_at(1_000 + GRACE),
        [
            Effect::Presence { operator: op("ann"), status: Presence::Offline },
            Effect::Availability { operator: op("ann"), can_receive: false },
            Effect::Offline { operator: op("ann"), offline: true },
        ]
    );
    assert!(b.d.is_gone(&op("ann")));
    assert_eq!(b.d.next_wakeup(), None);
    assert_eq!(b.disconnect("ann"), [], "a stray close changes nothing");
}

#[test]
fn reconnecting_within_the_grace_cancels_it() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect("ann");
    b.presence("ann", Presence::Away);
    b.at(1_000).disconnect("ann");
    assert_eq!(b.at(5_000).connect("ann"), [], "still away, nothing changed");
    assert_eq!(b.d.next_wakeup(), None);
    assert_eq!(b.tick_at(1_000 + GRACE), []);
    assert_eq!(b.d.presence(&op("ann")), Presence::Away);
}

#[test]
fn an_operator_who_says_offline_has_no_grace_to_wait_for() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect("ann");
    b.presence("ann", Presence::Offline);
    b.disconnect("ann");
    assert_eq!(b.d.next_wakeup(), None);
}

#[test]
fn grace_expiry_takes_the_operator_offline_and_reoffers_their_offers() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect_all(&["ann", "bob"]);
    b.assigned(90, "ann", AssignVia::Rule);
    b.at(1_000).client(1, "l1");
    assert_eq!(b.offer_of(1).as_deref(), Some("ann"));
    b.at(2_000).disconnect("ann");
    assert_eq!(b.d.next_wakeup(), Some(at(2_000 + GRACE)), "the grace ends before the offer");
    b.tick_at(2_000 + GRACE);
    assert_eq!(
        b.last,
        vec![
            Effect::Presence { operator: op("ann"), status: Presence::Offline },
            Effect::OfferWithdrawn {
                operator: op("ann"),
                chat: ChatId(1),
                reason: Withdrawal::Unavailable,
                by: Cause::timer(TimerKind::PresenceGrace),
            },
            Effect::Watchers { chat: ChatId(1), operators: ops(&["bob"]) },
            Effect::Offer { operator: op("bob"), chat: ChatId(1), expires_at: at(2_000 + GRACE + OFFER) },
            Effect::Offline { operator: op("ann"), offline: true },
        ]
    );
    assert!(
        !b.d.can_receive(&op("ann")) && b.d.can_receive(&op("bob")),
        "ann was already full, bob has room"
    );
    assert_eq!(b.d.load(&op("ann")), 1, "ann keeps her chats");
}

#[test]
fn an_away_operator_keeps_their_chats_but_gets_no_new_offers_and_an_empty_new_tab() {
    let mut b = Bench::new(three(Strategy::LeastLoaded));
    b.connect_all(&["ann", "bob"]);
    b.assigned(90, "bob", AssignVia::Rule);
    b.client(1, "l1");
    assert_eq!(b.offered(), pairs(&[("ann", 1)]));
    b.presence("ann", Presence::Away);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Unavailable)]);
    assert!(
        b.last.contains(&Effect::ChatRemoved {
            operators: ops(&["ann"]),
            chat: ChatId(1),
            reason: Removal::Moved,
            by: Cause::operator(&op("ann")),
        }),
        "her New tab empties on her screen: {:?}",
        b.last
    );
    assert_eq!(b.offered(), pairs(&[("bob", 1)]));
    b.assigned(91, "ann", AssignVia::Forward);
    b.client(2, "l1");
    assert!(b.offered().is_empty(), "bob is full, ann is away");
    assert!(
        !b.last
            .iter()
            .any(|e| matches!(e, Effect::ChatNew { operators, .. } if operators.contains(&op("ann")))),
        "no chat_new for an away operator"
    );
    assert_eq!((b.d.load(&op("ann")), b.d.load(&op("bob"))), (1, 1));
    assert_eq!(b.d.new_tab(&op("ann")), Vec::<ChatId>::new());
    b.at(5_000).presence("ann", Presence::Online);
    assert!(
        b.last.contains(&Effect::ChatNew { operators: ops(&["ann"]), chat: ChatId(1) }),
        "back online, her New tab fills on her screen: {:?}",
        b.last
    );
    assert_eq!(b.d.new_tab(&op("ann")), vec![ChatId(1), ChatId(2)]);
    assert_eq!(b.offered(), pairs(&[("ann", 2)]));
}

#[test]
fn availability_is_reported_whenever_can_receive_flips() {
    let mut b = Bench::new(settings(&[("l1", Strategy::RoundRobin)], &[("ann", &["l1"], 1)]));
    let flips = |b: &Bench| b.last_of(|e| matches!(e, Effect::Availability { .. }).then(|| e.clone()));
    let flip = |can_receive| vec![Effect::Availability { operator: op("ann"), can_receive }];
    b.connect("ann");
    assert_eq!(flips(&b), flip(true));
    b.client(1, "l1");
    assert_eq!(flips(&b), flip(false), "an offer fills her only unit");
    b.decline("ann", 1).unwrap();
    assert_eq!(flips(&b), flip(true));
    b.assigned(1, "ann", AssignVia::Wrote);
    assert_eq!(flips(&b), flip(false));
    b.presence("ann", Presence::Away);
    assert_eq!(flips(&b), vec![], "already false");
    b.finished(1);
    assert_eq!(flips(&b), vec![], "away: still false");
    b.presence("ann", Presence::Online);
    assert_eq!(flips(&b), flip(true));
    assert!(b.d.can_receive(&op("ann")));
    assert!(!b.d.can_receive(&op("ghost")));
}

#[test]
fn after_a_start_everyone_gets_the_grace_and_who_does_not_come_back_is_reported_offline() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    let e = b.d.start_grace(b.now, &[]);
    b.record_public(e);
    assert!(b.last.is_empty(), "nobody is offline yet: {:?}", b.last);
    assert!(!b.d.is_gone(&op("ann")));
    assert_eq!(b.d.next_wakeup(), Some(at(GRACE)));
    b.at(5_000).connect("ann");
    assert_eq!(b.tick_at(GRACE - 1), []);
    b.tick_at(GRACE);
    assert_eq!(
        b.last_of(|e| match e {
            Effect::Offline { operator, offline } => Some((operator.to_string(), *offline)),
            _ => None,
        }),
        vec![("bob".to_string(), true), ("cat".to_string(), true)]
    );
    assert!(
        !b.last.iter().any(|e| matches!(e, Effect::Presence { .. })),
        "they were offline all along: nothing to tell supervisors"
    );
    b.connect("bob");
    assert!(b.last.contains(&Effect::Offline { operator: op("bob"), offline: false }));
}

#[test]
fn an_operator_away_before_a_start_stays_away_when_back_and_goes_offline_if_not() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    let e = b.d.start_grace(b.now, &[op("ann"), op("bob")]);
    b.record_public(e);
    assert_eq!(b.d.presence(&op("ann")), Presence::Away);
    assert_eq!(b.d.presence(&op("cat")), Presence::Offline);
    b.connect("ann");
    assert_eq!(b.d.presence(&op("ann")), Presence::Away, "reconnecting keeps her away");
    b.routing(waiting(1, "l1", Some(b.now)));
    assert_eq!(b.offered(), vec![], "away: no offer");
    b.tick_at(GRACE);
    assert_eq!(b.d.presence(&op("bob")), Presence::Offline, "bob never came back");
    assert!(b.d.is_gone(&op("bob")));
    assert!(!b.d.is_gone(&op("ann")));
}

#[test]
fn an_operator_who_says_offline_is_offline_at_once() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect("ann");
    b.presence("ann", Presence::Offline);
    assert!(b.last.contains(&Effect::Offline { operator: op("ann"), offline: true }));
    b.presence("ann", Presence::Away);
    assert!(b.last.contains(&Effect::Offline { operator: op("ann"), offline: false }));
}

#[test]
fn a_chat_taken_back_from_its_responsible_goes_to_the_others_first_and_to_them_after_a_round() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.connect_all(&["ann", "bob"]);
    let mut r = waiting(1, "l1", Some(b.now));
    r.returned_from = Some(op("ann"));
    b.routing(r.clone());
    assert_eq!(b.offered(), pairs(&[("bob", 1)]), "round robin would start with ann");
    b.decline("bob", 1).unwrap();
    assert!(b.offered().is_empty(), "both tried");
    assert_eq!(b.d.next_wakeup(), Some(at(OFFER)));
    b.tick_at(OFFER);
    assert_eq!(b.offered(), pairs(&[("ann", 1)]), "a new round: the previous responsible too");

    let mut alone = Bench::new(three(Strategy::RoundRobin));
    alone.connect("ann");
    alone.routing(r);
    assert!(alone.offered().is_empty(), "only the previous responsible is online: not at once");
    assert_eq!(alone.d.next_wakeup(), Some(at(OFFER)));
    alone.tick_at(OFFER);
    assert_eq!(alone.offered(), pairs(&[("ann", 1)]), "then they get it back");
}
