//! The baseline: a raw WebSocket relay on the same stack as frontline (actix-web,
//! actix-web-actors, serde_json), speaking the same frames, with no routing and no durability.
//! Client `lc<i>` is paired with operator `i mod operators`; a client's `send` is acknowledged at
//! once and forwarded to its operator as a `message`, an operator's `send` to the client.
//! The bench runs it by re-executing itself with `FRONTLINE_LOAD_RELAY=1`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use actix::prelude::*;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use actix_web_actors::ws;
use dashmap::DashMap;
use serde_json::{json, Value};

#[derive(Message)]
#[rtype(result = "()")]
struct Frame(String);

#[derive(Default)]
struct Relay {
    operators: Mutex<Vec<Addr<OperatorSide>>>,
    clients: DashMap<u64, Addr<ClientSide>>,
}

struct ClientSide {
    relay: web::Data<Relay>,
    index: u64,
    id: String,
    operator: Option<Addr<OperatorSide>>,
    seq: u64,
}

struct OperatorSide {
    relay: web::Data<Relay>,
    id: String,
}

impl Actor for ClientSide {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.relay.clients.insert(self.index, ctx.address());
        ctx.text(json!({"type": "welcome", "client_id": self.id}).to_string());
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.relay.clients.remove(&self.index);
    }
}

impl Actor for OperatorSide {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.relay.operators.lock().expect("not poisoned").push(ctx.address());
        ctx.text(json!({"type": "welcome", "operator": {"id": self.id}}).to_string());
    }
}

impl Handler<Frame> for ClientSide {
    type Result = ();
    fn handle(&mut self, msg: Frame, ctx: &mut Self::Context) {
        ctx.text(msg.0);
    }
}

impl Handler<Frame> for OperatorSide {
    type Result = ();
    fn handle(&mut self, msg: Frame, ctx: &mut Self::Context) {
        ctx.text(msg.0);
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for ClientSide {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        let Ok(ws::Message::Text(text)) = msg else { return };
        let Ok(frame) = serde_json::from_str::<Value>(&text) else { return };
        if frame["type"] != "send" {
            return;
        }
        if self.operator.is_none() {
            let operators = self.relay.operators.lock().expect("not poisoned");
            if operators.is_empty() {
                return;
            }
            let operator = operators[(self.index as usize) % operators.len()].clone();
            operator.do_send(Frame(json!({"type": "chat_assigned", "chat": {"id": self.index}}).to_string()));
            self.operator = Some(operator);
        }
        self.seq += 1;
        let message = json!({"type": "message", "message": {
            "chat": self.index, "seq": self.seq, "author": {"kind": "client", "id": self.id}, "text": frame["text"]}});
        if let Some(operator) = &self.operator {
            operator.do_send(Frame(message.to_string()));
        }
        ctx.text(
            json!({"type": "ack", "ref": frame["ref"], "chat": self.index, "seq": self.seq}).to_string(),
        );
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for OperatorSide {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        let Ok(ws::Message::Text(text)) = msg else { return };
        let Ok(frame) = serde_json::from_str::<Value>(&text) else { return };
        if frame["type"] != "send" {
            return;
        }
        let chat = frame["chat"].as_u64().unwrap_or(u64::MAX);
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let message = json!({"type": "message", "message": {
            "chat": chat, "seq": seq, "author": {"kind": "operator", "id": self.id}, "text": frame["text"]}});
        if let Some(client) = self.relay.clients.get(&chat) {
            client.do_send(Frame(message.to_string()));
        }
        ctx.text(json!({"type": "ack", "ref": frame["ref"], "chat": chat, "seq": seq}).to_string());
    }
}

#[derive(serde::Deserialize)]
struct ClientQuery {
    client_id: String,
}

async fn client(
    req: HttpRequest,
    stream: web::Payload,
    relay: web::Data<Relay>,
) -> actix_web::Result<HttpResponse> {
    let query = web::Query::<ClientQuery>::from_query(req.query_string())?.into_inner();
    let index = query.client_id.trim_start_matches("lc").parse().unwrap_or(u64::MAX);
    ws::start(ClientSide { relay, index, id: query.client_id, operator: None, seq: 0 }, &req, stream)
}

async fn operator(
    req: HttpRequest,
    stream: web::Payload,
    relay: web::Data<Relay>,
) -> actix_web::Result<HttpResponse> {
    let id = format!("relay-op-{}", relay.operators.lock().expect("not poisoned").len());
    ws::start(OperatorSide { relay, id }, &req, stream)
}

/// Runs the relay on 127.0.0.1:0 until killed, printing `listening on http://...`.
pub fn run() -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(async {
        let relay = web::Data::new(Relay::default());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(relay.clone())
                .route("/ws/client", web::get().to(client))
                .route("/ws/agent", web::get().to(operator))
        })
        // As frontline's server: small frames leave at once.
        .tcp_nodelay(true)
        .disable_signals()
        .bind(("127.0.0.1", 0))?;
        let addr = server.addrs()[0];
        let server = server.run();
        println!("listening on http://{addr}");
        server.await
    })
}
