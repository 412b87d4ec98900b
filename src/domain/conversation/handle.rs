//! `Conversation::handle`: validates a command against the state and decides its events.
//!
//! A command works on a draft copy: every event is applied to the draft as it is emitted, so
//! later steps (rules, reactivation routing, settling) see the state the earlier ones made. A
//! refused command returns an error and emits nothing. The actor persists the events and only
//! then adopts the draft as its state. Every event is emitted with its cause (the command's
//! author, or the rule or timer acting): the fan-out names it in the notices.

use crate::domain::cause::Cause;
use crate::domain::chat::{Chat, Timer};
use crate::domain::command::{Command, Reply};
use crate::domain::directory::Directory;
use crate::domain::error::DomainError;
use crate::domain::event::{Author, BotKind, Change, Event, Message};
use crate::domain::ids::{ChatId, LineId, OperatorId, Seq, Timestamp};
use crate::domain::settings::{Channel, Settings};

use super::state::Conversation;

/// What a command is decided against, besides the state: time, configuration, live facts and
/// the installation-wide chat numbering.
pub struct Ctx<'a> {
    /// Now.
    pub now: Timestamp,
    /// Configuration.
    pub settings: &'a Settings,
    /// Live facts (presence, capacity).
    pub directory: &'a dyn Directory,
    /// Allocates the next chat number.
    pub next_chat_id: &'a mut dyn FnMut() -> ChatId,
}

/// The result of a successful command.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The events to persist, in order.
    pub events: Vec<Event>,
    /// Who or what caused each event (same order as `events`): for notices, not persisted.
    pub causes: Vec<Cause>,
    /// Ack fields.
    pub reply: Reply,
    /// The state after the events (equal to applying them to the state before).
    pub state: Conversation,
}

impl Conversation {
    /// Decides `command`. The state is not changed; see [`Outcome`].
    pub fn handle(&self, command: Command, ctx: &mut Ctx<'_>) -> Result<Outcome, DomainError> {
        let by = Cause::of_command(&command);
        let mut draft = Draft { state: self.clone(), events: Vec::new(), causes: Vec::new(), by, ctx };
        let reply = draft.dispatch(command)?;
        draft.settle();
        Ok(Outcome { events: draft.events, causes: draft.causes, reply, state: draft.state })
    }
}

/// A conversation being changed by one command.
pub(super) struct Draft<'c, 'a> {
    pub(super) state: Conversation,
    pub(super) events: Vec<Event>,
    /// The cause of each of `events`.
    pub(super) causes: Vec<Cause>,
    /// The cause of the events emitted now: the command's, or the rule or timer acting.
    pub(super) by: Cause,
    pub(super) ctx: &'c mut Ctx<'a>,
}

impl Draft<'_, '_> {
    fn dispatch(&mut self, command: Command) -> Result<Reply, DomainError> {
        match command {
            Command::ClientMessage { text, client_msg_id, name, page_url } => {
                self.client_message(text, client_msg_id, name, page_url)
            }
            Command::OperatorMessage { by, chat, text, client_msg_id } => {
                self.operator_message(by, chat, text, client_msg_id)
            }
            Command::Note { by, chat, text } => self.note(by, chat, text),
            Command::Take { by, chat } => self.take(by, chat, crate::domain::status::AssignVia::Take),
            Command::Accept { by, chat } => self.take(by, chat, crate::domain::status::AssignVia::Accept),
            Command::SetStatus { by: _, chat, status } => self.set_status(chat, status),
            Command::Finish { by, chat, status, operator_rating, request_vote } => {
                self.finish(by, chat, status, operator_rating, request_vote)
            }
            Command::ForceFinish { by, chat } => self.force_finish(by, chat),
            Command::Reopen { by, chat } => self.reopen(by, chat),
            Command::Forward { by: _, chat, to } => self.forward(chat, to),
            Command::Invite { by: _, chat, operator } => self.invite(chat, operator),
            Command::Split { by: _, chat } => self.split(chat),
            Command::MergePrevious { by: _, chat } => self.merge_previous(chat),
            Command::UpdateChat { by: _, chat, fields, pinned } => self.update_chat(chat, fields, pinned),
            Command::Review { by: _, chat, rating, comment } => self.review(chat, rating, comment),
            Command::Vote { chat, score } => self.vote(chat, score),
            Command::Automated { kind, text } => self.automated(kind, text),
            Command::TimerFired => self.timer_fired(),
        }
    }

    /// Applies `change` to the draft and records it.
    pub(super) fn emit(&mut self, change: Change) {
        let event = Event::new(self.ctx.now, change);
        self.state.apply(&event);
        self.events.push(event);
        self.causes.push(self.by.clone());
    }

