//! End-to-end load over real WebSockets on loopback: N clients and M operators against the real
//! `frontline` process (durable, routed), and the same generator against a raw WebSocket relay
//! on the same stack (no routing, no durability), so the report shows frontline / raw as a ratio.
//!
//! Operators accept every offer and reply; clients send as fast as their acks come back
//! (`--rate max`, the default) or at a total rate. The report: delivered messages/s each way,
//! client→operator and operator→client latency (p50/p99/p99.9), ack latency, errors,
//! acknowledged-but-undelivered messages (must be 0), server RSS and open sockets.
//!
//! ```text
//! cargo build --release && cargo bench --bench load -- [--clients 500] [--operators 20]
//!     [--size 100] [--rate max|N] [--duration 10] [--reply-every 1] [--target both|frontline|relay]
//!     [--strategy round_robin] [--url http://127.0.0.1:8080 --config FILE]
//!     [--redis redis://127.0.0.1:6379 [--nodes 2]]
//!     [--soak [--sample 30] [--csv FILE]]
//! ```
//! `--soak` is the long run with clients coming and going (`soak.rs`).
//! With `--redis` frontline runs in cluster mode on that Redis (flush it first: the bench's
//! chats add to what it holds); with `--nodes 2` a second node joins and every peer connects to
//! it, so every command is forwarded to the leader.
//! With `--url` it loads an already running frontline (loopback only), minting operator tokens
//! from `--config` (its operators must be op0..opM-1 on the line of channel `web`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a bench is a script: a broken step aborts it loudly

mod failover;
mod peers;
mod relay;
mod server;
mod soak;
mod stats;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use peers::Run;
use server::Target;
use stats::Stats;

const SECRET: &str = "load-test-secret-0123456789abcdef";

#[derive(Debug, Clone)]
struct Knobs {
    clients: usize,
    operators: usize,
    size: usize,
    rate: Option<f64>,
    duration: Duration,
    reply_every: u64,
    target: String,
    strategy: String,
    url: Option<String>,
    config: Option<String>,
    redis: Option<String>,
    nodes: usize,
    failover: Option<usize>,
    soak: bool,
    sample: Duration,
    csv: Option<String>,
}

impl Knobs {
    fn parse() -> Self {
        let args: Vec<String> = std::env::args().collect();
        let get = |key: &str| args.iter().position(|a| a == key).and_then(|i| args.get(i + 1)).cloned();
        let num = |key: &str, default: usize| get(key).map_or(default, |v| v.parse().expect("a number"));
        let rate = get("--rate").filter(|r| r != "max").map(|r| r.parse().expect("a rate"));
        Self {
            clients: num("--clients", 500),
            operators: num("--operators", 20),
            size: num("--size", 100),
            rate,
            duration: Duration::from_secs_f64(
                get("--duration").map_or(10.0, |v| v.parse().expect("seconds")),
            ),
            reply_every: num("--reply-every", 1) as u64,
            target: get("--target").unwrap_or_else(|| "both".into()),
            strategy: get("--strategy").unwrap_or_else(|| "round_robin".into()),
            url: get("--url"),
            config: get("--config"),
            redis: get("--redis"),
            nodes: num("--nodes", 1).max(1),
            failover: get("--failover").map(|n| n.parse().expect("a number of kills")),
            soak: args.iter().any(|a| a == "--soak"),
            sample: Duration::from_secs_f64(get("--sample").map_or(30.0, |v| v.parse().expect("seconds"))),
            csv: get("--csv"),
        }
    }
}

struct Report {
    name: &'static str,
    c2o_rate: f64,
    o2c_rate: f64,
    stats: Arc<Run>,
    rss_before: u64,
    rss_after: u64,
    sockets: usize,
}

fn tokens(knobs: &Knobs, secret: &str) -> Vec<String> {
    (0..knobs.operators).map(|j| server::operator_token(secret, j)).collect()
}

