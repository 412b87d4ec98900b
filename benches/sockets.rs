//! Server memory per idle WebSocket: N connections (default 50,000, capped by the file
//! descriptor limits) against the real `frontline` binary as a separate process on 127.0.0.1:0,
//! the server's RSS (from /proc) read before and after every socket is connected and welcomed.
//!
//! The mix is a contact centre's: most sockets are clients (web widgets open on a page,
//! `/ws/client`, each one its conversation's actor on the server), a few percent are operators
//! (`/ws/agent` with a JWT), each operator with a couple of tabs open. Operators connect first,
//! then clients, so each kind's cost per socket is reported, and the total.
//!
//! Each side uses one descriptor per socket and they are separate processes, so each has its
//! own RLIMIT_NOFILE: the bench raises its soft limit to the hard one (the server, started after,
//! inherits it) and caps N to what fits under both, saying so. Client connections come from
//! 127.0.0.x source addresses, 20,000 per address, so ephemeral ports never run short. Every
//! client keeps reading its socket (so the server's heartbeat pings get their pongs).
//!
//! ```text
//! cargo build --release && cargo bench --bench sockets -- [--sockets 50000]
//!     [--operator-share 0.05] [--tabs 2] [--concurrency 256]
//! ```

#![allow(clippy::expect_used, clippy::unwrap_used)] // a bench is a script: a broken step aborts it loudly

#[path = "load/server.rs"]
#[allow(dead_code)] // shared with the load bench, which uses more of it
mod server;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use server::Target;

const SECRET: &str = "sockets-bench-secret-0123456789abcdef";
/// The most sockets this bench aims for.
const TARGET: usize = 50_000;
/// Descriptors each side keeps for itself beyond the sockets (runtime, files, listener, SQLite).
const SPARE_FDS: u64 = 200;

struct Knobs {
    sockets: usize,
    operator_share: f64,
    tabs: usize,
    concurrency: usize,
}

impl Knobs {
    fn parse() -> Self {
        let args: Vec<String> = std::env::args().collect();
        let get = |key: &str| args.iter().position(|a| a == key).and_then(|i| args.get(i + 1)).cloned();
        Self {
            sockets: get("--sockets")
                .or_else(|| std::env::var("FRONTLINE_BENCH_SOCKETS").ok())
                .map_or(TARGET, |v| v.parse().expect("--sockets takes a number")),
            operator_share: get("--operator-share").map_or(0.05, |v| v.parse().expect("a fraction")),
            tabs: get("--tabs").map_or(2, |v| v.parse().expect("a number")).max(1),
            concurrency: get("--concurrency").map_or(256, |v| v.parse().expect("a number")).max(1),
        }
    }
}

/// Raises this process's soft RLIMIT_NOFILE to its hard limit; returns (soft before, soft after,
/// hard).
fn raise_fd_limit() -> (u64, u64, u64) {
    let limit = getrlimit(Resource::Nofile);
    let was = limit.current.unwrap_or(u64::MAX);
    let hard = limit.maximum;
    if limit.current != hard {
        setrlimit(Resource::Nofile, Rlimit { current: hard, maximum: hard })
            .expect("raise the soft fd limit");
    }
    let now = getrlimit(Resource::Nofile);
    (was, now.current.unwrap_or(u64::MAX), now.maximum.unwrap_or(u64::MAX))
}

/// Open descriptors of `pid` ("self" for this process).
fn open_fds(pid: &str) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

/// The soft "Max open files" of a process, from /proc/PID/limits.
fn soft_fd_limit_of(pid: u32) -> u64 {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).expect("Max open files");
    let soft = line.split_whitespace().nth(3).expect("soft limit");
    soft.parse().unwrap_or(u64::MAX) // "unlimited"
}

/// Operators (ids op0..) of a config for `operators` operators on one line.
fn config(operators: usize) -> String {
    let mut toml = format!(
        r#"listen = "127.0.0.1:0"
[auth]
jwt_secret = "{SECRET}"
[limits]
connections_per_address = 0
[[channels]]
id = "web"
kind = "realtime"
line = "line1"
[[lines]]
id = "line1"
strategy = "round_robin"
"#
    );
    for j in 0..operators {
        toml.push_str(&format!(
            "\n[[operators]]\nid = \"op{j}\"\nname = \"Operator {j}\"\nlines = [\"line1\"]\ncapacity = 5\nrole = \"operator\"\n"
        ));
    }
    toml
}

