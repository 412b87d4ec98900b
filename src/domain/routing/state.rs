//! The dispatcher's state and its read-only side: who is present, who holds what, which chats
//! wait where. Every mutation lives in the sibling files; this one owns the shapes, the queries
//! the API and the sockets ask, and the small derived facts (held, eligible, audience) the
//! mutations share. Invariant: `held` is never stored, always counted from the three sets.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::domain::directory::{Line, Strategy};
use crate::domain::ids::{ChatId, ConversationId, LineId, OperatorId, Span, Timestamp};
use crate::domain::settings::Settings;

use super::types::{ChatRouting, Effect, LineStats, NewTabPage, Presence};

/// Where an offer strategy puts a receiver among its line's: lowest first. The last field is
/// the operator's configuration index, so ranks are unique and ties go in operator order.
/// `least_loaded`: (held, idle since, index); `longest_idle`: (open offers, idle since, index);
/// `round_robin`: (0, -, index).
pub(super) type Rank = (u32, Timestamp, usize);

/// The live routing state of one operator.
#[derive(Debug, Clone, Default)]
pub(super) struct OpState {
    /// Open WebSocket connections.
    pub sockets: u32,
    /// Current presence.
    pub presence: Presence,
    /// The last socket closed: offline at this time unless one reconnects.
    pub grace_until: Option<Timestamp>,
    /// When they last became online.
    pub online_since: Option<Timestamp>,
    /// When they were last made responsible for a chat.
    pub last_assigned: Option<Timestamp>,
    /// Open chats they are responsible for.
    pub holds: BTreeSet<ChatId>,
    /// Open offers to them, with their expiry.
    pub offers: BTreeMap<ChatId, Timestamp>,
    /// Take/accept reservations by chat.
    pub reserved: BTreeMap<ChatId, Reservation>,
    /// `can_receive` as last reported by an `Availability` effect.
    pub reported_available: bool,
    /// `is_gone` as last reported by an `Offline` effect.
    pub reported_gone: bool,
}

