//! Who handles a chat (SPEC 4): take/accept, forward, invite. Offers, queues and capacity live
//! in the supervisor; the conversation records the outcome and arbitrates races: of two takes
//! of one chat exactly one finds it unassigned.

use crate::domain::command::Reply;
use crate::domain::error::DomainError;
use crate::domain::event::{Change, ForwardTarget};
use crate::domain::ids::{ChatId, OperatorId};
use crate::domain::status::{AssignVia, Phase};

use super::handle::Draft;
use super::rule_actions::Trig;

impl Draft<'_, '_> {
    /// `take` (New tab) or `accept` (an offer): the chat becomes the operator's.
    pub(super) fn take(
        &mut self,
        by: OperatorId,
        chat: ChatId,
        via: AssignVia,
    ) -> Result<Reply, DomainError> {
        self.require_operator(&by)?;
        let c = self.live_chat(chat, "take")?;
        let (status, phase) = (c.status, c.phase);
        if phase != Phase::Active {
            let state = format!("{} ({})", phase.as_str(), status.as_str());
            return Err(DomainError::InvalidTransition { chat, state, action: "take".into() });
        }
        match &c.responsible {
            Some(owner) if *owner == by => Ok(Reply::Done),
            Some(owner) => Err(DomainError::AlreadyTaken { chat, by: owner.clone() }),
            None => {
                self.emit(Change::Assigned { chat, operator: by, via });
                self.run_rules(Trig::changed(chat, status, phase, None));
                Ok(Reply::Done)
            }
        }
    }

    /// To an operator (theirs at once) or to a line (queued there until taken). Clears `pinned`.
    pub(super) fn forward(&mut self, chat: ChatId, to: ForwardTarget) -> Result<Reply, DomainError> {
        match &to {
            ForwardTarget::Operator(op) => self.require_operator(op)?,
            ForwardTarget::Line(line) => self.require_line(line)?,
        }
        let c = self.live_chat(chat, "forward")?;
        if let ForwardTarget::Operator(op) = &to {
            if self.ctx.directory.is_offline(op) && c.responsible.as_ref() != Some(op) {
                return Err(DomainError::OperatorOffline { operator: op.clone(), chat });
            }
        }
        let (status, phase, pinned, responsible) = (c.status, c.phase, c.pinned, c.responsible.clone());
        if phase != Phase::Active {
            let state = format!("{} ({})", phase.as_str(), status.as_str());
            return Err(DomainError::InvalidTransition { chat, state, action: "forward".into() });
        }
        if pinned {
            self.emit(Change::PinSet { chat, pinned: false });
        }
        match to {
            ForwardTarget::Operator(operator) => {
                if responsible.as_ref() != Some(&operator) {
                    self.emit(Change::Assigned { chat, operator, via: AssignVia::Forward });
                }
            }
            ForwardTarget::Line(line) => {
                if responsible.is_some() {
                    self.emit(Change::Unassigned { chat });
                }
                self.emit(Change::LineSet { chat, line, forwarded: true });
            }
        }
        self.run_rules(Trig::changed(chat, status, phase, None));
        Ok(Reply::Done)
    }

    /// Adds a participant to an unfinished chat.
    pub(super) fn invite(&mut self, chat: ChatId, operator: OperatorId) -> Result<Reply, DomainError> {
        self.require_operator(&operator)?;
        let c = self.live_chat(chat, "invite")?;
        if c.phase == Phase::Finished {
            let state = format!("finished ({})", c.status.as_str());
            return Err(DomainError::InvalidTransition { chat, state, action: "invite".into() });
        }
        if !c.involves(&operator) {
            self.emit(Change::ParticipantAdded { chat, operator });
        }
        Ok(Reply::Done)
    }
}
