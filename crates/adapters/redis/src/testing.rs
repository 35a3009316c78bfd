//! Test helpers (feature `testing`), used by this crate's tests and by the
//! server's multi-instance suite: a unique key prefix per test, so tests can
//! share the local Redis in parallel, and a private `redis-server` child
//! process that a test may stop and start again without touching the
//! shared one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support code: a failed step is a failed test"
)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The shared test Redis (`GATHERHUB_TEST_REDIS_URL`, default the local one).
pub fn shared_url() -> String {
    std::env::var("GATHERHUB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A key and channel prefix no other test uses.
pub fn unique_prefix() -> String {
    format!(
        "gh-test-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// A `redis-server` of this test's own, on a free port, without persistence.
/// Killed when dropped.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers.
    pub fn start() -> Self {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut server = Self { port, child: None };
        server.resume();
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (like a crash: connections drop at once) and waits
    /// until its port is free.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty, and waits until it
    /// answers.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        let started = Instant::now();
        loop {
            let child = Command::new("redis-server")
                .args(["--port", &self.port.to_string()])
                .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .args(["--daemonize", "no", "--loglevel", "warning"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server is installed (scripts/services.sh needs it too)");
            self.child = Some(child);
            if self.wait_until_up() {
                return;
            }
            // The port may still be held by the previous run: try again.
            self.stop();
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "redis-server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn wait_until_up(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && child.try_wait().ok().flatten().is_some()
            {
                return false;
            }
            let client = redis::Client::open(self.url()).unwrap();
            if let Ok(mut connection) =
                client.get_connection_with_timeout(Duration::from_millis(200))
                && redis::cmd("PING").query::<String>(&mut connection).is_ok()
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
