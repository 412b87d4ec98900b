//! The server under load as a separate process (the real `frontline` binary, or this bench
//! re-executed as the raw relay), so the generator's own work does not count in its memory and
//! both targets are measured the same way: started on 127.0.0.1:0, its `listening on` line read,
//! RSS and open sockets read from /proc.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server process.
pub struct Target {
    child: Child,
    /// `ws://127.0.0.1:PORT`.
    pub ws_base: String,
    _dir: tempfile::TempDir,
}

impl Target {
    /// Starts `program args...`, waiting for its `listening on http://...` line.
    pub fn start(program: &Path, args: &[String], env: &[(&str, String)], dir: tempfile::TempDir) -> Target {
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let mut command = Command::new(program);
        command.args(args).stdout(Stdio::piped()).stderr(log);
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("FRONTLINE_")) {
            command.env_remove(k);
        }
        for (k, v) in env {
            command.env(k, v);
        }
        command.env("RUST_LOG", "warn");
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let http_base = loop {
            assert!(Instant::now() < deadline, "no listening line from {}", program.display());
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => panic!("{} exited; see {}", program.display(), dir.path().join("server.log").display()),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        assert!(http_base.starts_with("http://127."), "load goes to loopback only, not {http_base}");
        Target { ws_base: http_base.replace("http://", "ws://"), child, _dir: dir }
    }

    /// Waits until `/readyz` answers 200 (a cluster node: once a leader is known).
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self.get("/readyz").map(|r| r.starts_with("HTTP/1.1 200"));
            if ready == Some(true) {
                return;
            }
            assert!(Instant::now() < deadline, "{} never became ready", self.ws_base);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the process as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A plain HTTP GET of `path`: the whole response (head and body), if it answers.
    pub fn get(&self, path: &str) -> Option<String> {
        use std::io::{Read, Write};
        let addr = self.ws_base.trim_start_matches("ws://").to_string();
        let mut s = std::net::TcpStream::connect(&addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
            .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server wrote to stderr (warnings and errors: the bench sets `RUST_LOG=warn`).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("server.log")).unwrap_or_default()
    }

    /// Resident set size in bytes (VmRSS).
    pub fn rss(&self) -> u64 {
        rss_of(self.pid())
    }

    /// Open TCP sockets of the process.
    pub fn sockets(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| {
                        std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
                    })
                    .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// VmRSS of `pid` in bytes.
pub fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The `frontline` binary next to this bench (target/<profile>/frontline), or `FRONTLINE_BIN`.
pub fn frontline_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("FRONTLINE_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/release/deps/load-<hash> -> target/release/frontline
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("frontline");
    assert!(
        bin.exists(),
        "{} not built: run `cargo build --release` first (or set FRONTLINE_BIN)",
        bin.display()
    );
    bin
}

/// A day-long JWT for operator `op<j>` of the bench configurations, signed with `secret`.
pub fn operator_token(secret: &str, j: usize) -> String {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs();
    frontline::auth::issue(secret, &format!("op{j}"), frontline::domain::Role::Operator, now, 24 * 3600)
        .expect("a valid token")
}

/// The TOML of the load setup: one line, `operators` operators sharing the clients.
pub fn frontline_config(secret: &str, clients: usize, operators: usize, strategy: &str) -> String {
    let capacity = clients.div_ceil(operators) * 2 + 10;
    let mut toml = format!(
        r#"listen = "127.0.0.1:0"
[auth]
jwt_secret = "{secret}"
[timeouts]
inactivity = 36000
voting = 36000
offer = 60
presence_grace = 60
[rating]
enabled = false
[limits]
max_frame_bytes = 1048576
max_text_chars = 1000000
messages_per_second = 1000000
max_outbound_frames = 1000000
heartbeat_timeout = 600
connections_per_address = 0
[[channels]]
id = "web"
kind = "realtime"
line = "line1"
[[lines]]
id = "line1"
strategy = "{strategy}"
"#
    );
    for j in 0..operators {
        toml.push_str(&format!(
            "\n[[operators]]\nid = \"op{j}\"\nlines = [\"line1\"]\ncapacity = {capacity}\nrole = \"operator\"\n"
        ));
    }
    toml
}
