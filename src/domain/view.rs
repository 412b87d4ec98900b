//! The wire shapes of chats and messages (PROTOCOL 3.1), derived from domain state. The store
//! keeps them as list rows, sockets and the HTTP API send them as they are.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::chat::Chat;
use super::conversation::Conversation;
use super::event::{Author, Message};
use super::ids::{
    rfc3339, ChannelId, ChatId, ClientId, ConversationId, LineId, OperatorId, Seq, Span, Timestamp,
};
use super::status::{AuthorKind, DetailedStatus, Direction, GeneralStatus, Phase, Status};

/// `client` of a chat object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClientView {
    /// Client id within the channel.
    pub id: ClientId,
    /// Display name, when known.
    pub name: Option<String>,
}

/// `metrics` of a chat object: SPEC 6 timestamps and durations (seconds, ms precision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Metrics)]
pub struct MetricsView {
    /// Created.
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last entered a line queue.
    #[serde(with = "rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub queued_at: Option<Timestamp>,
    /// First responsible.
    #[serde(with = "rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub taken_at: Option<Timestamp>,
    /// First operator reply.
    #[serde(with = "rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_response_at: Option<Timestamp>,
    /// Last client or operator message.
    #[serde(with = "rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_message_at: Option<Timestamp>,
    /// Last finished by an operator.
    #[serde(with = "rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub operator_closed_at: Option<Timestamp>,
    /// Finished.
    #[serde(with = "rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
    /// Last change.
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// created → first operator reply.
    pub wait_first_response: Option<f64>,
    /// created → first responsible.
    pub time_to_take: Option<f64>,
    /// created → operator finish.
    pub time_to_operator_close: Option<f64>,
    /// first → last message.
    pub duration: Option<f64>,
    /// first client message → first answer (or finish).
    pub first_message_response: Option<f64>,
    /// auto-replies before the first operator.
    pub bot_time: Option<f64>,
    /// Sum of response intervals.
    pub total_response: Option<f64>,
    /// Mean response interval.
    pub avg_response: Option<f64>,
    /// Longest response interval.
    pub max_response: Option<f64>,
}

/// A chat object (PROTOCOL 3.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Chat)]
pub struct ChatView {
    /// Chat number.
    pub id: ChatId,
    /// `<channel>:<client_id>`.
    #[schema(value_type = String, example = "web:c-42")]
    pub conversation: ConversationId,
    /// Channel.
    pub channel: ChannelId,
    /// Line.
    pub line: LineId,
    /// incoming | outgoing.
    pub direction: Direction,
    /// The client.
    pub client: ClientView,
    /// Responsible operator.
    pub responsible: Option<OperatorId>,
    /// Invited operators.
    pub participants: Vec<OperatorId>,
    /// Pinned to the responsible.
    pub pinned: bool,
    /// Title.
    pub subject: Option<String>,
    /// Request type.
    pub request_type: Option<String>,
    /// Reasons.
    pub reasons: Vec<String>,
    /// Components.
    pub components: Vec<String>,
    /// Widget page.
    pub page_url: Option<String>,
    /// active | closing | finished.
    pub phase: Phase,
    /// Status.
    pub status: Status,
    /// SPEC 6 detailed status.
    pub detailed_status: DetailedStatus,
    /// SPEC 6 general status.
    pub general_status: GeneralStatus,
    /// The messages since the client's reactivation may be split off.
    pub splittable: bool,
    /// Previous chat of the conversation.
    pub prev_chat: Option<ChatId>,
    /// Next chat of the conversation.
    pub next_chat: Option<ChatId>,
    /// Merged into that chat (hidden from lists).
    pub merged_into: Option<ChatId>,
    /// Client's vote 1-3.
    pub client_rating: Option<u8>,
    /// Operator's rating of the client 1-3.
    pub operator_rating: Option<u8>,
    /// Supervisor's rating 1-5.
    pub supervisor_rating: Option<u8>,
    /// Supervisor's comment.
    pub supervisor_comment: Option<String>,
    /// Created.
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last change.
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// SPEC 6 timestamps and durations.
    pub metrics: MetricsView,
}

fn secs(span: Option<Span>) -> Option<f64> {
    span.map(Span::as_secs_f64)
}

impl ChatView {
    /// The view of `chat`, a chat of `conv`.
    pub fn of(conv: &Conversation, chat: &Chat) -> Self {
        let m = &chat.metrics;
        let d = m.durations();
        Self {
            id: chat.id,
            conversation: conv.id.clone(),
            channel: conv.id.channel.clone(),
            line: chat.line.clone(),
            direction: chat.direction,
            client: ClientView { id: conv.id.client.clone(), name: conv.client_name.clone() },
            responsible: chat.responsible.clone(),
            participants: chat.participants.clone(),
            pinned: chat.pinned,
            subject: chat.fields.subject.clone(),
            request_type: chat.fields.request_type.clone(),
            reasons: chat.fields.reasons.clone(),
            components: chat.fields.components.clone(),
            page_url: chat.page_url.clone(),
            phase: chat.phase,
            status: chat.status,
            detailed_status: chat.detailed_status(),
            general_status: chat.general_status(),
            splittable: chat.splittable(),
            prev_chat: chat.prev_chat,
            next_chat: chat.next_chat,
            merged_into: chat.merged_into,
            client_rating: chat.client_rating,
            operator_rating: chat.operator_rating,
            supervisor_rating: chat.supervisor_rating,
            supervisor_comment: chat.supervisor_comment.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            metrics: MetricsView {
                created_at: m.created_at,
                queued_at: m.queued_at,
                taken_at: m.taken_at,
                first_response_at: m.first_response_at,
                last_message_at: m.last_message_at,
                operator_closed_at: m.operator_closed_at,
                finished_at: m.finished_at,
                updated_at: m.updated_at,
                wait_first_response: secs(d.wait_first_response),
                time_to_take: secs(d.time_to_take),
                time_to_operator_close: secs(d.time_to_operator_close),
                duration: secs(d.duration),
                first_message_response: secs(d.first_message_response),
                bot_time: secs(d.bot_time),
                total_response: secs(d.total_response),
                avg_response: secs(d.avg_response),
                max_response: secs(d.max_response),
            },
        }
    }
}

