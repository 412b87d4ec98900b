//! `ClientSession`: one client socket (PROTOCOL 3.3). On start it subscribes to its
//! conversation on the hub and sends the welcome frame (client id, conversation, latest chat,
//! recent messages); notices that arrive before the welcome are held and sent after it. A client
//! only ever gets frames about its own conversation: messages that are not private, typing,
//! queue positions, vote requests and thanks, chat_finished.

use std::sync::atomic::Ordering;

use actix::prelude::*;
use actix_web::web;
use actix_web_actors::ws;
use serde_json::{json, Value};

use super::frames::{parse, reference_of, ClientRequest, CLIENT_TYPES};
use super::guard::{Guard, GOING_AWAY, POLICY};
use super::render;
use super::requests::{self, ClientRequester};
use crate::actors::hub::CutOff;
use crate::actors::registry::Registry;
use crate::actors::{SubscriptionId, ToClient};
use crate::api::ApiError;
use crate::domain::{ClientNotice, ConversationId};
use crate::server::AppState;
use crate::store::MessageQuery;

/// One client's socket.
pub struct ClientSession {
    app: web::Data<AppState>,
    conversation: ConversationId,
    name: Option<String>,
    page_url: Option<String>,
    guard: Guard,
    sub: Option<SubscriptionId>,
    cut: CutOff,
    welcomed: bool,
    held: Vec<ClientNotice>,
    partial: Option<String>,
}

impl ClientSession {
    /// A session of the client of `conversation`.
    pub fn new(
        app: web::Data<AppState>,
        conversation: ConversationId,
        name: Option<String>,
        page_url: Option<String>,
    ) -> Self {
        let guard = Guard::new(app.config.limits);
        Self {
            app,
            conversation,
            name,
            page_url,
            guard,
            sub: None,
            cut: CutOff::default(),
            welcomed: false,
            held: Vec::new(),
            partial: None,
        }
    }

    /// Closes a socket the hub cut off as a slow consumer (its notices were being dropped).
    fn close_slow(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        ctx.close(Some(ws::CloseReason {
            code: ws::CloseCode::from(POLICY),
            description: Some("slow consumer".into()),
        }));
        ctx.stop();
    }

    /// Sends a frame.
    fn send(&mut self, frame: &Value, ctx: &mut ws::WebsocketContext<Self>) {
        let text = frame.to_string();
        if let Some("error") = frame.get("type").and_then(Value::as_str) {
            let code = frame.get("code").and_then(Value::as_str).unwrap_or("unknown");
            self.app.node.shared.metrics.errors_total.with_label_values(&[code]).inc();
        }
        ctx.text(text);
    }

    fn deliver(&mut self, notice: &ClientNotice, ctx: &mut ws::WebsocketContext<Self>) {
        match render::client_frame(notice) {
            Some(frame) => self.send(&frame, ctx),
            None => {
                ctx.close(Some(ws::CloseReason {
                    code: ws::CloseCode::from(GOING_AWAY),
                    description: Some("server shutting down".into()),
                }));
                ctx.stop();
            }
        }
    }

    fn welcome(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let shared = self.app.node.shared.clone();
        let conversation = self.conversation.clone();
        let load = async move {
            let latest = Registry::latest_chat(&shared, &conversation).await;
            let query = MessageQuery {
                conversation,
                chat: None,
                before_seq: None,
                limit: 50,
                include_private: false,
            };
            let messages = shared.store.messages(query).await;
            (latest, messages)
        };
        ctx.spawn(load.into_actor(self).map(|(latest, messages), act, ctx| {
            let (Ok(latest), Ok(messages)) = (latest, messages) else {
                act.send(&render::error(None, "unavailable", "cannot load the conversation"), ctx);
                ctx.stop();
                return;
            };
            let welcome = json!({
                "type": "welcome",
                "client_id": act.conversation.client,
                "conversation": act.conversation,
                "chat": latest,
                "messages": messages,
            });
            act.send(&welcome, ctx);
            act.welcomed = true;
            for notice in std::mem::take(&mut act.held) {
                act.deliver(&notice, ctx);
            }
        }));
    }

    fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        if !self.guard.admit() {
            let reference = reference_of(text);
            self.send(&render::error(reference.as_ref(), "rate_limited", "too many frames; slow down"), ctx);
            return;
        }
        if self.guard.too_large(text.len()) {
            let message = format!("frame of {} bytes is over the limit", text.len());
            self.send(&render::error(None, "too_large", &message), ctx);
            return;
        }
        match parse::<ClientRequest>(text, &CLIENT_TYPES) {
            Err(e) => self.send(&render::error(e.reference.as_ref(), "bad_request", &e.message), ctx),
            Ok((ClientRequest::Ping, reference)) => self.send(&render::pong(reference.as_ref()), ctx),
            Ok((request, reference)) => {
                let requester = ClientRequester {
                    app: self.app.clone(),
                    conversation: self.conversation.clone(),
                    name: self.name.clone(),
                    page_url: self.page_url.clone(),
                    origin: self.sub,
                };
                let answer = requests::client(requester, request);
                ctx.spawn(answer.into_actor(self).map(move |answer: Result<Value, ApiError>, act, ctx| {
                    let frame = match answer {
                        Ok(fields) => render::ack(reference.as_ref(), fields),
                        Err(e) => render::error(reference.as_ref(), e.code, &e.message),
                    };
                    act.send(&frame, ctx);
                }));
            }
        }
    }
}

impl Actor for ClientSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Notices wait here while the connection is slow; the hub cuts the socket off when full.
        ctx.set_mailbox_capacity(self.app.config.limits.max_outbound_frames);
        let shared = &self.app.node.shared;
        self.sub = Some(shared.hub.subscribe_client(
            self.conversation.clone(),
            ctx.address().recipient(),
            self.cut.clone(),
        ));
        shared.metrics.connections.with_label_values(&["client"]).inc();
        self.welcome(ctx);
        ctx.run_interval(self.guard.ping_every(), |act, ctx| {
            if act.cut.load(Ordering::Acquire) {
                act.close_slow(ctx);
            } else if act.guard.silent() {
                act.app.node.shared.metrics.disconnects_total.with_label_values(&["heartbeat"]).inc();
                ctx.close(Some(ws::CloseReason {
                    code: ws::CloseCode::from(POLICY),
                    description: Some("heartbeat timeout".into()),
                }));
                ctx.stop();
            } else {
                ctx.ping(b"");
            }
        });
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        let shared = &self.app.node.shared;
        if let Some(sub) = self.sub.take() {
            shared.hub.unsubscribe_client(&self.conversation, sub);
        }
        shared.metrics.connections.with_label_values(&["client"]).dec();
    }
}

impl Handler<ToClient> for ClientSession {
    type Result = ();

    fn handle(&mut self, msg: ToClient, ctx: &mut Self::Context) {
        if self.cut.load(Ordering::Acquire) {
            self.close_slow(ctx);
        } else if self.welcomed || matches!(msg.0, ClientNotice::Closing) {
            self.deliver(&msg.0, ctx);
        } else {
            self.held.push(msg.0);
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for ClientSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.guard.heard();
        match msg {
            Ok(ws::Message::Text(text)) => self.on_text(&text, ctx),
            Ok(ws::Message::Continuation(item)) => {
                if let Some(text) = super::reassemble(&mut self.partial, item, &self.guard) {
                    match text {
                        Ok(text) => self.on_text(&text, ctx),
                        Err(message) => self.send(&render::error(None, "too_large", &message), ctx),
                    }
                }
            }
            Ok(ws::Message::Binary(_)) => self.send(
                &render::error(None, "bad_request", "binary frames are not supported; send JSON text"),
                ctx,
            ),
            Ok(ws::Message::Ping(payload)) => ctx.pong(&payload),
            Ok(ws::Message::Pong(_)) | Ok(ws::Message::Nop) => {}
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Err(e) => {
                tracing::debug!(conversation = %self.conversation, error = %e, "websocket protocol error");
                ctx.close(Some(ws::CloseReason {
                    code: ws::CloseCode::Protocol,
                    description: Some(e.to_string()),
                }));
                ctx.stop();
            }
        }
    }
}
