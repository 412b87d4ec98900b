//! The simulated peers: clients that open a chat and then send messages (closed loop: the next
//! after the previous ack; or paced at a rate), and operators that accept offers and reply. Both
//! speak the frontline protocol; the raw relay speaks the same frames. Every message carries its
//! send time, so latencies need no bookkeeping: `text = "<µs>|<client>|<k>|padding"`, and an ack's
//! `ref` is `"<k>:<µs>"`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::stats::{now_us, Stats};

type Ws = WebSocketStream<TcpStream>;

/// Parameters and shared state of one run.
pub struct Run {
    /// `ws://127.0.0.1:PORT`.
    pub ws_base: String,
    pub clients: usize,
    /// Message text size in bytes.
    pub size: usize,
    /// Total client messages per second; `None` = closed loop (as fast as acks come back).
    pub rate: Option<f64>,
    /// Operators reply to one client message in this many.
    pub reply_every: u64,
    /// Operator tokens (empty for the relay).
    pub tokens: Vec<String>,
    pub stats: Stats,
    /// Opened when every chat is assigned: clients start sending.
    pub go: Notify,
    pub started: AtomicBool,
    /// Clients stop sending.
    pub stop: AtomicBool,
    /// Soak mode (`soak.rs`): operators greet each chat they accept and finish a chat when its
    /// client says `bye`.
    pub soak: bool,
}

/// Connects to `url` from source address 127.0.0.x, spreading connections so that ephemeral
/// ports never run short (about 28,000 per source address).
pub async fn connect(index: usize, url: &str) -> Result<Ws, String> {
    let source = Ipv4Addr::new(127, 0, 0, 1 + (index / 20_000) as u8);
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next())
        .and_then(|p| p.parse().ok())
        .ok_or("bad url")?;
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket.bind(SocketAddr::from((source, 0))).map_err(|e| e.to_string())?;
    let stream =
        socket.connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (ws, _) = tokio_tungstenite::client_async(url, stream).await.map_err(|e| e.to_string())?;
    Ok(ws)
}

pub fn text_of(message: Message) -> Option<Value> {
    match message {
        Message::Text(text) => serde_json::from_str(text.as_str()).ok(),
        _ => None,
    }
}

pub fn padded(head: String, size: usize) -> String {
    let mut text = head;
    while text.len() < size {
        text.push('x');
    }
    text
}

