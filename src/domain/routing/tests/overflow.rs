//! SPEC 4 overflow: a chat waiting past `overflow_after` is also seen by, and offered to, the
//! `overflow_to` line, under its own line's strategy.

use super::*;

/// `l1` (strategy as given) overflows to `l2` after 60 s; ann in l1 (capacity 1, full), xena
/// and yan in l2 (yan away: no New tab, no offers), all connected.
fn tiers(strategy: Strategy) -> Bench {
    let mut s = settings(
        &[("l1", strategy), ("l2", Strategy::RoundRobin)],
        &[("ann", &["l1"], 1), ("xena", &["l2"], 2), ("yan", &["l2"], 2)],
    );
    if let Some(l) = s.lines.get_mut(&line("l1")) {
        l.overflow_after = Some(Span::secs(60));
        l.overflow_to = Some(line("l2"));
    }
    let mut b = Bench::new(s);
    b.connect_all(&["ann", "xena", "yan"]);
    b.presence("yan", Presence::Away);
    b.assigned(90, "ann", AssignVia::Rule);
    b
}

#[test]
fn overflow_widens_eligibility_and_the_new_tab_at_the_right_time() {
    let mut b = tiers(Strategy::RoundRobin);
    b.at(1_000).client(1, "l1");
    assert_eq!(b.d.watchers(ChatId(1)), ops(&["ann"]));
    assert!(b.offered().is_empty());
    assert_eq!(b.d.next_wakeup(), Some(at(61_000)));
    assert_eq!(b.tick_at(60_999), []);
    b.tick_at(61_000);
    assert_eq!(
        b.last,
        vec![
            Effect::ChatNew { operators: ops(&["xena"]), chat: ChatId(1) },
            Effect::Watchers { chat: ChatId(1), operators: ops(&["ann", "xena"]) },
            Effect::Offer { operator: op("xena"), chat: ChatId(1), expires_at: at(61_000 + OFFER) },
        ]
    );
    assert_eq!(b.d.new_tab(&op("xena")), vec![ChatId(1)]);
    assert_eq!(b.d.line_stats(&line("l1"), b.now).waiting, 1, "it still waits in its own line");
    assert_eq!(b.d.line_stats(&line("l2"), b.now).waiting, 0);
}

#[test]
fn a_chat_that_waited_long_enough_before_it_was_reported_overflows_on_entry() {
    let mut b = tiers(Strategy::RoundRobin);
    b.at(100_000).routing(waiting(1, "l1", Some(at(10_000))));
    assert_eq!(b.last[0], Effect::ChatNew { operators: ops(&["ann", "xena"]), chat: ChatId(1) });
    assert_eq!(b.offered(), pairs(&[("xena", 1)]));
}

#[test]
fn an_overflowed_chat_of_a_broadcast_line_is_shown_to_the_overflow_line_but_not_offered() {
    let mut b = tiers(Strategy::Broadcast);
    b.client(1, "l1");
    b.tick_at(60_000);
    assert_eq!(b.d.watchers(ChatId(1)), ops(&["ann", "xena"]));
    assert!(b.offered().is_empty());
    assert_eq!(b.d.next_wakeup(), None);
}

#[test]
fn a_line_without_overflow_settings_never_overflows() {
    let mut b = Bench::new(three(Strategy::RoundRobin));
    b.client(1, "l1");
    assert_eq!(b.d.next_wakeup(), None);
}
