//! What both socket kinds share: the plumbing of a session actor (frames in, limits, errors and
//! acks out, heartbeat, slow-consumer cut-off, close codes). A session supplies the request type
//! it reads and how to answer a request ([`Session`]); everything else is here, the access log's
//! open and close lines included.
//!
//! A socket's requests run one at a time, in the order they were read: two messages written
//! back to back are stored in that order, and each answer can tell the echo filter
//! (`super::echo`) which message it stored.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;

use actix::prelude::*;
use actix_web::web;
use actix_web_actors::ws;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::echo::StoredAt;
use super::frames::{parse, reference_of};
use super::guard::{Guard, GOING_AWAY, POLICY};
use super::render;
use super::Refused;
use crate::access_log::{self, Closing};
use crate::edge::{AppState, EdgeError, ErrorCode};
use crate::node::{CutOff, SubscriptionId};

/// A request's successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    /// The `ack`'s fields.
    pub fields: Value,
    /// The message the request stored, if any (its echo is not sent back to this socket).
    pub stored: Option<StoredAt>,
}

impl Answered {
    /// An answer that stored no message.
    pub fn fields(fields: Value) -> Self {
        Self { fields, stored: None }
    }
}

/// The state every socket has; `R` is what it reads. Every idle socket holds one (inside its
/// session), so what is only needed now and then is not kept inline: the socket's kind is the
/// session's [`Session::KIND`], who it is comes from [`Session::who`] when the access log asks,
/// and how it is ending is boxed once known.
pub struct Socket<R> {
    /// Server state.
    pub app: web::Data<AppState>,
    /// Limits of this socket.
    pub guard: Guard,
    /// Set by the hub when it cut this socket off.
    pub cut: CutOff,
    /// The hub subscription, once started.
    pub sub: Option<SubscriptionId>,
    /// The bytes of a fragmented message being reassembled.
    partial: Option<Vec<u8>>,
    /// Where it is from, for the access log.
    peer: Peer,
    /// How it is ending, once known.
    closing: Option<Box<Closing>>,
    /// Requests read and not yet started, oldest first, with their `ref`.
    pending: VecDeque<(R, Option<Value>, Instant)>,
    /// A request is being answered.
    busy: bool,
}

/// Where a socket is from and since when, for the access log.
#[derive(Debug, Clone)]
struct Peer {
    /// The remote address.
    remote: Option<SocketAddr>,
    /// When the socket was accepted.
    since: Instant,
}

impl<R> Socket<R> {
    /// A socket from `remote`, accepted now.
    pub fn new(app: web::Data<AppState>, remote: Option<SocketAddr>) -> Self {
        let guard = Guard::new(app.config.limits);
        Self {
            app,
            guard,
            cut: CutOff::default(),
            sub: None,
            partial: None,
            peer: Peer { remote, since: Instant::now() },
            closing: None,
            pending: VecDeque::new(),
            busy: false,
        }
    }

    /// Records how the socket is ending, unless already known.
    fn closing(&mut self, closing: impl FnOnce() -> Closing) {
        self.closing.get_or_insert_with(|| Box::new(closing()));
    }
}

/// A session actor over a WebSocket.
pub trait Session: Actor<Context = ws::WebsocketContext<Self>> {
    /// What the socket sends.
    type Request: DeserializeOwned + 'static;
    /// The request `type`s it may send.
    const TYPES: &'static [&'static str];
    /// `operator` or `client`, for metrics and the access log.
    const KIND: &'static str;

    /// Who it is (the operator id or the conversation id), for the access log.
    fn who(&self) -> String;

    /// Its shared socket state.
    fn socket(&mut self) -> &mut Socket<Self::Request>;

    /// `ping`: answered `pong` at once.
    fn is_ping(request: &Self::Request) -> bool;

    /// The answer to a request (the ack's fields and what it stored), or why it failed. The
    /// session's echo filter has been told a request started.
    fn answer(&mut self, request: Self::Request) -> LocalBoxFuture<'static, Result<Answered, EdgeError>>;

    /// A request was answered (`stored`: the message it stored): deliver the notices the echo
    /// filter held meanwhile. Called before the answer goes out.
    fn answered(&mut self, stored: Option<StoredAt>, ctx: &mut ws::WebsocketContext<Self>);
}

