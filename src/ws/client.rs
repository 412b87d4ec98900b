//! `ClientSession`: one client socket (PROTOCOL 3.3). On start it subscribes to its
//! conversation on the hub and sends the welcome frame (client id, conversation, its token on a
//! channel without a secret, latest chat, recent messages), read from the store: a socket that
//! never writes never activates its conversation. Notices that arrive before the welcome are
//! held and sent after it (messages the welcome already shows are skipped). A client only ever
//! gets frames about its own conversation: messages that are not private, typing, queue
//! positions, vote requests and thanks, chat_finished.

use std::cell::Cell;
use std::rc::Rc;

use actix::prelude::*;
use actix_web::web;
use actix_web_actors::ws;
use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use serde_json::json;

use super::echo::{EchoFilter, StoredAt};
use super::frames::{ClientRequest, CLIENT_TYPES};
use super::render;
use super::requests::{self, ClientRequester};
use super::session::{self, Answered, Session, Socket};
use crate::domain::{vote_request, AuthorKind, ChatView, ClientNotice, ConversationId, Phase};
use crate::edge::{AppState, EdgeError, ErrorCode, Slot};
use crate::node::NotifyClient;
use crate::store::MessageQuery;

/// What a client brought to its connect, checked before the upgrade.
pub struct Joining {
    /// The display name it connected with.
    pub name: Option<String>,
    /// The widget page it connected from.
    pub page_url: Option<String>,
    /// Its conversation token (channels without a `secret`), for the welcome.
    pub token: Option<String>,
    /// Its places among the sockets per address and per conversation, held while it is open
    /// (inline: a `Vec` would be one more allocation per socket).
    pub slots: [Option<Slot>; 2],
    /// The address it connected from.
    pub remote: Option<std::net::SocketAddr>,
}

/// One client's socket.
pub struct ClientSession {
    socket: Socket<ClientRequest>,
    conversation: ConversationId,
    // Boxed strings: exactly their length, and a word less each than a `String`.
    name: Option<Box<str>>,
    page_url: Option<Box<str>>,
    token: Option<Box<str>>,
    /// The conversation has a journal (shared with the requests in flight).
    exists: Rc<Cell<bool>>,
    /// Given back when the session ends.
    _slots: [Option<Slot>; 2],
    welcomed: bool,
    /// Which welcome is being built: one overtaken by a newer one (a resync) is dropped.
    welcoming: u64,
    held: Vec<ClientNotice>,
    echo: EchoFilter<ClientNotice>,
}

impl ClientSession {
    /// A session of the client of `conversation`.
    pub fn new(app: web::Data<AppState>, conversation: ConversationId, joining: Joining) -> Self {
        let Joining { name, page_url, token, slots, remote } = joining;
        Self {
            socket: Socket::new(app, remote),
            conversation,
            name: name.map(String::into_boxed_str),
            page_url: page_url.map(String::into_boxed_str),
            token: token.map(String::into_boxed_str),
            exists: Rc::new(Cell::new(false)),
            _slots: slots,
            welcomed: false,
            welcoming: 0,
            held: Vec::new(),
            echo: EchoFilter::default(),
        }
    }

    /// Where the client's own message a notice carries is stored (for the echo filter).
    fn own(notice: &ClientNotice) -> Option<StoredAt> {
        match notice {
            ClientNotice::Message(m) if m.author.kind == AuthorKind::Client => {
                Some((m.conversation.clone(), m.seq))
            }
            _ => None,
        }
    }

    fn deliver(&mut self, notice: &ClientNotice, ctx: &mut ws::WebsocketContext<Self>) {
        match render::client_frame(notice) {
            Some(frame) => session::send(self, &frame, ctx),
            None => session::going_away(self, ctx),
        }
    }

