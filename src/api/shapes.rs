//! The shapes of the HTTP answers (and of the error answer), for the OpenAPI document
//! (`openapi.rs`). Those that derive `Serialize` are what their handlers answer with; the
//! others describe answers the handlers build as JSON, and the tests check every answer they
//! receive against them (`tests/common/contract.rs`).

use serde::Serialize;
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::routing::Presence;
use crate::domain::{ChatView, LineId, MessageView, OperatorId, Role};
use crate::edge::ErrorCode;

impl PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("A PROTOCOL error code"))
                .enum_values(Some(codes))
                .build(),
        ))
    }
}

impl ToSchema for ErrorCode {}

/// Every error answer: `{"error":{"code","message"}}`.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the answer `EdgeError` builds
pub struct ErrorBody {
    error: ErrorDetail,
}

/// The code and a message in the caller's terms.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    code: ErrorCode,
    message: String,
}

/// `GET /healthz`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Health {
    /// Always `ok`.
    status: String,
    /// This node's id.
    node: String,
    /// The cluster leader this node sees (itself when standalone; `null` while none is known).
    leader: Option<String>,
}

/// `GET /readyz`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    status: String,
    /// Why not, in safe words.
    error: Option<String>,
}

/// A page of the dialog list.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ChatPage {
    items: Vec<ChatView>,
    /// The next page's `cursor`; `null` on the last page.
    next_cursor: Option<String>,
}

/// Messages of a chat, oldest first.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MessageList {
    items: Vec<MessageView>,
}

/// A page of the caller's New tab, oldest first.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewTabPage {
    items: Vec<ChatView>,
    /// Chats in the tab.
    total: u64,
    /// The next page's `cursor`; `null` on the last page.
    next_cursor: Option<String>,
}

/// An operator as configured, with their live state (the handler's own answer).
#[derive(Serialize, ToSchema)]
pub struct OperatorEntry {
    pub id: OperatorId,
    pub name: String,
    pub role: Role,
    pub lines: Vec<LineId>,
    pub capacity: u32,
    pub presence: Presence,
    pub active_chats: u32,
}

/// `GET /api/v1/operators`.
#[derive(Serialize, ToSchema)]
pub struct OperatorList {
    pub items: Vec<OperatorEntry>,
}

/// A line as configured, with its live queue (the handler's own answer).
#[derive(Serialize, ToSchema)]
pub struct LineEntry {
    pub id: LineId,
    /// The routing strategy.
    pub strategy: &'static str,
    /// Chats waiting in its queue.
    pub waiting: u32,
    /// How long the oldest has waited, in seconds; `null` when none waits.
    pub oldest_wait_s: Option<f64>,
    /// Operators of the line online.
    pub online: u32,
}

/// `GET /api/v1/lines`.
#[derive(Serialize, ToSchema)]
pub struct LineList {
    pub items: Vec<LineEntry>,
}

/// `GET /api/v1/reports`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReportList {
    items: Vec<crate::store::ReportRow>,
}

/// One chat's result of a bulk action.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BulkResult {
    id: u64,
    ok: bool,
    /// Why not, when `ok` is false.
    error: Option<ErrorDetail>,
}

/// `POST /api/v1/chats/actions`: one result per id, in the order of `ids`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BulkResults {
    results: Vec<BulkResult>,
}

/// A stored inbound message.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Stored {
    #[schema(example = "mail:ann@example.com")]
    conversation: String,
    chat: u64,
    seq: u64,
}

/// What became of an automated message (SPEC 5).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AutomatedOutcome {
    /// `delivered`, `queued` or `dropped`.
    outcome: String,
}

/// A webhook delivery the deliverer gave up on.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ParkedDelivery {
    /// `<channel>:<client_id>/<position>`.
    id: String,
    conversation: String,
    channel: String,
    /// What would be posted.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    attempts: u32,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    parked_at: String,
    /// The last failure.
    reason: String,
}

/// A page of parked deliveries, oldest parked first.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ParkedPage {
    items: Vec<ParkedDelivery>,
    next_cursor: Option<String>,
}

/// A delivery put back in the queue.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Requeued {
    id: String,
    /// `pending`.
    status: String,
}

/// A demo operator with a sign-in token.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DemoOperator {
    id: String,
    name: Option<String>,
    role: Role,
    lines: Vec<String>,
    token: String,
}

/// `GET /api/v1/demo/operators`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DemoOperators {
    items: Vec<DemoOperator>,
}