fn start(knobs: &Knobs, name: &str) -> (Vec<Target>, String, Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    match (name, &knobs.url) {
        ("relay", _) => {
            let exe = std::env::current_exe().expect("current exe");
            let target = Target::start(&exe, &[], &[("FRONTLINE_LOAD_RELAY", "1".into())], dir);
            let base = target.ws_base.clone();
            (vec![target], base, vec![String::new(); knobs.operators])
        }
        (_, Some(url)) => {
            assert!(url.starts_with("http://127."), "load goes to loopback only, not {url}");
            let config = knobs.config.as_ref().expect("--url needs --config (to mint operator tokens)");
            let config =
                frontline::config::Config::load(Some(std::path::Path::new(config)), &Default::default())
                    .unwrap();
            (Vec::new(), url.replace("http://", "ws://"), tokens(knobs, &config.auth.jwt_secret))
        }
        _ => {
            let config = dir.path().join("load.toml");
            std::fs::write(
                &config,
                server::frontline_config(SECRET, knobs.clients, knobs.operators, &knobs.strategy),
            )
            .unwrap();
            let mut targets = Vec::new();
            let mut dir = Some(dir);
            for n in 1..=knobs.nodes {
                let dir = dir.take().unwrap_or_else(|| tempfile::tempdir().expect("temp dir"));
                let data = dir.path().join("data");
                let mut args = vec![
                    "serve".into(),
                    "--config".into(),
                    config.display().to_string(),
                    "--data-dir".into(),
                    data.display().to_string(),
                ];
                if let Some(redis) = &knobs.redis {
                    args.extend(["--redis".into(), redis.clone(), "--node-id".into(), format!("b{n}")]);
                }
                let target = Target::start(&server::frontline_binary(), &args, &[], dir);
                target.wait_ready();
                targets.push(target);
            }
            let base = targets.last().expect("a node").ws_base.clone();
            (targets, base, tokens(knobs, SECRET))
        }
    }
}

