//! `frontline agent` end to end: the real server on port 0, the console as a child process with
//! piped stdin/stdout, and a client socket from the harness writing on the other side. The
//! console's stdout is read on a thread into a channel, so a test waits for a line with a
//! timeout instead of sleeping.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use awc::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// A running `frontline agent`.
struct Agent {
    child: Child,
    stdin: Option<ChildStdin>,
    out: mpsc::Receiver<String>,
    err: mpsc::Receiver<String>,
    /// Every stdout line so far, for failure messages.
    seen: Vec<String>,
}

impl Agent {
    /// Starts `frontline agent` with `args` and `env` (no other `FRONTLINE_*` variables).
    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Agent {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_frontline"));
        cmd.arg("agent").args(args);
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("FRONTLINE_")) {
            cmd.env_remove(key);
        }
        cmd.envs(env.iter().copied());
        let mut child =
            cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (out_tx, out) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = out_tx.send(line);
            }
        });
        let (err_tx, err) = mpsc::channel();
        let mut stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = err_tx.send(text);
        });
        Agent { stdin: child.stdin.take(), child, out, err, seen: Vec::new() }
    }

    /// Types one line.
    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        if writeln!(stdin, "{line}").and_then(|()| stdin.flush()).is_err() {
            let stderr = self.err.recv_timeout(WAIT).unwrap_or_default();
            panic!(
                "the agent no longer reads stdin (exited?); stderr:\n{stderr}\nstdout:\n{}",
                self.seen.join("\n")
            );
        }
    }

    /// Ends the input (as a script's end or Ctrl-D).
    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Reads lines until one satisfies `pred` (the ones before it are passed over), within
    /// [`WAIT`]. Polls, so the test's own runtime (its WebSocket peers) keeps running.
    async fn line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.out.try_recv() {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(mpsc::TryRecvError::Empty) if Instant::now() < deadline => {
                    actix_web::rt::time::sleep(Duration::from_millis(10)).await;
                }
                Err(_) => panic!("no line {what} within {WAIT:?}; stdout so far:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// True if no line containing `word` comes within `quiet` (the lines read are kept).
    async fn quiet(&mut self, word: &str, quiet: Duration) -> bool {
        let deadline = Instant::now() + quiet;
        while Instant::now() < deadline {
            match self.out.try_recv() {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(word) {
                        return false;
                    }
                }
                Err(_) => actix_web::rt::time::sleep(Duration::from_millis(10)).await,
            }
        }
        true
    }

    /// Waits for a line equal to `exact`.
    async fn expect(&mut self, exact: &str) {
        self.line(&format!("{exact:?}"), |l| l == exact).await;
    }

    /// Waits for every line of `exact`, in any order.
    async fn expect_all(&mut self, exact: &[String]) {
        let mut missing: Vec<&String> = exact.iter().collect();
        while !missing.is_empty() {
            let line = self.line(&format!("among {missing:?}"), |l| missing.iter().any(|m| *m == l)).await;
            missing.retain(|m| **m != line);
        }
    }

    /// Waits for the process to exit; its status and everything it wrote to stderr.
    async fn exit(&mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the agent did not exit; stdout:\n{}", self.seen.join("\n"));
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        };
        let stderr = self.err.recv_timeout(WAIT).unwrap_or_default();
        (status, stderr)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The number after `#` in a line like `offer #17  c1 (web:c1) ...`.
fn chat_number(line: &str) -> u64 {
    let digits: String =
        line.split('#').nth(1).unwrap_or_default().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("no chat number in {line:?}"))
}

fn acked(frame: &Value) {
    assert_eq!(frame["type"], "ack", "{frame}");
}

