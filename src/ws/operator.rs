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
use serde_json::json;

use super::echo::{EchoFilter, StoredAt};
use super::frames::{OperatorRequest, OPERATOR_TYPES};
use super::render;
use super::requests::{self, Requester};
use super::session::{self, Answered, Session, Socket};
use crate::auth::Identity;
use crate::domain::notice::after_welcome;
use crate::domain::{AuthorKind, OperatorNotice, Phase, Presence};
use crate::edge::{AppState, EdgeError, ErrorCode, Slot};
use crate::node::NotifyOperator;
use crate::store::{ChatQuery, Scope, SortColumn, SortKey};

/// The most New-tab chats a welcome lists (oldest first); `new_total` says how many there are,
/// and `GET /api/v1/tabs/new` pages through the rest.
pub const WELCOME_NEW_CHATS: usize = 100;

/// One operator's socket.
pub struct OperatorSession {
    socket: Socket<OperatorRequest>,
    me: Identity,
    /// Its place among the sockets of its address, given back when the session ends.
    _slot: Option<Slot>,
    welcomed: bool,
    /// Which welcome is being built: one overtaken by a newer one (a resync) is dropped.
    welcoming: u64,
    held: Vec<OperatorNotice>,
    echo: EchoFilter<OperatorNotice>,
}

impl OperatorSession {
    /// A session for `me` connected from `remote`, holding `slot` while it is open.
    pub fn new(
        app: web::Data<AppState>,
        me: Identity,
        remote: Option<std::net::SocketAddr>,
        slot: Option<Slot>,
    ) -> Self {
        Self {
            socket: Socket::new(app, remote),
            me,
            _slot: slot,
            welcomed: false,
            welcoming: 0,
            held: Vec::new(),
            echo: EchoFilter::default(),
        }
    }

    /// Where the operator's own message a notice carries is stored (for the echo filter).
    fn own(&self, notice: &OperatorNotice) -> Option<StoredAt> {
        match notice {
            OperatorNotice::Message(m)
                if m.author.kind == AuthorKind::Operator && m.author.id == self.me.operator.as_str() =>
            {
                Some((m.conversation.clone(), m.seq))
            }
            _ => None,
        }
    }

    /// Delivers `notice` once it has passed the echo filter.
    fn notify(&mut self, notice: OperatorNotice, ctx: &mut ws::WebsocketContext<Self>) {
        let own = self.own(&notice);
        for notice in self.echo.notice(own, notice) {
            self.deliver(&notice, ctx);
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
        self.welcoming += 1;
        let this = self.welcoming;
        let node = self.socket.app.node.clone();
        let me = self.me.operator.clone();
        let my = ChatQuery {
            phase: vec![Phase::Active, Phase::Closing],
            scope: Some(Scope { operator: me.clone(), lines: Vec::new() }),
            sort: SortKey { column: SortColumn::CreatedAt, descending: false },
            limit: 500,
            ..ChatQuery::default()
        };
        let load = async move {
            let my = node.chats(my).await;
            let new = node.new_tab(me.clone(), None, WELCOME_NEW_CHATS).await;
            // Away is kept across sockets and leader changes (a resync must not show an away
            // operator as online); a welcomed socket is otherwise online, even if the leader has
            // not counted it yet.
            let away = node
                .operators()
                .await
                .ok()
                .is_some_and(|all| all.iter().any(|o| o.operator == me && o.presence == Presence::Away));
            (my, new, if away { Presence::Away } else { Presence::Online })
        };
        ctx.spawn(load.into_actor(self).map(move |(my, new, presence), act, ctx| {
            if act.welcoming != this {
                return;
            }
            let (Ok(my), Ok(new)) = (my, new) else {
                session::send(act, &render::error(None, ErrorCode::Unavailable, "cannot load the tabs"), ctx);
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
                    "presence": presence,
                },
                "my": my.items,
                "new": new.chats,
                "new_total": new.total,
            });
            session::send(act, &welcome, ctx);
            let listed: Vec<_> = new.chats.iter().map(|c| c.id).collect();
            let offered: Vec<_> = new.offers.iter().map(|o| o.chat.id).collect();
            for offer in new.offers {
                act.deliver(
                    &OperatorNotice::Offer { chat: offer.chat, expires_in_ms: offer.expires_in_ms },
                    ctx,
                );
            }
            act.welcomed = true;
            for notice in after_welcome(std::mem::take(&mut act.held), &listed, &offered) {
                act.notify(notice, ctx);
            }
        }));
    }
}

impl Session for OperatorSession {
    type Request = OperatorRequest;
    const TYPES: &'static [&'static str] = &OPERATOR_TYPES;
    const KIND: &'static str = "operator";

    fn who(&self) -> String {
        self.me.operator.to_string()
    }

    fn socket(&mut self) -> &mut Socket<OperatorRequest> {
        &mut self.socket
    }

    fn is_ping(request: &OperatorRequest) -> bool {
        matches!(request, OperatorRequest::Ping)
    }

    fn answer(&mut self, request: OperatorRequest) -> LocalBoxFuture<'static, Result<Answered, EdgeError>> {
        self.echo.started();
        let requester = Requester {
            app: self.socket.app.clone(),
            me: self.me.clone(),
            max_text_chars: self.socket.app.config.limits.max_text_chars,
        };
        requests::operator(requester, request).boxed_local()
    }

    fn answered(&mut self, stored: Option<StoredAt>, ctx: &mut ws::WebsocketContext<Self>) {
        for notice in self.echo.answered(stored) {
            self.deliver(&notice, ctx);
        }
    }
}

impl Actor for OperatorSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        session::started(self, ctx);
        let app = self.socket.app.clone();
        let sub = app.node.connect_operator(
            self.me.operator.clone(),
            ctx.address().recipient(),
            self.socket.cut.clone(),
        );
        self.socket.sub = Some(sub);
        self.welcome(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        let app = self.socket.app.clone();
        if let Some(sub) = self.socket.sub.take() {
            app.node.disconnect_operator(&self.me.operator, sub);
        }
        session::stopped(self);
    }
}

impl Handler<NotifyOperator> for OperatorSession {
    type Result = ();

    fn handle(&mut self, msg: NotifyOperator, ctx: &mut Self::Context) {
        if session::cut_off(self, ctx) {
            return;
        }
        let notice = msg.notice;
        if matches!(notice, OperatorNotice::Closing) {
            self.deliver(&notice, ctx);
        } else if matches!(notice, OperatorNotice::Resync) {
            // What the socket held for its welcome is in the new one (or was overtaken).
            self.welcomed = false;
            self.held.clear();
            self.welcome(ctx);
        } else if !self.welcomed {
            self.held.push(notice);
        } else {
            self.notify(notice, ctx);
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for OperatorSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        session::on_message(self, msg, ctx);
    }
}
