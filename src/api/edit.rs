//! `PATCH /api/v1/chats/{id}`: edit a chat's descriptive fields, set its status and (supervisors
//! and admins) review it, in one request answered with the chat as it is after.
//!
//! The domain has no single command for all of it, so the request runs up to three commands on
//! the chat's conversation, each durable on its own, in this order:
//! 1. `UpdateChat` (subject, request_type, reasons, components): refused only for bad values;
//! 2. `Review` (supervisor_rating, supervisor_comment);
//! 3. `SetStatus` (status): the only one whose success depends on the chat's state.
//!
//! Everything that can be checked without running a command is checked first (role, scope,
//! unknown fields, the lengths and characters of `subject` and `supervisor_comment`, the status
//! is a manual one, the rating is 1-5, the chat's state accepts a manual status), so a request that fails, fails before anything is applied. Only a change
//! racing with this request (the chat finished by someone else between two steps) or a store
//! failure can stop a later step after an earlier one was applied; the answer is then that
//! step's error, its message saying which parts were already applied, and a re-read of the chat
//! shows them.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::domain::{text, ChatId, ChatView, Command, FieldsUpdate, Phase, Status};
use crate::edge::AppState;

use crate::edge::params::{json_body, nullable};
use crate::edge::scope::visible_chat;
use crate::edge::Caller;
use crate::edge::{EdgeError, ErrorCode};

/// The body of a PATCH; every field optional, unknown fields refused.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChatPatch {
    /// New subject; `null` or `""` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    subject: Option<Option<String>>,
    /// New request type; `null` or `""` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    request_type: Option<Option<String>>,
    /// New reasons.
    #[serde(default)]
    reasons: Option<Vec<String>>,
    /// New components.
    #[serde(default)]
    components: Option<Vec<String>>,
    /// open, pending or on_hold (as `set_status`).
    #[serde(default)]
    status: Option<Status>,
    /// 1-5 (supervisors, admins).
    #[serde(default)]
    supervisor_rating: Option<u8>,
    /// Comment (supervisors, admins).
    #[serde(default)]
    supervisor_comment: Option<String>,
}

/// Fields only supervisors and admins may give.
const REVIEW_FIELDS: [&str; 2] = ["supervisor_rating", "supervisor_comment"];

/// `PATCH /api/v1/chats/{id}`: the chat after the change.
#[utoipa::path(patch, path = "/api/v1/chats/{id}", tag = "chats", security(("operator_jwt" = [])),
    params(("id" = u64, Path, description = "Chat number")),
    request_body = ChatPatch,
    responses((status = 200, description = "The chat after the change", body = ChatView)))]
