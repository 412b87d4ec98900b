//! The console's IO: connect to `/ws/agent`, read stdin lines on a blocking thread, and loop over
//! socket frames, typed lines, HTTP answers (`/who`, `/queues` read the API with the same token)
//! and the answer timeout, handing each to the [`Console`]. Lines go to stdout, diagnostics to
//! stderr. Everything worth testing without a socket lives in the console; this file only moves
//! bytes.

use std::collections::VecDeque;
use std::io::{BufRead, Write};
use std::time::Duration;

use actix_http::ws::Item;
use awc::error::{WsClientError, WsProtocolError};
use awc::ws::{CloseCode, Frame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::{sleep_until, timeout, Instant};

use super::command::Fetch;
use super::console::{Console, Step};
use super::error::AgentError;

/// What the WebSocket connection is to the console: frames in, messages out.
trait Connection:
    Stream<Item = Result<Frame, WsProtocolError>> + Sink<Message, Error = WsProtocolError> + Unpin
{
}

impl<T> Connection for T where
    T: Stream<Item = Result<Frame, WsProtocolError>> + Sink<Message, Error = WsProtocolError> + Unpin
{
}

/// The WebSocket connection.
type Socket = Box<dyn Connection>;

/// How long the handshake and the welcome frame may take.
const CONNECT_WAIT: Duration = Duration::from_secs(10);
/// How long a request may go unanswered before the console moves on.
const ANSWER_WAIT: Duration = Duration::from_secs(10);
/// How long to wait for the server's close frame when leaving.
const CLOSE_WAIT: Duration = Duration::from_secs(1);
/// The largest frame accepted: a welcome lists up to 500 chats.
const MAX_FRAME: usize = 16 << 20;

/// The operator socket's URL from `--url`: `ws://host:port` (or `http://`, or already ending in
/// `/ws/agent`) → `ws://host:port/ws/agent`.
pub fn agent_url(base: &str) -> String {
    let base = base.trim().trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if base.contains("://") {
        base.to_string()
    } else {
        format!("ws://{base}")
    };
    if base.ends_with("/ws/agent") {
        base
    } else {
        format!("{base}/ws/agent")
    }
}

/// The HTTP API URL of `path` on the server of an operator socket URL (as [`agent_url`] makes
/// it): `ws://host:port/ws/agent` → `http://host:port/api/v1/lines`.
pub fn api_url(agent_url: &str, path: &str) -> String {
    let base = agent_url.strip_suffix("/ws/agent").unwrap_or(agent_url);
    let base = if let Some(rest) = base.strip_prefix("ws://") {
        format!("http://{rest}")
    } else if let Some(rest) = base.strip_prefix("wss://") {
        format!("https://{rest}")
    } else {
        base.to_string()
    };
    format!("{base}{path}")
}

/// An HTTP answer: status and body, or why there is none.
type Fetched = (Fetch, Result<(u16, String), String>);

/// Runs the console against the server at `url` with `token` until `/quit`, end of input, or
/// the connection ends. Must run inside an actix system (awc).
pub async fn run(url: &str, token: &str) -> Result<(), AgentError> {
    let url = agent_url(url);
    let (fetched_tx, mut fetched) = unbounded_channel::<Fetched>();
    let mut socket = connect(&url, token).await?;
    let mut console = Console::new(format!("agent-{}", uuid::Uuid::new_v4().simple()));
    let first = timeout(CONNECT_WAIT, next_text(&mut socket))
        .await
        .map_err(|_| AgentError::NoWelcome(format!("nothing within {CONNECT_WAIT:?}")))??;
    print(&console.welcome(&first).map_err(AgentError::NoWelcome)?)?;

    let mut lines = read_stdin();
    let mut queue = VecDeque::<String>::new();
    let mut input_open = true;
    let mut answer_by = Instant::now();
    loop {
        while !console.busy() {
            let Some(line) = queue.pop_front() else { break };
            match console.on_line(&line) {
                Step::Print(out) => print(&out)?,
                Step::Send(frame) => {
                    send(&mut socket, Message::Text(frame.to_string().into())).await?;
                    answer_by = Instant::now() + ANSWER_WAIT;
                }
                Step::Fetch(fetch) => {
                    let (url, token, done) =
                        (api_url(&url, fetch.path()), token.to_string(), fetched_tx.clone());
                    // The socket keeps being read (pings, events) while the read is under way.
                    actix_web::rt::spawn(async move {
                        let _ = done.send((fetch, http_get(&url, &token).await));
                    });
                    answer_by = Instant::now() + ANSWER_WAIT;
                }
                Step::Quit => return leave(socket).await,
            }
        }
        if !input_open && queue.is_empty() && !console.busy() {
            return leave(socket).await;
        }
        let busy = console.busy();
        tokio::select! {
            item = socket.next() => {
                if let Some(text) = on_socket_item(&mut socket, item).await? {
                    let printed = console.on_frame(&text);
                    print(&printed.out)?;
                    printed.err.iter().for_each(|e| eprintln!("frontline agent: {e}"));
                }
            }
            Some((fetch, answer)) = fetched.recv() => print(&console.on_fetched(fetch, answer))?,
            line = lines.recv(), if input_open => match line {
                Some(line) => queue.push_back(line),
                None => input_open = false,
            },
            () = sleep_until(answer_by), if busy => {
                if let Some(message) = console.expire() {
                    eprintln!("frontline agent: {message}");
                }
            }
        }
    }
}

/// Opens the socket, the token in an `Authorization` header (not in the URL, so it stays out of
/// proxies' and servers' access logs).
async fn connect(url: &str, token: &str) -> Result<Socket, AgentError> {
    // WebSocket upgrades are HTTP/1.1; never negotiate HTTP/2 (see the webhook client).
    let client = awc::Client::builder().max_http_version(awc::http::Version::HTTP_11).finish();
    let request = client.ws(url).bearer_auth(token).max_frame_size(MAX_FRAME).connect();
    let connected = timeout(CONNECT_WAIT, request).await.map_err(|_| AgentError::Connect {
        url: url.to_string(),
        reason: format!("no answer within {CONNECT_WAIT:?}"),
    })?;
    match connected {
        Ok((_, socket)) => Ok(Box::new(socket)),
        Err(WsClientError::InvalidResponseStatus(status)) if status.as_u16() == 401 => {
            Err(AgentError::Unauthorized { url: url.to_string() })
        }
        Err(WsClientError::InvalidResponseStatus(status)) => {
            Err(AgentError::Refused { url: url.to_string(), status: status.to_string() })
        }
        Err(e) => Err(AgentError::Connect { url: url.to_string(), reason: e.to_string() }),
    }
}

/// `GET url` with the operator's token: the status and the body.
async fn http_get(url: &str, token: &str) -> Result<(u16, String), String> {
    let client =
        awc::Client::builder().max_http_version(awc::http::Version::HTTP_11).timeout(ANSWER_WAIT).finish();
    let mut response = client.get(url).bearer_auth(token).send().await.map_err(|e| e.to_string())?;
    let body = response.body().limit(MAX_FRAME).await.map_err(|e| e.to_string())?;
    Ok((response.status().as_u16(), String::from_utf8_lossy(&body).into_owned()))
}

/// The next complete text message, answering pings on the way (used before the loop).
async fn next_text(socket: &mut Socket) -> Result<String, AgentError> {
    loop {
        let item = socket.next().await;
        if let Some(text) = on_socket_item(socket, item).await? {
            return Ok(text);
        }
    }
}

/// Handles one item read from the socket: a text message is returned; pings are answered;
/// a close frame or a broken connection ends the console with the server's code and reason.
async fn on_socket_item(
    socket: &mut Socket,
    item: Option<Result<Frame, WsProtocolError>>,
) -> Result<Option<String>, AgentError> {
    match item {
        Some(Ok(Frame::Text(bytes))) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Some(Ok(Frame::Ping(payload))) => {
            send(socket, Message::Pong(payload)).await?;
            Ok(None)
        }
        Some(Ok(Frame::Close(reason))) => Err(AgentError::Closed {
            code: reason.as_ref().map(|r| u16::from(r.code)),
            reason: reason.and_then(|r| r.description).unwrap_or_default(),
        }),
        // The server sends each frame whole; a fragmented one would be a server change.
        Some(Ok(Frame::Continuation(Item::FirstText(_)))) => {
            Err(AgentError::Lost("fragmented frames are not supported by the console".into()))
        }
        Some(Ok(_)) => Ok(None),
        Some(Err(e)) => Err(AgentError::Lost(e.to_string())),
        None => Err(AgentError::Lost("the connection ended without a close frame".into())),
    }
}

async fn send(socket: &mut Socket, message: Message) -> Result<(), AgentError> {
    socket.send(message).await.map_err(|e| AgentError::Lost(e.to_string()))
}

/// Closes with 1000 and waits briefly for the server's close frame.
async fn leave(mut socket: Socket) -> Result<(), AgentError> {
    send(&mut socket, Message::Close(Some(CloseCode::Normal.into()))).await?;
    let drain = async {
        while let Some(Ok(frame)) = socket.next().await {
            if matches!(frame, Frame::Close(_)) {
                break;
            }
        }
    };
    let _ = timeout(CLOSE_WAIT, drain).await;
    Ok(())
}

/// Prints lines to stdout (line-buffered by std, so a pipe sees each line at once).
fn print(lines: &[String]) -> Result<(), AgentError> {
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}").map_err(AgentError::Output)?;
    }
    out.flush().map_err(AgentError::Output)
}

