//! The JSON Schema (2020-12) of every WebSocket frame (PROTOCOL 3), kept in
//! `deploy/ws-frames.schema.json`.
//!
//! The requests are the parser's own types ([`OperatorRequest`], [`ClientRequest`]); chats,
//! messages, causes and codes are the schemas the OpenAPI document has. The frames the server
//! sends are built as JSON in `render.rs`, `operator.rs` and `client.rs`; [`server_frames`]
//! describes them here, strictly (no property a frame does not have). A test keeps the file
//! equal to [`document`], and the tests check every frame their sockets receive, and every
//! request the server acknowledged, against it.

use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use super::frames::{ClientRequest, OperatorRequest};
use crate::domain::Cause;

/// The schemas the frames name beyond the HTTP API's.
#[derive(OpenApi)]
#[openapi(components(schemas(OperatorRequest, ClientRequest, Cause)))]
struct Frames;

/// Where the document is kept, from the repository's root.
pub const PATH: &str = "deploy/ws-frames.schema.json";

/// The whole document: `$defs` holds every schema; `operator_to_server`, `server_to_operator`,
/// `client_to_server` and `server_to_client` are the four directions.
pub fn document() -> Value {
    let mut defs = Map::new();
    for doc in [crate::api::openapi::document().clone(), Frames::openapi()] {
        let schemas = doc.components.map(|c| c.schemas).unwrap_or_default();
        for (name, schema) in schemas {
            defs.insert(name, serde_json::to_value(schema).unwrap_or(Value::Null));
        }
    }
    let reference = json!({"type": ["string", "number"], "description": "Echoed in the answer"});
    defs.insert(
        "operator_to_server".into(),
        json!({"allOf": [{"$ref": "#/$defs/OperatorRequest"}, {"properties": {"ref": reference}}]}),
    );
    defs.insert(
        "client_to_server".into(),
        json!({"allOf": [{"$ref": "#/$defs/ClientRequest"}, {"properties": {"ref": reference}}]}),
    );
    let (to_operator, to_client) = server_frames();
    defs.insert("server_to_operator".into(), json!({ "oneOf": to_operator }));
    defs.insert("server_to_client".into(), json!({ "oneOf": to_client }));
    let text = Value::Object(defs).to_string().replace("#/components/schemas/", "#/$defs/");
    let defs = reachable(serde_json::from_str(&text).unwrap_or_default());
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "frontline WebSocket frames",
        "description": "Every frame of /ws/agent and /ws/client (PROTOCOL 3): one of the four \
                        directions in $defs.",
        "anyOf": [
            {"$ref": "#/$defs/operator_to_server"},
            {"$ref": "#/$defs/server_to_operator"},
            {"$ref": "#/$defs/client_to_server"},
            {"$ref": "#/$defs/server_to_client"},
        ],
        "$defs": defs,
    })
}

/// The four directions and the schemas they name, directly or through others (the HTTP API's
/// own bodies are left out).
fn reachable(mut defs: Map<String, Value>) -> Value {
    let mut wanted: Vec<String> =
        ["operator_to_server", "server_to_operator", "client_to_server", "server_to_client"]
            .map(String::from)
            .to_vec();
    let mut kept = Map::new();
    while let Some(name) = wanted.pop() {
        let Some(schema) = defs.remove(&name) else { continue };
        wanted.extend(references(&schema));
        kept.insert(name, schema);
    }
    Value::Object(kept)
}

/// The names of the `$defs` schemas `schema` refers to.
fn references(schema: &Value) -> Vec<String> {
    let text = schema.to_string();
    text.split("\"$ref\":\"#/$defs/")
        .skip(1)
        .map(|part| part.split('"').next().unwrap_or_default().to_string())
        .collect()
}

/// The document as the file holds it (pretty, ending in a newline).
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

