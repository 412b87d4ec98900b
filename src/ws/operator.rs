//! `OperatorSession`: one operator socket (PROTOCOL 3.2). On start it subscribes to the hub,
//! tells the supervisor the operator connected, and sends the welcome frame (My and New tabs,
//! then open offers); notices that arrive before the welcome is out are held and sent after it,
//! so the socket sees every later event in order. Each request is answered with an `ack` or an
//! `error` carrying its `ref`.

use actix::prelude::*;
use actix_web::web;
use actix_web_actors::ws;
use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use serde_json::{json, Value};

use super::admission::Slot;
use super::frames::{OperatorRequest, OPERATOR_TYPES};
use super::render;
use super::requests::{self, Requester};
use super::session::{self, Peer, Session, Socket};
use crate::actors::messages::{GetNewTab, OperatorConnected, OperatorDisconnected};
use crate::actors::ToOperator;
use crate::api::ApiError;
use crate::auth::Identity;
use crate::domain::{OperatorNotice, Phase};
use crate::server::AppState;
use crate::store::{ChatQuery, Scope, SortColumn, SortKey};

/// The most New-tab chats a welcome lists (oldest first); `new_total` says how many there are,
/// and `GET /api/v1/tabs/new` pages through the rest.
pub const WELCOME_NEW_CHATS: usize = 100;

/// One operator's socket.
pub struct OperatorSession {
    socket: Socket,
    me: Identity,
    /// Its place among the sockets of its address, given back when the session ends.
    _slot: Option<Slot>,
    welcomed: bool,
    held: Vec<OperatorNotice>,
}

impl OperatorSession {
    /// A session for `me` connected from `remote`, holding `slot` while it is open.
    pub fn new(
        app: web::Data<AppState>,
        me: Identity,
        remote: Option<std::net::SocketAddr>,
        slot: Option<Slot>,
    ) -> Self {
        let peer = Peer::new(remote, me.operator.as_str());
        Self {
            socket: Socket::new(app, "operator", peer),
            me,
            _slot: slot,
            welcomed: false,
            held: Vec::new(),
        }
    }

    fn deliver(&mut self, notice: &OperatorNotice, ctx: &mut ws::WebsocketContext<Self>) {
        match render::operator_frame(notice) {
            Some(frame) => session::send(self, &frame, ctx),
            None => session::going_away(self, ctx),
        }
    }

    /// Loads the My tab (store) and the New tab with offers (supervisor), then welcomes.
    fn welcome(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let store = self.socket.app.node.shared.store.clone();
        let supervisor = self.socket.app.node.supervisor.clone();
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
            let new =
                supervisor.send(GetNewTab { operator: me, after: None, limit: WELCOME_NEW_CHATS }).await;
            (my, new)
        };
        ctx.spawn(load.into_actor(self).map(|(my, new), act, ctx| {
            let (Ok(my), Ok(new)) = (my, new) else {
                session::send(act, &render::error(None, "unavailable", "cannot load the tabs"), ctx);
                ctx.stop();
                return;
            };
            let operator = act.socket.app.config.settings.operator(&act.me.operator);
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
                "new_total": new.total,
            });
            session::send(act, &welcome, ctx);
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
                    OperatorNotice::OfferWithdrawn { chat, .. }
                    | OperatorNotice::ChatRemoved { chat, .. } => Some(*chat),
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
}

impl Session for OperatorSession {
    type Request = OperatorRequest;
    const TYPES: &'static [&'static str] = &OPERATOR_TYPES;

    fn socket(&mut self) -> &mut Socket {
        &mut self.socket
    }

    fn is_ping(request: &OperatorRequest) -> bool {
        matches!(request, OperatorRequest::Ping)
    }

    fn answer(&mut self, request: OperatorRequest) -> LocalBoxFuture<'static, Result<Value, ApiError>> {
        let requester = Requester {
            app: self.socket.app.clone(),
            me: self.me.clone(),
            origin: self.socket.sub,
            max_text_chars: self.socket.app.config.limits.max_text_chars,
        };
        requests::operator(requester, request).boxed_local()
    }
}

impl Actor for OperatorSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        session::started(self, ctx);
        let operator = self.me.operator.clone();
        let app = self.socket.app.clone();
        self.socket.sub = Some(app.node.shared.hub.subscribe_operator(
            operator.clone(),
            ctx.address().recipient(),
            self.socket.cut.clone(),
        ));
        app.node.supervisor.do_send(OperatorConnected { operator });
        self.welcome(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        let app = self.socket.app.clone();
        if let Some(sub) = self.socket.sub.take() {
            app.node.shared.hub.unsubscribe_operator(&self.me.operator, sub);
            app.node.supervisor.do_send(OperatorDisconnected { operator: self.me.operator.clone() });
        }
        session::stopped(self);
    }
}

impl Handler<ToOperator> for OperatorSession {
    type Result = ();

    fn handle(&mut self, msg: ToOperator, ctx: &mut Self::Context) {
        if session::cut_off(self, ctx) {
            return;
        }
        if self.welcomed || matches!(msg.0, OperatorNotice::Closing) {
            self.deliver(&msg.0, ctx);
        } else {
            self.held.push(msg.0);
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for OperatorSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        session::on_message(self, msg, ctx);
    }
}
