//! A real `redis-server` for the cluster tests: a free port, a temporary directory, append-only
//! persistence synced on every write (`appendfsync always`, what zero loss needs), killed on
//! drop. Without `redis-server` on the PATH the test fails and says what to install.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub struct Redis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    /// Starts one on a free port.
    pub fn start() -> Redis {
        let dir = tempfile::Builder::new().prefix("frontline-redis-").tempdir().unwrap();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            if let Some(child) = spawn(port, dir.path()) {
                return Redis { child: Some(child), port, dir };
            }
        }
        panic!("redis-server did not start: {}", log(dir.path()));
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A connection for a test to look at what the nodes wrote.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url()).unwrap().get_connection().unwrap()
    }

    /// Stops it as a service manager would (SIGTERM: the append-only file is complete).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = rustix::process::Pid::from_child(&child);
            rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
            child.wait().unwrap();
        }
    }

    /// Starts it again on the same port and directory.
    pub fn restart(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.is_none() {
            self.child = spawn(self.port, self.dir.path());
            assert!(Instant::now() < deadline, "redis-server did not restart: {}", log(self.dir.path()));
            if self.child.is_none() {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn(port: u16, dir: &std::path::Path) -> Option<Child> {
    let log_file = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("redis.log")).unwrap();
    let mut child = match Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
        .arg(dir)
        .args(["--save", "", "--appendonly", "yes", "--appendfsync", "always"])
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("redis-server is not installed: install it (e.g. `apt-get install redis-server`)")
        }
        Err(e) => panic!("cannot start redis-server: {e}"),
    };
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return None;
        }
        if let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) {
            if redis::cmd("PING").query::<String>(&mut conn).is_ok() {
                return Some(child);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("redis-server on port {port} never answered: {}", log(dir));
}

fn log(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default()
}
