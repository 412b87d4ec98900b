//! The frames the server sends to an operator's socket (PROTOCOL 3.2 and 5), read leniently:
//! only the fields the console shows, every one defaulted, unknown fields ignored. The console is
//! a client of the wire contract, not of the server's internal types, so it keeps working with a
//! server that adds fields. Also the two HTTP answers `/who` and `/queues` read
//! (`GET /api/v1/operators`, `GET /api/v1/lines`).

use serde::Deserialize;
use serde_json::{Map, Value};

/// One frame from the server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The first frame: who I am and my tabs.
    Welcome {
        /// The operator.
        operator: OperatorInfo,
        /// My tab.
        #[serde(default)]
        my: Vec<ChatSummary>,
        /// New tab.
        #[serde(default)]
        new: Vec<ChatSummary>,
    },
    /// An unassigned chat entered the New tab.
    ChatNew {
        /// The chat.
        chat: ChatSummary,
    },
    /// A chat is offered to me.
    Offer {
        /// The chat.
        chat: ChatSummary,
        /// Milliseconds until the offer expires.
        #[serde(default)]
        expires_in_ms: i64,
    },
    /// An offer was withdrawn.
    OfferWithdrawn {
        /// The chat's id.
        chat: u64,
        /// `taken`, `timeout`, `declined`, `unavailable` or `gone` (empty from older servers).
        #[serde(default)]
        reason: String,
        /// Who or what withdrew it.
        #[serde(default)]
        by: Option<By>,
    },
    /// A chat entered my My tab.
    ChatAssigned {
        /// The chat.
        chat: ChatSummary,
        /// Who or what put it there.
        #[serde(default)]
        by: Option<By>,
    },
    /// A chat of my tabs changed.
    ChatUpdated {
        /// The chat.
        chat: ChatSummary,
        /// Who or what changed it.
        #[serde(default)]
        by: Option<By>,
    },
    /// A chat left my tabs.
    ChatRemoved {
        /// The chat's id.
        chat: u64,
        /// `taken`, `finished`, `reassigned`, `moved` or `merged`.
        #[serde(default)]
        reason: String,
        /// Who or what removed it.
        #[serde(default)]
        by: Option<By>,
    },
    /// The client of a chat in my My tab voted.
    ClientVoted {
        /// The chat's id.
        chat: u64,
        /// 1-3.
        #[serde(default)]
        score: u64,
        /// The score's label.
        #[serde(default)]
        label: String,
    },
    /// A message in a chat of my tabs or offered to me.
    Message {
        /// The message.
        message: MessageLine,
    },
    /// The client is typing.
    Typing {
        /// The chat's id.
        chat: u64,
        /// The client's id.
        #[serde(default)]
        author: String,
    },
    /// An operator's presence changed (supervisors and admins).
    Presence {
        /// The operator.
        operator: String,
        /// online, away or offline.
        status: String,
    },
    /// A request succeeded.
    Ack {
        /// The request's `ref`.
        #[serde(rename = "ref", default)]
        reference: Option<Value>,
        /// The result fields.
        #[serde(flatten)]
        fields: Map<String, Value>,
    },
    /// A request (or an unreadable frame) failed.
    Error {
        /// The request's `ref`, if it had one.
        #[serde(rename = "ref", default)]
        reference: Option<Value>,
        /// Stable snake_case code.
        #[serde(default)]
        code: String,
        /// What went wrong.
        #[serde(default)]
        message: String,
    },
    /// The answer to a `ping`.
    Pong {
        /// The ping's `ref`.
        #[serde(rename = "ref", default)]
        reference: Option<Value>,
    },
}

/// `by`: who or what made a change (PROTOCOL 5).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct By {
    /// `operator`, `client`, `rule`, `timer` or `system`.
    pub kind: String,
    /// The operator (`operator`).
    pub id: Option<String>,
    /// The rule's name (`rule`).
    pub rule: Option<String>,
    /// `inactivity`, `voting`, `auto_close`, `offer`, `presence_grace`, `overflow` (`timer`).
    pub timer: Option<String>,
}

/// `welcome.operator`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct OperatorInfo {
    /// Operator id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// operator, supervisor or admin.
    pub role: String,
    /// Lines served.
    pub lines: Vec<String>,
    /// How many chats at once.
    pub capacity: u64,
}

