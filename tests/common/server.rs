//! `TestServer`: the real `frontline serve` on port 0 in its own temp dir (config, data, stderr
//! log), with kill (SIGKILL), terminate (SIGTERM) and restart on the same data (with the same or
//! a changed configuration); [`TestServer::start_with`] adds arguments and environment.

use std::collections::HashMap;
use std::sync::Arc;

use frontline::clock::{Clock, ManualClock, SystemClock};
use frontline::domain::{Span, Timestamp};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::config::token;

/// How long a server may take to print its `listening on` line.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `frontline serve` on its own temp dir (config, data, stderr log).
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// `ws://127.0.0.1:PORT`.
    pub ws_url: String,
    /// The store's directory (kept across [`TestServer::restart`]).
    pub data_dir: PathBuf,
    /// The configuration it runs with.
    pub config: toml::Table,
    /// Conversation tokens from client welcomes, by conversation id: a reconnect presents its
    /// conversation's token, as a widget would (PROTOCOL 3.3).
    pub client_tokens: Mutex<HashMap<String, String>>,
    config_path: PathBuf,
    log_path: PathBuf,
    /// More arguments and environment variables of every start.
    extra_args: Vec<String>,
    extra_env: Vec<(String, String)>,
    child: Option<Child>,
    in_process: Option<InProcess>,
    /// Run the binary rather than in-process.
    process: bool,
    /// The clock of an in-process server that only moves when the test says so.
    clock: Option<Arc<ManualClock>>,
    /// Run the built-in demo (no configuration file) listening here, instead of the file.
    demo_listen: Option<String>,
    _dir: tempfile::TempDir,
}

