//! Scope of HTTP callers (SPEC 8), checked before any state: an `operator` sees chats of their
//! lines, chats they are responsible for or a participant of, and chats in their New tab (an
//! overflowed chat of another line); supervisors and admins see all. A chat outside the
//! caller's scope is answered exactly like a chat that does not exist (`not_found`), so its
//! existence is not leaked.

use crate::actors::board::Board;
use crate::auth::Identity;
use crate::domain::{ChatId, ChatView, Settings};
use crate::server::AppState;
use crate::store::Scope;

use super::error::ApiError;

/// The dialog-list scope of `caller`: `None` = everything (supervisors, admins).
pub fn list_scope(settings: &Settings, caller: &Identity) -> Option<Scope> {
    if caller.role.sees_all() {
        return None;
    }
    let lines = settings.operator(&caller.operator).map(|o| o.lines.clone()).unwrap_or_default();
    Some(Scope { operator: caller.operator.clone(), lines })
}

/// Whether `caller` may see `chat` (the rule of [`crate::domain::access::may_act`], on a view).
pub fn may_see(settings: &Settings, board: &Board, caller: &Identity, chat: &ChatView) -> bool {
    if caller.role.sees_all() {
        return true;
    }
    let me = &caller.operator;
    settings.operator_in_line(me, &chat.line)
        || chat.responsible.as_ref() == Some(me)
        || chat.participants.contains(me)
        || board.watchers(chat.id).contains(me)
}

/// Refuses (`forbidden`) a caller who is not a supervisor or an admin; `what` names what is
/// theirs ("parked webhook deliveries are for supervisors and admins").
pub fn supervisors_only(caller: &Identity, what: &str) -> Result<(), ApiError> {
    if caller.role.sees_all() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("{what} are for supervisors and admins")))
    }
}

/// The `not_found` answer for a chat that does not exist or is out of scope.
pub fn chat_not_found(id: ChatId) -> ApiError {
    ApiError::not_found(format!("chat {id} not found"))
}

/// The chat `id` as stored, if it exists and `caller` may see it; `not_found` otherwise.
pub async fn visible_chat(state: &AppState, caller: &Identity, id: ChatId) -> Result<ChatView, ApiError> {
    let shared = &state.node.shared;
    match shared.store.chat(id).await? {
        Some(chat) if may_see(&state.config.settings, &shared.board, caller, &chat) => Ok(chat),
        _ => Err(chat_not_found(id)),
    }
}
