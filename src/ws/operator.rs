//! `OperatorSession`: one operator socket (PROTOCOL 3.2). On start it subscribes to the hub,
//! tells the supervisor the operator connected, and sends the welcome frame (My and New tabs,
//! then open offers); notices that arrive before the welcome is out are held and sent after it,
//! so the socket sees every later event in order. Each request is answered with an `ack` or an
//! `error` carrying its `ref`.

use std::sync::atomic::Ordering;

use actix::prelude::*;
use actix_web::web;
use actix_web_actors::ws;
use serde_json::{json, Value};

use super::frames::{parse, reference_of, OperatorRequest, OPERATOR_TYPES};
use super::guard::{Guard, GOING_AWAY, POLICY};
use super::render;
use super::requests::{self, Requester};
use crate::actors::hub::CutOff;
use crate::actors::messages::{GetNewTab, OperatorConnected, OperatorDisconnected};
use crate::actors::{SubscriptionId, ToOperator};
use crate::api::ApiError;
use crate::auth::Identity;
use crate::domain::{OperatorNotice, Phase};
use crate::server::AppState;
use crate::store::{ChatQuery, Scope, SortColumn, SortKey};

/// One operator's socket.
pub struct OperatorSession {
    app: web::Data<AppState>,
    me: Identity,
    guard: Guard,
    sub: Option<SubscriptionId>,
    cut: CutOff,
    welcomed: bool,
    held: Vec<OperatorNotice>,
    partial: Option<String>,
}

impl OperatorSession {
    /// A session for `me`; `drained` is shared with the metered response body.
    pub fn new(app: web::Data<AppState>, me: Identity) -> Self {
        let guard = Guard::new(app.config.limits);
        Self {
            app,
            me,
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

    fn deliver(&mut self, notice: &OperatorNotice, ctx: &mut ws::WebsocketContext<Self>) {
        match render::operator_frame(notice) {
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

    /// Loads the My tab (store) and the New tab with offers (supervisor), then welcomes.
    fn welcome(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let store = self.app.node.shared.store.clone();
        let supervisor = self.app.node.supervisor.clone();
        let me = self.me.operator.clone();
        let my = ChatQuery {
            phase: vec![Phase::Active, Phase::Closing],
            scope: Some(Scope { operator: me.clone(), lines: Vec::new() }),
            sort: SortKey { column: SortColumn::CreatedAt, descending: false },
            limit: 500,
            ..ChatQuery::default()
        };
        let load = async move {
            let my = store.chats(my).await;
            let new = supervisor.send(GetNewTab { operator: me }).await;
            (my, new)
        };
        ctx.spawn(load.into_actor(self).map(|(my, new), act, ctx| {
            let (Ok(my), Ok(new)) = (my, new) else {
                act.send(&render::error(None, "unavailable", "cannot load the tabs"), ctx);
                ctx.stop();
                return;
            };
            let operator = act.app.config.settings.operator(&act.me.operator);
            let welcome = json!({
                "type": "welcome",
                "operator": {
                    "id": act.me.operator,
                    "name": operator.map(|o| o.name.clone()),
                    "role": act.me.role.as_str(),
                    "lines": operator.map(|o| o.lines.clone()).unwrap_or_default(),
                    "capacity": operator.map_or(0, |o| o.capacity),
                },
                "my": my.items,
                "new": new.chats,
            });
            act.send(&welcome, ctx);
            let listed: Vec<_> = new.chats.iter().map(|c| c.id).collect();
            let offered: Vec<_> = new.offers.iter().map(|(c, _)| c.id).collect();
            for (chat, expires_in_ms) in new.offers {
                act.deliver(&OperatorNotice::Offer { chat, expires_in_ms }, ctx);
            }
            act.welcomed = true;
            let held = std::mem::take(&mut act.held);
            let withdrawn: Vec<_> = held
                .iter()
                .filter_map(|n| match n {
                    OperatorNotice::OfferWithdrawn(chat) | OperatorNotice::ChatRemoved { chat, .. } => {
                        Some(*chat)
                    }
                    _ => None,
                })
                .collect();
            for notice in held {
                // The welcome already shows these (unless they came and went meanwhile).
                let shown = match &notice {
                    OperatorNotice::Offer { chat, .. } => {
                        offered.contains(&chat.id) && !withdrawn.contains(&chat.id)
                    }
                    OperatorNotice::ChatNew(chat) => {
                        listed.contains(&chat.id) && !withdrawn.contains(&chat.id)
                    }
                    _ => false,
                };
                if !shown {
                    act.deliver(&notice, ctx);
                }
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
        match parse::<OperatorRequest>(text, &OPERATOR_TYPES) {
            Err(e) => self.send(&render::error(e.reference.as_ref(), "bad_request", &e.message), ctx),
            Ok((OperatorRequest::Ping, reference)) => self.send(&render::pong(reference.as_ref()), ctx),
            Ok((request, reference)) => {
                let requester = Requester {
                    app: self.app.clone(),
                    me: self.me.clone(),
                    origin: self.sub,
                    max_text_chars: self.app.config.limits.max_text_chars,
                };
                let answer = requests::operator(requester, request);
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

impl Actor for OperatorSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Notices wait here while the connection is slow; the hub cuts the socket off when full.
        ctx.set_mailbox_capacity(self.app.config.limits.max_outbound_frames);
        let shared = &self.app.node.shared;
        self.sub = Some(shared.hub.subscribe_operator(
            self.me.operator.clone(),
            ctx.address().recipient(),
            self.cut.clone(),
        ));
        self.app.node.supervisor.do_send(OperatorConnected { operator: self.me.operator.clone() });
        shared.metrics.connections.with_label_values(&["operator"]).inc();
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
            shared.hub.unsubscribe_operator(&self.me.operator, sub);
            self.app.node.supervisor.do_send(OperatorDisconnected { operator: self.me.operator.clone() });
        }
        shared.metrics.connections.with_label_values(&["operator"]).dec();
    }
}

impl Handler<ToOperator> for OperatorSession {
    type Result = ();

    fn handle(&mut self, msg: ToOperator, ctx: &mut Self::Context) {
        if self.cut.load(Ordering::Acquire) {
            self.close_slow(ctx);
        } else if self.welcomed || matches!(msg.0, OperatorNotice::Closing) {
            self.deliver(&msg.0, ctx);
        } else {
            self.held.push(msg.0);
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for OperatorSession {
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
                tracing::debug!(operator = %self.me.operator, error = %e, "websocket protocol error");
                ctx.close(Some(ws::CloseReason {
                    code: ws::CloseCode::Protocol,
                    description: Some(e.to_string()),
                }));
                ctx.stop();
            }
        }
    }
}
