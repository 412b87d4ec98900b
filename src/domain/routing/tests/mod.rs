//! Dispatcher tests: one `Bench` harness (a dispatcher, a clock, the last call's effects) and a
//! file per concern. Every call a test makes is followed by the dispatcher's self-audit (a
//! recount from scratch, quiescence) and the capacity invariant.

mod capacity;
mod causes;
mod model;
mod offers;
mod overflow;
mod presence;
mod props;
mod queue;
mod strategies;
mod tabs;

use std::sync::Arc;

use crate::domain::cause::{Cause, TimerKind};
use crate::domain::directory::{Line, Operator, Role, Strategy};
use crate::domain::ids::{ChatId, ConversationId, LineId, OperatorId, Span, Timestamp};
use crate::domain::settings::Settings;
use crate::domain::status::AssignVia;

use super::*;

/// The start of every test's clock.
pub(crate) const T0: Timestamp = Timestamp(1_700_000_000_000);
/// `timeouts.offer` in these tests.
pub(crate) const OFFER: i64 = 30_000;
/// `timeouts.presence_grace` in these tests.
pub(crate) const GRACE: i64 = 10_000;

pub(crate) fn op(id: &str) -> OperatorId {
    OperatorId::from(id)
}

pub(crate) fn ops(ids: &[&str]) -> Vec<OperatorId> {
    ids.iter().map(|id| op(id)).collect()
}

pub(crate) fn line(id: &str) -> LineId {
    LineId::from(id)
}

pub(crate) fn at(ms: i64) -> Timestamp {
    T0.after(Span::millis(ms))
}

/// Settings with `lines` (id, strategy) and `operators` (id, lines, capacity), in that order.
pub(crate) fn settings(lines: &[(&str, Strategy)], operators: &[(&str, &[&str], u32)]) -> Settings {
    let mut s = Settings::default();
    s.timeouts.offer = Span::millis(OFFER);
    s.timeouts.presence_grace = Span::millis(GRACE);
    for (id, strategy) in lines {
        s.lines.insert(
            line(id),
            Line {
                id: line(id),
                strategy: *strategy,
                overflow_after: None,
                overflow_to: None,
                reassign_after: None,
                hours: None,
            },
        );
    }
    for (id, member_of, capacity) in operators {
        let o = Operator {
            id: op(id),
            name: id.to_string(),
            lines: member_of.iter().map(|l| line(l)).collect(),
            capacity: *capacity,
            role: Role::Operator,
        };
        s.operators.insert(o.id.clone(), o);
    }
    s
}

/// One line `l1` with `strategy` and operators ann, bob, cat (capacity 2 each) in it.
pub(crate) fn three(strategy: Strategy) -> Settings {
    settings(&[("l1", strategy)], &[("ann", &["l1"], 2), ("bob", &["l1"], 2), ("cat", &["l1"], 2)])
}

/// The routing of a chat waiting in `line` since `queued_at` (caused by the router itself).
pub(crate) fn waiting(chat: u64, line_id: &str, queued_at: Option<Timestamp>) -> ChatRouting {
    ChatRouting {
        chat: ChatId(chat),
        conversation: ConversationId::new("web", format!("c{chat}")),
        line: line(line_id),
        queued_at,
        needs_routing: true,
        responsible: None,
        open: true,
        via: None,
        returned_from: None,
        by: Cause::System,
    }
}

/// A dispatcher under test.
pub(crate) struct Bench {
    pub d: Dispatcher,
    pub now: Timestamp,
    /// Effects of the last call.
    pub last: Vec<Effect>,
    /// Every effect so far.
    pub all: Vec<Effect>,
    /// Last routing sent per chat.
    pub routings: std::collections::BTreeMap<u64, ChatRouting>,
    /// Run the full self-audit after every n-th call (1: every call; big tests sample).
    pub audit_every: u32,
    calls: u32,
}

impl Bench {
    pub fn new(settings: Settings) -> Self {
        Self {
            d: Dispatcher::new(Arc::new(settings)),
            now: T0,
            last: Vec::new(),
            all: Vec::new(),
            routings: Default::default(),
            audit_every: 1,
            calls: 0,
        }
    }

    /// Records the effects of a call the bench has no shortcut for.
    #[track_caller]
    pub fn record_public(&mut self, effects: Vec<Effect>) -> &[Effect] {
        self.record(effects)
    }

    #[track_caller]
    fn record(&mut self, effects: Vec<Effect>) -> &[Effect] {
        self.calls += 1;
        if self.calls % self.audit_every == 0 {
            if let Err(e) = self.d.audit() {
                panic!("audit failed: {e}\nlast effects: {effects:#?}");
            }
        }
        self.all.extend(effects.iter().cloned());
        self.last = effects;
        &self.last
    }

    /// Moves the clock to `ms` after T0 (never backwards).
    pub fn at(&mut self, ms: i64) -> &mut Self {
        self.now = self.now.max(at(ms));
        self
    }

    #[track_caller]
    pub fn connect(&mut self, who: &str) -> &[Effect] {
        let e = self.d.connected(&op(who), self.now);
        self.record(e)
    }

    #[track_caller]
    pub fn connect_all(&mut self, who: &[&str]) {
        for w in who {
            self.connect(w);
        }
    }