#[actix_web::test]
async fn an_operator_works_a_chat_from_the_console() {
    let server = TestServer::start(&base_config());
    let token = server.token_for("alice");
    let mut agent = Agent::spawn(&["--url", &server.ws_url, "--token", &token], &[]);
    agent.expect("connected as Alice (alice), role operator, lines line1, capacity 5").await;
    agent.expect("My (0):").await;
    agent.expect("New (0):").await;

    // A client writes: alice (the only line-1 operator online) is offered the chat.
    let mut c = client(&server, "c1").await;
    acked(&c.request(json!({"type": "send", "text": "my order is late", "client_msg_id": "m1"})).await);
    let offer = agent.line("offer", |l| l.starts_with("offer #")).await;
    assert!(offer.contains("c1 (web:c1)") && offer.contains("expires in"), "{offer}");
    let id = chat_number(&offer);

    agent.send(&format!("/accept {id}"));
    agent.expect(&format!("ok accept {id}")).await;
    agent.send(&format!("/reply {id} hello"));
    agent.line("ok reply", |l| l.starts_with(&format!("ok reply {id}: seq "))).await;
    // The server does not echo a socket's own message: the console does, on the ack.
    agent.expect(&format!("[chat {id}] you: hello")).await;
    let hello = c.wait(|f| f["type"] == "message" && f["message"]["text"] == "hello").await;
    assert_eq!(hello["message"]["author"], json!({"kind": "operator", "id": "alice"}));
    assert!(hello["message"].get("client_msg_id").is_none(), "the console's key stays with it: {hello}");

    // A line without a leading slash goes to the current chat.
    agent.send("one moment please");
    c.wait(|f| f["type"] == "message" && f["message"]["text"] == "one moment please").await;
    // The client's messages show up live.
    acked(&c.request(json!({"type": "send", "text": "thanks"})).await);
    agent.expect(&format!("[chat {id}] c1: thanks")).await;

    // Malformed commands print a usage line and send nothing; illegal ones print the error.
    agent.send("/take");
    agent.expect("usage: /take N").await;
    agent.send("/bogus 1");
    agent.expect("unknown command /bogus (/help lists the commands)").await;
    agent.send(&format!("/split {id}"));
    agent.line("the split error", |l| l.starts_with("error invalid_transition: ")).await;

    agent.send(&format!("/finish {id} pending"));
    agent.expect_all(&[format!("ok finish {id}"), format!("removed #{id} c1 (finished by you)")]).await;
    agent.send("/my");
    agent.expect("My (0):").await;
    let (status, body) = get(&server, &format!("/api/v1/chats/{id}"), &server.token_for("sam")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((&body["phase"], &body["status"]), (&json!("finished"), &json!("pending")), "{body}");

    agent.send("/quit");
    let (status, stderr) = agent.exit().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
}

/// The base setup plus channel `web2` on line `line2` (broadcast: chats enter the New tab of
/// every online line-2 operator, xena and sam).
fn with_broadcast_channel() -> String {
    config_with(|t| push(t, "channels", "id = \"web2\"\nkind = \"realtime\"\nline = \"line2\""))
}

#[actix_web::test]
async fn an_operator_takes_from_new_sets_a_status_reads_history_and_forwards() {
    let server = TestServer::start(&with_broadcast_channel());
    let sam = server.token_for("sam");
    let mut agent = Agent::spawn(&["--url", &server.ws_url, "--token", &server.token_for("xena")], &[]);
    agent.expect("New (0):").await;

    let mut c = client_query(&server, "channel=web2&client_id=c2&name=Bea").await;
    acked(&c.request(json!({"type": "send", "text": "hello", "client_msg_id": "m1"})).await);
    let new = agent.line("a new chat", |l| l.starts_with("new chat #")).await;
    assert!(new.contains("Bea (web2:c2)  line2"), "{new}");
    let id = chat_number(&new);
    agent.send("/new");
    agent.line("the New tab listing it", |l| l.starts_with(&format!("  #{id}  Bea"))).await;

    agent.send(&format!("/take {id}"));
    agent.expect(&format!("ok take {id}")).await;
    agent.send(&format!("/status {id} on_hold"));
    agent
        .expect_all(&[
            format!("ok status {id}"),
            format!("updated #{id} Bea by you: status new -> on_hold (waiting on someone else)"),
        ])
        .await;
    let (_, chat) = get(&server, &format!("/api/v1/chats/{id}"), &sam).await;
    assert_eq!((&chat["responsible"], &chat["status"]), (&json!("xena"), &json!("on_hold")), "{chat}");
    agent.send("/my");
    agent
        .line("the My tab showing the status", |l| {
            l.starts_with(&format!("  #{id}  Bea")) && l.contains("on_hold (waiting on someone else), ")
        })
        .await;

    agent.send(&format!("/note {id} vip customer"));
    agent.line("ok note", |l| l.starts_with(&format!("ok note {id}: seq "))).await;
    agent.send(&format!("/reply {id} hi Bea"));
    agent.line("ok reply", |l| l.starts_with(&format!("ok reply {id}: seq "))).await;
    c.wait(|f| f["type"] == "message" && f["message"]["text"] == "hi Bea").await;

    agent.send(&format!("/history {id}"));
    agent.expect(&format!("ok history {id}: 3 messages, no previous chat")).await;
    for (seq, line) in [(1, "Bea: hello"), (2, "xena (note): vip customer"), (3, "xena (operator): hi Bea")] {
        let want = format!(" seq {seq}  {line}");
        let got = agent.line(&format!("history line {want:?}"), |l| l.starts_with("  ")).await;
        assert!(got.ends_with(&want), "{got:?} should end with {want:?}");
    }

    // Forwarded to an operator: sam becomes responsible and the chat leaves xena's tabs.
    agent.send(&format!("/forward {id} @sam"));
    agent.expect_all(&[format!("ok forward {id}"), format!("removed #{id} Bea (reassigned by you)")]).await;
    let (_, chat) = get(&server, &format!("/api/v1/chats/{id}"), &sam).await;
    assert_eq!(chat["responsible"], json!("sam"), "{chat}");
    // A forwarded chat is no longer where a plain line goes.
    agent.send("are you there?");
    agent.line("no current chat", |l| l.starts_with("no current chat")).await;

    // Forwarded to a line: the chat queues there.
    let mut d = client_query(&server, "channel=web2&client_id=c3&name=Cid").await;
    acked(&d.request(json!({"type": "send", "text": "help", "client_msg_id": "m1"})).await);
    let new = agent.line("a second new chat", |l| l.starts_with("new chat #")).await;
    let second = chat_number(&new);
    agent.send(&format!("/take {second}"));
    agent.expect(&format!("ok take {second}")).await;
    agent.send(&format!("/forward {second} #line1"));
    agent
        .expect_all(&[format!("ok forward {second}"), format!("removed #{second} Cid (moved by you)")])
        .await;
    let (_, chat) = get(&server, &format!("/api/v1/chats/{second}"), &sam).await;
    assert_eq!((&chat["line"], &chat["responsible"]), (&json!("line1"), &Value::Null), "{chat}");
    agent.send("/my");
    agent.expect("My (0):").await;

    agent.send("/quit");
    let (status, stderr) = agent.exit().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
}

#[actix_web::test]
async fn a_refused_token_exits_non_zero_naming_401_the_url_and_the_token_source() {
    let server = TestServer::start(&base_config());
    let mut agent = Agent::spawn(&["--url", &server.ws_url, "--token", "not-a-jwt"], &[]);
    let (status, stderr) = agent.exit().await;
    assert!(!status.success());
    let url = format!("{}/ws/agent (from --url)", server.ws_url);
    assert!(stderr.contains("401") && stderr.contains(&url), "{stderr}");
    assert!(stderr.contains("the token from --token"), "{stderr}");
    let mut agent = Agent::spawn(&["--url", &server.ws_url], &[("FRONTLINE_TOKEN", "not-a-jwt")]);
    let (status, stderr) = agent.exit().await;
    assert!(!status.success() && stderr.contains("the token from FRONTLINE_TOKEN"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Writes `config` into `dir` as `name`; its path.
fn write_file(dir: &tempfile::TempDir, name: &str, config: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, config).unwrap();
    path.to_string_lossy().into_owned()
}

#[actix_web::test]
async fn with_a_configuration_and_no_url_the_console_connects_to_its_listen() {
    let server = TestServer::start(&base_config());
    let address = server.url.strip_prefix("http://").unwrap().to_owned();
    let port = address.rsplit(':').next().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    // The server's own address, and every interface (reached over loopback).
    for listen in [address.clone(), format!("0.0.0.0:{port}")] {
        let config = write_file(&dir, "acme.toml", &config_with(|t| set(t, "listen", listen.clone().into())));
        let mut agent = Agent::spawn(&["--config", &config, "--operator", "alice"], &[]);
        agent.expect("connected as Alice (alice), role operator, lines line1, capacity 5").await;
        agent.send("/quit");
        let (status, stderr) = agent.exit().await;
        assert!(status.success(), "{listen}: {status}; stderr: {stderr}");
    }
    // The server's --listen/FRONTLINE_LISTEN, as the server would apply it over the file.
    let config = write_file(&dir, "zero.toml", &base_config());
    let env = [("FRONTLINE_LISTEN", address.as_str())];
    let mut agent = Agent::spawn(&["--config", &config, "--operator", "alice"], &env);
    agent.expect("My (0):").await;
    agent.close_stdin();
    let (status, stderr) = agent.exit().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
}

#[actix_web::test]
async fn a_configuration_listening_on_port_0_cannot_be_guessed_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(&dir, "acme.toml", &base_config());
    let mut agent = Agent::spawn(&["--config", &config, "--operator", "alice"], &[]);
    let (status, stderr) = agent.exit().await;
    assert!(!status.success());
    assert!(stderr.contains("port 0") && stderr.contains("--url"), "{stderr}");
}

#[actix_web::test]
async fn a_token_issued_from_another_configuration_names_where_url_and_secret_came_from() {
    let server = TestServer::start(&base_config());
    let address = server.url.strip_prefix("http://").unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    // The right address, but a configuration with another secret than the server's.
    let other = config_with(|t| {
        set(t, "listen", address.clone().into());
        set(t, "auth.jwt_secret", "another-secret-0123456789-abcdef-0123456789".into());
    });
    let config = write_file(&dir, "acme.toml", &other);
    let mut agent = Agent::spawn(&["--config", &config, "--operator", "alice"], &[]);
    let (status, stderr) = agent.exit().await;
    assert!(!status.success());
    for part in [
        format!("the server at ws://{address}/ws/agent (from listen in {config})"),
        format!("the token issued here for operator alice with the auth.jwt_secret of {config} (HTTP 401)"),
    ] {
        assert!(stderr.contains(&part), "{part:?} missing: {stderr}");
    }
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[actix_web::test]
async fn end_of_input_exits_zero_once_the_last_request_is_answered() {
    let server = TestServer::start(&base_config());
    // The token is issued locally from the same configuration the server runs with.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("frontline.toml");
    std::fs::write(&config, base_config()).unwrap();
    let config = config.to_string_lossy().into_owned();
    let mut agent = Agent::spawn(&["--url", &server.url, "--operator", "alice", "--config", &config], &[]);
    agent.send("/away");
    agent.close_stdin();
    agent.expect("ok away").await;
    let (status, stderr) = agent.exit().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
    let (_, operators) = get(&server, "/api/v1/operators", &server.token_for("sam")).await;
    let alice = operators["items"].as_array().unwrap().iter().find(|o| o["id"] == "alice").cloned();
    assert_eq!(alice.map(|a| a["presence"].clone()), Some(json!("away")), "{operators}");
}

#[actix_web::test]
async fn the_console_answers_heartbeats_and_stays_connected() {
    // The server pings every third of the timeout and closes a socket silent for all of it.
    let server = TestServer::start(&config_with(|t| set(t, "limits.heartbeat_timeout", 0.3.into())));
    let token = server.token_for("alice");
    let mut agent = Agent::spawn(&["--url", &server.ws_url, "--token", &token], &[]);
    agent.expect("New (0):").await;
    // Idle for several timeouts: only the pongs keep the socket open.
    actix_web::rt::time::sleep(Duration::from_millis(1200)).await;
    agent.send("/online");
    agent.expect("ok online").await;
    agent.send("/quit");
    let (status, stderr) = agent.exit().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
}

#[actix_web::test]
async fn a_server_shutdown_exits_non_zero_with_the_close_code() {
    let mut server = TestServer::start(&base_config());
    let token = server.token_for("sam");
    let mut agent = Agent::spawn(&["--url", &server.ws_url], &[("FRONTLINE_TOKEN", &token)]);
    agent.line("the welcome", |l| l.starts_with("connected as Sam (sam), role supervisor")).await;
    server.stop();
    let (status, stderr) = agent.exit().await;
    assert!(!status.success());
    assert!(stderr.contains("1001") && stderr.contains("server shutting down"), "{stderr}");
}

/// The PROTOCOL example rule: an operator of line 2 answering an open or pending chat hands it
/// back to line 1.
const HANDBACK: &str = "name = \"line 2 hands back to line 1\"\non = \"changed\"\n\
    when = { author = \"operator\", responsible_line = \"line2\", status_before = [\"open\", \"pending\"] }\n\
    then = [ { finish = \"pending\" }, { assign_line = \"line1\" }, { stop = true } ]";

#[actix_web::test]
async fn a_chat_a_rule_finishes_is_removed_naming_the_rule() {
    let server = TestServer::start(&config_with(|t| push(t, "rules", HANDBACK)));
    // sam (supervisor, lines 1 and 2) is the only operator online: the chat is offered to him.
    let mut agent = Agent::spawn(&["--url", &server.ws_url, "--token", &server.token_for("sam")], &[]);
    agent.expect("New (0):").await;
    let mut c = client_query(&server, "channel=web&client_id=c3&name=Carla").await;
    acked(&c.request(json!({"type": "send", "text": "where is my parcel?"})).await);
    let id = chat_number(&agent.line("offer", |l| l.starts_with("offer #")).await);
    agent.send(&format!("/accept {id}"));
    agent.expect(&format!("ok accept {id}")).await;
    agent.send("it left the warehouse");
    agent.expect(&format!("[chat {id}] you: it left the warehouse")).await;
    agent.send("anything else?");
    agent.expect(&format!("removed #{id} Carla (finished by rule \"line 2 hands back to line 1\")")).await;
    // The chat is no longer current: the next plain line asks where to go.
    agent.send("hello?");
    agent.line("no current chat", |l| l.starts_with("no current chat")).await;
    agent.send("/quit");
    let (status, stderr) = agent.exit().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
}

#[actix_web::test]
async fn a_withdrawn_offer_says_who_took_it_or_that_it_expired() {
    // The default 30-second offer timeout, on a clock the test moves.
    let server = TestServer::start_with_manual_clock(&base_config());
    let mut agent = Agent::spawn(&["--url", &server.ws_url, "--token", &server.token_for("alice")], &[]);
    agent.expect("New (0):").await;
    let mut c = client(&server, "c1").await;
    acked(&c.request(json!({"type": "send", "text": "hello"})).await);
    let first = chat_number(&agent.line("an offer", |l| l.starts_with("offer #")).await);
    // bob comes online after the offer went out: he sees the chat in New and takes it.
    let mut bob = common::agent(&server, "bob").await;
    acked(&bob.request(json!({"type": "take", "chat": first})).await);
    agent.expect(&format!("offer #{first} c1 withdrawn (taken by bob)")).await;
    // bob steps away, so the next chat is offered to alice.
    acked(&bob.request(json!({"type": "presence", "status": "away"})).await);

    let mut d = client(&server, "c2").await;
    acked(&d.request(json!({"type": "send", "text": "anyone?"})).await);
    let second = chat_number(&agent.line("a second offer", |l| l.starts_with("offer #")).await);
    server.advance(29.0);
    assert!(agent.quiet("withdrawn", Duration::from_millis(100)).await, "the offer expired early");
    server.advance(1.0);
    agent.expect(&format!("offer #{second} c2 withdrawn (expired)")).await;
    agent.send("/quit");
    let (status, stderr) = agent.exit().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
}

#[actix_web::test]
async fn the_console_shows_the_clients_vote_and_the_inactivity_timer() {
    // The default ten-minute inactivity timer, on a clock the test moves.
    let server = TestServer::start_with_manual_clock(&base_config());
    let mut agent = Agent::spawn(&["--url", &server.ws_url, "--token", &server.token_for("alice")], &[]);
    agent.expect("New (0):").await;
    let mut c = client(&server, "c1").await;
    acked(&c.request(json!({"type": "send", "text": "hello"})).await);
    let id = chat_number(&agent.line("an offer", |l| l.starts_with("offer #")).await);
    agent.send(&format!("/accept {id}"));
    agent.expect(&format!("ok accept {id}")).await;
    agent.send(&format!("/finish {id} closed"));
    agent.expect(&format!("ok finish {id}")).await;
    c.wait_type("vote_request").await;
    acked(&c.request(json!({"type": "vote", "chat": id, "score": 3})).await);
    agent.expect(&format!("client voted 3 (Excellent) on #{id} c1")).await;
    agent.expect(&format!("removed #{id} c1 (finished by the client)")).await;

    // The client writes again: a new chat, left alone until the inactivity timer finishes it.
    acked(&c.request(json!({"type": "send", "text": "one more thing"})).await);
    let next = chat_number(&agent.line("a new offer", |l| l.starts_with("offer #")).await);
    agent.send(&format!("/accept {next}"));
    agent.expect(&format!("ok accept {next}")).await;
    server.advance(599.0);
    assert!(agent.quiet("removed", Duration::from_millis(100)).await, "the chat finished early");
    server.advance(1.0);
    agent.expect(&format!("removed #{next} c1 (finished by the inactivity timer)")).await;
    agent.send("/quit");
    let (status, stderr) = agent.exit().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
}

#[actix_web::test]
async fn who_and_queues_show_the_team_and_the_lines() {
    let server = TestServer::start(&base_config());
    let _alice = common::agent(&server, "alice").await;
    let mut c = client_query(&server, "channel=web&client_id=c9&name=Dan").await;
    let mut agent = Agent::spawn(&["--url", &server.ws_url, "--token", &server.token_for("sam")], &[]);
    agent.expect("New (0):").await;
    // alice (round robin, first in line 1) gets the offer; the chat waits in line 1 meanwhile.
    acked(&c.request(json!({"type": "send", "text": "hi"})).await);
    agent.line("the chat in New", |l| l.starts_with("new chat #")).await;

    agent.send("/who");
    agent.expect("who: 2 of 4 operators online").await;
    agent
        .expect_all(&[
            "  alice (Alice)  online  0 of 5 chats  lines line1  operator".to_string(),
            "  bob (Bob)  offline  0 of 5 chats  lines line1  operator".to_string(),
            "  xena (Xena)  offline  0 of 5 chats  lines line2  operator".to_string(),
            "  sam (Sam)  online  0 of 50 chats  lines line1, line2  supervisor, you".to_string(),
        ])
        .await;
    agent.send("/queues");
    agent.expect("queues: 1 waiting in 2 lines").await;
    agent
        .line("line 1's queue", |l| {
            l.starts_with("  line1 (round_robin)  1 waiting, oldest ") && l.ends_with(" s, 2 online")
        })
        .await;
    agent.expect("  line2 (broadcast)  nobody waiting, 1 online").await;
    agent.send("/quit");
    let (status, stderr) = agent.exit().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
}
