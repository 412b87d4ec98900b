//! SPEC 4 strategies: which eligible operator an offer goes to. Table-driven: each row sets the
//! scene (who came online when, who was assigned what when), then one or more chats arrive.

use super::*;

/// What happens before the chats arrive (times in ms after T0).
#[derive(Debug, Clone, Copy)]
enum Scene {
    Online(&'static str, i64),
    Away(&'static str, i64),
    Offline(&'static str, i64),
    /// A forced assignment (a rule): counts as held and resets the idle clock.
    Assign(&'static str, u64, i64),
    Finish(u64, i64),
}

struct Row {
    name: &'static str,
    scene: &'static [Scene],
    /// Who gets the offers of chats 1, 2, ... arriving one after another at 100 s.
    expect: &'static [&'static str],
}

/// ann, bob, dan, cat in configuration order; dan is only in `l2`; capacity 2 each (5 with
/// `roomy`).
fn four(strategy: Strategy, roomy: bool) -> Settings {
    let c = if roomy { 5 } else { 2 };
    settings(
        &[("l1", strategy), ("l2", Strategy::RoundRobin)],
        &[("ann", &["l1"], c), ("bob", &["l1"], c), ("dan", &["l2"], c), ("cat", &["l1"], c)],
    )
}

fn check(strategy: Strategy, roomy: bool, rows: &[Row]) {
    for row in rows {
        let mut b = Bench::new(four(strategy, roomy));
        let mut scene = row.scene.to_vec();
        scene.sort_by_key(|s| match *s {
            Online(_, t) | Away(_, t) | Offline(_, t) | Assign(_, _, t) | Finish(_, t) => t,
        });
        for step in &scene {
            match *step {
                Scene::Online(w, t) => {
                    b.at(t);
                    if b.d.presence(&op(w)) == Presence::Offline {
                        b.connect(w);
                    } else {
                        b.presence(w, Presence::Online);
                    }
                }
                Scene::Away(w, t) => {
                    b.at(t).presence(w, Presence::Away);
                }
                Scene::Offline(w, t) => {
                    b.at(t).presence(w, Presence::Offline);
                }
                Scene::Assign(w, chat, t) => {
                    b.at(t).assigned(chat, w, AssignVia::Rule);
                }
                Scene::Finish(chat, t) => {
                    b.at(t).finished(chat);
                }
            }
        }
        b.at(100_000);
        let mut got = Vec::new();
        for (i, _) in row.expect.iter().enumerate() {
            b.client(i as u64 + 1, "l1");
            got.extend(b.offered().into_iter().map(|(o, _)| o));
        }
        assert_eq!(got, row.expect.to_vec(), "{:?}: {}", strategy, row.name);
    }
}

use Scene::*;

const ALL_AT_0: [Scene; 4] = [Online("ann", 0), Online("bob", 0), Online("dan", 0), Online("cat", 0)];

#[test]
fn round_robin_offers_in_operator_order_wraps_and_skips_the_ineligible() {
    check(
        Strategy::RoundRobin,
        false,
        &[
            Row {
                name: "in order, wrapping",
                scene: &ALL_AT_0,
                expect: &["ann", "bob", "cat", "ann", "bob", "cat"],
            },
            Row {
                name: "an away operator is skipped",
                scene: &[Online("ann", 0), Online("bob", 0), Online("cat", 0), Away("bob", 1)],
                expect: &["ann", "cat", "ann", "cat"],
            },
            Row {
                name: "an offline operator is skipped",
                scene: &[Online("ann", 0), Online("bob", 0), Online("cat", 0), Offline("bob", 1)],
                expect: &["ann", "cat", "ann"],
            },
            Row {
                name: "a full operator is skipped",
                scene: &[
                    Online("ann", 0),
                    Online("bob", 0),
                    Online("cat", 0),
                    Assign("ann", 90, 1),
                    Assign("ann", 91, 1),
                ],
                expect: &["bob", "cat", "bob", "cat"],
            },
            Row {
                name: "nobody left: the chat waits (no offer)",
                scene: &[Online("bob", 0), Assign("bob", 90, 1)],
                expect: &["bob"],
            },
        ],
    );
}

#[test]
fn round_robin_continues_after_the_operator_last_offered_even_when_they_left() {
    let mut b = Bench::new(four(Strategy::RoundRobin, false));
    b.connect_all(&["ann", "bob", "cat"]);
    b.client(1, "l1");
    b.client(2, "l1");
    assert_eq!(b.offer_of(2).as_deref(), Some("bob"));
    b.presence("bob", Presence::Offline);
    assert_eq!(b.withdrawn(), vec![("bob".to_string(), 2, Withdrawal::Unavailable)]);
    assert_eq!(b.offered(), pairs(&[("cat", 2)]), "the next after bob, wrapping past nobody");
    b.client(3, "l1");
    assert_eq!(b.offered(), pairs(&[("ann", 3)]), "after cat comes ann again");
}

#[test]
fn least_loaded_picks_the_fewest_held_then_the_longest_idle_then_operator_order() {
    check(
        Strategy::LeastLoaded,
        true,
        &[
            Row {
                name: "fewest held wins",
                scene: &[
                    Online("ann", 0),
                    Online("bob", 0),
                    Online("cat", 0),
                    Assign("ann", 90, 1),
                    Assign("ann", 91, 1),
                    Assign("bob", 92, 1),
                    Assign("cat", 93, 1),
                    Assign("cat", 94, 1),
                    Assign("cat", 95, 1),
                ],
                expect: &["bob"],
            },
            Row {
                name: "open offers count as held",
                scene: &[Online("ann", 0), Online("bob", 0), Online("cat", 0)],
                expect: &["ann", "bob", "cat", "ann", "bob"],
            },
            Row {
                name: "a tie on held goes to the longest idle",
                scene: &[Online("ann", 5), Online("bob", 1), Online("cat", 3)],
                expect: &["bob", "cat", "ann"],
            },
            Row {
                name: "a tie on held and idle goes by operator order",
                scene: &[
                    Online("cat", 0),
                    Online("bob", 0),
                    Online("ann", 0),
                    Assign("cat", 90, 7),
                    Assign("bob", 91, 7),
                    Assign("ann", 92, 7),
                ],
                expect: &["ann"],
            },
            Row {
                name: "a past assignment makes an operator less idle",
                scene: &[
                    Online("ann", 0),
                    Online("bob", 0),
                    Online("cat", 0),
                    Assign("ann", 90, 10),
                    Finish(90, 20),
                    Assign("bob", 91, 5),
                    Finish(91, 6),
                ],
                expect: &["cat", "bob", "ann"],
            },
            Row {
                name: "away operators are not counted even with the fewest",
                scene: &[Online("ann", 0), Online("bob", 0), Assign("ann", 90, 1), Away("bob", 2)],
                expect: &["ann"],
            },
        ],
    );
}

#[test]
fn longest_idle_picks_the_earliest_idle_since_then_operator_order() {
    check(
        Strategy::LongestIdle,
        true,
        &[
            Row {
                name: "the first to come online",
                scene: &[Online("ann", 3), Online("bob", 1), Online("cat", 2)],
                expect: &["bob"],
            },
            Row {
                name: "an assignment resets the idle clock",
                scene: &[
                    Online("ann", 0),
                    Online("bob", 0),
                    Online("cat", 0),
                    Assign("bob", 90, 5),
                    Assign("ann", 91, 10),
                ],
                expect: &["cat"],
            },
            Row {
                name: "load does not matter, only time",
                scene: &[
                    Online("ann", 0),
                    Assign("ann", 90, 1),
                    Assign("ann", 91, 1),
                    Online("bob", 2),
                    Online("cat", 3),
                ],
                expect: &["ann"],
            },
            Row { name: "ties go by operator order", scene: &ALL_AT_0, expect: &["ann"] },
            Row {
                name: "coming back from away counts as coming online",
                scene: &[
                    Online("ann", 0),
                    Online("bob", 2),
                    Online("cat", 3),
                    Away("ann", 5),
                    Online("ann", 6),
                ],
                expect: &["bob"],
            },
            Row {
                name: "an operator with an offer ringing is not idle: a burst spreads in idle order",
                scene: &[
                    Online("ann", 0),
                    Online("bob", 1),
                    Online("cat", 2),
                    Assign("ann", 90, 3),
                    Assign("ann", 91, 3),
                ],
                expect: &["bob", "cat", "ann", "bob", "cat", "ann"],
            },
        ],
    );
}

/// Several chats offered by one call (their new rounds start at the same moment): each pick
/// sees the offers the call already made, as one chat at a time would.
#[test]
fn one_call_offering_several_chats_ranks_after_each_offer() {
    for (strategy, expect) in [
        (Strategy::LeastLoaded, [("ann", 1), ("bob", 2)]),
        (Strategy::LongestIdle, [("ann", 1), ("bob", 2)]),
        (Strategy::RoundRobin, [("bob", 1), ("ann", 2)]),
    ] {
        let mut b = Bench::new(settings(&[("l1", strategy)], &[("ann", &["l1"], 5), ("bob", &["l1"], 5)]));
        b.at(0).connect("ann");
        b.at(1).connect("bob");
        b.at(10).client(1, "l1");
        b.client(2, "l1");
        // Everyone declines both: each chat waits for a new round, both at the same moment.
        for _ in 0..2 {
            for chat in [1, 2] {
                if let Some(who) = b.offer_of(chat) {
                    b.decline(&who, chat).unwrap();
                }
            }
        }
        assert_eq!((b.offer_of(1), b.offer_of(2)), (None, None), "{strategy:?}: both wait for a round");
        b.tick_at(10 + OFFER);
        let offered: Vec<(String, u64)> = b.offered();
        let expect: Vec<(String, u64)> = expect.iter().map(|(w, c)| (w.to_string(), *c)).collect();
        assert_eq!(offered, expect, "{strategy:?}");
    }
}
