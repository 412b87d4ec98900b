//! A chat's routing changed (`chat_changed`): capacity accounting for its responsible, and its
//! place in the queues — entering, leaving, moving to another line — with the New-tab audience
//! told each time. Forgets a chat as soon as it is neither open nor waiting, so memory follows
//! the live chats, not the history.

use crate::domain::cause::Cause;
use crate::domain::directory::Strategy;
use crate::domain::ids::{ChatId, LineId, OperatorId, Timestamp};

use super::state::{ChatEntry, Dispatcher, Waiting};
use super::types::{ChatRouting, Effect, Removal, Withdrawal};

impl Dispatcher {
    /// Takes in the chat's latest routing facts (after every durable change of the chat, and
    /// at start-up for every open chat).
    pub fn chat_changed(&mut self, routing: ChatRouting, now: Timestamp) -> Vec<Effect> {
        let chat = routing.chat;
        let before = self
            .chats
            .get(&chat)
            .map(|e| (e.holder().cloned(), e.waiting.as_ref().map(|w| (w.line.clone(), w.since))));
        let (prev_holder, was_waiting) = before.unwrap_or((None, None));
        let (needs_routing, open, line, queued_at) =
            (routing.needs_routing, routing.open, routing.line.clone(), routing.queued_at);
        let responsible = routing.responsible.clone();
        let by = routing.by.clone();
        match self.chats.get_mut(&chat) {
            Some(entry) => entry.routing = routing,
            None => {
                self.chats.insert(chat, ChatEntry { routing, waiting: None });
            }
        }
        let holder = if open { responsible.clone() } else { None };
        self.account(chat, prev_holder, holder.as_ref(), open, &by, now);

        match (was_waiting, needs_routing) {
            (None, false) => {}
            (None, true) => self.enter(chat, line, queued_at.unwrap_or(now), &by, now),
            (Some(_), false) => self.leave(chat, responsible.as_ref(), &by),
            (Some((old_line, old_since)), true) => {
                let moved = old_line != line;
                let since = queued_at.unwrap_or(if moved { now } else { old_since });
                if moved || since != old_since {
                    self.rewait(chat, line, since, &by, now);
                }
            }
        }
        if !open && !needs_routing {
            self.chats.remove(&chat);
        }
        self.settle(now)
    }

    /// Capacity: the new holder's unit replaces its offer of the chat (or is counted anyway: a
    /// forced assignment) and the previous holder's unit is freed. A reservation whose takes
    /// were all answered and confirmed ends when its routing arrives (or the chat closes); one
    /// still waiting for a verdict stays, uncounted while its operator holds the chat, so the
    /// unit is still there if the chat moves away before the conversation processes the take.
    fn account(
        &mut self,
        chat: ChatId,
        prev: Option<OperatorId>,
        holder: Option<&OperatorId>,
        open: bool,
        by: &Cause,
        now: Timestamp,
    ) {
        if let Some(p) = prev.as_ref().filter(|p| Some(*p) != holder) {
            self.op_mut(p).holds.remove(&chat);
        }
        let done: Vec<OperatorId> = self
            .reservers
            .get(&chat)
            .into_iter()
            .flatten()
            .filter(|op| {
                self.ops
                    .get(*op)
                    .and_then(|s| s.reserved.get(&chat))
                    .is_some_and(|r| r.pending == 0 && r.confirmed && (!open || Some(*op) == holder))
            })
            .cloned()
            .collect();
        for op in done {
            self.unreserve(&op, chat);
            self.unoffered.insert(chat);
        }
        let Some(holder) = holder else { return };
        let state = self.op_mut(holder);
        if state.holds.insert(chat) {
            state.last_assigned = Some(now);
        }
        if self.offer_of(chat).is_some_and(|(o, _)| o == *holder) {
            // Converted into the hold; the withdrawal closes the offer on the operator's screen.
            self.withdraw_offer(chat, Withdrawal::Taken, by, false);
        }
    }

    /// The chat enters `line`'s queue. One taken back from an operator who left its client
    /// unanswered counts them as tried: the others are offered it first, and when nobody else
    /// takes it a new round (them included) starts one offer timeout later.
    fn enter(&mut self, chat: ChatId, line: LineId, since: Timestamp, by: &Cause, now: Timestamp) {
        let overflowed = self.overflow_at(&line, since).is_some_and(|at| at <= now);
        let returned_from = self.chats.get(&chat).and_then(|e| e.routing.returned_from.clone());
        let waiting = Waiting {
            line: line.clone(),
            since,
            overflowed,
            watchers: Vec::new(),
            offer: None,
            tried: returned_from.iter().cloned().collect(),
            round_at: None,
            position: 0,
        };
        if let Some(entry) = self.chats.get_mut(&chat) {
            entry.waiting = Some(waiting);
        }
        if returned_from.is_some() {
            self.unoffered.insert(chat);
        }
        self.enqueue(&line, since, chat);
        self.refresh_watchers(chat, Some(by));
    }

    /// The chat leaves its queue: got `responsible`, or stopped needing routing without one.
    fn leave(&mut self, chat: ChatId, responsible: Option<&OperatorId>, by: &Cause) {
        let (reason, withdrawal) = match responsible {
            Some(_) => (Removal::Taken, Withdrawal::Taken),
            None => (Removal::Finished, Withdrawal::Gone),
        };
        self.withdraw_offer(chat, withdrawal, by, false);
        let Some(w) = self.chats.get_mut(&chat).and_then(|e| e.waiting.take()) else { return };
        self.dequeue(&w.line, w.since, chat);
        self.report_left(chat, w.watchers, reason, by, responsible);
    }

    /// The waiting chat moves to another line (a forward: new round) or to another FIFO key.
    fn rewait(&mut self, chat: ChatId, line: LineId, since: Timestamp, by: &Cause, now: Timestamp) {
        let overflowed = self.overflow_at(&line, since).is_some_and(|at| at <= now);
        let Some(w) = self.waiting_mut(chat) else { return };
        let (old_line, old_since) = (std::mem::replace(&mut w.line, line.clone()), w.since);
        if old_line != line {
            w.tried.clear();
            w.round_at = None;
        }
        w.since = since;
        w.overflowed = overflowed;
        self.dequeue(&old_line, old_since, chat);
        self.enqueue(&line, since, chat);
        let keeps_offer = self.waiting(chat).is_some_and(|w| {
            w.offer.as_ref().is_some_and(|(op, _)| {
                self.strategy(&w.line) != Strategy::Broadcast && self.in_audience_lines(op, w)
            })
        });
        if !keeps_offer {
            self.withdraw_offer(chat, Withdrawal::Gone, by, false);
        }
        self.refresh_watchers(chat, Some(by));
    }

    fn enqueue(&mut self, line: &LineId, since: Timestamp, chat: ChatId) {
        self.queues.entry(line.clone()).or_default().insert((since, chat));
        self.fifo.insert((since, chat));
        self.dirty_lines.insert(line.clone());
    }

    fn dequeue(&mut self, line: &LineId, since: Timestamp, chat: ChatId) {
        if let Some(q) = self.queues.get_mut(line) {
            q.remove(&(since, chat));
        }
        self.fifo.remove(&(since, chat));
        self.dirty_lines.insert(line.clone());
    }
}