/// The part of a chat object (PROTOCOL 3.1) the console shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ChatSummary {
    /// Chat number.
    pub id: u64,
    /// `<channel>:<client_id>`.
    pub conversation: String,
    /// Line.
    pub line: String,
    /// The client.
    pub client: ClientInfo,
    /// Responsible operator.
    pub responsible: Option<String>,
    /// Invited operators.
    pub participants: Vec<String>,
    /// active, closing or finished.
    pub phase: String,
    /// Status.
    pub status: String,
    /// Detailed status.
    pub detailed_status: String,
    /// The messages since the client's reactivation may be split off.
    pub splittable: bool,
    /// SPEC 6 timestamps (only the last message's is shown).
    pub metrics: ChatTimes,
}

impl ChatSummary {
    /// The client's name, or their id when the name is unknown.
    pub fn client_name(&self) -> &str {
        self.client.name.as_deref().filter(|n| !n.is_empty()).unwrap_or(&self.client.id)
    }
}

/// `chat.client`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ClientInfo {
    /// Client id within the channel.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
}

/// The timestamps of `chat.metrics` the console shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ChatTimes {
    /// Last client or operator message (RFC 3339).
    pub last_message_at: Option<String>,
}

/// A message object (PROTOCOL 3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct MessageLine {
    /// The chat it belongs to.
    pub chat: Option<u64>,
    /// Position in the conversation.
    pub seq: u64,
    /// Who wrote it.
    pub author: AuthorInfo,
    /// Text.
    pub text: String,
    /// When (RFC 3339).
    pub at: String,
    /// A private note.
    pub private: bool,
}

/// `message.author`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct AuthorInfo {
    /// client, operator, bot or system.
    pub kind: String,
    /// Who.
    pub id: String,
}

/// `GET /api/v1/operators` (`/who`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Operators {
    /// Every configured operator.
    pub items: Vec<OperatorRow>,
}

/// One operator of `GET /api/v1/operators`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct OperatorRow {
    /// Operator id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// operator, supervisor or admin.
    pub role: String,
    /// Lines served.
    pub lines: Vec<String>,
    /// How many chats at once.
    pub capacity: u64,
    /// online, away or offline.
    pub presence: String,
    /// Open chats they are responsible for.
    pub active_chats: u64,
}

/// `GET /api/v1/lines` (`/queues`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Lines {
    /// Every configured line.
    pub items: Vec<LineRow>,
}

/// One line of `GET /api/v1/lines`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct LineRow {
    /// Line id.
    pub id: String,
    /// Routing strategy.
    pub strategy: String,
    /// Chats waiting in its queue.
    pub waiting: u64,
    /// Seconds the oldest of them has waited.
    pub oldest_wait_s: Option<f64>,
    /// Members online.
    pub online: u64,
}

/// An HTTP error body: `{"error":{"code","message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct HttpError {
    /// The error.
    pub error: ErrorBody,
}

/// The inside of an [`HttpError`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    /// Stable snake_case code.
    pub code: String,
    /// What went wrong.
    pub message: String,
}

/// Reads one text frame; the error says why it is not a frame the console knows.
pub fn parse(text: &str) -> Result<ServerFrame, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// The `ref` of an ack or error as the number the console sent, if it is one.
pub fn reference_number(reference: Option<&Value>) -> Option<u64> {
    reference.and_then(Value::as_u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_ack_keeps_its_ref_and_result_fields() {
        let frame = parse(r#"{"type":"ack","ref":3,"new_chat":18}"#).unwrap();
        let ServerFrame::Ack { reference, fields } = frame else { panic!("not an ack") };
        assert_eq!(reference_number(reference.as_ref()), Some(3));
        assert_eq!(fields.get("new_chat"), Some(&json!(18)));
        assert!(!fields.contains_key("ref") && !fields.contains_key("type"));
    }

    #[test]
    fn a_chat_with_unknown_and_missing_fields_is_read() {
        let frame = parse(r#"{"type":"chat_new","chat":{"id":5,"client":{"id":"c1"},"future":1}}"#).unwrap();
        let ServerFrame::ChatNew { chat } = frame else { panic!("not chat_new") };
        assert_eq!((chat.id, chat.client_name(), chat.status.as_str()), (5, "c1", ""));
    }

    #[test]
    fn an_unknown_type_is_an_error() {
        assert!(parse(r#"{"type":"surprise"}"#).is_err());
        assert!(parse("not json").is_err());
    }

    #[test]
    fn an_error_without_ref_is_read() {
        let frame = parse(r#"{"type":"error","code":"bad_request","message":"no"}"#).unwrap();
        assert_eq!(
            frame,
            ServerFrame::Error { reference: None, code: "bad_request".into(), message: "no".into() }
        );
    }
}