    #[track_caller]
    pub fn disconnect(&mut self, who: &str) -> &[Effect] {
        let e = self.d.disconnected(&op(who), self.now);
        self.record(e)
    }

    #[track_caller]
    pub fn presence(&mut self, who: &str, p: Presence) -> &[Effect] {
        let e = self.d.set_presence(&op(who), p, self.now);
        self.record(e)
    }

    #[track_caller]
    pub fn routing(&mut self, r: ChatRouting) -> &[Effect] {
        self.routings.insert(r.chat.0, r.clone());
        let e = self.d.chat_changed(r, self.now);
        self.record(e)
    }

    /// A new chat waits in `line` from now.
    #[track_caller]
    pub fn client(&mut self, chat: u64, line_id: &str) -> &[Effect] {
        let r = waiting(chat, line_id, Some(self.now));
        self.routing(r)
    }

    /// The conversation reports `who` responsible for the open chat (no longer waiting), by
    /// their own doing.
    #[track_caller]
    pub fn assigned(&mut self, chat: u64, who: &str, via: AssignVia) -> &[Effect] {
        let mut r = self.routings.get(&chat).cloned().unwrap_or_else(|| waiting(chat, "l1", None));
        r.needs_routing = false;
        r.responsible = Some(op(who));
        r.open = true;
        r.via = Some(via);
        r.by = Cause::operator(&op(who));
        self.routing(r)
    }

    /// The conversation reports the chat finished (by the router itself, unless the test's
    /// routing said otherwise).
    #[track_caller]
    pub fn finished(&mut self, chat: u64) -> &[Effect] {
        let mut r = self.routings.get(&chat).cloned().unwrap_or_else(|| waiting(chat, "l1", None));
        r.needs_routing = false;
        r.open = false;
        self.routing(r)
    }

    #[track_caller]
    pub fn take(&mut self, who: &str, chat: u64) -> Result<Vec<Effect>, RouteError> {
        let r = self.d.take(&op(who), ChatId(chat), self.now);
        self.after_answer(r)
    }

    #[track_caller]
    pub fn accept(&mut self, who: &str, chat: u64) -> Result<Vec<Effect>, RouteError> {
        let r = self.d.accept(&op(who), ChatId(chat), self.now);
        self.after_answer(r)
    }

    #[track_caller]
    pub fn decline(&mut self, who: &str, chat: u64) -> Result<Vec<Effect>, RouteError> {
        let r = self.d.decline(&op(who), ChatId(chat), self.now);
        self.after_answer(r)
    }

    #[track_caller]
    fn after_answer(&mut self, r: Result<Vec<Effect>, RouteError>) -> Result<Vec<Effect>, RouteError> {
        match r {
            Ok(e) => Ok(self.record(e).to_vec()),
            Err(err) => {
                self.record(Vec::new());
                Err(err)
            }
        }
    }

    #[track_caller]
    pub fn resolved(&mut self, who: &str, chat: u64, ok: bool) -> &[Effect] {
        let e = self.d.resolved(&op(who), ChatId(chat), ok, self.now);
        self.record(e)
    }

    #[track_caller]
    pub fn tick(&mut self) -> &[Effect] {
        let e = self.d.tick(self.now);
        self.record(e)
    }

    /// Moves the clock to `ms` after T0 and ticks.
    #[track_caller]
    pub fn tick_at(&mut self, ms: i64) -> &[Effect] {
        self.at(ms);
        self.tick()
    }

    // ---- reading effects ----

    /// (operator, chat) of every offer made by the last call.
    pub fn offered(&self) -> Vec<(String, u64)> {
        self.last
            .iter()
            .filter_map(|e| match e {
                Effect::Offer { operator, chat, .. } => Some((operator.to_string(), chat.0)),
                _ => None,
            })
            .collect()
    }

    /// (operator, chat, reason) of every withdrawal by the last call.
    pub fn withdrawn(&self) -> Vec<(String, u64, Withdrawal)> {
        self.last
            .iter()
            .filter_map(|e| match e {
                Effect::OfferWithdrawn { operator, chat, reason, .. } => {
                    Some((operator.to_string(), chat.0, *reason))
                }
                _ => None,
            })
            .collect()
    }

    /// (operator, chat, cause) of every withdrawal by the last call.
    pub fn withdrawn_by(&self) -> Vec<(String, u64, Cause)> {
        self.last
            .iter()
            .filter_map(|e| match e {
                Effect::OfferWithdrawn { operator, chat, by, .. } => {
                    Some((operator.to_string(), chat.0, by.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// The effects of the last call of one kind, by a filter.
    pub fn last_of<T>(&self, f: impl Fn(&Effect) -> Option<T>) -> Vec<T> {
        self.last.iter().filter_map(f).collect()
    }

    /// The operator currently offered `chat`.
    pub fn offer_of(&self, chat: u64) -> Option<String> {
        self.d.offer_of(ChatId(chat)).map(|(o, _)| o.to_string())
    }

    pub fn held(&self, who: &str) -> u32 {
        self.d.held(&op(who))
    }
}

/// (operator, chat) pairs, for comparing with `Bench::offered`.
pub(crate) fn pairs(p: &[(&str, u64)]) -> Vec<(String, u64)> {
    p.iter().map(|(o, c)| (o.to_string(), *c)).collect()
}