    /// Stores a message and returns its seq.
    pub(super) fn append(
        &mut self,
        chat: Option<ChatId>,
        author: Author,
        text: String,
        extra: MessageExtra,
    ) -> Seq {
        let seq = self.state.last_seq + 1;
        self.emit(Change::MessageAppended(Message {
            seq,
            chat,
            author,
            text,
            client_msg_id: extra.client_msg_id,
            private: extra.private,
            from_held: extra.from_held,
        }));
        seq
    }

    /// Opens a chat in the channel's line and returns its number.
    pub(super) fn open_chat(&mut self, spec: NewChat) -> Result<ChatId, DomainError> {
        let line = self.channel()?.line.clone();
        let chat = (self.ctx.next_chat_id)();
        let prev_chat = self.state.latest().map(|c| c.id);
        self.emit(Change::ChatOpened {
            chat,
            line,
            direction: spec.direction,
            status: spec.status,
            responsible: spec.responsible,
            prev_chat,
            page_url: spec.page_url,
        });
        Ok(chat)
    }

    /// The timer lengths that apply to `chat` (its channel's and its line's).
    pub(super) fn timers(&self, chat: &Chat) -> crate::domain::settings::ChatTimers {
        self.ctx.settings.timers_for(&self.state.id.channel, &chat.line)
    }

    /// The conversation's channel.
    pub(super) fn channel(&self) -> Result<&Channel, DomainError> {
        let id = &self.state.id.channel;
        self.ctx.settings.channel(id).ok_or_else(|| DomainError::BadRequest(format!("unknown channel {id}")))
    }

    /// The chat `id` of this conversation.
    pub(super) fn chat(&self, id: ChatId) -> Result<&Chat, DomainError> {
        self.state.chat(id).ok_or(DomainError::ChatNotFound(id))
    }

    /// The chat `id`, which must not have been merged away.
    pub(super) fn live_chat(&self, id: ChatId, action: &'static str) -> Result<&Chat, DomainError> {
        let chat = self.chat(id)?;
        match chat.merged_into {
            Some(into) => Err(DomainError::InvalidTransition {
                chat: id,
                state: format!("merged into {into}"),
                action: action.into(),
            }),
            None => Ok(chat),
        }
    }

    /// Fails with `conflict` unless `id` is the latest chat.
    pub(super) fn require_latest(&self, id: ChatId) -> Result<(), DomainError> {
        match self.state.latest() {
            Some(latest) if latest.id != id => Err(DomainError::Conflict { chat: id, latest: latest.id }),
            _ => Ok(()),
        }
    }

    /// Fails with `not_found` unless the operator is configured.
    pub(super) fn require_operator(&self, id: &OperatorId) -> Result<(), DomainError> {
        match self.ctx.settings.operator(id) {
            Some(_) => Ok(()),
            None => Err(DomainError::OperatorNotFound(id.clone())),
        }
    }

    /// Fails with `not_found` unless the line is configured.
    pub(super) fn require_line(&self, id: &LineId) -> Result<(), DomainError> {
        match self.ctx.settings.lines.get(id) {
            Some(_) => Ok(()),
            None => Err(DomainError::LineNotFound(id.clone())),
        }
    }

    /// After every command: deliver held campaign messages once nothing holds them, and bring
    /// every chat's armed deadlines in line with what its state calls for.
    fn settle(&mut self) {
        if !self.state.holds_automated() {
            while let Some(text) = self.state.held.front().cloned() {
                let chat = self.state.latest().map(|c| c.id);
                self.append(chat, Author::Bot(BotKind::Campaign), text, MessageExtra::held());
            }
        }
        let mut changes = Vec::new();
        for chat in &self.state.chats {
            let due = chat.due_deadlines(&self.timers(chat));
            for timer in Timer::ALL {
                if chat.deadlines.get(timer) != due.get(timer) {
                    changes.push(Change::DeadlineSet { chat: chat.id, timer, at: due.get(timer) });
                }
            }
        }
        for change in changes {
            self.emit(change);
        }
    }
}

/// How a new chat starts.
pub(super) struct NewChat {
    pub(super) direction: crate::domain::status::Direction,
    pub(super) status: crate::domain::status::Status,
    pub(super) responsible: Option<OperatorId>,
    pub(super) page_url: Option<String>,
}

/// Message flags beyond chat, author and text.
#[derive(Default)]
pub(super) struct MessageExtra {
    pub(super) client_msg_id: Option<String>,
    pub(super) private: bool,
    pub(super) from_held: bool,
}

impl MessageExtra {
    pub(super) fn keyed(client_msg_id: Option<String>) -> Self {
        Self { client_msg_id, ..Self::default() }
    }

    pub(super) fn note() -> Self {
        Self { private: true, ..Self::default() }
    }

    pub(super) fn held() -> Self {
        Self { from_held: true, ..Self::default() }
    }
}

/// Refuses empty (whitespace-only) text.
pub(super) fn require_text(text: &str) -> Result<(), DomainError> {
    if text.trim().is_empty() {
        Err(DomainError::BadRequest("text must not be empty".into()))
    } else {
        Ok(())
    }
}
