//! SPEC 4 tabs: who sees a queued chat in their New tab (`ChatNew`, `ChatRemoved`, `Watchers`),
//! broadcast lines, and forwards between lines.

use super::*;

fn conv(chat: u64) -> ConversationId {
    ConversationId::new("web", format!("c{chat}"))
}

/// Broadcast `l1` with ann, bob, cat; dan only in `l2`.
fn broadcast() -> Bench {
    Bench::new(settings(
        &[("l1", Strategy::Broadcast), ("l2", Strategy::Broadcast)],
        &[("ann", &["l1"], 2), ("bob", &["l1"], 2), ("cat", &["l1"], 2), ("dan", &["l2"], 2)],
    ))
}

#[test]
fn broadcast_shows_the_chat_to_online_members_and_tells_the_others_when_one_takes_it() {
    let mut b = broadcast();
    b.connect_all(&["ann", "bob", "cat", "dan"]);
    b.presence("cat", Presence::Away);
    b.client(1, "l1");
    assert_eq!(
        b.last,
        vec![
            Effect::ChatNew { operators: ops(&["ann", "bob"]), chat: ChatId(1) },
            Effect::Watchers { chat: ChatId(1), operators: ops(&["ann", "bob"]) },
            Effect::QueuePosition { conversation: conv(1), chat: ChatId(1), position: 1 },
        ],
        "no offers in a broadcast line; an away operator's New tab is empty"
    );
    assert_eq!(b.take("bob", 1).unwrap(), vec![]);
    b.resolved("bob", 1, true);
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
    assert!(b.d.new_tab(&op("ann")).is_empty());
}

#[test]
fn a_queued_chat_that_stops_waiting_without_a_responsible_leaves_new_tabs_as_finished() {
    let mut b = broadcast();
    b.connect_all(&["ann", "bob"]);
    b.client(1, "l1");
    b.finished(1);
    assert_eq!(
        b.last,
        vec![
            Effect::ChatRemoved {
                operators: ops(&["ann", "bob"]),
                chat: ChatId(1),
                reason: Removal::Finished,
                by: Cause::System,
            },
            Effect::Watchers { chat: ChatId(1), operators: vec![] },
        ]
    );
    assert_eq!(b.d.known_chats(), 0);
}

#[test]
fn watchers_follow_presence_silently_on_connect_and_the_tab_is_told_on_an_open_socket() {
    let mut b = broadcast();
    b.connect("ann");
    b.client(1, "l1");
    b.client(2, "l2");
    b.at(1_000).connect("bob");
    assert_eq!(
        b.last,
        vec![
            Effect::Presence { operator: op("bob"), status: Presence::Online },
            Effect::Watchers { chat: ChatId(1), operators: ops(&["ann", "bob"]) },
            Effect::Availability { operator: op("bob"), can_receive: true },
        ]
    );
    assert_eq!(b.d.new_tab(&op("bob")), vec![ChatId(1)], "the welcome frame lists it instead");
    b.presence("bob", Presence::Away);
    assert_eq!(
        b.last_of(|e| matches!(e, Effect::Watchers { .. } | Effect::ChatRemoved { .. }).then(|| e.clone())),
        vec![
            Effect::ChatRemoved {
                operators: ops(&["bob"]),
                chat: ChatId(1),
                reason: Removal::Moved,
                by: Cause::operator(&op("bob")),
            },
            Effect::Watchers { chat: ChatId(1), operators: ops(&["ann"]) },
        ],
        "away: the New tab empties on bob's open socket"
    );
    b.presence("bob", Presence::Offline);
    assert!(
        b.last_of(|e| matches!(e, Effect::Watchers { .. }).then_some(())).is_empty(),
        "away and offline both see nothing"
    );
    b.disconnect("ann");
    assert_eq!(b.d.watchers(ChatId(1)), ops(&["ann"]), "within the grace ann still sees it");
    b.tick_at(1_000 + GRACE);
    assert_eq!(b.d.watchers(ChatId(1)), vec![]);
    assert!(b.d.new_tab(&op("ann")).is_empty());
}

#[test]
fn new_tab_lists_queued_chats_of_my_lines_oldest_first() {
    let mut b = broadcast();
    b.connect_all(&["ann", "dan"]);
    b.at(3_000).client(3, "l1");
    b.at(4_000).client(4, "l2");
    b.routing(waiting(1, "l1", Some(at(1_000))));
    b.client(5, "l1");
    assert_eq!(b.d.new_tab(&op("ann")), vec![ChatId(1), ChatId(3), ChatId(5)]);
    assert_eq!(b.d.new_tab(&op("dan")), vec![ChatId(4)]);
}

