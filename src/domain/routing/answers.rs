//! An operator's own moves on a waiting chat: `take` (from the New tab), `accept` and `decline`
//! (of an offer), and the conversation's verdict on a take or accept (`resolved`). A take or
//! accept reserves a unit of capacity until the verdict, and a positive verdict keeps it until
//! the chat's new routing turns it into the responsible hold: never counted twice, never a gap.

use crate::domain::cause::Cause;
use crate::domain::ids::{ChatId, OperatorId, Timestamp};

use super::state::Dispatcher;
use super::types::{Effect, RouteError, Withdrawal};

impl Dispatcher {
    /// `op` takes `chat`: reserves a unit of their capacity until [`Dispatcher::resolved`].
    /// Taking a chat offered to oneself answers the offer; a second take of the same chat
    /// reserves nothing more; a take of a chat one already holds reserves it without counting
    /// it twice (so it stays counted if the chat moves away before the conversation answers).
    /// Line membership and presence are the caller's checks (supervisors may take anything);
    /// the conversation arbitrates races.
    pub fn take(&mut self, op: &OperatorId, chat: ChatId, now: Timestamp) -> Result<Vec<Effect>, RouteError> {
        let state = self.ops.get(op);
        let reserved = state.is_some_and(|s| s.reserved.contains_key(&chat));
        let offered = state.is_some_and(|s| s.offers.contains_key(&chat));
        let holds = state.is_some_and(|s| s.holds.contains(&chat));
        if offered {
            self.offer_to_reservation(op, chat);
            return Ok(self.settle(now));
        }
        if !holds && !reserved && self.held(op) >= self.capacity(op) {
            return Err(RouteError::OverCapacity);
        }
        self.reserve(op, chat);
        Ok(self.settle(now))
    }

    /// `op` accepts the open, unexpired offer of `chat`: the offer's hold becomes a reservation
    /// (no more timeout) until [`Dispatcher::resolved`].
    pub fn accept(
        &mut self,
        op: &OperatorId,
        chat: ChatId,
        now: Timestamp,
    ) -> Result<Vec<Effect>, RouteError> {
        let expires_at = self.ops.get(op).and_then(|s| s.offers.get(&chat)).copied();
        match expires_at {
            Some(at) if now < at => {
                self.offer_to_reservation(op, chat);
                Ok(self.settle(now))
            }
            _ => Err(RouteError::NoOffer),
        }
    }

    /// `op` declines the open offer of `chat`: withdrawn, `op` is not offered it again this
    /// round, the next eligible operator gets it.
    pub fn decline(
        &mut self,
        op: &OperatorId,
        chat: ChatId,
        now: Timestamp,
    ) -> Result<Vec<Effect>, RouteError> {
        if !self.ops.get(op).is_some_and(|s| s.offers.contains_key(&chat)) {
            return Err(RouteError::NoOffer);
        }
        self.withdraw_offer(chat, Withdrawal::Declined, &Cause::operator(op), true);
        Ok(self.settle(now))
    }

    /// The conversation's answer to one take or accept of `chat` by `op`. A "yes" keeps the
    /// reservation until the routing that makes `op` responsible arrives, unless no such
    /// routing will come (`op` already holds the chat, or it is no longer open or known), and
    /// withdraws other operators' offers of the chat (`Taken`). A "no" releases it (and `op` is
    /// not offered the chat again this round). Either way a reservation stays while another
    /// take of the same chat by `op` still waits for its answer.
    pub fn resolved(&mut self, op: &OperatorId, chat: ChatId, ok: bool, now: Timestamp) -> Vec<Effect> {
        let settled = match self.chats.get(&chat) {
            None => true,
            Some(entry) => !entry.routing.open || entry.holder() == Some(op),
        };
        let Some(r) = self.ops.get_mut(op).and_then(|s| s.reserved.get_mut(&chat)) else {
            return self.settle(now);
        };
        r.pending = r.pending.saturating_sub(1);
        if ok && !settled {
            r.confirmed = true;
        }
        let release = r.pending == 0 && (!r.confirmed || settled);
        if ok && !settled && self.offer_of(chat).is_some_and(|(o, _)| o != *op) {
            self.withdraw_offer(chat, Withdrawal::Taken, &Cause::operator(op), false);
        }
        if release {
            self.unreserve(op, chat);
            if !ok {
                if let Some(w) = self.waiting_mut(chat) {
                    w.tried.insert(op.clone());
                }
            }
            self.unoffered.insert(chat);
        }
        self.settle(now)
    }
}