async fn run(knobs: &Knobs, name: &'static str) -> Report {
    let (targets, ws_base, tokens) = start(knobs, name);
    let target = targets.first();
    let rss_before = target.map_or(0, Target::rss);
    let run = Arc::new(Run {
        ws_base: ws_base.clone(),
        clients: knobs.clients,
        size: knobs.size,
        rate: knobs.rate,
        reply_every: knobs.reply_every.max(1),
        tokens: if name == "relay" { Vec::new() } else { tokens.clone() },
        stats: Stats::new(knobs.clients),
        go: tokio::sync::Notify::new(),
        started: Default::default(),
        stop: Default::default(),
        soak: false,
    });
    let mut tasks = Vec::new();
    for (j, token) in tokens.iter().enumerate() {
        let url = if token.is_empty() {
            format!("{ws_base}/ws/agent")
        } else {
            format!("{ws_base}/ws/agent?token={token}")
        };
        tasks.push(tokio::spawn(peers::operator(run.clone(), j, url)));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..knobs.clients {
        tasks.push(tokio::spawn(peers::client(run.clone(), i)));
        if i % 200 == 199 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let ready = Instant::now();
    while run.stats.assigned.load(Ordering::Relaxed) < knobs.clients as u64 {
        assert!(
            ready.elapsed() < Duration::from_secs(120),
            "chats not assigned: {}",
            run.stats.assigned.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run.started.store(true, Ordering::Release);
    run.go.notify_waiters();
    tokio::time::sleep(Duration::from_secs(1)).await; // warm-up
    run.stats.measuring.store(true, Ordering::Relaxed);
    let window = Instant::now();
    tokio::time::sleep(knobs.duration).await;
    run.stats.measuring.store(false, Ordering::Relaxed);
    let seconds = window.elapsed().as_secs_f64();
    let c2o_rate = run.stats.window_c2o.load(Ordering::Relaxed) as f64 / seconds;
    let o2c_rate = run.stats.window_o2c.load(Ordering::Relaxed) as f64 / seconds;
    run.stop.store(true, Ordering::Relaxed);
    // Drain: every acknowledged message must reach its operator.
    let drain = Instant::now();
    while run.stats.undelivered() > 0 && drain.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if run.stats.undelivered() > 0 {
        // Say which clients, and what the server said, so a loss can be told from a miscount.
        let short: Vec<String> = (0..knobs.clients)
            .filter_map(|i| {
                let (a, d) = (
                    run.stats.acked[i].load(Ordering::Relaxed),
                    run.stats.delivered[i].load(Ordering::Relaxed),
                );
                (a > d).then(|| format!("client {i}: acknowledged {a}, delivered {d}"))
            })
            .collect();
        eprintln!("{name}: undelivered after the drain:\n  {}", short.join("\n  "));
        for target in &targets {
            let log = target.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("{name}: server log ({} lines), last ones:", log.lines().count());
            for line in tail.into_iter().rev() {
                eprintln!("  {line}");
            }
        }
    }
    let rss_after = target.map_or(0, Target::rss);
    let sockets = targets.last().map_or(0, Target::sockets);
    for task in tasks {
        task.abort();
    }
    drop(targets);
    Report { name, c2o_rate, o2c_rate, stats: run, rss_before, rss_after, sockets }
}

fn print(knobs: &Knobs, r: &Report) {
    let s = &r.stats.stats;
    println!("== {} ==", r.name);
    println!("  client→operator: {:.0} msg/s delivered; latency {}", r.c2o_rate, s.c2o.summary());
    println!("  operator→client: {:.0} msg/s delivered; latency {}", r.o2c_rate, s.o2c.summary());
    println!("  client ack (durable for frontline): {}", s.ack.summary());
    println!(
        "  acknowledged {} · acknowledged but undelivered {} · errors {}{}",
        s.total_acked(),
        s.undelivered(),
        s.errors.load(Ordering::Relaxed),
        s.first_error.lock().unwrap().as_ref().map(|e| format!(" (first: {e})")).unwrap_or_default()
    );
    if r.rss_after > 0 {
        println!(
            "  server RSS {:.1} MiB (idle {:.1} MiB) · open sockets {} (for {} clients + {} operators)",
            r.rss_after as f64 / 1048576.0,
            r.rss_before as f64 / 1048576.0,
            r.sockets,
            knobs.clients,
            knobs.operators
        );
    }
}

fn main() {
    if std::env::var("FRONTLINE_LOAD_RELAY").as_deref() == Ok("1") {
        relay::run().expect("relay runs");
        return;
    }
    // `cargo test --benches` runs benches without `--bench`: nothing to do then.
    if std::env::args().all(|a| a != "--bench") {
        return;
    }
    let knobs = Knobs::parse();
    if let Some(rounds) = knobs.failover {
        let redis = knobs.redis.clone().expect("--failover needs --redis URL");
        tokio::runtime::Runtime::new().expect("runtime").block_on(failover::run(&redis, rounds, SECRET));
        return;
    }
    println!(
        "load: {} clients, {} operators, {} B messages, rate {}, {} s, operators reply to 1 in {}, strategy {}",
        knobs.clients,
        knobs.operators,
        knobs.size,
        knobs.rate.map_or("max (closed loop)".into(), |r| format!("{r}/s")),
        knobs.duration.as_secs_f64(),
        knobs.reply_every,
        knobs.strategy
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    if knobs.soak {
        let (targets, ws_base, tokens) = start(&knobs, "frontline");
        runtime.block_on(soak::run(&knobs, targets, ws_base, tokens, knobs.sample));
        return;
    }
    let targets: Vec<&'static str> = match knobs.target.as_str() {
        "frontline" => vec!["frontline"],
        "relay" => vec!["relay"],
        _ => vec!["frontline", "relay"],
    };
    let reports: Vec<Report> = targets.into_iter().map(|t| runtime.block_on(run(&knobs, t))).collect();
    for r in &reports {
        print(&knobs, r);
    }
    if let [f, raw] = reports.as_slice() {
        println!(
            "frontline / raw relay: {:.2} (client→operator delivered msg/s)",
            f.c2o_rate / raw.c2o_rate.max(1.0)
        );
    }
}
