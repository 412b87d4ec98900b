//! WebSocket sessions (PROTOCOL 3): the only place that knows actix-web-actors.
//!
//! - [`frames`]: parsing requests (keeping `ref` for errors); `render`: notices and replies as
//!   JSON frames.
//! - `guard`: frame size, rate limit, heartbeat. Slow consumers are bounded by each session's
//!   mailbox and the hub (see `actors::hub`), and dropped by the kernel (`TCP_USER_TIMEOUT`).
//! - `operator`, `client`: the session actors; `requests`: what each request does.
//!
//! Authentication happens before the upgrade: a bad operator token or client signature is
//! answered 401 and no socket is opened.

mod client;
pub mod frames;
mod guard;
mod operator;
mod render;
mod requests;
mod session;

use actix_http::ws::{Codec, Item};
use actix_web::{get, web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use serde::Deserialize;

use crate::api::{token_of, ApiError};
use crate::auth;
use crate::domain::{ChannelId, ConversationId};
use crate::server::AppState;

pub use guard::{GOING_AWAY, POLICY};

/// Registers the WebSocket endpoints.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(agent_socket).service(client_socket);
}

fn codec(app: &AppState) -> Codec {
    Codec::new().max_size(guard::Guard::codec_limit(&app.config.limits))
}

/// `GET /ws/agent`: an operator socket; 401 before the upgrade without a valid token.
#[get("/ws/agent")]
async fn agent_socket(
    req: HttpRequest,
    stream: web::Payload,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = token_of(&req).unwrap_or_default();
    let me = auth::verify(&app.config.auth, &app.config.settings, &token, auth::now_secs())?;
    let codec = codec(&app);
    let session = operator::OperatorSession::new(app, me);
    ws::WsResponseBuilder::new(session, &req, stream)
        .codec(codec)
        .start()
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

#[derive(Debug, Deserialize)]
struct ClientQuery {
    channel: Option<String>,
    client_id: Option<String>,
    name: Option<String>,
    page_url: Option<String>,
    sig: Option<String>,
}

/// `GET /ws/client`: a client socket; 401 before the upgrade when a signed channel's signature is
/// missing or wrong.
#[get("/ws/client")]
async fn client_socket(
    req: HttpRequest,
    stream: web::Payload,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = web::Query::<ClientQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?
        .into_inner();
    let channel_id = query.channel.ok_or_else(|| ApiError::bad_request("channel is required"))?;
    let channel = app
        .config
        .settings
        .channel(&ChannelId::from(channel_id.as_str()))
        .ok_or_else(|| ApiError::not_found(format!("unknown channel {channel_id}")))?;
    let client_id = match query.client_id.filter(|c| !c.is_empty()) {
        Some(id) if id.len() > 128 || id.chars().any(char::is_control) => {
            return Err(ApiError::bad_request("client_id must be 1-128 printable characters"));
        }
        Some(id) => id,
        None => uuid::Uuid::new_v4().simple().to_string(),
    };
    if let Some(secret) = &channel.secret {
        let sig = query.sig.unwrap_or_default();
        if !auth::client_signature_ok(secret, &client_id, &sig) {
            return Err(ApiError::new("unauthorized", "identity signature missing or wrong"));
        }
    }
    let conversation = ConversationId::new(channel.id.clone(), client_id.as_str());
    let codec = codec(&app);
    let name = query.name.filter(|n| !n.trim().is_empty());
    let page_url = query.page_url.filter(|u| !u.is_empty());
    let session = client::ClientSession::new(app, conversation, name, page_url);
    ws::WsResponseBuilder::new(session, &req, stream)
        .codec(codec)
        .start()
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// Reassembles a fragmented text message; `Some` once complete (or once over the size limit).
fn reassemble(
    partial: &mut Option<String>,
    item: Item,
    guard: &guard::Guard,
) -> Option<Result<String, String>> {
    let append = |buf: &mut String, bytes: &[u8]| buf.push_str(&String::from_utf8_lossy(bytes));
    match item {
        Item::FirstText(bytes) => {
            let mut buf = String::new();
            append(&mut buf, &bytes);
            *partial = Some(buf);
            None
        }
        Item::FirstBinary(_) => {
            *partial = None;
            Some(Err("binary frames are not supported; send JSON text".into()))
        }
        Item::Continue(bytes) => {
            let buf = partial.as_mut()?;
            append(buf, &bytes);
            if guard.too_large(buf.len()) {
                *partial = None;
                return Some(Err("fragmented message is over the size limit".into()));
            }
            None
        }
        Item::Last(bytes) => {
            let mut buf = partial.take()?;
            append(&mut buf, &bytes);
            Some(Ok(buf))
        }
    }
}
