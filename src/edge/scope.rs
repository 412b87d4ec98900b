//! Scope at the edges (SPEC 8), checked before any state, with the domain's one rule
//! ([`crate::domain::access`]): an operator sees chats of their lines, chats they are
//! responsible for or a participant of, and chats in their New tab (an overflowed chat of
//! another line); supervisors and admins see all. A chat outside the caller's scope is answered
//! exactly like a chat that does not exist (`not_found`), so its existence is not leaked.

use crate::auth::Identity;
use crate::domain::{access, ChatId, ChatView, Settings};
use crate::store::Scope;

use super::error::EdgeError;
use super::state::AppState;

/// The dialog-list scope of `caller`: `None` = everything (supervisors, admins).
pub fn list_scope(settings: &Settings, caller: &Identity) -> Option<Scope> {
    if access::sees_all(settings, &caller.operator) {
        return None;
    }
    let lines = settings.operator(&caller.operator).map(|o| o.lines.clone()).unwrap_or_default();
    Some(Scope { operator: caller.operator.clone(), lines })
}

/// Refuses (`forbidden`) a caller who is not a supervisor or an admin; `what` names what is
/// theirs ("parked webhook deliveries").
pub fn supervisors_only(settings: &Settings, caller: &Identity, what: &str) -> Result<(), EdgeError> {
    if access::sees_all(settings, &caller.operator) {
        Ok(())
    } else {
        Err(EdgeError::forbidden(format!("{what} are for supervisors and admins")))
    }
}

/// The `not_found` answer for a chat that does not exist or is out of scope.
pub fn chat_not_found(id: ChatId) -> EdgeError {
    EdgeError::not_found(format!("chat {id} not found"))
}

/// The chat `id` as stored, if it exists and `caller` may see it; `not_found` otherwise.
pub async fn visible_chat(state: &AppState, caller: &Identity, id: ChatId) -> Result<ChatView, EdgeError> {
    let node = &state.node;
    match node.chat(id).await? {
        Some(chat) if sees(state, caller, &chat).await => Ok(chat),
        _ => Err(chat_not_found(id)),
    }
}

/// The chat `id` as stored, if `caller` may read its messages: they may see it, or a later chat
/// of its chain (SPEC 3.1: the history of a conversation is the chain, whatever line its
/// earlier chats were on); `not_found` otherwise.
pub async fn readable_chat(state: &AppState, caller: &Identity, id: ChatId) -> Result<ChatView, EdgeError> {
    let node = &state.node;
    let chat = node.chat(id).await?.ok_or_else(|| chat_not_found(id))?;
    if sees(state, caller, &chat).await {
        return Ok(chat);
    }
    let mut next = chat.next_chat;
    // A chain is as long as a conversation's chats; the bound only guards a corrupt link loop.
    for _ in 0..MAX_CHAIN {
        let Some(later) = next else { break };
        let Some(view) = node.chat(later).await? else { break };
        if view.conversation != chat.conversation {
            break;
        }
        if sees(state, caller, &view).await {
            return Ok(chat);
        }
        next = view.next_chat;
    }
    Err(chat_not_found(id))
}

/// How many later chats [`readable_chat`] follows at most.
const MAX_CHAIN: usize = 10_000;

async fn sees(state: &AppState, caller: &Identity, chat: &ChatView) -> bool {
    let node = &state.node;
    access::may_see_view(node.settings(), &caller.operator, chat, &node.watchers(chat.id).await)
}
