//! A real `redis-server` for tests: started on a free port in a temporary directory, with
//! append-only persistence synced on every write, stopped (killed) on drop. Test code: panics
//! are the point. Without `redis-server` installed, every Redis test fails, saying so.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to answer after starting.
const STARTUP: Duration = Duration::from_secs(20);

/// A running `redis-server`.
pub(crate) struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a server on a free port.
    pub(crate) fn start() -> RedisServer {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let port = free_port();
            if let Some(child) = spawn(port, dir.path()) {
                return RedisServer { child: Some(child), port, dir };
            }
        }
        panic!("redis-server did not start on any of 5 free ports (its log: {})", log(dir.path()));
    }

    /// `redis://127.0.0.1:<port>/`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server the way a service manager would (SIGTERM) and waits for it to exit.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = rustix::process::Pid::from_child(&child);
            rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
            let status = child.wait().unwrap();
            assert!(status.success(), "redis-server exited with {status}");
        }
    }

    /// Starts the server again on the same port and directory (its append-only file included).
    pub(crate) fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        let deadline = Instant::now() + STARTUP;
        // The port may linger for a moment after the old server closed it.
        loop {
            if let Some(child) = spawn(self.port, self.dir.path()) {
                self.child = Some(child);
                return;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not restart (log: {})",
                log(self.dir.path())
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts `redis-server` on `port` in `dir` and waits until it answers PING; `None` if it
/// exited (the port was taken).
fn spawn(port: u16, dir: &Path) -> Option<Child> {
    let log_file = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("redis.log")).unwrap();
    let mut child = match Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
        .arg(dir)
        .args(["--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no"])
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "redis-server is not installed (or not on PATH): install redis-server \
             (e.g. `apt-get install redis-server`) to run the Redis store tests"
        ),
        Err(e) => panic!("cannot start redis-server: {e}"),
    };
    let client = ::redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return None;
        }
        if let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) {
            if ::redis::cmd("PING").query::<String>(&mut conn).is_ok_and(|pong| pong == "PONG") {
                return Some(child);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("redis-server on port {port} did not answer PING within {STARTUP:?} (log: {})", log(dir));
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default()
}
