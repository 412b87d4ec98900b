//! `POST /api/v1/chats/actions`: one action on many chats (SPEC 7), each chat on its own.
//!
//! The request as a whole is checked first (a malformed body, an unknown action, a missing or
//! wrong `status`, a missing or unknown forward target answer 400 and nothing runs). Then each
//! id gets its own result: `not_found` when it does not exist or is outside the caller's scope,
//! otherwise whatever the conversation answers — the domain decides what a chat's state allows
//! (finish, force_finish and forward need an active chat and answer `invalid_transition`
//! otherwise; set_status follows SPEC 2.0). Chats are worked on a few at a time; results come
//! back in the order of `ids`.

use actix_web::{web, HttpResponse};
use futures_util::{stream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Identity;
use crate::domain::{ChatId, Command, ForwardTarget, LineId, OperatorId, Status};
use crate::edge::AppState;

use crate::edge::params::json_body;
use crate::edge::scope::visible_chat;
use crate::edge::Caller;
use crate::edge::EdgeError;

/// Most ids in one request.
pub const MAX_IDS: usize = 500;
/// Chats worked on at once.
const CONCURRENCY: usize = 16;

/// A bulk action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = BulkAction)]
pub(super) enum Action {
    /// Finish with `status` (open, pending, closed).
    Finish,
    /// Finish as spam.
    ForceFinish,
    /// Forward to `to_operator` or `to_line`.
    Forward,
    /// Set `status` (open, pending, on_hold).
    SetStatus,
}

/// The request body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BulkRequest {
    ids: Vec<u64>,
    action: Action,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    to_operator: Option<String>,
    #[serde(default)]
    to_line: Option<String>,
}

/// What to run on every chat, checked once for the whole request.
#[derive(Debug, Clone, PartialEq)]
enum Template {
    Finish(Status),
    ForceFinish,
    Forward(ForwardTarget),
    SetStatus(Status),
}

impl Template {
    fn command(&self, by: &OperatorId, chat: ChatId) -> Command {
        let by = by.clone();
        match self {
            Template::Finish(status) => {
                Command::Finish { by, chat, status: *status, operator_rating: None, request_vote: None }
            }
            Template::ForceFinish => Command::ForceFinish { by, chat },
            Template::Forward(to) => Command::Forward { by, chat, to: to.clone() },
            Template::SetStatus(status) => Command::SetStatus { by, chat, status: *status },
        }
    }
}

/// `POST /api/v1/chats/actions`: 200 `{"results":[{"id","ok","error"?}]}`.
#[utoipa::path(post, path = "/api/v1/chats/actions", tag = "chats", security(("operator_jwt" = [])),
    request_body = BulkRequest,
    responses((status = 200, description = "One result per id", body = super::shapes::BulkResults)))]
pub async fn actions(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    body: web::Bytes,
) -> Result<HttpResponse, EdgeError> {
    let request: BulkRequest = json_body(&body)?;
    let template = template(&request, &state.config.settings)?;
    let results: Vec<Value> = stream::iter(request.ids)
        .map(|id| run_one(&state, &caller, &template, ChatId(id)))
        .buffered(CONCURRENCY)
        .collect()
        .await;
    Ok(HttpResponse::Ok().json(json!({"results": results})))
}

async fn run_one(state: &AppState, caller: &Identity, template: &Template, id: ChatId) -> Value {
    let outcome = async {
        let chat = visible_chat(state, caller, id).await?;
        state.node.execute(&chat.conversation, template.command(&caller.operator, id)).await?;
        Ok::<_, EdgeError>(())
    };
    match outcome.await {
        Ok(()) => json!({"id": id, "ok": true}),
        Err(e) => {
            state.node.metrics().errors_total.with_label_values(&[e.code.as_str()]).inc();
            json!({"id": id, "ok": false, "error": {"code": e.code.as_str(), "message": e.message}})
        }
    }
}

