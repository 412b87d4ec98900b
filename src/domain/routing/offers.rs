//! Offers: who gets which waiting chat. The pump walks every waiting chat oldest first across
//! all lines and offers each routable one to the operator its line's strategy picks among the
//! eligible; offers are opened and withdrawn only here, so the two views of an offer (the
//! chat's and the operator's) never disagree. Must never push anyone over capacity.

use crate::domain::cause::Cause;
use crate::domain::directory::Strategy;
use crate::domain::ids::{ChatId, OperatorId, Timestamp};

use super::state::{Dispatcher, Rank};
use super::types::{Effect, Withdrawal};

impl Dispatcher {
    /// Offers every routable waiting chat, oldest first, while anyone can receive one. Leaves
    /// the state quiescent: no routable chat has an eligible operator.
    pub(super) fn pump(&mut self, now: Timestamp) {
        if self.fifo.is_empty() {
            return;
        }
        self.track_receivers();
        if self.receivers.is_empty() {
            return;
        }
        let order: Vec<ChatId> = self.fifo.iter().map(|(_, chat)| *chat).collect();
        for chat in order {
            if self.receivers.is_empty() {
                break;
            }
            if !self.routable(chat) {
                continue;
            }
            if let Some(op) = self.pick(chat) {
                self.open_offer(&op, chat, now);
                self.retrack(&op);
            }
        }
    }

    /// The operator the chat's line strategy picks among the eligible; `None` for broadcast
    /// lines and when nobody is eligible. The line's ranks give it at once; an overflowed chat
    /// (two lines' members, ranked by its own line's strategy) is picked by a scan.
    fn pick(&self, chat: ChatId) -> Option<OperatorId> {
        let w = self.waiting(chat)?;
        let strategy = self.strategy(&w.line);
        if strategy == Strategy::Broadcast {
            return None;
        }
        if w.overflowed {
            let candidates: Vec<OperatorId> = self
                .receivers
                .iter()
                .filter_map(|i| self.settings.operators.get_index(*i).map(|(op, _)| op))
                .filter(|op| self.eligible(op, chat))
                .cloned()
                .collect();
            return self.pick_among(chat, &candidates);
        }
        let ranked = self.ranked.get(&w.line)?;
        let operator = |rank: &Rank| self.settings.operators.get_index(rank.2).map(|(op, _)| op);
        let eligible = |rank: &&Rank| operator(rank).is_some_and(|op| self.eligible(op, chat));
        let first = match strategy {
            Strategy::RoundRobin => {
                let after = self.rr_last.get(&w.line).map(|op| self.order(op));
                let from = after.map_or(0, |a| a.saturating_add(1));
                ranked
                    .range((0, Timestamp(i64::MIN), from)..)
                    .find(eligible)
                    .or_else(|| ranked.iter().find(eligible))
            }
            _ => ranked.iter().find(eligible),
        };
        first.and_then(operator).cloned()
    }

    /// The operator the chat's line strategy picks among `candidates` (eligible, in operator
    /// order): the reference the ranks agree with (the audit checks them).
    fn pick_among(&self, chat: ChatId, candidates: &[OperatorId]) -> Option<OperatorId> {
        let line = &self.waiting(chat)?.line;
        let idle =
            |op: &OperatorId| self.ops.get(op).and_then(|s| s.idle_since()).unwrap_or(Timestamp(i64::MIN));
        let picked = match self.strategy(line) {
            Strategy::Broadcast => None,
            Strategy::RoundRobin => {
                let after = self.rr_last.get(line).map(|op| self.order(op));
                candidates
                    .iter()
                    .find(|op| after.is_some_and(|a| self.order(op) > a))
                    .or_else(|| candidates.first())
            }
            Strategy::LeastLoaded => {
                candidates.iter().min_by_key(|op| (self.held(op), idle(op), self.order(op)))
            }
            // An operator with an offer ringing is not idle: a burst spreads over the idle ones.
            Strategy::LongestIdle => {
                let ringing = |op: &OperatorId| self.ops.get(op).map_or(0, |s| s.offers.len());
                candidates.iter().min_by_key(|op| (ringing(op), idle(op), self.order(op)))
            }
        };
        picked.cloned()
    }

    /// Opens an offer of `chat` to `op` (the caller checked eligibility).
    pub(super) fn open_offer(&mut self, op: &OperatorId, chat: ChatId, now: Timestamp) {
        let expires_at = now.after(self.offer_timeout());
        let Some(w) = self.waiting_mut(chat) else { return };
        w.offer = Some((op.clone(), expires_at));
        w.round_at = None;
        let line = w.line.clone();
        self.op_mut(op).offers.insert(chat, expires_at);
        self.rr_last.insert(line, op.clone());
        self.out.push(Effect::Offer { operator: op.clone(), chat, expires_at });
    }

    /// Withdraws the chat's open offer, if any, telling its operator why and who or what did
    /// it. With `tried` the operator is not offered the chat again in this round.
    pub(super) fn withdraw_offer(
        &mut self,
        chat: ChatId,
        reason: Withdrawal,
        by: &Cause,
        tried: bool,
    ) -> Option<OperatorId> {
        let w = self.waiting_mut(chat)?;
        let (op, _) = w.offer.take()?;
        if tried {
            w.tried.insert(op.clone());
        }
        self.op_mut(&op).offers.remove(&chat);
        self.unoffered.insert(chat);
        self.out.push(Effect::OfferWithdrawn { operator: op.clone(), chat, reason, by: by.clone() });
        Some(op)
    }

    /// Withdraws every open offer to `op` (they went away or offline); not marked tried.
    pub(super) fn withdraw_offers_to(&mut self, op: &OperatorId, reason: Withdrawal, by: &Cause) {
        let chats: Vec<ChatId> =
            self.ops.get(op).map_or_else(Vec::new, |s| s.offers.keys().copied().collect());
        for chat in chats {
            self.withdraw_offer(chat, reason, by, false);
        }
    }

    /// The open offer of `chat` to `op` becomes a reservation (accept, or a take by the
    /// operator it was offered to): same hold, no more timeout.
    pub(super) fn offer_to_reservation(&mut self, op: &OperatorId, chat: ChatId) {
        if let Some(w) = self.waiting_mut(chat) {
            if w.offer.as_ref().is_some_and(|(o, _)| o == op) {
                w.offer = None;
            }
        }
        self.op_mut(op).offers.remove(&chat);
        self.reserve(op, chat);
    }

    /// After the pump: a chat that lost its offer or reservation in this call, is still
    /// routable (nobody untried could take it) and was tried by someone gets a new round one
    /// `offer` timeout from now.
    pub(super) fn schedule_rounds(&mut self, now: Timestamp) {
        let round_at = now.after(self.offer_timeout());
        for chat in std::mem::take(&mut self.unoffered) {
            if !self.routable(chat) {
                continue;
            }
            if let Some(w) = self.waiting_mut(chat) {
                if !w.tried.is_empty() && w.round_at.is_none() {
                    w.round_at = Some(round_at);
                }
            }
        }
    }
}
