//! Test-only: recounts the dispatcher's state from scratch and compares it with what it keeps
//! incrementally (holds, offers, queues, watchers, positions, availability), and checks the
//! quiescence invariant. Tests run it after every step.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::directory::Strategy;
use crate::domain::ids::{ChatId, LineId, OperatorId, Timestamp};

use super::state::{Dispatcher, Rank};
use super::types::Presence;

impl Dispatcher {
    /// Every incremental view agrees with a recount; `Err` names the first disagreement.
    pub(crate) fn audit(&self) -> Result<(), String> {
        let mut holds: BTreeMap<&OperatorId, BTreeSet<ChatId>> = BTreeMap::new();
        let mut offers: BTreeMap<&OperatorId, BTreeMap<ChatId, Timestamp>> = BTreeMap::new();
        for (chat, entry) in &self.chats {
            if let Some(op) = entry.holder() {
                holds.entry(op).or_default().insert(*chat);
            }
            if let Some((op, expires)) = entry.waiting.as_ref().and_then(|w| w.offer.as_ref()) {
                offers.entry(op).or_default().insert(*chat, *expires);
            }
        }
        for (op, s) in &self.ops {
            if holds.remove(op).unwrap_or_default() != s.holds {
                return Err(format!("{op} holds {:?}, the chats say otherwise", s.holds));
            }
            if offers.remove(op).unwrap_or_default() != s.offers {
                return Err(format!("{op} offers {:?}, the chats say otherwise", s.offers));
            }
            if let Some((chat, _)) = s.reserved.iter().find(|(_, r)| r.pending == 0 && !r.confirmed) {
                return Err(format!("{op} keeps a reservation of {chat} nobody waits for"));
            }
            if s.sockets > 0 && s.grace_until.is_some() {
                return Err(format!("{op} is connected but in grace"));
            }
        }
        if !holds.is_empty() || !offers.is_empty() {
            return Err(format!("holds {holds:?} or offers {offers:?} of operators without state"));
        }
        let waiting: Vec<ChatId> =
            self.chats.iter().filter(|(_, e)| e.waiting.is_some()).map(|(c, _)| *c).collect();
        if waiting.len() != self.fifo.len()
            || self.queues.values().map(|q| q.len()).sum::<usize>() != self.fifo.len()
        {
            return Err("queues and waiting chats disagree".into());
        }
        let mut positions = std::collections::BTreeMap::new();
        for queue in self.queues.values() {
            for (index, (_, chat)) in queue.iter().enumerate() {
                positions.insert(*chat, u32::try_from(index + 1).unwrap_or(u32::MAX));
            }
        }
        for (chat, entry) in &self.chats {
            let Some(w) = &entry.waiting else {
                if !entry.routing.open {
                    return Err(format!("chat {chat} is neither open nor waiting but remembered"));
                }
                continue;
            };
            if !entry.routing.needs_routing {
                return Err(format!("chat {chat} waits but does not need routing"));
            }
            if !self.queues.get(&w.line).is_some_and(|q| q.contains(&(w.since, *chat))) {
                return Err(format!("chat {chat} is not in its line's queue"));
            }
            if w.watchers != self.audience(w) {
                return Err(format!(
                    "chat {chat} watchers {:?} != audience {:?}",
                    w.watchers,
                    self.audience(w)
                ));
            }
            if Some(&w.position) != positions.get(chat) {
                return Err(format!(
                    "chat {chat} reported position {} != {:?}",
                    w.position,
                    positions.get(chat)
                ));
            }
            if let Some((op, _)) = &w.offer {
                let ok = self.presence(op) == Presence::Online
                    && self.in_audience_lines(op, w)
                    && !w.tried.contains(op)
                    && w.round_at.is_none()
                    && !self.ops.values().any(|s| s.reserved.get(chat).is_some_and(|r| r.confirmed));
                if !ok {
                    return Err(format!("chat {chat} has an offer to {op} who is not eligible for it"));
                }
            }
            if self.routable(*chat) {
                let eligible: Vec<&OperatorId> =
                    self.settings.operators.keys().filter(|op| self.eligible(op, *chat)).collect();
                if !eligible.is_empty() {
                    return Err(format!(
                        "chat {chat} waits without an offer although {eligible:?} could get it"
                    ));
                }
            }
        }
        for (index, op) in self.settings.operators.keys().enumerate() {
            let reported = self.ops.get(op).is_some_and(|s| s.reported_available);
            if reported != self.can_receive(op) {
                return Err(format!("{op} availability reported {reported}"));
            }
            let reported_gone = self.ops.get(op).is_some_and(|s| s.reported_gone);
            if reported_gone != self.is_gone(op) {
                return Err(format!("{op} reported offline: {reported_gone}"));
            }
            if self.receivers.contains(&index) != self.can_receive(op) {
                return Err(format!("{op} is tracked as a receiver: {}", self.receivers.contains(&index)));
            }
        }
        if self.receivers.last().is_some_and(|i| *i >= self.settings.operators.len()) {
            return Err("a receiver is not a configured operator".into());
        }
        let mut online: BTreeMap<LineId, BTreeSet<usize>> = BTreeMap::new();
        let mut ranked: BTreeMap<LineId, BTreeSet<Rank>> = BTreeMap::new();
        for (index, (op, o)) in self.settings.operators.iter().enumerate() {
            for line in &o.lines {
                if self.presence(op) == Presence::Online {
                    online.entry(line.clone()).or_default().insert(index);
                }
                let strategy = self.strategy(line);
                if self.can_receive(op) && strategy != Strategy::Broadcast {
                    ranked.entry(line.clone()).or_default().insert(self.rank(op, index, strategy));
                }
            }
        }
        if online != self.online {
            return Err(format!("online members {:?} != recount {online:?}", self.online));
        }
        if ranked != self.ranked {
            return Err(format!("ranks {:?} != recount {ranked:?}", self.ranked));
        }
        let mut reservers: BTreeMap<ChatId, BTreeSet<OperatorId>> = BTreeMap::new();
        for (op, s) in &self.ops {
            for chat in s.reserved.keys() {
                reservers.entry(*chat).or_default().insert(op.clone());
            }
        }
        if reservers != self.reservers {
            return Err(format!("reservers {:?} != recount {reservers:?}", self.reservers));
        }
        let placed: BTreeMap<LineId, BTreeSet<Rank>> =
            self.ranks.values().flatten().fold(BTreeMap::new(), |mut m, (line, rank)| {
                m.entry(line.clone()).or_default().insert(*rank);
                m
            });
        if placed != self.ranked {
            return Err(format!("rank positions {:?} != ranks {:?}", self.ranks, self.ranked));
        }
        if !self.out.is_empty()
            || !self.dirty_lines.is_empty()
            || !self.unoffered.is_empty()
            || !self.touched.is_empty()
        {
            return Err("per-call scratch state was left behind".into());
        }
        Ok(())
    }
}
