//! The world the property test drives the dispatcher through: random `Step`s, and a `Model`
//! that plays the conversations (deciding takes as a conversation would) and tracks what the
//! take/accept/resolved protocol says each operator must have reserved, so `held` can be
//! recounted from scratch after every step.

use std::collections::BTreeMap;

use proptest::prelude::{prop_assert, prop_assert_eq};
use proptest::test_runner::TestCaseError;

use super::*;

pub(super) const WHO: [&str; 5] = ["ann", "bob", "cat", "dan", "eve"];
pub(super) const LINES: [&str; 4] = ["l1", "l2", "l3", "nowhere"];
pub(super) const CHATS: u64 = 8;

/// One input to the dispatcher (indices pick from `WHO` and `LINES`).
#[derive(Debug, Clone)]
pub(super) enum Step {
    Client {
        chat: u64,
        line: usize,
        age: Option<i64>,
    },
    Forward {
        chat: u64,
        line: usize,
    },
    Assign {
        chat: u64,
        who: usize,
    },
    Unassign {
        chat: u64,
    },
    /// A contradictory routing (waiting, yet with a responsible): must not break anything.
    Contradiction {
        chat: u64,
        who: usize,
    },
    Finish {
        chat: u64,
    },
    Close {
        chat: u64,
    },
    Connect {
        who: usize,
    },
    Disconnect {
        who: usize,
    },
    Presence {
        who: usize,
        p: usize,
    },
    Take {
        who: usize,
        chat: u64,
    },
    Accept {
        who: usize,
        nth: usize,
        late: bool,
    },
    Decline {
        who: usize,
        nth: usize,
    },
    Resolve {
        nth: usize,
        ok: bool,
        assign_first: bool,
    },
    Advance {
        ms: i64,
    },
    Wake,
}

/// Three lines (strategies as given; `l1` overflows to `l3` after 20 s) and five operators.
pub(super) fn scenario_settings(strategies: [Strategy; 3]) -> Settings {
    let mut s = settings(
        &[("l1", strategies[0]), ("l2", strategies[1]), ("l3", strategies[2])],
        &[
            ("ann", &["l1"], 2),
            ("bob", &["l1", "l2"], 1),
            ("cat", &["l2"], 3),
            ("dan", &["l3", "l1"], 2),
            ("eve", &["l3"], 1),
        ],
    );
    if let Some(l) = s.lines.get_mut(&line("l1")) {
        l.overflow_after = Some(Span::secs(20));
        l.overflow_to = Some(line("l3"));
    }
    s
}

/// The conversations and the take/accept protocol, as the supervisor would drive them.
pub(super) struct Model {
    pub b: Bench,
    /// Take/accept answered Ok, waiting for the conversation's verdict.
    pub pending: Vec<(OperatorId, ChatId)>,
    /// Reservations as the protocol says they must be: (operator, chat) → (takes waiting for
    /// a verdict, confirmed).
    pub reserved: BTreeMap<(OperatorId, ChatId), (u32, bool)>,
}

impl Model {
    fn routing_of(&self, chat: ChatId) -> Option<&ChatRouting> {
        self.b.routings.get(&chat.0)
    }

    /// Sends a routing, applying the protocol's rules to the reservation model.
    fn send(&mut self, r: ChatRouting) {
        let chat = r.chat;
        self.reserved.retain(|(op, c), (pending, confirmed)| {
            let done = *pending == 0 && *confirmed && (!r.open || r.responsible.as_ref() == Some(op));
            *c != chat || !done
        });
        self.b.routing(r);
    }

    fn base(&self, chat: u64) -> ChatRouting {
        self.routing_of(ChatId(chat)).cloned().unwrap_or_else(|| waiting(chat, "l1", None))
    }

    fn holds(&self, op: &OperatorId, chat: ChatId) -> bool {
        self.routing_of(chat).is_some_and(|r| r.open && r.responsible.as_ref() == Some(op))
    }