    fn welcome(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        self.welcoming += 1;
        let this = self.welcoming;
        let node = self.socket.app.node.clone();
        let conversation = self.conversation.clone();
        let load = async move {
            let head = node.conversation_head(conversation.clone()).await;
            let query = MessageQuery {
                conversation,
                chat: None,
                before_seq: None,
                limit: 50,
                include_private: false,
            };
            let messages = node.messages(query).await;
            let latest = match head.as_ref().ok().and_then(|h| h.as_ref()).and_then(|h| h.latest_chat) {
                Some(id) => node.chat(id).await.ok().flatten(),
                None => None,
            };
            (head, messages, latest)
        };
        ctx.spawn(load.into_actor(self).map(move |(head, messages, latest), act, ctx| {
            if act.welcoming != this {
                return;
            }
            let (Ok(head), Ok(messages)) = (head, messages) else {
                session::send(
                    act,
                    &render::error(None, ErrorCode::Unavailable, "cannot load the conversation"),
                    ctx,
                );
                ctx.stop();
                return;
            };
            let shown = messages.last().map_or(0, |m| m.seq);
            if head.is_some() {
                act.exists.set(true);
            }
            let mut welcome = json!({
                "type": "welcome",
                "client_id": act.conversation.client,
                "conversation": act.conversation,
                "chat": head.and_then(|h| h.latest_chat),
                "messages": render::client_messages(&messages),
            });
            if let Some(token) = &act.token {
                welcome["token"] = json!(token);
            }
            session::send(act, &welcome, ctx);
            act.welcomed = true;
            let held = std::mem::take(&mut act.held);
            let asked = held.iter().any(|n| matches!(n, ClientNotice::VoteRequest { .. }));
            for notice in held {
                // A message stored before the welcome was read is in it already.
                if matches!(&notice, ClientNotice::Message(m) if m.seq <= shown) {
                    continue;
                }
                for notice in act.echo.notice(Self::own(&notice), notice) {
                    act.deliver(&notice, ctx);
                }
            }
            if let Some(chat) = latest.filter(|_| !asked) {
                act.resume(&chat, ctx);
            }
        }));
    }

    /// What a client that (re)connects must hear again about its latest chat: a pending
    /// request to rate it, or its place in the queue.
    fn resume(&mut self, chat: &ChatView, ctx: &mut ws::WebsocketContext<Self>) {
        match chat.phase {
            Phase::Closing => {
                let notice = vote_request(chat.id, &self.socket.app.node.settings().rating);
                self.deliver(&notice, ctx);
            }
            Phase::Active if chat.responsible.is_none() => {
                self.socket.app.node.announce_queue_position(chat.id)
            }
            Phase::Active | Phase::Finished => {}
        }
    }
}

impl Session for ClientSession {
    type Request = ClientRequest;
    const TYPES: &'static [&'static str] = &CLIENT_TYPES;
    const KIND: &'static str = "client";

    fn who(&self) -> String {
        self.conversation.to_string()
    }

    fn socket(&mut self) -> &mut Socket<ClientRequest> {
        &mut self.socket
    }

    fn is_ping(request: &ClientRequest) -> bool {
        matches!(request, ClientRequest::Ping)
    }

    fn answer(&mut self, request: ClientRequest) -> LocalBoxFuture<'static, Result<Answered, EdgeError>> {
        self.echo.started();
        let requester = ClientRequester {
            app: self.socket.app.clone(),
            conversation: self.conversation.clone(),
            name: self.name.as_deref().map(str::to_owned),
            page_url: self.page_url.as_deref().map(str::to_owned),
            exists: Rc::clone(&self.exists),
        };
        requests::client(requester, request).boxed_local()
    }

    fn answered(&mut self, stored: Option<StoredAt>, ctx: &mut ws::WebsocketContext<Self>) {
        for notice in self.echo.answered(stored) {
            self.deliver(&notice, ctx);
        }
    }
}

impl Actor for ClientSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        session::started(self, ctx);
        let (node, cut) = (&self.socket.app.node, self.socket.cut.clone());
        self.socket.sub =
            Some(node.connect_client(self.conversation.clone(), ctx.address().recipient(), cut));
        self.welcome(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        if let Some(sub) = self.socket.sub.take() {
            self.socket.app.node.disconnect_client(&self.conversation, sub);
        }
        session::stopped(self);
    }
}

impl Handler<NotifyClient> for ClientSession {
    type Result = ();

    fn handle(&mut self, msg: NotifyClient, ctx: &mut Self::Context) {
        if session::cut_off(self, ctx) {
            return;
        }
        let notice = msg.notice;
        if matches!(notice, ClientNotice::Closing) {
            self.deliver(&notice, ctx);
        } else if matches!(notice, ClientNotice::Resync) {
            // What the socket held for its welcome is in the new one (or was overtaken).
            self.welcomed = false;
            self.held.clear();
            self.welcome(ctx);
        } else if !self.welcomed {
            self.held.push(notice);
        } else {
            for notice in self.echo.notice(Self::own(&notice), notice) {
                self.deliver(&notice, ctx);
            }
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for ClientSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        session::on_message(self, msg, ctx);
    }
}
