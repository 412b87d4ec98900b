//! Status and phase changes (SPEC 2): manual statuses, finishing, spam, reopening, voting, and
//! what the timers do when they fire.

use crate::domain::cause::Cause;
use crate::domain::chat::Timer;
use crate::domain::command::Reply;
use crate::domain::error::DomainError;
use crate::domain::event::{Change, FinishCause};
use crate::domain::ids::{ChatId, OperatorId};
use crate::domain::settings::ChannelKind;
use crate::domain::status::{AssignVia, AuthorKind, Phase, Status};

use super::handle::Draft;
use super::rule_actions::Trig;

/// Describes a chat's state for an `invalid_transition` message.
fn state_words(phase: Phase, status: Status) -> String {
    match phase {
        Phase::Finished => format!("finished ({})", status.as_str()),
        other => format!("{} ({})", other.as_str(), status.as_str()),
    }
}

impl Draft<'_, '_> {
    fn invalid(&self, chat: ChatId, action: &'static str) -> DomainError {
        let state = self.state.chat(chat).map_or_else(String::new, |c| state_words(c.phase, c.status));
        DomainError::InvalidTransition { chat, state, action: action.into() }
    }

    /// SPEC 2.0. Also used by the `set_status` rule action (which skips refusals).
    pub(super) fn set_status(&mut self, chat: ChatId, status: Status) -> Result<Reply, DomainError> {
        if !status.is_manual() {
            return Err(DomainError::BadRequest(format!(
                "status must be open, pending or on_hold, not {}",
                status.as_str()
            )));
        }
        let c = self.live_chat(chat, "set a status")?;
        let (phase, before) = (c.phase, c.status);
        if !c.accepts_manual_status() {
            return Err(self.invalid(chat, "set a status"));
        }
        if before != status {
            self.emit(Change::StatusSet { chat, status });
            self.run_rules(Trig::changed(chat, before, phase, None));
        }
        Ok(Reply::Done)
    }

    /// SPEC 2.1 and 2.3.
    pub(super) fn finish(
        &mut self,
        by: OperatorId,
        chat: ChatId,
        status: Status,
        operator_rating: Option<u8>,
        request_vote: Option<bool>,
    ) -> Result<Reply, DomainError> {
        if !status.is_finish_status() {
            return Err(DomainError::BadRequest(format!(
                "finish status must be open, pending or closed, not {}",
                status.as_str()
            )));
        }
        if operator_rating.is_some_and(|r| !(1..=3).contains(&r)) {
            return Err(DomainError::BadRequest("operator_rating must be 1, 2 or 3".into()));
        }
        let c = self.live_chat(chat, "finish")?;
        let before = (c.status, c.phase);
        if c.phase != Phase::Active {
            return Err(self.invalid(chat, "finish"));
        }
        let channel = self.channel()?;
        let votes = status == Status::Closed
            && channel.kind != ChannelKind::Email
            && request_vote.unwrap_or(self.ctx.settings.rating.enabled);
        if votes {
            self.emit(Change::ClosingStarted { chat, by, operator_rating });
        } else {
            self.emit(Change::Finished { chat, status, cause: FinishCause::Operator(by), operator_rating });
        }
        self.run_rules(Trig::changed(chat, before.0, before.1, None));
        Ok(Reply::Done)
    }

    pub(super) fn force_finish(&mut self, by: OperatorId, chat: ChatId) -> Result<Reply, DomainError> {
        let c = self.live_chat(chat, "force-finish")?;
        let before = (c.status, c.phase);
        if c.phase == Phase::Finished {
            return Err(self.invalid(chat, "force-finish"));
        }
        self.emit(Change::Finished {
            chat,
            status: Status::Spam,
            cause: FinishCause::Spam(by),
            operator_rating: None,
        });
        self.run_rules(Trig::changed(chat, before.0, before.1, None));
        Ok(Reply::Done)
    }