pub async fn patch(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    id: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse, EdgeError> {
    let id = ChatId(id.into_inner());
    // The role check looks at the raw fields, so it comes before any other check of the body.
    let raw: Map<String, Value> = json_body(&body)?;
    if !caller.role.sees_all() {
        if let Some(field) = REVIEW_FIELDS.iter().find(|f| raw.contains_key(**f)) {
            return Err(EdgeError::forbidden(format!("{field} is for supervisors and admins")));
        }
    }
    let patch: ChatPatch = serde_json::from_value(Value::Object(raw))
        .map_err(|e| EdgeError::bad_request(format!("invalid JSON body: {e}")))?;
    let chat = visible_chat(&state, &caller, id).await?;
    let steps = plan(&patch, &chat, &caller.operator)?;

    let conversation = chat.conversation.clone();
    let mut applied: Vec<&'static str> = Vec::new();
    for (name, command) in steps {
        if let Err(e) = state.node.execute(&conversation, command).await {
            let mut error = EdgeError::from(e);
            if !applied.is_empty() {
                error.message = format!("{} (already applied: {})", error.message, applied.join(", "));
            }
            return Err(error);
        }
        applied.push(name);
    }
    match state.node.chat(id).await? {
        Some(chat) => Ok(HttpResponse::Ok().json(chat)),
        None => Err(EdgeError::not_found(format!("chat {id} not found"))),
    }
}

/// The commands of `patch` on `chat`, in order, each with the name of what it changes; every
/// check that needs no command is made here.
fn plan(
    patch: &ChatPatch,
    chat: &ChatView,
    by: &crate::domain::OperatorId,
) -> Result<Vec<(&'static str, Command)>, EdgeError> {
    let text = |v: &Option<Option<String>>| v.clone().map(Option::unwrap_or_default);
    let fields = FieldsUpdate {
        subject: text(&patch.subject),
        request_type: text(&patch.request_type),
        reasons: patch.reasons.clone(),
        components: patch.components.clone(),
    };
    if let Some(subject) = &fields.subject {
        text::check_subject(subject)?;
    }
    if let Some(comment) = &patch.supervisor_comment {
        text::check_supervisor_comment(comment)?;
    }
    if patch.supervisor_rating.is_some_and(|r| !(1..=5).contains(&r)) {
        return Err(EdgeError::bad_request("supervisor_rating must be 1 to 5"));
    }
    if let Some(status) = patch.status {
        if !status.is_manual() {
            return Err(EdgeError::bad_request(format!(
                "status must be open, pending or on_hold, not {} (finish a chat with a bulk action)",
                status.as_str()
            )));
        }
        if !accepts_manual_status(chat) {
            return Err(EdgeError::new(
                ErrorCode::InvalidTransition,
                format!(
                    "chat {} is {} ({}): cannot set a status",
                    chat.id,
                    chat.phase.as_str(),
                    chat.status.as_str()
                ),
            ));
        }
    }
    let mut steps = Vec::new();
    if !fields.is_empty() {
        steps.push(("fields", Command::UpdateChat { by: by.clone(), chat: chat.id, fields, pinned: None }));
    }
    if patch.supervisor_rating.is_some() || patch.supervisor_comment.is_some() {
        steps.push((
            "review",
            Command::Review {
                by: by.clone(),
                chat: chat.id,
                rating: patch.supervisor_rating,
                comment: patch.supervisor_comment.clone(),
            },
        ));
    }
    if let Some(status) = patch.status {
        steps.push(("status", Command::SetStatus { by: by.clone(), chat: chat.id, status }));
    }
    if steps.is_empty() {
        return Err(EdgeError::bad_request(
            "nothing to change: give subject, request_type, reasons, components, status, \
             supervisor_rating or supervisor_comment",
        ));
    }
    Ok(steps)
}

/// SPEC 2.0 on a stored chat (as `Chat::accepts_manual_status`): an active chat, or a finished
/// one whose status is open, pending or on_hold.
fn accepts_manual_status(chat: &ChatView) -> bool {
    match chat.phase {
        Phase::Active => chat.merged_into.is_none(),
        Phase::Finished => chat.status.is_manual() && chat.merged_into.is_none(),
        Phase::Closing => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::active_open;
    use crate::domain::OperatorId;

    fn chat() -> ChatView {
        let w = active_open();
        ChatView::of(&w.conv, w.latest())
    }

    fn body(json: &str) -> ChatPatch {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_patch_runs_fields_then_review_then_status() {
        let by = OperatorId::from("sam");
        let p = body(r#"{"status":"on_hold","subject":"x","supervisor_rating":4}"#);
        let names: Vec<_> = plan(&p, &chat(), &by).unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["fields", "review", "status"]);
    }

    #[test]
    fn a_null_subject_clears_it_and_an_absent_one_is_left_alone() {
        let by = OperatorId::from("sam");
        let steps = plan(&body(r#"{"subject":null}"#), &chat(), &by).unwrap();
        match &steps[0].1 {
            Command::UpdateChat { fields, .. } => {
                assert_eq!(fields.subject.as_deref(), Some(""));
                assert_eq!(fields.request_type, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn what_can_be_checked_before_running_anything_is() {
        let by = OperatorId::from("sam");
        assert_eq!(plan(&body("{}"), &chat(), &by).unwrap_err().code.as_str(), "bad_request");
        assert_eq!(
            plan(&body(r#"{"status":"closed"}"#), &chat(), &by).unwrap_err().code.as_str(),
            "bad_request"
        );
        assert_eq!(
            plan(&body(r#"{"supervisor_rating":6}"#), &chat(), &by).unwrap_err().code.as_str(),
            "bad_request"
        );
        let mut spam = chat();
        (spam.phase, spam.status) = (Phase::Finished, Status::Spam);
        let err = plan(&body(r#"{"subject":"x","status":"open"}"#), &spam, &by).unwrap_err();
        assert_eq!(err.code.as_str(), "invalid_transition");
        assert!(serde_json::from_str::<ChatPatch>(r#"{"colour":"red"}"#).is_err());
    }

    #[test]
    fn an_over_long_or_multi_line_subject_or_comment_is_refused_before_anything_runs() {
        let by = OperatorId::from("sam");
        let long = "x".repeat(text::MAX_SUBJECT_CHARS + 1);
        let err =
            plan(&body(&format!(r#"{{"subject":"{long}","status":"on_hold"}}"#)), &chat(), &by).unwrap_err();
        assert_eq!(err.code.as_str(), "too_large");
        assert_eq!(
            plan(&body(r#"{"subject":"a\nb"}"#), &chat(), &by).unwrap_err().code.as_str(),
            "bad_request"
        );
        let long = "x".repeat(text::MAX_COMMENT_CHARS + 1);
        let err = plan(&body(&format!(r#"{{"supervisor_comment":"{long}"}}"#)), &chat(), &by).unwrap_err();
        assert_eq!(err.code.as_str(), "too_large");
        assert_eq!(
            plan(&body(r#"{"supervisor_comment":"a\u0000"}"#), &chat(), &by).unwrap_err().code.as_str(),
            "bad_request"
        );
        assert!(plan(&body(r#"{"supervisor_comment":"line one\nline two"}"#), &chat(), &by).is_ok());
    }
}
