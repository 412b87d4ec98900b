//! WebSocket peers (the acceptance harness's `Peer`): every frame received is kept until a
//! wait matches it, so tests can wait by predicate in any order.

use std::time::{Duration, Instant};

use actix_web::rt::time::timeout;
use awc::error::{WsClientError, WsProtocolError};
use awc::ws;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::{json, Value};

use super::config::encode;
use super::contract::{check_frame, Direction};
use super::server::TestServer;

/// Default wait of [`Ws::wait`] and friends.
pub const WAIT: Duration = Duration::from_secs(10);

/// What a WebSocket connection is to [`Ws`]: frames in, messages out.
trait Socket:
    Stream<Item = Result<ws::Frame, WsProtocolError>> + Sink<ws::Message, Error = WsProtocolError> + Unpin
{
}

impl<T> Socket for T where
    T: Stream<Item = Result<ws::Frame, WsProtocolError>> + Sink<ws::Message, Error = WsProtocolError> + Unpin
{
}

/// A WebSocket peer that keeps every frame it received and not yet consumed, so tests can wait
/// for one by predicate in any order (the acceptance harness's `Peer`).
pub struct Ws {
    socket: Box<dyn Socket>,
    /// The first frame the server sent.
    pub welcome: Value,
    /// Frames received and not yet matched by a wait, oldest first.
    pub frames: Vec<Value>,
    closed: bool,
    /// The close code and reason the server sent, once it closed the connection.
    pub close_reason: Option<(u16, String)>,
    next_ref: u64,
    /// Connection errors close the socket instead of failing the test (a node killed on purpose).
    lenient: bool,
    /// An operator's or a client's socket: what its frames are checked against.
    side: Option<Side>,
}

/// Which endpoint a socket is connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Operator,
    Client,
}

impl Side {
    fn of(url: &str) -> Option<Side> {
        if url.contains("/ws/agent") {
            Some(Side::Operator)
        } else if url.contains("/ws/client") {
            Some(Side::Client)
        } else {
            None
        }
    }

    fn received(self) -> Direction {
        match self {
            Side::Operator => Direction::ServerToOperator,
            Side::Client => Direction::ServerToClient,
        }
    }

    fn sent(self) -> Direction {
        match self {
            Side::Operator => Direction::OperatorToServer,
            Side::Client => Direction::ClientToServer,
        }
    }
}

