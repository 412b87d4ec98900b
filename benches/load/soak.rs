//! The soak: a long run at a fixed rate with clients coming and going, sampled over time.
//!
//! Each client slot runs sessions one after another. A session connects as a new client
//! (`lc<slot>-<session>`, so a new conversation and a new chat), says hello, waits for the
//! operator's greeting (operators accept every offer and greet), sends at its share of the rate
//! for 30-90 s, says `bye`, waits for that ack and disconnects; the operator finishes the chat
//! when the `bye` reaches it. So chats are created, offered, accepted, answered and closed all
//! the time, and sockets open and close, while the number of clients online stays near
//! `--clients`.
//!
//! Every `--sample` seconds it prints one row: the server's RSS, open file descriptors and
//! sockets, the client-ack and client→operator latency of that interval, delivered messages/s,
//! sessions finished so far and errors. At the end it prints the rows at the start, middle and
//! end, and the acknowledged-but-undelivered count, which must be 0. With `--csv FILE` the
//! server's log (warnings and errors) is kept in `FILE.server.log`.
//!
//! ```text
//! cargo build --release && cargo bench --bench load -- --soak --duration 1800 --rate 5000 \
//!     --clients 200 --operators 10 --reply-every 10 [--sample 30] [--csv soak.csv]
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::json;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::peers::{self, Run};
use crate::server::Target;
use crate::stats::{now_us, Latency, Stats};
use crate::Knobs;

/// One sample of the run.
struct Row {
    at_s: f64,
    rss: u64,
    fds: usize,
    sockets: usize,
    ack: (f64, f64, f64),
    c2o: (f64, f64, f64),
    rate: f64,
    sessions: u64,
    errors: u64,
}

impl Row {
    const HEADER: &'static str = "t_s,rss_mib,fds,sockets,ack_p50_ms,ack_p99_ms,ack_max_ms,c2o_p50_ms,c2o_p99_ms,c2o_max_ms,delivered_per_s,sessions,errors";

    fn csv(&self) -> String {
        format!(
            "{:.0},{:.1},{},{},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.0},{},{}",
            self.at_s,
            self.rss as f64 / 1_048_576.0,
            self.fds,
            self.sockets,
            self.ack.0,
            self.ack.1,
            self.ack.2,
            self.c2o.0,
            self.c2o.1,
            self.c2o.2,
            self.rate,
            self.sessions,
            self.errors
        )
    }
}

