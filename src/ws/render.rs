//! Notices and replies as JSON frames (PROTOCOL 3.2, 3.3).

use serde_json::{json, Map, Value};

use crate::domain::{ClientNotice, OperatorNotice};

/// The frame of an operator notice (`None` for `Closing`, which closes the socket instead).
pub fn operator_frame(notice: &OperatorNotice) -> Option<Value> {
    Some(match notice {
        OperatorNotice::ChatNew(chat) => json!({"type": "chat_new", "chat": chat}),
        OperatorNotice::Offer { chat, expires_in_ms } => {
            json!({"type": "offer", "chat": chat, "expires_in_ms": expires_in_ms.max(&0)})
        }
        OperatorNotice::OfferWithdrawn(chat) => json!({"type": "offer_withdrawn", "chat": chat}),
        OperatorNotice::ChatAssigned(chat) => json!({"type": "chat_assigned", "chat": chat}),
        OperatorNotice::ChatUpdated(chat) => json!({"type": "chat_updated", "chat": chat}),
        OperatorNotice::ChatRemoved { chat, reason } => {
            json!({"type": "chat_removed", "chat": chat, "reason": reason.as_str()})
        }
        OperatorNotice::Message(message) => json!({"type": "message", "message": message}),
        OperatorNotice::Typing { chat, author } => json!({"type": "typing", "chat": chat, "author": author}),
        OperatorNotice::Presence { operator, status } => {
            json!({"type": "presence", "operator": operator, "status": status})
        }
        OperatorNotice::Closing => return None,
    })
}

/// The frame of a client notice (`None` for `Closing`). A client never sees statuses,
/// responsibles, notes or other conversations: only these frames reach it.
pub fn client_frame(notice: &ClientNotice) -> Option<Value> {
    Some(match notice {
        ClientNotice::Message(message) => json!({"type": "message", "message": message}),
        ClientNotice::Typing => json!({"type": "typing"}),
        ClientNotice::Queue { position } => json!({"type": "queue", "position": position}),
        ClientNotice::VoteRequest { chat, options } => {
            let options: Vec<Value> =
                options.iter().map(|(score, label)| json!({"score": score, "label": label})).collect();
            json!({"type": "vote_request", "chat": chat, "options": options})
        }
        ClientNotice::VoteThanks { chat, text } => json!({"type": "vote_thanks", "chat": chat, "text": text}),
        ClientNotice::ChatFinished { chat } => json!({"type": "chat_finished", "chat": chat}),
        ClientNotice::Closing => return None,
    })
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
pub fn error(reference: Option<&Value>, code: &str, message: &str) -> Value {
    let mut frame = Map::new();
    frame.insert("type".into(), Value::from("error"));
    if let Some(r) = reference {
        frame.insert("ref".into(), r.clone());
    }
    frame.insert("code".into(), Value::from(code));
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
