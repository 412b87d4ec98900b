//! Messages that enter a conversation over HTTP rather than a socket:
//! - `POST /api/v1/channels/{channel}/messages`: a channel's own integration (an email gateway,
//!   a messenger bridge) posts client messages, authenticated by the channel's configured
//!   `token` (not an operator JWT); idempotent on `external_id`;
//! - `POST /api/v1/conversations/{conversation}/automated`: campaign and bot messages
//!   (SPEC 5), for supervisors and admins.
//!
//! Both answer only once the command is durable.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::{text, AutomatedKind, ChannelId, ClientId, Command, ConversationId, Reply};
use crate::edge::AppState;

use crate::edge::params::{json_body, Params};
use crate::edge::Caller;
use crate::edge::EdgeError;
use crate::edge::ErrorCode;

/// Longest accepted external id, in characters.
const MAX_ID_CHARS: usize = 256;

/// The body of an inbound client message.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = InboundMessage)]
pub(super) struct Inbound {
    /// The client within the channel.
    client_id: String,
    /// Display name, when the channel knows it.
    #[serde(default)]
    name: Option<String>,
    /// Text.
    text: String,
    /// The channel's id of the message: the idempotency key.
    #[serde(default)]
    external_id: Option<String>,
}

/// `POST /api/v1/channels/{channel}/messages`: 202 `{"conversation","chat","seq"}`.
#[utoipa::path(post, path = "/api/v1/channels/{channel}/messages", tag = "inbound", security(("channel_token" = [])),
    params(("channel" = String, Path, description = "Channel id")),
    request_body = Inbound,
    responses((status = 202, description = "Stored (durable); a repeated `external_id` answers the first", body = super::shapes::Stored)))]
pub async fn channel_message(
    state: web::Data<AppState>,
    channel: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, EdgeError> {
    let settings = &state.config.settings;
    let channel = ChannelId::from(channel.into_inner());
    let Some(configured) = settings.channel(&channel) else {
        return Err(EdgeError::not_found(format!("unknown channel {channel}")));
    };
    let Some(expected) = configured.token.as_deref() else {
        return Err(unauthorized(format!("channel {channel} has no inbound token configured")));
    };
    match bearer(&req) {
        Some(given) if same_secret(given, expected) => {}
        Some(_) => return Err(unauthorized(format!("wrong token for channel {channel}"))),
        None => return Err(unauthorized("the channel's token is required as Authorization: Bearer")),
    }
    Params::parse(req.query_string(), &[])?;
    let message: Inbound = json_body(&body)?;
    let client = ClientId::checked(&message.client_id).map_err(|e| EdgeError::bad_request(e.to_string()))?;
    if let Some(name) = &message.name {
        text::check_client_name(name)?;
    }
    if message.external_id.as_ref().is_some_and(|id| id.is_empty() || id.chars().count() > MAX_ID_CHARS) {
        return Err(EdgeError::bad_request(format!("external_id must be 1 to {MAX_ID_CHARS} characters")));
    }
    check_length(&state, &message.text)?;
    let conversation = ConversationId { channel, client };
    let command = Command::ClientMessage {
        text: message.text,
        client_msg_id: message.external_id,
        name: message.name.filter(|n| !n.is_empty()),
        page_url: None,
    };
    match state.node.execute(&conversation, command).await? {
        Reply::Stored { chat, seq } => Ok(HttpResponse::Accepted().json(json!({
            "conversation": conversation,
            "chat": chat,
            "seq": seq,
        }))),
        other => Err(unexpected(other)),
    }
}

/// The body of an automated message.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AutomatedMessage)]
pub(super) struct Automated {
    /// campaign or bot.
    kind: Kind,
    /// Text.
    text: String,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AutomatedKind)]
pub(super) enum Kind {
    Campaign,
    Bot,
}

/// `POST /api/v1/conversations/{conversation}/automated`: 200 `{"outcome"}`.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation}/automated", tag = "inbound", security(("operator_jwt" = [])),
    params(("conversation" = String, Path, description = "`<channel>:<client_id>`")),
    request_body = Automated,
    responses((status = 200, description = "What became of it", body = super::shapes::AutomatedOutcome)))]
pub async fn automated(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    conversation: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, EdgeError> {
    if !caller.role.sees_all() {
        return Err(EdgeError::forbidden("automated messages are for supervisors and admins"));
    }
    let conversation =
        ConversationId::parse_checked(&conversation).map_err(|e| EdgeError::bad_request(e.to_string()))?;
    if state.config.settings.channel(&conversation.channel).is_none() {
        return Err(EdgeError::not_found(format!("unknown channel {}", conversation.channel)));
    }
    Params::parse(req.query_string(), &[])?;
    let message: Automated = json_body(&body)?;
    check_length(&state, &message.text)?;
    let kind = match message.kind {
        Kind::Campaign => AutomatedKind::Campaign,
        Kind::Bot => AutomatedKind::Bot,
    };
    match state.node.execute(&conversation, Command::Automated { kind, text: message.text }).await? {
        Reply::Automated(outcome) => Ok(HttpResponse::Ok().json(json!({"outcome": outcome.as_str()}))),
        other => Err(unexpected(other)),
    }
}

/// `too_large` beyond `limits.max_text_chars`.
fn check_length(state: &AppState, text: &str) -> Result<(), EdgeError> {
    let max = state.config.limits.max_text_chars;
    if text.chars().count() > max {
        return Err(EdgeError::new(ErrorCode::TooLarge, format!("text is longer than {max} characters")));
    }
    Ok(())
}

fn unauthorized(message: impl Into<String>) -> EdgeError {
    EdgeError::new(ErrorCode::Unauthorized, message)
}

fn unexpected(reply: Reply) -> EdgeError {
    EdgeError::unavailable("the conversation", &format_args!("unexpected reply {reply:?}"))
}

/// The bearer token of the `Authorization` header (a channel token is never read from the
/// query string, where it would end up in access logs).
fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty())
}

/// Compares secrets without an early exit, so timing tells nothing about how much matched.
fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret("mail-token", "mail-token"));
        assert!(!same_secret("mail-tokeN", "mail-token"));
        assert!(!same_secret("mail", "mail-token"));
        assert!(!same_secret("", "mail-token"));
    }

    #[test]
    fn the_bearer_token_comes_from_the_header_only() {
        let req = actix_web::test::TestRequest::default()
            .uri("/x?token=q")
            .insert_header((header::AUTHORIZATION, "Bearer abc"))
            .to_http_request();
        assert_eq!(bearer(&req), Some("abc"));
        let req = actix_web::test::TestRequest::default().uri("/x?token=q").to_http_request();
        assert_eq!(bearer(&req), None);
    }
}