#[test]
fn the_new_tab_pages_oldest_first_with_the_total_and_where_to_go_on() {
    let mut b = broadcast();
    b.connect_all(&["ann", "dan"]);
    b.at(3_000).client(3, "l1");
    b.at(4_000).client(4, "l2");
    b.routing(waiting(1, "l1", Some(at(1_000))));
    b.at(5_000).client(5, "l1");
    let chats = |p: &NewTabPage| p.chats.iter().map(|(_, c)| c.0).collect::<Vec<_>>();
    let first = b.d.new_tab_page(&op("ann"), None, 2);
    assert_eq!((chats(&first), first.total), (vec![1, 3], 3));
    assert_eq!(first.more, Some((at(3_000), ChatId(3))));
    let rest = b.d.new_tab_page(&op("ann"), first.more, 2);
    assert_eq!((chats(&rest), rest.total, rest.more), (vec![5], 3, None));
    let whole = b.d.new_tab_page(&op("ann"), None, 3);
    assert_eq!((chats(&whole), whole.more), (vec![1, 3, 5], None), "exactly full: nothing more");
    assert_eq!(chats(&b.d.new_tab_page(&op("dan"), None, 10)), vec![4], "each operator's own tab");
}

/// ann only in l1, bob in both, cat only in l2; round robin everywhere; all online.
fn two_lines() -> Bench {
    let mut b = Bench::new(settings(
        &[("l1", Strategy::RoundRobin), ("l2", Strategy::RoundRobin)],
        &[("ann", &["l1"], 3), ("bob", &["l1", "l2"], 3), ("cat", &["l2"], 3)],
    ));
    b.connect_all(&["ann", "bob", "cat"]);
    b
}

#[test]
fn a_forward_to_another_line_moves_the_chat_between_queues() {
    let mut b = two_lines();
    b.at(1_000).client(2, "l2");
    assert_eq!(b.offer_of(2).as_deref(), Some("bob"));
    b.at(2_000).client(1, "l1");
    assert_eq!(b.offer_of(1).as_deref(), Some("ann"));
    b.at(3_000).client(3, "l1");
    assert_eq!(b.offer_of(3).as_deref(), Some("bob"));
    b.at(5_000);
    let mut forwarded = waiting(1, "l2", Some(b.now));
    forwarded.via = None;
    forwarded.by = Cause::operator(&op("sam"));
    b.routing(forwarded);
    let sam = Cause::operator(&op("sam"));
    assert_eq!(
        b.last,
        vec![
            Effect::OfferWithdrawn {
                operator: op("ann"),
                chat: ChatId(1),
                reason: Withdrawal::Gone,
                by: sam.clone()
            },
            Effect::ChatRemoved {
                operators: ops(&["ann"]),
                chat: ChatId(1),
                reason: Removal::Moved,
                by: sam
            },
            Effect::ChatNew { operators: ops(&["cat"]), chat: ChatId(1) },
            Effect::Watchers { chat: ChatId(1), operators: ops(&["bob", "cat"]) },
            Effect::Offer { operator: op("cat"), chat: ChatId(1), expires_at: at(5_000 + OFFER) },
            Effect::QueuePosition { conversation: conv(3), chat: ChatId(3), position: 1 },
            Effect::QueuePosition { conversation: conv(1), chat: ChatId(1), position: 2 },
        ]
    );
    assert_eq!(b.d.line_stats(&line("l1"), b.now).waiting, 1);
    assert_eq!(b.d.line_stats(&line("l2"), b.now).waiting, 2);
    assert_eq!(b.d.new_tab(&op("ann")), vec![ChatId(3)]);
    assert_eq!(b.d.new_tab(&op("cat")), vec![ChatId(2), ChatId(1)]);
}

#[test]
fn a_forward_keeps_an_open_offer_to_an_operator_of_both_lines() {
    let mut b = two_lines();
    b.client(1, "l1");
    b.client(2, "l1");
    assert_eq!(b.offer_of(2).as_deref(), Some("bob"));
    b.routing(waiting(2, "l2", None));
    assert!(b.withdrawn().is_empty());
    assert_eq!(b.offer_of(2).as_deref(), Some("bob"));
    b.tick_at(OFFER);
    assert_eq!(
        b.withdrawn(),
        vec![("ann".into(), 1, Withdrawal::Timeout), ("bob".into(), 2, Withdrawal::Timeout)]
    );
    assert_eq!(b.offered(), pairs(&[("bob", 1), ("cat", 2)]), "round robin of each line");
}

#[test]
fn a_forward_to_a_broadcast_line_withdraws_the_offer() {
    let mut b = Bench::new(settings(
        &[("l1", Strategy::RoundRobin), ("l2", Strategy::Broadcast)],
        &[("ann", &["l1", "l2"], 3)],
    ));
    b.connect("ann");
    b.client(1, "l1");
    b.routing(waiting(1, "l2", None));
    assert_eq!(b.withdrawn(), vec![("ann".into(), 1, Withdrawal::Gone)]);
    assert!(b.offered().is_empty());
    assert_eq!(b.d.watchers(ChatId(1)), ops(&["ann"]), "still in her New tab: no ChatRemoved/ChatNew");
    assert!(b
        .last_of(|e| matches!(e, Effect::ChatNew { .. } | Effect::ChatRemoved { .. }).then_some(()))
        .is_empty());
}
