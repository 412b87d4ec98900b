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
        ]
    );
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
        ]
    );
    assert!(
        !b.d.can_receive(&op("ann")) && b.d.can_receive(&op("bob")),
        "ann was already full, bob has room"
    );
    assert_eq!(b.d.load(&op("ann")), 1, "ann keeps her chats");
}

#[test]
fn an_away_operator_keeps_their_chats_but_gets_no_new_offers() {
    let mut b = Bench::new(three(Strategy::LeastLoaded));
    b.connect_all(&["ann", "bob"]);
    b.assigned(90, "bob", AssignVia::Rule);
    b.client(1, "l1");
    assert_eq!(b.offered(), pairs(&[("ann", 1)]));
    b.presence("ann", Presence::Away);
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Unavailable)]);
    assert_eq!(b.offered(), pairs(&[("bob", 1)]));
    b.assigned(91, "ann", AssignVia::Forward);
    b.client(2, "l1");
    assert!(b.offered().is_empty(), "bob is full, ann is away");
    assert_eq!((b.d.load(&op("ann")), b.d.load(&op("bob"))), (1, 1));
    assert_eq!(b.d.new_tab(&op("ann")), vec![ChatId(1), ChatId(2)]);
    b.at(5_000).presence("ann", Presence::Online);
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
