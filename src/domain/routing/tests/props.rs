//! Properties over random input sequences (proptest): whatever chats, operators, sockets and
//! the clock do, in any order,
//! - the dispatcher's own moves never push `held` over capacity (only forced assignments may,
//!   and `held` never grows past capacity by anything else);
//! - every offer goes to an online member of the chat's line (or its overflow line) with room,
//!   and no chat has two open offers;
//! - a chat is queued iff its last routing said `needs_routing`;
//! - `held` equals responsible chats + open offers + reservations recounted from scratch (the
//!   reservations by a model of the take/accept/resolved protocol), and the self-audit holds;
//! - `next_wakeup` is exact: nothing happens before it, something is done at it;
//! - once every take is answered and every chat finished, nobody holds anything (no leaks).

use std::collections::BTreeMap;

use proptest::prelude::{any, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig};
use proptest::strategy::Strategy as Gen;
use proptest::test_runner::FileFailurePersistence;

use super::model::{scenario_settings, Model, Step, CHATS, LINES, WHO};
use super::*;

fn step() -> impl Gen<Value = Step> {
    let chat = 1..=CHATS;
    let who = 0..WHO.len();
    prop_oneof![
        4 => (chat.clone(), 0..LINES.len(), proptest::option::of(0i64..40_000))
            .prop_map(|(chat, line, age)| Step::Client { chat, line, age }),
        1 => (chat.clone(), 0..LINES.len()).prop_map(|(chat, line)| Step::Forward { chat, line }),
        1 => (chat.clone(), who.clone()).prop_map(|(chat, who)| Step::Assign { chat, who }),
        1 => chat.clone().prop_map(|chat| Step::Unassign { chat }),
        1 => (chat.clone(), who.clone()).prop_map(|(chat, who)| Step::Contradiction { chat, who }),
        2 => chat.clone().prop_map(|chat| Step::Finish { chat }),
        1 => chat.clone().prop_map(|chat| Step::Close { chat }),
        2 => who.clone().prop_map(|who| Step::Connect { who }),
        1 => who.clone().prop_map(|who| Step::Disconnect { who }),
        1 => (who.clone(), 0..3usize).prop_map(|(who, p)| Step::Presence { who, p }),
        2 => (who.clone(), chat).prop_map(|(who, chat)| Step::Take { who, chat }),
        3 => (who.clone(), 0..3usize, any::<bool>()).prop_map(|(who, nth, late)| Step::Accept { who, nth, late }),
        2 => (who, 0..3usize).prop_map(|(who, nth)| Step::Decline { who, nth }),
        3 => (0..4usize, any::<bool>(), any::<bool>())
            .prop_map(|(nth, ok, assign_first)| Step::Resolve { nth, ok, assign_first }),
        2 => (0i64..12_000).prop_map(|ms| Step::Advance { ms }),
        2 => Just(Step::Wake),
    ]
}

fn strategy() -> impl Gen<Value = Strategy> {
    prop_oneof![
        Just(Strategy::Broadcast),
        Just(Strategy::RoundRobin),
        Just(Strategy::LeastLoaded),
        Just(Strategy::LongestIdle)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn routing_invariants_hold_over_random_input_sequences(
        strategies in [strategy(), strategy(), strategy()],
        steps in proptest::collection::vec(step(), 1..80),
    ) {
        let mut m = Model { b: Bench::new(scenario_settings(strategies)), pending: Vec::new(), reserved: BTreeMap::new() };
        for step in &steps {
            let before: BTreeMap<OperatorId, u32> = WHO.iter().map(|w| (op(w), m.b.d.held(&op(w)))).collect();
            let first_effect = m.b.all.len();
            m.apply(step);
            m.check(step, &before, first_effect)?;
        }
        // Answer every take, finish every chat: nothing may stay held.
        while let Some((o, c)) = m.pending.pop() {
            m.resolve(o, c, true, false);
        }
        let chats: Vec<u64> = m.b.routings.keys().copied().collect();
        for chat in chats {
            m.apply(&Step::Finish { chat });
        }
        for who in WHO {
            prop_assert_eq!(m.b.d.held(&op(who)), 0, "{} leaks", who);
        }
        prop_assert_eq!(m.b.d.known_chats(), 0);
        prop_assert!(m.reserved.is_empty());
    }
}