impl OpState {
    /// Units of capacity in use: the chats they are responsible for, are offered, or have a
    /// pending take/accept of, each chat counted once (a take of a chat one already holds
    /// reserves it without counting it twice).
    pub fn held(&self) -> u32 {
        let shadowed = self.reserved.keys().filter(|c| self.holds.contains(c)).count();
        let n = self.holds.len() + self.offers.len() + self.reserved.len() - shadowed;
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Idle since the later of coming online and the last assignment (`None`: never online).
    pub fn idle_since(&self) -> Option<Timestamp> {
        match (self.online_since, self.last_assigned) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A unit of capacity held for an operator's take or accept of a chat. It lives while a
/// verdict of the conversation is pending, and after a "yes" until the routing that makes the
/// operator responsible arrives; while the operator holds the chat it is not counted twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Reservation {
    /// Takes/accepts of this chat by this operator still waiting for their verdict (two tabs
    /// may take the same chat; one reservation serves both).
    pub pending: u32,
    /// A verdict said yes and the routing it implies has not arrived yet.
    pub confirmed: bool,
}

/// A chat waiting in a queue.
#[derive(Debug, Clone)]
pub(super) struct Waiting {
    /// The line whose queue holds it.
    pub line: LineId,
    /// Its FIFO key.
    pub since: Timestamp,
    /// Waited past its line's `overflow_after`: the overflow line sees and may get it too.
    pub overflowed: bool,
    /// Who sees it in their New tab, as last reported, in operator order.
    pub watchers: Vec<OperatorId>,
    /// The open offer, if any: to whom, until when.
    pub offer: Option<(OperatorId, Timestamp)>,
    /// Operators offered it in the current round.
    pub tried: BTreeSet<OperatorId>,
    /// Everyone eligible was tried: a new round starts at this time.
    pub round_at: Option<Timestamp>,
    /// The position last reported to the client (0: not yet reported).
    pub position: u32,
}

/// What the dispatcher remembers of a chat: its last routing and, while queued, its wait.
#[derive(Debug, Clone)]
pub(super) struct ChatEntry {
    /// The last routing facts reported.
    pub routing: ChatRouting,
    /// Present while the chat waits in a queue.
    pub waiting: Option<Waiting>,
}

impl ChatEntry {
    /// The operator whose capacity this chat occupies.
    pub fn holder(&self) -> Option<&OperatorId> {
        if self.routing.open {
            self.routing.responsible.as_ref()
        } else {
            None
        }
    }
}

/// The brain of the supervisor actor: line queues, offers, capacity and presence, as a pure
/// state machine. Every input returns the [`Effect`]s to carry out; time is a parameter.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    pub(super) settings: Arc<Settings>,
    pub(super) ops: BTreeMap<OperatorId, OpState>,
    pub(super) chats: BTreeMap<ChatId, ChatEntry>,
    /// Per line: its waiting chats by FIFO key.
    pub(super) queues: BTreeMap<LineId, BTreeSet<(Timestamp, ChatId)>>,
    /// Every waiting chat of every line by FIFO key: "oldest first" across lines.
    pub(super) fifo: BTreeSet<(Timestamp, ChatId)>,
    /// Per line: the operator last offered one of its chats (round robin).
    pub(super) rr_last: BTreeMap<LineId, OperatorId>,
    /// Effects of the call in progress.
    pub(super) out: Vec<Effect>,
    /// Lines whose queue changed during the call in progress (positions to report).
    pub(super) dirty_lines: BTreeSet<LineId>,
    /// Chats that lost an offer or a reservation during the call in progress (round to
    /// schedule if nobody untried takes them).
    pub(super) unoffered: BTreeSet<ChatId>,
    /// Operators whose state changed during the call in progress: only their availability can
    /// have flipped (`can_receive` reads nothing but their own state and the settings).
    pub(super) touched: BTreeSet<OperatorId>,
    /// Configuration indexes of the configured operators who `can_receive`, as of the last
    /// [`Dispatcher::track_receivers`]: the offer pump walks these, not every operator.
    pub(super) receivers: BTreeSet<usize>,
    /// Per offer-strategy line: the [`Rank`]s of its members in `receivers`, under the line's
    /// strategy. A pick takes the first eligible one instead of scanning the line.
    pub(super) ranked: BTreeMap<LineId, BTreeSet<Rank>>,
    /// Where each receiver stands in `ranked` (by configuration index), to move it.
    pub(super) ranks: BTreeMap<usize, Vec<(LineId, Rank)>>,
    /// Per line: configuration indexes of its online members (New-tab audiences).
    pub(super) online: BTreeMap<LineId, BTreeSet<usize>>,
    /// Per chat: the operators holding a take/accept reservation of it.
    pub(super) reservers: BTreeMap<ChatId, BTreeSet<OperatorId>>,
}

impl Dispatcher {
    /// An empty dispatcher: every operator offline, no chat known.
    pub fn new(settings: Arc<Settings>) -> Self {
        Self {
            settings,
            ops: BTreeMap::new(),
            chats: BTreeMap::new(),
            queues: BTreeMap::new(),
            fifo: BTreeSet::new(),
            rr_last: BTreeMap::new(),
            out: Vec::new(),
            dirty_lines: BTreeSet::new(),
            unoffered: BTreeSet::new(),
            touched: BTreeSet::new(),
            receivers: BTreeSet::new(),
            ranked: BTreeMap::new(),
            ranks: BTreeMap::new(),
            online: BTreeMap::new(),
            reservers: BTreeMap::new(),
        }
    }

    /// The settings it routes by.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    // ---- queries ----

    /// The operator's presence (offline if never seen).
    pub fn presence(&self, op: &OperatorId) -> Presence {
        self.ops.get(op).map_or(Presence::Offline, |s| s.presence)
    }

    /// Offline with no grace running: their clients are stranded unless their chats move (a
    /// client writing sends the chat back to its line), and nothing may be forwarded to them.
    /// Never true of an operator the dispatcher has not seen.
    pub fn is_gone(&self, op: &OperatorId) -> bool {
        self.ops.get(op).is_some_and(|s| s.presence == Presence::Offline && s.grace_until.is_none())
    }

