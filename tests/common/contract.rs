//! The wire contract as every test sees it. Each HTTP answer the helpers receive is checked
//! against the OpenAPI document the node serves (`frontline::api::openapi`): its route and
//! method must be documented (or the answer must be the 404 of an unknown route), its status
//! must be one the operation lists, and a JSON body must match that status's schema. Each frame
//! a socket receives is checked against the frames' JSON Schema (`deploy/ws-frames.schema.json`,
//! `frontline::ws::schema`), and so is each request the server acknowledged.
//!
//! Objects are checked strictly: a property the schema does not name is a drift too (the
//! checker adds `additionalProperties: false` to every object schema that lists properties and
//! says nothing about others).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{json, Value};

/// The direction of a WebSocket frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    OperatorToServer,
    ServerToOperator,
    ClientToServer,
    ServerToClient,
}

impl Direction {
    fn def(self) -> &'static str {
        match self {
            Direction::OperatorToServer => "operator_to_server",
            Direction::ServerToOperator => "server_to_operator",
            Direction::ClientToServer => "client_to_server",
            Direction::ServerToClient => "server_to_client",
        }
    }
}

/// Adds `additionalProperties: false` to every object schema that lists `properties` and does
/// not say whether others may come, everywhere under `schema`.
fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for value in map.values_mut() {
                strict(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

fn openapi() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::from_str(frontline::api::openapi::document_json()).expect("the document is JSON")
    })
}

/// A validator for `schema` (which may name `#/components/schemas/...` or `#/$defs/...`),
/// built once per key.
fn check(key: &str, build: impl FnOnce() -> Value, instance: &Value) -> Result<(), String> {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static jsonschema::Validator>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let validator = {
        let mut cache = cache.lock().unwrap();
        *cache.entry(key.to_string()).or_insert_with(|| {
            let schema = build();
            let validator = jsonschema::validator_for(&schema)
                .unwrap_or_else(|e| panic!("the schema for {key} does not compile: {e}"));
            Box::leak(Box::new(validator))
        })
    };
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// The documented path template `path` (no query) falls under, with its path item.
fn operation_path(path: &str) -> Option<(&'static str, &'static Value)> {
    let paths = openapi()["paths"].as_object()?;
    let matches = |template: &str, any: bool| {
        let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
        if !any {
            return t.len() == p.len()
                && t.iter().zip(&p).all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p);
        }
        // A parameter may hold `/` (a webhook delivery id): the literal parts must match around it.
        let Some(at) = t.iter().position(|s| s.starts_with('{')) else { return false };
        let tail = t.len() - at - 1;
        p.len() > t.len() - 1 && p[..at] == t[..at] && p[p.len() - tail..] == t[at + 1..]
    };
    for any in [false, true] {
        if let Some((template, item)) = paths.iter().find(|(template, _)| matches(template, any)) {
            return Some((template.as_str(), item));
        }
    }
    None
}

/// Checks one HTTP answer against the OpenAPI document; panics with what drifted.
pub fn check_http(method: &str, path_and_query: &str, status: u16, content_type: &str, body: &str) {
    let path = path_and_query.split('?').next().unwrap_or_default();
    if !(path.starts_with("/api/") || ["/healthz", "/readyz", "/metrics"].contains(&path)) {
        return; // the console's pages and assets are not the API
    }
    let what = format!("{method} {path_and_query} answered {status}");
    let operation = operation_path(path).and_then(|(template, item)| {
        item.get(method.to_ascii_lowercase()).map(|operation| (template, operation))
    });
    let Some((template, operation)) = operation else {
        let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        assert!(
            status == 404 && body["error"]["code"] == "not_found",
            "{what}, but the OpenAPI document has no such operation: a route the document does not \
             describe ({body})"
        );
        return;
    };
    let Some(response) = operation["responses"].get(status.to_string()) else {
        panic!("{what}: the OpenAPI document lists no {status} for {method} {template}");
    };
    if !content_type.starts_with("application/json") {
        return;
    }
    let Some(schema) = response["content"]["application/json"].get("schema") else {
        panic!("{what}: the document gives no JSON body for it, yet the answer is JSON");
    };
    let instance: Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: the JSON body does not parse: {e}"));
    let key = format!("http {method} {template} {status}");
    let built = || {
        let mut components = openapi()["components"].clone();
        strict(&mut components);
        let mut schema = schema.clone();
        strict(&mut schema);
        json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "components": components, "allOf": [schema]})
    };
    if let Err(errors) = check(&key, built, &instance) {
        panic!("{what}: the body drifted from the OpenAPI document: {errors}\nbody: {body}");
    }
}

/// Checks a WebSocket frame of `direction` against the frames' schema; panics with what
/// drifted. Requests are checked loosely (the server ignores properties it does not know);
/// what the server sends, strictly.
pub fn check_frame(direction: Direction, frame: &Value) {
    let built = || {
        let mut doc = frontline::ws::schema::document();
        if matches!(direction, Direction::ServerToOperator | Direction::ServerToClient) {
            strict(&mut doc["$defs"]);
        }
        doc["anyOf"] = json!([{"$ref": format!("#/$defs/{}", direction.def())}]);
        doc
    };
    if let Err(errors) = check(&format!("ws {}", direction.def()), built, frame) {
        panic!(
            "a {} frame drifted from {}: {errors}\nframe: {frame}",
            direction.def(),
            frontline::ws::schema::PATH
        );
    }
}
