//! Time-driven routing: offer timeouts, new offer rounds, overflow to the next tier and the end
//! of presence grace. `tick(now)` does whatever is due at `now`; `next_wakeup` names the
//! earliest time it will have something to do, so the actor arms exactly one timer.

use crate::domain::cause::{Cause, TimerKind};
use crate::domain::ids::{ChatId, OperatorId, Timestamp};

use super::state::Dispatcher;
use super::types::{Effect, Presence, Withdrawal};

impl Dispatcher {
    /// Does everything due at `now`: operators whose grace ended go offline (their offers are
    /// withdrawn and re-offered), expired offers are withdrawn (`Timeout`, the operator counts as
    /// tried), due rounds restart, chats waiting past `overflow_after` overflow; then waiting
    /// chats are offered oldest first.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Effect> {
        let gone: Vec<OperatorId> = self
            .ops
            .iter()
            .filter(|(_, s)| s.sockets == 0 && s.grace_until.is_some_and(|at| at <= now))
            .map(|(op, _)| op.clone())
            .collect();
        for op in gone {
            self.op_mut(&op).grace_until = None;
            let by = Cause::timer(TimerKind::PresenceGrace);
            self.change_presence(&op, Presence::Offline, &by, false, now);
        }

        let queued: Vec<ChatId> = self.fifo.iter().map(|(_, chat)| *chat).collect();
        for &chat in &queued {
            if self.waiting(chat).and_then(|w| w.offer.as_ref()).is_some_and(|(_, at)| *at <= now) {
                self.withdraw_offer(chat, Withdrawal::Timeout, &Cause::timer(TimerKind::Offer), true);
            }
        }
        for &chat in &queued {
            if let Some(w) = self.waiting_mut(chat) {
                if w.round_at.is_some_and(|at| at <= now) {
                    w.round_at = None;
                    w.tried.clear();
                }
            }
        }
        for &chat in &queued {
            let due = self.waiting(chat).is_some_and(|w| {
                !w.overflowed && self.overflow_at(&w.line, w.since).is_some_and(|at| at <= now)
            });
            if due {
                if let Some(w) = self.waiting_mut(chat) {
                    w.overflowed = true;
                }
                self.refresh_watchers(chat, Some(&Cause::timer(TimerKind::Overflow)));
            }
        }
        self.settle(now)
    }

    /// The earliest time [`Dispatcher::tick`] has something to do: an offer expiry, a round
    /// restart, an overflow or the end of a presence grace. `None`: nothing pending.
    pub fn next_wakeup(&self) -> Option<Timestamp> {
        let graces = self.ops.values().filter(|s| s.sockets == 0).filter_map(|s| s.grace_until);
        let waits = self.fifo.iter().filter_map(|(_, chat)| self.waiting(*chat)).flat_map(|w| {
            let overflow = if w.overflowed { None } else { self.overflow_at(&w.line, w.since) };
            [w.offer.as_ref().map(|(_, at)| *at), w.round_at, overflow]
        });
        graces.chain(waits.flatten()).min()
    }
}