    /// Online (not away) with free capacity: an offer or a pinned chat may go to them.
    pub fn can_receive(&self, op: &OperatorId) -> bool {
        self.presence(op) == Presence::Online && self.held(op) < self.capacity(op)
    }

    /// Open chats the operator is responsible for (the API's `active_chats`).
    pub fn load(&self, op: &OperatorId) -> u32 {
        self.ops.get(op).map_or(0, |s| u32::try_from(s.holds.len()).unwrap_or(u32::MAX))
    }

    /// Units of capacity in use: responsible open chats, open offers and pending reservations.
    pub fn held(&self, op: &OperatorId) -> u32 {
        self.ops.get(op).map_or(0, OpState::held)
    }

    /// The configured capacity (0 for an unknown operator).
    pub fn capacity(&self, op: &OperatorId) -> u32 {
        self.settings.operator(op).map_or(0, |o| o.capacity)
    }

    /// The conversation of a chat waiting in a queue, with its position there.
    pub fn queued_client(&self, chat: ChatId) -> Option<(ConversationId, u32)> {
        let position = self.queue_position(chat)?;
        Some((self.chats.get(&chat)?.routing.conversation.clone(), position))
    }

    /// Queued chats in the operator's New tab, oldest first.
    pub fn new_tab(&self, op: &OperatorId) -> Vec<ChatId> {
        self.fifo
            .iter()
            .filter(|(_, chat)| self.waiting(*chat).is_some_and(|w| w.watchers.contains(op)))
            .map(|(_, chat)| *chat)
            .collect()
    }

    /// One page of the operator's New tab: at most `limit` chats queued after `after` (a
    /// `(queued_at, chat)` key from an earlier page), oldest first, and how many the tab holds
    /// in all. A welcome frame shows the first page; the rest is paged over HTTP.
    pub fn new_tab_page(
        &self,
        op: &OperatorId,
        after: Option<(Timestamp, ChatId)>,
        limit: usize,
    ) -> NewTabPage {
        let mut page = NewTabPage::default();
        let mut following = 0;
        for key in
            self.fifo.iter().filter(|(_, chat)| self.waiting(*chat).is_some_and(|w| w.watchers.contains(op)))
        {
            page.total += 1;
            if after.is_none_or(|after| *key > after) {
                following += 1;
                if page.chats.len() < limit {
                    page.chats.push(*key);
                }
            }
        }
        if following > page.chats.len() {
            page.more = page.chats.last().copied();
        }
        page
    }

    /// Open offers to the operator: chat and expiry, by chat id.
    pub fn offers_to(&self, op: &OperatorId) -> Vec<(ChatId, Timestamp)> {
        self.ops.get(op).map_or_else(Vec::new, |s| s.offers.iter().map(|(c, t)| (*c, *t)).collect())
    }

    /// The open offer of a chat, if any: to whom and until when.
    pub fn offer_of(&self, chat: ChatId) -> Option<(OperatorId, Timestamp)> {
        self.waiting(chat).and_then(|w| w.offer.clone())
    }

    /// Who sees the queued chat in their New tab (empty if it is not queued).
    pub fn watchers(&self, chat: ChatId) -> Vec<OperatorId> {
        self.waiting(chat).map_or_else(Vec::new, |w| w.watchers.clone())
    }

    /// The line's waiting count, oldest wait and online members.
    pub fn line_stats(&self, line: &LineId, now: Timestamp) -> LineStats {
        let queue = self.queues.get(line);
        let online = self.online.get(line).map_or(0, BTreeSet::len);
        LineStats {
            waiting: queue.map_or(0, |q| u32::try_from(q.len()).unwrap_or(u32::MAX)),
            oldest_wait: queue.and_then(|q| q.first()).map(|(since, _)| now.since(*since)),
            online: u32::try_from(online).unwrap_or(u32::MAX),
        }
    }

    /// 1-based position of a queued chat within its line's queue (1 = next to be served).
    pub fn queue_position(&self, chat: ChatId) -> Option<u32> {
        let w = self.waiting(chat)?;
        let index = self.queues.get(&w.line)?.range(..(w.since, chat)).count();
        u32::try_from(index + 1).ok()
    }

