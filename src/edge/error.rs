//! One error vocabulary for both edges: [`ErrorCode`], the PROTOCOL's stable codes, each knowing
//! its wire name and HTTP status; and [`EdgeError`], a code with a message, answered over HTTP as
//! `{"error":{"code","message"}}` and over WebSocket as an `error` frame.
//!
//! A message describes the caller's own request (a missing field, an unknown sort column, a
//! chat's state) and never a library's or the server's internals: token verification failures,
//! store, actor mailbox and encoder errors become fixed safe words, and their cause goes to the
//! log as a field (see [`EdgeError::unavailable`] and the `From` impls below). The mapping of
//! every inside error (domain, routing, store, auth, text) to a code lives here, and only here.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::auth::AuthError;
use crate::domain::routing::RouteError;
use crate::domain::{ClientIdError, ConversationIdError, DomainError, TextError};
use crate::node::CommandError;
use crate::store::StoreError;

/// The PROTOCOL error codes (PROTOCOL 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Malformed input.
    BadRequest,
    /// No valid credentials.
    Unauthorized,
    /// Outside the caller's scope or role.
    Forbidden,
    /// No such thing (or not visible to the caller).
    NotFound,
    /// The state does not allow it.
    InvalidTransition,
    /// Someone else has the chat.
    AlreadyTaken,
    /// The operator is at capacity.
    OverCapacity,
    /// Not the latest chat, or a conflicting state.
    Conflict,
    /// Over a size limit.
    TooLarge,
    /// Over a rate or count limit.
    RateLimited,
    /// The server cannot answer now.
    Unavailable,
}

impl ErrorCode {
    /// Every code, for tests and documentation.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::BadRequest,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::InvalidTransition,
        ErrorCode::AlreadyTaken,
        ErrorCode::OverCapacity,
        ErrorCode::Conflict,
        ErrorCode::TooLarge,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::AlreadyTaken => "already_taken",
            ErrorCode::OverCapacity => "over_capacity",
            ErrorCode::Conflict => "conflict",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    /// The HTTP status that goes with it.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::InvalidTransition
            | ErrorCode::AlreadyTaken
            | ErrorCode::OverCapacity
            | ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The code of an HTTP error status that did not come from an [`EdgeError`] (an actix
    /// extractor's, a 404 of the router).
    pub fn of_status(status: StatusCode) -> ErrorCode {
        match status.as_u16() {
            400 | 405 | 411 | 415 => ErrorCode::BadRequest,
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            409 => ErrorCode::Conflict,
            413 => ErrorCode::TooLarge,
            429 => ErrorCode::RateLimited,
            _ => ErrorCode::Unavailable,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure answered to a caller: a stable code and safe words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct EdgeError {
    /// PROTOCOL error code.
    pub code: ErrorCode,
    /// Human-readable detail.
    pub message: String,
}

impl EdgeError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// `unavailable`: "`what` is unavailable; try again", with `cause` logged (as a field, never
    /// in the answer). `what` names a part of the server in safe words ("the store").
    pub fn unavailable(what: &'static str, cause: &dyn std::fmt::Debug) -> Self {
        tracing::warn!(what, cause = ?cause, "answering unavailable");
        Self::new(ErrorCode::Unavailable, format!("{what} is unavailable; try again"))
    }

    /// The JSON body `{"error":{"code","message"}}`.
    pub fn body(&self) -> serde_json::Value {
        json!({"error": {"code": self.code.as_str(), "message": self.message}})
    }
}

impl ResponseError for EdgeError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self.body())
    }
}

impl From<DomainError> for EdgeError {
    fn from(e: DomainError) -> Self {
        let code = match &e {
            DomainError::BadRequest(_) => ErrorCode::BadRequest,
            DomainError::TooLarge(_) => ErrorCode::TooLarge,
            DomainError::ChatNotFound(_)
            | DomainError::OperatorNotFound(_)
            | DomainError::LineNotFound(_) => ErrorCode::NotFound,
            DomainError::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            DomainError::AlreadyTaken { .. } => ErrorCode::AlreadyTaken,
            DomainError::Conflict { .. } | DomainError::OperatorOffline { .. } => ErrorCode::Conflict,
            DomainError::Forbidden { .. } => ErrorCode::Forbidden,
        };
        Self::new(code, e.to_string())
    }
}

impl From<RouteError> for EdgeError {
    fn from(e: RouteError) -> Self {
        let code = match e {
            RouteError::OverCapacity => ErrorCode::OverCapacity,
            RouteError::NoOffer => ErrorCode::InvalidTransition,
        };
        Self::new(code, e.to_string())
    }
}

