//! Notices and replies as JSON frames (PROTOCOL 3.2, 3.3). Tab notices carry `by`, their cause
//! (PROTOCOL 5); message frames for clients leave out other authors' `client_msg_id`.

use serde_json::{json, Map, Value};

use crate::domain::{ClientNotice, MessageView, OperatorNotice};
use crate::edge::ErrorCode;

/// The frame of an operator notice (`None` for `Closing`, which closes the socket instead, and
/// for `Resync`, which the session answers with a new welcome).
pub fn operator_frame(notice: &OperatorNotice) -> Option<Value> {
    Some(match notice {
        OperatorNotice::ChatNew(chat) => json!({"type": "chat_new", "chat": chat}),
        OperatorNotice::Offer { chat, expires_in_ms } => {
            json!({"type": "offer", "chat": chat, "expires_in_ms": expires_in_ms.max(&0)})
        }
        OperatorNotice::OfferWithdrawn { chat, reason, by } => {
            json!({"type": "offer_withdrawn", "chat": chat, "reason": reason.as_str(), "by": by})
        }
        OperatorNotice::ChatAssigned { chat, by } => json!({"type": "chat_assigned", "chat": chat, "by": by}),
        OperatorNotice::ChatUpdated { chat, by } => json!({"type": "chat_updated", "chat": chat, "by": by}),
        OperatorNotice::ChatRemoved { chat, reason, by } => {
            json!({"type": "chat_removed", "chat": chat, "reason": reason.as_str(), "by": by})
        }
        OperatorNotice::ClientVoted { chat, score, label } => {
            json!({"type": "client_voted", "chat": chat, "score": score, "label": label})
        }
        OperatorNotice::Message(message) => json!({"type": "message", "message": message}),
        OperatorNotice::Typing { chat, author } => json!({"type": "typing", "chat": chat, "author": author}),
        OperatorNotice::Presence { operator, status } => {
            json!({"type": "presence", "operator": operator, "status": status.as_str()})
        }
        OperatorNotice::Closing | OperatorNotice::Resync => return None,
    })
}

/// The frame of a client notice (`None` for `Closing` and `Resync`). A client never sees statuses,
/// responsibles, notes or other conversations: only these frames reach it.
pub fn client_frame(notice: &ClientNotice) -> Option<Value> {
    Some(match notice {
        ClientNotice::Message(message) => json!({"type": "message", "message": message.for_client()}),
        ClientNotice::Typing => json!({"type": "typing"}),
        ClientNotice::Queue { position } => json!({"type": "queue", "position": position}),
        ClientNotice::VoteRequest { chat, options } => {
            let options: Vec<Value> =
                options.iter().map(|(score, label)| json!({"score": score, "label": label})).collect();
            json!({"type": "vote_request", "chat": chat, "options": options})
        }
        ClientNotice::VoteThanks { chat, text } => json!({"type": "vote_thanks", "chat": chat, "text": text}),
        ClientNotice::ChatFinished { chat } => json!({"type": "chat_finished", "chat": chat}),
        ClientNotice::Closing | ClientNotice::Resync => return None,
    })
}

/// Messages as a client may see them (welcome, history): without other authors' `client_msg_id`.
pub fn client_messages(messages: &[MessageView]) -> Value {
    Value::Array(messages.iter().map(|m| json!(m.for_client())).collect())
}

/// `{"type":"ack","ref":...}` plus the result fields.
pub fn ack(reference: Option<&Value>, fields: Value) -> Value {
    let mut frame = Map::new();
    frame.insert("type".into(), Value::from("ack"));
    if let Some(r) = reference {
        frame.insert("ref".into(), r.clone());
    }
    if let Value::Object(fields) = fields {
        frame.extend(fields);
    }
    Value::Object(frame)
}

/// `{"type":"error","ref":...,"code":...,"message":...}`.
pub fn error(reference: Option<&Value>, code: ErrorCode, message: &str) -> Value {
    let mut frame = Map::new();
    frame.insert("type".into(), Value::from("error"));
    if let Some(r) = reference {
        frame.insert("ref".into(), r.clone());
    }
    frame.insert("code".into(), Value::from(code.as_str()));
    frame.insert("message".into(), Value::from(message));
    Value::Object(frame)
}

/// `{"type":"pong"}` (with the ping's `ref`, if any).
pub fn pong(reference: Option<&Value>) -> Value {
    match reference {
        Some(r) => json!({"type": "pong", "ref": r}),
        None => json!({"type": "pong"}),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::{
        Author, Cause, ChatId, ConversationId, Message, OperatorId, RemovedReason, TimerKind, Timestamp,
        Withdrawal,
    };

    fn message(author: Author, key: &str) -> Arc<MessageView> {
        let m = Message {
            seq: 2,
            chat: Some(ChatId(3)),
            author,
            text: "hi".into(),
            client_msg_id: Some(key.into()),
            private: false,
            from_held: false,
        };
        Arc::new(MessageView::of(&ConversationId::new("web", "c1"), &m, Timestamp(0)))
    }

    #[test]
    fn tab_notices_carry_their_cause_as_by() {
        let removed = OperatorNotice::ChatRemoved {
            chat: ChatId(3),
            reason: RemovedReason::Finished,
            by: Cause::rule("line 2 hands back to line 1"),
        };
        assert_eq!(
            operator_frame(&removed),
            Some(json!({"type": "chat_removed", "chat": 3, "reason": "finished",
                "by": {"kind": "rule", "rule": "line 2 hands back to line 1"}}))
        );
        let withdrawn = OperatorNotice::OfferWithdrawn {
            chat: ChatId(3),
            reason: Withdrawal::Timeout,
            by: Cause::timer(TimerKind::Offer),
        };
        assert_eq!(
            operator_frame(&withdrawn),
            Some(json!({"type": "offer_withdrawn", "chat": 3, "reason": "timeout",
                "by": {"kind": "timer", "timer": "offer"}}))
        );
        let voted = OperatorNotice::ClientVoted { chat: ChatId(3), score: 3, label: "Excellent".into() };
        assert_eq!(
            operator_frame(&voted),
            Some(json!({"type": "client_voted", "chat": 3, "score": 3, "label": "Excellent"}))
        );
    }

    #[test]
    fn a_client_never_gets_an_operators_client_msg_id_but_operators_do() {
        let from_console = message(Author::Operator(OperatorId::from("alice")), "agent-1f2e-4");
        let to_client = client_frame(&ClientNotice::Message(from_console.clone())).unwrap();
        assert_eq!(to_client["message"]["text"], "hi");
        assert!(to_client["message"].get("client_msg_id").is_none(), "{to_client}");
        assert!(!to_client.to_string().contains("agent-1f2e-4"));
        let to_operator = operator_frame(&OperatorNotice::Message(from_console.clone())).unwrap();
        assert_eq!(to_operator["message"]["client_msg_id"], "agent-1f2e-4");
        let listed = client_messages(&[(*from_console).clone()]);
        assert!(listed[0].get("client_msg_id").is_none(), "{listed}");

        let own = message(Author::Client(crate::domain::ClientId::from("c1")), "m1");
        let echoed = client_frame(&ClientNotice::Message(own)).unwrap();
        assert_eq!(echoed["message"]["client_msg_id"], "m1", "a client keeps its own keys");
    }
}