    pub fn apply(&mut self, step: &Step) {
        let now = self.b.now;
        match step.clone() {
            Step::Client { chat, line: l, age } => {
                let mut r = self.base(chat);
                if r.needs_routing && self.b.d.is_queued(ChatId(chat)) || r.open && r.responsible.is_some() {
                    return; // an active chat: nothing to reactivate
                }
                r.line = line(LINES[l]);
                r.queued_at = age.map(|a| Timestamp(now.0 - a));
                (r.needs_routing, r.open, r.responsible, r.via) = (true, true, None, None);
                self.send(r);
            }
            Step::Forward { chat, line: l } => {
                let mut r = self.base(chat);
                if !r.open {
                    return;
                }
                r.line = line(LINES[l]);
                r.queued_at = Some(now);
                (r.needs_routing, r.responsible, r.via) = (true, None, None);
                self.send(r);
            }
            Step::Assign { chat, who } => {
                let mut r = self.base(chat);
                (r.needs_routing, r.open, r.responsible, r.via) =
                    (false, true, Some(op(WHO[who])), Some(AssignVia::Rule));
                self.send(r);
            }
            Step::Unassign { chat } => {
                let mut r = self.base(chat);
                if !r.open {
                    return;
                }
                (r.needs_routing, r.responsible, r.via, r.queued_at) = (true, None, None, None);
                self.send(r);
            }
            Step::Contradiction { chat, who } => {
                let mut r = self.base(chat);
                (r.needs_routing, r.open, r.responsible) = (true, true, Some(op(WHO[who])));
                self.send(r);
            }
            Step::Finish { chat } => {
                let mut r = self.base(chat);
                (r.needs_routing, r.open) = (false, false);
                self.send(r);
            }
            Step::Close { chat } => {
                let mut r = self.base(chat);
                if !r.open {
                    return;
                }
                r.needs_routing = false;
                self.send(r);
            }
            Step::Connect { who } => {
                self.b.connect(WHO[who]);
            }
            Step::Disconnect { who } => {
                self.b.disconnect(WHO[who]);
            }
            Step::Presence { who, p } => {
                self.b.presence(WHO[who], [Presence::Online, Presence::Away, Presence::Offline][p]);
            }
            Step::Take { who, chat } => {
                let o = op(WHO[who]);
                let c = ChatId(chat);
                let before = self.b.d.held(&o);
                let holds = self.holds(&o, c);
                let fresh = !self.reserved.contains_key(&(o.clone(), c));
                let offered = self.b.d.offers_to(&o).iter().any(|(oc, _)| *oc == c);
                match self.b.take(WHO[who], chat) {
                    Ok(_) => {
                        self.pending.push((o.clone(), c));
                        self.reserved.entry((o, c)).or_default().0 += 1;
                    }
                    Err(e) => {
                        assert_eq!(e, RouteError::OverCapacity);
                        assert!(fresh && !offered && !holds && before >= self.b.d.capacity(&o));
                    }
                }
            }
            Step::Accept { who, nth, late } => {
                let o = op(WHO[who]);
                let offers = self.b.d.offers_to(&o);
                let Some((c, expires)) = offers.get(nth).copied() else {
                    assert_eq!(self.b.accept(WHO[who], 99), Err(RouteError::NoOffer));
                    return;
                };
                if late {
                    self.b.now = self.b.now.max(expires);
                    assert_eq!(self.b.accept(WHO[who], c.0), Err(RouteError::NoOffer));
                    self.b.tick();
                } else {
                    self.b.accept(WHO[who], c.0).unwrap();
                    self.pending.push((o.clone(), c));
                    self.reserved.entry((o, c)).or_default().0 += 1;
                }
            }
            Step::Decline { who, nth } => {
                let offers = self.b.d.offers_to(&op(WHO[who]));
                match offers.get(nth) {
                    Some((c, _)) => {
                        self.b.decline(WHO[who], c.0).unwrap();
                    }
                    None => assert_eq!(self.b.decline(WHO[who], 99), Err(RouteError::NoOffer)),
                }
            }
            Step::Resolve { nth, ok, assign_first } => {
                if self.pending.is_empty() {
                    return;
                }
                let (o, c) = self.pending.remove(nth % self.pending.len());
                self.resolve(o, c, ok, assign_first);
            }
            Step::Advance { ms } => {
                self.b.now = self.b.now.after(Span::millis(ms));
                self.b.tick();
            }
            Step::Wake => {
                if let Some(at) = self.b.d.next_wakeup() {
                    self.b.now = self.b.now.max(at);
                }
                self.b.tick();
            }
        }
    }

