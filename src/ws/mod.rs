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
mod echo;
pub mod frames;
mod guard;
mod operator;
mod render;
mod requests;
pub mod schema;
mod session;

use actix_http::ws::{Codec, Item};
use actix_web::{get, web, HttpRequest, HttpResponse};
use actix_web_actors::ws;

use crate::auth;
use crate::domain::{text, ChannelId, ClientId, ConversationId};
use crate::edge::{token_of, AppState, EdgeError, ErrorCode, Params, Slot};

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
) -> Result<HttpResponse, EdgeError> {
    let token = token_of(&req).unwrap_or_default();
    let me = auth::verify(&app.config.auth, &app.config.settings, &token, auth::now_secs())?;
    let slot = admit_address(&req, &app)?;
    let codec = codec(&app);
    let session = operator::OperatorSession::new(app, me, req.peer_addr(), slot);
    ws::WsResponseBuilder::new(session, &req, stream)
        .codec(codec)
        .start()
        .map_err(|e| EdgeError::bad_request(e.to_string()))
}

/// The query parameters a client socket takes (PROTOCOL 3.3).
const CLIENT_PARAMS: [&str; 6] = ["channel", "client_id", "name", "page_url", "sig", "token"];

/// The one answer to a client that does not prove its conversation: the same whether the token
/// is missing or wrong, and naming nothing about the conversation.
fn not_proven() -> EdgeError {
    EdgeError::new(ErrorCode::Unauthorized, "the conversation token is missing or wrong")
}

/// Too many sockets: from this address, or on this conversation.
fn too_many(what: &str) -> EdgeError {
    EdgeError::new(ErrorCode::RateLimited, format!("too many sockets open {what}; close one first"))
}

/// A place for one more socket from the caller's address (the operator and client sockets
/// both count).
fn admit_address(req: &HttpRequest, app: &AppState) -> Result<Option<Slot>, EdgeError> {
    let Some(peer) = req.peer_addr() else { return Ok(None) };
    app.sockets_per_address
        .admit(peer.ip(), app.config.limits.connections_per_address)
        .map(Some)
        .ok_or_else(|| too_many("from this address"))
}

/// `GET /ws/client`: a client socket. Before the upgrade, in this order: the query is read
/// strictly (valid UTF-8, known parameters, a printable `client_id`), the remote address is
/// admitted, the client proves who it is (the channel's `secret` signature, or on a channel
/// without one, the conversation's token when the conversation already exists), and the
/// conversation is admitted (sockets per conversation). Anything else is answered with an HTTP
/// error and no socket.
#[get("/ws/client")]
async fn client_socket(
    req: HttpRequest,
    stream: web::Payload,
    app: web::Data<AppState>,
) -> Result<HttpResponse, EdgeError> {
    let params = Params::parse(req.query_string(), &CLIENT_PARAMS)?;
    let channel_id = params.one("channel")?.ok_or_else(|| EdgeError::bad_request("channel is required"))?;
    let channel = app
        .config
        .settings
        .channel(&ChannelId::from(channel_id))
        .ok_or_else(|| EdgeError::not_found(format!("unknown channel {channel_id:?}")))?;
    let (client, fresh) = match params.one("client_id")?.filter(|c| !c.is_empty()) {
        Some(id) => (ClientId::checked(id).map_err(|e| EdgeError::bad_request(e.to_string()))?, false),
        None => (ClientId::from(uuid::Uuid::new_v4().simple().to_string()), true),
    };
    let name = params.one("name")?.filter(|n| !n.trim().is_empty()).map(str::to_owned);
    if let Some(name) = &name {
        text::check_client_name(name)?;
    }
    let page_url = params.one("page_url")?.filter(|u| !u.is_empty()).map(str::to_owned);
    if let Some(url) = &page_url {
        text::check_page_url(url)?;
    }
    let conversation = ConversationId { channel: channel.id.clone(), client };
    let address_slot = admit_address(&req, &app)?;
    let token = match &channel.secret {
        Some(secret) => {
            let sig = params.one("sig")?.unwrap_or_default();
            if !auth::client_signature_ok(secret, conversation.client.as_str(), sig) {
                return Err(EdgeError::new(ErrorCode::Unauthorized, "identity signature missing or wrong"));
            }
            None
        }
        None => {
            let tokens = &app.config.auth.client_tokens;
            match params.one("token")? {
                Some(given) if !tokens.verify(&conversation, given) => return Err(not_proven()),
                Some(_) => {}
                None if fresh => {}
                None => {
                    if app.node.conversation_head(conversation.clone()).await?.is_some() {
                        return Err(not_proven());
                    }
                }
            }
            Some(tokens.issue(&conversation))
        }
    };
    let conversation_slot = app
        .client_sockets
        .admit(conversation.clone(), app.config.limits.sockets_per_conversation)
        .ok_or_else(|| too_many("on this conversation"))?;
    let codec = codec(&app);
    let slots = [address_slot, Some(conversation_slot)];
    let session = client::ClientSession::new(
        app,
        conversation,
        client::Joining { name, page_url, token, slots, remote: req.peer_addr() },
    );
    ws::WsResponseBuilder::new(session, &req, stream)
        .codec(codec)
        .start()
        .map_err(|e| EdgeError::bad_request(e.to_string()))
}