    /// An operator reopens the latest chat when it is `closed`: active/open, theirs.
    pub(super) fn reopen(&mut self, by: OperatorId, chat: ChatId) -> Result<Reply, DomainError> {
        self.require_operator(&by)?;
        let c = self.live_chat(chat, "reopen")?;
        let responsible = c.responsible.clone();
        if !(c.phase == Phase::Finished && c.status == Status::Closed) {
            return Err(self.invalid(chat, "reopen"));
        }
        self.require_latest(chat)?;
        self.emit(Change::ChatReactivated { chat, status: Status::Open, splittable_from: None });
        if responsible.as_ref() != Some(&by) {
            self.emit(Change::Assigned { chat, operator: by, via: AssignVia::Take });
        }
        self.run_rules(Trig::changed(chat, Status::Closed, Phase::Finished, None).reactivated());
        Ok(Reply::Done)
    }

    /// The client's vote records the rating and finishes the chat (SPEC 2.3).
    pub(super) fn vote(&mut self, chat: ChatId, score: u8) -> Result<Reply, DomainError> {
        if !(1..=3).contains(&score) {
            return Err(DomainError::BadRequest("score must be 1, 2 or 3".into()));
        }
        let c = self.live_chat(chat, "vote")?;
        if c.phase != Phase::Closing {
            return Err(self.invalid(chat, "vote"));
        }
        self.emit(Change::Voted { chat, score });
        self.emit(Change::Finished {
            chat,
            status: Status::Closed,
            cause: FinishCause::Vote,
            operator_rating: None,
        });
        Ok(Reply::Done)
    }

    /// Acts on every deadline at or before now that the chat's state and the current
    /// configuration still call for (a stale one is only re-armed by `settle`). Timers finish
    /// chats with `open`/`pending`, close finished `pending` chats (the optional auto-close) and
    /// take unanswered chats back to the queue; they never set `spam`.
    pub(super) fn timer_fired(&mut self) -> Result<Reply, DomainError> {
        let now = self.ctx.now;
        let due: Vec<_> = self
            .state
            .chats
            .iter()
            .flat_map(|c| {
                let called_for = c.due_deadlines(&self.timers(c));
                Timer::ALL
                    .into_iter()
                    .filter(move |t| {
                        c.deadlines.get(*t).is_some_and(|d| d <= now)
                            && called_for.get(*t).is_some_and(|d| d <= now)
                    })
                    .map(|t| (c.id, t))
            })
            .collect();
        for (chat, timer) in due {
            let Some(c) = self.state.chat(chat) else { continue };
            let before = (c.status, c.phase);
            self.by = Cause::timer(timer);
            match timer {
                Timer::Inactivity if c.phase == Phase::Active && c.responsible.is_some() => {
                    let status = if c.last_author == Some(AuthorKind::Operator) {
                        Status::Pending
                    } else {
                        Status::Open
                    };
                    self.emit(Change::Finished {
                        chat,
                        status,
                        cause: FinishCause::Inactivity,
                        operator_rating: None,
                    });
                }
                Timer::Voting if c.phase == Phase::Closing => {
                    let change = Change::Finished {
                        chat,
                        status: Status::Closed,
                        cause: FinishCause::VotingTimeout,
                        operator_rating: None,
                    };
                    self.emit(change);
                }
                Timer::AutoClose if c.phase == Phase::Finished && c.status == Status::Pending => {
                    self.emit(Change::StatusSet { chat, status: Status::Closed });
                }
                Timer::Reassign if c.phase == Phase::Active => {
                    let Some(from) = c.responsible.clone() else { continue };
                    if c.pinned {
                        self.emit(Change::PinSet { chat, pinned: false });
                    }
                    self.emit(Change::Returned { chat, from });
                }
                _ => continue, // stale: `settle` re-arms from the state
            }
            self.run_rules(Trig::changed(chat, before.0, before.1, None));
        }
        self.by = Cause::System;
        Ok(Reply::Done)
    }
}