fn token(operator: usize) -> String {
    server::operator_token(SECRET, operator)
}

/// Counters the connections share.
#[derive(Default)]
struct Tally {
    welcomed: AtomicU64,
    failed: AtomicU64,
    /// Connections the server closed (or that broke) after their welcome.
    closed: AtomicU64,
    stop: Notify,
}

/// Connects to `url` from source address 127.0.0.(1 + index / 20,000).
async fn connect(index: usize, port: u16, url: &str) -> Result<WebSocketStream<TcpStream>, String> {
    let source = Ipv4Addr::new(127, 0, 0, 1 + (index / 20_000) as u8);
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket.bind(SocketAddr::from((source, 0))).map_err(|e| e.to_string())?;
    let stream =
        socket.connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await.map_err(|e| e.to_string())?;
    let (ws, _) = tokio_tungstenite::client_async(url, stream).await.map_err(|e| e.to_string())?;
    Ok(ws)
}

/// One idle peer: connects (holding a permit of the connect window), waits for its welcome, then
/// reads until told to stop (answering the server's pings).
async fn peer(index: usize, port: u16, url: String, window: Arc<Semaphore>, tally: Arc<Tally>) {
    let permit = window.acquire_owned().await.unwrap();
    let welcomed = async {
        let mut ws = connect(index, port, &url).await?;
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.as_str().contains("\"welcome\"") => Ok(ws),
            other => Err(format!("no welcome: {other:?}")),
        }
    }
    .await;
    drop(permit);
    let mut ws = match welcomed {
        Ok(ws) => ws,
        Err(e) => {
            if tally.failed.fetch_add(1, Ordering::Relaxed) < 5 {
                eprintln!("socket {index}: {e}");
            }
            return;
        }
    };
    tally.welcomed.fetch_add(1, Ordering::Relaxed);
    loop {
        tokio::select! {
            _ = tally.stop.notified() => return,
            frame = ws.next() => match frame {
                Some(Ok(_)) => {}
                _ => {
                    tally.closed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            },
        }
    }
}