    /// The conversation's verdict: it assigns an active unassigned chat, says "already yours"
    /// to its responsible, refuses anything else (or when told to fail).
    pub fn resolve(&mut self, o: OperatorId, c: ChatId, ok: bool, assign_first: bool) {
        let r = self.routing_of(c).cloned();
        let assigns = ok && r.as_ref().is_some_and(|r| r.open && r.needs_routing);
        let already = ok && self.holds(&o, c);
        let success = assigns || already;
        let assignment = r.filter(|_| assigns).map(|mut r| {
            (r.needs_routing, r.responsible, r.via) = (false, Some(o.clone()), Some(AssignVia::Take));
            r
        });
        if let (Some(a), true) = (&assignment, assign_first) {
            self.send(a.clone());
        }
        if let Some((pending, confirmed)) = self.reserved.get_mut(&(o.clone(), c)) {
            let known = self.b.routings.get(&c.0).filter(|r| r.open || r.needs_routing);
            let settled = known.is_none_or(|r| !r.open || (r.responsible.as_ref() == Some(&o)));
            *pending -= 1;
            *confirmed |= success && !settled;
            if *pending == 0 && (!*confirmed || settled) {
                self.reserved.remove(&(o.clone(), c));
            }
        }
        self.b.resolved(o.as_str(), c.0, success);
        if let (Some(a), false) = (assignment, assign_first) {
            self.send(a);
        }
    }

    /// Every invariant after a step; `before` is each operator's held before it.
    pub fn check(
        &self,
        step: &Step,
        before: &BTreeMap<OperatorId, u32>,
        first_effect: usize,
    ) -> Result<(), TestCaseError> {
        let d = &self.b.d;
        let forced = match step {
            Step::Assign { who, .. } | Step::Contradiction { who, .. } => Some(op(WHO[*who])),
            _ => None,
        };
        let mut offered_chats = Vec::new();
        for who in WHO {
            let o = op(who);
            let held = d.held(&o);
            let cap = d.capacity(&o);
            let allowance = u32::from(forced.as_ref() == Some(&o));
            prop_assert!(
                held <= cap.max(before[&o] + allowance),
                "{who} holds {held} > capacity {cap} (was {}) after {step:?}",
                before[&o]
            );
            let load =
                self.b.routings.values().filter(|r| r.open && r.responsible.as_ref() == Some(&o)).count();
            prop_assert_eq!(d.load(&o) as usize, load, "{} load", who);
            let reserved = self.reserved.keys().filter(|(r, c)| *r == o && !self.holds(&o, *c)).count();
            let offers = d.offers_to(&o);
            prop_assert_eq!(held as usize, load + offers.len() + reserved, "{} held recount", who);
            offered_chats.extend(offers.iter().map(|(c, _)| *c));
        }
        for effect in &self.b.all[first_effect..] {
            let Effect::Offer { operator, chat, .. } = effect else { continue };
            let r = &self.b.routings[&chat.0];
            let overflow = d.settings().lines.get(&r.line).and_then(|l| l.overflow_to.clone());
            let member = d.settings().operator_in_line(operator, &r.line)
                || overflow.is_some_and(|to| d.settings().operator_in_line(operator, &to));
            prop_assert!(member, "{chat} offered to {operator}, not a member");
            if d.offers_to(operator).iter().any(|(c, _)| c == chat) {
                prop_assert!(
                    d.presence(operator) == Presence::Online,
                    "{chat} offered to {operator}, not online"
                );
                prop_assert!(
                    d.held(operator) <= d.capacity(operator) || forced.as_ref() == Some(operator),
                    "{chat} offered to {operator} beyond capacity"
                );
            }
        }
        let n = offered_chats.len();
        offered_chats.sort();
        offered_chats.dedup();
        prop_assert_eq!(n, offered_chats.len(), "a chat has two open offers");
        for (chat, r) in &self.b.routings {
            prop_assert_eq!(d.is_queued(ChatId(*chat)), r.needs_routing, "chat {} queued", chat);
        }
        // next_wakeup is exact.
        let mut probe = d.clone();
        match d.next_wakeup() {
            None => prop_assert!(probe.tick(self.b.now.after(Span::secs(86_400))).is_empty()),
            Some(at) => {
                if at.0 > self.b.now.0 {
                    prop_assert!(
                        probe.clone().tick(Timestamp(at.0 - 1)).is_empty(),
                        "something before next_wakeup"
                    );
                }
                probe.tick(at.max(self.b.now));
                prop_assert!(
                    probe.next_wakeup().is_none_or(|next| next > at),
                    "tick at next_wakeup did nothing"
                );
            }
        }
        Ok(())
    }
}
