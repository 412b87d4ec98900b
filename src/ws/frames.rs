//! WebSocket frames (PROTOCOL 3): parsing what sockets send into typed requests, keeping the
//! `ref` even when the rest is malformed so that the error can answer it.

use serde::Deserialize;
use serde_json::Value;

use crate::domain::routing::Presence;
use crate::domain::{ChatId, Seq, Status};

/// A request from an operator's socket (PROTOCOL 3.2).
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OperatorRequest {
    /// Set presence.
    Presence {
        /// online | away | offline.
        status: Presence,
    },
    /// Write to a client: into `chat`, or into the latest chat of `conversation`.
    Send {
        /// The chat.
        chat: Option<ChatId>,
        /// `<channel>:<client_id>`.
        conversation: Option<String>,
        /// Text.
        text: String,
        /// Idempotency key.
        client_msg_id: Option<String>,
    },
    /// A private note.
    Note {
        /// The chat.
        chat: ChatId,
        /// Text.
        text: String,
    },
    /// Take a chat from New.
    Take {
        /// The chat.
        chat: ChatId,
    },
    /// Accept an offer.
    Accept {
        /// The chat.
        chat: ChatId,
    },
    /// Decline an offer.
    Decline {
        /// The chat.
        chat: ChatId,
    },
    /// Typing, relayed to the client.
    Typing {
        /// The chat.
        chat: ChatId,
    },
    /// Set a manual status.
    SetStatus {
        /// The chat.
        chat: ChatId,
        /// open | pending | on_hold.
        status: Status,
    },
    /// Finish with a status.
    Finish {
        /// The chat.
        chat: ChatId,
        /// open | pending | closed.
        status: Status,
        /// Rating of the client, 1-3.
        operator_rating: Option<u8>,
        /// Ask the client to vote.
        request_vote: Option<bool>,
    },
    /// Finish as spam.
    ForceFinish {
        /// The chat.
        chat: ChatId,
    },
    /// Reopen the latest closed chat.
    Reopen {
        /// The chat.
        chat: ChatId,
    },
    /// Forward to an operator or a line.
    Forward {
        /// The chat.
        chat: ChatId,
        /// The operator.
        to_operator: Option<String>,
        /// The line.
        to_line: Option<String>,
    },
    /// Invite a participant.
    Invite {
        /// The chat.
        chat: ChatId,
        /// The operator.
        operator: String,
    },
    /// Split the messages since the reactivation into a new chat.
    Split {
        /// The chat.
        chat: ChatId,
    },
    /// Merge into the previous (closed) chat.
    MergePrevious {
        /// The chat.
        chat: ChatId,
    },
    /// Edit fields and pinning.
    UpdateChat {
        /// The chat.
        chat: ChatId,
        /// Title.
        subject: Option<String>,
        /// Request type.
        request_type: Option<String>,
        /// Reasons.
        reasons: Option<Vec<String>>,
        /// Components.
        components: Option<Vec<String>>,
        /// Pin to the responsible.
        pinned: Option<bool>,
    },
    /// Messages of a chat.
    History {
        /// The chat.
        chat: ChatId,
        /// Before this seq.
        #[schema(value_type = Option<u64>)]
        before_seq: Option<Seq>,
        /// How many (default 50).
        limit: Option<usize>,
    },
    /// Heartbeat.
    Ping,
}

/// A request from a client's socket (PROTOCOL 3.3).
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientRequest {
    /// Write.
    Send {
        /// Text.
        text: String,
        /// Idempotency key.
        client_msg_id: Option<String>,
    },
    /// Typing, relayed to operators.
    Typing,
    /// Rate the chat in voting close mode.
    Vote {
        /// The chat.
        chat: ChatId,
        /// 1-3.
        score: u8,
    },
    /// Messages of the conversation.
    History {
        /// Before this seq.
        #[schema(value_type = Option<u64>)]
        before_seq: Option<Seq>,
        /// How many (default 50).
        limit: Option<usize>,
    },
    /// Heartbeat.
    Ping,
}

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// The frame's `ref`, if it had one.
    pub reference: Option<Value>,
    /// What was wrong.
    pub message: String,
}