    /// The chat waits in a queue.
    pub fn is_queued(&self, chat: ChatId) -> bool {
        self.waiting(chat).is_some()
    }

    /// Chats the dispatcher currently remembers (open or queued ones).
    pub fn known_chats(&self) -> usize {
        self.chats.len()
    }

    // ---- shared derived facts ----

    pub(super) fn waiting(&self, chat: ChatId) -> Option<&Waiting> {
        self.chats.get(&chat).and_then(|e| e.waiting.as_ref())
    }

    pub(super) fn waiting_mut(&mut self, chat: ChatId) -> Option<&mut Waiting> {
        self.chats.get_mut(&chat).and_then(|e| e.waiting.as_mut())
    }

    /// The operator's state, to change: the operator is marked touched.
    pub(super) fn op_mut(&mut self, op: &OperatorId) -> &mut OpState {
        if !self.touched.contains(op) {
            self.touched.insert(op.clone());
        }
        self.ops.entry(op.clone()).or_default()
    }

    /// Brings [`Dispatcher::receivers`] and the ranks up to date for the touched operators
    /// (they stay touched: availability is reported at the end of the call).
    pub(super) fn track_receivers(&mut self) {
        let touched = std::mem::take(&mut self.touched);
        for op in &touched {
            self.retrack(op);
        }
        self.touched = touched;
    }

    /// Puts `op` where its state says in [`Dispatcher::receivers`] and
    /// [`Dispatcher::ranked`].
    pub(super) fn retrack(&mut self, op: &OperatorId) {
        let settings = Arc::clone(&self.settings);
        let Some((index, _, o)) = settings.operators.get_full(op) else { return };
        for (line, rank) in self.ranks.remove(&index).unwrap_or_default() {
            if let Some(set) = self.ranked.get_mut(&line) {
                set.remove(&rank);
                if set.is_empty() {
                    self.ranked.remove(&line);
                }
            }
        }
        if !self.can_receive(op) {
            self.receivers.remove(&index);
            return;
        }
        self.receivers.insert(index);
        let mut placed = Vec::new();
        for line in &o.lines {
            let strategy = self.strategy(line);
            if strategy != Strategy::Broadcast {
                let rank = self.rank(op, index, strategy);
                self.ranked.entry(line.clone()).or_default().insert(rank);
                placed.push((line.clone(), rank));
            }
        }
        if !placed.is_empty() {
            self.ranks.insert(index, placed);
        }
    }

    /// The operator's [`Rank`] under `strategy` (`index`: its configuration index).
    pub(super) fn rank(&self, op: &OperatorId, index: usize, strategy: Strategy) -> Rank {
        let state = self.ops.get(op);
        let idle = state.and_then(OpState::idle_since).unwrap_or(Timestamp(i64::MIN));
        match strategy {
            Strategy::LeastLoaded => (self.held(op), idle, index),
            Strategy::LongestIdle => {
                let ringing = state.map_or(0, |s| u32::try_from(s.offers.len()).unwrap_or(u32::MAX));
                (ringing, idle, index)
            }
            Strategy::RoundRobin | Strategy::Broadcast => (0, Timestamp(i64::MIN), index),
        }
    }

    /// `op` started or stopped being online: the New-tab audiences of their lines follow.
    pub(super) fn track_online(&mut self, op: &OperatorId, online: bool) {
        let settings = Arc::clone(&self.settings);
        let Some((index, _, o)) = settings.operators.get_full(op) else { return };
        for line in &o.lines {
            if online {
                self.online.entry(line.clone()).or_default().insert(index);
            } else if let Some(set) = self.online.get_mut(line) {
                set.remove(&index);
                if set.is_empty() {
                    self.online.remove(line);
                }
            }
        }
    }

    /// `timeouts.offer`, at least a millisecond: a zero timeout would let `tick` re-offer at
    /// the same instant forever (configuration rejects it; the dispatcher does not rely on it).
    pub(super) fn offer_timeout(&self) -> Span {
        self.settings.timeouts.offer.max(Span::millis(1))
    }

