//! `ApiError`: every failure an HTTP handler answers, as PROTOCOL 3/4 want it: the status that
//! goes with the error code and `{"error":{"code":"...","message":"..."}}`. The WebSocket error
//! frames carry the same code and message.
//!
//! A message describes the caller's own request (a missing field, an unknown sort column, a
//! chat's state) and never a library's or the server's internals: token verification failures,
//! store, actor mailbox and encoder errors become fixed safe words, and their cause goes to the
//! log as a field (see [`ApiError::unavailable`] and the `From` impls below).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::actors::CommandError;
use crate::auth::AuthError;
use crate::domain::{DomainError, TextError};
use crate::store::StoreError;

/// The HTTP status of a PROTOCOL error code.
pub fn status_of(code: &str) -> StatusCode {
    match code {
        "bad_request" => StatusCode::BAD_REQUEST,
        "unauthorized" => StatusCode::UNAUTHORIZED,
        "forbidden" => StatusCode::FORBIDDEN,
        "not_found" => StatusCode::NOT_FOUND,
        "invalid_transition" | "already_taken" | "over_capacity" | "conflict" => StatusCode::CONFLICT,
        "too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        "rate_limited" => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// An error answered over HTTP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// PROTOCOL error code.
    pub code: &'static str,
    /// Human-readable detail.
    pub message: String,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new("bad_request", message)
    }

    /// `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new("forbidden", message)
    }

    /// `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("not_found", message)
    }

    /// `unavailable`: "`what` is unavailable; try again", with `cause` logged (as a field, never
    /// in the answer). `what` names a part of the server in safe words ("the store").
    pub fn unavailable(what: &'static str, cause: &dyn std::fmt::Debug) -> Self {
        tracing::warn!(what, cause = ?cause, "answering unavailable");
        Self::new("unavailable", format!("{what} is unavailable; try again"))
    }

    /// The JSON body `{"error":{"code","message"}}`.
    pub fn body(&self) -> serde_json::Value {
        json!({"error": {"code": self.code, "message": self.message}})
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(self.code)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self.body())
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match &e {
            CommandError::Store(StoreError::BadQuery(message)) => Self::bad_request(message.clone()),
            CommandError::Store(cause) => Self::unavailable("the store", cause),
            CommandError::Unavailable(cause) => Self::unavailable("the conversation", cause),
            CommandError::Domain(_) | CommandError::Route(_) | CommandError::RateLimited => {
                Self::new(e.code(), e.to_string())
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        CommandError::from(e).into()
    }
}

impl From<TextError> for ApiError {
    fn from(e: TextError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

/// Every refused token answers the same words (which check failed helps only an attacker); the
/// reason is logged.
impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        if e == AuthError::Missing {
            return Self::new("unauthorized", e.to_string());
        }
        tracing::info!(reason = ?e, "operator token refused");
        Self::new("unauthorized", "invalid or expired token")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_answers_safe_words_whatever_the_library_said() {
        let e = ApiError::from(AuthError::Invalid("InvalidSignature".into()));
        assert_eq!((e.code, e.message.as_str()), ("unauthorized", "invalid or expired token"));
        let e = ApiError::from(AuthError::UnknownOperator("mallory".into()));
        assert_eq!(e.message, "invalid or expired token");
        assert_eq!(ApiError::from(AuthError::Missing).message, "a bearer token is required");
    }

    #[test]
    fn store_and_actor_failures_answer_unavailable_without_their_cause() {
        let e = ApiError::from(StoreError::Unavailable("sqlite: disk I/O error at /var/lib/x".into()));
        assert_eq!((e.code, e.message.as_str()), ("unavailable", "the store is unavailable; try again"));
        let e = ApiError::from(CommandError::Unavailable("conversation web:c1 is not answering".into()));
        assert_eq!(e.code, "unavailable");
        assert!(!e.message.contains("web:c1"), "{}", e.message);
        let e = ApiError::from(StoreError::Corrupt("row 7: missing column".into()));
        assert!(!e.message.contains("row 7"));
    }

    #[test]
    fn messages_about_the_callers_own_input_are_kept() {
        let e = ApiError::from(StoreError::BadQuery("bad cursor: not base64".into()));
        assert_eq!((e.code, e.message.as_str()), ("bad_request", "bad cursor: not base64"));
        let e = ApiError::from(DomainError::BadRequest("request_type: \"x\" is not one of []".into()));
        assert_eq!(e.code, "bad_request");
        assert!(e.message.contains("request_type"));
        let e = ApiError::from(TextError::TooLong { field: "subject", max: 500 });
        assert_eq!((e.code, e.message.as_str()), ("too_large", "subject: at most 500 characters"));
    }
}