/// Reads one text frame as a request of type `R`, returning it with its `ref`.
pub fn parse<R: for<'de> Deserialize<'de>>(
    text: &str,
    known: &[&str],
) -> Result<(R, Option<Value>), FrameError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| FrameError { reference: None, message: format!("not valid JSON: {e}") })?;
    let Value::Object(object) = &value else {
        return Err(FrameError { reference: None, message: "a frame must be a JSON object".into() });
    };
    let reference = object.get("ref").filter(|r| r.is_string() || r.is_number()).cloned();
    let fail = |message: String| FrameError { reference: reference.clone(), message };
    match object.get("type").and_then(Value::as_str) {
        None => return Err(fail("missing \"type\"".into())),
        Some(t) if !known.contains(&t) => return Err(fail(format!("unknown type {t:?}"))),
        Some(_) => {}
    }
    let request = R::deserialize(&value).map_err(|e| fail(e.to_string()))?;
    Ok((request, reference))
}

/// The `ref` of a frame, if it is a JSON object carrying a string or number `ref`.
pub fn reference_of(text: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut object)) => object.remove("ref").filter(|r| r.is_string() || r.is_number()),
        _ => None,
    }
}

/// Frame types an operator may send.
pub const OPERATOR_TYPES: [&str; 18] = [
    "presence",
    "send",
    "note",
    "take",
    "accept",
    "decline",
    "typing",
    "set_status",
    "finish",
    "force_finish",
    "reopen",
    "forward",
    "invite",
    "split",
    "merge_previous",
    "update_chat",
    "history",
    "ping",
];

/// Frame types a client may send.
pub const CLIENT_TYPES: [&str; 5] = ["send", "typing", "vote", "history", "ping"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_read_with_its_ref() {
        let (req, r) =
            parse::<OperatorRequest>(r#"{"type":"take","chat":17,"ref":"a1"}"#, &OPERATOR_TYPES).unwrap();
        assert_eq!(req, OperatorRequest::Take { chat: ChatId(17) });
        assert_eq!(r, Some(Value::from("a1")));
        let (req, r) =
            parse::<ClientRequest>(r#"{"type":"vote","chat":3,"score":2,"ref":7}"#, &CLIENT_TYPES).unwrap();
        assert_eq!(req, ClientRequest::Vote { chat: ChatId(3), score: 2 });
        assert_eq!(r, Some(Value::from(7)));
    }

    #[test]
    fn malformed_json_is_an_error_without_ref() {
        let e = parse::<OperatorRequest>("{not json", &OPERATOR_TYPES).unwrap_err();
        assert_eq!(e.reference, None);
        assert!(e.message.contains("not valid JSON"));
    }

    #[test]
    fn an_unknown_type_keeps_the_ref_for_the_error() {
        let e =
            parse::<OperatorRequest>(r#"{"type":"no_such_thing","ref":"r1"}"#, &OPERATOR_TYPES).unwrap_err();
        assert_eq!(e.reference, Some(Value::from("r1")));
        assert!(e.message.contains("no_such_thing"));
    }

    #[test]
    fn a_missing_field_names_it() {
        let e =
            parse::<OperatorRequest>(r#"{"type":"finish","chat":1,"ref":2}"#, &OPERATOR_TYPES).unwrap_err();
        assert!(e.message.contains("status"), "{}", e.message);
        assert_eq!(e.reference, Some(Value::from(2)));
    }

    #[test]
    fn a_client_cannot_send_operator_frames() {
        let e = parse::<ClientRequest>(r#"{"type":"take","chat":1}"#, &CLIENT_TYPES).unwrap_err();
        assert!(e.message.contains("unknown type"));
    }
}
