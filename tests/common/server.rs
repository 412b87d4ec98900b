//! `TestServer`: the real `frontline serve` on port 0 in its own temp dir (config, data, stderr
//! log), with kill (SIGKILL), terminate (SIGTERM) and restart on the same data (with the same or
//! a changed configuration); [`TestServer::start_with`] adds arguments and environment.

use std::collections::HashMap;
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
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Writes `config_toml`, starts the binary and waits for its `listening on` line.
    pub fn start(config_toml: &str) -> Self {
        Self::start_with(config_toml, &[], &[])
    }

    /// [`TestServer::start`] with more arguments after `serve --config FILE --data-dir DIR` and
    /// environment variables (`FRONTLINE_*` ones included).
    pub fn start_with(config_toml: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new().prefix("frontline-test-").tempdir().unwrap();
        let config_path = dir.path().join("frontline.toml");
        std::fs::write(&config_path, config_toml).unwrap();
        let mut server = Self {
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
            _dir: dir,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
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
        self.child.as_ref().map(Child::id)
    }

    /// Kills the process as a crash would (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Asks the process to shut down (SIGTERM) and waits up to 10 s for it (then kills it).
    pub fn terminate(&mut self) -> Option<ExitStatus> {
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
        self.terminate();
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
        self.kill();
    }
}