/// `author` of a message object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Author)]
pub struct AuthorView {
    /// client | operator | bot | system.
    pub kind: AuthorKind,
    /// Client id, operator id, bot source, or `frontline`.
    pub id: String,
}

/// A message object (PROTOCOL 3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Message)]
pub struct MessageView {
    /// `<channel>:<client_id>`.
    #[schema(value_type = String, example = "web:c-42")]
    pub conversation: ConversationId,
    /// The chat it belongs to now (a split or merge moves messages).
    pub chat: Option<ChatId>,
    /// Position in the conversation.
    #[schema(value_type = u64)]
    pub seq: Seq,
    /// Who wrote it.
    pub author: AuthorView,
    /// Text.
    pub text: String,
    /// When.
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Sender's idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    /// A private note: never shown to the client.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
}

impl MessageView {
    /// The view of `message`, stored at `at` in `conversation`.
    pub fn of(conversation: &ConversationId, message: &Message, at: Timestamp) -> Self {
        Self {
            conversation: conversation.clone(),
            chat: message.chat,
            seq: message.seq,
            author: AuthorView::of(&message.author),
            text: message.text.clone(),
            at,
            client_msg_id: message.client_msg_id.clone(),
            private: message.private,
        }
    }

    /// The message as its conversation's client may see it: the idempotency key of anyone but
    /// the client (an operator's, a console's) is internal to them and left out.
    pub fn for_client(&self) -> std::borrow::Cow<'_, MessageView> {
        use std::borrow::Cow;
        match (&self.client_msg_id, self.author.kind) {
            (Some(_), kind) if kind != AuthorKind::Client => {
                Cow::Owned(MessageView { client_msg_id: None, ..self.clone() })
            }
            _ => Cow::Borrowed(self),
        }
    }
}

impl AuthorView {
    /// The view of `author`.
    pub fn of(author: &Author) -> Self {
        Self { kind: author.kind(), id: author.id().to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::{active_open, T0};

    #[test]
    fn a_chat_object_has_every_protocol_field_with_times_in_rfc3339() {
        let w = active_open();
        let view = ChatView::of(&w.conv, w.latest());
        let json = serde_json::to_value(&view).unwrap();
        for key in [
            "id",
            "conversation",
            "channel",
            "line",
            "direction",
            "client",
            "responsible",
            "participants",
            "pinned",
            "subject",
            "request_type",
            "reasons",
            "components",
            "page_url",
            "phase",
            "status",
            "detailed_status",
            "general_status",
            "splittable",
            "prev_chat",
            "next_chat",
            "merged_into",
            "client_rating",
            "operator_rating",
            "supervisor_rating",
            "supervisor_comment",
            "created_at",
            "updated_at",
            "metrics",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(json["conversation"], "web:c1");
        assert_eq!(json["client"], serde_json::json!({"id": "c1", "name": null}));
        assert_eq!(json["detailed_status"], "operator_answered");
        assert_eq!(json["created_at"], T0.to_rfc3339());
        assert_eq!(json["metrics"]["wait_first_response"], 0.0);
        assert!(json["metrics"]["finished_at"].is_null());
        let back: ChatView = serde_json::from_value(json).unwrap();
        assert_eq!(back, view);
    }

    #[test]
    fn a_message_object_names_its_author_and_hides_the_private_flag_unless_set() {
        let conv = ConversationId::new("web", "c1");
        let message = Message {
            seq: 3,
            chat: Some(ChatId(1)),
            author: Author::Operator(OperatorId::from("alice")),
            text: "hi".into(),
            client_msg_id: Some("m1".into()),
            private: false,
            from_held: false,
        };
        let json = serde_json::to_value(MessageView::of(&conv, &message, T0)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"conversation": "web:c1", "chat": 1, "seq": 3,
                "author": {"kind": "operator", "id": "alice"}, "text": "hi",
                "at": "2023-11-14T22:13:20.000Z", "client_msg_id": "m1"})
        );
    }

    #[test]
    fn a_client_sees_its_own_idempotency_keys_and_nobody_elses() {
        let conv = ConversationId::new("web", "c1");
        let message = |author: Author| Message {
            seq: 3,
            chat: Some(ChatId(1)),
            author,
            text: "hi".into(),
            client_msg_id: Some("agent-7f3a-2".into()),
            private: false,
            from_held: false,
        };
        let operator = MessageView::of(&conv, &message(Author::Operator(OperatorId::from("alice"))), T0);
        assert_eq!(operator.for_client().client_msg_id, None);
        assert_eq!(operator.client_msg_id.as_deref(), Some("agent-7f3a-2"), "operators keep it");
        let own = MessageView::of(&conv, &message(Author::Client(ClientId::from("c1"))), T0);
        assert_eq!(own.for_client().client_msg_id.as_deref(), Some("agent-7f3a-2"));
        let json = serde_json::to_value(operator.for_client()).unwrap();
        assert!(json.get("client_msg_id").is_none(), "{json}");
    }
}