/// Sends one frame (counting errors).
pub fn send<A: Session>(act: &mut A, frame: &Value, ctx: &mut ws::WebsocketContext<A>) {
    if let Some("error") = frame.get("type").and_then(Value::as_str) {
        let code = frame.get("code").and_then(Value::as_str).unwrap_or("unknown");
        act.socket().app.node.metrics().errors_total.with_label_values(&[code]).inc();
    }
    ctx.text(frame.to_string());
}

/// Closes the socket with `code` and `reason`.
pub fn close<A: Session>(act: &mut A, ctx: &mut ws::WebsocketContext<A>, code: u16, reason: &str) {
    act.socket().closing(|| Closing { by: "server", code: Some(code), reason: reason.into() });
    ctx.close(Some(ws::CloseReason { code: ws::CloseCode::from(code), description: Some(reason.into()) }));
    ctx.stop();
}

/// Closes the socket because the server shuts down.
pub fn going_away<A: Session>(act: &mut A, ctx: &mut ws::WebsocketContext<A>) {
    close(act, ctx, GOING_AWAY, "server shutting down");
}

/// The hub cut this socket off; closes it if so.
pub fn cut_off<A: Session>(act: &mut A, ctx: &mut ws::WebsocketContext<A>) -> bool {
    let cut = act.socket().cut.load(Ordering::Acquire);
    if cut {
        close(act, ctx, POLICY, "slow consumer");
    }
    cut
}

/// Start-up common to every session: bounded mailbox, connection gauge, heartbeat.
pub fn started<A: Session>(act: &mut A, ctx: &mut ws::WebsocketContext<A>) {
    let who = if act.socket().app.config.access_log { Some(act.who()) } else { None };
    let socket = act.socket();
    if let Some(who) = who {
        access_log::socket_opened(A::KIND, socket.peer.remote, &who);
    }
    // Notices wait here while the connection is slow; the hub cuts the socket off when full.
    ctx.set_mailbox_capacity(socket.app.config.limits.max_outbound_frames);
    socket.app.node.metrics().connections.with_label_values(&[A::KIND]).inc();
    ctx.run_interval(socket.guard.ping_every(), |act, ctx| {
        if cut_off(act, ctx) {
            return;
        }
        let socket = act.socket();
        if socket.guard.silent() {
            socket.app.node.metrics().disconnects_total.with_label_values(&["heartbeat"]).inc();
            close(act, ctx, POLICY, "heartbeat timeout");
        } else {
            ctx.ping(b"");
        }
    });
}

/// Shut-down common to every session.
pub fn stopped<A: Session>(act: &mut A) {
    let who = if act.socket().app.config.access_log { Some(act.who()) } else { None };
    let socket = act.socket();
    socket.app.node.metrics().connections.with_label_values(&[A::KIND]).dec();
    if let Some(who) = who {
        let closing = socket.closing.take().map_or_else(Closing::lost, |c| *c);
        let peer = &socket.peer;
        access_log::socket_closed(A::KIND, peer.remote, &who, &closing, peer.since.elapsed());
    }
}