/// Why a fragmented message was refused.
#[derive(Debug, PartialEq, Eq)]
enum Refused {
    /// Over the frame size limit, or binary: answered with an error, the socket stays usable.
    Frame(ErrorCode, String),
    /// Not valid UTF-8 once whole: the socket is closed with 1007.
    NotUtf8,
}

/// Reassembles a fragmented text message from its bytes, and only then decodes it (a character
/// may be split between fragments); `Some` once complete (or refused).
fn reassemble(
    partial: &mut Option<Vec<u8>>,
    item: Item,
    guard: &guard::Guard,
) -> Option<Result<String, Refused>> {
    match item {
        Item::FirstText(bytes) => {
            *partial = Some(bytes.to_vec());
            None
        }
        Item::FirstBinary(_) => {
            *partial = None;
            Some(Err(Refused::Frame(
                ErrorCode::BadRequest,
                "binary frames are not supported; send JSON text".into(),
            )))
        }
        Item::Continue(bytes) => {
            let buf = partial.as_mut()?;
            buf.extend_from_slice(&bytes);
            if guard.too_large(buf.len()) {
                *partial = None;
                return Some(Err(Refused::Frame(
                    ErrorCode::TooLarge,
                    "fragmented message is over the size limit".into(),
                )));
            }
            None
        }
        Item::Last(bytes) => {
            let mut buf = partial.take()?;
            buf.extend_from_slice(&bytes);
            Some(String::from_utf8(buf).map_err(|_| Refused::NotUtf8))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;
    use actix_web::web::Bytes;

    fn run(items: Vec<Item>) -> Vec<Option<Result<String, Refused>>> {
        let guard = guard::Guard::new(Limits { max_frame_bytes: 16, ..Limits::default() });
        let mut partial = None;
        items.into_iter().map(|item| reassemble(&mut partial, item, &guard)).collect()
    }

    #[test]
    fn a_character_split_between_fragments_is_reassembled_not_replaced() {
        let cafe = "café".as_bytes(); // é is two bytes: split them
        let got = run(vec![
            Item::FirstText(Bytes::copy_from_slice(&cafe[..4])),
            Item::Last(Bytes::copy_from_slice(&cafe[4..])),
        ]);
        assert_eq!(got, vec![None, Some(Ok("café".to_string()))]);
    }

    #[test]
    fn invalid_utf8_once_whole_is_refused() {
        let got =
            run(vec![Item::FirstText(Bytes::from_static(b"caf")), Item::Last(Bytes::from_static(b"\xC3"))]);
        assert_eq!(got[1], Some(Err(Refused::NotUtf8)));
    }

    #[test]
    fn oversize_and_binary_fragments_are_refused_and_the_rest_ignored() {
        let got = run(vec![
            Item::FirstText(Bytes::from_static(b"0123456789")),
            Item::Continue(Bytes::from_static(b"0123456789")),
            Item::Last(Bytes::from_static(b"x")),
        ]);
        assert!(matches!(got[1], Some(Err(Refused::Frame(ErrorCode::TooLarge, _)))));
        assert_eq!(got[2], None, "the rest of a refused message is dropped");
        let got = run(vec![Item::FirstBinary(Bytes::from_static(b"\x00")), Item::Last(Bytes::new())]);
        assert!(matches!(got[0], Some(Err(Refused::Frame(ErrorCode::BadRequest, _)))));
        assert_eq!(got[1], None);
    }
}