impl Ws {
    /// Connects to `url` (a full `ws://` URL) and reads the first frame.
    pub async fn connect(url: &str) -> Ws {
        let (_, framed) = awc::Client::new()
            .ws(url)
            .max_frame_size(4 << 20)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("cannot connect {url}: {e}"));
        let mut ws = Ws {
            socket: Box::new(framed),
            welcome: Value::Null,
            frames: Vec::new(),
            closed: false,
            close_reason: None,
            next_ref: 0,
            lenient: false,
            side: Side::of(url),
        };
        ws.welcome = ws.next_frame(WAIT).await.unwrap_or_else(|| panic!("{url}: no first frame"));
        ws
    }

    /// Connects to `url` and reads the first frame; `None` if the server cannot be reached.
    pub async fn try_connect(url: &str) -> Option<Ws> {
        let (_, framed) = awc::Client::new().ws(url).max_frame_size(4 << 20).connect().await.ok()?;
        let mut ws = Ws {
            socket: Box::new(framed),
            welcome: Value::Null,
            frames: Vec::new(),
            closed: false,
            close_reason: None,
            next_ref: 0,
            lenient: true,
            side: Side::of(url),
        };
        ws.welcome = ws.next_frame(WAIT).await?;
        Some(ws)
    }

    /// [`Ws::request`] that gives up quietly: `None` when the frame cannot be sent or nothing
    /// answers it within `limit` (the server is gone).
    pub async fn try_request(&mut self, mut frame: Value, limit: Duration) -> Option<Value> {
        self.next_ref += 1;
        let reference = format!("r{}", self.next_ref);
        frame["ref"] = json!(reference);
        self.socket.send(ws::Message::Text(frame.to_string().into())).await.ok()?;
        let answer = self
            .wait_for(|f| f["ref"] == json!(reference) && (f["type"] == "ack" || f["type"] == "error"), limit)
            .await?;
        self.acknowledged(&frame, &answer);
        Some(answer)
    }

    /// A request the server acknowledged must be one the frames' schema describes.
    fn acknowledged(&self, frame: &Value, answer: &Value) {
        if let (Some(side), "ack") = (self.side, answer["type"].as_str().unwrap_or_default()) {
            check_frame(side.sent(), frame);
        }
    }

    /// Sends one JSON frame.
    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    /// Sends a text frame as it is (malformed JSON, oversize frames).
    pub async fn send_text(&mut self, text: &str) {
        self.socket.send(ws::Message::Text(text.to_string().into())).await.unwrap();
    }

    /// Sends one text message split into fragments of the given bytes (which need not be
    /// valid UTF-8 on their own, nor together).
    pub async fn send_fragments(&mut self, parts: &[&[u8]]) {
        use actix_http::ws::Item;
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.iter().enumerate() {
            let bytes = actix_web::web::Bytes::copy_from_slice(part);
            let item = match i {
                0 => Item::FirstText(bytes),
                i if i == last => Item::Last(bytes),
                _ => Item::Continue(bytes),
            };
            self.socket.send(ws::Message::Continuation(item)).await.unwrap();
        }
    }

    /// Sends `frame` with a fresh `ref` and waits for the `ack` or `error` answering it.
    pub async fn request(&mut self, mut frame: Value) -> Value {
        self.next_ref += 1;
        let reference = format!("r{}", self.next_ref);
        frame["ref"] = json!(reference);
        self.send(frame.clone()).await;
        let answer =
            self.wait(|f| f["ref"] == json!(reference) && (f["type"] == "ack" || f["type"] == "error")).await;
        self.acknowledged(&frame, &answer);
        answer
    }

    /// The next frame (kept ones first) satisfying `pred`, within [`WAIT`]; panics otherwise.
    pub async fn wait(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_for(pred, WAIT)
            .await
            .unwrap_or_else(|| panic!("no matching frame; last received: {:?}", self.last(5)))
    }

    /// The next frame of type `kind`.
    pub async fn wait_type(&mut self, kind: &str) -> Value {
        self.wait(|f| f["type"] == kind).await
    }

    /// True when no frame satisfying `pred` arrives within `quiet` (kept frames included).
    pub async fn quiet(&mut self, pred: impl Fn(&Value) -> bool, quiet: Duration) -> bool {
        self.wait_for(pred, quiet).await.is_none()
    }

    /// The next frame satisfying `pred` within `limit`, or `None`.
    pub async fn wait_for(&mut self, pred: impl Fn(&Value) -> bool, limit: Duration) -> Option<Value> {
        if let Some(i) = self.frames.iter().position(&pred) {
            return Some(self.frames.remove(i));
        }
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let frame = self.next_frame(left).await?;
            if pred(&frame) {
                return Some(frame);
            }
            self.frames.push(frame);
        }
    }

    /// The server closed the connection.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Waits up to `limit` for the server to close the connection; its close code, if it did.
    pub async fn closed_within(&mut self, limit: Duration) -> Option<u16> {
        let deadline = Instant::now() + limit;
        while !self.closed && Instant::now() < deadline {
            if let Some(frame) = self.next_frame(deadline.saturating_duration_since(Instant::now())).await {
                self.frames.push(frame);
            }
        }
        self.close_reason.as_ref().map(|(code, _)| *code)
    }

    /// Closes the connection (close code 1000).
    pub async fn close(mut self) {
        let _ = self.socket.send(ws::Message::Close(Some(ws::CloseCode::Normal.into()))).await;
        let _ = self.socket.close().await;
    }

    /// The next JSON text frame within `limit`, answering pings on the way; `None` on timeout or
    /// once the server closed the connection.
    async fn next_frame(&mut self, limit: Duration) -> Option<Value> {
        let deadline = Instant::now() + limit;
        while !self.closed {
            let left = deadline.saturating_duration_since(Instant::now());
            let item = timeout(left, self.socket.next()).await.ok()?;
            match item {
                Some(Ok(ws::Frame::Text(bytes))) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    let frame = serde_json::from_str(&text).unwrap_or(Value::String(text));
                    if let Some(side) = self.side {
                        check_frame(side.received(), &frame);
                    }
                    return Some(frame);
                }
                Some(Ok(ws::Frame::Ping(payload))) => {
                    let _ = self.socket.send(ws::Message::Pong(payload)).await;
                }
                Some(Ok(ws::Frame::Close(reason))) => {
                    self.close_reason =
                        reason.map(|r| (u16::from(r.code), r.description.unwrap_or_default()));
                    self.closed = true;
                }
                None => self.closed = true,
                Some(Ok(_)) => {}
                // A peer that may die under the test (try_connect) just closes.
                Some(Err(_)) if self.lenient => self.closed = true,
                Some(Err(e)) => panic!("WebSocket protocol error: {e}"),
            }
        }
        None
    }

    fn last(&self, n: usize) -> &[Value] {
        &self.frames[self.frames.len().saturating_sub(n)..]
    }
}