    /// The line's configuration, if it exists.
    pub(super) fn line(&self, line: &LineId) -> Option<&Line> {
        self.settings.lines.get(line)
    }

    /// The line's strategy; an unknown line broadcasts (to nobody: it has no members).
    pub(super) fn strategy(&self, line: &LineId) -> Strategy {
        self.line(line).map_or(Strategy::Broadcast, |l| l.strategy)
    }

    /// `overflow_after` and `overflow_to` of a line, when both are set.
    pub(super) fn overflow(&self, line: &LineId) -> Option<(Span, &LineId)> {
        let l = self.line(line)?;
        Some((l.overflow_after?, l.overflow_to.as_ref()?))
    }

    /// When a chat of `line` waiting since `since` overflows, if the line overflows at all.
    pub(super) fn overflow_at(&self, line: &LineId, since: Timestamp) -> Option<Timestamp> {
        self.overflow(line).map(|(after, _)| since.after(after))
    }

    /// The operator belongs to the lines that may see and get this waiting chat.
    pub(super) fn in_audience_lines(&self, op: &OperatorId, w: &Waiting) -> bool {
        let Some(o) = self.settings.operator(op) else { return false };
        o.in_line(&w.line) || (w.overflowed && self.overflow(&w.line).is_some_and(|(_, to)| o.in_line(to)))
    }

    /// Online members of the chat's lines, in operator order: its New-tab audience (an away
    /// operator's New tab is empty).
    pub(super) fn audience(&self, w: &Waiting) -> Vec<OperatorId> {
        let none = BTreeSet::new();
        let own = self.online.get(&w.line).unwrap_or(&none);
        let overflow = match self.overflow(&w.line) {
            Some((_, to)) if w.overflowed => self.online.get(to).unwrap_or(&none),
            _ => &none,
        };
        own.union(overflow)
            .filter_map(|index| self.settings.operators.get_index(*index).map(|(op, _)| op.clone()))
            .collect()
    }

    /// Someone holds a take/accept reservation for the chat: routing pauses until it resolves.
    pub(super) fn reserved_by_anyone(&self, chat: ChatId) -> bool {
        self.reservers.contains_key(&chat)
    }

    /// One more take/accept of `chat` by `op` waits for its verdict (a reservation starts, or
    /// the one it has serves it too).
    pub(super) fn reserve(&mut self, op: &OperatorId, chat: ChatId) {
        self.op_mut(op).reserved.entry(chat).or_default().pending += 1;
        self.reservers.entry(chat).or_default().insert(op.clone());
    }

    /// `op`'s reservation of `chat` ends.
    pub(super) fn unreserve(&mut self, op: &OperatorId, chat: ChatId) {
        self.op_mut(op).reserved.remove(&chat);
        if let Some(set) = self.reservers.get_mut(&chat) {
            set.remove(op);
            if set.is_empty() {
                self.reservers.remove(&chat);
            }
        }
    }

    /// The chat waits for an offer: queued in an offer-strategy line, no offer, no reservation,
    /// nobody responsible (a routing claiming both is not offered around its responsible).
    pub(super) fn routable(&self, chat: ChatId) -> bool {
        let Some(entry) = self.chats.get(&chat) else { return false };
        entry.holder().is_none()
            && entry
                .waiting
                .as_ref()
                .is_some_and(|w| w.offer.is_none() && self.strategy(&w.line) != Strategy::Broadcast)
            && !self.reserved_by_anyone(chat)
    }

    /// `op` may be offered `chat` now (the chat itself is routable).
    pub(super) fn eligible(&self, op: &OperatorId, chat: ChatId) -> bool {
        self.waiting(chat)
            .is_some_and(|w| self.can_receive(op) && self.in_audience_lines(op, w) && !w.tried.contains(op))
    }

    /// Index of an operator in configuration order (unknown ones last).
    pub(super) fn order(&self, op: &OperatorId) -> usize {
        self.settings.operators.get_index_of(op).unwrap_or(usize::MAX)
    }
}
