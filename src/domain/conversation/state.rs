//! The conversation state and `apply`, the fold of events into state. `apply` is total: it
//! never fails and never consults configuration, so a replay rebuilds exactly what was live.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::domain::chat::{Chat, SplitPoint};
use crate::domain::event::{Author, BotKind, Change, Event, FinishCause};
use crate::domain::ids::{ChatId, ConversationId, Seq, Timestamp};
use crate::domain::metrics::Metrics;
use crate::domain::status::{AssignVia, AuthorKind, Direction, Phase, Status};

/// Everything between one client and the centre through one channel: a chain of chats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// `<channel>:<client_id>`.
    pub id: ConversationId,
    /// The client's display name, when known.
    pub client_name: Option<String>,
    /// The chats in creation order; the latest is the last one not merged away.
    pub chats: Vec<Chat>,
    /// Seq of the last stored message (0 = none yet).
    pub last_seq: Seq,
    /// Campaign messages held until the chat in progress pauses or finishes (SPEC 5).
    pub held: VecDeque<String>,
}

impl Conversation {
    /// A conversation with nothing in it yet.
    pub fn new(id: ConversationId) -> Self {
        Self { id, client_name: None, chats: Vec::new(), last_seq: 0, held: VecDeque::new() }
    }

    /// Rebuilds a conversation from its journal.
    pub fn replay<'a>(id: ConversationId, events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut state = Self::new(id);
        for event in events {
            state.apply(event);
        }
        state
    }

    /// The chat `id`.
    pub fn chat(&self, id: ChatId) -> Option<&Chat> {
        self.chats.iter().find(|c| c.id == id)
    }

    fn chat_mut(&mut self, id: ChatId) -> Option<&mut Chat> {
        self.chats.iter_mut().find(|c| c.id == id)
    }

    /// The latest chat: only it may be unfinished, and new messages consider only it (SPEC 3).
    pub fn latest(&self) -> Option<&Chat> {
        self.chats.iter().rev().find(|c| c.merged_into.is_none())
    }

    /// A chat is in progress, so automated messages are held or dropped (SPEC 5).
    pub fn holds_automated(&self) -> bool {
        self.latest().is_some_and(|c| match c.phase {
            Phase::Active => c.status != Status::OnHold,
            Phase::Closing => true,
            Phase::Finished => false,
        })
    }

    /// The earliest armed timer of any chat: the one timer the owning actor keeps armed.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.chats.iter().filter_map(|c| c.deadlines.earliest()).min()
    }

    /// Folds one event into the state.
    pub fn apply(&mut self, event: &Event) {
        let at = event.at;
        let watched = watched_chats(&event.change);
        let routed_before =
            watched.map(|id| id.and_then(|id| self.chat(id)).is_some_and(Chat::needs_routing));
        self.apply_change(at, &event.change);
        for (id, was_routed) in watched.into_iter().zip(routed_before) {
            if let Some(chat) = id.and_then(|id| self.chat_mut(id)) {
                let entered_queue = !was_routed && chat.needs_routing();
                for_each_metrics(chat, |m| {
                    m.updated_at = at;
                    if entered_queue {
                        m.queued_at = Some(at);
                    }
                });
            }
        }
    }

    fn apply_change(&mut self, at: Timestamp, change: &Change) {
        match change {
            Change::ClientNamed { name } => self.client_name = Some(name.clone()),
            Change::ChatOpened { chat, line, direction, status, responsible, prev_chat, page_url } => {
                let mut new = Chat::new(*chat, line.clone(), *direction, *status, at);
                if let Some(writer) = responsible {
                    new.responsible = Some(writer.clone());
                    new.assigned_via = Some(AssignVia::Wrote);
                    new.pinned = true;
                    new.metrics.on_taken(at);
                }
                new.prev_chat = *prev_chat;
                new.page_url = page_url.clone();
                if let Some(prev) = prev_chat.and_then(|p| self.chat_mut(p)) {
                    prev.next_chat = Some(*chat);
                    prev.metrics.updated_at = at;
                }
                self.push_chat(new);
            }
            Change::MessageAppended(message) => {
                self.last_seq = message.seq;
                if message.from_held {
                    self.held.pop_front();
                }
                let Some(chat) = message.chat.and_then(|id| self.chat_mut(id)) else { return };
                if message.private {
                    return;
                }
                match &message.author {
                    Author::Client(_) | Author::Operator(_) => {
                        let kind = message.author.kind();
                        chat.last_author = Some(kind);
                        chat.last_activity_at = at;
                        if kind == AuthorKind::Client {
                            chat.unanswered_since.get_or_insert(at);
                        } else {
                            chat.unanswered_since = None;
                        }
                        for_each_metrics(chat, |m| m.on_message(kind, at));
                    }
                    Author::Bot(BotKind::AutoReply) => for_each_metrics(chat, |m| m.on_auto_reply(at)),
                    Author::Bot(_) | Author::System => {}
                }
            }
            Change::ChatReactivated { chat, status, splittable_from } => {
                let Some(c) = self.chat_mut(*chat) else { return };
                c.split = splittable_from.map(|from_seq| {
                    Box::new(SplitPoint {
                        from_seq,
                        prior_status: c.status,
                        prior_status_since: c.status_since,
                        prior_last_author: c.last_author,
                        prior_metrics: c.metrics.clone(),
                        fresh: Metrics::new(at),
                    })
                });
                c.phase = Phase::Active;
                c.status = *status;
                c.status_since = at;
                c.last_activity_at = at;
                c.metrics.finished_at = None;
            }
            Change::StatusSet { chat, status } => {
                if let Some(c) = self.chat_mut(*chat) {
                    if c.status == Status::OnHold && *status != Status::OnHold {
                        // Off hold, the inactivity timer starts afresh (SPEC 2.2).
                        c.last_activity_at = at;
                    }
                    c.status = *status;
                    c.status_since = at;
                }
            }
            Change::Assigned { chat, operator, via } => {
                let Some(c) = self.chat_mut(*chat) else { return };
                c.responsible = Some(operator.clone());
                c.assigned_via = Some(*via);
                c.assigned_at = Some(at);
                c.returned_from = None;
                c.forwarded = false;
                c.participants.retain(|p| p != operator);
                c.last_activity_at = at;
                for_each_metrics(c, |m| m.on_taken(at));
            }
            Change::Unassigned { chat } => {
                if let Some(c) = self.chat_mut(*chat) {
                    c.responsible = None;
                    c.assigned_via = None;
                    c.assigned_at = None;
                }
            }
            Change::Returned { chat, from } => {
                if let Some(c) = self.chat_mut(*chat) {
                    c.responsible = None;
                    c.assigned_via = None;
                    c.assigned_at = None;
                    c.returned_from = Some(from.clone());
                }
            }
            Change::LineSet { chat, line, forwarded } => {
                if let Some(c) = self.chat_mut(*chat) {
                    c.line = line.clone();
                    c.forwarded = *forwarded;
                }
            }
            Change::PinSet { chat, pinned } => {
                if let Some(c) = self.chat_mut(*chat) {
                    c.pinned = *pinned;
                }
            }
            Change::ParticipantAdded { chat, operator } => {
                if let Some(c) = self.chat_mut(*chat) {
                    c.participants.push(operator.clone());
                }
            }
            Change::ClosingStarted { chat, by: _, operator_rating } => {
                let Some(c) = self.chat_mut(*chat) else { return };
                c.phase = Phase::Closing;
                c.status = Status::Closed;
                c.status_since = at;
                c.split = None;
                c.operator_rating = operator_rating.or(c.operator_rating);
                c.metrics.operator_closed_at = Some(at);
            }
            Change::Voted { chat, score } => {
                if let Some(c) = self.chat_mut(*chat) {
                    c.client_rating = Some(*score);
                }
            }
            Change::Finished { chat, status, cause, operator_rating } => {
                let Some(c) = self.chat_mut(*chat) else { return };
                let by_operator = matches!(cause, FinishCause::Operator(_) | FinishCause::Spam(_));
                if by_operator && c.phase == Phase::Active {
                    c.metrics.operator_closed_at = Some(at);
                }
                c.phase = Phase::Finished;
                c.status = *status;
                c.status_since = at;
                c.split = None;
                c.forwarded = false;
                c.operator_rating = operator_rating.or(c.operator_rating);
                c.metrics.finished_at = Some(at);
            }
            Change::SplitOff { chat, new_chat } => self.apply_split(at, *chat, *new_chat),
            Change::MergedInto { chat, into } => self.apply_merge(at, *chat, *into),
            Change::FieldsUpdated { chat, update } => {
                if let Some(c) = self.chat_mut(*chat) {
                    update.apply_to(&mut c.fields);
                }
            }
            Change::Reviewed { chat, rating, comment } => {
                if let Some(c) = self.chat_mut(*chat) {
                    c.supervisor_rating = rating.or(c.supervisor_rating);
                    if let Some(comment) = comment {
                        c.supervisor_comment = (!comment.is_empty()).then(|| comment.clone());
                    }
                }
            }
            Change::AutomatedHeld { text } => self.held.push_back(text.clone()),
            Change::DeadlineSet { chat, timer, at: deadline } => {
                if let Some(c) = self.chat_mut(*chat) {
                    c.deadlines.set(*timer, *deadline);
                }
            }
        }
    }

    /// The old chat gets back its pre-reactivation state; the new chat carries everything since.
    fn apply_split(&mut self, at: Timestamp, chat: ChatId, new_chat: ChatId) {
        let Some(old) = self.chat_mut(chat) else { return };
        let Some(split) = old.split.take() else { return };
        let SplitPoint { prior_status, prior_status_since, prior_last_author, prior_metrics, fresh, .. } =
            *split;
        let status = if fresh.first_response_at.is_some() { Status::Open } else { Status::New };
        let mut new = Chat::new(new_chat, old.line.clone(), Direction::Incoming, status, at);
        new.responsible = old.responsible.clone();
        new.assigned_via = old.responsible.as_ref().map(|_| AssignVia::Split);
        new.assigned_at = old.assigned_at;
        new.unanswered_since = old.unanswered_since.take();
        new.pinned = old.pinned;
        new.page_url = old.page_url.clone();
        new.last_author = old.last_author;
        new.last_activity_at = old.last_activity_at;
        new.deadlines = old.deadlines;
        new.prev_chat = Some(chat);
        new.metrics = fresh;
        new.metrics.updated_at = at;
        old.phase = Phase::Finished;
        old.status = prior_status;
        old.status_since = prior_status_since;
        old.last_author = prior_last_author;
        old.metrics = prior_metrics;
        old.deadlines = Default::default();
        old.next_chat = Some(new_chat);
        self.push_chat(new);
    }

    /// Adds a chat. Most conversations hold one or a few chats, and a `Chat` is large: the first
    /// few get exactly the room they need instead of a `Vec`'s usual four slots at once (which
    /// made a one-chat conversation hold three empty chats' worth of memory).
    fn push_chat(&mut self, chat: Chat) {
        if self.chats.len() == self.chats.capacity() && self.chats.len() < 8 {
            self.chats.reserve_exact(1);
        }
        self.chats.push(chat);
    }

    /// The previous (closed) chat absorbs the merged one and becomes active/open.
    fn apply_merge(&mut self, at: Timestamp, chat: ChatId, into: ChatId) {
        let Some(merged) = self.chat_mut(chat) else { return };
        merged.merged_into = Some(into);
        merged.phase = Phase::Finished;
        merged.metrics.finished_at = Some(at);
        let taken = merged.clone();
        merged.deadlines = Default::default();
        let Some(prev) = self.chat_mut(into) else { return };
        prev.phase = Phase::Active;
        prev.status = Status::Open;
        prev.status_since = at;
        if taken.responsible.is_some() {
            prev.responsible = taken.responsible;
            prev.assigned_via = taken.assigned_via;
            prev.assigned_at = taken.assigned_at;
        }
        prev.unanswered_since = taken.unanswered_since;
        for p in taken.participants {
            if prev.responsible.as_ref() != Some(&p) && !prev.participants.contains(&p) {
                prev.participants.push(p);
            }
        }
        prev.last_author = taken.last_author.or(prev.last_author);
        prev.last_activity_at = taken.last_activity_at.max(prev.last_activity_at);
        prev.deadlines = taken.deadlines;
        prev.next_chat = taken.next_chat;
        prev.split = None;
        prev.metrics.absorb(&taken.metrics);
        prev.metrics.finished_at = None;
    }
}

/// The chats whose routing need an event may change (to stamp `queued_at` and `updated_at`).
fn watched_chats(change: &Change) -> [Option<ChatId>; 2] {
    match change {
        Change::SplitOff { chat, new_chat } => [Some(*chat), Some(*new_chat)],
        Change::MergedInto { chat, into } => [Some(*chat), Some(*into)],
        other => [other.chat(), None],
    }
}

/// Applies `f` to the chat's metrics and, while it is split-able, to the metrics since the
/// reactivation (the would-be split-off chat's).
fn for_each_metrics(chat: &mut Chat, mut f: impl FnMut(&mut Metrics)) {
    f(&mut chat.metrics);
    if let Some(split) = chat.split.as_mut() {
        f(&mut split.fresh);
    }
}