/// A server running in this process, on its own thread and actix system.
struct InProcess {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl InProcess {
    /// Shuts the server down in order (sockets closed with 1001, journal flushed) and waits.
    fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl TestServer {
    /// Writes `config_toml` and starts a server with it in this process.
    pub fn start(config_toml: &str) -> Self {
        Self::new(config_toml, &[], &[], false)
    }

    /// [`TestServer::start`] with the node on a manual clock: its timers fire only when the
    /// test moves it ([`TestServer::advance`]), at once, however long they are.
    pub fn start_with_manual_clock(config_toml: &str) -> Self {
        let mut server = Self::new_stopped(config_toml, &[], &[], false);
        server.clock = Some(Arc::new(ManualClock::new(frontline::clock::SystemClock::now())));
        server.spawn();
        server
    }

    /// [`TestServer::start_with_manual_clock`] with the clock standing at `rfc3339` (a moment
    /// the test chooses, e.g. a Monday evening for working hours).
    pub fn start_with_clock_at(config_toml: &str, rfc3339: &str) -> Self {
        let start = Timestamp::parse_rfc3339(rfc3339).unwrap_or_else(|| panic!("bad moment {rfc3339:?}"));
        let mut server = Self::new_stopped(config_toml, &[], &[], false);
        server.clock = Some(Arc::new(ManualClock::new(start)));
        server.spawn();
        server
    }

    /// Moves the manual clock forward by `secs` seconds.
    pub fn advance(&self, secs: f64) {
        let clock = self.clock.as_ref().unwrap_or_else(|| panic!("start the server with a manual clock"));
        clock.advance(Span::millis((secs * 1000.0) as i64));
    }

    /// The built-in demo (as `frontline` without `--config`) in this process, listening on
    /// `listen` (port 0); a non-loopback address is allowed as `--allow-public-demo` would.
    pub fn start_demo(listen: &str) -> Self {
        let mut server = Self::new_stopped("", &[], &[], false);
        server.demo_listen = Some(listen.to_string());
        server.spawn();
        server
    }

    /// Writes `config_toml`, starts the binary and waits for its `listening on` line.
    pub fn start_process(config_toml: &str) -> Self {
        Self::new(config_toml, &[], &[], true)
    }

    /// [`TestServer::start_process`] with more arguments after `serve --config FILE --data-dir
    /// DIR` and environment variables (`FRONTLINE_*` ones included).
    pub fn start_with(config_toml: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::new(config_toml, args, env, true)
    }

    fn new(config_toml: &str, args: &[&str], env: &[(&str, &str)], process: bool) -> Self {
        let mut server = Self::new_stopped(config_toml, args, env, process);
        server.spawn();
        server
    }

    fn new_stopped(config_toml: &str, args: &[&str], env: &[(&str, &str)], process: bool) -> Self {
        let dir = tempfile::Builder::new().prefix("frontline-test-").tempdir().unwrap();
        let config_path = dir.path().join("frontline.toml");
        std::fs::write(&config_path, config_toml).unwrap();
        Self {
            url: String::new(),
            ws_url: String::new(),
            data_dir: dir.path().join("data"),
            config: config_toml.parse().unwrap_or_else(|e| panic!("the test config is not TOML: {e}")),
            client_tokens: Mutex::new(HashMap::new()),
            config_path,
            log_path: dir.path().join("server.log"),
            extra_args: args.iter().map(|a| a.to_string()).collect(),
            extra_env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            child: None,
            in_process: None,
            process,
            clock: None,
            demo_listen: None,
            _dir: dir,
        }
    }

    fn spawn(&mut self) {
        if self.process {
            self.spawn_process();
        } else {
            self.spawn_in_process();
        }
    }

    fn spawn_in_process(&mut self) {
        let text = std::fs::read_to_string(&self.config_path).unwrap();
        let overrides =
            frontline::config::Overrides { data_dir: Some(self.data_dir.clone()), ..Default::default() };
        let config = match &self.demo_listen {
            Some(listen) => frontline::config::Config::demo(&frontline::config::Overrides {
                listen: Some(listen.clone()),
                allow_public_demo: true,
                ..overrides
            }),
            None => frontline::config::Config::from_toml_str(&text, &overrides),
        }
        .unwrap_or_else(|e| panic!("the test config is refused: {e}"));
        let (ready, address) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let clock: Arc<dyn Clock> = match &self.clock {
            Some(manual) => manual.clone(),
            None => Arc::new(SystemClock),
        };
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let listener =
                    frontline::server::bind(&config).unwrap_or_else(|e| panic!("cannot bind: {e}"));
                let server = frontline::server::Server::build_with_clock(config, listener, clock)
                    .await
                    .unwrap_or_else(|e| panic!("the server does not start: {e:#}"));
                let _ = ready.send(server.addr());
                server
                    .run(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap_or_else(|e| panic!("{e:#}"));
            });
        });
        let address =
            address.recv_timeout(START_TIMEOUT).unwrap_or_else(|e| panic!("no server address: {e}"));
        self.url = format!("http://{address}");
        self.ws_url = format!("ws://{address}");
        self.in_process = Some(InProcess { stop: Some(stop), thread: Some(thread) });
    }

    fn spawn_process(&mut self) {
        let log = OpenOptions::new().create(true).append(true).open(&self.log_path).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_frontline"));
        cmd.arg("serve").arg("--config").arg(&self.config_path).arg("--data-dir").arg(&self.data_dir);
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("FRONTLINE_")) {
            cmd.env_remove(key);
        }
        cmd.args(&self.extra_args).envs(self.extra_env.iter().map(|(k, v)| (k, v)));
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::from(log)).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        // Reads stdout for the whole life of the process, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let address = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(address) = line.trim().strip_prefix("listening on http://") {
                        break address.to_string();
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().unwrap();
                    panic!("the server exited ({status}) before listening; stderr:\n{}", self.log_tail());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("no `listening on` line within {START_TIMEOUT:?}; stderr:\n{}", self.log_tail());
                }
            }
        };
        self.url = format!("http://{address}");
        self.ws_url = format!("ws://{address}");
        self.child = Some(child);
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.binary_only("pid");
        self.child.as_ref().map(Child::id)
    }

    fn binary_only(&self, what: &str) {
        assert!(self.process, "{what} needs the binary: start it with TestServer::start_process");
    }

    /// Stops the server in order (sockets closed with 1001, every write flushed), whichever way
    /// it runs.
    pub fn stop(&mut self) {
        if let Some(server) = self.in_process.take() {
            server.stop();
        }
        if self.child.is_some() {
            self.terminate();
        }
    }

    /// Kills the process as a crash would (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        self.binary_only("kill");
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Asks the process to shut down (SIGTERM) and waits up to 10 s for it (then kills it).
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        self.binary_only("terminate");
        let mut child = self.child.take()?;
        let sent = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        assert!(sent.is_ok_and(|s| s.success()), "cannot send SIGTERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!(
                    "the server ignored SIGTERM for 10 s (killed: {status:?}); stderr:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same configuration and data dir (terminating it first if
    /// it still runs); the port, `url` and `ws_url` change.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Replaces the configuration file: the next [`TestServer::restart`] runs with `config_toml`
    /// (on the same data dir), as an operator editing the file would.
    pub fn reconfigure(&mut self, config_toml: &str) {
        std::fs::write(&self.config_path, config_toml).unwrap();
        self.config = config_toml.parse().unwrap_or_else(|e| panic!("the test config is not TOML: {e}"));
    }

    /// Everything the server(s) wrote to stderr so far.
    pub fn log(&self) -> String {
        self.binary_only("the server's log");
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The last 4 KiB of stderr.
    pub fn log_tail(&self) -> String {
        let Ok(mut file) = File::open(&self.log_path) else { return String::new() };
        let len = file.metadata().map_or(0, |m| m.len());
        let _ = file.seek(SeekFrom::Start(len.saturating_sub(4096)));
        let mut tail = String::new();
        let _ = file.read_to_string(&mut tail);
        tail
    }

    /// A token for a configured operator with their configured role.
    pub fn token_for(&self, operator: &str) -> String {
        token(operator, &self.role_of(operator))
    }

    /// The configured `token` of a channel (panics when it has none).
    pub fn channel_token(&self, channel: &str) -> String {
        self.config
            .get("channels")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .find(|c| c.get("id").and_then(toml::Value::as_str) == Some(channel))
            .and_then(|c| c.get("token").and_then(toml::Value::as_str))
            .unwrap_or_else(|| panic!("channel {channel} has no token in the test config"))
            .to_string()
    }

    fn role_of(&self, operator: &str) -> String {
        self.config
            .get("operators")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .find(|o| o.get("id").and_then(toml::Value::as_str) == Some(operator))
            .and_then(|o| o.get("role").and_then(toml::Value::as_str))
            .unwrap_or("operator")
            .to_string()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(server) = self.in_process.take() {
            server.stop();
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