/// Opens `urls` (index, url) and waits until each is welcomed or failed.
async fn open_all(urls: Vec<(usize, String)>, port: u16, knobs: &Knobs, tally: &Arc<Tally>) -> Duration {
    let started = Instant::now();
    let window = Arc::new(Semaphore::new(knobs.concurrency));
    let target =
        tally.welcomed.load(Ordering::Relaxed) + tally.failed.load(Ordering::Relaxed) + urls.len() as u64;
    for (index, url) in urls {
        tokio::spawn(peer(index, port, url, window.clone(), tally.clone()));
    }
    while tally.welcomed.load(Ordering::Relaxed) + tally.failed.load(Ordering::Relaxed) < target {
        assert!(started.elapsed() < Duration::from_secs(600), "connections still pending after 10 minutes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

fn per(delta: u64, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        delta as f64 / n as f64
    }
}

async fn measure(knobs: Knobs) {
    let (was, soft, hard) = raise_fd_limit();
    println!("this process: RLIMIT_NOFILE soft {was} -> {soft}, hard {hard}");

    // Size the operator set from the most sockets there could be; the cap comes after start.
    let wanted = knobs.sockets;
    let own_budget = soft.saturating_sub(open_fds("self") + SPARE_FDS) as usize;
    let guess = wanted.min(own_budget);
    let operator_sockets_guess = ((guess as f64 * knobs.operator_share).round() as usize).max(knobs.tabs);
    let operators = operator_sockets_guess.div_ceil(knobs.tabs);

    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("sockets.toml");
    std::fs::write(&config_path, config(operators)).unwrap();
    let args = vec![
        "serve".into(),
        "--config".into(),
        config_path.display().to_string(),
        "--data-dir".into(),
        dir.path().join("data").display().to_string(),
    ];
    let target = Target::start(&server::frontline_binary(), &args, &[], dir);
    let port: u16 = target.ws_base.rsplit(':').next().unwrap().parse().unwrap();
    let server_soft = soft_fd_limit_of(target.pid());
    let server_budget = server_soft.saturating_sub(open_fds(&target.pid().to_string()) + SPARE_FDS) as usize;
    let n = wanted.min(own_budget).min(server_budget);
    println!(
        "server pid {}: RLIMIT_NOFILE soft {server_soft} (inherited: frontline does not raise its own soft limit)",
        target.pid()
    );
    if n < wanted {
        let why = if own_budget <= server_budget { "this process's" } else { "the server's" };
        println!(
            "N CAPPED to {n} sockets (wanted {wanted}): {why} fd limit is the tighter one (bench can use {own_budget}, \
             server {server_budget}, after {SPARE_FDS} spare descriptors each and those already open); the hard \
             limit {hard} cannot be raised here (no CAP_SYS_RESOURCE)"
        );
    }
    let operator_sockets = operator_sockets_guess.min(n);
    let client_sockets = n - operator_sockets;
    println!(
        "mix: {client_sockets} client sockets (one idle visitor conversation each) + {operator_sockets} operator \
         sockets ({operators} operators in one line, {} tabs each), {} connects in flight",
        knobs.tabs, knobs.concurrency
    );

    let tally = Arc::new(Tally::default());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_start = target.rss();

    let ops: Vec<(usize, String)> = (0..operator_sockets)
        .map(|k| (k, format!("{}/ws/agent?token={}", target.ws_base, token(k / knobs.tabs))))
        .collect();
    let took_ops = open_all(ops, port, &knobs, &tally).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_ops = target.rss();
    let welcomed_ops = tally.welcomed.load(Ordering::Relaxed);

    let clients: Vec<(usize, String)> = (0..client_sockets)
        .map(|i| {
            (
                operator_sockets + i,
                format!("{}/ws/client?channel=web&client_id=v{i}&name=Visitor%20{i}", target.ws_base),
            )
        })
        .collect();
    let took_clients = open_all(clients, port, &knobs, &tally).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_all = target.rss();
    let welcomed = tally.welcomed.load(Ordering::Relaxed);
    let server_sockets = target.sockets();

    let welcomed_clients = (welcomed - welcomed_ops) as usize;
    let ops_delta = rss_ops.saturating_sub(rss_start);
    let clients_delta = rss_all.saturating_sub(rss_ops);
    let total_delta = rss_all.saturating_sub(rss_start);
    println!(
        "connected and welcomed: {welcomed_ops} operator sockets in {:.1}s, {welcomed_clients} client sockets in {:.1}s; \
         failed {}, closed since {}; the server holds {server_sockets} sockets",
        took_ops.as_secs_f64(),
        took_clients.as_secs_f64(),
        tally.failed.load(Ordering::Relaxed),
        tally.closed.load(Ordering::Relaxed),
    );
    println!(
        "server RSS: {:.1} MiB idle, {:.1} MiB with operators, {:.1} MiB with everyone",
        mib(rss_start),
        mib(rss_ops),
        mib(rss_all)
    );
    println!(
        "server RSS per socket: operator {:.0} bytes, client {:.0} bytes, all {:.0} bytes ({welcomed} sockets, \
         {:.0} sockets per GiB)",
        per(ops_delta, welcomed_ops as usize),
        per(clients_delta, welcomed_clients),
        per(total_delta, welcomed as usize),
        (1u64 << 30) as f64 / per(total_delta, welcomed as usize).max(1.0),
    );

    // Idle for a heartbeat period: the sockets must survive the server's pings.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let closed = tally.closed.load(Ordering::Relaxed);
    println!(
        "after 12 s idle (heartbeat pings every 10 s): {closed} closed, server RSS {:.1} MiB",
        mib(target.rss())
    );
    tally.stop.notify_waiters();
    assert_eq!(tally.failed.load(Ordering::Relaxed), 0, "every socket connected and was welcomed");
    assert_eq!(closed, 0, "no idle socket was dropped");
    drop(target);
}

fn main() {
    // `cargo test --benches` runs benches with --bench absent: keep that quick.
    if std::env::args().all(|a| a != "--bench") {
        return;
    }
    let knobs = Knobs::parse();
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(measure(knobs));
}