/// Stdin, line by line, from a blocking thread; the channel closes at end of input. The thread
/// may stay blocked in `read` when the console leaves first; the process exit ends it.
fn read_stdin() -> UnboundedReceiver<String> {
    let (tx, rx) = unbounded_channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match stdin.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(String::from_utf8_lossy(&buffer).into_owned()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::{agent_url, api_url};

    #[test]
    fn the_url_is_completed_to_the_operator_socket() {
        let rows = [
            ("ws://127.0.0.1:8080", "ws://127.0.0.1:8080/ws/agent"),
            ("ws://127.0.0.1:8080/", "ws://127.0.0.1:8080/ws/agent"),
            ("http://127.0.0.1:8080", "ws://127.0.0.1:8080/ws/agent"),
            ("https://chat.example.com", "wss://chat.example.com/ws/agent"),
            ("127.0.0.1:8080", "ws://127.0.0.1:8080/ws/agent"),
            ("wss://chat.example.com/ws/agent", "wss://chat.example.com/ws/agent"),
        ];
        for (given, expected) in rows {
            assert_eq!(agent_url(given), expected, "{given}");
        }
    }

    #[test]
    fn the_api_lives_beside_the_operator_socket() {
        let rows = [
            ("ws://127.0.0.1:8080/ws/agent", "http://127.0.0.1:8080/api/v1/lines"),
            ("wss://chat.example.com/ws/agent", "https://chat.example.com/api/v1/lines"),
            ("wss://chat.example.com/base/ws/agent", "https://chat.example.com/base/api/v1/lines"),
        ];
        for (given, expected) in rows {
            assert_eq!(api_url(given, "/api/v1/lines"), expected, "{given}");
        }
    }
}