/// One client: opens its chat, waits for the start, then sends until told to stop.
pub async fn client(run: Arc<Run>, i: usize) {
    let url = format!("{}/ws/client?channel=web&client_id=lc{i}", run.ws_base);
    let ws = match connect(i, &url).await {
        Ok(ws) => ws,
        Err(e) => return run.stats.error(format!("client {i} connect: {e}")),
    };
    let (mut sink, mut stream) = ws.split();
    // welcome
    let _ = stream.next().await;
    let hello = json!({"type": "send", "text": format!("hello from {i}"), "ref": "hello"});
    if sink.send(Message::text(hello.to_string())).await.is_err() {
        return run.stats.error(format!("client {i} hello"));
    }
    let window = Arc::new(Semaphore::new(0));
    let reader = tokio::spawn(client_reader(run.clone(), i, stream, window.clone()));
    if !run.started.load(Ordering::Acquire) {
        run.go.notified().await;
    }
    let mut k: u64 = 0;
    let mut pace = run.rate.map(|rate| {
        let every = Duration::from_secs_f64(run.clients as f64 / rate);
        let mut t = tokio::time::interval(every);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    while !run.stop.load(Ordering::Relaxed) {
        match pace.as_mut() {
            Some(t) => {
                t.tick().await;
            }
            None => {
                // closed loop: one message in flight
                if k > 0
                    && tokio::time::timeout(Duration::from_secs(10), window.acquire())
                        .await
                        .map(|p| p.map(|p| p.forget()))
                        .is_err()
                {
                    run.stats.error(format!("client {i}: no ack within 10 s"));
                }
            }
        }
        if run.stop.load(Ordering::Relaxed) {
            break;
        }
        let stamp = now_us();
        let frame = json!({"type": "send", "text": padded(format!("{stamp}|{i}|{k}|"), run.size), "ref": format!("{k}:{stamp}")});
        if sink.send(Message::text(frame.to_string())).await.is_err() {
            run.stats.error(format!("client {i} send"));
            break;
        }
        k += 1;
    }
    let _ = reader.await;
    let _ = sink.close().await;
}

async fn client_reader(run: Arc<Run>, i: usize, mut stream: SplitStream<Ws>, window: Arc<Semaphore>) {
    while let Some(Ok(message)) = stream.next().await {
        closed(&run, &message, || format!("client {i}"));
        let Some(frame) = text_of(message) else { continue };
        match frame["type"].as_str() {
            Some("ack") => {
                let Some(reference) = frame["ref"].as_str() else { continue };
                if let Some((_, stamp)) = reference.split_once(':') {
                    run.stats.acked[i].fetch_add(1, Ordering::Relaxed);
                    if run.stats.measuring() {
                        if let Ok(stamp) = stamp.parse::<u64>() {
                            run.stats.ack.record(now_us().saturating_sub(stamp));
                        }
                    }
                    window.add_permits(1);
                }
            }
            Some("message") => {
                let text = frame["message"]["text"].as_str().unwrap_or_default();
                if frame["message"]["author"]["kind"] == "operator" {
                    if let Some(stamp) = text.split('|').next().and_then(|s| s.parse::<u64>().ok()) {
                        run.stats.replies.fetch_add(1, Ordering::Relaxed);
                        if run.stats.measuring() {
                            run.stats.o2c.record(now_us().saturating_sub(stamp));
                            run.stats.window_o2c.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            Some("error") => run.stats.error(format!("client {i}: {frame}")),
            _ => {}
        }
    }
}

/// One operator: accepts every offer, counts and times every client message, replies. It
/// writes from a task of its own, so it never stops reading while a write waits: a reader that
/// waits on its own writes can stall against a server whose writes wait on it, and whatever is
/// queued to it then looks undelivered.
pub async fn operator(run: Arc<Run>, j: usize, url: String) {
    let ws = match connect(run.clients + j, &url).await {
        Ok(ws) => ws,
        Err(e) => return run.stats.error(format!("operator {j} connect: {e}")),
    };
    let (mut sink, mut stream) = ws.split();
    let (to_send, mut sending) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let writer = tokio::spawn(async move {
        while let Some(frame) = sending.recv().await {
            send(&mut sink, frame).await;
        }
    });
    let sink = &to_send;
    while let Some(Ok(message)) = stream.next().await {
        closed(&run, &message, || format!("operator {j}"));
        let Some(frame) = text_of(message) else { continue };
        match frame["type"].as_str() {
            Some("offer") => {
                let chat = frame["chat"]["id"].clone();
                let _ = sink.send(json!({"type": "accept", "chat": chat, "ref": "accept"}));
                if run.soak {
                    // Sent after the accept on the same socket, so it is handled after it: the
                    // client starts its session once it reads this.
                    let greeting = format!("{}|greet|0|hi", now_us());
                    let _ =
                        sink.send(json!({"type": "send", "chat": chat, "text": greeting, "ref": "greet"}));
                }
            }
            Some("ack") if frame["ref"] == "accept" => {
                run.stats.assigned.fetch_add(1, Ordering::Relaxed);
            }
            Some("chat_assigned") if run.tokens.is_empty() => {
                // the relay assigns without offers
                run.stats.assigned.fetch_add(1, Ordering::Relaxed);
            }
            Some("message") if frame["message"]["author"]["kind"] == "client" => {
                let text = frame["message"]["text"].as_str().unwrap_or_default();
                let mut parts = text.splitn(4, '|');
                let (Some(stamp), Some(client), Some(k)) = (parts.next(), parts.next(), parts.next()) else {
                    continue;
                };
                let (Ok(stamp), Ok(client), Ok(k)) =
                    (stamp.parse::<u64>(), client.parse::<usize>(), k.parse::<u64>())
                else {
                    continue;
                };
                if let Some(delivered) = run.stats.delivered.get(client) {
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
                if run.soak && parts.next().is_some_and(|rest| rest.starts_with("bye")) {
                    let chat = frame["message"]["chat"].clone();
                    let _ = sink
                        .send(json!({"type": "finish", "chat": chat, "status": "closed", "ref": "finish"}));
                    continue;
                }
                if run.stats.measuring() {
                    run.stats.c2o.record(now_us().saturating_sub(stamp));
                    run.stats.window_c2o.fetch_add(1, Ordering::Relaxed);
                }
                if k % run.reply_every == 0 {
                    let chat = frame["message"]["chat"].clone();
                    let reply = format!("{}|{client}|{k}|r", now_us());
                    let _ = sink.send(json!({"type": "send", "chat": chat, "text": reply, "ref": "r"}));
                }
            }
            Some("error") => run.stats.error(format!("operator {j}: {frame}")),
            _ => {}
        }
    }
    writer.abort();
}

/// Counts a close from the server before the run stops as an error (a slow consumer cut off,
/// a shutdown), with its code: whatever was in flight to that peer is then undelivered.
pub fn closed(run: &Run, message: &Message, who: impl FnOnce() -> String) {
    if let Message::Close(close) = message {
        if !run.stop.load(Ordering::Relaxed) {
            let why = close.as_ref().map(|c| format!("{} {}", c.code, c.reason)).unwrap_or_default();
            run.stats.error(format!("{}: closed by the server ({why})", who()));
        }
    }
}

async fn send(sink: &mut SplitSink<Ws, Message>, frame: Value) {
    let _ = sink.send(Message::text(frame.to_string())).await;
}