/// Checks the request as a whole and builds what runs on every chat.
fn template(r: &BulkRequest, settings: &crate::domain::Settings) -> Result<Template, EdgeError> {
    if r.ids.is_empty() {
        return Err(EdgeError::bad_request("ids: give at least one chat id"));
    }
    if r.ids.len() > MAX_IDS {
        return Err(EdgeError::bad_request(format!("ids: at most {MAX_IDS} per request")));
    }
    let unused = |field: &str, given: bool| {
        if given {
            Err(EdgeError::bad_request(format!("{field} is not used by this action")))
        } else {
            Ok(())
        }
    };
    let status = |allowed: fn(Status) -> bool, which: &str| match r.status {
        Some(s) if allowed(s) => Ok(s),
        Some(s) => Err(EdgeError::bad_request(format!("status must be {which}, not {}", s.as_str()))),
        None => Err(EdgeError::bad_request(format!("status is required ({which})"))),
    };
    if r.action != Action::Forward {
        unused("to_operator", r.to_operator.is_some())?;
        unused("to_line", r.to_line.is_some())?;
    }
    match r.action {
        Action::Finish => Ok(Template::Finish(status(Status::is_finish_status, "open, pending or closed")?)),
        Action::SetStatus => Ok(Template::SetStatus(status(Status::is_manual, "open, pending or on_hold")?)),
        Action::ForceFinish => {
            unused("status", r.status.is_some())?;
            Ok(Template::ForceFinish)
        }
        Action::Forward => {
            unused("status", r.status.is_some())?;
            match (&r.to_operator, &r.to_line) {
                (Some(op), None) => {
                    let op = OperatorId::from(op.as_str());
                    if settings.operator(&op).is_none() {
                        return Err(EdgeError::bad_request(format!("to_operator: unknown operator {op}")));
                    }
                    Ok(Template::Forward(ForwardTarget::Operator(op)))
                }
                (None, Some(line)) => {
                    let line = LineId::from(line.as_str());
                    if !settings.lines.contains_key(&line) {
                        return Err(EdgeError::bad_request(format!("to_line: unknown line {line}")));
                    }
                    Ok(Template::Forward(ForwardTarget::Line(line)))
                }
                _ => Err(EdgeError::bad_request("forward needs exactly one of to_operator and to_line")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::settings;

    fn check(body: &str) -> Result<Template, EdgeError> {
        let request: BulkRequest = json_body(body.as_bytes())?;
        template(&request, &settings())
    }

    #[test]
    fn a_well_formed_request_becomes_one_command_per_chat() {
        assert_eq!(
            check(r#"{"ids":[1],"action":"finish","status":"closed"}"#),
            Ok(Template::Finish(Status::Closed))
        );
        assert_eq!(check(r#"{"ids":[1,2],"action":"force_finish"}"#), Ok(Template::ForceFinish));
        assert_eq!(
            check(r#"{"ids":[1],"action":"forward","to_line":"line2"}"#),
            Ok(Template::Forward(ForwardTarget::Line(LineId::from("line2"))))
        );
        assert_eq!(
            check(r#"{"ids":[1],"action":"set_status","status":"on_hold"}"#),
            Ok(Template::SetStatus(Status::OnHold))
        );
    }

    #[test]
    fn a_malformed_request_is_refused_as_a_whole() {
        for body in [
            r#"{"ids":[1],"action":"explode"}"#,
            r#"{"ids":[1],"action":"finish"}"#,
            r#"{"ids":[1],"action":"finish","status":"on_hold"}"#,
            r#"{"ids":[1],"action":"set_status","status":"closed"}"#,
            r#"{"ids":[1],"action":"forward"}"#,
            r#"{"ids":[1],"action":"forward","to_operator":"alice","to_line":"line2"}"#,
            r#"{"ids":[1],"action":"forward","to_line":"line9"}"#,
            r#"{"ids":[1],"action":"forward","to_operator":"nobody"}"#,
            r#"{"ids":[1],"action":"force_finish","status":"closed"}"#,
            r#"{"ids":[],"action":"force_finish"}"#,
            r#"{"ids":["x"],"action":"force_finish"}"#,
            r#"{"ids":[1],"action":"force_finish","colour":"red"}"#,
            "",
        ] {
            assert_eq!(check(body).unwrap_err().code.as_str(), "bad_request", "{body}");
        }
    }
}