impl From<CommandError> for EdgeError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Domain(e) => e.into(),
            CommandError::Route(e) => e.into(),
            CommandError::Store(e) => e.into(),
            CommandError::Unavailable(cause) => Self::unavailable("the conversation", &cause),
            CommandError::RateLimited => Self::new(ErrorCode::RateLimited, e.to_string()),
        }
    }
}

impl From<StoreError> for EdgeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadQuery(message) => Self::bad_request(message),
            cause => Self::unavailable("the store", &cause),
        }
    }
}

impl From<TextError> for EdgeError {
    fn from(e: TextError) -> Self {
        let code = match e {
            TextError::TooLong { .. } => ErrorCode::TooLarge,
            TextError::Control { .. } => ErrorCode::BadRequest,
        };
        Self::new(code, e.to_string())
    }
}

impl From<ClientIdError> for EdgeError {
    fn from(e: ClientIdError) -> Self {
        Self::bad_request(e.to_string())
    }
}

impl From<ConversationIdError> for EdgeError {
    fn from(e: ConversationIdError) -> Self {
        Self::bad_request(e.to_string())
    }
}

/// Every refused token answers the same words (which check failed helps only an attacker); the
/// reason is logged.
impl From<AuthError> for EdgeError {
    fn from(e: AuthError) -> Self {
        if e == AuthError::Missing {
            return Self::unauthorized(e.to_string());
        }
        tracing::info!(reason = ?e, "operator token refused");
        Self::unauthorized("invalid or expired token")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_answers_safe_words_whatever_the_library_said() {
        let e = EdgeError::from(AuthError::Invalid("InvalidSignature".into()));
        assert_eq!((e.code.as_str(), e.message.as_str()), ("unauthorized", "invalid or expired token"));
        let e = EdgeError::from(AuthError::UnknownOperator("mallory".into()));
        assert_eq!(e.message, "invalid or expired token");
        assert_eq!(EdgeError::from(AuthError::Missing).message, "a bearer token is required");
    }

    #[test]
    fn store_and_actor_failures_answer_unavailable_without_their_cause() {
        let e = EdgeError::from(StoreError::Unavailable("sqlite: disk I/O error at /var/lib/x".into()));
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("unavailable", "the store is unavailable; try again")
        );
        let e = EdgeError::from(CommandError::Unavailable("conversation web:c1 is not answering".into()));
        assert_eq!(e.code, ErrorCode::Unavailable);
        assert!(!e.message.contains("web:c1"), "{}", e.message);
        let e = EdgeError::from(StoreError::Corrupt("row 7: missing column".into()));
        assert!(!e.message.contains("row 7"));
    }

    #[test]
    fn messages_about_the_callers_own_input_are_kept() {
        let e = EdgeError::from(StoreError::BadQuery("bad cursor: not base64".into()));
        assert_eq!((e.code.as_str(), e.message.as_str()), ("bad_request", "bad cursor: not base64"));
        let e = EdgeError::from(DomainError::BadRequest("request_type: \"x\" is not one of []".into()));
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert!(e.message.contains("request_type"));
        let e = EdgeError::from(TextError::TooLong { field: "subject", max: 500 });
        assert_eq!((e.code.as_str(), e.message.as_str()), ("too_large", "subject: at most 500 characters"));
    }

    #[test]
    fn every_code_has_its_wire_name_and_status() {
        let names: Vec<_> = ErrorCode::ALL.iter().map(|c| (c.as_str(), c.status().as_u16())).collect();
        assert_eq!(
            names,
            vec![
                ("bad_request", 400),
                ("unauthorized", 401),
                ("forbidden", 403),
                ("not_found", 404),
                ("invalid_transition", 409),
                ("already_taken", 409),
                ("over_capacity", 409),
                ("conflict", 409),
                ("too_large", 413),
                ("rate_limited", 429),
                ("unavailable", 503),
            ]
        );
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::of_status(code.status()).status(), code.status());
        }
    }

    #[test]
    fn domain_and_routing_refusals_map_to_their_codes() {
        use crate::domain::ChatId;
        let code = |e: DomainError| EdgeError::from(e).code;
        assert_eq!(code(DomainError::ChatNotFound(ChatId(1))), ErrorCode::NotFound);
        assert_eq!(code(DomainError::TooLarge("x".into())), ErrorCode::TooLarge);
        assert_eq!(EdgeError::from(RouteError::OverCapacity).code, ErrorCode::OverCapacity);
        assert_eq!(EdgeError::from(RouteError::NoOffer).code, ErrorCode::InvalidTransition);
        assert_eq!(EdgeError::from(CommandError::RateLimited).code, ErrorCode::RateLimited);
    }
}
