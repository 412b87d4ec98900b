//! Fail-over times of a two-node cluster: a client on the follower writes every 10 ms; the
//! leader is killed (SIGKILL); the time from the kill to the client's next acknowledgement is one
//! sample. The killed node comes back as a follower and the next round kills the new leader.
//!
//! ```text
//! redis-server --port 6390 --save "" --appendonly yes --appendfsync always &
//! cargo build --release && cargo bench --bench load -- --failover 10 --redis redis://127.0.0.1:6390
//! ```

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::server::{self, Target};

fn node(config: &std::path::Path, redis: &str, id: &str) -> Target {
    let dir = tempfile::tempdir().expect("temp dir");
    let args = vec![
        "serve".into(),
        "--config".into(),
        config.display().to_string(),
        "--data-dir".into(),
        dir.path().join("data").display().to_string(),
        "--redis".into(),
        redis.to_string(),
        "--node-id".into(),
        id.to_string(),
    ];
    let target = Target::start(&server::frontline_binary(), &args, &[], dir);
    target.wait_ready();
    target
}

/// The leader a node sees, from its `/healthz`.
fn leader_seen_by(target: &Target) -> Option<String> {
    let body = target.get("/healthz")?;
    let json: Value = serde_json::from_str(body.split("\r\n\r\n").nth(1)?).ok()?;
    json["leader"].as_str().map(str::to_string)
}

/// Runs `rounds` kills; prints every sample, the median and the maximum.
pub async fn run(redis: &str, rounds: usize, secret: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("cluster.toml");
    std::fs::write(&config, server::frontline_config(secret, 10, 1, "round_robin")).unwrap();
    let mut nodes =
        [("f1".to_string(), node(&config, redis, "f1")), ("f2".to_string(), node(&config, redis, "f2"))];
    let mut samples = Vec::new();
    for round in 0..rounds {
        // Both nodes agree on a leader.
        let deadline = Instant::now() + Duration::from_secs(30);
        let leader = loop {
            let seen: Vec<Option<String>> = nodes.iter().map(|(_, t)| leader_seen_by(t)).collect();
            if seen[0].is_some() && seen.iter().all(|s| *s == seen[0]) {
                break seen[0].clone().unwrap();
            }
            assert!(Instant::now() < deadline, "no agreed leader: {seen:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let (leading, following) = if nodes[0].0 == leader { (0, 1) } else { (1, 0) };
        let url = format!("{}/ws/client?channel=web&client_id=fo{round}", nodes[following].1.ws_base);
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("client connects");
        let (mut sink, mut stream) = ws.split();
        let _welcome = stream.next().await;
        let mut k = 0u64;
        let mut killed: Option<Instant> = None;
        let sample = loop {
            let frame = json!({"type": "send", "text": format!("m{k}"), "client_msg_id": format!("k{k}"), "ref": format!("r{k}")});
            sink.send(Message::text(frame.to_string())).await.expect("send");
            let answer = loop {
                match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
                    Ok(Some(Ok(Message::Text(t)))) => {
                        let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                        if v["ref"] == format!("r{k}") {
                            break v;
                        }
                    }
                    Ok(Some(Ok(_))) => {}
                    other => panic!("the client's node stopped answering: {other:?}"),
                }
            };
            if answer["type"] == "ack" {
                k += 1;
                if let Some(at) = killed {
                    break at.elapsed();
                }
                if k == 20 {
                    nodes[leading].1.kill();
                    killed = Some(Instant::now());
                }
            } else {
                assert_eq!(answer["code"], "unavailable", "{answer}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        println!(
            "  round {}: leader {leader} killed; writes resumed after {:.0} ms",
            round + 1,
            sample.as_secs_f64() * 1000.0
        );
        samples.push(sample);
        let id = nodes[leading].0.clone();
        nodes[leading].1 = node(&config, redis, &id);
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let max = samples[samples.len() - 1];
    println!(
        "fail-over over {} kills: median {:.0} ms, max {:.0} ms",
        samples.len(),
        median.as_secs_f64() * 1000.0,
        max.as_secs_f64() * 1000.0
    );
}
