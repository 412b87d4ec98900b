//! Reshaping and describing chats (SPEC 3.1, 6): split, merge with previous, descriptive
//! fields, pinning, supervisor review.

use crate::domain::command::Reply;
use crate::domain::error::DomainError;
use crate::domain::event::{Change, FieldsUpdate};
use crate::domain::ids::ChatId;
use crate::domain::status::{Phase, Status};
use crate::domain::text;

use super::handle::Draft;

impl Draft<'_, '_> {
    /// Moves the messages since the client's reactivation into a new chat.
    pub(super) fn split(&mut self, chat: ChatId) -> Result<Reply, DomainError> {
        let c = self.live_chat(chat, "split")?;
        if !(c.phase == Phase::Active && c.splittable()) {
            let state = format!("not split-able ({}, {})", c.phase.as_str(), c.status.as_str());
            return Err(DomainError::InvalidTransition { chat, state, action: "split".into() });
        }
        self.require_latest(chat)?;
        let new_chat = (self.ctx.next_chat_id)();
        self.emit(Change::SplitOff { chat, new_chat });
        Ok(Reply::NewChat(new_chat))
    }

    /// The latest, active chat goes back into the `closed` chat before it.
    pub(super) fn merge_previous(&mut self, chat: ChatId) -> Result<Reply, DomainError> {
        let c = self.live_chat(chat, "merge")?;
        let (phase, status, prev) = (c.phase, c.status, c.prev_chat);
        if phase != Phase::Active {
            let state = format!("{} ({})", phase.as_str(), status.as_str());
            return Err(DomainError::InvalidTransition {
                chat,
                state,
                action: "merge with the previous chat".into(),
            });
        }
        self.require_latest(chat)?;
        let prev_closed = prev
            .and_then(|p| self.state.chat(p))
            .filter(|p| p.phase == Phase::Finished && p.status == Status::Closed);
        let Some(into) = prev_closed.map(|p| p.id) else {
            let state = "not after a closed chat".to_string();
            return Err(DomainError::InvalidTransition {
                chat,
                state,
                action: "merge with the previous chat".into(),
            });
        };
        self.emit(Change::MergedInto { chat, into });
        Ok(Reply::MergedInto(into))
    }

    /// Descriptive fields (checked against `[dialogs]`) and pinning to the responsible.
    pub(super) fn update_chat(
        &mut self,
        chat: ChatId,
        fields: FieldsUpdate,
        pinned: Option<bool>,
    ) -> Result<Reply, DomainError> {
        self.check_dialog_values(&fields)?;
        let c = self.live_chat(chat, "update")?;
        if pinned == Some(true) && c.responsible.is_none() {
            let state = "without a responsible".to_string();
            return Err(DomainError::InvalidTransition { chat, state, action: "pin".into() });
        }
        let pin_change = pinned.filter(|p| *p != c.pinned);
        if !fields.is_empty() {
            self.emit(Change::FieldsUpdated { chat, update: fields });
        }
        if let Some(pinned) = pin_change {
            self.emit(Change::PinSet { chat, pinned });
        }
        Ok(Reply::Done)
    }

    fn check_dialog_values(&self, fields: &FieldsUpdate) -> Result<(), DomainError> {
        let dialogs = &self.ctx.settings.dialogs;
        let allowed =
            |key: &str, values: &[String], list: &[String]| match values.iter().find(|v| !list.contains(v)) {
                Some(bad) => Err(DomainError::BadRequest(format!("{key}: {bad:?} is not one of {list:?}"))),
                None => Ok(()),
            };
        if let Some(rt) = fields.request_type.as_ref().filter(|s| !s.is_empty()) {
            allowed("request_type", std::slice::from_ref(rt), &dialogs.request_types)?;
        }
        if let Some(reasons) = &fields.reasons {
            allowed("reasons", reasons, &dialogs.reasons)?;
        }
        if let Some(components) = &fields.components {
            allowed("components", components, &dialogs.components)?;
        }
        if let Some(subject) = &fields.subject {
            text::check_subject(subject)?;
        }
        Ok(())
    }

    /// A supervisor's rating (1-5) and comment, at any time.
    pub(super) fn review(
        &mut self,
        chat: ChatId,
        rating: Option<u8>,
        comment: Option<String>,
    ) -> Result<Reply, DomainError> {
        if rating.is_some_and(|r| !(1..=5).contains(&r)) {
            return Err(DomainError::BadRequest("supervisor_rating must be 1 to 5".into()));
        }
        if rating.is_none() && comment.is_none() {
            return Err(DomainError::BadRequest("give supervisor_rating and/or supervisor_comment".into()));
        }
        if let Some(comment) = &comment {
            text::check_supervisor_comment(comment)?;
        }
        self.live_chat(chat, "review")?;
        self.emit(Change::Reviewed { chat, rating, comment });
        Ok(Reply::Done)
    }
}
