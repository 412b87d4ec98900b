//! `ClientSession`: one client socket (PROTOCOL 3.3). On start it subscribes to its
//! conversation on the hub and sends the welcome frame (client id, conversation, latest chat,
//! recent messages); notices that arrive before the welcome are held and sent after it. A client
//! only ever gets frames about its own conversation: messages that are not private, typing,
//! queue positions, vote requests and thanks, chat_finished.

use actix::prelude::*;
use actix_web::web;
use actix_web_actors::ws;
use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use serde_json::{json, Value};

use super::frames::{ClientRequest, CLIENT_TYPES};
use super::render;
use super::requests::{self, ClientRequester};
use super::session::{self, Session, Socket};
use crate::actors::registry::Registry;
use crate::actors::ToClient;
use crate::api::ApiError;
use crate::domain::{ClientNotice, ConversationId};
use crate::server::AppState;
use crate::store::MessageQuery;

/// One client's socket.
pub struct ClientSession {
    socket: Socket,
    conversation: ConversationId,
    name: Option<String>,
    page_url: Option<String>,
    welcomed: bool,
    held: Vec<ClientNotice>,
}

impl ClientSession {
    /// A session of the client of `conversation`.
    pub fn new(
        app: web::Data<AppState>,
        conversation: ConversationId,
        name: Option<String>,
        page_url: Option<String>,
    ) -> Self {
        Self {
            socket: Socket::new(app, "client"),
            conversation,
            name,
            page_url,
            welcomed: false,
            held: Vec::new(),
        }
    }

    fn deliver(&mut self, notice: &ClientNotice, ctx: &mut ws::WebsocketContext<Self>) {
        match render::client_frame(notice) {
            Some(frame) => session::send(self, &frame, ctx),
            None => session::going_away(ctx),
        }
    }

    fn welcome(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let shared = self.socket.app.node.shared.clone();
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
                session::send(act, &render::error(None, "unavailable", "cannot load the conversation"), ctx);
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
            session::send(act, &welcome, ctx);
            act.welcomed = true;
            for notice in std::mem::take(&mut act.held) {
                act.deliver(&notice, ctx);
            }
        }));
    }
}

impl Session for ClientSession {
    type Request = ClientRequest;
    const TYPES: &'static [&'static str] = &CLIENT_TYPES;

    fn socket(&mut self) -> &mut Socket {
        &mut self.socket
    }

    fn is_ping(request: &ClientRequest) -> bool {
        matches!(request, ClientRequest::Ping)
    }

    fn answer(&mut self, request: ClientRequest) -> LocalBoxFuture<'static, Result<Value, ApiError>> {
        let requester = ClientRequester {
            app: self.socket.app.clone(),
            conversation: self.conversation.clone(),
            name: self.name.clone(),
            page_url: self.page_url.clone(),
            origin: self.socket.sub,
        };
        requests::client(requester, request).boxed_local()
    }
}

impl Actor for ClientSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        session::started(self, ctx);
        let (hub, cut) = (&self.socket.app.node.shared.hub, self.socket.cut.clone());
        self.socket.sub =
            Some(hub.subscribe_client(self.conversation.clone(), ctx.address().recipient(), cut));
        self.welcome(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        if let Some(sub) = self.socket.sub.take() {
            self.socket.app.node.shared.hub.unsubscribe_client(&self.conversation, sub);
        }
        session::stopped(self);
    }
}

impl Handler<ToClient> for ClientSession {
    type Result = ();

    fn handle(&mut self, msg: ToClient, ctx: &mut Self::Context) {
        if session::cut_off(self, ctx) {
            return;
        }
        if self.welcomed || matches!(msg.0, ClientNotice::Closing) {
            self.deliver(&msg.0, ctx);
        } else {
            self.held.push(msg.0);
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for ClientSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        session::on_message(self, msg, ctx);
    }
}