/// The quantiles (p50, p99, max in ms) of what `latency` recorded since `previous`, which then
/// becomes the current state.
fn interval(latency: &Latency, previous: &mut Histogram<u64>) -> (f64, f64, f64) {
    let now = latency.snapshot();
    let mut delta = now.clone();
    delta.subtract(&*previous).expect("a later snapshot holds every earlier count");
    *previous = now;
    if delta.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let ms = |us: u64| us as f64 / 1000.0;
    (ms(delta.value_at_quantile(0.5)), ms(delta.value_at_quantile(0.99)), ms(delta.max()))
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// Runs the soak against a frontline node started by `start`.
pub async fn run(
    knobs: &Knobs,
    targets: Vec<Target>,
    ws_base: String,
    tokens: Vec<String>,
    sample: Duration,
) {
    let rate = knobs.rate.expect("a soak runs at a fixed --rate");
    let target = targets.first().expect("a frontline node");
    let run = Arc::new(Run {
        ws_base,
        clients: knobs.clients,
        size: knobs.size,
        rate: Some(rate),
        reply_every: knobs.reply_every.max(1),
        tokens: tokens.clone(),
        stats: Stats::new(knobs.clients),
        go: tokio::sync::Notify::new(),
        started: true.into(),
        stop: Default::default(),
        soak: true,
    });
    run.stats.measuring.store(true, Ordering::Relaxed);
    let sessions = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for (j, token) in tokens.iter().enumerate() {
        tasks.push(tokio::spawn(peers::operator(
            run.clone(),
            j,
            format!("{}/ws/agent?token={token}", run.ws_base),
        )));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for slot in 0..knobs.clients {
        tasks.push(tokio::spawn(slot_sessions(run.clone(), slot, sessions.clone())));
        if slot % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let started = Instant::now();
    let (mut ack_seen, mut c2o_seen) = (run.stats.ack.snapshot(), run.stats.c2o.snapshot());
    let mut delivered_seen = 0;
    let mut last = Instant::now();
    let mut rows = Vec::new();
    println!("{}", Row::HEADER);
    let mut csv = knobs.csv.as_ref().map(|path| {
        let mut file = std::fs::File::create(path).expect("csv file");
        std::io::Write::write_all(&mut file, format!("{}\n", Row::HEADER).as_bytes()).expect("csv written");
        file
    });
    while started.elapsed() < knobs.duration {
        tokio::time::sleep(sample.min(knobs.duration.saturating_sub(started.elapsed()))).await;
        let delivered: u64 = run.stats.delivered.iter().map(|d| d.load(Ordering::Relaxed)).sum();
        let row = Row {
            at_s: started.elapsed().as_secs_f64(),
            rss: target.rss(),
            fds: fds(target.pid()),
            sockets: target.sockets(),
            ack: interval(&run.stats.ack, &mut ack_seen),
            c2o: interval(&run.stats.c2o, &mut c2o_seen),
            rate: (delivered - delivered_seen) as f64 / last.elapsed().as_secs_f64(),
            sessions: sessions.load(Ordering::Relaxed),
            errors: run.stats.errors.load(Ordering::Relaxed),
        };
        delivered_seen = delivered;
        last = Instant::now();
        println!("{}", row.csv());
        if let Some(file) = csv.as_mut() {
            std::io::Write::write_all(file, format!("{}\n", row.csv()).as_bytes()).expect("csv written");
        }
        rows.push(row);
    }
    run.stop.store(true, Ordering::Relaxed);
    let drain = Instant::now();
    while run.stats.undelivered() > 0 && drain.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "== soak: {} clients, {} operators, {rate}/s, {:.0} s ==",
        knobs.clients,
        knobs.operators,
        knobs.duration.as_secs_f64()
    );
    println!("  {}", Row::HEADER);
    for row in [rows.first(), rows.get(rows.len() / 2), rows.last()].into_iter().flatten() {
        println!("  {}", row.csv());
    }
    let s = &run.stats;
    println!("  client ack over the run: {}", s.ack.summary());
    println!("  client→operator over the run: {}", s.c2o.summary());
    println!(
        "  sessions {} · acknowledged {} · acknowledged but undelivered {} · errors {}{}",
        sessions.load(Ordering::Relaxed),
        s.total_acked(),
        s.undelivered(),
        s.errors.load(Ordering::Relaxed),
        s.first_error.lock().unwrap().as_ref().map(|e| format!(" (first: {e})")).unwrap_or_default()
    );
    // The server's warnings outlive the run's temporary directory: a stall in the curves can
    // then be matched with what the node logged at that time.
    let log = target.log();
    println!("  server log: {} lines (RUST_LOG=warn)", log.lines().count());
    if let Some(path) = &knobs.csv {
        let path = format!("{path}.server.log");
        std::fs::write(&path, &log).expect("server log written");
        println!("  server log kept in {path}");
    }
    for task in tasks {
        task.abort();
    }
}

/// A slot's sessions, one after another, until the run stops.
async fn slot_sessions(run: Arc<Run>, slot: usize, sessions: Arc<AtomicU64>) {
    let mut session = 0u64;
    while !run.stop.load(Ordering::Relaxed) {
        // 30-90 s, spread over the slots so that sessions do not end together.
        let length = Duration::from_secs(30 + (slot as u64 * 7919 + session * 104_729) % 61);
        if let Err(e) = one_session(&run, slot, session, length).await {
            run.stats.error(format!("client {slot} session {session}: {e}"));
            tokio::time::sleep(Duration::from_secs(1)).await;
        } else {
            sessions.fetch_add(1, Ordering::Relaxed);
        }
        session += 1;
    }
}

async fn one_session(run: &Arc<Run>, slot: usize, session: u64, length: Duration) -> Result<(), String> {
    let url = format!("{}/ws/client?channel=web&client_id=lc{slot}-{session}", run.ws_base);
    let ws = peers::connect(slot, &url).await?;
    let (mut sink, mut stream) = ws.split();
    let _welcome = stream.next().await;
    let hello = json!({"type": "send", "text": format!("hello from {slot}"), "ref": "hello"});
    sink.send(Message::text(hello.to_string())).await.map_err(|e| e.to_string())?;
    let greeted = Arc::new(Semaphore::new(0));
    let acked = Arc::new(Semaphore::new(0));
    let reader = tokio::spawn(reader(run.clone(), slot, stream, greeted.clone(), acked.clone()));
    let waited = tokio::time::timeout(Duration::from_secs(30), greeted.acquire()).await;
    if !matches!(waited, Ok(Ok(_))) {
        reader.abort();
        return Err("no operator greeting within 30 s".into());
    }
    let every = Duration::from_secs_f64(run.clients as f64 / run.rate.expect("a fixed rate"));
    let mut pace = tokio::time::interval(every);
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let began = Instant::now();
    let mut k: u64 = 0;
    let mut bye = false;
    while !bye {
        pace.tick().await;
        bye = began.elapsed() >= length || run.stop.load(Ordering::Relaxed);
        let stamp = now_us();
        let head = format!("{stamp}|{slot}|{k}|{}", if bye { "bye" } else { "" });
        let frame =
            json!({"type": "send", "text": peers::padded(head, run.size), "ref": format!("{k}:{stamp}")});
        sink.send(Message::text(frame.to_string())).await.map_err(|e| e.to_string())?;
        k += 1;
    }
    // Leave once everything sent is acknowledged (the bye last).
    let all = u32::try_from(k).unwrap_or(u32::MAX);
    let left = tokio::time::timeout(Duration::from_secs(30), acked.acquire_many(all)).await;
    reader.abort();
    let _ = sink.close().await;
    match left {
        Ok(Ok(_)) => Ok(()),
        _ => Err("acks missing 30 s after bye".into()),
    }
}

async fn reader(
    run: Arc<Run>,
    slot: usize,
    mut stream: futures_util::stream::SplitStream<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>>,
    greeted: Arc<Semaphore>,
    acked: Arc<Semaphore>,
) {
    while let Some(Ok(message)) = stream.next().await {
        peers::closed(&run, &message, || format!("client {slot}"));
        let Some(frame) = peers::text_of(message) else { continue };
        match frame["type"].as_str() {
            Some("ack") => {
                let Some((_, stamp)) = frame["ref"].as_str().and_then(|r| r.split_once(':')) else {
                    continue;
                };
                run.stats.acked[slot].fetch_add(1, Ordering::Relaxed);
                if let Ok(stamp) = stamp.parse::<u64>() {
                    run.stats.ack.record(now_us().saturating_sub(stamp));
                }
                acked.add_permits(1);
            }
            Some("message") if frame["message"]["author"]["kind"] == "operator" => {
                let text = frame["message"]["text"].as_str().unwrap_or_default();
                if text.split('|').nth(1) == Some("greet") {
                    greeted.add_permits(1);
                } else if let Some(stamp) = text.split('|').next().and_then(|s| s.parse::<u64>().ok()) {
                    run.stats.replies.fetch_add(1, Ordering::Relaxed);
                    run.stats.o2c.record(now_us().saturating_sub(stamp));
                }
            }
            Some("error") => run.stats.error(format!("client {slot}: {frame}")),
            _ => {}
        }
    }
}