/// Handles one WebSocket message from the peer.
pub fn on_message<A: Session>(
    act: &mut A,
    msg: Result<ws::Message, ws::ProtocolError>,
    ctx: &mut ws::WebsocketContext<A>,
) {
    act.socket().guard.heard();
    match msg {
        Ok(ws::Message::Text(text)) => on_text(act, &text, ctx),
        Ok(ws::Message::Continuation(item)) => {
            let socket = act.socket();
            match super::reassemble(&mut socket.partial, item, &socket.guard) {
                Some(Ok(text)) => on_text(act, &text, ctx),
                Some(Err(Refused::Frame(code, message))) => {
                    send(act, &render::error(None, code, &message), ctx)
                }
                Some(Err(Refused::NotUtf8)) => not_utf8(act, ctx),
                None => {}
            }
        }
        Ok(ws::Message::Binary(_)) => send(
            act,
            &render::error(None, ErrorCode::BadRequest, "binary frames are not supported; send JSON text"),
            ctx,
        ),
        Ok(ws::Message::Ping(payload)) => ctx.pong(&payload),
        Ok(ws::Message::Pong(_)) | Ok(ws::Message::Nop) => {}
        Ok(ws::Message::Close(reason)) => {
            act.socket().closing(|| Closing {
                by: "peer",
                code: reason.as_ref().map(|r| u16::from(r.code)),
                reason: reason.as_ref().and_then(|r| r.description.clone()).unwrap_or_default(),
            });
            ctx.close(reason);
            ctx.stop();
        }
        // actix-web-actors reports a text frame that is not UTF-8 as an I/O error carrying the
        // decoding error's words (there is no variant for it).
        Err(ws::ProtocolError::Io(e))
            if e.kind() == std::io::ErrorKind::Other && e.to_string().contains("utf-8") =>
        {
            not_utf8(act, ctx)
        }
        Err(e) => {
            // The library's words stay in the log; the peer gets the close code and safe words.
            tracing::debug!(error = ?e, "websocket protocol error");
            // A connection that ended under the decoder (the peer went away, with or without
            // its close frame) is logged as lost, not as the peer's protocol error.
            if matches!(&e, ws::ProtocolError::Io(io) if io.to_string().contains("EOF")) {
                act.socket().closing(Closing::lost);
            }
            close(act, ctx, u16::from(ws::CloseCode::Protocol), "protocol error");
        }
    }
}

/// A text message that is not valid UTF-8: nothing of it is read; the socket is closed with
/// 1007 (RFC 6455: inconsistent data).
fn not_utf8<A: Session>(act: &mut A, ctx: &mut ws::WebsocketContext<A>) {
    act.socket().app.node.metrics().disconnects_total.with_label_values(&["invalid_utf8"]).inc();
    close(act, ctx, u16::from(ws::CloseCode::Invalid), "text is not valid UTF-8");
}

/// Reads one text frame: rate, size, parse; answers it with an ack or an error.
fn on_text<A: Session>(act: &mut A, text: &str, ctx: &mut ws::WebsocketContext<A>) {
    let guard = &mut act.socket().guard;
    if !guard.admit() {
        let reference = reference_of(text);
        send(
            act,
            &render::error(reference.as_ref(), ErrorCode::RateLimited, "too many frames; slow down"),
            ctx,
        );
        return;
    }
    if guard.too_large(text.len()) {
        let message = format!("frame of {} bytes is over the limit", text.len());
        send(act, &render::error(None, ErrorCode::TooLarge, &message), ctx);
        return;
    }
    match parse::<A::Request>(text, A::TYPES) {
        Err(e) => send(act, &render::error(e.reference.as_ref(), ErrorCode::BadRequest, &e.message), ctx),
        Ok((request, reference)) if A::is_ping(&request) => send(act, &render::pong(reference.as_ref()), ctx),
        Ok((request, reference)) => {
            act.socket().pending.push_back((request, reference, Instant::now()));
            next_request(act, ctx);
        }
    }
}

/// Starts the oldest pending request unless one is being answered; when it is, sends the
/// notices held meanwhile, then its answer, then starts the next.
fn next_request<A: Session>(act: &mut A, ctx: &mut ws::WebsocketContext<A>) {
    let socket = act.socket();
    if socket.busy {
        return;
    }
    let Some((request, reference, received)) = socket.pending.pop_front() else { return };
    socket.busy = true;
    let answer = act.answer(request);
    ctx.spawn(answer.into_actor(act).map(move |answer, act, ctx| {
        let (frame, stored) = match answer {
            Ok(Answered { fields, stored }) => (render::ack(reference.as_ref(), fields), stored),
            Err(e) => (render::error(reference.as_ref(), e.code, &e.message), None),
        };
        act.answered(stored, ctx);
        send(act, &frame, ctx);
        let seconds = received.elapsed().as_secs_f64();
        act.socket().app.node.metrics().request_seconds.with_label_values(&[A::KIND]).observe(seconds);
        act.socket().busy = false;
        next_request(act, ctx);
    }));
}
