//! New messages into a conversation (SPEC 3, 5, 5.1): the client's, an operator's, private
//! notes and automated messages. Each row of the SPEC 3 table is one arm here.

use crate::domain::command::{AutomatedKind, AutomatedOutcome, Reply};
use crate::domain::error::DomainError;
use crate::domain::event::{Author, BotKind, Change, FinishCause};
use crate::domain::ids::{ChatId, OperatorId};
use crate::domain::status::{AssignVia, Direction, Phase, Status};
use crate::domain::text;

use super::handle::{require_text, Draft, MessageExtra, NewChat};
use super::rule_actions::Trig;

impl Draft<'_, '_> {
    pub(super) fn client_message(
        &mut self,
        text: String,
        client_msg_id: Option<String>,
        name: Option<String>,
        page_url: Option<String>,
    ) -> Result<Reply, DomainError> {
        require_text(&text)?;
        // The edges check these too; this is the backstop for every way in.
        if let Some(name) = &name {
            text::check_client_name(name)?;
        }
        if let Some(url) = &page_url {
            text::check_page_url(url)?;
        }
        let reopen_closed = self.channel()?.reopen_closed;
        if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
            if self.state.client_name.as_deref() != Some(name.as_str()) {
                self.emit(Change::ClientNamed { name });
            }
        }
        let author = Author::Client(self.state.id.client.clone());
        let extra = MessageExtra::keyed(client_msg_id);
        let Some(latest) = self.state.latest() else {
            return self.client_opens_chat(author, text, extra, page_url);
        };
        let (id, phase, status) = (latest.id, latest.phase, latest.status);
        match (phase, status) {
            (Phase::Active, _) => {
                let seq = self.append(Some(id), author.clone(), text, extra);
                if matches!(status, Status::Pending | Status::OnHold) {
                    self.emit(Change::StatusSet { chat: id, status: Status::Open });
                }
                self.run_rules(Trig::changed(id, status, phase, Some(author)));
                self.route_stranded(id);
                Ok(Reply::Stored { chat: Some(id), seq })
            }
            (Phase::Closing, _) => {
                // SPEC 2.3: a non-vote message ends the vote; then it is a message after `closed`.
                self.emit(Change::Finished {
                    chat: id,
                    status: Status::Closed,
                    cause: FinishCause::ClientMessage,
                    operator_rating: None,
                });
                if reopen_closed {
                    self.client_reactivates(id, Status::Closed, author, text, extra)
                } else {
                    self.client_opens_chat(author, text, extra, page_url)
                }
            }
            (Phase::Finished, Status::Open | Status::Pending | Status::OnHold) => {
                self.client_reactivates(id, status, author, text, extra)
            }
            (Phase::Finished, Status::Closed) if reopen_closed => {
                self.client_reactivates(id, status, author, text, extra)
            }
            (Phase::Finished, _) => self.client_opens_chat(author, text, extra, page_url),
        }
    }

    /// A new incoming chat, chained after the latest one if any.
    fn client_opens_chat(
        &mut self,
        author: Author,
        text: String,
        extra: MessageExtra,
        page_url: Option<String>,
    ) -> Result<Reply, DomainError> {
        let chat = self.open_chat(NewChat {
            direction: Direction::Incoming,
            status: Status::New,
            responsible: None,
            page_url,
        })?;
        let seq = self.append(Some(chat), author.clone(), text, extra);
        self.run_rules(Trig::incoming(chat, Some(author)));
        Ok(Reply::Stored { chat: Some(chat), seq })
    }

    /// The same chat comes back (`open`), split-able from this message; then `changed` rules,
    /// then reactivation routing (SPEC 3).
    fn client_reactivates(
        &mut self,
        chat: ChatId,
        status_before: Status,
        author: Author,
        text: String,
        extra: MessageExtra,
    ) -> Result<Reply, DomainError> {
        let splittable_from = Some(self.state.last_seq + 1);
        self.emit(Change::ChatReactivated { chat, status: Status::Open, splittable_from });
        let seq = self.append(Some(chat), author.clone(), text, extra);
        self.run_rules(Trig::changed(chat, status_before, Phase::Finished, Some(author)).reactivated());
        self.route_reactivated(chat);
        Ok(Reply::Stored { chat: Some(chat), seq })
    }

    /// A pinned responsible who can take it now keeps the chat (straight to My); otherwise the
    /// responsible is cleared and the chat goes through the supervisor like a new one.
    fn route_reactivated(&mut self, chat: ChatId) {
        let Some(c) = self.state.chat(chat) else { return };
        if c.phase != Phase::Active {
            return; // a rule finished it again
        }
        let Some(responsible) = c.responsible.clone() else { return };
        if c.pinned && self.ctx.directory.can_receive_pinned(&responsible) {
            self.emit(Change::Assigned { chat, operator: responsible, via: AssignVia::Pinned });
        } else {
            self.emit(Change::Unassigned { chat });
        }
    }

    /// No stranded client (SPEC 4): a client writing into an active chat whose responsible is
    /// offline (after the grace) sends it back to its line, routed like a new chat.
    fn route_stranded(&mut self, chat: ChatId) {
        let Some(c) = self.state.chat(chat) else { return };
        if c.phase != Phase::Active {
            return; // a rule finished it
        }
        let Some(responsible) = &c.responsible else { return };
        if self.ctx.directory.is_offline(responsible) {
            self.emit(Change::Unassigned { chat });
        }
    }

    pub(super) fn operator_message(
        &mut self,
        by: OperatorId,
        chat: Option<ChatId>,
        text: String,
        client_msg_id: Option<String>,
    ) -> Result<Reply, DomainError> {
        require_text(&text)?;
        self.require_operator(&by)?;
        if let Some(named) = chat {
            self.live_chat(named, "write")?;
            self.require_latest(named)?;
        }
        let author = Author::Operator(by.clone());
        let extra = MessageExtra::keyed(client_msg_id);
        let Some(latest) = self.state.latest() else {
            return self.operator_opens_chat(by, author, text, extra);
        };
        let (id, phase, status, unassigned) =
            (latest.id, latest.phase, latest.status, latest.responsible.is_none());
        match (phase, status) {
            (Phase::Active, _) => {
                let seq = self.append(Some(id), author.clone(), text, extra);
                if status == Status::New {
                    self.emit(Change::StatusSet { chat: id, status: Status::Open });
                }
                if unassigned {
                    self.emit(Change::Assigned { chat: id, operator: by, via: AssignVia::Wrote });
                }
                self.run_rules(Trig::changed(id, status, phase, Some(author)));
                Ok(Reply::Stored { chat: Some(id), seq })
            }
            (Phase::Closing, _) => {
                let seq = self.append(Some(id), author.clone(), text, extra);
                self.run_rules(Trig::changed(id, status, phase, Some(author)));
                Ok(Reply::Stored { chat: Some(id), seq })
            }
            (Phase::Finished, Status::Open | Status::Pending | Status::OnHold) => {
                self.emit(Change::ChatReactivated { chat: id, status, splittable_from: None });
                if unassigned {
                    self.emit(Change::Assigned { chat: id, operator: by, via: AssignVia::Wrote });
                }
                let seq = self.append(Some(id), author.clone(), text, extra);
                self.run_rules(Trig::changed(id, status, phase, Some(author)).reactivated());
                Ok(Reply::Stored { chat: Some(id), seq })
            }
            (Phase::Finished, _) => self.operator_opens_chat(by, author, text, extra),
        }
    }

    /// A new outgoing chat: open, the writer responsible and pinned.
    fn operator_opens_chat(
        &mut self,
        by: OperatorId,
        author: Author,
        text: String,
        extra: MessageExtra,
    ) -> Result<Reply, DomainError> {
        let spec = NewChat {
            direction: Direction::Outgoing,
            status: Status::Open,
            responsible: Some(by),
            page_url: None,
        };
        let chat = self.open_chat(spec)?;
        let seq = self.append(Some(chat), author.clone(), text, extra);
        self.run_rules(Trig::incoming(chat, Some(author)));
        Ok(Reply::Stored { chat: Some(chat), seq })
    }

    pub(super) fn note(&mut self, by: OperatorId, chat: ChatId, text: String) -> Result<Reply, DomainError> {
        require_text(&text)?;
        self.require_operator(&by)?;
        self.live_chat(chat, "add a note")?;
        let seq = self.append(Some(chat), Author::Operator(by), text, MessageExtra::note());
        Ok(Reply::Stored { chat: Some(chat), seq })
    }

    pub(super) fn automated(&mut self, kind: AutomatedKind, text: String) -> Result<Reply, DomainError> {
        require_text(&text)?;
        let outcome = match (self.state.holds_automated(), kind) {
            (true, AutomatedKind::Campaign) => {
                self.emit(Change::AutomatedHeld { text });
                AutomatedOutcome::Queued
            }
            (true, AutomatedKind::Bot) => AutomatedOutcome::Dropped,
            (false, _) => {
                let bot = match kind {
                    AutomatedKind::Campaign => BotKind::Campaign,
                    AutomatedKind::Bot => BotKind::Bot,
                };
                let chat = self.state.latest().map(|c| c.id);
                self.append(chat, Author::Bot(bot), text, MessageExtra::default());
                AutomatedOutcome::Delivered
            }
        };
        Ok(Reply::Automated(outcome))
    }
}