/// An operator's socket (`/ws/agent?token=...`, with their configured role), welcome read.
pub async fn agent(server: &TestServer, operator: &str) -> Ws {
    Ws::connect(&format!("{}/ws/agent?token={}", server.ws_url, server.token_for(operator))).await
}

/// A client's socket on channel `web` (`/ws/client?channel=web&client_id=ID&name=ID`).
pub async fn client(server: &TestServer, client_id: &str) -> Ws {
    client_query(server, &format!("channel=web&client_id={}&name={}", encode(client_id), encode(client_id)))
        .await
}

/// A client's socket with the query string given as it is (channel, client_id, name, sig,
/// page_url, token), welcome read. Like a widget, it presents the conversation token an earlier
/// welcome gave (unless the query has one), and remembers the token its welcome carries.
pub async fn client_query(server: &TestServer, query: &str) -> Ws {
    let mut url = format!("{}/ws/client?{query}", server.ws_url);
    if let Some(token) = remembered_token(server, query) {
        url.push_str(&format!("&token={token}"));
    }
    let ws = Ws::connect(&url).await;
    if let (Some(conversation), Some(token)) =
        (ws.welcome["conversation"].as_str(), ws.welcome["token"].as_str())
    {
        server.client_tokens.lock().unwrap().insert(conversation.to_string(), token.to_string());
    }
    ws
}

/// The token remembered for the conversation a client query names, if it names no token itself.
fn remembered_token(server: &TestServer, query: &str) -> Option<String> {
    let param = |name: &str| {
        query.split('&').find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
    };
    if param("token").is_some() {
        return None;
    }
    let client = percent_encoding::percent_decode_str(param("client_id")?).decode_utf8().ok()?;
    let conversation = format!("{}:{client}", param("channel")?);
    server.client_tokens.lock().unwrap().get(&conversation).cloned()
}

/// The HTTP status with which the server refused a WebSocket upgrade at `url`, or `None` if it
/// accepted (the connection is then closed).
pub async fn upgrade_status(url: &str) -> Option<u16> {
    match awc::Client::new().ws(url).connect().await {
        Ok((_, mut framed)) => {
            let _ = framed.send(ws::Message::Close(None)).await;
            None
        }
        Err(WsClientError::InvalidResponseStatus(status)) => Some(status.as_u16()),
        Err(e) => panic!("cannot reach {url}: {e}"),
    }
}
