//! SPEC 4 queues: positions told to clients, line figures, and the single timer the actor arms.

use super::*;

fn positions(b: &Bench) -> Vec<(u64, u32)> {
    b.last_of(|e| match e {
        Effect::QueuePosition { chat, position, .. } => Some((chat.0, *position)),
        _ => None,
    })
}

#[test]
fn queue_positions_are_reported_on_entry_and_on_every_change() {
    let mut b = Bench::new(three(Strategy::Broadcast));
    for chat in 1..=4 {
        b.at(chat as i64 * 1_000).client(chat, "l1");
        assert_eq!(positions(&b), vec![(chat, chat as u32)]);
    }
    b.assigned(1, "ann", AssignVia::Forward);
    assert_eq!(positions(&b), vec![(2, 1), (3, 2), (4, 3)]);
    b.finished(3);
    assert_eq!(positions(&b), vec![(4, 2)], "only those behind it move");
    b.routing(waiting(5, "l1", Some(at(0))));
    assert_eq!(positions(&b), vec![(5, 1), (2, 2), (4, 3)], "an older chat goes in front");
    b.routing(waiting(2, "l1", Some(at(9_000))));
    assert_eq!(positions(&b), vec![(4, 2), (2, 3)], "a new FIFO key repositions it");
    b.routing(waiting(2, "l1", None));
    assert_eq!(positions(&b), vec![], "an unchanged chat moves nobody");
    assert_eq!([5, 4, 2].map(|c| b.d.queue_position(ChatId(c))), [Some(1), Some(2), Some(3)]);
    assert_eq!(b.d.queue_position(ChatId(1)), None);
}

#[test]
fn each_line_has_its_own_positions() {
    let mut b = Bench::new(settings(&[("l1", Strategy::Broadcast), ("l2", Strategy::Broadcast)], &[]));
    b.client(1, "l1");
    b.client(2, "l2");
    b.client(3, "l1");
    assert_eq!([1, 2, 3].map(|c| b.d.queue_position(ChatId(c))), [Some(1), Some(1), Some(2)]);
    b.client(4, "nowhere");
    assert_eq!(b.d.queue_position(ChatId(4)), Some(1), "an unknown line still queues (nobody serves it)");
}

#[test]
fn line_stats_count_waiting_chats_the_oldest_wait_and_online_members() {
    let mut b = Bench::new(three(Strategy::Broadcast));
    assert_eq!(b.d.line_stats(&line("l1"), b.now), LineStats { waiting: 0, oldest_wait: None, online: 0 });
    b.connect_all(&["ann", "bob"]);
    b.presence("bob", Presence::Away);
    b.at(1_000).client(1, "l1");
    b.at(2_000).client(2, "l1");
    assert_eq!(
        b.d.line_stats(&line("l1"), at(11_000)),
        LineStats { waiting: 2, oldest_wait: Some(Span::secs(10)), online: 1 }
    );
}

#[test]
fn next_wakeup_is_the_earliest_of_offer_expiries_rounds_overflows_and_graces() {
    let mut s = three(Strategy::RoundRobin);
    s.lines.insert(
        line("l2"),
        Line {
            id: line("l2"),
            strategy: Strategy::Broadcast,
            overflow_after: Some(Span::secs(100)),
            overflow_to: Some(line("l1")),
            reassign_after: None,
            hours: None,
        },
    );
    let mut b = Bench::new(s);
    assert_eq!(b.d.next_wakeup(), None);
    b.connect("ann");
    b.client(1, "l2");
    assert_eq!(b.d.next_wakeup(), Some(at(100_000)), "overflow");
    b.at(1_000).client(2, "l1");
    assert_eq!(b.d.next_wakeup(), Some(at(1_000 + OFFER)), "offer expiry");
    b.at(2_000).decline("ann", 2).unwrap();
    assert_eq!(b.d.next_wakeup(), Some(at(2_000 + OFFER)), "round restart");
    b.at(3_000).disconnect("ann");
    assert_eq!(b.d.next_wakeup(), Some(at(3_000 + GRACE)), "grace");
    b.tick_at(3_000 + GRACE);
    assert_eq!(b.d.next_wakeup(), Some(at(2_000 + OFFER)));
    b.tick_at(2_000 + OFFER);
    assert_eq!(b.d.next_wakeup(), Some(at(100_000)), "nobody to offer to after the round restart");
    b.tick_at(100_000);
    assert_eq!(b.d.next_wakeup(), None);
}