/// An object frame of `kind` with exactly `properties` (those in `required` must be there).
fn frame(kind: &str, properties: Value, required: &[&str]) -> Value {
    let mut props = match properties {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    props.insert("type".into(), json!({"const": kind}));
    let mut needed = vec!["type"];
    needed.extend_from_slice(required);
    json!({
        "title": kind,
        "type": "object",
        "properties": props,
        "required": needed,
        "additionalProperties": false,
    })
}

/// The frames the server sends to operators and to clients.
fn server_frames() -> (Vec<Value>, Vec<Value>) {
    let chat = json!({"$ref": "#/$defs/Chat"});
    let chat_id = json!({"$ref": "#/$defs/ChatId"});
    let by = json!({"$ref": "#/$defs/Cause"});
    let reference = json!({"type": ["string", "number"]});
    let nullable_chat_id = json!({"oneOf": [{"type": "null"}, {"$ref": "#/$defs/ChatId"}]});
    let messages = json!({"type": "array", "items": {"$ref": "#/$defs/Message"}});
    let ack = frame(
        "ack",
        json!({
            "ref": reference,
            "chat": chat_id, "seq": {"type": "integer", "minimum": 0},
            "new_chat": chat_id, "into": chat_id,
            "outcome": {"enum": ["delivered", "queued", "dropped"]},
            "messages": messages, "prev_chat": nullable_chat_id,
        }),
        &[],
    );
    let error = frame(
        "error",
        json!({"ref": reference, "code": {"$ref": "#/$defs/ErrorCode"}, "message": {"type": "string"}}),
        &["code", "message"],
    );
    let pong = frame("pong", json!({"ref": reference}), &[]);
    let message = frame("message", json!({"message": {"$ref": "#/$defs/Message"}}), &["message"]);
    let operator = json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "name": {"type": ["string", "null"]},
            "role": {"$ref": "#/$defs/Role"},
            "lines": {"type": "array", "items": {"type": "string"}},
            "capacity": {"type": "integer", "minimum": 0},
            "presence": {"$ref": "#/$defs/Presence"},
        },
        "required": ["id", "name", "role", "lines", "capacity", "presence"],
        "additionalProperties": false,
    });
    let chats = json!({"type": "array", "items": {"$ref": "#/$defs/Chat"}});
    let to_operator = vec![
        frame(
            "welcome",
            json!({"operator": operator, "my": chats, "new": chats, "new_total": {"type": "integer", "minimum": 0}}),
            &["operator", "my", "new", "new_total"],
        ),
        ack.clone(),
        error.clone(),
        pong.clone(),
        frame("chat_new", json!({"chat": chat}), &["chat"]),
        frame(
            "offer",
            json!({"chat": chat, "expires_in_ms": {"type": "integer", "minimum": 0}}),
            &["chat", "expires_in_ms"],
        ),
        frame(
            "offer_withdrawn",
            json!({"chat": chat_id, "reason": {"enum": ["taken", "timeout", "declined", "unavailable", "gone"]}, "by": by}),
            &["chat", "reason", "by"],
        ),
        frame("chat_assigned", json!({"chat": chat, "by": by}), &["chat", "by"]),
        frame("chat_updated", json!({"chat": chat, "by": by}), &["chat", "by"]),
        frame(
            "chat_removed",
            json!({"chat": chat_id, "reason": {"enum": ["taken", "finished", "reassigned", "moved", "merged"]}, "by": by}),
            &["chat", "reason", "by"],
        ),
        frame(
            "client_voted",
            json!({"chat": chat_id, "score": {"type": "integer", "minimum": 1, "maximum": 3}, "label": {"type": "string"}}),
            &["chat", "score", "label"],
        ),
        message.clone(),
        frame("typing", json!({"chat": chat_id, "author": {"type": "string"}}), &["chat", "author"]),
        frame(
            "presence",
            json!({"operator": {"type": "string"}, "status": {"$ref": "#/$defs/Presence"}}),
            &["operator", "status"],
        ),
    ];
    let to_client = vec![
        frame(
            "welcome",
            json!({
                "client_id": {"type": "string"},
                "conversation": {"type": "string"},
                "token": {"type": "string"},
                "chat": nullable_chat_id,
                "messages": messages,
            }),
            &["client_id", "conversation", "chat", "messages"],
        ),
        ack,
        error,
        pong,
        message,
        frame("typing", json!({}), &[]),
        frame("queue", json!({"position": {"type": "integer", "minimum": 1}}), &["position"]),
        frame(
            "vote_request",
            json!({
                "chat": chat_id,
                "options": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 3}, "label": {"type": "string"}},
                    "required": ["score", "label"],
                    "additionalProperties": false,
                }},
            }),
            &["chat", "options"],
        ),
        frame("vote_thanks", json!({"chat": chat_id, "text": {"type": "string"}}), &["chat", "text"]),
        frame("chat_finished", json!({"chat": chat_id}), &["chat"]),
    ];
    (to_operator, to_client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_in_deploy_is_the_document_the_code_describes() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
        let expected = document_text();
        if std::env::var_os("FRONTLINE_WRITE_SCHEMA").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let kept = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            kept == expected,
            "{PATH} differs from ws::schema::document(): run `FRONTLINE_WRITE_SCHEMA=1 cargo test --lib \
             ws::schema` and review the change"
        );
    }

    #[test]
    fn every_reference_names_a_schema_it_holds() {
        let doc = document();
        for name in references(&doc) {
            assert!(doc["$defs"].get(&name).is_some(), "$ref to a missing schema {name}");
        }
        assert!(!doc.to_string().contains("#/components/"), "an OpenAPI reference was left");
    }
}
