//! Telling the world what changed: New-tab audiences (`ChatNew`, `ChatRemoved`, `Watchers`),
//! client queue positions and operator availability, each reported only when it changed. Also
//! the end of every public call (`settle`): offer what can be offered, then report.
//! Must not decide anything about who gets a chat: that is `offers.rs`.

use std::sync::Arc;

use crate::domain::cause::Cause;
use crate::domain::ids::{ChatId, OperatorId, Timestamp};

use super::state::Dispatcher;
use super::types::{Effect, Removal};

impl Dispatcher {
    /// Ends a mutating call: offers waiting chats oldest first, schedules new rounds for chats
    /// nobody untried can take, reports positions and availability; returns the effects.
    pub(super) fn settle(&mut self, now: Timestamp) -> Vec<Effect> {
        self.pump(now);
        self.schedule_rounds(now);
        self.report_positions();
        self.report_availability();
        std::mem::take(&mut self.out)
    }

    /// Recomputes a queued chat's audience. With `notify` (the cause of the change), operators
    /// who newly see it get `ChatNew` and those who no longer do get `ChatRemoved(Moved)` (queue
    /// entry, overflow, forward); without, only `Watchers` changes (presence: the welcome frame
    /// lists the tab).
    pub(super) fn refresh_watchers(&mut self, chat: ChatId, notify: Option<&Cause>) {
        let Some(w) = self.waiting(chat) else { return };
        let now = self.audience(w);
        if now == w.watchers {
            return;
        }
        if let Some(by) = notify {
            let added: Vec<OperatorId> = now.iter().filter(|o| !w.watchers.contains(o)).cloned().collect();
            let removed: Vec<OperatorId> = w.watchers.iter().filter(|o| !now.contains(o)).cloned().collect();
            if !removed.is_empty() {
                let by = by.clone();
                self.out.push(Effect::ChatRemoved { operators: removed, chat, reason: Removal::Moved, by });
            }
            if !added.is_empty() {
                self.out.push(Effect::ChatNew { operators: added, chat });
            }
        }
        self.out.push(Effect::Watchers { chat, operators: now.clone() });
        if let Some(w) = self.waiting_mut(chat) {
            w.watchers = now;
        }
    }

    /// Refreshes every queued chat whose audience lines include `op`, telling who newly sees or
    /// no longer sees it when `notify` names the cause.
    pub(super) fn refresh_watchers_of(&mut self, op: &OperatorId, notify: Option<&Cause>) {
        let chats: Vec<ChatId> = self
            .fifo
            .iter()
            .map(|(_, c)| *c)
            .filter(|c| self.waiting(*c).is_some_and(|w| self.in_audience_lines(op, w)))
            .collect();
        for chat in chats {
            self.refresh_watchers(chat, notify);
        }
    }

    /// The chat left its queue: everyone who saw it (but `except`, its new responsible) is told
    /// why and who or what made it leave.
    pub(super) fn report_left(
        &mut self,
        chat: ChatId,
        watchers: Vec<OperatorId>,
        reason: Removal,
        by: &Cause,
        except: Option<&OperatorId>,
    ) {
        let told: Vec<OperatorId> = watchers.iter().filter(|o| Some(*o) != except).cloned().collect();
        if !told.is_empty() {
            self.out.push(Effect::ChatRemoved { operators: told, chat, reason, by: by.clone() });
        }
        if !watchers.is_empty() {
            self.out.push(Effect::Watchers { chat, operators: Vec::new() });
        }
    }

    /// Reports the position of every chat of a changed queue whose position moved.
    fn report_positions(&mut self) {
        for line in std::mem::take(&mut self.dirty_lines) {
            let Some(queue) = self.queues.get(&line) else { continue };
            let order: Vec<ChatId> = queue.iter().map(|(_, c)| *c).collect();
            for (index, chat) in order.into_iter().enumerate() {
                let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
                let Some(entry) = self.chats.get_mut(&chat) else { continue };
                let Some(w) = entry.waiting.as_mut() else { continue };
                if w.position != position {
                    w.position = position;
                    let conversation = entry.routing.conversation.clone();
                    self.out.push(Effect::QueuePosition { conversation, chat, position });
                }
            }
            if self.queues.get(&line).is_some_and(|q| q.is_empty()) {
                self.queues.remove(&line);
            }
        }
    }

    /// Reports every configured operator whose `can_receive` or `is_gone` flipped: only
    /// touched ones can have; the receivers follow them.
    fn report_availability(&mut self) {
        self.track_receivers();
        let settings = Arc::clone(&self.settings);
        let operators = std::mem::take(&mut self.touched);
        for operator in operators.into_iter().filter(|op| settings.operators.contains_key(op)) {
            let can_receive = self.can_receive(&operator);
            let gone = self.is_gone(&operator);
            let (reported, reported_gone) =
                self.ops.get(&operator).map_or((false, false), |s| (s.reported_available, s.reported_gone));
            // Not op_mut: reporting changes nothing `can_receive` or `is_gone` reads.
            if can_receive != reported {
                self.ops.entry(operator.clone()).or_default().reported_available = can_receive;
                self.out.push(Effect::Availability { operator: operator.clone(), can_receive });
            }
            if gone != reported_gone {
                self.ops.entry(operator.clone()).or_default().reported_gone = gone;
                self.out.push(Effect::Offline { operator, offline: gone });
            }
        }
    }
}
